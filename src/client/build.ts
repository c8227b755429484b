// POST /build, as docker's client sends it for the classic builder: the
// context tar as the body, every option in the query, and berth's build
// secrets in a header of their own (never in the URL, which daemons log).
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { readJson, type Client } from './client.ts';

export interface BuildUlimit {
  Name: string;
  Hard: number;
  Soft: number;
}

export interface BuildRequest {
  tags: string[];
  /** The Dockerfile's path inside the context. */
  dockerfile: string;
  /** A null value is a --build-arg KEY the caller's environment did not have. */
  buildArgs: Record<string, string | null>;
  labels: Record<string, string>;
  target: string;
  quiet: boolean;
  noCache: boolean;
  /** Stages built without the cache (berth's --no-cache-filter). */
  noCacheFilter: string[];
  /** berth's own: steps report how long they took (for the BuildKit-style display). */
  stepTimes?: boolean;
  pull: boolean;
  remove: boolean;
  forceRemove: boolean;
  networkMode: string;
  platform: string;
  extraHosts: string[];
  securityOpt: string[];
  cacheFrom: string[];
  isolation: string;
  squash: boolean;
  cgroupParent: string;
  cpuSetCpus: string;
  cpuSetMems: string;
  cpuShares: number;
  cpuQuota: number;
  cpuPeriod: number;
  memory: number;
  memorySwap: number;
  shmSize: number;
  ulimits: BuildUlimit[];
  /** Secret id → its bytes. */
  secrets: Map<string, Buffer>;
}

export const SECRETS_HEADER = 'X-Berth-Build-Secrets';

/** The secrets header's value: base64 of a JSON object of base64 values. */
export function encodeSecrets(secrets: ReadonlyMap<string, Buffer>): string {
  const byId: Record<string, string> = {};
  for (const [id, value] of secrets) byId[id] = value.toString('base64');
  return Buffer.from(JSON.stringify(byId)).toString('base64');
}

/** The build's JSON message stream; rejects with the daemon's error when it fails before streaming. */
export function buildImage(c: Client, context: Readable, r: BuildRequest): Promise<IncomingMessage> {
  const headers: Record<string, string> = { 'Content-Type': 'application/x-tar', 'X-Registry-Config': 'e30=' };
  if (r.secrets.size > 0) headers[SECRETS_HEADER] = encodeSecrets(r.secrets);
  return c.request('POST', '/build', {
    input: context,
    headers,
    query: {
      t: r.tags,
      securityopt: r.securityOpt,
      extrahosts: r.extraHosts,
      q: r.quiet,
      nocache: r.noCache,
      nocachefilter: r.noCacheFilter.length ? JSON.stringify(r.noCacheFilter) : undefined,
      steptimes: r.stepTimes,
      // The daemon removes intermediate containers unless told not to.
      rm: r.remove ? undefined : '0',
      forcerm: r.forceRemove,
      pull: r.pull,
      squash: r.squash,
      isolation: r.isolation || undefined,
      cpusetcpus: r.cpuSetCpus,
      networkmode: r.networkMode,
      cpusetmems: r.cpuSetMems,
      cpushares: r.cpuShares,
      cpuquota: r.cpuQuota,
      cpuperiod: r.cpuPeriod,
      memory: r.memory,
      memswap: r.memorySwap,
      cgroupparent: r.cgroupParent,
      shmsize: r.shmSize,
      dockerfile: r.dockerfile,
      target: r.target,
      ulimits: JSON.stringify(r.ulimits),
      buildargs: JSON.stringify(r.buildArgs),
      labels: JSON.stringify(r.labels),
      cachefrom: JSON.stringify(r.cacheFrom),
      platform: r.platform || undefined,
      version: '1',
    },
  });
}

/** The build cache behind image `imageId` as an archive (berth's --cache-to): `max` also follows COPY --from stages. */
export function exportBuildCache(c: Client, imageId: string, mode: 'min' | 'max'): Promise<IncomingMessage> {
  return c.request('GET', '/build/cache/export', { query: { image: imageId, mode } });
}

/** Loads a cache archive into the daemon's build cache (berth's --cache-from); returns what it added. */
export async function importBuildCache(c: Client, archive: Readable): Promise<{ Entries: number; Images: number; Mounts: number }> {
  return readJson(await c.request('POST', '/build/cache/import', { input: archive, headers: { 'Content-Type': 'application/x-tar' } }));
}

/** Pushes the build cache behind `imageId` to registry reference `ref` (berth's --cache-to type=registry); `auth` is the X-Registry-Auth value. */
export function pushBuildCache(c: Client, imageId: string, mode: 'min' | 'max', ref: string, auth: string): Promise<{ Digest: string }> {
  return c.json('POST', '/build/cache/push', { query: { image: imageId, mode, ref }, headers: { 'X-Registry-Auth': auth } });
}

/** Loads the build cache at registry reference `ref` (berth's --cache-from type=registry). */
export function pullBuildCache(c: Client, ref: string, auth: string): Promise<{ Entries: number; Images: number; Mounts: number }> {
  return c.json('POST', '/build/cache/pull', { query: { ref }, headers: { 'X-Registry-Auth': auth } });
}
