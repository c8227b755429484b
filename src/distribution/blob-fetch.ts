// Blob downloads, never trusting the server: a layer streams into the
// content store, which hashes it and keeps it only when the digest matches
// (a cut connection or a wrong byte leaves nothing but a swept ingest file);
// its size is checked here as it flows. Small blobs (configs) are read into
// memory and checked the same way.
import { createHash } from 'node:crypto';
import type { ContentStore } from '../image/content-store.ts';
import type { Descriptor } from '../image/types.ts';
import type { RegistryClient } from './client.ts';
import { RegistryError } from './errors.ts';
import { bodyError, readBody, type HttpResponse } from './transport.ts';
import { SizeCheck } from './size-check.ts';

/** An image config larger than this is refused. */
const CONFIG_LIMIT = 64 << 20;

async function getBlob(client: RegistryClient, path: string, desc: Descriptor, scopes: string[]): Promise<HttpResponse> {
  const res = await client.request('GET', `/v2/${path}/blobs/${desc.digest}`, { scopes });
  if (res.status !== 200) await client.fail(res);
  const length = res.headers['content-length'];
  if (length !== undefined && Number(length) !== desc.size) {
    res.body.destroy();
    throw new RegistryError(`blob ${desc.digest}: the registry sends ${length} bytes, the manifest says ${desc.size}`, 0);
  }
  return res;
}

function verificationError(desc: Descriptor): RegistryError {
  return new RegistryError(`filesystem layer verification failed for digest ${desc.digest}`, 0);
}

/** Downloads a blob into the content store, verified; `onBytes` hears of each chunk as it arrives. */
export async function fetchBlob(client: RegistryClient, path: string, desc: Descriptor, content: ContentStore, scopes: string[], onBytes: (n: number) => void): Promise<void> {
  const res = await getBlob(client, path, desc, scopes);
  const check = new SizeCheck(desc.size, onBytes);
  res.body.on('error', (err) => check.destroy(err));
  try {
    await content.put(res.body.pipe(check), desc.digest);
  } catch (err) {
    res.body.destroy();
    if (err instanceof Error && err.message.startsWith('digest mismatch')) throw verificationError(desc);
    throw bodyError(err);
  }
}

/** Reads a small blob (an image config), verified against its digest and size. */
export async function fetchBlobBytes(client: RegistryClient, path: string, desc: Descriptor, scopes: string[]): Promise<Buffer> {
  if (desc.size > CONFIG_LIMIT) throw new RegistryError(`blob ${desc.digest} is too large (${desc.size} bytes)`, 0);
  const res = await getBlob(client, path, desc, scopes);
  const bytes = await readBody(res, desc.size);
  if (bytes.length !== desc.size) throw new RegistryError('unexpected EOF', 0);
  if (`sha256:${createHash('sha256').update(bytes).digest('hex')}` !== desc.digest) throw verificationError(desc);
  return bytes;
}
