// The Docker Engine API over a unix socket (root-only), plus optional TCP.
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import { chmod, rm } from 'node:fs/promises';
import { Router, splitVersion, sendError, type Ctx } from './router.ts';
import type { Engine } from '../engine/engine.ts';
import type { BuildCache } from '../build/cache.ts';
import { systemRoutes } from './routes/system.ts';
import { containerRoutes } from './routes/containers.ts';
import { containerFsRoutes } from './routes/container-fs.ts';
import { imageRoutes } from './routes/images.ts';
import { networkRoutes } from './routes/networks.ts';
import { volumeRoutes } from './routes/volumes.ts';
import { execRoutes } from './routes/exec.ts';
import { buildRoutes } from './routes/build.ts';
import { buildCacheRoutes } from './routes/build-cache.ts';
import type { BlobSources } from '../distribution/blob-sources.ts';
import { notFound, ApiError } from '../util/errors.ts';
import type { ExecManager } from '../engine/exec.ts';

// node:http through require: an ESM import reads every export, and its
// WebSocket/CloseEvent/MessageEvent getters load Node's fetch (undici), ~2 MB
// of heap and ~13 MB resident that berthd never uses.
const { createServer } = createRequire(import.meta.url)('node:http') as typeof import('node:http');

export interface ApiDeps {
  engine: Engine;
  execs: ExecManager;
  info: () => Promise<object>;
  buildCache: BuildCache;
  /** Where blobs were seen in registries (pulls, builds' pulls), for cross-repository mounts on push. */
  blobSources: BlobSources;
}

export function buildRouter(deps: ApiDeps): Router {
  const router = new Router();
  systemRoutes(router, deps);
  containerRoutes(router, deps);
  containerFsRoutes(router, deps);
  imageRoutes(router, deps);
  execRoutes(router, deps);
  networkRoutes(router, deps);
  volumeRoutes(router, deps);
  buildRoutes(router, deps);
  buildCacheRoutes(router, deps);
  return router;
}

async function dispatch(router: Router, ctx: Omit<Ctx, 'params' | 'query' | 'version'>): Promise<void> {
  const full: Ctx = { ...ctx, params: {}, query: new URLSearchParams(), version: '' };
  try {
    const url = new URL(ctx.req.url ?? '/', 'http://berth');
    const { version, path } = splitVersion(url.pathname);
    full.version = version;
    full.query = url.searchParams;
    const m = router.match(ctx.req.method ?? 'GET', path);
    if (m === undefined) throw notFound(`page not found`);
    if (m === 'method') throw new ApiError(405, `method ${ctx.req.method} not allowed on ${path}`);
    full.params = m.params;
    await m.handler(full);
  } catch (err) {
    sendError(full.res, full.socket, err);
  }
}

export async function listen(router: Router, socketPath: string): Promise<Server> {
  // Headers carry registry credentials and build secrets (base64 JSON), which outgrow Node's 16 KB default.
  const server = createServer({ maxHeaderSize: 1 << 20 }, (req, res) => {
    void dispatch(router, { req, res });
  });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => {});
    void dispatch(router, { req, socket, head });
  });
  // Streams (logs -f, events, wait) stay open as long as the client wants.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  server.timeout = 0;
  await rm(socketPath, { force: true });
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
  } finally {
    process.umask(oldMask);
  }
  await chmod(socketPath, 0o660);
  return server;
}
