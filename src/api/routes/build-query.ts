// POST /build's parameters as moby's newImageBuildOptions reads them, for
// what they say about the RUN step containers and the classic
// --cache-from. What a Linux daemon cannot honour (security options, an
// isolation other than the default, squash without experimental mode, a
// platform other than the host's, a cgroup parent berthd has no way to
// apply) is a 400 before the build begins, as moby's refusals are.
import { boolParam, intParam } from '../router.ts';
import { badRequest, messageOf } from '../../util/errors.ts';
import { checkExtraHost } from '../../network/extra-hosts.ts';
import { checkPlatform, type RemovePolicy, type RunHostConfig } from '../../build/build-params.ts';

export interface BuildQuery {
  host: RunHostConfig;
  remove: RemovePolicy;
  /** Images whose history a step may be taken from (classic --cache-from). */
  cacheFrom: string[];
}

const NUMBERS = [
  ['shmsize', 'ShmSize'], ['memory', 'Memory'], ['memswap', 'MemorySwap'],
  ['cpushares', 'CpuShares'], ['cpuperiod', 'CpuPeriod'], ['cpuquota', 'CpuQuota'],
] as const;

export function parseBuildQuery(q: URLSearchParams): BuildQuery {
  // Repeated parameters; moby refuses any on Linux.
  if (q.has('securityopt')) throw badRequest('The daemon on this platform does not support setting security options on build');
  const isolation = q.get('isolation') ?? '';
  if (isolation !== '' && isolation.toLowerCase() !== 'default') throw badRequest(`Unsupported isolation: ${JSON.stringify(isolation)}`);
  // berthd has no experimental mode.
  if (boolParam(q, 'squash')) throw badRequest('squash is only supported with experimental mode');
  const host: RunHostConfig = {};
  const cgroupParent = q.get('cgroupparent');
  if (cgroupParent) host.CgroupParent = cgroupParent;
  try {
    const platform = q.get('platform');
    if (platform) checkPlatform(platform);
    const extraHosts = q.getAll('extrahosts').map(checkExtraHost);
    if (extraHosts.length > 0) host.ExtraHosts = extraHosts;
  } catch (err) {
    throw badRequest(messageOf(err));
  }
  for (const [param, field] of NUMBERS) {
    const n = intParam(q, param);
    if (n) host[field] = n;
  }
  for (const [param, field] of [['cpusetcpus', 'CpusetCpus'], ['cpusetmems', 'CpusetMems']] as const) {
    const v = q.get(param);
    if (v) host[field] = v;
  }
  const ulimits = parseUlimits(q.get('ulimits'));
  if (ulimits.length > 0) host.Ulimits = ulimits;
  // As moby: rm is true unless given, and forcerm implies it.
  const forceRemove = boolParam(q, 'forcerm');
  return {
    host,
    remove: { success: forceRemove || !q.get('rm') || boolParam(q, 'rm'), failure: forceRemove },
    cacheFrom: stringList(q.get('cachefrom'), 'cachefrom'),
  };
}

/** `ulimits`: a JSON list of go-units' Ulimit ({Name, Soft, Hard}). */
function parseUlimits(value: string | null): { Name: string; Soft: number; Hard: number }[] {
  const parsed = jsonOf(value, 'ulimits');
  if (parsed === undefined || parsed === null) return [];
  const ok = (u: unknown): u is { Name: string; Soft: number; Hard: number } => {
    const r = u as Record<string, unknown> | null;
    return !!r && typeof r === 'object' && typeof r.Name === 'string' && r.Name !== '' && Number.isSafeInteger(r.Soft) && Number.isSafeInteger(r.Hard);
  };
  if (!Array.isArray(parsed) || !parsed.every(ok)) throw badRequest(`error reading ulimit settings: expected a list of {"Name", "Soft", "Hard"}: ${value}`);
  return parsed.map((u) => ({ Name: u.Name, Soft: u.Soft, Hard: u.Hard }));
}

/** A parameter holding a JSON list of strings (cachefrom, berth's nocachefilter). */
export function stringList(value: string | null, name: string): string[] {
  const parsed = jsonOf(value, name);
  if (parsed === undefined || parsed === null) return [];
  if (!Array.isArray(parsed) || parsed.some((v) => typeof v !== 'string')) throw badRequest(`${name}: expected a JSON list of strings: ${value}`);
  return parsed as string[];
}

/** A parameter holding a JSON object (buildargs, labels); anything else counts as none. */
export function jsonObject(value: string | null, name: string): Record<string, unknown> {
  const parsed = jsonOf(value, name);
  return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
}

function jsonOf(value: string | null, name: string): unknown {
  if (!value) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    throw badRequest(`invalid JSON in ${name}: ${value}`);
  }
}
