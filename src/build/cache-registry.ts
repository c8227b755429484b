// The build cache in a registry (`--cache-to/--cache-from type=registry`):
// the archive type=local writes (cache-archive.ts), as the one layer of an
// OCI manifest whose config media type says it is a berth build cache, put
// under a tag. Any distribution registry stores it; an image pull refuses
// it (its config is not an image's), so it cannot be mistaken for one.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ImageService } from '../image/service.ts';
import { MEDIA } from '../image/types.ts';
import { repositoryScope, type AuthConfig } from '../distribution/auth.ts';
import { fetchBlob } from '../distribution/blob-fetch.ts';
import { RegistryClient } from '../distribution/client.ts';
import { resolveRemote } from '../distribution/endpoint.ts';
import { fetchManifestBytes } from '../distribution/resolve.ts';
import { bufferBlob, putBlob, putManifest } from '../distribution/upload.ts';
import { badRequest } from '../util/errors.ts';
import { randomId, sha256 } from '../util/ids.ts';

const CONFIG_TYPE = 'application/vnd.berth.build.cache.config.v1+json';
const LAYER_TYPE = 'application/vnd.berth.build.cache.v1.tar';

function session(ref: string, auth: AuthConfig, actions: string[]): { client: RegistryClient; path: string; reference: string; scopes: string[] } {
  const remote = resolveRemote(ref);
  return {
    client: new RegistryClient(remote.endpoint, auth),
    path: remote.path,
    reference: remote.digest ?? remote.tag ?? 'latest',
    scopes: [repositoryScope(remote.path, actions)],
  };
}

/** Pushes `archive` as the cache at `ref` (a tag); returns the manifest's digest. */
export async function pushCacheArchive(archive: Readable, ref: string, auth: AuthConfig, tmpDir: string): Promise<string> {
  const s = session(ref, auth, ['pull', 'push']);
  if (s.reference.startsWith('sha256:')) throw badRequest(`a cache goes under a tag, not a digest: ${ref}`);
  // The blob's digest and size come first in an upload, so the archive is written out before it goes.
  const file = join(tmpDir, `cache-push-${randomId()}.tar`);
  try {
    const hash = createHash('sha256');
    let size = 0;
    const counting = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    await pipeline(archive, counting, createWriteStream(file));
    const layer = { mediaType: LAYER_TYPE, digest: `sha256:${hash.digest('hex')}`, size };
    await putBlob(s.client, s.path, { digest: layer.digest, size, read: (start, end) => createReadStream(file, { start, end }) }, s.scopes);
    const configBytes = Buffer.from(JSON.stringify({ created: new Date().toISOString() }));
    const config = { mediaType: CONFIG_TYPE, digest: sha256(configBytes), size: configBytes.length };
    await putBlob(s.client, s.path, bufferBlob(config.digest, configBytes), s.scopes);
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, artifactType: CONFIG_TYPE, config, layers: [layer] }));
    await putManifest(s.client, s.path, s.reference, MEDIA.ociManifest, manifest, s.scopes);
    return sha256(manifest);
  } finally {
    await rm(file, { force: true });
  }
}

/**
 * Fetches the cache at `ref` into the content store (verified) and hands
 * `use` a stream of its archive; the blob is gone again afterwards.
 */
export async function withPulledCache<T>(ref: string, auth: AuthConfig, images: ImageService, use: (archive: Readable) => Promise<T>): Promise<T> {
  const s = session(ref, auth, ['pull']);
  const { bytes } = await fetchManifestBytes(s.client, s.path, s.reference, s.scopes, MEDIA.ociManifest);
  let doc: { config?: { mediaType?: string }; layers?: { mediaType?: string; digest?: string; size?: number }[] };
  try {
    doc = JSON.parse(bytes.toString('utf8')) as typeof doc;
  } catch {
    throw badRequest(`${ref}: the manifest is not JSON`);
  }
  const layer = doc.layers?.[0];
  if (doc.config?.mediaType !== CONFIG_TYPE || doc.layers?.length !== 1 || layer?.mediaType !== LAYER_TYPE || typeof layer.digest !== 'string' || typeof layer.size !== 'number') {
    throw badRequest(`${ref} is not a berth build cache`);
  }
  const digest = layer.digest;
  // Leased, so that an image removal meanwhile does not collect it as unused.
  const release = images.lease(new Set([digest]));
  try {
    const existed = await images.content.has(digest);
    await fetchBlob(s.client, s.path, { mediaType: LAYER_TYPE, digest, size: layer.size }, images.content, s.scopes, () => {});
    try {
      return await use(images.content.get(digest));
    } finally {
      if (!existed) await images.content.delete(digest).catch(() => {});
    }
  } finally {
    release();
  }
}
