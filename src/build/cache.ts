// The build cache: step key → the image that step made, in a small index
// (`<data-root>/build/cache.json`, written atomically) so it survives
// restarts. The images it points at are kept, untagged, as moby keeps its
// intermediate images; the image list hides the ones that are a cached
// step's parent (they have children) unless `all`, as moby does. An entry
// whose image is gone (removed by `rmi` or `image prune -a`) never hits.
// `builder prune` drops the entries cache-prune.ts chooses (without `all`
// those no named or used image shares) and the images only they kept.
// The RUN --mount=type=cache directories (cache-mounts.ts) belong to the
// cache too: listed by `system df`, removed by `builder prune`, exported
// and imported with it.
import { dirname, join } from 'node:path';
import type { ImageService } from '../image/service.ts';
import { ensureDir, readJsonOr, sweepTemps, writeJsonAtomic } from '../util/fs-atomic.ts';
import { missReason, NO_EARLIER_BUILD, type CacheEntry, type StepInputs } from './cache-key.ts';
import type { CacheImport, MountExport } from './cache-archive.ts';
import { CacheMounts } from './cache-mounts.ts';
import { choosePrune, type CacheRecord, type PruneOptions } from './cache-prune.ts';

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

  /**
   * Why `inputs` missed, judged against the steps cached before `since` (a
   * build's own steps are other stages, not earlier versions); `parentCause`
   * is what made its parent new, if that is why.
   */
  /** Why a step missed; nothing for a step never built before (a cold build reads as docker's). */
  explain(inputs: StepInputs, since: string, parentCause?: string): string | undefined {
    const why = missReason(inputs, [...this.#entries.values()].filter((e) => e.created < since && this.#images.store.has(e.image)), parentCause);
    return why === NO_EARLIER_BUILD ? undefined : why;
  }

  async record(key: string, inputs: StepInputs, image: string): Promise<void> {
    const rec = this.#images.store.get(image);
    const parentLayers = inputs.parent ? this.#images.store.get(inputs.parent).layers.length : 0;
    const now = new Date().toISOString();
    this.#entries.set(key, {
      key, image, parent: inputs.parent, instruction: inputs.instruction,
      ...(inputs.args ? { args: inputs.args } : {}), ...(inputs.files ? { files: inputs.files } : {}),
      ...(inputs.source ? { source: inputs.source } : {}), ...(inputs.downloads ? { downloads: inputs.downloads } : {}),
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
  async usage(): Promise<CacheRecord[]> {
    const live = [...this.#entries.values()].filter((e) => this.#images.store.has(e.image));
    const shared = this.#sharedChains();
    const idOf = new Map<string, string>();
    for (const e of live) if (!idOf.has(e.image)) idOf.set(e.image, recordId(e.key));
    const steps = live.map((e): CacheRecord => ({
      ID: recordId(e.key), Parent: (e.parent && idOf.get(e.parent)) ?? '', Parents: null, Type: 'regular', Description: e.instruction,
      InUse: false, Shared: shared(e.image), Size: e.size, CreatedAt: e.created, LastUsedAt: e.lastUsed, UsageCount: e.usageCount,
    }));
    return [...steps, ...(await this.mounts.usage())];
  }

  /**
   * Whether a step image's layers are another image's too: one with a name,
   * or one a container uses (or their parents'), whose layers stay whatever
   * the cache drops. BuildKit counts such records as shared, and a prune
   * without `all` leaves them.
   */
  #sharedChains(): (image: string) => boolean {
    const kept = this.#images.store.list().filter((rec) => {
      const refs = this.#images.store.refsOf(rec.id);
      return refs.tags.length + refs.digests.length > 0 || this.#images.users.containersUsing(rec.id).length > 0;
    });
    const chains = new Set(kept.flatMap((rec) => this.#images.chainOf(rec.id)));
    const ids = new Set(kept.map((rec) => rec.id));
    return (image) => ids.has(image) || chains.has(this.#images.chainOf(image).at(-1) ?? '');
  }

  /**
   * `builder prune`: removes the records `opts` chooses (cache-prune.ts),
   * then the untagged, unused images no entry holds any longer. The space
   * is that of the layer blobs that went and of the cache mounts.
   */
  async prune(opts: PruneOptions, parseTime: (value: string) => number): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }> {
    const doomed = new Set(choosePrune(await this.usage(), opts, parseTime).map((r) => r.ID));
    const mounts = await this.mounts.prune((id) => doomed.has(id));
    const entries = [...this.#entries.values()].filter((e) => doomed.has(recordId(e.key)));
    for (const e of entries) this.#entries.delete(e.key);
    await this.save();
    const blobSizes = (): Map<string, number> => {
      const m = new Map<string, number>();
      for (const rec of this.#images.store.list()) for (const l of rec.layers) m.set(l.blob, l.size);
      return m;
    };
    const before = blobSizes();
    for (const image of new Set(entries.map((e) => e.image))) {
      if (!this.#images.store.has(image) || this.holds(image)) continue;
      const refs = this.#images.store.refsOf(image);
      if (refs.tags.length + refs.digests.length > 0 || this.#images.users.containersUsing(image).length > 0) continue;
      await this.#images.remove(image, false, false).catch(() => {});
    }
    const after = blobSizes();
    let space = 0;
    for (const [blob, size] of before) if (!after.has(blob)) space += size;
    const deleted = [...entries.map((e) => recordId(e.key)), ...mounts.ids];
    return { CachesDeleted: deleted.length ? deleted : null, SpaceReclaimed: space + mounts.space };
  }
}

/** A step's record ID, as system df and builder prune show it: 25 characters of its key. */
function recordId(key: string): string {
  return key.slice(7, 32);
}
