// `docker pull`: resolve the reference to the platform's image manifest,
// fetch the config, download the layers this engine does not have (three at
// a time, each verified as it streams into the content store), then
// register the image with its tag and repository digest. Progress goes out
// as docker's messages. The downloaded blobs are leased from the image
// service until the image that names them is registered, so a removal
// running meanwhile does not collect them.
import type { ImageService } from '../image/service.ts';
import { isDigest } from '../image/content-store.ts';
import type { Descriptor, ImageConfig } from '../image/types.ts';
import { repositoryScope, type AuthConfig } from './auth.ts';
import { fetchBlob, fetchBlobBytes } from './blob-fetch.ts';
import type { BlobSources } from './blob-sources.ts';
import { RegistryClient } from './client.ts';
import { familiarString, resolveRemote, type RemoteReference } from './endpoint.ts';
import { RegistryError, pullError } from './errors.ts';
import { eachLimited } from './limit.ts';
import { HOST_PLATFORM, formatPlatform, type Platform } from './manifest.ts';
import { ByteProgress, layerStatus, note, shortDigest, type ProgressSink } from './progress.ts';
import { listTags, resolveImage } from './resolve.ts';

const DOWNLOADS_AT_ONCE = 3;

export interface PullOptions {
  /** The reference as docker spells it, tag or digest included. */
  ref: string;
  auth: AuthConfig;
  /** The platform asked for; the host's when not given. */
  platform?: Platform;
  images: ImageService;
  progress: ProgressSink;
  sources: BlobSources;
  signal?: AbortSignal;
}

interface LayerPlan {
  desc: Descriptor;
  diffId: string;
  /** What the image record will name: the registry's blob, or a local one with the same content. */
  blob: string;
  mediaType: string;
  download: boolean;
}

/** Pulls an image; returns its ID. Errors are the Engine API's (404 for an unknown image). */
export async function pullImage(opts: PullOptions): Promise<string> {
  const remote = resolveRemote(opts.ref);
  try {
    return await pull(remote, opts);
  } catch (err) {
    throw pullError(err, familiarString(remote), remote.name);
  }
}

async function pull(remote: RemoteReference, opts: PullOptions): Promise<string> {
  // One failed download stops the others.
  const abort = new AbortController();
  opts.signal?.addEventListener('abort', () => abort.abort(), { once: true });
  const client = new RegistryClient(remote.endpoint, opts.auth, abort.signal);
  const scopes = [repositoryScope(remote.path, ['pull'])];
  const pulled: { id: string; updated: boolean }[] = [];
  if (remote.tag || remote.digest) {
    pulled.push(await pullOne(client, abort, scopes, remote, opts));
  } else {
    // No tag: every tag of the repository (docker pull --all-tags).
    for (const tag of await listTags(client, remote.path, scopes)) pulled.push(await pullOne(client, abort, scopes, { ...remote, tag }, opts));
    if (!pulled.length) throw new RegistryError(`no tags found in ${remote.name}`, 0);
  }
  const familiar = remote.tag || remote.digest ? familiarString(remote) : remote.name;
  opts.progress(note(`Status: ${pulled.some((p) => p.updated) ? 'Downloaded newer image' : 'Image is up to date'} for ${familiar}`));
  return pulled[0]!.id;
}

async function pullOne(client: RegistryClient, abort: AbortController, scopes: string[], remote: RemoteReference, opts: PullOptions): Promise<{ id: string; updated: boolean }> {
  const { images, progress } = opts;
  const reference = remote.digest ?? remote.tag!;
  const resolved = await resolveImage(client, remote.path, reference, opts.platform ?? HOST_PLATFORM, scopes);
  progress({ status: `Pulling from ${remote.path}`, id: reference });

  const held = new Set<string>([resolved.config.digest]);
  const release = images.lease(held);
  try {
    let configBytes: Buffer;
    let plans: LayerPlan[] = [];
    if (images.store.has(resolved.config.digest)) {
      // As docker: an image that is here already needs nothing more (but must be of the platform asked for).
      configBytes = await images.content.read(resolved.config.digest);
      if (opts.platform) checkConfig(configBytes, resolved.layers.length, opts.platform);
    } else {
      configBytes = await fetchBlobBytes(client, remote.path, resolved.config, scopes);
      const config = checkConfig(configBytes, resolved.layers.length, opts.platform);
      plans = await planLayers(images, resolved.layers, config.rootfs.diff_ids, held);
      await download(client, abort, scopes, remote.path, plans, opts);
    }
    const tag = remote.digest ? undefined : `${remote.name}:${reference}`;
    const before = images.store.lookup(tag ?? `${remote.name}@${resolved.digest}`);
    const id = await images.registerPulled(configBytes, plans.map((p) => ({ blob: p.blob, mediaType: p.mediaType })), tag, remote.name, resolved.digest);
    for (const p of distinct(plans.filter((p) => p.download))) progress(layerStatus(shortDigest(p.desc.digest), 'Pull complete'));
    for (const d of [resolved.config.digest, ...resolved.layers.map((l) => l.digest)]) opts.sources.seen(d, remote.endpoint.domain, remote.path);
    progress(note(`Digest: ${resolved.digest}`));
    return { id, updated: before !== id };
  } finally {
    release();
  }
}

/** One plan per blob (an image may list the same layer twice). */
function distinct(plans: LayerPlan[]): LayerPlan[] {
  return [...new Map(plans.map((p) => [p.desc.digest, p])).values()];
}

/** Announces every layer, then downloads the missing ones, a few at a time. */
async function download(client: RegistryClient, abort: AbortController, scopes: string[], path: string, plans: LayerPlan[], opts: PullOptions): Promise<void> {
  const { images, progress } = opts;
  for (const p of distinct(plans)) progress(layerStatus(shortDigest(p.desc.digest), p.download ? 'Pulling fs layer' : 'Already exists'));
  const fetching = distinct(plans.filter((p) => p.download));
  for (const p of fetching.slice(DOWNLOADS_AT_ONCE)) progress(layerStatus(shortDigest(p.desc.digest), 'Waiting'));
  await eachLimited(fetching, DOWNLOADS_AT_ONCE, async (p) => {
    const id = shortDigest(p.desc.digest);
    const bar = new ByteProgress(progress, id, 'Downloading', p.desc.size);
    try {
      await fetchBlob(client, path, p.desc, images.content, scopes, (n) => bar.add(n));
    } catch (err) {
      abort.abort();
      throw err;
    }
    progress(layerStatus(id, 'Verifying Checksum'));
    progress(layerStatus(id, 'Download complete'));
  });
}

/** The config must describe as many layers as the manifest lists (and, when one was asked for, the platform). */
function checkConfig(bytes: Buffer, layers: number, platform: Platform | undefined): ImageConfig {
  let config: ImageConfig;
  try {
    config = JSON.parse(bytes.toString('utf8')) as ImageConfig;
  } catch {
    throw new RegistryError('invalid image config: not JSON', 0);
  }
  const diffIds = config?.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || !diffIds.every((d) => typeof d === 'string' && isDigest(d))) throw new RegistryError('invalid image config: bad rootfs.diff_ids', 0);
  if (diffIds.length !== layers) throw new RegistryError(`invalid image config: ${diffIds.length} diff_ids for ${layers} layers`, 0);
  if (platform) {
    const actual = { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) };
    if (actual.os !== platform.os || actual.architecture !== platform.architecture) {
      throw new RegistryError(`image was found but does not match the specified platform: wanted ${formatPlatform(platform)}, actual: ${formatPlatform(actual)}`, 0);
    }
  }
  return config;
}

/**
 * Which layers to download: none whose blob is stored already, nor any
 * whose content (diff ID) a local image has in another form (a loaded,
 * uncompressed layer): docker's "Already exists". What is kept goes into
 * `held` at once, so it cannot be collected before the image names it.
 */
async function planLayers(images: ImageService, layers: Descriptor[], diffIds: string[], held: Set<string>): Promise<LayerPlan[]> {
  const local = new Map<string, { blob: string; mediaType: string }>();
  for (const rec of images.store.list()) for (const l of rec.layers) local.set(l.diffId, { blob: l.blob, mediaType: l.mediaType });
  const plans: LayerPlan[] = [];
  for (const [i, desc] of layers.entries()) {
    const diffId = diffIds[i]!;
    const same = local.get(diffId);
    held.add(desc.digest);
    if (await images.content.has(desc.digest)) {
      plans.push({ desc, diffId, blob: desc.digest, mediaType: desc.mediaType, download: false });
    } else if (same && held.add(same.blob) && (await images.content.has(same.blob))) {
      plans.push({ desc, diffId, blob: same.blob, mediaType: same.mediaType, download: false });
    } else {
      plans.push({ desc, diffId, blob: desc.digest, mediaType: desc.mediaType, download: true });
    }
  }
  return plans;
}
