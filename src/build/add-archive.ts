// ADD's auto-extraction (moby's classic builder): a local source that is a
// tar archive by content, plain or gzip/bzip2/xz-compressed, is unpacked
// into the destination directory instead of copied; anything else (a
// compressed file that is not a tar included) is copied as it is. The
// archive is untrusted: it is written by the layer writer in plain-archive
// mode with the destination as its root, so `..` entries are refused,
// symlinks are followed chroot-style inside the destination, and a relative
// symlink may not point above it (docker's untar, as docker cp uses it).
// Owners and modes are the archive's; --chown and --chmod do not apply.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { ensureWorkdir } from '../engine/rootfs-setup.ts';
import { resolveInContainer, viewOf } from '../engine/container-path.ts';
import { decompress } from '../storage/decompress.ts';
import { applyLayer } from '../storage/layer-apply.ts';

const BLOCK = 512;

/**
 * Whether `path` holds a tar archive: Go's tar.Reader.Next() succeeds on
 * its (decompressed) start, as moby's IsArchivePath asks. That is a first
 * 512-byte block that is not all zeros and whose checksum matches.
 */
export async function isTarArchive(path: string): Promise<boolean> {
  const input = createReadStream(path);
  const chunks = decompress(input);
  let head = Buffer.alloc(0);
  try {
    for await (const chunk of chunks) {
      head = Buffer.concat([head, chunk]);
      if (head.length >= BLOCK) break;
    }
  } catch {
    return false; // a compressed file that does not decompress is just a file
  } finally {
    input.destroy();
    await chunks.return(undefined).catch(() => {});
  }
  return head.length >= BLOCK && isTarHeader(head.subarray(0, BLOCK));
}

/** A ustar/GNU/v7 header block: the stored octal checksum equals the unsigned or signed byte sum with the checksum field as spaces. */
export function isTarHeader(block: Buffer): boolean {
  if (block.every((b) => b === 0)) return false;
  const field = block.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/, '').replace(/^[\0 ]+/, '');
  if (!/^[0-7]+$/.test(field)) return false;
  const stored = parseInt(field, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

/** Unpacks `archive` into directory `dest` (absolute in the image) of `targetRoot`, creating it when missing. */
export async function extractArchive(archive: string, targetRoot: string, dest: string): Promise<void> {
  await ensureWorkdir(targetRoot, dest, 0, 0);
  const place = await resolveInContainer(await viewOf({ root: targetRoot, mounts: [] }), dest, { followFinal: true });
  if (!(await stat(place.host)).isDirectory()) throw new Error(`cannot extract an archive to ${dest}: not a directory`);
  await applyLayer(place.host, createReadStream(archive), { whiteouts: 'none' });
}
