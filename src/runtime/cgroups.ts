// cgroup v1, v2 and the hybrid layout (v1 controllers with a v2 tree beside
// them) all occur; berth asks which one holds the controllers.
import { existsSync } from 'node:fs';

let cached: boolean | undefined;

/** True on a unified (v2-only) hierarchy, where runc wants a cgroup namespace. */
export function cgroupV2(): boolean {
  cached ??= existsSync('/sys/fs/cgroup/cgroup.controllers');
  return cached;
}

export function cgroupVersion(): '1' | '2' {
  return cgroupV2() ? '2' : '1';
}
