// Reads a container's log for `logs` and `attach`: optionally the last N
// records, optionally following new records until the container stops.
import { open, stat, watch } from 'node:fs/promises';
import { parseLogLines, type LogEntry } from './log-format.ts';

export interface ReadLogOptions {
  since?: number;
  until?: number;
  /** Only the last N records (undefined: all). */
  tail?: number;
  /** Start at this byte offset (attach: only what comes after it). */
  offset?: number;
  follow: boolean;
  /** True once the container has stopped and its log is complete. */
  done: () => boolean;
  /** Resolves when the container stops (or the reader should give up). */
  stopped: Promise<void>;
  signal?: AbortSignal;
}

const CHUNK = 1 << 20;

async function tailOffset(path: string, lines: number): Promise<number> {
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
        if (++count === lines) return pos + i + 1;
      }
    }
    return 0;
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

export async function* readLog(path: string, opts: ReadLogOptions): AsyncGenerator<LogEntry[]> {
  let offset = opts.offset !== undefined ? opts.offset : opts.tail !== undefined ? (opts.tail === 0 ? await sizeOf(path) : await tailOffset(path, opts.tail).catch(() => 0)) : 0;
  let rest = Buffer.alloc(0);
  const buf = Buffer.alloc(CHUNK);
  for (;;) {
    let fh;
    try {
      fh = await open(path, 'r');
    } catch {
      fh = undefined;
    }
    if (fh) {
      try {
        const { size } = await fh.stat();
        // conmon truncates the log when it reaches its size limit.
        if (size < offset) {
          offset = 0;
          rest = Buffer.alloc(0);
        }
        while (offset < size) {
          const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, size - offset), offset);
          if (bytesRead === 0) break;
          offset += bytesRead;
          const data = rest.length ? Buffer.concat([rest, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
          const entries: LogEntry[] = [];
          const used = parseLogLines(data, entries);
          rest = Buffer.from(data.subarray(used));
          const picked = entries.filter((e) => (opts.since === undefined || e.ms >= opts.since) && (opts.until === undefined || e.ms <= opts.until));
          // Entries point into the read buffer, which the next read reuses.
          if (picked.length) yield picked.map((e) => ({ ...e, data: Buffer.from(e.data) }));
        }
      } finally {
        await fh.close();
      }
    }
    if (!opts.follow || opts.signal?.aborted) return;
    if (opts.done()) {
      if (offset >= (await sizeOf(path))) return;
      continue;
    }
    await waitForChange(path, opts.stopped, opts.signal);
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
