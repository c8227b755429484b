// The build cache: step key → the image that step made, in a small index
// (`<data-root>/build/cache.json`, written atomically) so it survives
// restarts. The images it points at are kept, untagged, as moby keeps its
// intermediate images; the image list hides the ones that are a cached
// step's parent (they have children) unless `all`, as moby does. An entry
// whose image is gone (removed by `rmi` or `image prune -a`) never hits.
// `builder prune` drops every entry and the images only the cache kept.
//
// RUN --mount=type=cache directories belong to the cache too
// (`<data-root>/build/cache-mounts/<name>`, with `<name>.json` saying what
// they are): kept across builds and restarts, listed by `system df` and
// removed by `builder prune` unless a step is using them, as BuildKit's.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readdir, readlink, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ImageService } from '../image/service.ts';
import { treeSize } from '../storage/tree.ts';
import { ensureDir, readJsonOr, sweepTemps, TEMP_PREFIX, writeJsonAtomic } from '../util/fs-atomic.ts';
import { fileDigest, missReason, type CacheEntry, type StepInputs } from './cache-key.ts';
import { findSources } from './copy-step.ts';
import { resolveInContainer, viewOf } from '../engine/container-path.ts';
import type { Sharing } from './run-mounts.ts';
import type { CacheImport, MountExport, MountImport } from './cache-archive.ts';
import { applyLayer } from '../storage/layer-apply.ts';

interface CacheFile {
  entries: CacheEntry[];
}

export class BuildCache {
  readonly #path: string;
  readonly #images: ImageService;
  #entries = new Map<string, CacheEntry>();
  #saving: Promise<unknown> = Promise.resolve();
  /** RUN --mount=type=cache directories, beside the index. */
  readonly mounts: CacheMounts;

  constructor(path: string, images: ImageService) {
    this.#path = path;
    this.#images = images;
    this.mounts = new CacheMounts(join(dirname(path), 'cache-mounts'));
    images.intermediates = () => this.parents();
    images.parentOf = (id) => [...this.#entries.values()].find((e) => e.image === id)?.parent ?? undefined;
    images.childrenOf = (id) => [...this.#entries.values()].filter((e) => e.parent === id).map((e) => e.image);
  }

  async init(): Promise<void> {
    await ensureDir(dirname(this.#path));
    await sweepTemps(dirname(this.#path));
    const file = await readJsonOr<CacheFile>(this.#path, { entries: [] });
    for (const e of file.entries) if (this.#images.store.has(e.image)) this.#entries.set(e.key, e);
    await this.mounts.init();
  }

  /** The cached image for `key`, if it is still there. */
  lookup(key: string): string | undefined {
    const e = this.#entries.get(key);
    if (!e || !this.#images.store.has(e.image)) return undefined;
    e.lastUsed = new Date().toISOString();
    e.usageCount++;
    return e.image;
  }

  /** Why `inputs` missed, judged against the steps cached before `since` (a build's own steps are other stages, not earlier versions). */
  explain(inputs: StepInputs, since: string): string | undefined {
    return missReason(inputs, [...this.#entries.values()].filter((e) => e.created < since && this.#images.store.has(e.image)));
  }

  async record(key: string, inputs: StepInputs, image: string): Promise<void> {
    const rec = this.#images.store.get(image);
    const parentLayers = inputs.parent ? this.#images.store.get(inputs.parent).layers.length : 0;
    const now = new Date().toISOString();
    this.#entries.set(key, {
      key, image, parent: inputs.parent, instruction: inputs.instruction,
      ...(inputs.args ? { args: inputs.args } : {}), ...(inputs.files ? { files: inputs.files } : {}),
      ...(inputs.source ? { source: inputs.source } : {}),
      size: rec.layers.length > parentLayers ? (rec.layers.at(-1)?.size ?? 0) : 0,
      created: now, lastUsed: now, usageCount: 0,
    });
  }

  /**
   * What `--cache-to` exports for image `image`: the steps that led to it
   * (its parent chain through the cache), with `max` also those of the
   * stages it copied from, and every cache mount.
   */
  async exportSet(image: string, mode: 'min' | 'max'): Promise<{ entries: CacheEntry[]; mounts: MountExport[] }> {
    const byImage = new Map<string, CacheEntry[]>();
    for (const e of this.#entries.values()) byImage.set(e.image, [...(byImage.get(e.image) ?? []), e]);
    const out = new Map<string, CacheEntry>();
    const seen = new Set<string>();
    for (const todo = [image]; todo.length > 0; ) {
      const id = todo.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      for (const e of byImage.get(id) ?? []) {
        out.set(e.key, e);
        if (e.parent) todo.push(e.parent);
        if (mode === 'max' && e.source && e.source !== 'scratch') todo.push(e.source);
      }
    }
    return { entries: [...out.values()], mounts: await this.mounts.exportable() };
  }

  /** Takes in what `--cache-from` imported: entries whose images are here, and the cache mounts (replacing unused ones of the same name). */
  async adopt(imported: CacheImport): Promise<{ Entries: number; Images: number; Mounts: number }> {
    let entries = 0;
    const images = new Set<string>();
    for (const e of imported.entries) {
      if (!this.#images.store.has(e.image)) continue;
      this.#entries.set(e.key, { ...e, lastUsed: e.lastUsed ?? e.created, usageCount: e.usageCount ?? 0 });
      images.add(e.image);
      entries++;
    }
    await this.save();
    let mounts = 0;
    for (const m of imported.mounts) if (await this.mounts.adopt(m)) mounts++;
    return { Entries: entries, Images: images.size, Mounts: mounts };
  }

  /** Writes the index (after a build, hit or not: it keeps the usage times). */
  save(): Promise<void> {
    const write = (): Promise<void> => writeJsonAtomic(this.#path, { entries: [...this.#entries.values()] } satisfies CacheFile);
    const next = this.#saving.then(write, write);
    this.#saving = next.catch(() => {});
    return next;
  }

  /** Whether an entry points at the image (so the build keeps it). */
  holds(image: string): boolean {
    for (const e of this.#entries.values()) if (e.image === image) return true;
    return false;
  }

  /** Images a cached step starts from: intermediate images, hidden from `docker images` unless -a. */
  parents(): Set<string> {
    const out = new Set<string>();
    for (const e of this.#entries.values()) if (e.parent) out.add(e.parent);
    return out;
  }

  /** system df's BuildCache records: the steps, then the cache mounts. */
  async usage(): Promise<object[]> {
    const steps = [...this.#entries.values()].filter((e) => this.#images.store.has(e.image)).map((e) => ({
      ID: e.key.slice(7, 32), Parent: '', Parents: null, Type: 'regular', Description: e.instruction,
      InUse: false, Shared: false, Size: e.size, CreatedAt: e.created, LastUsedAt: e.lastUsed, UsageCount: e.usageCount,
    }));
    return [...steps, ...(await this.mounts.usage())];
  }

  /** `builder prune`: drops every entry, removes the untagged, unused images only the cache kept and the unused cache mounts. */
  async prune(): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }> {
    const mounts = await this.mounts.prune();
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    await this.save();
    const blobSizes = (): Map<string, number> => {
      const m = new Map<string, number>();
      for (const rec of this.#images.store.list()) for (const l of rec.layers) m.set(l.blob, l.size);
      return m;
    };
    const before = blobSizes();
    for (const image of new Set(entries.map((e) => e.image))) {
      if (!this.#images.store.has(image)) continue;
      const refs = this.#images.store.refsOf(image);
      if (refs.tags.length + refs.digests.length > 0 || this.#images.users.containersUsing(image).length > 0) continue;
      await this.#images.remove(image, false, false).catch(() => {});
    }
    const after = blobSizes();
    let space = 0;
    for (const [blob, size] of before) if (!after.has(blob)) space += size;
    const deleted = [...entries.map((e) => e.key.slice(7, 32)), ...mounts.ids];
    return { CachesDeleted: deleted.length ? deleted : null, SpaceReclaimed: space + mounts.space };
  }
}

/** What a cache mount directory is, in `<name>.json` beside it. */
interface CacheMountInfo {
  id: string;
  target: string;
  created: string;
  lastUsed: string;
  usageCount: number;
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
          info.lastUsed = new Date().toISOString();
          info.usageCount++;
          await writeJsonAtomic(`${path}.json`, info).catch(() => {});
          done();
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
      if ((await lstat(path).catch(() => undefined))?.isDirectory()) return await readJsonOr(`${path}.json`, fresh).catch(() => fresh);
      await this.#install(path, fresh, init);
      return fresh;
    } finally {
      unlock();
    }
  }

  /** Every directory with what it is, for an export. */
  async exportable(): Promise<MountExport[]> {
    const out: MountExport[] = [];
    for (const name of await this.#names()) {
      const path = join(this.root, name);
      out.push({ name, meta: await readJsonOr<Record<string, unknown>>(`${path}.json`, {}).catch(() => ({})), dir: path });
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
  async usage(): Promise<object[]> {
    const out: object[] = [];
    for (const name of await this.#names()) {
      const path = join(this.root, name);
      const st = await stat(path).catch(() => undefined);
      if (!st) continue;
      const made = st.birthtime.toISOString();
      const info = await readJsonOr<Partial<CacheMountInfo>>(`${path}.json`, {}).catch((): Partial<CacheMountInfo> => ({}));
      out.push({
        ID: name.slice(0, 25), Parent: '', Parents: null, Type: 'exec.cachemount',
        Description: `cached mount ${info.target ?? ''} with id "${info.id ?? name}"`,
        InUse: this.#users.has(name), Shared: false, Size: await treeSize(path).catch(() => 0),
        CreatedAt: info.created ?? made, LastUsedAt: info.lastUsed ?? made, UsageCount: info.usageCount ?? 0,
      });
    }
    return out;
  }

  /** Removes every directory no step is using; says which and how many bytes. */
  async prune(): Promise<{ ids: string[]; space: number }> {
    while (this.#pruning) await this.#pruning;
    const run = (async () => {
      const ids: string[] = [];
      let space = 0;
      for (const name of await this.#names()) {
        if (this.#users.has(name)) continue;
        const path = join(this.root, name);
        space += await treeSize(path).catch(() => 0);
        const doomed = this.#temp();
        await rename(path, doomed);
        await rm(`${path}.json`, { force: true });
        await rm(doomed, { recursive: true, force: true });
        ids.push(name.slice(0, 25));
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

/**
 * The digests of what COPY/ADD sources select in the context (after
 * .dockerignore, which removed the ignored files when it was unpacked):
 * per path, its mode, owner, link target and content. A source that does
 * not exist fails as the copy itself would.
 */
export async function contextDigests(contextDir: string, sources: readonly string[], command: 'COPY' | 'ADD'): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const src of sources) {
    for (const s of await findSources(contextDir, src, command, command === 'ADD')) await addDigests(out, s.host, s.rel, true);
  }
  return out;
}

/**
 * The digests of what RUN --mount binds of the context (`sources`: clean
 * absolute paths in it, no wildcards), the same way, so a changed file
 * re-runs the step. A source that is not there fails as BuildKit does.
 */
export async function mountDigests(contextDir: string, sources: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const view = await viewOf({ root: contextDir, mounts: [] });
  for (const src of sources) {
    const place = await resolveInContainer(view, src, { followFinal: true }).catch(() => {
      throw new Error(`failed to compute cache key: "${src}": not found`);
    });
    await addDigests(out, place.host, place.parts.join('/'), true);
  }
  return out;
}

/** Adds the digest of `host` (named `name`, '' for the root) and of everything below it. */
async function addDigests(out: Record<string, string>, host: string, name: string, follow: boolean): Promise<void> {
  const st = follow ? await stat(host) : await lstat(host);
  const meta = { mode: st.mode, uid: st.uid, gid: st.gid };
  const key = name || '.';
  if (st.isSymbolicLink()) out[key] = fileDigest({ ...meta, link: await readlink(host) });
  else if (st.isFile()) out[key] = fileDigest({ ...meta, content: await contentDigest(host) });
  else out[key] = fileDigest(meta);
  if (st.isDirectory()) for (const child of (await readdir(host)).sort()) await addDigests(out, `${host}/${child}`, name ? `${name}/${child}` : child, false);
}

async function contentDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

