// Streams of JSON objects (progress of load/import/pull, events). The daemon
// writes one object per line, but Go's decoder also accepts objects written
// back to back, so objects are cut at their closing brace, not at newlines.
import type { Readable } from 'node:stream';

/** JSON.parse's reviver with ES2025's source text, which keeps int64 values such as timeNano exact. */
export type Reviver = (key: string, value: unknown, context: { source?: string }) => unknown;

export async function* jsonObjects<T = unknown>(stream: Readable, reviver?: Reviver): AsyncGenerator<T> {
  let text = '';
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  let scanned = 0;
  for await (const chunk of stream) {
    text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    for (let i = scanned; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '{' || c === '[') {
        if (depth++ === 0) start = i;
      } else if ((c === '}' || c === ']') && --depth === 0) {
        yield JSON.parse(text.slice(start, i + 1), reviver as Parameters<typeof JSON.parse>[1]) as T;
        text = text.slice(i + 1);
        i = -1;
        start = -1;
      }
    }
    scanned = text.length;
  }
  if (text.trim()) throw new Error(`unexpected end of JSON stream: ${text.trim().slice(0, 80)}`);
}
