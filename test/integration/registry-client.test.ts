// The registry client's upload and download pieces, in-process against a
// real registry: monolithic and chunked uploads, mounts, the registry's
// own digest check, and downloads verified into a content store.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { TestRegistry } from '../helpers/registry.ts';
import { ContentStore } from '../../src/image/content-store.ts';
import { repositoryScope } from '../../src/distribution/auth.ts';
import { fetchBlob } from '../../src/distribution/blob-fetch.ts';
import { RegistryClient } from '../../src/distribution/client.ts';
import { endpointFor } from '../../src/distribution/endpoint.ts';
import { blobExists, sendBlob, startUpload, type LocalBlob } from '../../src/distribution/upload.ts';

const reg = TestRegistry.forFile();
let dir = '';
let content: ContentStore;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-registry-client-'));
  content = new ContentStore(join(dir, 'content'));
  await content.init();
});
after(() => rm(dir, { recursive: true, force: true }));

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const client = (): RegistryClient => new RegistryClient(endpointFor(reg.host), {});
const scopes = (repo: string): string[] => [repositoryScope(repo, ['pull', 'push'])];

/** A blob in memory that counts how many reads (requests with a body) it served. */
function memoryBlob(bytes: Buffer, digest = sha(bytes)): LocalBlob & { reads: number } {
  const blob = { digest, size: bytes.length, reads: 0, read: (start: number, end: number) => {
    blob.reads++;
    return Readable.from([bytes.subarray(start, end + 1)]);
  } };
  return blob;
}

async function upload(repo: string, blob: LocalBlob, chunkSize: number): Promise<number> {
  const c = client();
  const location = await startUpload(c, repo, scopes(repo));
  assert.ok(location instanceof URL);
  let sent = 0;
  await sendBlob(c, location, blob, scopes(repo), chunkSize, (n) => (sent += n));
  return sent;
}

async function fetchBack(repo: string, digest: string): Promise<Buffer> {
  const res = await fetch(`http://${reg.host}/v2/${repo}/blobs/${digest}`);
  assert.equal(res.status, 200);
  return Buffer.from(await res.arrayBuffer());
}

test('a chunked upload: PATCHes with Content-Range, then the closing PUT', async () => {
  const bytes = randomBytes(300_000);
  const blob = memoryBlob(bytes);
  assert.equal(await blobExists(client(), 'chunky', blob.digest, scopes('chunky')), false);
  assert.equal(await upload('chunky', blob, 64 << 10), bytes.length);
  assert.equal(blob.reads, 5);
  assert.equal(await blobExists(client(), 'chunky', blob.digest, scopes('chunky')), true);
  assert.ok((await fetchBack('chunky', blob.digest)).equals(bytes));
});

test('a monolithic upload, and an empty blob', async () => {
  const bytes = randomBytes(100_000);
  const blob = memoryBlob(bytes);
  assert.equal(await upload('mono', blob, 1 << 20), bytes.length);
  assert.equal(blob.reads, 1);
  assert.ok((await fetchBack('mono', blob.digest)).equals(bytes));
  const empty = memoryBlob(Buffer.alloc(0));
  assert.equal(await upload('mono', empty, 1 << 20), 0);
  assert.equal(await blobExists(client(), 'mono', empty.digest, scopes('mono')), true);
});

test('the registry refuses bytes that do not match the digest given', async () => {
  const blob = memoryBlob(randomBytes(1000), sha(Buffer.from('something else')));
  await assert.rejects(upload('mono', blob, 1 << 20), /digest invalid/);
});

test('a blob is mounted from another repository of the registry', async () => {
  const bytes = randomBytes(5000);
  await upload('source', memoryBlob(bytes), 1 << 20);
  const c = client();
  const r = await startUpload(c, 'target', [...scopes('target'), repositoryScope('source', ['pull'])], { digest: sha(bytes), from: 'source' });
  assert.equal(r, 'mounted');
  assert.ok((await fetchBack('target', sha(bytes))).equals(bytes));
  // Nothing to mount: the registry opens an ordinary upload session instead.
  const missing = await startUpload(c, 'target', scopes('target'), { digest: sha(Buffer.from('absent')), from: 'source' });
  assert.ok(missing instanceof URL);
});

test('downloads are verified into the content store; a wrong size or digest keeps nothing', async () => {
  const bytes = randomBytes(200_000);
  await upload('dl', memoryBlob(bytes), 1 << 20);
  const desc = { mediaType: 'application/octet-stream', digest: sha(bytes), size: bytes.length };
  let seen = 0;
  await fetchBlob(client(), 'dl', desc, content, scopes('dl'), (n) => (seen += n));
  assert.equal(seen, bytes.length);
  assert.ok((await content.read(desc.digest)).equals(bytes));
  await content.delete(desc.digest);

  await assert.rejects(fetchBlob(client(), 'dl', { ...desc, size: bytes.length - 1 }, content, scopes('dl'), () => {}), /the registry sends 200000 bytes, the manifest says 199999/);
  assert.equal(await content.has(desc.digest), false);
  await assert.rejects(fetchBlob(client(), 'dl', { ...desc, digest: sha(Buffer.from('nope')) }, content, scopes('dl'), () => {}), /blob unknown/);
  assert.deepEqual(await readdir(join(dir, 'content', 'ingest')), []);
});
