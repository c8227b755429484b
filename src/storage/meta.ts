// Ownership, mode, xattrs and times of one filesystem entry, applied in the
// only order that keeps them all: chown clears setuid/setgid bits and
// security.capability, so mode and xattrs come after it; anything written
// into an entry bumps its mtime, so times come last.
import { chmodSync, fchmodSync, fchownSync, futimesSync, lchownSync, lutimesSync, type Stats } from 'node:fs';
import { lgetxattr, llistxattr, lsetxattr } from './native.ts';
import { isOverlayPrivateXattr } from './whiteout.ts';

export interface Meta {
  uid: number;
  gid: number;
  /** Permission bits incl. setuid/setgid/sticky. */
  mode: number;
  /** Seconds since the epoch (fractions kept). */
  mtime: number;
  xattrs: [string, Buffer][];
}

/** What applyMeta works on: a path (never following a final symlink), or an open fd, which saves the path lookups. */
export type MetaTarget = { path: string; symlink?: boolean; fd?: number };

/** Applies `meta`; `times: false` leaves times for later (directories, whose children are still to come). */
export function applyMeta(target: MetaTarget, meta: Meta, times = true): void {
  const { path, fd } = target;
  if (fd !== undefined) fchownSync(fd, meta.uid, meta.gid);
  else lchownSync(path, meta.uid, meta.gid);
  // Linux has no lchmod; a symlink's mode is always 0777 anyway.
  if (fd !== undefined) fchmodSync(fd, meta.mode & 0o7777);
  else if (!target.symlink) chmodSync(path, meta.mode & 0o7777);
  setXattrs(path, meta.xattrs);
  if (!times) return;
  if (fd !== undefined) futimesSync(fd, meta.mtime, meta.mtime);
  else setTimes(path, meta.mtime);
}

export function setTimes(path: string, mtime: number): void {
  lutimesSync(path, mtime, mtime);
}

function setXattrs(path: string, xattrs: [string, Buffer][]): void {
  for (const [name, value] of xattrs) {
    if (isOverlayPrivateXattr(name)) continue;
    try {
      lsetxattr(path, name, value);
    } catch (err) {
      // As Docker: a filesystem without xattrs, or user.* on a symlink, is
      // not a reason to fail the layer.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EOPNOTSUPP' && code !== 'EPERM') throw err;
    }
  }
}

/** The entry's xattrs, minus overlayfs' own. */
export function readXattrs(path: string): [string, Buffer][] {
  const out: [string, Buffer][] = [];
  for (const name of llistxattr(path)) {
    if (isOverlayPrivateXattr(name)) continue;
    const value = lgetxattr(path, name);
    if (value !== null) out.push([name, value]);
  }
  return out;
}

/** `path`'s metadata as applyMeta takes it. */
export function readMeta(path: string, st: Stats): Meta {
  return { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777, mtime: st.mtimeMs / 1000, xattrs: readXattrs(path) };
}
