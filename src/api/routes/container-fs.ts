// The container filesystem endpoints: archive (docker cp), changes (diff),
// export, and commit.
import { finished, pipeline } from 'node:stream/promises';
import { PassThrough, type Readable } from 'node:stream';
import type { ServerResponse } from 'node:http';
import type { Router } from '../router.ts';
import { boolParam, readJsonBody, sendJson, COMMON_HEADERS } from '../router.ts';
import type { ApiDeps } from '../server.ts';
import { archivePath, exportRootfs, extractInto, statPath } from '../../engine/container-archive.ts';
import { commitContainer } from '../../engine/container-commit.ts';
import { visibleChanges } from '../../engine/runtime-paths.ts';
import type { PathStat } from '../../engine/path-stat.ts';
import type { ContainerConfig } from '../../engine/types.ts';
import { badRequest } from '../../util/errors.ts';

const STAT_HEADER = 'X-Docker-Container-Path-Stat';

export function containerFsRoutes(router: Router, { engine }: ApiDeps): void {
  // Before the GET route, which HEAD would otherwise match.
  router.add('HEAD', '/containers/{id}/archive', async ({ res, params, query }) => {
    const stat = await statPath(engine, params.id!, pathParam(query));
    res!.writeHead(200, { ...COMMON_HEADERS, [STAT_HEADER]: statHeader(stat) }).end();
  });

  router.add('GET', '/containers/{id}/archive', ({ res, params, query }) =>
    archivePath(engine, params.id!, pathParam(query), (stat, tar) => stream(res!, tar, 'application/x-tar', { [STAT_HEADER]: statHeader(stat) })));

  router.add('PUT', '/containers/{id}/archive', async ({ req, res, params, query }) => {
    // The tar goes through a stream of its own, so a failed extraction ends
    // that one and not the request: the rest of the upload is read before the
    // error is answered, or a client still sending would see a broken pipe.
    const body = new PassThrough();
    req.pipe(body);
    try {
      await extractInto(engine, params.id!, pathParam(query), body, {
        copyUIDGID: boolParam(query, 'copyUIDGID'),
        noOverwriteDirNonDir: boolParam(query, 'noOverwriteDirNonDir'),
      });
    } catch (err) {
      req.unpipe(body);
      req.resume();
      await finished(req).catch(() => {});
      throw err;
    }
    res!.writeHead(200, COMMON_HEADERS).end();
  });

  router.add('GET', '/containers/{id}/changes', async ({ res, params }) => {
    const changes = await engine.withFs(params.id!, async (_fs, c) => visibleChanges(await engine.snapshots.changes(c.id)));
    sendJson(res!, 200, changes.length ? changes : null);
  });

  router.add('GET', '/containers/{id}/export', ({ res, params }) =>
    exportRootfs(engine, params.id!, (tar) => stream(res!, tar, 'application/octet-stream')));

  router.add('POST', '/commit', async ({ req, res, query }) => {
    const body = await readJsonBody<unknown>(req, null);
    if (body !== null && (typeof body !== 'object' || Array.isArray(body))) throw badRequest('invalid container config');
    // The body is a create request: the config at its top level, HostConfig and NetworkingConfig beside it.
    const { HostConfig: _h, NetworkingConfig: _n, ...config } = (body ?? {}) as ContainerConfig & { NetworkingConfig?: unknown };
    const id = await commitContainer(engine, {
      container: query.get('container') ?? '',
      repo: query.get('repo') ?? undefined,
      tag: query.get('tag') ?? undefined,
      comment: query.get('comment') ?? undefined,
      author: query.get('author') ?? undefined,
      pause: query.get('pause') === null || boolParam(query, 'pause'),
      changes: query.getAll('changes'),
      config: body === null ? null : config,
    });
    sendJson(res!, 201, { Id: id });
  });
}

/** docker's ArchiveFormValues, typo included. */
function pathParam(query: URLSearchParams): string {
  const path = query.get('path');
  if (!path) throw badRequest('bad parameter: pathcannot be empty');
  return path;
}

function statHeader(stat: PathStat): string {
  return Buffer.from(JSON.stringify(stat)).toString('base64');
}

async function stream(res: ServerResponse, tar: Readable, type: string, headers: Record<string, string> = {}): Promise<void> {
  res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': type, ...headers });
  // A client that goes away ends the walk; the files stay as they were.
  await pipeline(tar, res).catch(() => res.destroy());
}
