// berth's build cache transfer (berth build --cache-to / --cache-from):
// type=local goes through the client (GET /build/cache/export streams the
// cache behind an image as one archive, src/build/cache-archive.ts; POST
// /build/cache/import loads one); type=registry is the daemon's own (POST
// /build/cache/push and /build/cache/pull, with X-Registry-Auth).
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { Router } from '../router.ts';
import { COMMON_HEADERS, sendJson } from '../router.ts';
import type { ApiDeps } from '../server.ts';
import { ApiError, badRequest, messageOf, notFound } from '../../util/errors.ts';
import { readCacheArchive, writeCacheArchive } from '../../build/cache-archive.ts';
import { pushCacheArchive, withPulledCache } from '../../build/cache-registry.ts';
import { decodeAuthHeader, type AuthConfig } from '../../distribution/auth.ts';
import type { Readable } from 'node:stream';

export function buildCacheRoutes(router: Router, { engine, buildCache }: ApiDeps): void {
  const tmpDir = join(engine.opts.dataRoot, 'build', 'tmp');

  router.add('GET', '/build/cache/export', async ({ res, query }) => {
    const archive = await exportArchive(image(query.get('image') ?? ''), query.get('mode'));
    res!.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'application/x-tar' });
    archive.on('error', (err) => res!.destroy(err));
    archive.pipe(res!);
  });

  router.add('POST', '/build/cache/import', async ({ req, res }) => sendJson(res!, 200, await importArchive(req!)));

  router.add('POST', '/build/cache/push', async ({ req, res, query }) => {
    const id = image(query.get('image') ?? '');
    const digest = await registryCall(query, async (ref) => pushCacheArchive(await exportArchive(id, query.get('mode')), ref, authOf(req!), tmpDir));
    sendJson(res!, 200, { Digest: digest });
  });

  router.add('POST', '/build/cache/pull', async ({ req, res, query }) => {
    sendJson(res!, 200, await registryCall(query, (ref) => withPulledCache(ref, authOf(req!), engine.images, importArchive)));
  });

  function image(ref: string): string {
    try {
      return engine.images.resolve(ref);
    } catch {
      throw notFound(`No such image: ${ref}`);
    }
  }

  async function exportArchive(id: string, mode: string | null): Promise<Readable> {
    const m = mode || 'min';
    if (m !== 'min' && m !== 'max') throw badRequest(`invalid cache mode ${JSON.stringify(m)}: min or max`);
    const { entries, mounts } = await buildCache.exportSet(id, m);
    return writeCacheArchive(engine.images, entries, mounts, tmpDir);
  }

  async function importArchive(archive: Readable): Promise<object> {
    const imported = await readCacheArchive(archive, engine.images, tmpDir);
    try {
      return await buildCache.adopt(imported);
    } finally {
      await imported.cleanup();
    }
  }
}

const authOf = (req: IncomingMessage): AuthConfig => decodeAuthHeader(req.headers['x-registry-auth']);

/** Runs `fn` on the `ref` parameter; a registry's refusal is the client's problem (400), with the registry's words. */
async function registryCall<T>(query: URLSearchParams, fn: (ref: string) => Promise<T>): Promise<T> {
  const ref = query.get('ref');
  if (!ref) throw badRequest('ref is required');
  try {
    return await fn(ref);
  } catch (err) {
    throw err instanceof ApiError ? err : badRequest(messageOf(err));
  }
}
