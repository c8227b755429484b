// A writable filesystem on top of an image (or of nothing, for scratch)
// that is not a container: COPY, ADD and WORKDIR write into it and its
// upper layer becomes the step's layer, as a container's does on commit.
// It needs no command and no container record, and a crash leaves only an
// active snapshot that the snapshotter's start-up cleanup removes.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Snapshotter } from '../storage/snapshotter.ts';
import { randomId } from '../util/ids.ts';

export class BuildFs {
  readonly root: string;
  readonly #key: string;
  readonly #snapshots: Snapshotter;

  private constructor(snapshots: Snapshotter, key: string, root: string) {
    this.#snapshots = snapshots;
    this.#key = key;
    this.root = root;
  }

  /** Mounts a fresh layer over committed snapshot `parent` (null: empty) under `mountDir`. */
  static async open(snapshots: Snapshotter, parent: string | null, mountDir: string): Promise<BuildFs> {
    const key = `build-${randomId()}`;
    const root = join(mountDir, key);
    await snapshots.prepare(key, parent);
    try {
      await mkdir(root, { recursive: true });
      await snapshots.mount(key, root);
    } catch (err) {
      await snapshots.remove(key).catch(() => {});
      await rm(root, { recursive: true, force: true });
      throw err;
    }
    return new BuildFs(snapshots, key, root);
  }

  /** Unmounts; the layer stays readable through diff() until remove(). */
  async unmount(): Promise<void> {
    await this.#snapshots.unmount(this.root);
    await rm(this.root, { recursive: true, force: true });
  }

  diff(): Readable {
    return this.#snapshots.diff(this.#key);
  }

  async remove(): Promise<void> {
    await this.unmount();
    await this.#snapshots.remove(this.#key);
  }
}
