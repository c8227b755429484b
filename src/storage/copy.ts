// Faithful copies of filesystem entries and trees: what `cp -a` keeps
// (ownership, modes with setuid bits, xattrs, hardlinks, devices, times).
import { copyFile, readlink, symlink, link, constants } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { applyMeta, readMeta } from './meta.ts';
import { mknod } from './native.ts';
import { runProcess } from '../util/spawn.ts';

/** Hardlinked inodes already copied: "dev:ino" → the copy's path. */
export type InodeMap = Map<string, string>;

/** Copies one non-directory entry `src` (lstat'd as `st`) to the new path `dst`. */
export async function copyEntry(src: string, dst: string, st: Stats, inodes?: InodeMap): Promise<void> {
  const inode = `${st.dev}:${st.ino}`;
  const first = st.nlink > 1 ? inodes?.get(inode) : undefined;
  if (first !== undefined) {
    await link(first, dst);
    return;
  }
  if (st.isFile()) {
    // Reflinks where the filesystem has them (btrfs, xfs), a plain copy elsewhere.
    await copyFile(src, dst, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
  } else if (st.isSymbolicLink()) {
    await symlink(await readlink(src), dst);
  } else {
    mknod(dst, st.mode, BigInt(st.rdev));
  }
  applyMeta({ path: dst, symlink: st.isSymbolicLink() }, readMeta(src, st));
  if (st.nlink > 1) inodes?.set(inode, dst);
}

/**
 * Copies directory `src` onto `dst`: a new directory, or an existing one that
 * takes `src`'s content and attributes. GNU cp does whole trees: it keeps
 * everything `cp -a` means (hardlinks within the tree included) at several
 * times the speed of a syscall-per-call copy from here, and a tree can hold
 * tens of thousands of files (a volume's copy-up, a vfs snapshot).
 */
export async function copyTree(src: string, dst: string): Promise<void> {
  const r = await runProcess('cp', ['-a', '--no-target-directory', '--', src, dst]);
  if (r.code !== 0) throw new Error(`copying ${src} to ${dst}: ${r.stderr.toString().trim() || `cp exited with ${r.code ?? r.signal}`}`);
}
