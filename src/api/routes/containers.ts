import type { Router, Ctx } from '../router.ts';
import { boolParam, filtersParam, intParam, readJsonBody, sendJson, COMMON_HEADERS } from '../router.ts';
import type { ApiDeps } from '../server.ts';
import type { CreateRequest } from '../../engine/engine.ts';
import { containerJson, inspectJson } from '../views/container-views.ts';
import { containerFilter, labelMatches } from '../../engine/container-filters.ts';
import { readLog, sizeOf } from '../../engine/log-reader.ts';
import { renderLog } from '../../engine/log-format.ts';
import { hijack } from '../hijack.ts';
import { parseTimeParam } from './params.ts';
import { AttachSocket } from '../../runtime/attach-socket.ts';
import { badRequest, conflict } from '../../util/errors.ts';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { Engine } from '../../engine/engine.ts';
import type { Container } from '../../engine/container.ts';

export function containerRoutes(router: Router, { engine }: ApiDeps): void {
  router.add('GET', '/containers/json', ({ res, query }) => {
    const all = boolParam(query, 'all');
    const limit = intParam(query, 'limit') ?? -1;
    const filters = filtersParam(query);
    const keep = containerFilter(filters, {
      ancestorIds: (v) => ancestorIds(engine, v),
      createdOf: (ref) => engine.find(ref)?.record.Created,
    });
    // Filters on status, exit code or order, and a limit, imply --all, as in docker.
    const showAll = all || limit > 0 || !!(filters.status?.length || filters.exited?.length || filters.before || filters.since);
    let list = [...engine.containers.values()]
      .filter((c) => showAll || c.running || c.record.State.Restarting)
      .filter((c) => keep(c.record))
      .sort((a, b) => (a.record.Created < b.record.Created ? 1 : -1));
    if (limit > 0) list = list.slice(0, limit);
    sendJson(res!, 200, list.map((c) => containerJson(engine, c)));
  });

  router.add('POST', '/containers/create', async ({ req, res, query }) => {
    const body = await readJsonBody<CreateRequest | null>(req, null);
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('config cannot be empty in order to create a container');
    sendJson(res!, 201, await engine.create(body, query.get('name') ?? undefined));
  });

  router.add('GET', '/containers/{id}/json', ({ res, params }) => sendJson(res!, 200, inspectJson(engine, engine.get(params.id!))));

  router.add('POST', '/containers/{id}/start', async ({ res, params }) => {
    const c = engine.get(params.id!);
    if (c.running) {
      res!.writeHead(304, COMMON_HEADERS).end();
      return;
    }
    await engine.start(c.id);
    res!.writeHead(204, COMMON_HEADERS).end();
  });

  router.add('POST', '/containers/{id}/stop', async ({ res, params, query }) => {
    const stopped = await engine.stop(params.id!, intParam(query, 't') ?? intParam(query, 'timeout'), query.get('signal') ?? undefined);
    res!.writeHead(stopped ? 204 : 304, COMMON_HEADERS).end();
  });

  router.add('POST', '/containers/{id}/restart', async ({ res, params, query }) => {
    await engine.restart(params.id!, intParam(query, 't') ?? intParam(query, 'timeout'), query.get('signal') ?? undefined);
    res!.writeHead(204, COMMON_HEADERS).end();
  });

  router.add('POST', '/containers/{id}/kill', async ({ res, params, query }) => {
    await engine.kill(params.id!, query.get('signal') ?? undefined);
    res!.writeHead(204, COMMON_HEADERS).end();
  });

  router.add('POST', '/containers/{id}/pause', async ({ res, params }) => {
    await engine.pause(params.id!, true);
    res!.writeHead(204, COMMON_HEADERS).end();
  });
  router.add('POST', '/containers/{id}/unpause', async ({ res, params }) => {
    await engine.pause(params.id!, false);
    res!.writeHead(204, COMMON_HEADERS).end();
  });

  router.add('POST', '/containers/{id}/wait', async ({ res, params, query }) => {
    const condition = query.get('condition') || 'not-running';
    if (!['not-running', 'next-exit', 'removed'].includes(condition)) throw badRequest(`invalid condition: "${condition}"`);
    const result = engine.wait(params.id!, condition);
    // Headers go out at once so the client knows the wait is registered.
    res!.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'application/json' });
    res!.flushHeaders();
    res!.end(JSON.stringify(await result) + '\n');
  });

  router.add('DELETE', '/containers/{id}', async ({ res, params, query }) => {
    await engine.remove(params.id!, { force: boolParam(query, 'force'), volumes: boolParam(query, 'v') });
    res!.writeHead(204, COMMON_HEADERS).end();
  });

  router.add('POST', '/containers/{id}/rename', async ({ res, params, query }) => {
    const name = query.get('name');
    if (!name) throw badRequest('name is required');
    await engine.rename(params.id!, name);
    res!.writeHead(204, COMMON_HEADERS).end();
  });

  router.add('POST', '/containers/{id}/resize', async ({ res, params, query }) => {
    const h = intParam(query, 'h') ?? 0;
    const w = intParam(query, 'w') ?? 0;
    if (h < 0 || w < 0 || h > 65535 || w > 65535) throw badRequest('invalid terminal size');
    await engine.resize(params.id!, h, w);
    res!.writeHead(200, COMMON_HEADERS).end();
  });

  router.add('GET', '/containers/{id}/top', async ({ res, params, query }) => sendJson(res!, 200, await engine.top(params.id!, query.get('ps_args') ?? '')));

  router.add('POST', '/containers/prune', async ({ res, query }) => {
    const filters = filtersParam(query);
    const until = filters.until?.[0] !== undefined ? parseTimeParam(filters.until[0]) : undefined;
    sendJson(res!, 200, await engine.prune((c) =>
      (filters.label ?? []).every((l) => labelMatches(c.record.Config.Labels, l)) &&
      (filters['label!'] ?? []).every((l) => !labelMatches(c.record.Config.Labels, l)) &&
      (until === undefined || Date.parse(c.record.Created) < until)));
  });

  router.add('GET', '/containers/{id}/logs', (ctx) => logs(engine, ctx));
  router.add('POST', '/containers/{id}/attach', (ctx) => attach(engine, ctx));
}

function ancestorIds(engine: Engine, value: string): Set<string> {
  const id = engine.images.store.lookup(value);
  return new Set(id ? [id] : []);
}

async function logs(engine: Engine, { res, params, query }: Ctx): Promise<void> {
  const c = engine.get(params.id!);
  const stdout = boolParam(query, 'stdout');
  const stderr = boolParam(query, 'stderr');
  if (!stdout && !stderr) throw badRequest('Bad parameters: you must choose at least one stream');
  const tailParam = query.get('tail');
  const tail = tailParam === null || tailParam === 'all' || tailParam === '' ? undefined : Number(tailParam);
  if (tail !== undefined && (!Number.isInteger(tail) || tail < 0)) throw badRequest(`invalid tail value: ${tailParam}`);
  const follow = boolParam(query, 'follow');
  const timestamps = boolParam(query, 'timestamps');
  const tty = !!c.record.Config.Tty;
  res!.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' });
  res!.flushHeaders();
  const ac = new AbortController();
  res!.on('close', () => ac.abort());
  await pump(res!, c, {
    since: parseTimeParam(query.get('since')),
    until: parseTimeParam(query.get('until')),
    tail,
    follow,
    stdout,
    stderr,
    timestamps,
    tty,
    signal: ac.signal,
  });
  res!.end();
}

interface PumpOptions {
  since?: number;
  until?: number;
  tail?: number;
  follow: boolean;
  offset?: number;
  stdout: boolean;
  stderr: boolean;
  timestamps: boolean;
  tty: boolean;
  signal: AbortSignal;
}

/** Copies log records to a client, framed unless the container has a TTY. */
async function pump(out: Writable, c: Container, o: PumpOptions): Promise<void> {
  const done = (): boolean => !c.running && !c.record.State.Restarting;
  for await (const records of readLog(c.logPath, { ...o, done, stopped: () => c.stopped, signal: o.signal })) {
    const { out: chunk } = renderLog(records, o);
    if (chunk.length === 0) continue;
    if (!out.write(chunk)) {
      await new Promise<void>((r) => {
        const go = (): void => {
          out.off('drain', go);
          out.off('close', go);
          r();
        };
        out.on('drain', go);
        out.on('close', go);
      });
    }
    if (o.signal.aborted || out.destroyed) return;
  }
}

async function attach(engine: Engine, ctx: Ctx): Promise<void> {
  const { query, params } = ctx;
  const c = engine.get(params.id!);
  const stream = boolParam(query, 'stream');
  const logsToo = boolParam(query, 'logs');
  const wantStdin = boolParam(query, 'stdin');
  const stdout = boolParam(query, 'stdout');
  const stderr = boolParam(query, 'stderr');
  if (c.record.Removing) throw conflict(`container ${c.id} is being removed`);
  const tty = !!c.record.Config.Tty;
  const ac = new AbortController();
  let out: Writable;
  if (ctx.socket) {
    out = hijack(ctx, !tty);
  } else {
    ctx.res!.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' });
    ctx.res!.flushHeaders();
    out = ctx.res!;
  }
  out.on('close', () => ac.abort());
  if (wantStdin && ctx.socket && c.record.Config.OpenStdin) void forwardStdin(engine, c, ctx.socket, ac.signal);
  // A stream attach to a container not yet started (docker run) waits for its start;
  // the wait is registered first so a start during the next await is not missed.
  const started = stream && !c.running && !c.record.State.Restarting ? waitForStart(engine, c, ac.signal) : undefined;
  // Without `logs`, only output written after the attach is sent.
  const offset = logsToo ? 0 : await sizeOf(c.logPath);
  await started;
  await pump(out, c, { follow: stream, offset, stdout, stderr, timestamps: false, tty, signal: ac.signal }).catch(() => {});
  out.end();
}

function waitForStart(engine: Engine, c: Container, signal: AbortSignal): Promise<void> {
  if (c.running) return Promise.resolve();
  return new Promise((resolve) => {
    const unsubscribe = engine.events.subscribe((e) => {
      if (e.Actor.ID === c.id && (e.Action === 'start' || e.Action === 'destroy' || e.Action === 'die')) finish();
    });
    const finish = (): void => {
      unsubscribe();
      signal.removeEventListener('abort', finish);
      resolve();
    };
    signal.addEventListener('abort', finish);
  });
}

/** Copies a client's stdin into conmon's attach socket, once the container runs. */
async function forwardStdin(engine: Engine, c: Container, socket: NodeJS.ReadableStream, signal: AbortSignal): Promise<void> {
  const chunks: Buffer[] = [];
  let ended = false;
  let wake: () => void = () => {};
  socket.on('data', (d: Buffer) => {
    chunks.push(d);
    wake();
  });
  socket.on('end', () => {
    ended = true;
    wake();
  });
  socket.on('close', () => {
    ended = true;
    wake();
  });
  await waitForStart(engine, c, signal);
  if (!c.running) return;
  let sock: AttachSocket;
  try {
    sock = AttachSocket.connect(join(engine.opts.execRoot, 'sockets', c.id.slice(0, 12), 'attach'));
  } catch {
    return;
  }
  try {
    for (;;) {
      while (chunks.length) await sock.write(chunks.shift()!);
      if (ended || signal.aborted) break;
      await new Promise<void>((r) => (wake = r));
    }
  } finally {
    await sock.close();
  }
}
