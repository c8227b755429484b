// A container's filesystem as host paths: its root (the mounted snapshot)
// and its mounts with a host source, for operations that read or write
// inside it from outside (cp, export, diff, commit).
import type { MountPoint } from './types.ts';

export interface ContainerFs {
  /** The merged root filesystem, mounted for the duration of the operation. */
  root: string;
  /** Mounts with a host source (binds and volumes), longest destination first. */
  mounts: MountPoint[];
  running: boolean;
}

export function fsMounts(points: MountPoint[] | undefined): MountPoint[] {
  return (points ?? []).filter((m) => m.Source && m.Type !== 'tmpfs').sort((a, b) => b.Destination.length - a.Destination.length);
}
