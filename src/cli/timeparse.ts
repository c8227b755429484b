// Time arguments as docker accepts them: Go durations ("1h30m"), RFC 3339
// timestamps with or without zone, dates, and unix timestamps — turned into
// the "seconds[.nanos]" strings the API's since/until parameters take.

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** time.ParseDuration, in nanoseconds. */
export function parseDuration(s: string): number {
  const bad = (): Error => new Error(`time: invalid duration ${JSON.stringify(s)}`);
  let rest = s;
  let sign = 1;
  if (rest[0] === '-' || rest[0] === '+') {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw bad();
  let total = 0;
  while (rest) {
    const m = /^(\d*(?:\.\d*)?)(ns|us|µs|μs|ms|s|m|h)?/.exec(rest);
    if (!m || m[1] === '' || m[1] === '.') throw bad();
    if (!m[2]) throw new Error(`time: missing unit in duration ${JSON.stringify(s)}`);
    total += Number(m[1]) * UNIT_NS[m[2]]!;
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/**
 * docker's GetTimestamp: a duration counts back from `now`; a timestamp
 * without zone is local time; anything else must be a unix timestamp.
 */
export function getTimestamp(value: string, now: Date = new Date()): string {
  if (value !== '0') {
    try {
      const ns = parseDuration(value);
      return String(Math.floor((now.getTime() - ns / 1e6) / 1000));
    } catch {
      // not a duration
    }
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2}))?(?::(\d{2}))?(\.\d+)?)?(Z|z|[+-]\d{2}:\d{2})?$/.exec(value);
  if (m) {
    const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', zone] = m;
    let ms = Date.UTC(+y!, +mo! - 1, +d!, +h, +mi, +sec);
    if (!zone) ms += new Date(ms).getTimezoneOffset() * 60_000;
    else if (zone !== 'Z' && zone !== 'z') {
      const sign = zone[0] === '-' ? -1 : 1;
      ms -= sign * (+zone.slice(1, 3) * 60 + +zone.slice(4, 6)) * 60_000;
    }
    const nanos = frac ? frac.slice(1).padEnd(9, '0').slice(0, 9) : '000000000';
    return `${Math.floor(ms / 1000)}.${nanos}`;
  }
  if (value.includes('-')) throw new Error(`parsing time "${value}": cannot parse as RFC 3339 timestamp`);
  if (!/^\d+(\.\d{1,9})?$/.test(value)) throw new Error(`failed to parse value as time or duration: "${value}"`);
  return value;
}

/** Go's "-0700" for an offset in minutes. */
function numericZone(off: number): string {
  return (off < 0 ? '-' : '+') + pad(Math.trunc(Math.abs(off) / 60)) + pad(Math.abs(off) % 60);
}

/** The local zone's name at d, as Go's "MST" prints it. */
function localZoneName(d: Date): string {
  const abbr = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '';
  return abbr === 'GMT' && d.getTimezoneOffset() === 0 ? 'UTC' : abbr;
}

/** Go's time.Time.String() in local time: "2006-01-02 15:04:05 -0700 MST". */
export function goTimeString(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  return `${localDate(d)} ${localTime(d)} ${numericZone(-d.getTimezoneOffset())} ${localZoneName(d)}`;
}

/**
 * time.Time.String() of an RFC 3339 timestamp the way Go decodes it: in its
 * own offset, named like the local zone when the offsets agree, else
 * "+0200 +0200" as Go prints a zone it made up.
 */
export function goTimeStringOf(rfc3339: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(rfc3339);
  if (!m) return rfc3339;
  const [, date, time, frac = '', zone] = m;
  const fraction = frac.slice(0, 9).replace(/0+$/, '');
  const clock = `${date} ${time}${fraction ? '.' + fraction : ''}`;
  if (zone === 'Z') return `${clock} +0000 UTC`;
  const off = (zone![0] === '-' ? -1 : 1) * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(4, 6)));
  const instant = new Date(Date.parse(rfc3339));
  const name = -instant.getTimezoneOffset() === off ? localZoneName(instant) : numericZone(off);
  return `${clock} ${numericZone(off)} ${name}`;
}

/** time.Format(RFC3339) in local time; with nanos, docker's RFC3339NanoFixed (events). */
export function rfc3339Local(unixSeconds: number, nanos?: number): string {
  const d = new Date(unixSeconds * 1000);
  const off = -d.getTimezoneOffset();
  const zone = off === 0 ? 'Z' : `${off < 0 ? '-' : '+'}${pad(Math.trunc(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  const frac = nanos === undefined ? '' : `.${pad(nanos, 9)}`;
  return `${localDate(d)}T${localTime(d)}${frac}${zone}`;
}

function localDate(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function localTime(d: Date): string {
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
