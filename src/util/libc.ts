// The C library, for the few system calls Node does not expose (mount, mknod,
// xattrs, SOCK_SEQPACKET sockets). koffi ships prebuilt binaries in its npm
// package, so no compiler is needed at install time.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const koffi = require('koffi') as typeof import('koffi');

export { koffi };
export const libc = koffi.load('libc.so.6');

const errnoLocation = libc.func('int *__errno_location(void)');

/** The calling thread's errno, read right after a failed call. */
export function errno(): number {
  return koffi.decode(errnoLocation(), 'int') as number;
}

const strerrorFn = libc.func('const char *strerror(int errnum)');

/** The C library's text for an error number. */
export function strerror(n: number): string {
  return strerrorFn(n) as string;
}

/** Builds an Error like Node's own system errors (code, errno, syscall). */
export function sysError(syscall: string, path?: string): NodeJS.ErrnoException {
  const n = errno();
  const codes: Record<number, string> = {
    1: 'EPERM', 2: 'ENOENT', 13: 'EACCES', 16: 'EBUSY', 17: 'EEXIST', 20: 'ENOTDIR',
    21: 'EISDIR', 22: 'EINVAL', 28: 'ENOSPC', 61: 'ENODATA', 95: 'EOPNOTSUPP', 111: 'ECONNREFUSED',
  };
  const err: NodeJS.ErrnoException = new Error(
    `${syscall}${path ? ` ${path}` : ''}: ${strerror(n)}`,
  );
  err.errno = n;
  err.code = codes[n] ?? `E${n}`;
  err.syscall = syscall;
  if (path) err.path = path;
  return err;
}
