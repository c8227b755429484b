import type { Router } from '../router.ts';
import { API_VERSION, COMMON_HEADERS, MIN_API_VERSION, boolParam, filtersParam, sendJson } from '../router.ts';
import { badRequest } from '../../util/errors.ts';
import { FilterError } from '../../build/cache-prune.ts';
import type { ApiDeps } from '../server.ts';
import type { Engine } from '../../engine/engine.ts';
import { matchesEvent, type EventFilter } from '../../engine/events.ts';
import { parseTimeParam } from './params.ts';
import { containerJson } from '../views/container-views.ts';
import { VERSION } from '../../version.ts';
import { release, arch } from 'node:os';

export function systemRoutes(router: Router, { engine, info, buildCache }: ApiDeps): void {
  router.add('GET', '/_ping', ({ req, res }) => {
    res!.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache' });
    res!.end(req.method === 'HEAD' ? undefined : 'OK');
  });

  router.add('GET', '/version', ({ res }) => {
    const details = { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: 'linux', Arch: 'amd64', KernelVersion: release(), GitCommit: 'berth', GoVersion: `node${process.versions.node}` };
    sendJson(res!, 200, {
      Platform: { Name: 'berth' },
      Components: [{ Name: 'Engine', Version: VERSION, Details: { ...details, BuildTime: '', Experimental: 'false' } }],
      Version: VERSION,
      ...details,
      Arch: arch() === 'x64' ? 'amd64' : arch(),
      BuildTime: '',
    });
  });

  router.add('GET', '/info', async ({ res }) => sendJson(res!, 200, await info()));

  router.add('GET', '/events', ({ res, query }) => {
    const since = parseTimeParam(query.get('since'));
    const until = parseTimeParam(query.get('until'));
    const filters = filtersParam(query) as EventFilter;
    res!.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'application/json' });
    res!.flushHeaders();
    const write = (e: object): void => void res!.write(JSON.stringify(e) + '\n');
    if (since !== undefined) for (const e of engine.events.since(since, until)) if (matchesEvent(e, filters)) write(e);
    if (until !== undefined && until <= Date.now()) {
      res!.end();
      return;
    }
    const unsubscribe = engine.events.subscribe((e) => {
      if (matchesEvent(e, filters)) write(e);
    });
    const timer = until !== undefined ? setTimeout(() => res!.end(), until - Date.now()) : undefined;
    res!.on('close', () => {
      unsubscribe();
      clearTimeout(timer);
    });
  });

  // `docker builder prune` (and `system prune`): the dangling records (every one with `all`), filtered,
  // or only the least recently used beyond `keep-storage` bytes; and the images only they kept.
  router.add('POST', '/build/prune', async ({ res, query }) => {
    const filters = filtersParam(query);
    const keep = query.get('keep-storage') || query.get('reserved-space') || '0';
    if (!/^\d+$/.test(keep)) throw badRequest(`keep-storage is in bytes and expects an integer, got ${keep}`);
    const opts = { all: boolParam(query, 'all'), filters, keepStorage: Number(keep) };
    try {
      sendJson(res!, 200, await buildCache.prune(opts, (v) => parseTimeParam(v)!));
    } catch (err) {
      throw err instanceof FilterError ? badRequest(err.message) : err;
    }
  });

  router.add('GET', '/system/df', async ({ res }) => {
    const images = (await engine.images.listJson()) as { Size: number; Id: string }[];
    const containers = [];
    for (const c of engine.containers.values()) {
      containers.push({ ...containerJson(engine, c), SizeRw: await engine.snapshots.usage(c.id).catch(() => 0), SizeRootFs: 0 });
    }
    const layersSize = images.reduce((n, i) => n + i.Size, 0);
    sendJson(res!, 200, {
      LayersSize: layersSize,
      Images: images.map((i) => ({ ...i, SharedSize: 0 })),
      Containers: containers,
      Volumes: await volumesUsage(engine),
      BuildCache: await buildCache.usage(),
    });
  });
}

/** system df's Volumes: each with its size and how many containers use it. */
async function volumesUsage(engine: Engine): Promise<object[]> {
  const volumes = engine.mounts.volumes;
  return Promise.all(volumes.list().map(async (v) => ({ ...volumes.view(v), UsageData: { Size: await volumes.usage(v.Name), RefCount: volumes.users(v.Name).length } })));
}
