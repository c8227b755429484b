// The two ways a deletion is written down. In layer tars (Docker/OCI, from
// AUFS) a deleted `x` is an empty file `.wh.x`, and `.wh..wh..opq` in a
// directory hides everything below it in lower layers. On overlayfs a deleted
// entry is a 0/0 character device and a replaced directory carries the
// `trusted.overlay.opaque=y` xattr.
import type { Stats } from 'node:fs';
import { lgetxattr } from './native.ts';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
export const OPAQUE_XATTR = 'trusted.overlay.opaque';

/** xattrs overlayfs keeps for itself; a layer must neither carry nor set them. */
export function isOverlayPrivateXattr(name: string): boolean {
  return name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.');
}

export function isWhiteoutDevice(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

export function isOpaqueDir(path: string): boolean {
  const v = lgetxattr(path, OPAQUE_XATTR);
  return v !== null && v.length === 1 && v[0] === 0x79; // 'y'
}
