// The image subsystem's face to the engine and the API: load, save, import,
// tag, remove and describe images. Layers are unpacked into snapshots as soon
// as an image arrives, as docker does, so `run` never waits on extraction.
import { PassThrough, type Readable } from 'node:stream';
import { ContentStore } from './content-store.ts';
import { ImageStore } from './image-store.ts';
import { LayerNotUnpacked, Unpacker, layerChain } from './unpack.ts';
import { readImageArchive } from './archive-load.ts';
import { saveImages, type ExtraFile, type SaveItem } from './archive-save.ts';
import { decompressStream } from '../storage/decompress.ts';
import { applyChanges } from './changes.ts';
import { MEDIA, type ContainerDefaults, type ImageConfig, type ImageRecord } from './types.ts';
import type { Snapshotter } from '../storage/snapshotter.ts';
import { badRequest, conflict } from '../util/errors.ts';
import { sha256, shortId } from '../util/ids.ts';
import { normalizeTagged, parseReference } from './reference.ts';

export type ImageEvent = { action: 'load' | 'import' | 'tag' | 'untag' | 'delete' | 'save' | 'pull' | 'push'; id: string; name?: string };

export interface ImageUsers {
  /** Containers using the image: ids and whether each is running. */
  containersUsing(imageId: string): { id: string; running: boolean }[];
  /** Chain IDs that containers still stand on (their images may be gone). */
  chainsInUse(): Set<string>;
}

type CommitHistory = { created_by?: string; comment?: string; author?: string };

export class ImageService {
  readonly content: ContentStore;
  readonly store: ImageStore;
  readonly snapshots: Snapshotter;
  readonly unpacker: Unpacker;
  users: ImageUsers = { containersUsing: () => [], chainsInUse: () => new Set() };
  onEvent: (e: ImageEvent) => void = () => {};
  /** Intermediate build images (a cached build step's parent): hidden from the list without `all`, kept by a dangling prune. */
  intermediates: () => Set<string> = () => new Set();
  /** A build step image's parent and the images made on an image (the build cache knows them). */
  parentOf: (id: string) => string | undefined = () => undefined;
  childrenOf: (id: string) => string[] = () => [];
  #serial: Promise<unknown> = Promise.resolve();
  /** Blobs a pull or push holds that no image names yet: a collection keeps them. */
  #leases = new Set<ReadonlySet<string>>();

  constructor(root: string, snapshots: Snapshotter) {
    this.content = new ContentStore(`${root}/content`);
    this.store = new ImageStore(`${root}/images`, this.content);
    this.snapshots = snapshots;
    this.unpacker = new Unpacker(snapshots, this.content);
  }

  async init(): Promise<void> {
    await this.content.init();
    await this.store.init();
  }

  resolve(nameOrId: string): string {
    return this.store.resolve(nameOrId);
  }

  config(id: string): Promise<ImageConfig> {
    return this.store.config(id);
  }

  chainOf(id: string): string[] {
    return layerChain(this.store.get(id).layers);
  }

  /**
   * Registers an image whose config and layer blobs are in the content store
   * and unpacks its layers; with `sizes` known, the unpacking goes on after
   * the image is registered (whoever needs its snapshots, ensureUnpacked, waits).
   */
  async register(configBytes: Buffer, layers: { blob: string; mediaType: string }[], tags: string[], sizes?: number[]): Promise<string> {
    const cfgInfo = await this.content.putBytes(configBytes);
    const cfg = JSON.parse(configBytes.toString('utf8')) as ImageConfig;
    const diffIds = cfg.rootfs.diff_ids;
    const unpacking = this.unpacker.unpack(layers.map((l, i) => ({ diffId: diffIds[i]!, blob: l.blob })));
    // A failure here shows again, to the caller that needs the snapshots, when ensureUnpacked retries.
    if (sizes) unpacking.catch(() => {});
    else sizes = await unpacking;
    const record: ImageRecord = {
      id: cfgInfo.digest,
      layers: layers.map((l, i) => ({ diffId: diffIds[i]!, blob: l.blob, mediaType: l.mediaType, size: sizes[i]! })),
      added: new Date().toISOString(),
    };
    if (!this.store.has(record.id)) await this.store.add(record);
    for (const t of tags) await this.tag(record.id, t);
    return record.id;
  }

  /**
   * Runs one change of the store at a time. A removal collects every blob and
   * snapshot no stored image names, so it must not overlap a load or import
   * whose blobs are stored but whose record is not written yet.
   */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#serial.then(fn, fn);
    this.#serial = next.catch(() => {});
    return next;
  }

  /** Keeps the blobs in `blobs` (a set its owner may still add to) from being collected until the returned release is called. */
  lease(blobs: ReadonlySet<string>): () => void {
    this.#leases.add(blobs);
    return () => void this.#leases.delete(blobs);
  }

  /** A pulled image: registered unless present, named by its tag (if any) and `repo@digest`, as one change of the store. */
  registerPulled(configBytes: Buffer, layers: { blob: string; mediaType: string }[], tag: string | undefined, repo: string, digest: string): Promise<string> {
    return this.#exclusive(async () => {
      const id = sha256(configBytes);
      if (!this.store.has(id)) await this.register(configBytes, layers, []);
      if (tag) await this.store.tag(id, tag);
      await this.store.addDigest(id, repo, digest);
      this.onEvent({ action: 'pull', id, name: tag ?? `${repo}@${digest}` });
      return id;
    });
  }

  /** Records a push: image `id` is `repo@digest` in the registry (unless it was removed meanwhile). */
  recordPushed(id: string, repo: string, digest: string, name: string): Promise<void> {
    return this.#exclusive(async () => {
      if (!this.store.has(id)) return;
      await this.store.addDigest(id, repo, digest);
      this.onEvent({ action: 'push', id, name });
    });
  }

  load(input: Readable, progress: (line: string) => void): Promise<string[]> {
    return this.#exclusive(() => this.#load(input, progress));
  }

  /** Loads an archive's images without any names it has (a build cache import); returns their IDs. */
  loadUntagged(input: Readable): Promise<string[]> {
    return this.#exclusive(() => this.#load(input, () => {}, false));
  }

  async #load(input: Readable, progress: (line: string) => void, named = true): Promise<string[]> {
    const images = await readImageArchive(input, this.content);
    const loaded: string[] = [];
    for (const img of images) {
      if (!named) img.tags = [];
      const id = await this.register(img.configBytes, img.layers, img.tags);
      this.onEvent({ action: 'load', id });
      if (img.tags.length === 0) progress(`Loaded image ID: ${id}`);
      for (const t of img.tags) progress(`Loaded image: ${normalizeTagged(t)}`);
      loaded.push(id);
    }
    return loaded;
  }

  /**
   * `docker save`; with `extra` files (a build cache export), the images go
   * by ID alone, without their names, and the files follow them.
   */
  save(names: string[], extra?: ExtraFile[]): Readable {
    const items: SaveItem[] = [];
    const byId = new Map<string, SaveItem>();
    for (const name of names) {
      const id = this.store.resolve(name);
      let item = byId.get(id);
      if (!item) {
        item = { record: this.store.get(id), configBytes: Buffer.alloc(0), tags: [] };
        byId.set(id, item);
        items.push(item);
      }
      if (extra) continue;
      // Saving by name keeps that name; saving by ID keeps every name, as docker does.
      const tags = this.#isName(name, id) ? [normalizeTagged(name)] : this.store.refsOf(id).tags;
      for (const t of tags) if (!item.tags.includes(t)) item.tags.push(t);
    }
    const out = new PassThrough();
    Promise.all(items.map(async (it) => (it.configBytes = await this.content.read(it.record.id))))
      .then(() => {
        for (const it of items) this.onEvent({ action: 'save', id: it.record.id });
        const tar = saveImages(items, this.content, extra);
        tar.on('error', (err) => out.destroy(err));
        tar.pipe(out);
      })
      .catch((err: Error) => out.destroy(err));
    return out;
  }

  /** `docker import`: a root filesystem tarball becomes a one-layer image. */
  import(input: Readable, opts: { tag?: string; changes: string[]; message?: string; platform?: string }): Promise<string> {
    return this.#exclusive(() => this.#import(input, opts));
  }

  async #import(input: Readable, opts: { tag?: string; changes: string[]; message?: string; platform?: string }): Promise<string> {
    const defaults = applyChanges({}, opts.changes);
    let blob;
    try {
      blob = await this.unpacker.storeAndUnpack(decompressStream(input), null);
    } catch (err) {
      if (err instanceof LayerNotUnpacked) await this.#deleteIfUnused(err.blob);
      throw badRequest(`import: ${(err as Error).message}`);
    }
    const now = new Date().toISOString();
    const cfg: ImageConfig = {
      architecture: 'amd64',
      os: 'linux',
      created: now,
      config: defaults,
      rootfs: { type: 'layers', diff_ids: [blob.digest] },
      history: [{ created: now, comment: opts.message || 'Imported from -', created_by: '' }],
    };
    if (opts.tag) parseReference(opts.tag);
    let id: string;
    try {
      id = await this.register(Buffer.from(JSON.stringify(cfg)), [{ blob: blob.digest, mediaType: MEDIA.dockerLayer }], opts.tag ? [opts.tag] : []);
    } catch (err) {
      await this.#deleteIfUnused(blob.digest);
      throw badRequest(`import: ${(err as Error).message}`);
    }
    this.onEvent({ action: 'import', id });
    return id;
  }

  async #deleteIfUnused(blob: string): Promise<void> {
    if (!this.store.list().some((r) => r.layers.some((l) => l.blob === blob))) await this.content.delete(blob);
  }

  /** Builds an image from a parent image plus one new layer (commit, build). */
  /**
   * `unpack: 'later'` (docker commit) returns once the layer is stored and
   * the image registered, and unpacks its snapshot after; 'now' (a build's
   * next step needs it at once) unpacks while the layer is stored.
   */
  commitLayer(parentId: string | null, layer: Readable | null, defaults: ContainerDefaults, history: CommitHistory, tags: string[], unpack: 'now' | 'later' = 'now'): Promise<string> {
    return this.#exclusive(() => this.#commitLayer(parentId, layer, defaults, history, tags, unpack));
  }

  /** The committed snapshot holding image `id`'s files (null for none: scratch, no layers), unpacked first if need be. */
  async snapshotOf(id: string | null): Promise<string | null> {
    if (!id) return null;
    await this.ensureUnpacked(id);
    return this.chainOf(id).at(-1) ?? null;
  }

  /** Makes sure image `id`'s layers are snapshots (a commit unpacks after it returns; a crash may have cut that short). */
  async ensureUnpacked(id: string): Promise<void> {
    const rec = this.store.get(id);
    await this.unpacker.unpack(rec.layers.map((l) => ({ diffId: l.diffId, blob: l.blob })));
  }

  async #commitLayer(parentId: string | null, layer: Readable | null, defaults: ContainerDefaults, history: CommitHistory, tags: string[], unpack: 'now' | 'later'): Promise<string> {
    const parent = parentId ? await this.config(parentId) : undefined;
    const parentRec = parentId ? this.store.get(parentId) : undefined;
    const layers = parentRec ? parentRec.layers.map((l) => ({ blob: l.blob, mediaType: l.mediaType })) : [];
    const sizes = parentRec ? parentRec.layers.map((l) => l.size) : [];
    const diffIds = parent ? [...parent.rootfs.diff_ids] : [];
    let emptyLayer = true;
    if (layer) {
      const blob = unpack === 'later'
        ? await this.content.put(layer)
        : await this.unpacker.storeAndUnpack(layer, parentRec ? layerChain(parentRec.layers).at(-1)! : null);
      layers.push({ blob: blob.digest, mediaType: MEDIA.dockerLayer });
      sizes.push(blob.size);
      diffIds.push(blob.digest);
      emptyLayer = false;
    }
    const now = new Date().toISOString();
    const cfg: ImageConfig = {
      ...(parent ?? { architecture: 'amd64', os: 'linux' }),
      created: now,
      ...(history.author ? { author: history.author } : {}),
      config: defaults,
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: [...(parent?.history ?? []), { created: now, ...history, ...(emptyLayer ? { empty_layer: true } : {}) }],
    };
    delete cfg.container_config;
    return this.register(Buffer.from(JSON.stringify(cfg)), layers, tags, unpack === 'later' ? sizes : undefined);
  }

  async tag(id: string, ref: string): Promise<void> {
    try {
      // An image the name pointed at before becomes dangling, kept until pruned, as in docker.
      await this.store.tag(id, ref);
    } catch (err) {
      throw err instanceof Error && !('status' in err) ? badRequest(err.message) : err;
    }
    this.onEvent({ action: 'tag', id, name: normalizeTagged(ref) });
  }

  /** `docker rmi`: untags, and deletes the image when no name is left. */
  remove(nameOrId: string, force: boolean, noPrune: boolean): Promise<object[]> {
    return this.#exclusive(() => this.#remove(nameOrId, force, noPrune));
  }

  async #remove(nameOrId: string, force: boolean, noPrune: boolean): Promise<object[]> {
    const id = this.store.resolve(nameOrId);
    const refs = this.store.refsOf(id);
    const byName = this.#isName(nameOrId, id);
    const users = this.users.containersUsing(id);
    const result: object[] = [];
    // As moby: a repository's digest references (a pull's or push's RepoDigests) go with its last tag; they keep no image.
    const repo = byName ? parseReference(nameOrId).repo : '';
    const lastOfRepo = byName && !nameOrId.includes('@') && refs.tags.filter((t) => parseReference(t).repo === repo).length === 1;
    const repoDigests = lastOfRepo ? refs.digests.filter((d) => parseReference(d).repo === repo) : [];
    if (byName && refs.tags.length + refs.digests.length - repoDigests.length > 1) {
      const key = await this.store.untag(nameOrId);
      this.onEvent({ action: 'untag', id, name: key });
      for (const d of repoDigests) {
        await this.store.untag(d);
        this.onEvent({ action: 'untag', id, name: d });
      }
      return [{ Untagged: key }, ...repoDigests.map((d) => ({ Untagged: d }))];
    }
    if (!byName && refs.tags.length > 1 && !force) {
      throw conflict(`conflict: unable to delete ${shortId(id)} (must be forced) - image is referenced in multiple repositories`);
    }
    const running = users.find((u) => u.running);
    if (running) {
      throw conflict(`conflict: unable to delete ${shortId(id)} (cannot be forced) - image is being used by running container ${shortId(running.id)}`);
    }
    if (users.length > 0 && !force) {
      if (byName) throw conflict(`conflict: unable to remove repository reference "${nameOrId}" (must force) - container ${shortId(users[0]!.id)} is using its referenced image ${shortId(id)}`);
      throw conflict(`conflict: unable to delete ${shortId(id)} (must be forced) - image is being used by stopped container ${shortId(users[0]!.id)}`);
    }
    for (const t of [...refs.tags, ...refs.digests]) {
      result.push({ Untagged: t });
      this.onEvent({ action: 'untag', id, name: t });
    }
    const chain = this.chainOf(id);
    await this.store.remove(id);
    result.push({ Deleted: id });
    this.onEvent({ action: 'delete', id });
    if (noPrune) return result;
    // As moby: untagged, unused parents left without children go too (a build's intermediate images).
    for (let p = this.parentOf(id); p && this.store.has(p); ) {
      const r = this.store.refsOf(p);
      if (r.tags.length + r.digests.length > 0 || this.users.containersUsing(p).length > 0 || this.childrenOf(p).some((c) => this.store.has(c))) break;
      const next = this.parentOf(p);
      await this.store.remove(p);
      result.push({ Deleted: p });
      this.onEvent({ action: 'delete', id: p });
      p = next;
    }
    result.push(...(await this.#collect(chain)));
    return result;
  }

  #isName(nameOrId: string, id: string): boolean {
    const hex = nameOrId.replace(/^sha256:/, '');
    if (/^[a-f0-9]+$/.test(hex) && id.startsWith(`sha256:${hex}`)) {
      try {
        return this.store.refsOf(id).tags.includes(normalizeTagged(nameOrId));
      } catch {
        return false;
      }
    }
    return true;
  }

  /** Drops snapshots and blobs of `chain` that no image or container still needs. */
  async #collect(chain: string[]): Promise<object[]> {
    // An unpacking still under way would commit a snapshot after the sweep.
    await this.unpacker.idle();
    const keepChains = this.users.chainsInUse();
    const keepBlobs = new Set<string>();
    for (const rec of this.store.list()) {
      for (const c of layerChain(rec.layers)) keepChains.add(c);
      for (const l of rec.layers) keepBlobs.add(l.blob);
      keepBlobs.add(rec.id);
    }
    for (const lease of this.#leases) for (const d of lease) keepBlobs.add(d);
    const deleted: object[] = [];
    for (const c of [...chain].reverse()) {
      if (keepChains.has(c)) continue;
      await this.snapshots.remove(c);
      deleted.push({ Deleted: c });
    }
    for (const blob of await this.content.walk()) {
      if (!keepBlobs.has(blob.digest)) await this.content.delete(blob.digest);
    }
    return deleted;
  }

  /** `image prune`: dangling images (or all unused with `all`). */
  prune(all: boolean, filter: (rec: ImageRecord, labels: Record<string, string> | null) => boolean): Promise<{ ImagesDeleted: object[]; SpaceReclaimed: number }> {
    return this.#exclusive(() => this.#prune(all, filter));
  }

  async #prune(all: boolean, filter: (rec: ImageRecord, labels: Record<string, string> | null) => boolean): Promise<{ ImagesDeleted: object[]; SpaceReclaimed: number }> {
    const deleted: object[] = [];
    let space = 0;
    const intermediates = this.intermediates();
    for (const rec of this.store.list()) {
      const refs = this.store.refsOf(rec.id);
      if (!all && (refs.tags.length + refs.digests.length > 0 || intermediates.has(rec.id))) continue;
      if (!filter(rec, (await this.config(rec.id)).config?.Labels ?? null)) continue;
      if (this.users.containersUsing(rec.id).length > 0) continue;
      const size = rec.layers.reduce((n, l) => n + l.size, 0);
      deleted.push(...(await this.#remove(rec.id, true, false)));
      space += size;
    }
    return { ImagesDeleted: deleted, SpaceReclaimed: space };
  }

  size(rec: ImageRecord): number {
    return rec.layers.reduce((n, l) => n + l.size, 0);
  }

  async listJson(): Promise<object[]> {
    const out = [];
    for (const rec of this.store.list()) {
      const cfg = await this.config(rec.id);
      const refs = this.store.refsOf(rec.id);
      const size = this.size(rec);
      out.push({
        Id: rec.id,
        ParentId: this.#parent(rec.id),
        RepoTags: refs.tags.length ? refs.tags : ['<none>:<none>'],
        RepoDigests: refs.digests.length ? refs.digests : (refs.tags.length ? [] : ['<none>@<none>']),
        Created: Math.floor(Date.parse(cfg.created ?? rec.added) / 1000) || 0,
        Size: size,
        VirtualSize: size,
        SharedSize: -1,
        Labels: cfg.config?.Labels ?? null,
        Containers: this.users.containersUsing(rec.id).length,
      });
    }
    return out.sort((a, b) => b.Created - a.Created);
  }

  /** The image a build step started from, as moby's classic builder records it; '' for others. */
  #parent(id: string): string {
    const p = this.parentOf(id);
    return p && this.store.has(p) ? p : '';
  }

  async inspectJson(nameOrId: string): Promise<object> {
    const id = this.store.resolve(nameOrId);
    const rec = this.store.get(id);
    const cfg = await this.config(id);
    const refs = this.store.refsOf(id);
    const size = this.size(rec);
    return {
      Id: id,
      RepoTags: refs.tags,
      RepoDigests: refs.digests,
      Parent: this.#parent(id),
      Comment: cfg.comment ?? cfg.history?.at(-1)?.comment ?? '',
      Created: cfg.created ?? rec.added,
      DockerVersion: cfg.docker_version ?? '',
      Author: cfg.author ?? '',
      Config: { Env: null, Cmd: null, Entrypoint: null, WorkingDir: '', Labels: null, User: '', ...cfg.config },
      Architecture: cfg.architecture,
      Os: cfg.os,
      ...(cfg.variant ? { Variant: cfg.variant } : {}),
      Size: size,
      VirtualSize: size,
      GraphDriver: { Name: this.snapshots.driver, Data: null },
      RootFS: { Type: 'layers', Layers: cfg.rootfs.diff_ids },
      Metadata: { LastTagTime: rec.added },
    };
  }

  async historyJson(nameOrId: string): Promise<object[]> {
    const id = this.store.resolve(nameOrId);
    const rec = this.store.get(id);
    const cfg = await this.config(id);
    const history = cfg.history ?? [];
    const out: object[] = [];
    let layer = 0;
    history.forEach((h) => {
      const size = h.empty_layer ? 0 : (rec.layers[layer++]?.size ?? 0);
      out.push({ Id: '<missing>', Created: Math.floor(Date.parse(h.created ?? '') / 1000) || 0, CreatedBy: h.created_by ?? '', Tags: null, Size: size, Comment: h.comment ?? '' });
    });
    out.reverse();
    if (out.length) Object.assign(out[0]!, { Id: id, Tags: this.store.refsOf(id).tags });
    return out;
  }
}
