// Choosing the snapshotter for a data root: overlay2 where the kernel can
// mount it there, vfs otherwise (e.g. a data root that is itself on overlayfs).
import { join } from 'node:path';
import type { Snapshotter } from './snapshotter.ts';
import { OverlaySnapshotter, overlayWorks } from './overlay.ts';
import { VfsSnapshotter } from './vfs.ts';

export type { Snapshotter } from './snapshotter.ts';
export type { Change } from './changes.ts';
export { OverlaySnapshotter } from './overlay.ts';
export { VfsSnapshotter } from './vfs.ts';

export type DriverName = 'overlay2' | 'vfs';

/**
 * The snapshotter for `<dataRoot>/<driver>`, as Docker lays out its data
 * root. Without `preferred`, overlay2 when a probe mount succeeds, else vfs;
 * a driver asked for by name is that driver or an error, as with dockerd's
 * --storage-driver.
 */
export async function createSnapshotter(dataRoot: string, preferred?: DriverName): Promise<Snapshotter> {
  if (preferred === 'vfs') return new VfsSnapshotter(join(dataRoot, 'vfs'));
  const overlayRoot = join(dataRoot, 'overlay2');
  if (await overlayWorks(overlayRoot)) return new OverlaySnapshotter(overlayRoot);
  if (preferred === 'overlay2') throw new Error(`overlay2 does not work on ${dataRoot}: a probe mount failed`);
  return new VfsSnapshotter(join(dataRoot, 'vfs'));
}
