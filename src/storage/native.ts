// The system calls storage needs that Node's fs module lacks. All are
// synchronous: each is one short syscall, and mount must run between a
// chdir and its undo with nothing else interleaved.
import { libc, sysError } from '../util/libc.ts';
import { mountPoints } from '../util/mountinfo.ts';

export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;

export const MS_BIND = 0x1000;
export const MNT_DETACH = 0x2;

const mknodFn = libc.func('int mknod(const char *path, uint32_t mode, uint64_t dev)');
const mountFn = libc.func(
  'int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)',
);
const umount2Fn = libc.func('int umount2(const char *target, int flags)');
const lsetxattrFn = libc.func(
  'int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)',
);
// koffi has no ssize_t; long has the same width on Linux.
const lgetxattrFn = libc.func('long lgetxattr(const char *path, const char *name, void *value, size_t size)');
const llistxattrFn = libc.func('long llistxattr(const char *path, char *list, size_t size)');

// glibc's makedev/major/minor: 12+20 bits of major, 20+12 of minor, split
// around the old 8:8 layout. BigInt because dev_t is 64-bit.
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

export function major(dev: number | bigint): number {
  const d = BigInt(dev);
  return Number(((d >> 32n) & 0xfffff000n) | ((d >> 8n) & 0xfffn));
}

export function minor(dev: number | bigint): number {
  const d = BigInt(dev);
  return Number(((d >> 12n) & 0xffffff00n) | (d & 0xffn));
}

/** mknod(2); `mode` carries the file type (S_IFCHR, S_IFBLK, S_IFIFO) and permission bits. */
export function mknod(path: string, mode: number, dev: bigint = 0n): void {
  if (mknodFn(path, mode, dev) !== 0) throw sysError('mknod', path);
}

export function mount(source: string, target: string, fstype: string | null, flags: number, data: string | null): void {
  if (mountFn(source, target, fstype, flags, data) !== 0) throw sysError('mount', target);
}

export function umount2(target: string, flags: number): void {
  if (umount2Fn(target, flags) !== 0) throw sysError('umount2', target);
}

export function lsetxattr(path: string, name: string, value: Uint8Array): void {
  if (lsetxattrFn(path, name, value, value.byteLength, 0) !== 0) throw sysError('lsetxattr', path);
}

/** The attribute's value, or null when the file does not have it. */
export function lgetxattr(path: string, name: string): Buffer | null {
  for (;;) {
    const size = lgetxattrFn(path, name, null, 0) as number;
    if (size < 0) return nullOnNoData(sysError('lgetxattr', path));
    const buf = Buffer.alloc(size);
    const got = lgetxattrFn(path, name, buf, size) as number;
    if (got >= 0) return buf.subarray(0, got);
    const err = sysError('lgetxattr', path);
    // ERANGE (34): the value grew between the two calls; ask again.
    if (err.errno !== 34) return nullOnNoData(err);
  }
}

/** The names of the file's extended attributes ([] where the filesystem has none). */
export function llistxattr(path: string): string[] {
  for (;;) {
    const size = llistxattrFn(path, null, 0) as number;
    if (size < 0) throw sysError('llistxattr', path);
    if (size === 0) return [];
    const buf = Buffer.alloc(size);
    const got = llistxattrFn(path, buf, size) as number;
    if (got >= 0) return buf.toString('utf8', 0, got).split('\0').filter((n) => n !== '');
    const err = sysError('llistxattr', path);
    if (err.errno !== 34) throw err;
  }
}

function nullOnNoData(err: NodeJS.ErrnoException): null {
  if (err.code === 'ENODATA' || err.code === 'EOPNOTSUPP') return null;
  throw err;
}

/**
 * unmount(), off berthd's thread: the last unmount of an overlay syncs the
 * whole upper filesystem (ovl_sync_fs), every dirty page of the data root,
 * which can take a second while containers write. errno belongs to the pool
 * thread that made the call, so a failure is judged by what is still mounted.
 */
export async function unmountAsync(target: string): Promise<void> {
  const rc = await new Promise<number>((resolve, reject) => {
    umount2Fn.async(target, MNT_DETACH, (err: unknown, res: number) => (err ? reject(err) : resolve(res)));
  });
  if (rc !== 0 && (await mountPoints()).includes(target)) throw new Error(`umount2 ${target}: still mounted`);
}

/** Detaches the mount at `target`; nothing mounted there (or no `target`) is not an error. */
export function unmount(target: string): void {
  try {
    umount2(target, MNT_DETACH);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOENT') throw err;
  }
}
