// `docker push`: for each tag pushed, every layer the registry lacks is
// uploaded (five at a time) unless it can be mounted from another
// repository of the registry; then the config, then a Docker v2 schema 2
// manifest under the tag. Layers kept uncompressed here (loaded, built,
// committed) go out gzip-compressed, as docker sends them: the gzip blob is
// written to the content store first (so its digest and size are known for
// the existence check and a monolithic upload) and leased until the push
// ends. The manifest digest becomes one of the image's RepoDigests.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGzip } from 'node:zlib';
import type { ImageService } from '../image/service.ts';
import type { ContentStore, BlobInfo } from '../image/content-store.ts';
import { parseReference } from '../image/reference.ts';
import { MEDIA, type Descriptor, type LayerRecord } from '../image/types.ts';
import { decompressStream } from '../storage/decompress.ts';
import { sha256 } from '../util/ids.ts';
import { repositoryScope, type AuthConfig } from './auth.ts';
import type { BlobSources } from './blob-sources.ts';
import { RegistryClient } from './client.ts';
import { qualifiedName, resolveRemote, type RemoteReference } from './endpoint.ts';
import { eachLimited } from './limit.ts';
import { dockerManifest } from './manifest.ts';
import { ByteProgress, layerStatus, note, shortDigest, type ProgressSink } from './progress.ts';
import { DEFAULT_CHUNK_SIZE, blobExists, bufferBlob, putManifest, sendBlob, startUpload, type LocalBlob } from './upload.ts';

const UPLOADS_AT_ONCE = 5;
/** How many repositories a push tries to mount a blob from before uploading it. */
const MOUNT_TRIES = 3;

export interface PushOptions {
  /** The repository, as docker spells it: "127.0.0.1:5000/app". */
  name: string;
  /** The tag to push; none pushes every tag of the repository (docker push --all-tags). */
  tag?: string;
  auth: AuthConfig;
  images: ImageService;
  progress: ProgressSink;
  sources: BlobSources;
  signal?: AbortSignal;
  /** Blobs larger than this are sent in chunks of it. */
  chunkSize?: number;
}

interface Session {
  remote: RemoteReference;
  client: RegistryClient;
  scopes: string[];
  opts: PushOptions;
  abort: AbortController;
}

export async function pushImage(opts: PushOptions): Promise<void> {
  const remote = resolveRemote(opts.name);
  opts.progress(note(`The push refers to repository [${qualifiedName(remote)}]`));
  const targets = localTags(opts.images, remote.name, opts.tag);
  const abort = new AbortController();
  opts.signal?.addEventListener('abort', () => abort.abort(), { once: true });
  const session: Session = {
    remote,
    client: new RegistryClient(remote.endpoint, opts.auth, abort.signal),
    scopes: [repositoryScope(remote.path, ['pull', 'push'])],
    opts,
    abort,
  };
  for (const t of targets) await pushTag(session, t.tag, t.id);
}

/** The tags to push, as moby finds them: the one asked for, or all of the repository's. */
function localTags(images: ImageService, name: string, tag: string | undefined): { tag: string; id: string }[] {
  if (tag) {
    const id = images.store.lookup(`${name}:${tag}`);
    if (id) return [{ tag, id }];
  }
  const all: { tag: string; id: string }[] = [];
  for (const rec of images.store.list()) {
    for (const t of images.store.refsOf(rec.id).tags) {
      const ref = parseReference(t);
      if (ref.repo === name && ref.tag) all.push({ tag: ref.tag, id: rec.id });
    }
  }
  if (tag && all.length) throw new Error(`tag does not exist: ${name}:${tag}`);
  if (!all.length) throw new Error(`An image does not exist locally with the tag: ${name}`);
  return all.sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
}

async function pushTag(s: Session, tag: string, id: string): Promise<void> {
  const { images, progress } = s.opts;
  const { client, remote, scopes } = s;
  const rec = images.store.get(id);
  const held = new Set<string>([id, ...rec.layers.map((l) => l.blob)]);
  const release = images.lease(held);
  try {
    const configBytes = await images.content.read(id);
    // As docker lists them: the top layer first, one line per distinct layer.
    const layers = [...new Map([...rec.layers].reverse().map((l) => [l.diffId, l])).values()];
    for (const l of layers) progress(layerStatus(shortDigest(l.diffId), 'Preparing'));
    for (const l of layers.slice(UPLOADS_AT_ONCE)) progress(layerStatus(shortDigest(l.diffId), 'Waiting'));
    const pushed = new Map<string, Descriptor>();
    await eachLimited(layers, UPLOADS_AT_ONCE, async (l) => {
      try {
        pushed.set(l.diffId, await pushLayer(s, l, held));
      } catch (err) {
        s.abort.abort();
        throw err;
      }
    });
    const config: Descriptor = { mediaType: MEDIA.dockerConfig, digest: id, size: configBytes.length };
    if (!(await blobExists(client, remote.path, id, scopes))) {
      await upload(s, undefined, bufferBlob(id, configBytes), () => {});
    }
    const manifest = dockerManifest(config, rec.layers.map((l) => pushed.get(l.diffId)!));
    await putManifest(client, remote.path, tag, MEDIA.dockerManifest, manifest, scopes);
    const digest = sha256(manifest);
    progress(note(`${tag}: digest: ${digest} size: ${manifest.length}`));
    progress({ progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: manifest.length } });
    await images.recordPushed(id, remote.name, digest, `${remote.name}:${tag}`);
  } finally {
    release();
  }
}

/** Pushes one layer unless the registry has it or can mount it; returns its descriptor in the manifest. */
async function pushLayer(s: Session, layer: LayerRecord, held: Set<string>): Promise<Descriptor> {
  const { images, progress, sources } = s.opts;
  const { client, remote, scopes } = s;
  const id = shortDigest(layer.diffId);
  const desc = (b: BlobInfo): Descriptor => ({ mediaType: MEDIA.dockerLayerGzip, digest: b.digest, size: b.size });
  const exists = (b: BlobInfo): Descriptor => {
    progress(layerStatus(id, 'Layer already exists'));
    sources.seen(b.digest, remote.endpoint.domain, remote.path);
    return desc(b);
  };
  let blob: BlobInfo;
  if (await isGzip(images.content, layer.blob)) {
    blob = await images.content.info(layer.blob);
  } else {
    // Pushed compressed before: the registry may have it still, without compressing it again.
    const known = sources.compressedOf(layer.diffId);
    if (known && (await blobExists(client, remote.path, known.digest, scopes))) return exists(known);
    blob = known && held.add(known.digest) && (await images.content.has(known.digest)) ? known : await compress(images.content, layer.blob, held);
    sources.setCompressed(layer.diffId, blob);
  }
  if (await blobExists(client, remote.path, blob.digest, scopes)) return exists(blob);
  const local: LocalBlob = { ...blob, read: (start, end) => createReadStream(images.content.path(blob.digest), { start, end }) };
  const bar = new ByteProgress(progress, id, 'Pushing', blob.size);
  const mountedFrom = await upload(s, blob.digest, local, (n) => bar.add(n));
  progress(layerStatus(id, mountedFrom ? `Mounted from ${mountedFrom}` : 'Pushed'));
  sources.seen(blob.digest, remote.endpoint.domain, remote.path);
  return desc(blob);
}

/**
 * Uploads a blob, first trying to mount it (when `mountable`) from
 * repositories of the registry known to hold it; returns the repository it
 * was mounted from, or undefined when its bytes were sent.
 */
async function upload(s: Session, mountable: string | undefined, blob: LocalBlob, onBytes: (n: number) => void): Promise<string | undefined> {
  const { client, remote, scopes } = s;
  let location: URL | undefined;
  const candidates = mountable ? s.opts.sources.repositoriesWith(mountable, remote.endpoint.domain, remote.path).slice(-MOUNT_TRIES).reverse() : [];
  for (const from of candidates) {
    // A refused mount (no pull access to `from`) is no reason to fail: the bytes are here.
    const r = await startUpload(client, remote.path, [...scopes, repositoryScope(from, ['pull'])], { digest: blob.digest, from }).catch(() => undefined);
    if (r === 'mounted') return from;
    if (r) {
      location = r;
      break;
    }
  }
  location ??= (await startUpload(client, remote.path, scopes)) as URL;
  await sendBlob(client, location, blob, scopes, s.opts.chunkSize ?? DEFAULT_CHUNK_SIZE, onBytes);
  return undefined;
}

async function isGzip(content: ContentStore, digest: string): Promise<boolean> {
  const fh = await open(content.path(digest), 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** Writes the gzip form of a stored layer to the content store, leased in `held`. */
async function compress(content: ContentStore, digest: string, held: Set<string>): Promise<BlobInfo> {
  // A removal's collection may take the new blob between its write and its lease: then it is written again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const src = decompressStream(content.get(digest));
    const gzip = createGzip();
    src.on('error', (err) => gzip.destroy(err));
    const info = await content.put(src.pipe(gzip));
    held.add(info.digest);
    if (await content.has(info.digest)) return info;
  }
  throw new Error(`layer ${digest}: its compressed form kept being removed`);
}
