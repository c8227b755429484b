// docker's ContainerPathStat, the X-Docker-Container-Path-Stat header of the
// archive endpoints: the file's mode as Go's os.FileMode (type bits high,
// permission bits low) and its mtime as Go marshals a time.Time.
import type { BigIntStats } from 'node:fs';
import { posix } from 'node:path';

export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

// os.FileMode bits; past 2^31, so built with arithmetic, not shifts.
const MODE_DIR = 2 ** 31;
const MODE_SYMLINK = 2 ** 27;
const MODE_DEVICE = 2 ** 26;
const MODE_NAMED_PIPE = 2 ** 25;
const MODE_SOCKET = 2 ** 24;
const MODE_SETUID = 2 ** 23;
const MODE_SETGID = 2 ** 22;
const MODE_CHAR_DEVICE = 2 ** 21;
const MODE_STICKY = 2 ** 20;

export function pathStat(name: string, st: BigIntStats, linkTarget: string): PathStat {
  return { name, size: Number(st.size), mode: goFileMode(st), mtime: goTime(st.mtimeNs), linkTarget };
}

/** Go's os.FileMode of a stat result. */
export function goFileMode(st: BigIntStats): number {
  const mode = Number(st.mode);
  let m = mode & 0o777;
  if (st.isDirectory()) m += MODE_DIR;
  else if (st.isSymbolicLink()) m += MODE_SYMLINK;
  else if (st.isFIFO()) m += MODE_NAMED_PIPE;
  else if (st.isSocket()) m += MODE_SOCKET;
  else if (st.isBlockDevice()) m += MODE_DEVICE;
  else if (st.isCharacterDevice()) m += MODE_DEVICE + MODE_CHAR_DEVICE;
  if (mode & 0o4000) m += MODE_SETUID;
  if (mode & 0o2000) m += MODE_SETGID;
  if (mode & 0o1000) m += MODE_STICKY;
  return m;
}

/** A time in nanoseconds as Go's RFC3339Nano in UTC: the fraction without trailing zeros, none when whole. */
export function goTime(ns: bigint): string {
  const seconds = ns / 1_000_000_000n;
  const fraction = ns % 1_000_000_000n;
  const whole = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return fraction === 0n ? `${whole}Z` : `${whole}.${fraction.toString().padStart(9, '0').replace(/0+$/, '')}Z`;
}

/**
 * The name docker gives a requested path (filepath.Base of it made
 * absolute): `.` when it names a directory's contents ("dir/."), `/` for
 * the root, else its last component.
 */
export function archiveName(path: string): string {
  if (path === '.' || path.endsWith('/.')) return '.';
  return posix.basename(posix.resolve('/', path)) || '/';
}
