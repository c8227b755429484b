// Blob uploads (the distribution spec's push flow): a HEAD says whether the
// registry has the blob already; a POST opens an upload session, or mounts
// the blob from another repository of the same registry; the bytes then go
// in one PUT (monolithic) or in PATCHes of a chunk each with their
// Content-Range, closed by a PUT naming the digest.
import { Readable } from 'node:stream';
import type { RegistryClient } from './client.ts';
import { RegistryError } from './errors.ts';
import { discard } from './transport.ts';
import { SizeCheck } from './size-check.ts';

/** Blobs larger than this go in chunks of this size. */
export const DEFAULT_CHUNK_SIZE = 32 << 20;

export interface LocalBlob {
  digest: string;
  size: number;
  /** The bytes from `start` to `end`, both included. */
  read: (start: number, end: number) => Readable;
}

/** Whether the repository at `path` has the blob (HEAD /v2/<path>/blobs/<digest>). */
export async function blobExists(client: RegistryClient, path: string, digest: string, scopes: string[]): Promise<boolean> {
  const res = await client.request('HEAD', `/v2/${path}/blobs/${digest}`, { scopes });
  if (res.status !== 200 && res.status !== 404) return client.fail(res);
  discard(res);
  return res.status === 200;
}

/**
 * Opens an upload session; with `mountFrom` (a repository of the same
 * registry known to hold the blob) asks for a mount first, which the
 * registry may answer by mounting (201) or with an ordinary session (202).
 */
export async function startUpload(client: RegistryClient, path: string, scopes: string[], mountFrom?: { digest: string; from: string }): Promise<'mounted' | URL> {
  let target = `/v2/${path}/blobs/uploads/`;
  if (mountFrom) target += `?mount=${encodeURIComponent(mountFrom.digest)}&from=${encodeURIComponent(mountFrom.from)}`;
  const res = await client.request('POST', target, { scopes, headers: { 'Content-Length': '0' } });
  if (!(res.status === 201 && mountFrom) && res.status !== 202) return client.fail(res);
  discard(res);
  if (res.status === 201) return 'mounted';
  return sessionUrl(res.headers.location, res.url);
}

function sessionUrl(location: string | undefined, base: URL): URL {
  if (!location) throw new RegistryError('the registry gave no upload location', 0);
  return new URL(location, base);
}

/** The session URL with a query parameter added, leaving the registry's own (_state) as they are. */
function withParam(url: URL, name: string, value: string): URL {
  const out = new URL(url);
  out.search = `${url.search ? `${url.search}&` : '?'}${name}=${encodeURIComponent(value)}`;
  return out;
}

/** Sends `blob` to the session at `location`: one PUT when it fits in `chunkSize`, chunks otherwise. */
export async function sendBlob(client: RegistryClient, location: URL, blob: LocalBlob, scopes: string[], chunkSize: number, onBytes: (n: number) => void): Promise<void> {
  const part = (start: number, end: number): (() => Readable) => () => {
    const check = new SizeCheck(end - start + 1, onBytes);
    const src = blob.read(start, end);
    src.on('error', (err) => check.destroy(err));
    return src.pipe(check);
  };
  const octets = { 'Content-Type': 'application/octet-stream' };
  let url = location;
  let body: (() => Readable) | undefined;
  if (blob.size <= chunkSize) {
    body = blob.size > 0 ? part(0, blob.size - 1) : undefined;
  } else {
    for (let start = 0; start < blob.size; start += chunkSize) {
      const end = Math.min(start + chunkSize, blob.size) - 1;
      const res = await client.request('PATCH', url, {
        scopes,
        headers: { ...octets, 'Content-Range': `${start}-${end}`, 'Content-Length': String(end - start + 1) },
        body: part(start, end),
      });
      if (res.status !== 202) await client.fail(res);
      discard(res);
      url = sessionUrl(res.headers.location, res.url);
    }
  }
  const length = body ? blob.size : 0;
  const res = await client.request('PUT', withParam(url, 'digest', blob.digest), {
    scopes,
    headers: { ...octets, 'Content-Length': String(length) },
    ...(body ? { body } : {}),
  });
  if (res.status < 200 || res.status >= 300) await client.fail(res);
  discard(res);
}

/** A blob held in memory (a config, a manifest's neighbours) as sendBlob reads blobs. */
export function bufferBlob(digest: string, bytes: Buffer): LocalBlob {
  return { digest, size: bytes.length, read: (start, end) => Readable.from([bytes.subarray(start, end + 1)]) };
}

/** Uploads `blob` unless the repository has it already. */
export async function putBlob(client: RegistryClient, path: string, blob: LocalBlob, scopes: string[]): Promise<void> {
  if (await blobExists(client, path, blob.digest, scopes)) return;
  const location = await startUpload(client, path, scopes);
  if (location !== 'mounted') await sendBlob(client, location, blob, scopes, DEFAULT_CHUNK_SIZE, () => {});
}

/** PUT /v2/<path>/manifests/<reference>. */
export async function putManifest(client: RegistryClient, path: string, reference: string, mediaType: string, bytes: Buffer, scopes: string[]): Promise<void> {
  const res = await client.request('PUT', `/v2/${path}/manifests/${reference}`, {
    scopes,
    headers: { 'Content-Type': mediaType, 'Content-Length': String(bytes.length) },
    body: () => bytes,
  });
  if (res.status < 200 || res.status >= 300) await client.fail(res);
  discard(res);
}
