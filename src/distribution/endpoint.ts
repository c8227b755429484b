// Where an image reference lives: which registry (Docker Hub for short names,
// as docker resolves them), over which scheme, and its repository path there.
// As docker's defaults: loopback registries (localhost, 127.0.0.0/8, ::1)
// are spoken to in plain HTTP, every other one over HTTPS.
import { isIPv4 } from 'node:net';
import { parseReference } from '../image/reference.ts';

export const DOCKER_HUB_DOMAIN = 'docker.io';
const DOCKER_HUB_API = 'registry-1.docker.io';
/** The key docker's config.json and X-Registry-Auth use for Docker Hub. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

export interface Endpoint {
  /** The registry as references name it: "docker.io", "127.0.0.1:5000". */
  domain: string;
  /** Where its API answers: "https://registry-1.docker.io", "http://127.0.0.1:5000". */
  origin: string;
}

export interface RemoteReference {
  endpoint: Endpoint;
  /** The repository inside the registry: "library/busybox", "app". */
  path: string;
  /** The familiar name: "busybox", "127.0.0.1:5000/app". */
  name: string;
  tag?: string;
  digest?: string;
}

/** Hosts docker treats as insecure by default: spoken to in plain HTTP. */
export function isLoopback(domain: string): boolean {
  let host = domain;
  if (host.startsWith('[')) host = host.slice(1, host.indexOf(']'));
  else if (host.includes(':')) host = host.slice(0, host.lastIndexOf(':'));
  host = host.toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || host === '::1') return true;
  return isIPv4(host) && host.startsWith('127.');
}

export function endpointFor(domain: string): Endpoint {
  if (domain === DOCKER_HUB_DOMAIN || domain === 'index.docker.io') return { domain: DOCKER_HUB_DOMAIN, origin: `https://${DOCKER_HUB_API}` };
  return { domain, origin: `${isLoopback(domain) ? 'http' : 'https'}://${domain}` };
}

/** Splits a familiar repository ("busybox", "localhost:5000/app") into its registry and path. */
export function splitRepository(repo: string): { domain: string; path: string } {
  const slash = repo.indexOf('/');
  const first = slash >= 0 ? repo.slice(0, slash) : '';
  if (first && (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['))) {
    return { domain: first, path: repo.slice(slash + 1) };
  }
  return { domain: DOCKER_HUB_DOMAIN, path: repo.includes('/') ? repo : `library/${repo}` };
}

/** Resolves a reference as docker spells it; throws on an invalid one. */
export function resolveRemote(ref: string): RemoteReference {
  const parsed = parseReference(ref);
  const { domain, path } = splitRepository(parsed.repo);
  return { endpoint: endpointFor(domain), path, name: parsed.repo, ...(parsed.tag !== undefined ? { tag: parsed.tag } : {}), ...(parsed.digest ? { digest: parsed.digest } : {}) };
}

/** The fully qualified repository: "docker.io/library/busybox" (what "The push refers to repository" shows). */
export function qualifiedName(r: RemoteReference): string {
  return `${r.endpoint.domain}/${r.path}`;
}

/** "busybox:latest", "127.0.0.1:5000/app@sha256:…" (reference.FamiliarString). */
export function familiarString(r: RemoteReference): string {
  return r.digest ? `${r.name}@${r.digest}` : `${r.name}:${r.tag ?? 'latest'}`;
}

/**
 * The registry a login or a credentials entry names: "https://index.docker.io/v1/",
 * "" and "docker.io" are Docker Hub; otherwise the host[:port], with any
 * scheme or path dropped ("http://127.0.0.1:5000/v2/" → "127.0.0.1:5000").
 */
export function registryDomainOf(serverAddress: string): string {
  const s = serverAddress.trim();
  if (!s) return DOCKER_HUB_DOMAIN;
  const host = s.replace(/^[a-z]+:\/\//i, '').split('/')[0]!;
  if (['docker.io', 'index.docker.io', 'registry-1.docker.io'].includes(host)) return DOCKER_HUB_DOMAIN;
  return host;
}
