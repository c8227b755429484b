// Cgroups a test made under a parent of its own (--cgroup-parent): runc
// removes the container's, never the parent, in any hierarchy it made it in.
import { existsSync, readdirSync, rmdirSync } from 'node:fs';

export function removeCgroupParent(name: string): void {
  for (const dir of [`/sys/fs/cgroup/${name}`, ...readdirSync('/sys/fs/cgroup').map((c) => `/sys/fs/cgroup/${c}/${name}`)]) {
    if (existsSync(dir)) rmdirSync(dir);
  }
}
