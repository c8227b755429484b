// What the runtime makes in a container's writable layer on its own: the
// mount points of /proc, /sys, /dev and the identity files, when the image
// lacks them. docker keeps these in an "init" layer below the container's,
// so `docker diff` never lists them and `docker commit` never keeps them;
// berth leaves them out of both instead.
import { MODIFIED, type Change } from '../storage/changes.ts';
import { IDENTITY_FILES } from './rootfs-setup.ts';

const MOUNTED_DIRS = ['/proc', '/sys', '/dev'];
const MOUNTED_FILES = new Set(IDENTITY_FILES.map((name) => `/etc/${name}`));

/** Whether container path `path` is one of the runtime's (or below one of its mounted directories). */
export function isRuntimePath(path: string): boolean {
  return MOUNTED_FILES.has(path) || MOUNTED_DIRS.some((d) => path === d || path.startsWith(`${d}/`));
}

/**
 * docker diff's list: the runtime's paths left out, and with them a
 * directory listed only as their parent (/etc when only /etc/hosts was made).
 */
export function visibleChanges(changes: Change[]): Change[] {
  const hidden = changes.filter((c) => isRuntimePath(c.Path));
  if (hidden.length === 0) return changes;
  const kept = changes.filter((c) => !isRuntimePath(c.Path));
  const below = (dir: string, list: Change[]): boolean => list.some((c) => c.Path.startsWith(`${dir}/`));
  return kept.filter((c) => c.Kind !== MODIFIED || !below(c.Path, hidden) || below(c.Path, kept));
}
