// Where snapshots live and how they change state, shared by both drivers.
// A committed snapshot is `<root>/<dir>`, an active one `<root>/active/<dir>`.
// Every transition is a rename, so a crash leaves a snapshot either fully
// in its old state or fully in its new one; half-made directories carry the
// temp prefix and cleanup() deletes them.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { conflict, notFound } from '../util/errors.ts';
import { fsyncDir, sweepTemps, TEMP_PREFIX } from '../util/fs-atomic.ts';

const CHAIN_ID = /^sha256:([0-9a-f]{64})$/;

/**
 * A directory name for a snapshot name or key. Chain IDs keep their hex so an
 * operator can find a layer; anything else is hashed, since keys may hold
 * characters that cannot go in a path or an overlay mount option (',', ':').
 */
function dirNameOf(name: string): string {
  return CHAIN_ID.exec(name)?.[1] ?? createHash('sha256').update(name).digest('hex');
}

export class SnapshotDirs {
  readonly root: string;
  readonly activeRoot: string;

  constructor(root: string) {
    this.root = root;
    this.activeRoot = join(root, 'active');
  }

  async init(...extra: string[]): Promise<void> {
    for (const dir of [this.root, this.activeRoot, ...extra.map((d) => join(this.root, d))]) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    }
  }

  committed(name: string): string {
    return join(this.root, dirNameOf(name));
  }

  active(key: string): string {
    return join(this.activeRoot, dirNameOf(key));
  }

  async existingActive(key: string): Promise<string> {
    const dir = this.active(key);
    if (!(await exists(dir))) throw notFound(`no active snapshot ${key}`);
    return dir;
  }

  async existingCommitted(name: string): Promise<string> {
    const dir = this.committed(name);
    if (!(await exists(dir))) throw notFound(`no committed snapshot ${name}`);
    return dir;
  }

  /** The directory of active `keyOrName`, else of committed `keyOrName`. */
  async locate(keyOrName: string): Promise<{ dir: string; committed: boolean }> {
    const active = this.active(keyOrName);
    if (await exists(active)) return { dir: active, committed: false };
    return { dir: await this.existingCommitted(keyOrName), committed: true };
  }

  /** Creates active `key`: `populate` fills a temp directory that then becomes the snapshot. */
  async create(key: string, populate: (dir: string) => Promise<void>): Promise<string> {
    const dir = this.active(key);
    if (await exists(dir)) throw conflict(`snapshot ${key} already exists`);
    const tmp = join(this.activeRoot, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    await mkdir(tmp, { mode: 0o700 });
    try {
      await populate(tmp);
      await renameNew(tmp, dir, key);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
    await fsyncDir(this.activeRoot);
    return dir;
  }

  /** Turns active `key` into committed `name`; `before` runs first, with both paths. */
  async commit(key: string, name: string, before?: (active: string, committed: string) => Promise<void>): Promise<void> {
    const from = await this.existingActive(key);
    const to = this.committed(name);
    if (await exists(to)) throw conflict(`snapshot ${name} already exists`);
    await before?.(from, to);
    await renameNew(from, to, name);
    await fsyncDir(this.root);
    await fsyncDir(this.activeRoot);
  }

  /** Deletes a snapshot directory: first renamed aside (atomic), then removed. */
  async discard(dir: string): Promise<void> {
    const aside = join(this.root, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    await rename(dir, aside);
    await rm(aside, { recursive: true, force: true });
  }

  /** Deletes what crashes left half-made, and active snapshots whose owner is gone. */
  async sweep(keepActive?: string[]): Promise<void> {
    await sweepTemps(this.root);
    await sweepTemps(this.activeRoot);
    if (!keepActive) return;
    const keep = new Set(keepActive.map(dirNameOf));
    for (const name of await readdir(this.activeRoot)) {
      if (!keep.has(name)) await this.discard(join(this.activeRoot, name));
    }
  }
}

// rename(2) onto an existing directory succeeds when it is empty and fails
// otherwise; a snapshot directory is never empty, so a lost race shows here.
async function renameNew(from: string, to: string, name: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') throw conflict(`snapshot ${name} already exists`);
    throw err;
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
