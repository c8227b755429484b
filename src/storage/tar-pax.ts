// Byte-exact xattrs in tar-stream's PAX records.
//
// tar-stream reads and writes PAX records as UTF-8 strings, which mangles
// binary values: a `security.capability` with a byte >= 0x80 (any capability
// bit 7 of a byte, e.g. CAP_SETUID) comes out as U+FFFD. Go's archive/tar and
// GNU tar write those values raw. tar-stream has no hook for this, so we swap
// its PAX codec for one that keeps `SCHILY.xattr.*` values as latin1 strings
// (one char per byte) and leaves every other record as it was.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const XATTR_PAX_PREFIX = 'SCHILY.xattr.';

const require = createRequire(import.meta.url);
// Not in the package's exports map, so load it by file name: the same module
// instance extract.js and pack.js call through.
const headers = require(join(dirname(require.resolve('tar-stream')), 'headers.js')) as {
  decodePax: unknown;
  encodePax: unknown;
};
if (typeof headers.decodePax !== 'function' || typeof headers.encodePax !== 'function') {
  throw new Error('tar-stream internals changed: headers.decodePax/encodePax not found');
}

const valueEncoding = (key: string): BufferEncoding => (key.startsWith(XATTR_PAX_PREFIX) ? 'latin1' : 'utf8');

function decodePax(buf: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let off = 0;
  while (off < buf.length) {
    const space = buf.indexOf(0x20, off);
    if (space < 0) break;
    const len = Number.parseInt(buf.toString('latin1', off, space), 10);
    if (!(len > 0) || off + len > buf.length) break;
    const record = buf.subarray(space + 1, off + len - 1); // drops the trailing '\n'
    const eq = record.indexOf(0x3d);
    if (eq < 0) break;
    const key = record.toString('utf8', 0, eq);
    out[key] = record.toString(valueEncoding(key), eq + 1);
    off += len;
  }
  return out;
}

function paxRecord(key: string, value: Buffer): Buffer {
  // "<len> <key>=<value>\n" where <len> counts its own digits.
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length > len) len++;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

function encodePax(opts: { name?: string; linkname?: string | null; pax?: Record<string, string> | null }): Buffer {
  const records: Buffer[] = [];
  if (opts.name) records.push(paxRecord('path', Buffer.from(opts.name)));
  if (opts.linkname) records.push(paxRecord('linkpath', Buffer.from(opts.linkname)));
  for (const [key, value] of Object.entries(opts.pax ?? {})) {
    records.push(paxRecord(key, Buffer.from(value, valueEncoding(key))));
  }
  return Buffer.concat(records);
}

headers.decodePax = decodePax;
headers.encodePax = encodePax;

/** The xattrs carried by an entry's PAX records. */
export function xattrsFromPax(pax: Record<string, string> | null | undefined): [string, Buffer][] {
  if (!pax) return [];
  return Object.entries(pax)
    .filter(([key]) => key.startsWith(XATTR_PAX_PREFIX))
    .map(([key, value]) => [key.slice(XATTR_PAX_PREFIX.length), Buffer.from(value, 'latin1')]);
}

/** PAX records carrying `xattrs`. */
export function paxFromXattrs(xattrs: Iterable<[string, Buffer]>): Record<string, string> {
  const pax: Record<string, string> = {};
  for (const [name, value] of xattrs) pax[XATTR_PAX_PREFIX + name] = value.toString('latin1');
  return pax;
}
