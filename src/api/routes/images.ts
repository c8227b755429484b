import type { Router } from '../router.ts';
import { boolParam, filtersParam, sendJson, COMMON_HEADERS } from '../router.ts';
import type { ApiDeps } from '../server.ts';
import { badRequest, messageOf, notFound } from '../../util/errors.ts';
import { labelMatches } from '../../engine/container-filters.ts';
import type { ImageService } from '../../image/service.ts';
import type { ImageRecord } from '../../image/types.ts';
import { parseTimeParam } from './params.ts';
import { parseReference } from '../../image/reference.ts';
import { pipeline } from 'node:stream/promises';

export function imageRoutes(router: Router, { engine }: ApiDeps): void {
  const images = engine.images;

  router.add('GET', '/images/json', async ({ res, query }) => {
    const filters = filtersParam(query);
    const keep = imageFilter(images, filters);
    // As docker: untagged intermediate build images (a cached step's parent) are listed only with `all`.
    const hidden = boolParam(query, 'all') ? new Set<string>() : images.intermediates();
    const patterns = (filters.reference ?? []).map(globToRegExp);
    const list = ((await images.listJson()) as { Id: string; RepoTags: string[] }[])
      .filter((i) => keep(images.store.get(i.Id)) && !(hidden.has(i.Id) && i.RepoTags[0] === '<none>:<none>'));
    // With a reference filter docker lists only the names that match it.
    if (patterns.length) for (const i of list) i.RepoTags = i.RepoTags.filter((t) => matchesReference(patterns, t));
    sendJson(res!, 200, list);
  });

  router.add('POST', '/images/create', async ({ req, res, query }) => {
    const fromSrc = query.get('fromSrc');
    const fromImage = query.get('fromImage');
    if (fromSrc === null && fromImage === null) throw badRequest('fromImage or fromSrc is required');
    if (fromSrc === null) {
      throw notFound(`pull access denied for ${fromImage}: berth has no registry client yet; load or import the image instead`);
    }
    if (fromSrc !== '-') throw badRequest('importing from a URL is not supported; pipe the tarball instead');
    const repo = query.get('repo');
    const tag = query.get('tag');
    const ref = repo ? (tag ? `${repo}:${tag}` : repo) : undefined;
    if (ref) {
      try {
        parseReference(ref);
      } catch (err) {
        throw badRequest(messageOf(err));
      }
    }
    const id = await images.import(req, { tag: ref, changes: query.getAll('changes'), message: query.get('message') ?? undefined });
    res!.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'application/json' });
    res!.end(JSON.stringify({ status: id }) + '\n');
  });

  // `quiet` only silences progress bars, which berth's load does not draw; the result lines stay.
  router.add('POST', '/images/load', async ({ req, res }) => {
    const lines: string[] = [];
    await images.load(req, (l) => lines.push(l));
    res!.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'application/json' });
    res!.end(lines.map((l) => JSON.stringify({ stream: `${l}\n` }) + '\n').join(''));
  });

  const save = async (names: string[], res: import('node:http').ServerResponse): Promise<void> => {
    if (!names.length) throw badRequest('no image names given');
    for (const n of names) images.resolve(n);
    const tar = images.save(names);
    res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'application/x-tar' });
    await pipeline(tar, res).catch(() => res.destroy());
  };
  router.add('GET', '/images/get', ({ res, query }) => save(query.getAll('names'), res!));
  router.add('GET', '/images/{name*}/get', ({ res, params }) => save([params.name!], res!));

  router.add('POST', '/images/prune', async ({ res, query }) => {
    const filters = filtersParam(query);
    const dangling = filters.dangling?.[0];
    const all = dangling !== undefined && ['false', '0'].includes(dangling);
    const until = filters.until?.[0] !== undefined ? parseTimeParam(filters.until[0]) : undefined;
    const result = await images.prune(all, (rec, labels) =>
      (filters.label ?? []).every((l) => labelMatches(labels, l)) &&
      (filters['label!'] ?? []).every((l) => !labelMatches(labels, l)) &&
      (until === undefined || Date.parse(rec.added) < until));
    sendJson(res!, 200, { ImagesDeleted: result.ImagesDeleted.length ? result.ImagesDeleted : null, SpaceReclaimed: result.SpaceReclaimed });
  });

  router.add('GET', '/images/search', () => {
    throw badRequest('search needs a registry; berth has none configured yet');
  });

  router.add('GET', '/images/{name*}/json', async ({ res, params }) => sendJson(res!, 200, await images.inspectJson(params.name!)));
  router.add('GET', '/images/{name*}/history', async ({ res, params }) => sendJson(res!, 200, await images.historyJson(params.name!)));

  router.add('POST', '/images/{name*}/tag', async ({ res, params, query }) => {
    const id = images.resolve(params.name!);
    const repo = query.get('repo');
    if (!repo) throw badRequest('repository name is required');
    const tag = query.get('tag');
    await images.tag(id, tag ? `${repo}:${tag}` : repo);
    res!.writeHead(201, COMMON_HEADERS).end();
  });

  router.add('DELETE', '/images/{name*}', async ({ res, params, query }) => {
    sendJson(res!, 200, await images.remove(params.name!, boolParam(query, 'force'), boolParam(query, 'noprune')));
  });
}

function imageFilter(images: ImageService, filters: Record<string, string[]>): (rec: ImageRecord) => boolean {
  for (const k of Object.keys(filters)) if (!['dangling', 'label', 'reference', 'before', 'since', 'until'].includes(k)) throw badRequest(`invalid filter '${k}'`);
  const dangling = filters.dangling?.[0];
  if (dangling !== undefined && !['true', 'false', '1', '0'].includes(dangling)) throw badRequest(`invalid filter 'dangling=${dangling}'`);
  const addedOf = (ref: string): string => images.store.get(images.resolve(ref)).added;
  const before = filters.before?.[0] !== undefined ? addedOf(filters.before[0]) : undefined;
  const since = filters.since?.[0] !== undefined ? addedOf(filters.since[0]) : undefined;
  const patterns = (filters.reference ?? []).map(globToRegExp);
  return (rec) => {
    const refs = images.store.refsOf(rec.id);
    if (dangling !== undefined && (refs.tags.length === 0) !== (dangling === 'true' || dangling === '1')) return false;
    if (patterns.length && !refs.tags.some((t) => matchesReference(patterns, t))) return false;
    if (before && rec.added >= before) return false;
    if (since && rec.added <= since) return false;
    return true;
  };
}

function matchesReference(patterns: RegExp[], tag: string): boolean {
  return patterns.some((p) => p.test(tag) || p.test(tag.replace(/:[^:/]+$/, '')));
}

function globToRegExp(glob: string): RegExp {
  return new RegExp('^' + glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*') + '$');
}
