// `docker load`: reads a `docker save` tarball (manifest.json) or an OCI image
// layout (index.json) in one pass. Large entries go straight into the content
// store; the small JSON documents are kept in memory until the end, since a
// tar may list them after the layers they describe.
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';
import type { ContentStore } from './content-store.ts';
import { isDigest } from './content-store.ts';
import { decompressStream } from '../storage/decompress.ts';
import { sha256 } from '../util/ids.ts';
import { badRequest } from '../util/errors.ts';
import type { Descriptor, ImageConfig, Index, Manifest } from './types.ts';
import { MEDIA } from './types.ts';

const MEMORY_LIMIT = 4 * 1024 * 1024;

export interface LoadedImage {
  configBytes: Buffer;
  layers: { blob: string; mediaType: string }[];
  tags: string[];
}

interface Entries {
  small: Map<string, Buffer>;
  large: Map<string, string>;
  links: Map<string, string>;
  created: Set<string>;
}

async function readEntries(input: Readable, content: ContentStore, entries: Entries): Promise<void> {
  const ex = extract();
  ex.on('entry', (header, entryStream, next) => {
    // tar-stream's streams are streamx streams; Node's stream API covers what is used here.
    const stream = entryStream as unknown as Readable;
    const name = posix.normalize(header.name).replace(/^(\.\/)+/, '').replace(/\/$/, '');
    const done = (err?: unknown): void => {
      if (err) ex.destroy(err as Error);
      else next();
    };
    if (header.type === 'symlink' || header.type === 'link') {
      const target = header.type === 'symlink' ? posix.join(posix.dirname(name), header.linkname ?? '') : posix.normalize(header.linkname ?? '');
      entries.links.set(name, target);
      stream.resume();
      stream.on('end', () => done());
      return;
    }
    if (header.type !== 'file' && header.type !== 'contiguous-file') {
      stream.resume();
      stream.on('end', () => done());
      return;
    }
    if ((header.size ?? 0) <= MEMORY_LIMIT) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        entries.small.set(name, Buffer.concat(chunks));
        done();
      });
      stream.on('error', done);
      return;
    }
    void (async () => {
      const m = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(name);
      const existed = m ? await content.has(`sha256:${m[1]}`) : false;
      const info = await content.put(stream, m ? `sha256:${m[1]}` : undefined);
      if (!existed) entries.created.add(info.digest);
      entries.large.set(name, info.digest);
    })().then(() => done(), done);
  });
  await pipeline(decompressStream(input), ex);
}

class ArchiveView {
  readonly entries: Entries;
  readonly content: ContentStore;
  readonly used = new Set<string>();
  constructor(entries: Entries, content: ContentStore) {
    this.entries = entries;
    this.content = content;
  }

  #resolve(name: string): string {
    let n = posix.normalize(name).replace(/^(\.\/)+/, '');
    for (let hops = 0; this.entries.links.has(n); hops++) {
      if (hops > 16) throw badRequest(`archive: too many links at ${name}`);
      n = this.entries.links.get(n)!;
    }
    return n;
  }

  json<T>(name: string): T | undefined {
    const buf = this.entries.small.get(this.#resolve(name));
    if (!buf) return undefined;
    try {
      return JSON.parse(buf.toString('utf8')) as T;
    } catch {
      throw badRequest(`archive: ${name} is not valid JSON`);
    }
  }

  bytes(name: string): Buffer {
    const buf = this.entries.small.get(this.#resolve(name));
    if (!buf) throw badRequest(`archive: missing ${name}`);
    return buf;
  }

  /** Puts an archive file into the content store (if not there yet); returns its digest. */
  async blob(name: string, expected?: string): Promise<string> {
    const n = this.#resolve(name);
    let digest = this.entries.large.get(n);
    if (!digest) {
      const buf = this.entries.small.get(n);
      if (!buf) throw badRequest(`archive: missing ${name}`);
      digest = (await this.content.putBytes(buf)).digest;
    }
    if (expected && digest !== expected) throw badRequest(`archive: ${name} does not match its digest ${expected}`);
    this.used.add(digest);
    return digest;
  }
}

function fullName(annotations: Record<string, string> | undefined): string | undefined {
  const name = annotations?.['io.containerd.image.name'];
  if (name) return name;
  const ref = annotations?.['org.opencontainers.image.ref.name'];
  // A bare tag ("latest") has no repository to go with it.
  return ref && /[/:]/.test(ref) ? ref : undefined;
}

async function fromDockerManifest(view: ArchiveView): Promise<LoadedImage[]> {
  const list = view.json<{ Config: string; RepoTags?: string[] | null; Layers: string[] }[]>('manifest.json');
  if (!Array.isArray(list)) throw badRequest('archive: manifest.json is not a list');
  const images: LoadedImage[] = [];
  for (const item of list) {
    if (typeof item?.Config !== 'string' || !Array.isArray(item.Layers)) throw badRequest('archive: malformed manifest.json entry');
    const configBytes = view.bytes(item.Config);
    const layers = [];
    for (const l of item.Layers) layers.push({ blob: await view.blob(l), mediaType: MEDIA.dockerLayer });
    images.push({ configBytes, layers, tags: item.RepoTags ?? [] });
  }
  return images;
}

async function fromOciLayout(view: ArchiveView): Promise<LoadedImage[]> {
  const index = view.json<Index>('index.json');
  if (!index || !Array.isArray(index.manifests)) throw badRequest('archive: index.json has no manifests');
  const blobPath = (d: Descriptor): string => {
    if (!isDigest(d.digest)) throw badRequest(`archive: invalid digest ${d.digest}`);
    return `blobs/sha256/${d.digest.slice(7)}`;
  };
  const images: LoadedImage[] = [];
  const visit = async (desc: Descriptor, name: string | undefined, depth: number): Promise<void> => {
    if (depth > 4) throw badRequest('archive: index nesting too deep');
    const bytes = view.bytes(blobPath(desc));
    if (sha256(bytes) !== desc.digest) throw badRequest(`archive: blob ${desc.digest} does not match its digest`);
    const doc = JSON.parse(bytes.toString('utf8')) as Manifest & Index;
    if (Array.isArray(doc.manifests)) {
      const pick =
        doc.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64') ??
        doc.manifests.find((m) => !m.platform);
      if (!pick) throw badRequest('archive: no linux/amd64 image in index');
      return visit(pick, name, depth + 1);
    }
    if (!doc.config || !Array.isArray(doc.layers)) throw badRequest(`archive: ${desc.digest} is not an image manifest`);
    const configBytes = view.bytes(blobPath(doc.config));
    if (sha256(configBytes) !== doc.config.digest) throw badRequest('archive: config does not match its digest');
    const layers = [];
    for (const l of doc.layers) layers.push({ blob: await view.blob(blobPath(l), l.digest), mediaType: l.mediaType });
    images.push({ configBytes, layers, tags: name ? [name] : [] });
  };
  for (const m of index.manifests) await visit(m, fullName(m.annotations), 0);
  return images;
}

/** Reads an archive into the content store; returns the images it describes (not yet unpacked or named). */
export async function readImageArchive(input: Readable, content: ContentStore): Promise<LoadedImage[]> {
  const entries: Entries = { small: new Map(), large: new Map(), links: new Map(), created: new Set() };
  try {
    await readEntries(input, content, entries);
  } catch (err) {
    // A broken or cut-off upload keeps nothing it stored.
    for (const d of entries.created) await content.delete(d);
    throw badRequest(`invalid tar archive: ${(err as Error).message}`);
  }
  const view = new ArchiveView(entries, content);
  try {
    let images: LoadedImage[];
    if (entries.small.has('manifest.json')) images = await fromDockerManifest(view);
    else if (entries.small.has('index.json')) images = await fromOciLayout(view);
    else throw badRequest('archive: neither manifest.json nor index.json found (not a docker save or OCI layout tarball)');
    for (const img of images) {
      let cfg: ImageConfig;
      try {
        cfg = JSON.parse(img.configBytes.toString('utf8')) as ImageConfig;
      } catch {
        throw badRequest('archive: image config is not valid JSON');
      }
      if (!Array.isArray(cfg.rootfs?.diff_ids) || cfg.rootfs.diff_ids.length !== img.layers.length) {
        throw badRequest('archive: image config rootfs.diff_ids does not match the layer list');
      }
      if (!cfg.rootfs.diff_ids.every(isDigest)) throw badRequest('archive: invalid diff_id in image config');
    }
    return images;
  } finally {
    // Blobs this load wrote that no image uses are dropped; ones already there stay.
    for (const d of entries.created) if (!view.used.has(d)) await content.delete(d);
  }
}
