// The vfs driver: no union filesystem, each snapshot is a full copy of its
// parent in `<dir>/rootfs`, and `<dir>/parent` names the parent so diff can
// compare against it. Slow and large, but it works on any filesystem, which
// is why it is the fallback.
import type { Stats } from 'node:fs';
import { lstat, mkdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { Snapshotter } from './snapshotter.ts';
import { ADDED, ChangeCollector, DELETED, MODIFIED, type Change } from './changes.ts';
import { copyTree } from './copy.ts';
import { applyLayer } from './layer-apply.ts';
import { packLayer, skipping, type PackItem } from './layer-pack.ts';
import { exists, SnapshotDirs } from './layout.ts';
import { readXattrs } from './meta.ts';
import { mount, MS_BIND, unmountAsync } from './native.ts';
import { sortedNames, treeSize } from './tree.ts';

export class VfsSnapshotter implements Snapshotter {
  readonly driver = 'vfs';
  private readonly dirs: SnapshotDirs;
  private ready: Promise<void> | null = null;

  constructor(root: string) {
    this.dirs = new SnapshotDirs(resolve(root));
  }

  private init(): Promise<void> {
    this.ready ??= this.dirs.init();
    return this.ready;
  }

  async prepare(key: string, parent: string | null): Promise<void> {
    await this.init();
    const parentDir = parent === null ? null : await this.dirs.existingCommitted(parent);
    await this.dirs.create(key, async (dir) => {
      if (parentDir === null) {
        await mkdir(join(dir, 'rootfs'), { mode: 0o755 });
        return;
      }
      await copyTree(join(parentDir, 'rootfs'), join(dir, 'rootfs'));
      await writeFile(join(dir, 'parent'), parent!);
    });
  }

  async apply(key: string, layer: Readable): Promise<number> {
    const dir = await this.dirs.existingActive(key);
    return applyLayer(join(dir, 'rootfs'), layer, { whiteouts: 'delete' });
  }

  async commit(key: string, name: string): Promise<void> {
    await this.dirs.commit(key, name);
  }

  has(name: string): Promise<boolean> {
    return exists(this.dirs.committed(name));
  }

  async mount(key: string, target: string): Promise<void> {
    const dir = await this.dirs.existingActive(key);
    mount(join(dir, 'rootfs'), resolve(target), null, MS_BIND, null);
  }

  unmount(target: string): Promise<void> {
    return unmountAsync(resolve(target));
  }

  diff(key: string, skip?: (path: string) => boolean): Readable {
    return packLayer(skipping(this.diffItems(key), skip));
  }

  async changes(key: string): Promise<Change[]> {
    const { rootfs, parentRootfs } = await this.trees(key);
    return treeChanges(parentRootfs, rootfs);
  }

  async usage(keyOrName: string): Promise<number> {
    const { dir } = await this.dirs.locate(keyOrName);
    return treeSize(join(dir, 'rootfs'));
  }

  async remove(keyOrName: string): Promise<void> {
    const { dir } = await this.dirs.locate(keyOrName);
    await this.dirs.discard(dir);
  }

  async cleanup(keepActive?: string[]): Promise<void> {
    await this.init();
    await this.dirs.sweep(keepActive);
  }

  private async trees(key: string): Promise<{ rootfs: string; parentRootfs: string | null }> {
    const { dir } = await this.dirs.locate(key);
    let parent: string | null = null;
    try {
      parent = await readFile(join(dir, 'parent'), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const parentRootfs = parent === null ? null : join(await this.dirs.existingCommitted(parent), 'rootfs');
    return { rootfs: join(dir, 'rootfs'), parentRootfs };
  }

  private async *diffItems(key: string): AsyncGenerator<PackItem> {
    const { rootfs, parentRootfs } = await this.trees(key);
    for (const change of await treeChanges(parentRootfs, rootfs)) {
      const name = change.Path.slice(1);
      if (change.Kind === DELETED) {
        yield { kind: 'whiteout', name, st: await lstat(join(parentRootfs!, name)) };
      } else {
        const path = join(rootfs, name);
        yield { kind: 'entry', name, path, st: await lstat(path) };
      }
    }
  }
}

/** Docker's change list between two full trees (`before` null: everything is added). */
async function treeChanges(before: string | null, after: string): Promise<Change[]> {
  const out = new ChangeCollector();
  const walk = async (rel: string, hadDir: boolean): Promise<void> => {
    const nowNames = await sortedNames(join(after, rel));
    const oldNames = hadDir ? await sortedNames(join(before!, rel)) : [];
    const now = new Set(nowNames);
    const had = new Set(oldNames);
    const names = [...new Set([...nowNames, ...oldNames])].sort();
    for (const name of names) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const path = `/${childRel}`;
      if (!now.has(name)) {
        out.add(path, DELETED);
        continue;
      }
      const st = await lstat(join(after, childRel));
      const old = had.has(name) ? await lstat(join(before!, childRel)) : null;
      let listed = true;
      if (old === null) out.add(path, ADDED);
      else if (await differs(join(before!, childRel), old, join(after, childRel), st)) out.add(path, MODIFIED);
      else listed = false;
      if (!st.isDirectory()) continue;
      out.enter(path, listed);
      await walk(childRel, old !== null && old.isDirectory());
      out.leave();
    }
  };
  await walk('', before !== null);
  return out.changes;
}

/**
 * Docker's test: type, mode, owner and device number, plus size, mtime and
 * link target for non-directories (equal size and mtime are taken to mean
 * equal content); xattrs as well, where Docker only looks at capabilities.
 */
async function differs(aPath: string, a: Stats, bPath: string, b: Stats): Promise<boolean> {
  if (a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || a.rdev !== b.rdev) return true;
  if (!a.isDirectory()) {
    // Copies set times through a double: allow the sub-microsecond rounding.
    if (a.size !== b.size || Math.abs(a.mtimeMs - b.mtimeMs) >= 0.001) return true;
    if (a.isSymbolicLink() && (await readlink(aPath)) !== (await readlink(bPath))) return true;
  }
  return !sameXattrs(readXattrs(aPath), readXattrs(bPath));
}

function sameXattrs(a: [string, Buffer][], b: [string, Buffer][]): boolean {
  if (a.length !== b.length) return false;
  const byName = new Map(a);
  return b.every(([name, value]) => byName.get(name)?.equals(value) ?? false);
}
