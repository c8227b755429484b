// HTTP(S) to registries and token servers: kept-alive connections, redirects
// for reads (blob downloads are often sent to a storage service), an idle
// timeout, and failures worded as Go's net/http words them, since that is
// what docker users read ("Get "http://…/v2/": dial tcp 127.0.0.1:5000:
// connect: connection refused").
import { createRequire } from 'node:module';
import https from 'node:https';
import { getCACertificates } from 'node:tls';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { RegistryError } from './errors.ts';

/** A stalled connection (no byte either way for this long) fails. */
const IDLE_TIMEOUT_MS = 60_000;
const MAX_REDIRECTS = 10;
/** docker's per-registry TLS files: ca.crt (*.crt), client.cert + client.key. */
const CERTS_DIR = '/etc/docker/certs.d';

// Through require, as in api/server.ts: an ESM import of node:http loads undici.
const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');

const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 16 });

export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  /** Made anew for each attempt, so a request can be sent again. */
  body?: () => Readable | Buffer;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  /** Where the answer came from, after redirects. */
  url: URL;
  body: IncomingMessage;
}

const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connect: connection refused',
  ECONNRESET: 'connection reset by peer',
  EHOSTUNREACH: 'connect: no route to host',
  ENETUNREACH: 'connect: network is unreachable',
  ETIMEDOUT: 'i/o timeout',
  EPIPE: 'write: broken pipe',
  ERR_SSL_WRONG_VERSION_NUMBER: 'http: server gave HTTP response to HTTPS client',
};

/** Go's url.Error: `Get "http://host/v2/": dial tcp host:port: connect: connection refused`. */
export function transportError(method: string, url: URL, err: Error & { code?: string }): RegistryError {
  if (err instanceof RegistryError) return err;
  const op = method[0]! + method.slice(1).toLowerCase();
  const hostPort = `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
  let text: string;
  if (err.code === 'ENOTFOUND') text = `dial tcp: lookup ${url.hostname}: no such host`;
  else if (err.code === 'EAI_AGAIN') text = `dial tcp: lookup ${url.hostname}: temporary failure in name resolution`;
  else if (err.code && err.code in ERRNO_TEXT) text = `${err.code.startsWith('ECONN') || err.code.endsWith('UNREACH') ? `dial tcp ${hostPort}: ` : ''}${ERRNO_TEXT[err.code]}`;
  else if (err.name === 'AbortError') text = 'context canceled';
  else text = err.message;
  return new RegistryError(`${op} "${url.href}": ${text}`, 0);
}

const tlsByDomain = new Map<string, https.RequestOptions>();

/** The system's and Node's CAs, plus what /etc/docker/certs.d/<host:port>/ adds for this registry. */
function tlsOptions(host: string): https.RequestOptions {
  let opts = tlsByDomain.get(host);
  if (opts) return opts;
  const ca = [...getCACertificates('default'), ...getCACertificates('system')];
  opts = { ca };
  let files: string[] = [];
  try {
    files = readdirSync(join(CERTS_DIR, host));
  } catch {
    // no files for this registry
  }
  for (const f of files) {
    const path = join(CERTS_DIR, host, f);
    if (f.endsWith('.crt')) ca.push(readFileSync(path, 'utf8'));
    if (f.endsWith('.cert') && files.includes(f.replace(/\.cert$/, '.key'))) {
      opts.cert = readFileSync(path);
      opts.key = readFileSync(path.replace(/\.cert$/, '.key'));
    }
  }
  tlsByDomain.set(host, opts);
  return opts;
}

function sendOnce(req: HttpRequest, url: URL, headers: Record<string, string>): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const options: https.RequestOptions = {
      method: req.method,
      headers: { 'User-Agent': 'berth', ...headers },
      agent: secure ? httpsAgent : httpAgent,
      timeout: IDLE_TIMEOUT_MS,
      ...(req.signal ? { signal: req.signal } : {}),
      ...(secure ? tlsOptions(url.host) : {}),
    };
    const r = (secure ? https : http).request(url, options, (res) => {
      // A failure once the answer has begun ends its body, with the same words.
      r.on('error', (err) => res.destroy(transportError(req.method, url, err)));
      resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers, url, body: res });
    });
    r.on('timeout', () => r.destroy(Object.assign(new Error('i/o timeout'), { code: 'ETIMEDOUT' })));
    r.on('error', (err) => reject(transportError(req.method, url, err)));
    const body = req.body?.();
    if (body === undefined) r.end();
    else if (Buffer.isBuffer(body)) r.end(body);
    // The registry may answer (and close) before the body is all sent: the answer is what counts.
    else pipeline(body, r).catch((err: Error) => reject(transportError(req.method, url, err)));
  });
}

/** Sends a request; GET and HEAD follow redirects, without credentials when the origin changes. */
export async function send(req: HttpRequest): Promise<HttpResponse> {
  let url = req.url;
  let headers = { ...req.headers };
  for (let hops = 0; ; hops++) {
    const res = await sendOnce(req, url, headers);
    const location = res.headers.location;
    const redirect = [301, 302, 303, 307, 308].includes(res.status) && location && (req.method === 'GET' || req.method === 'HEAD');
    if (!redirect || hops >= MAX_REDIRECTS) return res;
    res.body.resume();
    const next = new URL(location, url);
    if (next.origin !== url.origin) {
      headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
    }
    url = next;
  }
}

/** An answer's body cut off by the server ("aborted") reads as Go's io.ErrUnexpectedEOF. */
export function bodyError(err: unknown): unknown {
  return err instanceof Error && !(err instanceof RegistryError) && (err as { code?: string }).code === 'ECONNRESET' ? new RegistryError('unexpected EOF', 0) : err;
}

/** Reads a whole (small) body; more than `limit` bytes is an error. */
export async function readBody(res: HttpResponse, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        res.body.destroy();
        throw new RegistryError(`${res.url.href}: response larger than ${limit} bytes`, res.status);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    throw bodyError(err);
  }
  return Buffer.concat(chunks);
}

/** Reads what is left of an answer whose body does not matter, so the connection can be reused. */
export function discard(res: HttpResponse): void {
  res.body.resume();
}
