import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Socket } from 'node:net';
import { ApiError, Client, ConnectionError, DEFAULT_HOST, encodeQuery, resolveHost, socketPathOf } from '../../src/client/client.ts';
import { attachContainer, listContainers, waitContainer } from '../../src/client/containers.ts';
import { loadImages } from '../../src/client/images.ts';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;

async function withServer(handler: Handler, fn: (client: Client, seen: string[]) => Promise<void>, onUpgrade?: (req: http.IncomingMessage, socket: Socket) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-client-'));
  const sock = join(dir, 'd.sock');
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url}`);
      handler(req, res, Buffer.concat(chunks));
    });
  });
  if (onUpgrade) server.on('upgrade', (req, socket) => {
    seen.push(`${req.method} ${req.url} upgrade=${req.headers.upgrade}`);
    onUpgrade(req, socket as Socket);
  });
  await new Promise<void>((r) => server.listen(sock, r));
  try {
    await fn(new Client(`unix://${sock}`), seen);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  }
}

test('host selection: flag, BERTH_HOST, DOCKER_HOST, default', () => {
  assert.equal(resolveHost('unix:///a', { BERTH_HOST: 'unix:///b' }), 'unix:///a');
  assert.equal(resolveHost(undefined, { BERTH_HOST: 'unix:///b', DOCKER_HOST: 'unix:///c' }), 'unix:///b');
  assert.equal(resolveHost(undefined, { DOCKER_HOST: 'unix:///c' }), 'unix:///c');
  assert.equal(resolveHost(undefined, {}), DEFAULT_HOST);
  assert.equal(socketPathOf('unix:///run/x.sock'), '/run/x.sock');
  assert.throws(() => socketPathOf('tcp://1.2.3.4:2375'), /only unix:\/\/ sockets are supported/);
});

test('query encoding follows the Go client: true as 1, false and empty left out', () => {
  assert.equal(encodeQuery({ all: true, size: false, limit: 3, names: ['a', 'b'], x: undefined }), '?all=1&limit=3&names=a&names=b');
  assert.equal(encodeQuery({}), '');
});

test('JSON requests go to the versioned path', async () => {
  await withServer(
    (_req, res) => res.end(JSON.stringify([{ Id: 'x' }])),
    async (client, seen) => {
      const list = await listContainers(client, { all: true, filters: { status: { exited: true } } });
      assert.deepEqual(list, [{ Id: 'x' }]);
      assert.deepEqual(seen, ['GET /v1.41/containers/json?all=1&filters=%7B%22status%22%3A%7B%22exited%22%3Atrue%7D%7D']);
    },
  );
});

test('errors carry the status and the daemon message', async () => {
  await withServer(
    (req, res) => {
      if (req.url!.includes('json-error')) res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"message":"No such container: x"}');
      else res.writeHead(500).end('plain failure\n');
    },
    async (client) => {
      await assert.rejects(client.json('GET', '/json-error'), (e: unknown) => e instanceof ApiError && e.status === 404 && e.message === 'No such container: x');
      await assert.rejects(client.json('GET', '/text-error'), (e: unknown) => e instanceof ApiError && e.status === 500 && e.message === 'plain failure');
    },
  );
});

test('an absent daemon is reported the way docker words it', async () => {
  const client = new Client('unix:///nonexistent/berth.sock');
  await assert.rejects(client.json('GET', '/version'), (e: unknown) => e instanceof ConnectionError && e.message === 'Cannot connect to the berth daemon at unix:///nonexistent/berth.sock. Is the berth daemon running?');
});

test('uploads stream the request body', async () => {
  await withServer(
    (req, res, body) => res.end(JSON.stringify({ stream: `got ${body.length} bytes as ${req.headers['content-type']}\n` })),
    async (client, seen) => {
      const res = await loadImages(client, Readable.from([Buffer.alloc(1000), Buffer.alloc(24)]), true);
      let text = '';
      for await (const c of res) text += c.toString();
      assert.equal(JSON.parse(text).stream, 'got 1024 bytes as application/x-tar\n');
      assert.deepEqual(seen, ['POST /v1.41/images/load?quiet=1']);
    },
  );
});

test('wait resolves on headers, its result later', async () => {
  let finish: () => void = () => {};
  await withServer(
    (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      finish = () => res.end('{"StatusCode":3}');
    },
    async (client, seen) => {
      const w = await waitContainer(client, 'c1', 'next-exit');
      assert.deepEqual(seen, ['POST /v1.41/containers/c1/wait?condition=next-exit']);
      finish();
      assert.deepEqual(await w.result, { StatusCode: 3 });
    },
  );
});

test('hijacked attach: 101, output down, stdin up, half-close seen by the daemon', async () => {
  let daemonSawEnd = false;
  await withServer(
    () => {},
    async (client, seen) => {
      const h = await attachContainer(client, 'c1', { stdin: true, stdout: true, stderr: true });
      assert.deepEqual(seen, ['POST /v1.41/containers/c1/attach?stream=1&stdin=1&stdout=1&stderr=1 upgrade=tcp']);
      h.input!.end('ping');
      let out = '';
      for await (const c of h.output) out += c.toString();
      assert.equal(out, 'early|echo:ping');
      assert.equal(daemonSawEnd, true);
    },
    (_req, socket) => {
      socket.write('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nearly|');
      socket.on('data', (d: Buffer) => socket.write(`echo:${d.toString()}`));
      socket.on('end', () => {
        daemonSawEnd = true;
        socket.end();
      });
    },
  );
});
