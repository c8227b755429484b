// The /volumes endpoints: list, create, inspect, remove, prune.
import type { Router } from '../router.ts';
import { boolParam, filtersParam, readJsonBody, sendJson, COMMON_HEADERS } from '../router.ts';
import type { ApiDeps } from '../server.ts';
import { labelMatches, namePatterns } from '../../engine/container-filters.ts';
import type { VolumeRecord, VolumeService } from '../../volume/service.ts';
import { badRequest } from '../../util/errors.ts';

const LIST_FILTERS = new Set(['name', 'driver', 'label', 'dangling']);

function listFilter(volumes: VolumeService, filters: Record<string, string[]>): (v: VolumeRecord) => boolean {
  for (const k of Object.keys(filters)) if (!LIST_FILTERS.has(k)) throw badRequest(`invalid filter '${k}'`);
  for (const d of filters.dangling ?? []) if (!['true', 'false', '1', '0'].includes(d)) throw badRequest(`invalid filter 'dangling=${d}'`);
  const names = namePatterns(filters.name);
  return (v) => {
    if (filters.name?.length && !names.some((re) => re.test(v.Name))) return false;
    if (filters.driver?.length && !filters.driver.includes(v.Driver)) return false;
    if (filters.label?.length && !filters.label.every((l) => labelMatches(v.Labels, l))) return false;
    if (filters.dangling?.length && (volumes.users(v.Name).length === 0) !== ['true', '1'].includes(filters.dangling[0]!)) return false;
    return true;
  };
}

export function volumeRoutes(router: Router, { engine }: ApiDeps): void {
  const volumes = engine.mounts.volumes;

  router.add('GET', '/volumes', ({ res, query }) => {
    const keep = listFilter(volumes, filtersParam(query));
    sendJson(res!, 200, { Volumes: volumes.list().filter(keep).map((v) => volumes.view(v)), Warnings: null });
  });

  router.add('POST', '/volumes/create', async ({ req, res }) => {
    const body = await readJsonBody<unknown>(req, {});
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('volume create: a JSON object is required');
    sendJson(res!, 201, volumes.view(await volumes.create(body)));
  });

  router.add('GET', '/volumes/{name}', ({ res, params }) => sendJson(res!, 200, volumes.view(volumes.get(params.name!))));

  router.add('DELETE', '/volumes/{name}', async ({ res, params, query }) => {
    await volumes.remove(params.name!, boolParam(query, 'force'));
    res!.writeHead(204, COMMON_HEADERS).end();
  });

  router.add('POST', '/volumes/prune', async ({ res, query }) => {
    const filters = filtersParam(query);
    for (const k of Object.keys(filters)) if (!['label', 'label!', 'all'].includes(k)) throw badRequest(`invalid filter '${k}'`);
    // API 1.41 prunes every unused volume; `all` (1.42) is accepted and means the same.
    sendJson(res!, 200, await volumes.prune((v) =>
      (filters.label ?? []).every((l) => labelMatches(v.Labels, l)) &&
      (filters['label!'] ?? []).every((l) => !labelMatches(v.Labels, l))));
  });
}
