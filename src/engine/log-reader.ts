// Reads a container's log for `logs` and `attach`: optionally the last N
// records, optionally following new records until the container stops.
import { open, readdir, stat, watch } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

export interface ReadLogOptions {
  /** Only the last N records (undefined: all). */
  tail?: number;
  /** Start at this byte offset (attach: only what comes after it). */
  offset?: number;
  follow: boolean;
  /** True once the container has stopped and its log is complete. */
  done: () => boolean;
  /** Resolves when the container stops (or the reader should give up). */
  stopped: () => Promise<void>;
  signal?: AbortSignal;
}

const CHUNK = 1 << 20;

/** Where the last `lines` records of a file start, and how many it holds (≤ lines). */
async function tailOffset(path: string, lines: number): Promise<{ offset: number; count: number }> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    let pos = size;
    let count = 0;
    const buf = Buffer.alloc(64 * 1024);
    while (pos > 0) {
      const len = Math.min(buf.length, pos);
      pos -= len;
      await fh.read(buf, 0, len, pos);
      for (let i = len - 1; i >= 0; i--) {
        if (buf[i] !== 0x0a) continue;
        // The newline that ends the file does not start a record.
        if (pos + i === size - 1) continue;
        if (++count === lines) return { offset: pos + i + 1, count };
      }
    }
    return { offset: 0, count: size > 0 ? count + 1 : 0 };
  } finally {
    await fh.close();
  }
}

export async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** Rotated files of a log, oldest first: log.N … log.1. */
export async function rotatedFiles(path: string): Promise<string[]> {
  const dir = dirname(path);
  const base = basename(path);
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .map((n) => (n.startsWith(`${base}.`) ? Number(n.slice(base.length + 1)) : NaN))
    .filter((n) => Number.isInteger(n) && n > 0)
    .sort((a, b) => b - a)
    .map((n) => `${path}.${n}`);
}

/** The files to read and where to start in the first: everything, or the last `tail` records. */
async function startPoint(path: string, tail: number | undefined): Promise<{ files: string[]; offset: number }> {
  const files = [...(await rotatedFiles(path)), path];
  if (tail === undefined) return { files, offset: 0 };
  if (tail === 0) return { files: [path], offset: await sizeOf(path) };
  let wanted = tail;
  for (let i = files.length - 1; i >= 0; i--) {
    const { offset, count } = await tailOffset(files[i]!, wanted).catch(() => ({ offset: 0, count: 0 }));
    if (count >= wanted || i === 0) return { files: files.slice(i), offset };
    wanted -= count;
  }
  return { files, offset: 0 };
}

/**
 * Reads one file from `offset` to its current end, yielding runs of complete
 * records. A yielded buffer is valid until the next iteration (it is reused).
 */
async function* readFile(path: string, offset: number, buf: Buffer): AsyncGenerator<Buffer, number> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return offset;
  }
  try {
    const { size } = await fh.stat();
    // conmon truncates the log when it reaches its own size limit.
    if (size < offset) offset = 0;
    while (offset < size) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, size - offset), offset);
      // A record cut off by the end of what is written so far is read again next time
      // (conmon splits long lines, so a record is far smaller than a chunk).
      const used = buf.lastIndexOf(0x0a, bytesRead - 1) + 1;
      if (used === 0) break;
      offset += used;
      yield buf.subarray(0, used);
    }
    return offset;
  } finally {
    await fh.close();
  }
}

async function inodeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).ino;
  } catch {
    return undefined;
  }
}

/** Complete log records (raw k8s-file lines), oldest first; see readFile for buffer lifetime. */
export async function* readLog(path: string, opts: ReadLogOptions): AsyncGenerator<Buffer> {
  const buf = Buffer.alloc(CHUNK);
  const start = opts.offset !== undefined ? { files: [path], offset: opts.offset } : await startPoint(path, opts.tail);
  let offset = start.offset;
  for (const file of start.files.slice(0, -1)) {
    yield* readFile(file, offset, buf);
    offset = 0;
  }
  let ino = await inodeOf(path);
  for (;;) {
    const now = await inodeOf(path);
    if (ino !== undefined && now !== ino) {
      // Rotated under us: finish the old file (now log.1), then start the new one.
      if ((await inodeOf(`${path}.1`)) === ino) yield* readFile(`${path}.1`, offset, buf);
      offset = 0;
    }
    ino = now;
    offset = yield* readFile(path, offset, buf);
    if (!opts.follow || opts.signal?.aborted) return;
    if (opts.done()) {
      if (offset >= (await sizeOf(path)) && (await inodeOf(path)) === ino) return;
      continue;
    }
    await waitForChange(path, opts.stopped(), opts.signal);
  }
}

async function waitForChange(path: string, stopped: Promise<void>, signal?: AbortSignal): Promise<void> {
  const ac = new AbortController();
  const abort = (): void => ac.abort();
  signal?.addEventListener('abort', abort, { once: true });
  try {
    const watcher = (async () => {
      try {
        for await (const _ of watch(path, { signal: ac.signal })) return;
      } catch {
        // The file may not exist yet (container not started): poll instead.
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await Promise.race([watcher, stopped, new Promise((r) => setTimeout(r, 1000))]);
  } finally {
    ac.abort();
    signal?.removeEventListener('abort', abort);
  }
}
