// Facts about the host the runtime spec depends on. cgroup v1, v2 and the
// hybrid layout (v1 controllers with a v2 tree beside them) all occur.
import { existsSync, readFileSync } from 'node:fs';
import { capsFromMask } from './defaults.ts';

let cached: boolean | undefined;

/** True on a unified (v2-only) hierarchy, where runc wants a cgroup namespace. */
export function cgroupV2(): boolean {
  cached ??= existsSync('/sys/fs/cgroup/cgroup.controllers');
  return cached;
}

export function cgroupVersion(): '1' | '2' {
  return cgroupV2() ? '2' : '1';
}

let bounding: string[] | undefined;

/** The daemon's capability bounding set, read once. */
export function hostCaps(): string[] {
  bounding ??= capsFromMask(/^CapBnd:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0');
  return bounding;
}
