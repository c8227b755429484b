// From a tag or digest to the image manifest to pull: the registry's
// document is checked against the digest it was asked by (or, for a tag,
// the digest the registry gives for it), and an index is followed to the
// entry for the wanted platform, itself checked against its descriptor.
import { createHash } from 'node:crypto';
import type { Descriptor } from '../image/types.ts';
import type { RegistryClient } from './client.ts';
import { RegistryError } from './errors.ts';
import { MANIFEST_ACCEPT, MANIFEST_LIMIT, ManifestError, parseManifest, selectManifest, type ParsedManifest, type Platform } from './manifest.ts';
import { readBody } from './transport.ts';

export interface ResolvedImage {
  /** The digest the reference resolves to: the index's for a multi-platform image (what RepoDigests record). */
  digest: string;
  config: Descriptor;
  layers: Descriptor[];
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** GET /v2/<path>/manifests/<reference>, verified; returns its digest and what it says. */
export async function fetchManifest(client: RegistryClient, path: string, reference: string, scopes: string[]): Promise<{ digest: string; size: number; manifest: ParsedManifest }> {
  const { digest, bytes, contentType } = await fetchManifestBytes(client, path, reference, scopes, MANIFEST_ACCEPT);
  return { digest, size: bytes.length, manifest: parseManifest(bytes, contentType) };
}

/** A manifest's bytes as the registry serves them (any kind `accept` names), verified against the digest asked for or claimed. */
export async function fetchManifestBytes(client: RegistryClient, path: string, reference: string, scopes: string[], accept: string): Promise<{ digest: string; bytes: Buffer; contentType: string | undefined }> {
  const res = await client.request('GET', `/v2/${path}/manifests/${reference}`, { scopes, headers: { Accept: accept } });
  if (res.status !== 200) await client.fail(res);
  if (Number(res.headers['content-length'] ?? 0) > MANIFEST_LIMIT) {
    res.body.destroy();
    throw new RegistryError(`manifest ${reference} is larger than ${MANIFEST_LIMIT} bytes`, 0);
  }
  const bytes = await readBody(res, MANIFEST_LIMIT);
  const digest = sha256(bytes);
  const byDigest = reference.startsWith('sha256:');
  const claimed = res.headers['docker-content-digest'];
  if (byDigest ? digest !== reference : typeof claimed === 'string' && claimed.startsWith('sha256:') && claimed !== digest) {
    throw new RegistryError(`manifest verification failed for digest ${byDigest ? reference : claimed}`, 0);
  }
  return { digest, bytes, contentType: res.headers['content-type'] };
}

/** Resolves `reference` (a tag or a digest) to the image manifest for `platform`. */
export async function resolveImage(client: RegistryClient, path: string, reference: string, platform: Platform, scopes: string[]): Promise<ResolvedImage> {
  const top = await fetchManifest(client, path, reference, scopes);
  let current = top;
  // An index may point at another index; two levels are plenty.
  for (let depth = 0; current.manifest.kind === 'index'; depth++) {
    if (depth >= 2) throw new ManifestError('manifest lists nested too deep');
    const entry = selectManifest(current.manifest.manifests, platform);
    current = await fetchManifest(client, path, entry.digest, scopes);
    if (current.size !== entry.size) throw new RegistryError(`manifest verification failed for digest ${entry.digest}: size ${current.size}, expected ${entry.size}`, 0);
  }
  const image = current.manifest;
  return { digest: top.digest, config: image.config, layers: image.layers };
}

/** Every tag of the repository (GET /v2/<path>/tags/list, following its Link pages). */
export async function listTags(client: RegistryClient, path: string, scopes: string[]): Promise<string[]> {
  const tags: string[] = [];
  let url: URL | undefined = client.url(`/v2/${path}/tags/list`);
  for (let page = 0; url && page < 1000; page++) {
    const res = await client.request('GET', url, { scopes });
    if (res.status !== 200) await client.fail(res);
    let doc: { tags?: unknown };
    try {
      doc = JSON.parse((await readBody(res, MANIFEST_LIMIT)).toString('utf8')) as typeof doc;
    } catch (err) {
      if (err instanceof RegistryError) throw err;
      throw new RegistryError('invalid tag list: not JSON', res.status);
    }
    if (Array.isArray(doc.tags)) tags.push(...doc.tags.filter((t): t is string => typeof t === 'string'));
    const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(String(res.headers.link ?? ''));
    url = next ? new URL(next[1]!, res.url) : undefined;
  }
  return tags;
}
