// The overlay2 driver, laid out as Docker's: each snapshot has `diff/` (its
// own files only), `work/` (overlayfs scratch), `lower` (its parents as
// `l/<id>` entries, nearest first) and, once committed, `link` (its id in
// `l/`, where `l/<id>` is a symlink to `../<dir>/diff`). The short ids exist
// because mount(2) takes at most one page of options: a 120-layer chain of
// absolute paths would not fit.
import { existsSync, type Stats } from 'node:fs';
import { lstat, mkdir, readFile, readdir, readlink, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Snapshotter } from './snapshotter.ts';
import { applyLayer } from './layer-apply.ts';
import { ADDED, ChangeCollector, DELETED, MODIFIED, type Change } from './changes.ts';
import { packLayer, skipping, type PackItem } from './layer-pack.ts';
import { exists, SnapshotDirs } from './layout.ts';
import { mount, unmount, unmountAsync } from './native.ts';
import { lookupLower, lowerNames } from './overlay-lower.ts';
import { sortedNames, treeSize, walkTree } from './tree.ts';
import { isOpaqueDir, isWhiteoutDevice } from './whiteout.ts';
import { TEMP_PREFIX } from '../util/fs-atomic.ts';

const LINK_DIR = 'l';
/** The lower of a snapshot without parents: overlayfs needs at least one. */
const EMPTY_DIR = 'empty';
const LINK_ID_LEN = 12;
const LINK_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const PAGE_SIZE = 4096;

export class OverlaySnapshotter implements Snapshotter {
  readonly driver = 'overlay2';
  private readonly dirs: SnapshotDirs;
  private ready: Promise<void> | null = null;

  constructor(root: string) {
    this.dirs = new SnapshotDirs(resolve(root));
  }

  private get root(): string {
    return this.dirs.root;
  }

  private init(): Promise<void> {
    this.ready ??= this.dirs.init(LINK_DIR, EMPTY_DIR);
    return this.ready;
  }

  async prepare(key: string, parent: string | null): Promise<void> {
    await this.init();
    let lower: string | null = null;
    if (parent !== null) {
      const parentDir = await this.dirs.existingCommitted(parent);
      const parentLower = await readOptional(join(parentDir, 'lower'));
      lower = `${LINK_DIR}/${await readFile(join(parentDir, 'link'), 'utf8')}${parentLower ? `:${parentLower}` : ''}`;
    }
    await this.dirs.create(key, async (dir) => {
      await mkdir(join(dir, 'diff'), { mode: 0o755 });
      await mkdir(join(dir, 'work'), { mode: 0o700 });
      if (lower !== null) await writeFile(join(dir, 'lower'), lower);
    });
  }

  async apply(key: string, layer: Readable): Promise<number> {
    const dir = await this.dirs.existingActive(key);
    return applyLayer(join(dir, 'diff'), layer, { whiteouts: 'overlay', lowers: await this.lowerDirs(dir) });
  }

  async commit(key: string, name: string): Promise<void> {
    await this.dirs.commit(key, name, async (active, committed) => {
      const id = await this.newLinkId();
      await writeFile(join(active, 'link'), id);
      // Dangles until the rename below; cleanup() removes it if that never happens.
      await symlink(`../${basename(committed)}/diff`, join(this.root, LINK_DIR, id));
    });
  }

  has(name: string): Promise<boolean> {
    return exists(this.dirs.committed(name));
  }

  async mount(key: string, target: string): Promise<void> {
    const dir = await this.dirs.existingActive(key);
    const rel = `active/${basename(dir)}`;
    const lower = (await readOptional(join(dir, 'lower'))) ?? EMPTY_DIR;
    mountOverlay(this.root, resolve(target), overlayOptions(lower, `${rel}/diff`, `${rel}/work`));
  }

  unmount(target: string): Promise<void> {
    return unmountAsync(resolve(target));
  }

  diff(key: string, skip?: (path: string) => boolean): Readable {
    return packLayer(skipping(this.upperItems(key), skip));
  }

  async changes(key: string): Promise<Change[]> {
    const { dir } = await this.dirs.locate(key);
    return upperChanges(join(dir, 'diff'), await this.lowerDirs(dir));
  }

  async usage(keyOrName: string): Promise<number> {
    const { dir } = await this.dirs.locate(keyOrName);
    return treeSize(join(dir, 'diff'));
  }

  async remove(keyOrName: string): Promise<void> {
    const { dir, committed } = await this.dirs.locate(keyOrName);
    const link = committed ? await readOptional(join(dir, 'link')) : null;
    await this.dirs.discard(dir);
    if (link) await rm(join(this.root, LINK_DIR, link), { force: true });
  }

  async cleanup(keepActive?: string[]): Promise<void> {
    await this.init();
    await this.dirs.sweep(keepActive);
    // Links whose snapshot never got committed (or got removed half-way).
    const links = join(this.root, LINK_DIR);
    for (const id of await readdir(links)) {
      if (!(await exists(join(links, id)))) await unlink(join(links, id));
    }
  }

  /** The parents' diff dirs, nearest first. */
  private async lowerDirs(dir: string): Promise<string[]> {
    const lower = await readOptional(join(dir, 'lower'));
    if (!lower) return [];
    return Promise.all(
      lower.split(':').map(async (l) => resolve(this.root, LINK_DIR, await readlink(join(this.root, l)))),
    );
  }

  private async newLinkId(): Promise<string> {
    for (;;) {
      // Docker's alphabet (base32); 60 random bits, and a clash is retried anyway.
      const id = [...randomBytes(LINK_ID_LEN)].map((b) => LINK_ID_ALPHABET[b & 31]).join('');
      // lstat, not stat: a dangling link still holds its name.
      if (!(await lstat(join(this.root, LINK_DIR, id)).then(() => true, () => false))) return id;
    }
  }

  private async *upperItems(key: string): AsyncGenerator<PackItem> {
    const { dir } = await this.dirs.locate(key);
    for await (const { rel, path, st } of walkTree(join(dir, 'diff'))) {
      if (isWhiteoutDevice(st)) {
        yield { kind: 'whiteout', name: rel, st };
        continue;
      }
      yield { kind: 'entry', name: rel, path, st };
      if (st.isDirectory() && isOpaqueDir(path)) yield { kind: 'opaque', name: rel, st };
    }
  }
}

/** Overlay mount options; tunables that would make `diff/` unreadable as a plain layer are turned off. */
function overlayOptions(lower: string, upper: string, work: string): string {
  return `lowerdir=${lower},upperdir=${upper},workdir=${work}${EXTRA_OPTIONS}`;
}

// redirect_dir/metacopy record renames and metadata-only copy-ups in xattrs
// that a tar of diff/ cannot carry; index only matters for NFS export and
// hardlink copy-up and makes reusing lower layers across mounts fail.
// Only named where the kernel knows them (the module parameter exists).
const EXTRA_OPTIONS = ['index', 'redirect_dir', 'metacopy']
  .filter((p) => existsSync(`/sys/module/overlay/parameters/${p}`))
  .map((p) => `,${p}=off`)
  .join('');

/**
 * Mounts an overlay whose option paths are relative to `root`. mount(2)
 * resolves them against the cwd, so the process chdirs for the duration of
 * the (synchronous) call: no JavaScript runs in between, and the libuv
 * threads that may are only ever given absolute paths by berth.
 */
function mountOverlay(root: string, target: string, options: string): void {
  if (options.length >= PAGE_SIZE) {
    throw new Error(`overlay mount options are ${options.length} bytes; the kernel takes at most ${PAGE_SIZE - 1} (too many layers)`);
  }
  const cwd = process.cwd();
  process.chdir(root);
  try {
    mount('overlay', target, 'overlay', 0, options);
  } finally {
    process.chdir(cwd);
  }
}

/** Whether overlayfs mounts under `root` (it does not on top of another overlay, for one). */
export async function overlayWorks(root: string): Promise<boolean> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  const probe = join(root, `${TEMP_PREFIX}probe-${randomBytes(4).toString('hex')}`);
  try {
    for (const d of ['lower', 'upper', 'work', 'merged']) await mkdir(join(probe, d), { recursive: true });
    mountOverlay(probe, join(probe, 'merged'), overlayOptions('lower', 'upper', 'work'));
    unmount(join(probe, 'merged'));
    return true;
  } catch {
    return false;
  } finally {
    await rm(probe, { recursive: true, force: true });
  }
}

/** Docker's change list for an overlay upper dir over `lowers`. */
async function upperChanges(upper: string, lowers: string[]): Promise<Change[]> {
  const out = new ChangeCollector();
  // `hidden`: nothing from the lowers shows here (below an opaque or new
  // directory). `gone`: what the lowers had in an opaque directory.
  const walk = async (rel: string, hidden: boolean, gone: string[]): Promise<void> => {
    const present = await sortedNames(rel === '' ? upper : `${upper}/${rel}`);
    const here = new Set(present);
    for (const name of [...new Set([...present, ...gone])].sort()) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      if (!here.has(name)) {
        out.add(`/${childRel}`, DELETED);
        continue;
      }
      const path = `${upper}/${childRel}`;
      const st = await lstat(path);
      if (isWhiteoutDevice(st)) {
        out.add(`/${childRel}`, DELETED);
        continue;
      }
      const lower = hidden ? null : lookupLower(lowers, childRel);
      const opaque = st.isDirectory() && isOpaqueDir(path);
      let listed = true;
      if (lower === null) out.add(`/${childRel}`, ADDED);
      else if (st.isDirectory() && lower.st.isDirectory() && !opaque && sameDir(st, lower.st)) listed = false;
      else out.add(`/${childRel}`, MODIFIED);
      if (!st.isDirectory()) continue;
      out.enter(`/${childRel}`, listed);
      await walk(childRel, hidden || lower === null || opaque, opaque && lower !== null ? lowerNames(lowers, childRel) : []);
      out.leave();
    }
  };
  await walk('', false, []);
  return out.changes;
}

/** A directory copied up without its own metadata changing (Docker compares these too). */
function sameDir(a: Stats, b: Stats): boolean {
  return a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && a.mtimeMs === b.mtimeMs;
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
