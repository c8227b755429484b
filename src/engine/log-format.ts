// conmon's k8s-file log format: one record per line,
//   2026-11-25T07:35:02.663242949+00:00 stdout F message
// where F ends a line and P is a piece of a longer one. Pure parsing only.

export interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** Nanosecond-resolution timestamp as docker prints it (RFC3339Nano, UTC, "Z"). */
  time: string;
  /** Milliseconds since the epoch, for since/until filters. */
  ms: number;
  /** The bytes the process wrote (newline included when the record was an F). */
  data: Buffer;
}

const SPACE = 0x20;
const NL = 0x0a;

/** Parses the complete lines in buf; returns the entries and how many bytes were consumed. */
export function parseLogLines(buf: Buffer, out: LogEntry[]): number {
  let pos = 0;
  for (;;) {
    const nl = buf.indexOf(NL, pos);
    if (nl < 0) return pos;
    const s1 = buf.indexOf(SPACE, pos);
    const s2 = s1 < 0 ? -1 : buf.indexOf(SPACE, s1 + 1);
    const s3 = s2 < 0 ? -1 : buf.indexOf(SPACE, s2 + 1);
    if (s3 > 0 && s3 < nl) {
      const stamp = buf.toString('latin1', pos, s1);
      const stream = buf.toString('latin1', s1 + 1, s2) === 'stderr' ? 'stderr' : 'stdout';
      const full = buf[s2 + 1] === 0x46; // 'F'
      const data = full ? buf.subarray(s3 + 1, nl + 1) : buf.subarray(s3 + 1, nl);
      out.push({ stream, time: dockerTime(stamp), ms: Date.parse(stamp), data });
    } else if (s2 > 0 && s2 < nl && nl === s2 + 2) {
      // An empty F line: conmon writes "ts stream F" with no trailing space.
      const stamp = buf.toString('latin1', pos, s1);
      const stream = buf.toString('latin1', s1 + 1, s2) === 'stderr' ? 'stderr' : 'stdout';
      out.push({ stream, time: dockerTime(stamp), ms: Date.parse(stamp), data: Buffer.from('\n') });
    }
    pos = nl + 1;
  }
}

/** "2026-11-25T07:35:02.663242949+00:00" → "2026-11-25T07:35:02.663242949Z". */
export function dockerTime(stamp: string): string {
  if (stamp.endsWith('+00:00')) return stamp.slice(0, -6) + 'Z';
  const m = /^(.*?)(\.\d+)?([+-]\d\d:\d\d|Z)$/.exec(stamp);
  if (!m) return stamp;
  // Shift by the offset in whole seconds through Date, then put the fraction back.
  const utc = new Date(Date.parse(`${m[1]}${m[3]}`)).toISOString().slice(0, 19);
  return `${utc}${m[2] ?? ''}Z`;
}

/** Docker's `since`/`until` values: unix seconds with optional fraction. */
export function parseUnixTime(v: string | undefined): number | undefined {
  if (v === undefined || v === '' || v === '0') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`invalid time value: ${v}`);
  return n * 1000;
}
