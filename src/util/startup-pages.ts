// Start-up touches far more of the node executable than a running daemon
// uses again: module loading, compiling and type stripping fault in code and
// data all over its ~125 MB, and the kernel maps up to 64 KB around every
// fault. Those pages stay mapped, so they count in berthd's resident memory
// for as long as it runs (~50 MB here, of which ~25 MB is used again).
// Dropping the mappings once start-up is over leaves only what later work
// faults back in. The pages stay in the page cache: re-mapping one is a minor
// fault, and other node processes keep sharing them.
import { readFileSync, readlinkSync } from 'node:fs';
import { libc } from './libc.ts';

const madvise = libc.func('int madvise(uintptr_t addr, size_t length, int advice)');
const MADV_DONTNEED = 4;

export interface Mapping {
  start: number;
  end: number;
  perms: string;
  path: string;
  /** kB of the mapping that are private copies (written once, e.g. relocated data): those must never be dropped. */
  anonymousKb: number;
}

/** The mappings in /proc/<pid>/smaps text. */
export function parseSmaps(text: string): Mapping[] {
  const out: Mapping[] = [];
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      out.push({ start: parseInt(head[1]!, 16), end: parseInt(head[2]!, 16), perms: head[3]!, path: head[4]!, anonymousKb: 0 });
      continue;
    }
    const anon = /^Anonymous:\s+(\d+) kB/.exec(line);
    if (anon && out.length > 0) out.at(-1)!.anonymousKb = Number(anon[1]);
  }
  return out;
}

/**
 * The mappings of `exe` that can be dropped and re-read from the file as
 * they were: never writable, with no page privately copied. Dropping a
 * writable or copied page would lose what was written to it.
 */
export function droppable(maps: Mapping[], exe: string): Mapping[] {
  return maps.filter((m) => m.path === exe && m.perms[1] === '-' && m.anonymousKb === 0);
}

/** Unmaps the executable's droppable pages (those used again fault back in); returns the bytes of mappings covered. */
export function dropExecutablePages(): number {
  const maps = droppable(parseSmaps(readFileSync('/proc/self/smaps', 'utf8')), readlinkSync('/proc/self/exe'));
  let bytes = 0;
  for (const m of maps) {
    if (madvise(m.start, m.end - m.start, MADV_DONTNEED) === 0) bytes += m.end - m.start;
  }
  return bytes;
}
