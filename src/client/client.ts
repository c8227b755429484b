// HTTP over the daemon's unix socket, the way docker's Go client talks to the
// Engine API: JSON bodies, streamed uploads and downloads, and hijacked
// connections (101 Switching Protocols) for attach and exec.
import { createRequire } from 'node:module';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Readable, Writable } from 'node:stream';
import type { Filters } from './types.ts';

// Importing node:http as an ES module evaluates its lazy WebSocket getters,
// which load undici and cost tens of milliseconds; require() does not.
const http: typeof import('node:http') = createRequire(import.meta.url)('node:http');

export const API_VERSION = '1.41';
export const DEFAULT_HOST = 'unix:///run/berth/berth.sock';

/** A non-2xx/3xx answer; message is the daemon's own ("No such container: x"). */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** The socket could not be reached at all. */
export class ConnectionError extends Error {}

/** -H/--host, else BERTH_HOST, else DOCKER_HOST, else the default socket. */
export function resolveHost(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.BERTH_HOST || env.DOCKER_HOST || DEFAULT_HOST;
}

export function socketPathOf(host: string): string {
  if (host.startsWith('unix://')) return host.slice('unix://'.length);
  if (host.startsWith('/')) return host;
  throw new Error(`unsupported host ${JSON.stringify(host)}: only unix:// sockets are supported`);
}

export type QueryValue = string | number | boolean | string[] | undefined;
export type Query = Record<string, QueryValue>;

export interface RequestOptions {
  query?: Query;
  /** Sent as JSON. */
  body?: unknown;
  /** Streamed as the request body (tar uploads). */
  input?: Readable;
  headers?: Record<string, string>;
}

/** A hijacked connection: stdin goes up, output comes down. */
export interface Hijacked {
  output: Readable;
  /** Null when the daemon answered without upgrading: output only. */
  input: Writable | null;
  /** Drops the connection (detach, or the container is gone). */
  close(): void;
}

/** The filters query parameter, omitted when empty. */
export function filtersQuery(filters: Filters | undefined): string | undefined {
  return filters && Object.keys(filters).length ? JSON.stringify(filters) : undefined;
}

export function encodeQuery(query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === false) continue;
    if (Array.isArray(v)) for (const e of v) params.append(k, e);
    else params.append(k, v === true ? '1' : String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

async function readAll(res: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function readJson<T>(res: Readable): Promise<T> {
  const body = await readAll(res);
  return (body.length ? JSON.parse(body.toString()) : undefined) as T;
}

async function toApiError(res: IncomingMessage): Promise<ApiError> {
  const text = (await readAll(res)).toString().trim();
  let message = text;
  try {
    const body = JSON.parse(text) as { message?: unknown };
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // plain-text error body
  }
  return new ApiError(res.statusCode ?? 500, message || `${res.statusCode} ${res.statusMessage ?? ''}`.trim());
}

export class Client {
  readonly host: string;
  readonly socketPath: string;

  constructor(host: string = resolveHost(undefined)) {
    this.host = host;
    this.socketPath = socketPathOf(host);
  }

  private connectionError(err: NodeJS.ErrnoException, path: string): Error {
    if (err.code === 'EACCES') {
      return new ConnectionError(
        `permission denied while trying to connect to the berth daemon socket at ${this.host}: ${path}: dial unix ${this.socketPath}: connect: permission denied`,
      );
    }
    if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
      return new ConnectionError(`Cannot connect to the berth daemon at ${this.host}. Is the berth daemon running?`);
    }
    return err;
  }

  private start(method: string, path: string, opts: RequestOptions, extra: Record<string, string> = {}): ClientRequest {
    const headers: Record<string, string> = { 'User-Agent': 'berth-cli', ...extra, ...opts.headers };
    let payload: string | undefined;
    if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      headers['Content-Type'] = 'application/json';
    }
    const url = `/v${API_VERSION}${path}${encodeQuery(opts.query)}`;
    const req = http.request({ socketPath: this.socketPath, method, path: url, headers, agent: false });
    if (opts.input) {
      opts.input.on('error', (e) => req.destroy(e));
      opts.input.pipe(req);
    } else {
      req.end(payload);
    }
    return req;
  }

  /** Resolves with the response once headers arrive; rejects ApiError for status >= 400. */
  request(method: string, path: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = this.start(method, path, opts);
      req.on('error', (e) => reject(this.connectionError(e, path)));
      req.on('response', (res) => {
        if ((res.statusCode ?? 500) >= 400) toApiError(res).then(reject, reject);
        else resolve(res);
      });
    });
  }

  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    return readJson<T>(await this.request(method, path, opts));
  }

  /** The whole body, unparsed (inspect keeps the daemon's own JSON text). */
  async raw(method: string, path: string, opts: RequestOptions = {}): Promise<Buffer> {
    return readAll(await this.request(method, path, opts));
  }

  /** For endpoints answered with an empty body (204/304). */
  async call(method: string, path: string, opts: RequestOptions = {}): Promise<void> {
    await this.raw(method, path, opts);
  }

  /** Upgrades the connection (attach, exec start); the socket then carries the raw streams. */
  hijack(method: string, path: string, opts: RequestOptions = {}): Promise<Hijacked> {
    return new Promise((resolve, reject) => {
      const req = this.start(method, path, opts, { Connection: 'Upgrade', Upgrade: 'tcp' });
      req.on('error', (e) => reject(this.connectionError(e, path)));
      req.on('upgrade', (_res, socket, head) => {
        if (head.length) socket.unshift(head);
        resolve({ output: socket, input: socket, close: () => socket.destroy() });
      });
      req.on('response', (res) => {
        // A daemon that does not upgrade still streams the output in the body.
        if ((res.statusCode ?? 500) >= 400) toApiError(res).then(reject, reject);
        else resolve({ output: res, input: null, close: () => res.destroy() });
      });
    });
  }
}
