// docker's hijackedIOStreamer: copies local stdin up a hijacked connection
// and its output down to stdout/stderr (demultiplexed unless there is a TTY),
// with the TTY's raw mode and the ctrl-p,ctrl-q detach sequence.
import type { Writable } from 'node:stream';
import type { Hijacked } from '../client/client.ts';
import { Demuxer, STDERR, SYSERR } from '../client/stdcopy.ts';
import type { Context } from './command.ts';

const CTRL = ['@', ...'abcdefghijklmnopqrstuvwxyz', '[', '\\', ']', '^', '_'];

/** term.ToBytes: "ctrl-p,ctrl-q" → [16, 17]. */
export function parseDetachKeys(keys: string): number[] {
  return keys.split(',').map((key) => {
    if (key.length === 1) return key.charCodeAt(0);
    const i = key.startsWith('ctrl-') ? CTRL.indexOf(key.slice(5)) : -1;
    if (i >= 0 && key.length === 6) return i;
    if (key === 'DEL') return 127;
    throw new Error(`Unknown character: '${key}'`);
  });
}

const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** Thrown when the user typed the detach sequence; the container keeps running. */
export class DetachedError extends Error {
  constructor() {
    super('read escape sequence');
  }
}

/** Watches typed bytes for the detach sequence, holding back a partial match as docker's EscapeProxy does. */
export class EscapeScanner {
  private matched = 0;
  private readonly keys: number[];

  constructor(keys: number[]) {
    this.keys = keys;
  }

  /** Bytes to forward, or null once the whole sequence was typed. */
  scan(chunk: Buffer): Buffer | null {
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.matched]) {
        if (++this.matched === this.keys.length) return null;
        continue;
      }
      // A broken prefix is sent after all.
      out.push(...this.keys.slice(0, this.matched));
      this.matched = 0;
      if (byte === this.keys[0]) this.matched = 1;
      else out.push(byte);
    }
    return Buffer.from(out);
  }
}

export interface StreamIo {
  tty: boolean;
  stdin: Context['stdin'] | null;
  stdout: Writable | null;
  stderr: Writable | null;
  detachKeys?: string;
}

/** Streams until the output ends; rejects with DetachedError on the detach sequence. */
export function streamHijacked(h: Hijacked, io: StreamIo): Promise<void> {
  return new Promise((resolve, reject) => {
    let finished = false;
    const restore: (() => void)[] = [];
    const finish = (err?: Error): void => {
      if (finished) return;
      finished = true;
      for (const r of restore) r();
      if (err) reject(err);
      else resolve();
    };

    const demux = new Demuxer((stream, payload) => {
      if (stream === SYSERR) return finish(new Error(payload.toString()));
      (stream === STDERR ? io.stderr : io.stdout)?.write(payload);
    });
    h.output.on('data', (chunk: Buffer) => {
      if (io.tty) io.stdout?.write(chunk);
      else {
        try {
          demux.push(chunk);
        } catch (e) {
          finish(e as Error);
        }
      }
    });
    h.output.on('end', () => finish());
    h.output.on('close', () => finish());
    h.output.on('error', (e) => finish(e));

    const stdin = io.stdin;
    const up = h.input;
    if (!stdin || !up) return;
    let scanner: EscapeScanner | null = null;
    if (io.tty && stdin.isTTY && stdin.setRawMode) {
      stdin.setRawMode(true);
      restore.push(() => stdin.setRawMode?.(false));
      let keys: number[];
      try {
        keys = parseDetachKeys(io.detachKeys || DEFAULT_DETACH_KEYS);
      } catch {
        keys = parseDetachKeys(DEFAULT_DETACH_KEYS);
      }
      scanner = new EscapeScanner(keys);
    }
    const onData = (chunk: Buffer): void => {
      const out = scanner ? scanner.scan(chunk) : chunk;
      if (out === null) {
        h.close();
        finish(new DetachedError());
      } else if (out.length && !up.write(out)) {
        stdin.pause();
        up.once('drain', () => stdin.resume());
      }
    };
    // Closing our side tells the container its stdin ended; output keeps flowing.
    const onEnd = (): void => {
      if (!finished) up.end();
    };
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    restore.push(() => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.pause();
    });
  });
}

/** Keeps the container's TTY size in step with ours. */
export function monitorTtySize(stdout: Context['stdout'], resize: (h: number, w: number) => Promise<void>): void {
  if (!stdout.isTTY) return;
  const send = (): void => {
    if (stdout.rows && stdout.columns) resize(stdout.rows, stdout.columns).catch(() => {});
  };
  send();
  stdout.on('resize', send);
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/** docker's --sig-proxy: signals the CLI receives go to the container instead. */
export function forwardSignals(kill: (signal: string) => Promise<void>): () => void {
  const handlers = FORWARDED.map((sig) => {
    const fn = (): void => {
      kill(sig.slice(3)).catch(() => {});
    };
    process.on(sig, fn);
    return [sig, fn] as const;
  });
  return () => {
    for (const [sig, fn] of handlers) process.off(sig, fn);
  };
}
