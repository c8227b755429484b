// A small router for the Docker Engine API: version prefixes, path
// parameters, JSON bodies, Docker's error shape, and hijacked connections.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError, badRequest, messageOf, statusOf } from '../util/errors.ts';

export const API_VERSION = '1.41';
export const MIN_API_VERSION = '1.24';

export interface Ctx {
  req: IncomingMessage;
  /** Absent on upgrade (hijack) requests. */
  res?: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  version: string;
  /** Leftover bytes after the request body on a hijacked connection. */
  head?: Buffer;
  socket?: Duplex;
}

export type Handler = (ctx: Ctx) => Promise<void> | void;

interface Route {
  method: string;
  re: RegExp;
  keys: string[];
  handler: Handler;
}

export class Router {
  #routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): void {
    const keys: string[] = [];
    // {name*} matches across slashes (image names contain them).
    const re = new RegExp(
      '^' + pattern.replace(/\{(\w+)(\*?)\}/g, (_m, k: string, star: string) => {
        keys.push(k);
        return star ? '(.+?)' : '([^/]+)';
      }) + '$',
    );
    this.#routes.push({ method, re, keys, handler });
  }

  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | 'method' | undefined {
    let pathMatched = false;
    for (const r of this.#routes) {
      const m = r.re.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== method && !(method === 'HEAD' && r.method === 'GET')) continue;
      const params: Record<string, string> = {};
      try {
        r.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1]!)));
      } catch {
        throw badRequest(`invalid escape in path: ${path}`);
      }
      return { handler: r.handler, params };
    }
    return pathMatched ? 'method' : undefined;
  }
}

export function compareVersions(a: string, b: string): number {
  const [a1 = 0, a2 = 0] = a.split('.').map(Number);
  const [b1 = 0, b2 = 0] = b.split('.').map(Number);
  return a1 !== b1 ? a1 - b1 : a2 - b2;
}

/** Splits "/v1.41/containers/json" into its version and route path. */
export function splitVersion(pathname: string): { version: string; path: string } {
  const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(pathname);
  if (!m) return { version: API_VERSION, path: pathname };
  const version = m[1]!;
  if (compareVersions(version, API_VERSION) > 0) throw badRequest(`client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
  if (compareVersions(version, MIN_API_VERSION) < 0) throw badRequest(`client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
  return { version, path: m[2]! };
}

export const COMMON_HEADERS: Record<string, string> = {
  'Api-Version': API_VERSION,
  'Docker-Experimental': 'false',
  'Ostype': 'linux',
  'Server': `Docker/berth (linux)`,
};

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { ...COMMON_HEADERS, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

export function sendError(res: ServerResponse | undefined, socket: Duplex | undefined, err: unknown): void {
  const status = statusOf(err);
  const message = messageOf(err);
  if (status >= 500 && !(err instanceof ApiError)) console.error('berthd: internal error:', err);
  if (res) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (status === 304) {
      res.writeHead(304, COMMON_HEADERS);
      res.end();
      return;
    }
    sendJson(res, status, { message, ...(err instanceof ApiError ? err.detail : {}) });
    return;
  }
  if (socket && !socket.destroyed) {
    const data = JSON.stringify({ message });
    socket.end(`HTTP/1.1 ${status} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(data)}\r\n\r\n${data}`);
  }
}

/** Reads and parses a JSON request body; an empty body is `fallback`. */
export async function readJsonBody<T>(req: IncomingMessage, fallback: T, head?: Buffer): Promise<T> {
  const chunks: Buffer[] = [];
  let size = 0;
  if (head && head.length) chunks.push(head);
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > 16 * 1024 * 1024) throw badRequest('request body too large');
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw badRequest(`invalid JSON: ${(err as Error).message}`);
  }
}

export function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v !== null && !['', '0', 'no', 'false', 'none'].includes(v.trim().toLowerCase());
}

export function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badRequest(`invalid value for ${name}: ${v}`);
  return n;
}

/** Docker's `filters` query parameter: {"key": ["v", …]} or the older {"key": {"v": true}}. */
export function filtersParam(q: URLSearchParams): Record<string, string[]> {
  const raw = q.get('filters');
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw badRequest(`invalid filter: ${raw}`);
  }
  if (!parsed || typeof parsed !== 'object') throw badRequest(`invalid filter: ${raw}`);
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (Array.isArray(v)) out[k] = v.map(String);
    else if (v && typeof v === 'object') out[k] = Object.keys(v).filter((x) => (v as Record<string, unknown>)[x]);
    else throw badRequest(`invalid filter: ${raw}`);
  }
  return out;
}
