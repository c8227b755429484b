// berth's build cache transfer (berth build --cache-to / --cache-from
// type=local): GET /build/cache/export streams the cache behind an image as
// one archive (src/build/cache-archive.ts), POST /build/cache/import loads one.
import { join } from 'node:path';
import type { Router } from '../router.ts';
import { COMMON_HEADERS, sendJson } from '../router.ts';
import type { ApiDeps } from '../server.ts';
import { badRequest, notFound } from '../../util/errors.ts';
import { readCacheArchive, writeCacheArchive } from '../../build/cache-archive.ts';

export function buildCacheRoutes(router: Router, { engine, buildCache }: ApiDeps): void {
  const tmpDir = join(engine.opts.dataRoot, 'build', 'tmp');

  router.add('GET', '/build/cache/export', async ({ res, query }) => {
    const ref = query.get('image') ?? '';
    const mode = query.get('mode') || 'min';
    if (mode !== 'min' && mode !== 'max') throw badRequest(`invalid cache mode ${JSON.stringify(mode)}: min or max`);
    let image: string;
    try {
      image = engine.images.resolve(ref);
    } catch {
      throw notFound(`No such image: ${ref}`);
    }
    const { entries, mounts } = await buildCache.exportSet(image, mode);
    const archive = writeCacheArchive(engine.images, entries, mounts, tmpDir);
    res!.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'application/x-tar' });
    archive.on('error', (err) => res!.destroy(err));
    archive.pipe(res!);
  });

  router.add('POST', '/build/cache/import', async ({ req, res }) => {
    const imported = await readCacheArchive(req!, engine.images, tmpDir);
    try {
      sendJson(res!, 200, await buildCache.adopt(imported));
    } finally {
      await imported.cleanup();
    }
  });
}
