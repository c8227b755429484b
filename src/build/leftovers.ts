// What a crash leaves of builds: contexts and downloads in `build/tmp`,
// build filesystems and pinned binds mounted under `build/mnt`. Nothing
// there outlives a build, so at start-up all of it goes (mounts first,
// deepest first, so no removal reaches into a mounted tree).
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { unmount } from '../storage/native.ts';
import { mountPoints } from '../util/mountinfo.ts';

export async function sweepBuildLeftovers(buildRoot: string): Promise<void> {
  const dirs = ['tmp', 'mnt'].map((d) => join(buildRoot, d));
  const mounted = (await mountPoints()).filter((p) => dirs.some((d) => p.startsWith(`${d}/`)));
  for (const p of mounted.sort((a, b) => b.length - a.length)) unmount(p);
  for (const d of dirs) {
    for (const name of await readdir(d).catch(() => [] as string[])) await rm(join(d, name), { recursive: true, force: true });
  }
}
