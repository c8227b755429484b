// The build cache: step key → the image that step made, in a small index
// (`<data-root>/build/cache.json`, written atomically) so it survives
// restarts. The images it points at are kept, untagged, as moby keeps its
// intermediate images; the image list hides the ones that are a cached
// step's parent (they have children) unless `all`, as moby does. An entry
// whose image is gone (removed by `rmi` or `image prune -a`) never hits.
// `builder prune` drops every entry and the images only the cache kept.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ImageService } from '../image/service.ts';
import { ensureDir, readJsonOr, sweepTemps, writeJsonAtomic } from '../util/fs-atomic.ts';
import { fileDigest, missReason, type CacheEntry, type StepInputs } from './cache-key.ts';
import { findSources } from './copy-step.ts';

interface CacheFile {
  entries: CacheEntry[];
}

export class BuildCache {
  readonly #path: string;
  readonly #images: ImageService;
  #entries = new Map<string, CacheEntry>();
  #saving: Promise<unknown> = Promise.resolve();

  constructor(path: string, images: ImageService) {
    this.#path = path;
    this.#images = images;
    images.intermediates = () => this.parents();
    images.parentOf = (id) => [...this.#entries.values()].find((e) => e.image === id)?.parent ?? undefined;
    images.childrenOf = (id) => [...this.#entries.values()].filter((e) => e.parent === id).map((e) => e.image);
  }

  async init(): Promise<void> {
    await ensureDir(dirname(this.#path));
    await sweepTemps(dirname(this.#path));
    const file = await readJsonOr<CacheFile>(this.#path, { entries: [] });
    for (const e of file.entries) if (this.#images.store.has(e.image)) this.#entries.set(e.key, e);
  }

  /** The cached image for `key`, if it is still there. */
  lookup(key: string): string | undefined {
    const e = this.#entries.get(key);
    if (!e || !this.#images.store.has(e.image)) return undefined;
    e.lastUsed = new Date().toISOString();
    e.usageCount++;
    return e.image;
  }

  explain(inputs: StepInputs): string | undefined {
    return missReason(inputs, [...this.#entries.values()].filter((e) => this.#images.store.has(e.image)));
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

  /** system df's BuildCache records. */
  usage(): object[] {
    return [...this.#entries.values()].filter((e) => this.#images.store.has(e.image)).map((e) => ({
      ID: e.key.slice(7, 32), Parent: '', Parents: null, Type: 'regular', Description: e.instruction,
      InUse: false, Shared: false, Size: e.size, CreatedAt: e.created, LastUsedAt: e.lastUsed, UsageCount: e.usageCount,
    }));
  }

  /** `builder prune`: drops every entry and removes the untagged, unused images only the cache kept. */
  async prune(): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }> {
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
    return { CachesDeleted: entries.length ? entries.map((e) => e.key.slice(7, 32)) : null, SpaceReclaimed: space };
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
  const add = async (host: string, name: string, follow: boolean): Promise<void> => {
    const st = follow ? await stat(host) : await lstat(host);
    const meta = { mode: st.mode, uid: st.uid, gid: st.gid };
    const key = name || '.';
    if (st.isSymbolicLink()) out[key] = fileDigest({ ...meta, link: await readlink(host) });
    else if (st.isFile()) out[key] = fileDigest({ ...meta, content: await contentDigest(host) });
    else out[key] = fileDigest(meta);
    if (st.isDirectory()) for (const child of (await readdir(host)).sort()) await add(`${host}/${child}`, name ? `${name}/${child}` : child, false);
  };
  for (const src of sources) {
    for (const s of await findSources(contextDir, src, command, command === 'ADD')) await add(s.host, s.rel, true);
  }
  return out;
}

async function contentDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

