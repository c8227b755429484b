// Shared by the storage tests: tars built in memory, temp dirs that go away
// whatever happens, and fingerprints of trees to prove nothing changed.
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { TestContext } from 'node:test';
import tar from 'tar-stream';
import { llistxattr, lgetxattr, unmount } from '../../src/storage/native.ts';

export type TarEntry = Partial<Omit<tar.Header, 'pax'>> & {
  name: string;
  content?: string | Buffer;
  pax?: Record<string, string>;
};

/** A tar of `entries`, in order; `content` makes a file entry unless `type` says otherwise. */
export async function tarOf(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const { content, ...header } of entries) {
    await new Promise<void>((resolve, reject) => {
      pack.entry(header, content ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export function streamOf(buf: Buffer): Readable {
  return Readable.from([buf]);
}

export interface ReadEntry {
  header: tar.Header & { pax?: Record<string, string> | null };
  body: Buffer;
}

/** Every entry of a tar stream, with its content. */
export async function readTar(stream: Readable): Promise<ReadEntry[]> {
  const extract = tar.extract();
  stream.pipe(extract as unknown as NodeJS.WritableStream);
  const out: ReadEntry[] = [];
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry as AsyncIterable<Buffer>) chunks.push(chunk);
    out.push({ header: entry.header as ReadEntry['header'], body: Buffer.concat(chunks) });
  }
  return out;
}

/** A fresh directory, removed (after unmounting `mounts`) when the test ends, passed or not. */
export async function tempDir(t: TestContext, mounts: string[] = []): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-storage-'));
  t.after(async () => {
    for (const m of mounts) unmount(m);
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

/**
 * Everything observable about a tree: types, modes, owners, times, contents,
 * link targets, xattrs. `tarTimes`: what a tar keeps (whole seconds, not the
 * root directory's own times).
 */
export function fingerprint(dir: string, tarTimes = false): string {
  const lines: string[] = [];
  const walk = (path: string, rel: string): void => {
    const st = lstatSync(path);
    const xattrs = llistxattr(path)
      .sort()
      .map((n) => `${n}=${lgetxattr(path, n)?.toString('hex')}`)
      .join(',');
    let what = '';
    if (st.isFile()) what = createHash('sha256').update(readFileSync(path)).digest('hex');
    if (st.isSymbolicLink()) what = readlinkSync(path);
    const mtime = tarTimes ? (rel === '.' ? '-' : Math.floor(st.mtimeMs / 1000)) : st.mtimeMs;
    lines.push(`${rel} ${st.mode} ${st.uid}:${st.gid} ${st.nlink} ${mtime} ${st.rdev} ${what} ${xattrs}`);
    if (st.isDirectory()) for (const name of readdirSync(path).sort()) walk(join(path, name), `${rel}/${name}`);
  };
  walk(dir, '.');
  return lines.join('\n');
}
