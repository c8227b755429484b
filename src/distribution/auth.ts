// Credentials as docker sends them (X-Registry-Auth: base64url JSON) and the
// Authorization header a registry asks for through its challenge: Basic with
// the user's password, or Bearer with a token fetched from the challenge's
// realm for the scopes a request needs (docker's token flow), cached until
// it expires.
import { RegistryError, responseError } from './errors.ts';
import type { Challenge } from './challenge.ts';
import { readBody, send } from './transport.ts';
import { registryDomainOf } from './endpoint.ts';

export interface AuthConfig {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token from an earlier login (docker's IdentityToken). */
  identitytoken?: string;
  /** A bearer token to send as is. */
  registrytoken?: string;
  serveraddress?: string;
}

const CLIENT_ID = 'berth';
/** A token lives this long when its server does not say (the distribution spec's default). */
const DEFAULT_TOKEN_SECONDS = 60;
const TOKEN_BODY_LIMIT = 1 << 20;

/** moby's AuthConfig from JSON: keys in any case, "auth" as base64 "user:password". */
export function authConfigFrom(doc: unknown): AuthConfig {
  if (!doc || typeof doc !== 'object') return {};
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc)) if (typeof v === 'string' && v) fields[k.toLowerCase()] = v;
  const out: AuthConfig = {};
  if (fields.auth && !fields.username && !fields.password) {
    const text = Buffer.from(fields.auth, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon > 0) {
      out.username = text.slice(0, colon);
      out.password = text.slice(colon + 1);
    }
  }
  if (fields.username) out.username = fields.username;
  if (fields.password) out.password = fields.password;
  if (fields.identitytoken) out.identitytoken = fields.identitytoken;
  if (fields.registrytoken) out.registrytoken = fields.registrytoken;
  if (fields.serveraddress) out.serveraddress = fields.serveraddress;
  return out;
}

/** X-Registry-Auth: base64url (or standard base64) JSON; as moby, an unreadable header means no credentials. */
export function decodeAuthHeader(value: string | string[] | undefined): AuthConfig {
  if (typeof value !== 'string' || !value.trim()) return {};
  try {
    return authConfigFrom(JSON.parse(Buffer.from(value.trim(), 'base64url').toString('utf8')));
  } catch {
    return {};
  }
}

/**
 * X-Registry-Config (what docker sends with a build): base64url JSON of
 * registry address → credentials; the entry for registry `domain`, if any.
 */
export function authForRegistry(value: string | string[] | undefined, domain: string): AuthConfig {
  if (typeof value !== 'string' || !value.trim()) return {};
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(value.trim(), 'base64url').toString('utf8'));
  } catch {
    return {};
  }
  if (!doc || typeof doc !== 'object') return {};
  for (const [address, creds] of Object.entries(doc)) {
    if (registryDomainOf(address) === domain) return authConfigFrom(creds);
  }
  return {};
}

/** "repository:library/busybox:pull,push" */
export function repositoryScope(path: string, actions: string[]): string {
  return `repository:${path}:${actions.join(',')}`;
}

interface Token {
  value: string;
  expires: number;
}

export class Authorizer {
  readonly #creds: AuthConfig;
  readonly #signal: AbortSignal | undefined;
  #challenge: Challenge | undefined;
  #tokens = new Map<string, Promise<Token>>();
  /** Asks the token server for a refresh token too (a login does). */
  offline = false;
  /** The refresh token the last token answer carried, if any. */
  refreshToken: string | undefined;

  constructor(creds: AuthConfig, signal?: AbortSignal) {
    this.#creds = creds;
    this.#signal = signal;
  }

  get scheme(): string | undefined {
    return this.#creds.registrytoken ? 'bearer' : this.#challenge?.scheme;
  }

  /** Takes what a registry asked for (its ping, or a 401); true when that changes how requests are authorized. */
  learn(challenges: Challenge[]): boolean {
    const pick = challenges.find((c) => c.scheme === 'bearer' && c.params.realm) ?? challenges.find((c) => c.scheme === 'basic');
    if (!pick) return false;
    const prev = this.#challenge;
    this.#challenge = pick;
    const same = prev && prev.scheme === pick.scheme && prev.params.realm === pick.params.realm && prev.params.service === pick.params.service;
    if (!same) this.#tokens.clear();
    return !same;
  }

  /** The Authorization header for a request that needs `scopes`; undefined while the registry asked for nothing. */
  async header(scopes: string[]): Promise<string | undefined> {
    if (this.#creds.registrytoken) return `Bearer ${this.#creds.registrytoken}`;
    const c = this.#challenge;
    if (!c) return undefined;
    if (c.scheme === 'basic') {
      const { username, password } = this.#creds;
      if (!username && !password) throw new RegistryError('no basic auth credentials', 401, 'UNAUTHORIZED');
      return `Basic ${Buffer.from(`${username ?? ''}:${password ?? ''}`).toString('base64')}`;
    }
    return `Bearer ${(await this.#token(c, scopes)).value}`;
  }

  /** Drops the cached token for `scopes` (the registry refused it). */
  forget(scopes: string[]): void {
    this.#tokens.delete(scopeKey(scopes));
  }

  #token(c: Challenge, scopes: string[]): Promise<Token> {
    const key = scopeKey(scopes);
    const cached = this.#tokens.get(key);
    if (cached) {
      return cached.then((t) => {
        if (t.expires > Date.now()) return t;
        if (this.#tokens.get(key) === cached) this.#tokens.delete(key);
        return this.#token(c, scopes);
      });
    }
    const job = this.#fetchToken(c, scopes);
    this.#tokens.set(key, job);
    job.catch(() => {
      if (this.#tokens.get(key) === job) this.#tokens.delete(key);
    });
    return job;
  }

  async #fetchToken(c: Challenge, scopes: string[]): Promise<Token> {
    let realm: URL;
    try {
      realm = new URL(c.params.realm!);
    } catch {
      throw new RegistryError(`invalid token realm ${JSON.stringify(c.params.realm)}`, 0);
    }
    if (realm.protocol !== 'https:' && realm.protocol !== 'http:') throw new RegistryError(`unsupported token realm ${realm.href}`, 0);
    const { username, password, identitytoken } = this.#creds;
    const service = c.params.service;
    let res;
    if (identitytoken) {
      // OAuth2 refresh-token grant, as docker does with a stored identity token.
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: identitytoken, client_id: CLIENT_ID });
      if (service) form.set('service', service);
      if (scopes.length) form.set('scope', scopes.join(' '));
      if (this.offline) form.set('access_type', 'offline');
      const body = Buffer.from(form.toString());
      res = await send({ method: 'POST', url: realm, body: () => body, signal: this.#signal, headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(body.length) } });
    } else {
      const url = new URL(realm);
      if (service) url.searchParams.set('service', service);
      for (const s of scopes) url.searchParams.append('scope', s);
      const headers: Record<string, string> = {};
      if (username || password) {
        if (username) url.searchParams.set('account', username);
        headers.Authorization = `Basic ${Buffer.from(`${username ?? ''}:${password ?? ''}`).toString('base64')}`;
      }
      if (this.offline) {
        url.searchParams.set('offline_token', 'true');
        url.searchParams.set('client_id', CLIENT_ID);
      }
      res = await send({ method: 'GET', url, headers, signal: this.#signal });
    }
    const body = await readBody(res, TOKEN_BODY_LIMIT);
    if (res.status < 200 || res.status >= 300) throw responseError(res.status, res.statusText, body);
    let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown; refresh_token?: unknown };
    try {
      doc = JSON.parse(body.toString('utf8')) as typeof doc;
    } catch {
      throw new RegistryError(`unable to decode token response from ${realm.origin}`, res.status);
    }
    const value = typeof doc.token === 'string' && doc.token ? doc.token : typeof doc.access_token === 'string' ? doc.access_token : '';
    if (!value) throw new RegistryError(`authorization server did not include a token in the response`, res.status);
    const seconds = typeof doc.expires_in === 'number' && doc.expires_in >= DEFAULT_TOKEN_SECONDS ? doc.expires_in : DEFAULT_TOKEN_SECONDS;
    const issued = typeof doc.issued_at === 'string' && Date.parse(doc.issued_at) <= Date.now() ? Date.parse(doc.issued_at) : Date.now();
    if (typeof doc.refresh_token === 'string' && doc.refresh_token) this.refreshToken = doc.refresh_token;
    // Renewed a little early, so that it does not run out in flight.
    return { value, expires: issued + seconds * 1000 - 5_000 };
  }
}

function scopeKey(scopes: string[]): string {
  return [...scopes].sort().join(' ');
}
