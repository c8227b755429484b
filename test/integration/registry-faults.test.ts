// Pulls that go wrong, against a registry written here that misbehaves on
// purpose: a blob cut off mid-way (the registry going away), wrong bytes,
// too many bytes, a manifest that is not what its digest says, and berthd
// killed (-9) in the middle of a download. Nothing half-made may be left:
// no blob, no image, an empty ingest directory; the daemon stays up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { spawn } from 'node:child_process';
import { DOCKER, TestDaemon, until } from '../helpers/daemon.ts';
import { collect } from '../helpers/streams.ts';
import { MEDIA } from '../../src/image/types.ts';

const d = TestDaemon.forFile();

type Mode = 'full' | 'truncate' | 'corrupt' | 'oversize' | 'stall';
const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let server: Server;
let port = 0;
let mode: Mode = 'full';
let layer: Buffer;
let config: Buffer;
let manifest: Buffer;
/** Ends a stalled download's wait. */
let releaseStall: () => void = () => {};

before(async () => {
  const tar = pack();
  tar.entry({ name: 'data.bin', mode: 0o644 }, randomBytes(4 << 20));
  tar.finalize();
  const raw = await collect(tar);
  layer = gzipSync(raw, { level: 1 });
  config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['true'] }, rootfs: { type: 'layers', diff_ids: [sha(raw)] }, history: [{ created_by: 'test' }] }));
  manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MEDIA.dockerManifest,
    config: { mediaType: MEDIA.dockerConfig, digest: sha(config), size: config.length },
    layers: [{ mediaType: MEDIA.dockerLayerGzip, digest: sha(layer), size: layer.length }],
  }));
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/v2/') return void res.writeHead(200).end('{}');
    if (path === '/v2/fake/manifests/1' || path === `/v2/fake/manifests/${sha(manifest)}`) {
      return void res.writeHead(200, { 'Content-Type': MEDIA.dockerManifest, 'Docker-Content-Digest': sha(manifest) }).end(manifest);
    }
    // Served by digest, but with other bytes than the digest's.
    if (path === `/v2/fake/manifests/${sha(Buffer.from('other'))}`) return void res.writeHead(200, { 'Content-Type': MEDIA.dockerManifest }).end(manifest);
    if (path === `/v2/fake/blobs/${sha(config)}`) return void res.writeHead(200, { 'Content-Length': config.length }).end(config);
    if (path === `/v2/fake/blobs/${sha(layer)}`) return serveLayer(res);
    res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' }] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as { port: number }).port;
});
after(async () => {
  releaseStall();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function serveLayer(res: ServerResponse): void {
  const half = layer.subarray(0, layer.length >> 1);
  switch (mode) {
    case 'full':
      res.writeHead(200, { 'Content-Length': layer.length }).end(layer);
      return;
    case 'truncate':
      // The registry goes away in the middle of the blob.
      res.writeHead(200, { 'Content-Length': layer.length });
      res.write(half, () => res.socket?.destroy());
      return;
    case 'corrupt': {
      const bad = Buffer.from(layer);
      bad[bad.length >> 1] ^= 0xff;
      res.writeHead(200, { 'Content-Length': bad.length }).end(bad);
      return;
    }
    case 'oversize':
      // No length given, and more bytes than the manifest says.
      res.writeHead(200);
      res.end(Buffer.concat([layer, randomBytes(1000)]));
      return;
    case 'stall':
      res.writeHead(200, { 'Content-Length': layer.length });
      res.write(half);
      return;
  }
}

const ref = (): string => `127.0.0.1:${port}/fake:1`;
const ingest = (): string[] => readdirSync(join(d.dataRoot, 'image', 'content', 'ingest'));
const blobStored = (): boolean => existsSync(join(d.dataRoot, 'image', 'content', 'blobs', 'sha256', sha(layer).slice(7)));

async function assertNothingLeft(): Promise<void> {
  assert.deepEqual(ingest(), []);
  assert.equal(blobStored(), false);
  assert.equal((await d.docker(['images', '-q', `127.0.0.1:${port}/fake`])).stdout, '');
  assert.ok(await d.ping());
}

test('the registry going away mid-blob fails the pull and keeps nothing', async () => {
  mode = 'truncate';
  const r = await d.docker(['pull', ref()]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^1: Pulling from fake\n/);
  assert.equal(r.stderr, 'unexpected EOF\n');
  await assertNothingLeft();
});

test('a blob whose bytes do not match its digest is refused', async () => {
  mode = 'corrupt';
  const r = await d.docker(['pull', ref()]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `filesystem layer verification failed for digest ${sha(layer)}\n`);
  await assertNothingLeft();
});

test('a blob larger than its descriptor is cut off', async () => {
  mode = 'oversize';
  const r = await d.docker(['pull', ref()]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /larger than the \d+ bytes its descriptor gives/);
  await assertNothingLeft();
});

test('a manifest is checked against the digest it was asked by', async () => {
  const r = await d.docker(['pull', `127.0.0.1:${port}/fake@${sha(Buffer.from('other'))}`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /manifest verification failed for digest sha256:/);
  await assertNothingLeft();
});

test('a client that goes away cancels the download; what it fetched is dropped', async () => {
  mode = 'stall';
  const cli = spawn(DOCKER, ['pull', ref()], { env: d.env, stdio: 'ignore' });
  const exited = new Promise((r) => cli.once('exit', r));
  await until(async () => ingest().length > 0, 'a partial blob in ingest/', 30_000);
  process.kill(cli.pid!, 'SIGKILL');
  await exited;
  await until(async () => ingest().length === 0, 'the partial blob to go', 30_000);
  server.closeAllConnections();
  await assertNothingLeft();
});

test('berthd killed -9 mid-download: the next start sweeps the partial blob; the pull then works', async () => {
  mode = 'stall';
  const stalled = new Promise<void>((r) => (releaseStall = r));
  const pull = d.docker(['pull', ref()], { timeoutMs: 120_000 });
  await until(async () => ingest().length > 0, 'a partial blob in ingest/', 30_000);
  await d.halt(true);
  const r = await pull;
  assert.equal(r.code, 1);
  releaseStall();
  await stalled;
  server.closeAllConnections();
  await d.launch();
  await assertNothingLeft();
  mode = 'full';
  const again = await d.docker(['pull', ref()]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /: Pull complete\n/);
  assert.equal(blobStored(), true);
  assert.equal((await d.docker(['inspect', '-f', '{{.Id}}', ref()])).stdout.trim(), sha(config));
  assert.equal((await d.docker(['rmi', ref()])).code, 0);
  assert.equal(blobStored(), false);
});
