// Writing a layer tar from files on disk, in the form Docker's layers have:
// root-relative names, directories with a trailing '/', hardlinks as link
// entries to the first name of the inode, numeric owners, xattrs as PAX
// `SCHILY.xattr.*`, and deletions as `.wh.` entries.
import { open, readlink, type FileHandle } from 'node:fs/promises';
import { constants, type Stats } from 'node:fs';
import { once } from 'node:events';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import tar from 'tar-stream';
import { major, minor } from './native.ts';
import { readXattrs } from './meta.ts';
import { walkTree } from './tree.ts';
import { paxFromXattrs } from './tar-pax.ts';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from './whiteout.ts';

export type PackItem =
  /** The entry at `path` on disk, named `name` in the tar. */
  | { kind: 'entry'; name: string; path: string; st: Stats }
  /** `name` was deleted; `st` (of the deleted entry or the whiteout) gives owner and time. */
  | { kind: 'whiteout'; name: string; st: Stats }
  /** Directory `name` hides what lower layers have in it. */
  | { kind: 'opaque'; name: string; st: Stats };

type EntryHeader = Partial<tar.Header> & { name: string };

// ustar's 6 octal digits for ids; beyond that only PAX can carry them.
const MAX_USTAR_ID = 0o777777;
const READ_CHUNK = 1 << 20;
// Reads kept in flight per file: one at a time leaves the disk idle while a
// chunk is hashed and written, which doubles a cold read's cost.
const READS_IN_FLIGHT = 4;
const EMPTY = Buffer.alloc(0);

/** A plain tar of everything below `dir` (not a layer: no deletions), names relative to it. */
export function packDirectory(dir: string): Readable {
  return packLayer((async function* () {
    for await (const { rel, path, st } of walkTree(dir)) yield { kind: 'entry' as const, name: rel, path, st };
  })());
}

/** `items` without those `skip` names by container path: left out before anything is read or packed. */
export async function* skipping(items: AsyncIterable<PackItem>, skip?: (path: string) => boolean): AsyncGenerator<PackItem> {
  for await (const item of items) if (!skip?.(`/${item.name}`)) yield item;
}

/** A tar stream of `items`, produced as the reader consumes it. */
export function packLayer(items: AsyncIterable<PackItem>): Readable {
  const pack = tar.pack();
  const out = new PassThrough();
  pack.on('error', (err: Error) => out.destroy(err));
  // A reader that goes away must stop the producer, which may be waiting on the pack.
  out.on('close', () => pack.destroy());
  pack.pipe(out);
  (async () => {
    const inodes = new Map<string, string>();
    for await (const item of items) {
      if (out.destroyed) return;
      await writeItem(pack, item, inodes);
      // Headers skip tar-stream's backpressure; bound the buffer here.
      if (out.writableNeedDrain) await Promise.race([once(out, 'drain'), once(out, 'close')]);
    }
    pack.finalize();
  })().catch((err: Error) => {
    pack.destroy(err);
    out.destroy(err);
  });
  return out;
}

async function writeItem(pack: tar.Pack, item: PackItem, inodes: Map<string, string>): Promise<void> {
  const { st } = item;
  const owner = { uid: st.uid, gid: st.gid, mtime: new Date(Math.floor(st.mtimeMs / 1000) * 1000) };
  if (item.kind === 'whiteout') {
    const slash = item.name.lastIndexOf('/') + 1;
    const name = item.name.slice(0, slash) + WHITEOUT_PREFIX + item.name.slice(slash);
    return addEntry(pack, { ...owner, name, type: 'file', mode: 0o600, size: 0 });
  }
  if (item.kind === 'opaque') {
    return addEntry(pack, { ...owner, name: `${item.name}/${OPAQUE_MARKER}`, type: 'file', mode: st.mode & 0o777, size: 0 });
  }

  const header: EntryHeader = { ...owner, name: item.name, mode: st.mode & 0o7777 };
  const pax = paxFromXattrs(readXattrs(item.path));
  if (st.uid > MAX_USTAR_ID) pax.uid = String(st.uid);
  if (st.gid > MAX_USTAR_ID) pax.gid = String(st.gid);
  if (Object.keys(pax).length > 0) Object.assign(header, { pax });

  const inode = `${st.dev}:${st.ino}`;
  const first = !st.isDirectory() && st.nlink > 1 ? inodes.get(inode) : undefined;
  if (first !== undefined) return addEntry(pack, { ...header, type: 'link', linkname: first });
  if (!st.isDirectory() && st.nlink > 1) inodes.set(inode, item.name);

  if (st.isDirectory()) return addEntry(pack, { ...header, name: `${item.name}/`, type: 'directory' });
  if (st.isSymbolicLink()) return addEntry(pack, { ...header, type: 'symlink', linkname: await readlink(item.path) });
  if (st.isFile()) return addFile(pack, { ...header, type: 'file', size: st.size }, item.path);
  const type = st.isCharacterDevice() ? 'character-device' : st.isBlockDevice() ? 'block-device' : st.isFIFO() ? 'fifo' : null;
  // Sockets belong to a running process, not to an image (Docker skips them too).
  if (type === null) return;
  return addEntry(pack, { ...header, type, devmajor: major(st.rdev), devminor: minor(st.rdev) });
}

/** Adds an entry without content (a 'file' one only completes once given its, empty, body). */
function addEntry(pack: tar.Pack, header: EntryHeader): Promise<void> {
  return new Promise((resolve, reject) => {
    quiet(pack.entry(header, EMPTY, (err) => (err ? reject(err) : resolve())));
  });
}

async function addFile(pack: tar.Pack, header: EntryHeader, path: string): Promise<void> {
  // O_NOFOLLOW: a running container may have swapped the file for a symlink since it was listed.
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  const reads: Promise<Buffer>[] = [];
  try {
    let entry!: Writable;
    const done = new Promise<void>((resolve, reject) => {
      entry = quiet(pack.entry(header, (err) => (err ? reject(err) : resolve()))) as unknown as Writable;
    });
    const size = header.size ?? 0;
    let next = 0;
    const readAhead = (): void => {
      for (; reads.length < READS_IN_FLIGHT && next < size; next += READ_CHUNK) {
        const read = readChunk(fh, path, next, Math.min(READ_CHUNK, size - next));
        // Its failure is met when it is awaited; until then it must not count as unhandled.
        read.catch(() => {});
        reads.push(read);
      }
    };
    readAhead();
    while (reads.length > 0) {
      const buf = await reads.shift()!;
      readAhead();
      // `done` rejects if the pack is torn down meanwhile, so this never waits forever.
      if (!entry.write(buf)) await Promise.race([once(entry, 'drain'), done]);
    }
    entry.end();
    await done;
  } finally {
    // Reads still in flight must end before their file is closed.
    await Promise.allSettled(reads);
    await fh.close();
  }
}

/**
 * `length` bytes at `pos`, in a buffer of their own since tar-stream keeps
 * what it is given (reading into a fresh one costs less than copying out of a
 * reused one).
 */
async function readChunk(fh: FileHandle, path: string, pos: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  for (let off = 0; off < length; ) {
    const { bytesRead } = await fh.read(buf, off, length - off, pos + off);
    if (bytesRead === 0) throw new Error(`${path} shrank while being archived`);
    off += bytesRead;
  }
  return buf;
}

// An entry's failure reaches its callback; as an 'error' event nobody hears
// it would take the process down.
function quiet<T extends { on(event: 'error', fn: () => void): unknown }>(sink: T): T {
  sink.on('error', () => {});
  return sink;
}
