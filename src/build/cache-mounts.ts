// RUN --mount=type=cache directories (`<data-root>/build/cache-mounts/<name>`,
// with `<name>.json` saying what they are): kept across builds and
// restarts, listed by `system df` and removed by `builder prune` unless a
// step is using them, as BuildKit's.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { applyLayer } from '../storage/layer-apply.ts';
import { treeSize } from '../storage/tree.ts';
import { ensureDir, readJsonOr, sweepTemps, TEMP_PREFIX, writeJsonAtomic } from '../util/fs-atomic.ts';
import type { MountExport, MountImport } from './cache-archive.ts';
import type { CacheRecord } from './cache-prune.ts';
import type { Sharing } from './run-mounts.ts';

/** What a cache mount directory is, in `<name>.json` beside it. */
interface CacheMountInfo {
  id: string;
  target: string;
  created: string;
  lastUsed: string;
  usageCount: number;
}

/** The fields of a cache mount's description that have the right type; the rest is dropped. */
export function mountInfoOf(doc: unknown): Partial<CacheMountInfo> {
  const m = (doc && typeof doc === 'object' ? doc : {}) as Record<string, unknown>;
  const out: Partial<CacheMountInfo> = {};
  for (const k of ['id', 'target', 'created', 'lastUsed'] as const) if (typeof m[k] === 'string') out[k] = m[k] as string;
  if (typeof m.usageCount === 'number' && Number.isFinite(m.usageCount) && m.usageCount >= 0) out.usageCount = m.usageCount;
  return out;
}

/** A cache mount directory held by a step until release(). */
export interface CacheLease {
  readonly path: string;
  release(): Promise<void>;
}

/**
 * The RUN --mount=type=cache directories. A directory is named by the
 * mount's id (run-mounts.ts cacheDirName); `shared` lets any number of
 * steps use it at once, `locked` one at a time (an in-process lock per
 * directory), `private` gives a step that finds it in use another one
 * (`<name>-1`, …), kept as well. A new directory is made under a temporary
 * name and renamed into place, so a crash never leaves a half-made one.
 */
export class CacheMounts {
  readonly root: string;
  readonly #users = new Map<string, number>();
  readonly #locks = new KeyedLock();
  #pruning: Promise<unknown> | undefined;

  constructor(root: string) {
    this.root = root;
  }

  async init(): Promise<void> {
    await ensureDir(this.root);
    await sweepTemps(this.root);
  }

  /**
   * The directory `name` for a step, made by `init` (given an empty
   * directory with the right owner and mode to fill) when it does not exist.
   */
  async acquire(name: string, sharing: Sharing, about: { id: string; target: string }, init: (dir: string) => Promise<void>): Promise<CacheLease> {
    while (this.#pruning) await this.#pruning;
    let key = name;
    if (sharing === 'private') for (let i = 1; this.#users.has(key); i++) key = `${name}-${i}`;
    this.#users.set(key, (this.#users.get(key) ?? 0) + 1);
    let unlock = (): void => {};
    const done = (): void => {
      const n = this.#users.get(key)! - 1;
      if (n > 0) this.#users.set(key, n);
      else this.#users.delete(key);
      unlock();
    };
    try {
      if (sharing === 'locked') unlock = await this.#locks.acquire(`use:${key}`);
      const path = join(this.root, key);
      const info = await this.#ensure(key, about, init);
      return {
        path,
        release: async () => {
          try {
            info.lastUsed = new Date().toISOString();
            info.usageCount++;
            await writeJsonAtomic(`${path}.json`, info).catch(() => {});
          } finally {
            done();
          }
        },
      };
    } catch (err) {
      done();
      throw err;
    }
  }

  async #ensure(key: string, about: { id: string; target: string }, init: (dir: string) => Promise<void>): Promise<CacheMountInfo> {
    const unlock = await this.#locks.acquire(`make:${key}`);
    try {
      const path = join(this.root, key);
      const now = new Date().toISOString();
      const fresh: CacheMountInfo = { ...about, created: now, lastUsed: now, usageCount: 0 };
      if ((await lstat(path).catch(() => undefined))?.isDirectory()) return { ...fresh, ...(await this.#info(path)) };
      await this.#install(path, fresh, init);
      return fresh;
    } finally {
      unlock();
    }
  }

  /** What `<path>.json` says of a directory, as far as it says it right (it may be old, damaged or imported). */
  async #info(path: string): Promise<Partial<CacheMountInfo>> {
    return mountInfoOf(await readJsonOr<unknown>(`${path}.json`, {}).catch(() => ({})));
  }

  /** Every directory with what it is, for an export. */
  async exportable(): Promise<MountExport[]> {
    const out: MountExport[] = [];
    for (const name of await this.#names()) {
      const path = join(this.root, name);
      out.push({ name, meta: { ...(await this.#info(path)) }, dir: path });
    }
    return out;
  }

  /**
   * Makes directory `m.name` from an export's tar, replacing what is there
   * unless a step is using it (then it is kept and false returned). Made
   * under a temporary name and renamed into place, as a new one is.
   */
  async adopt(m: MountImport): Promise<boolean> {
    if (!/^[a-f0-9]{64}(-\d+)?$/.test(m.name)) return false;
    const unlock = await this.#locks.acquire(`make:${m.name}`);
    try {
      if (this.#users.has(m.name)) return false;
      await this.#install(join(this.root, m.name), m.meta, (tmp) => applyLayer(tmp, createReadStream(m.tar), { whiteouts: 'none' }).then(() => {}));
      return true;
    } finally {
      unlock();
    }
  }

  /**
   * Puts a directory at `path` that `fill` made under a temporary name
   * (a crash leaves a temp that init sweeps, never half a directory), with
   * `meta` beside it; what was at `path` goes.
   */
  async #install(path: string, meta: object, fill: (tmp: string) => Promise<void>): Promise<void> {
    const tmp = this.#temp();
    await mkdir(tmp);
    try {
      await fill(tmp);
      const doomed = this.#temp();
      await rename(path, doomed).catch(() => {});
      await writeJsonAtomic(`${path}.json`, meta);
      await rename(tmp, path);
      await rm(doomed, { recursive: true, force: true });
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  #temp(): string {
    return join(this.root, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
  }

  /** The directories there are, by name. */
  async #names(): Promise<string[]> {
    const names: string[] = [];
    for (const e of await readdir(this.root, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory() && !e.name.startsWith('.')) names.push(e.name);
    }
    return names.sort();
  }

  /** system df's records for the cache mounts (BuildKit's `exec.cachemount`). */
  async usage(): Promise<CacheRecord[]> {
    const out: CacheRecord[] = [];
    for (const name of await this.#names()) {
      const path = join(this.root, name);
      const st = await stat(path).catch(() => undefined);
      if (!st) continue;
      const made = st.birthtime.toISOString();
      const info = await this.#info(path);
      out.push({
        ID: recordId(name), Parent: '', Parents: null, Type: 'exec.cachemount',
        Description: `cached mount ${info.target ?? ''} with id "${info.id ?? name}"`,
        InUse: this.#users.has(name), Shared: false, Size: await treeSize(path).catch(() => 0),
        CreatedAt: info.created ?? made, LastUsedAt: info.lastUsed ?? made, UsageCount: info.usageCount ?? 0,
      });
    }
    return out;
  }

  /** Removes the directories `chosen` names by their record ID that no step is using; says which and how many bytes. */
  async prune(chosen: (id: string) => boolean): Promise<{ ids: string[]; space: number }> {
    while (this.#pruning) await this.#pruning;
    const run = (async () => {
      const ids: string[] = [];
      let space = 0;
      for (const name of await this.#names()) {
        if (this.#users.has(name) || !chosen(recordId(name))) continue;
        const path = join(this.root, name);
        space += await treeSize(path).catch(() => 0);
        const doomed = this.#temp();
        await rename(path, doomed);
        await rm(`${path}.json`, { force: true });
        await rm(doomed, { recursive: true, force: true });
        ids.push(recordId(name));
      }
      return { ids, space };
    })();
    this.#pruning = run;
    try {
      return await run;
    } finally {
      this.#pruning = undefined;
    }
  }
}

/** A directory's record ID for system df and builder prune: 25 characters, a private copy's `-N` kept so the two differ. */
function recordId(name: string): string {
  const copy = /-\d+$/.exec(name)?.[0] ?? '';
  return name.slice(0, name.length - copy.length).slice(0, 25 - copy.length) + copy;
}

/** Named locks: `acquire(key)` waits for the previous holder of `key` and returns the release. */
class KeyedLock {
  readonly #tails = new Map<string, Promise<void>>();

  async acquire(key: string): Promise<() => void> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.#tails.set(key, tail);
    await previous;
    return () => {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
  }
}
