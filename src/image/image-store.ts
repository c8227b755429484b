// Images by ID (the config digest) and the names that point at them. Records
// are written before names, so a crash can leave an unnamed image (pruned as
// dangling) but never a name pointing at nothing.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContentStore } from './content-store.ts';
import type { ImageConfig, ImageRecord } from './types.ts';
import { ensureDir, readJson, readJsonOr, sweepTemps, writeJsonAtomic } from '../util/fs-atomic.ts';
import { notFound, badRequest } from '../util/errors.ts';
import { normalizeTagged, parseReference } from './reference.ts';

interface RefsFile {
  /** "repo:tag" or "repo@sha256:…" → image ID */
  refs: Record<string, string>;
}

export class ImageStore {
  readonly root: string;
  readonly content: ContentStore;
  #records = new Map<string, ImageRecord>();
  #configs = new Map<string, ImageConfig>();
  #refs: Record<string, string> = {};

  constructor(root: string, content: ContentStore) {
    this.root = root;
    this.content = content;
  }

  async init(): Promise<void> {
    await ensureDir(join(this.root, 'records'));
    await sweepTemps(this.root);
    await sweepTemps(join(this.root, 'records'));
    for (const name of await readdir(join(this.root, 'records'))) {
      if (!name.endsWith('.json')) continue;
      const rec = await readJson<ImageRecord>(join(this.root, 'records', name));
      if (await this.content.has(rec.id)) this.#records.set(rec.id, rec);
    }
    const file = await readJsonOr<RefsFile>(join(this.root, 'refs.json'), { refs: {} });
    this.#refs = Object.fromEntries(Object.entries(file.refs).filter(([, id]) => this.#records.has(id)));
  }

  list(): ImageRecord[] {
    return [...this.#records.values()];
  }

  has(id: string): boolean {
    return this.#records.has(id);
  }

  get(id: string): ImageRecord {
    const rec = this.#records.get(id);
    if (!rec) throw notFound(`No such image: ${id}`);
    return rec;
  }

  async config(id: string): Promise<ImageConfig> {
    let cfg = this.#configs.get(id);
    if (!cfg) {
      cfg = JSON.parse((await this.content.read(id)).toString('utf8')) as ImageConfig;
      this.#configs.set(id, cfg);
    }
    return cfg;
  }

  /** Resolves a name, a full ID or a unique ID prefix to an image ID. */
  resolve(nameOrId: string): string {
    const id = this.lookup(nameOrId);
    if (!id) throw notFound(`No such image: ${nameOrId}`);
    return id;
  }

  lookup(nameOrId: string): string | undefined {
    const hex = nameOrId.replace(/^sha256:/, '');
    if (/^[a-f0-9]{64}$/.test(hex) && this.#records.has(`sha256:${hex}`)) return `sha256:${hex}`;
    try {
      const tagged = normalizeTagged(nameOrId);
      const id = this.#refs[tagged];
      if (id) return id;
    } catch {
      // not a valid name: may still be an ID prefix
    }
    if (/^[a-f0-9]{1,64}$/.test(hex) && hex.length >= 1) {
      const matches = [...this.#records.keys()].filter((id) => id.startsWith(`sha256:${hex}`));
      if (matches.length === 1) return matches[0];
    }
    return undefined;
  }

  refsOf(id: string): { tags: string[]; digests: string[] } {
    const tags: string[] = [];
    const digests: string[] = [];
    for (const [ref, target] of Object.entries(this.#refs)) {
      if (target !== id) continue;
      (ref.includes('@') ? digests : tags).push(ref);
    }
    return { tags: tags.sort(), digests: digests.sort() };
  }

  async add(rec: ImageRecord): Promise<void> {
    await writeJsonAtomic(join(this.root, 'records', `${rec.id.slice(7)}.json`), rec);
    this.#records.set(rec.id, rec);
  }

  /** Points `ref` at image `id`; returns the image it pointed at before, if another. */
  async tag(id: string, ref: string): Promise<string | undefined> {
    this.get(id);
    const parsed = parseReference(ref);
    if (parsed.digest) throw badRequest(`refusing to create a tag with a digest reference`);
    const key = `${parsed.repo}:${parsed.tag ?? 'latest'}`;
    const previous = this.#refs[key];
    this.#refs[key] = id;
    await this.#saveRefs();
    return previous !== id ? previous : undefined;
  }

  /** Names image `id` `repo@digest` (RepoDigests): the manifest digest a pull or push found it has in a registry. */
  async addDigest(id: string, repo: string, digest: string): Promise<void> {
    this.get(id);
    const key = `${repo}@${digest}`;
    if (this.#refs[key] === id) return;
    this.#refs[key] = id;
    await this.#saveRefs();
  }

  async untag(ref: string): Promise<string> {
    const key = normalizeTagged(ref);
    const id = this.#refs[key];
    if (!id) throw notFound(`No such image: ${ref}`);
    delete this.#refs[key];
    await this.#saveRefs();
    return key;
  }

  /** Forgets the image record and all its names; its blobs are the caller's to collect. */
  async remove(id: string): Promise<void> {
    for (const [ref, target] of Object.entries(this.#refs)) if (target === id) delete this.#refs[ref];
    await this.#saveRefs();
    await rm(join(this.root, 'records', `${id.slice(7)}.json`), { force: true });
    this.#records.delete(id);
    this.#configs.delete(id);
  }

  async #saveRefs(): Promise<void> {
    await writeJsonAtomic(join(this.root, 'refs.json'), { refs: this.#refs } satisfies RefsFile);
  }
}
