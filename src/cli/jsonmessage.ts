// docker's jsonmessage display: progress streams from pull, load and import.
// On a terminal, lines with an id are rewritten in place; elsewhere progress
// bars are dropped and statuses printed one per line.
import type { Readable, Writable } from 'node:stream';
import { jsonObjects } from '../client/jsonstream.ts';
import type { JsonMessage } from '../client/types.ts';
import { humanSize } from './units.ts';

/** A stream message that carried an error; its text is the daemon's. */
export class JsonMessageError extends Error {}

export function progressText(m: JsonMessage, width: number): string {
  const d = m.progressDetail;
  if (!d || ((d.current ?? 0) <= 0 && (d.total ?? 0) <= 0)) return m.progress ?? '';
  const current = d.current ?? 0;
  const total = d.total ?? 0;
  if (total <= 0) return humanSize(current).padStart(8);
  const pct = Math.min(Math.trunc((current / total) * 100) / 2, 50);
  const bar = width > 110 ? `[${'='.repeat(Math.trunc(pct))}>${' '.repeat(Math.max(50 - Math.trunc(pct), 0))}] ` : '';
  const numbers = current > total ? humanSize(current).padStart(8) : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return bar + numbers;
}

function display(m: JsonMessage, out: Writable, tty: boolean, width: number): void {
  if (m.errorDetail || m.error) throw new JsonMessageError(m.errorDetail?.message ?? m.error ?? '');
  const progress = progressText(m, width);
  let endl = '';
  if (tty && !m.stream && progress) {
    out.write('\x1b[2K\r');
    endl = '\r';
  } else if (progress) {
    return;
  }
  let line = '';
  if (m.id) line += `${m.id}: `;
  if (progress && tty) line += `${m.status ?? ''} ${progress}${endl}`;
  else if (m.stream) line += `${m.stream}${endl}`;
  else line += `${m.status ?? ''}${endl}\n`;
  out.write(line);
}

export interface DisplayOptions {
  tty: boolean;
  width?: number;
  /** Messages with an "aux" payload (image IDs) go here instead of the output. */
  onAux?: (aux: unknown) => void;
}

/** jsonmessage.DisplayJSONMessagesStream. */
export async function displayJsonMessages(stream: Readable, out: Writable, opts: DisplayOptions): Promise<void> {
  const width = opts.width ?? 80;
  const ids = new Map<string, number>();
  for await (const m of jsonObjects<JsonMessage>(stream)) {
    if (m.aux !== undefined) {
      opts.onAux?.(m.aux);
      continue;
    }
    let diff = 0;
    if (m.id && (m.progressDetail || m.progress)) {
      let line = ids.get(m.id);
      if (line === undefined) {
        line = ids.size;
        ids.set(m.id, line);
        if (opts.tty) out.write('\n');
      }
      diff = ids.size - line;
      if (opts.tty) out.write(`\x1b[${diff}A`);
    } else {
      ids.clear();
    }
    display(m, out, opts.tty, width);
    if (m.id && opts.tty && diff) out.write(`\x1b[${diff}B`);
  }
}
