import type { Router } from '../router.ts';
import { boolParam, filtersParam, readJsonBody, sendJson, COMMON_HEADERS } from '../router.ts';
import type { ApiDeps } from '../server.ts';
import { badRequest, messageOf } from '../../util/errors.ts';
import { labelMatches } from '../../engine/container-filters.ts';
import type { ImageService } from '../../image/service.ts';
import type { ImageRecord } from '../../image/types.ts';
import { parseTimeParam } from './params.ts';
import { parseReference } from '../../image/reference.ts';
import { pipeline } from 'node:stream/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isDigest } from '../../image/content-store.ts';
import { authConfigFrom, decodeAuthHeader } from '../../distribution/auth.ts';
import { login } from '../../distribution/login.ts';
import { parsePlatform } from '../../distribution/manifest.ts';
import type { ProgressSink } from '../../distribution/progress.ts';
import { pullImage } from '../../distribution/pull.ts';
import { pushImage } from '../../distribution/push.ts';

export function imageRoutes(router: Router, { engine, blobSources: sources }: ApiDeps): void {
  const images = engine.images;

  router.add('GET', '/images/json', async ({ res, query }) => {
    const filters = filtersParam(query);
    const keep = imageFilter(images, filters);
    // As docker: untagged intermediate build images (a cached step's parent) are listed only with `all`.
    const hidden = boolParam(query, 'all') ? new Set<string>() : images.intermediates();
    const patterns = (filters.reference ?? []).map(globToRegExp);
    const list = ((await images.listJson()) as { Id: string; RepoTags: string[]; RepoDigests: string[] }[])
      .filter((i) => keep(images.store.get(i.Id)) && !(hidden.has(i.Id) && i.RepoTags[0] === '<none>:<none>'));
    // With a reference filter docker lists only the names that match it.
    if (patterns.length) {
      for (const i of list) {
        i.RepoTags = i.RepoTags.filter((t) => matchesReference(patterns, t));
        i.RepoDigests = i.RepoDigests.filter((t) => matchesReference(patterns, t));
      }
    }
    sendJson(res!, 200, list);
  });

  router.add('POST', '/images/create', async ({ req, res, query }) => {
    const fromSrc = query.get('fromSrc');
    const fromImage = query.get('fromImage');
    if (fromSrc === null && fromImage === null) throw badRequest('fromImage or fromSrc is required');
    if (fromSrc === null) return pull(req, res!, query);
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

  const pull = async (req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> => {
    // docker sends the repository and the tag (or digest) apart.
    const image = query.get('fromImage')!;
    const tag = query.get('tag') ?? '';
    let ref: string;
    let platform;
    try {
      ref = tag ? `${parseReference(image).repo}${isDigest(tag) ? '@' : ':'}${tag}` : image;
      parseReference(ref);
      const p = query.get('platform');
      platform = p ? parsePlatform(p) : undefined;
    } catch (err) {
      throw badRequest(messageOf(err));
    }
    await streamProgress(res, (progress, signal) =>
      pullImage({ ref, auth: decodeAuthHeader(req.headers['x-registry-auth']), images, progress, sources, signal, ...(platform ? { platform } : {}) }));
  };

  router.add('POST', '/images/{name*}/push', async ({ req, res, params, query }) => {
    let ref;
    try {
      ref = parseReference(params.name!);
    } catch (err) {
      throw badRequest(messageOf(err));
    }
    if (ref.digest) throw badRequest('cannot push a digest reference');
    const tag = query.get('tag') || ref.tag;
    if (tag !== undefined) {
      try {
        parseReference(`${ref.repo}:${tag}`);
      } catch (err) {
        throw badRequest(messageOf(err));
      }
    }
    await streamProgress(res!, (progress, signal) =>
      pushImage({ name: ref.repo, ...(tag ? { tag } : {}), auth: decodeAuthHeader(req.headers['x-registry-auth']), images, progress, sources, signal }));
  });

  // docker login: the daemon checks the credentials with the registry.
  router.add('POST', '/auth', async ({ req, res }) => {
    sendJson(res!, 200, await login(authConfigFrom(await readJsonBody<unknown>(req, {}))));
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

/**
 * Answers with docker's JSON message stream. As moby: a failure before the
 * first message is the HTTP error (a pull's unknown manifest is a 404 the
 * CLI prints as "Error response from daemon: …"); after it, an errorDetail
 * message ends the stream. A client that goes away cancels the work.
 */
async function streamProgress(res: ServerResponse, work: (progress: ProgressSink, signal: AbortSignal) => Promise<unknown>): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const send = (m: object): void => {
    if (!res.headersSent) res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'application/json' });
    res.write(`${JSON.stringify(m)}\r\n`);
  };
  try {
    await work(send, abort.signal);
  } catch (err) {
    if (!res.headersSent) throw err;
    send({ errorDetail: { message: messageOf(err) }, error: messageOf(err) });
  }
  res.end();
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
    if (patterns.length && ![...refs.tags, ...refs.digests].some((t) => matchesReference(patterns, t))) return false;
    if (before && rec.added >= before) return false;
    if (since && rec.added <= since) return false;
    return true;
  };
}

/** reference.FamiliarMatch: the pattern against the whole reference or its repository ("repo:tag", "repo@sha256:…"). */
function matchesReference(patterns: RegExp[], tag: string): boolean {
  return patterns.some((p) => p.test(tag) || p.test(tag.replace(/@.*$/, '').replace(/:[^:/]+$/, '')));
}

function globToRegExp(glob: string): RegExp {
  return new RegExp('^' + glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*') + '$');
}
