// One conversation with one registry: the ping that tells what
// authorization it wants (GET /v2/), then requests carrying it. A 401 is
// answered once: by taking up the challenge it carries (the registry asked
// for nothing before) or by fetching a fresh token (an expired one, or one
// without a scope now needed); the second refusal is the registry's answer.
import type { Readable } from 'node:stream';
import { Authorizer, type AuthConfig } from './auth.ts';
import { parseChallenges } from './challenge.ts';
import type { Endpoint } from './endpoint.ts';
import { RegistryError, responseError } from './errors.ts';
import { discard, readBody, send, type HttpResponse } from './transport.ts';

const ERROR_BODY_LIMIT = 64 << 10;

export interface RegistryRequest {
  headers?: Record<string, string>;
  body?: () => Readable | Buffer;
  /** What the request needs of a bearer token: repositoryScope(...) values. */
  scopes: string[];
}

export class RegistryClient {
  readonly endpoint: Endpoint;
  readonly auth: Authorizer;
  readonly signal: AbortSignal | undefined;
  #ping: Promise<void> | undefined;

  constructor(endpoint: Endpoint, creds: AuthConfig, signal?: AbortSignal) {
    this.endpoint = endpoint;
    this.auth = new Authorizer(creds, signal);
    this.signal = signal;
  }

  url(path: string): URL {
    return new URL(path, this.endpoint.origin);
  }

  /** GET /v2/ once: a 200 (open) or a 401 with the challenge to answer from then on. */
  ping(): Promise<void> {
    this.#ping ??= this.#doPing();
    return this.#ping;
  }

  async #doPing(): Promise<void> {
    const res = await send({ method: 'GET', url: this.url('/v2/'), signal: this.signal });
    if (res.status === 401) this.auth.learn(parseChallenges(res.headers['www-authenticate']));
    else if (res.status < 200 || res.status >= 300) await this.fail(res);
    discard(res);
  }

  async request(method: string, target: string | URL, req: RegistryRequest): Promise<HttpResponse> {
    await this.ping();
    const url = typeof target === 'string' ? this.url(target) : target;
    for (let attempt = 0; ; attempt++) {
      let authorization: string | undefined;
      try {
        authorization = await this.auth.header(req.scopes);
      } catch (err) {
        if (!(err instanceof RegistryError)) throw err;
        // As docker: `Head "http://…/manifests/latest": no basic auth credentials`.
        throw new RegistryError(`${method[0]}${method.slice(1).toLowerCase()} "${url.href}": ${err.message}`, err.status, err.code);
      }
      const headers = { ...req.headers, ...(authorization ? { Authorization: authorization } : {}) };
      const res = await send({ method, url, headers, body: req.body, signal: this.signal });
      if (res.status !== 401 || attempt > 0) return res;
      const changed = this.auth.learn(parseChallenges(res.headers['www-authenticate']));
      if (!changed && (authorization === undefined || this.auth.scheme !== 'bearer')) return res;
      this.auth.forget(req.scopes);
      discard(res);
    }
  }

  /** Throws the registry's error for a refused request. */
  async fail(res: HttpResponse): Promise<never> {
    const body = res.status >= 400 && res.status < 500 ? await readBody(res, ERROR_BODY_LIMIT).catch(() => Buffer.alloc(0)) : Buffer.alloc(0);
    discard(res);
    throw responseError(res.status, res.statusText, body, parseChallenges(res.headers['www-authenticate']));
  }
}
