// The /networks endpoints: list, inspect, create, remove, prune, connect, disconnect.
import type { Router } from '../router.ts';
import { filtersParam, readJsonBody, sendJson, COMMON_HEADERS } from '../router.ts';
import type { ApiDeps } from '../server.ts';
import { labelMatches, namePatterns } from '../../engine/container-filters.ts';
import type { NetworkRecord } from '../../network/types.ts';
import type { NetworkManager } from '../../network/manager.ts';
import { parseTimeParam } from './params.ts';
import { badRequest } from '../../util/errors.ts';

const LIST_FILTERS = new Set(['name', 'id', 'driver', 'label', 'type', 'scope', 'dangling']);

function listFilter(networks: NetworkManager, filters: Record<string, string[]>): (n: NetworkRecord) => boolean {
  for (const k of Object.keys(filters)) if (!LIST_FILTERS.has(k)) throw badRequest(`invalid filter '${k}'`);
  for (const t of filters.type ?? []) if (t !== 'custom' && t !== 'builtin') throw badRequest(`invalid filter: 'type'='${t}'`);
  for (const d of filters.dangling ?? []) if (!['true', 'false', '1', '0'].includes(d)) throw badRequest(`invalid filter 'dangling=${d}'`);
  const names = namePatterns(filters.name);
  return (n) => {
    if (filters.name?.length && !names.some((re) => re.test(n.Name))) return false;
    if (filters.id?.length && !filters.id.some((v) => n.Id.includes(v))) return false;
    if (filters.driver?.length && !filters.driver.includes(n.Driver)) return false;
    if (filters.scope?.length && !filters.scope.includes(n.Scope)) return false;
    if (filters.label?.length && !filters.label.every((l) => labelMatches(n.Labels, l))) return false;
    if (filters.type?.length && !filters.type.includes(networks.isUserDefined(n) ? 'custom' : 'builtin')) return false;
    if (filters.dangling?.length) {
      const dangling = networks.isUserDefined(n) && !Object.keys(networks.inspect(n).Containers as object).length;
      if (dangling !== ['true', '1'].includes(filters.dangling[0]!)) return false;
    }
    return true;
  };
}

function objectBody(body: unknown, what: string): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest(`${what}: a JSON object is required`);
  return body as Record<string, unknown>;
}

export function networkRoutes(router: Router, { engine }: ApiDeps): void {
  const networks = engine.net.networks;

  router.add('GET', '/networks', ({ res, query }) => {
    const keep = listFilter(networks, filtersParam(query));
    sendJson(res!, 200, networks.list().filter(keep).sort((a, b) => (a.Created < b.Created ? -1 : 1)).map((n) => networks.inspect(n)));
  });

  router.add('GET', '/networks/{id}', ({ res, params }) => sendJson(res!, 200, networks.inspect(networks.get(params.id!))));

  router.add('POST', '/networks/create', async ({ req, res }) => {
    const body = objectBody(await readJsonBody<unknown>(req, null), 'network create');
    sendJson(res!, 201, await networks.create(body));
  });

  router.add('DELETE', '/networks/{id}', async ({ res, params }) => {
    await networks.remove(params.id!);
    res!.writeHead(204, COMMON_HEADERS).end();
  });

  router.add('POST', '/networks/prune', async ({ res, query }) => {
    const filters = filtersParam(query);
    for (const k of Object.keys(filters)) if (!['label', 'label!', 'until'].includes(k)) throw badRequest(`invalid filter '${k}'`);
    const until = filters.until?.[0] !== undefined ? parseTimeParam(filters.until[0]) : undefined;
    const gone = await networks.prune((n) =>
      (filters.label ?? []).every((l) => labelMatches(n.Labels, l)) &&
      (filters['label!'] ?? []).every((l) => !labelMatches(n.Labels, l)) &&
      (until === undefined || Date.parse(n.Created) < until));
    sendJson(res!, 200, { NetworksDeleted: gone.length ? gone : null });
  });

  router.add('POST', '/networks/{id}/connect', async ({ req, res, params }) => {
    const body = objectBody(await readJsonBody<unknown>(req, null), 'network connect');
    if (typeof body.Container !== 'string' || !body.Container) throw badRequest('network connect: Container is required');
    const cfg = body.EndpointConfig ?? {};
    if (typeof cfg !== 'object' || Array.isArray(cfg)) throw badRequest('network connect: EndpointConfig must be an object');
    await engine.connect(params.id!, body.Container, cfg);
    res!.writeHead(200, COMMON_HEADERS).end();
  });

  router.add('POST', '/networks/{id}/disconnect', async ({ req, res, params }) => {
    const body = objectBody(await readJsonBody<unknown>(req, null), 'network disconnect');
    if (typeof body.Container !== 'string' || !body.Container) throw badRequest('network disconnect: Container is required');
    await engine.disconnect(params.id!, body.Container, body.Force === true);
    res!.writeHead(200, COMMON_HEADERS).end();
  });
}
