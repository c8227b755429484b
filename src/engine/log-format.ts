// conmon's k8s-file log format: one record per line,
//   2026-11-25T07:35:02.663242949+00:00 stdout F message
// where F ends a line and P is a piece of a longer one. Pure parsing and
// rendering into docker's stream format.

const SPACE = 0x20;
const NL = 0x0a;
const F = 0x46;

/** Streams as docker numbers them in multiplexed frames. */
export const STDOUT = 1;
export const STDERR = 2;

/**
 * Visits each complete record in buf with offsets into it (no copies, so a
 * 200 MB log costs no garbage per line); returns how many bytes were
 * consumed. A record cut off at the end is left for the next call.
 */
export function scanRecords(
  buf: Buffer,
  visit: (stream: number, full: boolean, stampEnd: number, lineStart: number, msgStart: number, msgEnd: number) => void,
): number {
  let pos = 0;
  for (;;) {
    const nl = buf.indexOf(NL, pos);
    if (nl < 0) return pos;
    const s1 = buf.indexOf(SPACE, pos);
    const s2 = s1 < 0 || s1 > nl ? -1 : buf.indexOf(SPACE, s1 + 1);
    if (s2 > 0 && s2 < nl) {
      const stream = buf[s1 + 1] === 0x73 && buf[s1 + 4] === 0x65 ? STDERR : STDOUT; // "stderr" vs "stdout"
      const full = buf[s2 + 1] === F;
      // conmon writes an empty line as "ts stream F" with no space after the tag.
      const msgStart = s2 + 2 < nl ? s2 + 3 : nl;
      visit(stream, full, s1, pos, msgStart, nl);
    }
    pos = nl + 1;
  }
}

export interface RenderOptions {
  stdout: boolean;
  stderr: boolean;
  timestamps: boolean;
  /** Raw output (TTY containers) instead of 8-byte multiplexed frames. */
  tty: boolean;
  since?: number;
  until?: number;
}

/** Turns complete log records into what `logs`/`attach` send: framed, filtered, optionally timestamped. */
export function renderLog(buf: Buffer, o: RenderOptions): { out: Buffer; used: number } {
  // Output never outgrows input: a frame header (8) is shorter than " stdout F " (10).
  const out = Buffer.allocUnsafe(buf.length);
  let w = 0;
  let frameStart = -1;
  let frameStream = 0;
  const closeFrame = (): void => {
    if (frameStart >= 0) out.writeUInt32BE(w - frameStart - 8, frameStart + 4);
    frameStart = -1;
  };
  const filterTime = o.since !== undefined || o.until !== undefined;
  const used = scanRecords(buf, (stream, full, stampEnd, lineStart, msgStart, msgEnd) => {
    if (stream === STDOUT ? !o.stdout : !o.stderr) return;
    if (filterTime) {
      const ms = Date.parse(buf.toString('latin1', lineStart, stampEnd));
      if ((o.since !== undefined && ms < o.since) || (o.until !== undefined && ms > o.until)) return;
    }
    if (!o.tty && stream !== frameStream) {
      closeFrame();
      frameStart = w;
      frameStream = stream;
      out[w] = stream;
      out.fill(0, w + 1, w + 8);
      w += 8;
    }
    if (o.timestamps) {
      w += out.write(dockerTime(buf.toString('latin1', lineStart, stampEnd)), w, 'latin1');
      out[w++] = SPACE;
    }
    w += buf.copy(out, w, msgStart, msgEnd);
    if (full) out[w++] = NL;
  });
  closeFrame();
  return { out: out.subarray(0, w), used };
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
