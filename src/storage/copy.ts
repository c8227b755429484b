// Faithful copies of filesystem trees: what `cp -a` keeps (ownership, modes
// with setuid bits, xattrs, hardlinks, devices, times), done in-process so
// overlay copy-up and vfs snapshots share one implementation.
import { copyFile, lstat, mkdir, readdir, readlink, symlink, link, constants } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { applyMeta, readMeta } from './meta.ts';
import { mknod } from './native.ts';

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

/** Copies the directory `src` to `dst` (which must not exist) with everything below it. */
export async function copyTree(src: string, dst: string): Promise<void> {
  await copyDir(src, dst, await lstat(src), new Map());
}

async function copyDir(src: string, dst: string, st: Stats, inodes: InodeMap): Promise<void> {
  await mkdir(dst, { mode: 0o700 });
  for (const name of await readdir(src)) {
    const from = join(src, name);
    const to = join(dst, name);
    const child = await lstat(from);
    if (child.isDirectory()) await copyDir(from, to, child, inodes);
    else await copyEntry(from, to, child, inodes);
  }
  // After the children: creating them moved the directory's mtime.
  applyMeta({ path: dst }, readMeta(src, st));
}
