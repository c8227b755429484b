// Docker's rules for what a container runs, from the image defaults and the
// create request. Pure, so the subtle cases are unit-tested.
import { posix } from 'node:path';
import type { ContainerDefaults, HealthConfig } from '../image/types.ts';
import type { ContainerConfig, HostConfig, RestartPolicy } from './types.ts';
import { badRequest } from '../util/errors.ts';
import { DEFAULT_PATH } from '../runtime/defaults.ts';
import { parseSize } from '../util/units.ts';
import { checkExtraHost } from '../network/extra-hosts.ts';

/** The merged Config docker stores (and shows in inspect) for a new container. */
export function mergeConfig(image: ContainerDefaults, req: ContainerConfig): ContainerConfig {
  const out: ContainerConfig = { ...req };
  // An Entrypoint in the request also drops the image's Cmd; `--entrypoint ""` clears both.
  const ep = req.Entrypoint;
  const cmd = req.Cmd != null && req.Cmd.length > 0 ? req.Cmd : null;
  if (ep && ep.length === 1 && ep[0] === '') {
    out.Entrypoint = null;
    out.Cmd = cmd;
  } else if (ep && ep.length > 0) {
    out.Entrypoint = ep;
    out.Cmd = cmd;
  } else {
    out.Entrypoint = ep == null ? image.Entrypoint ?? null : null;
    out.Cmd = cmd ?? image.Cmd ?? null;
  }
  const reqKeys = new Set((req.Env ?? []).map(envKey));
  out.Env = [...(req.Env ?? []), ...(image.Env ?? []).filter((e) => !reqKeys.has(envKey(e)))];
  // Normalized so that no `..` survives into paths resolved under the rootfs.
  const workdir = req.WorkingDir || image.WorkingDir || '';
  out.WorkingDir = workdir ? posix.normalize(`/${workdir}`) : '';
  out.User = req.User || image.User || '';
  out.Labels = { ...(image.Labels ?? {}), ...(req.Labels ?? {}) };
  out.ExposedPorts = image.ExposedPorts || req.ExposedPorts ? { ...(image.ExposedPorts ?? {}), ...(req.ExposedPorts ?? {}) } : undefined;
  out.Volumes = image.Volumes || req.Volumes ? { ...(image.Volumes ?? {}), ...(req.Volumes ?? {}) } : null;
  out.StopSignal = req.StopSignal || image.StopSignal || undefined;
  const health = mergeHealth(req.Healthcheck, image.Healthcheck);
  if (health) out.Healthcheck = health;
  out.OnBuild = null;
  if (out.ExposedPorts === undefined) delete out.ExposedPorts;
  if (out.StopSignal === undefined) delete out.StopSignal;
  return out;
}

/** moby's merge of a Healthcheck (create and commit alike): what the own one leaves zero comes from the image's. */
export function mergeHealth(own: HealthConfig | undefined, from: HealthConfig | undefined): HealthConfig | undefined {
  if (!from) return own;
  if (!own) return from;
  const out: HealthConfig = { ...own, Test: own.Test?.length ? own.Test : from.Test };
  for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) {
    const v = own[k] || from[k];
    if (v) out[k] = v;
  }
  return out;
}

export function envKey(e: string): string {
  const i = e.indexOf('=');
  return i < 0 ? e : e.slice(0, i);
}

export function mergeEnv(base: string[], over: string[]): string[] {
  const map = new Map<string, string>();
  for (const e of [...base, ...over]) {
    const i = e.indexOf('=');
    const key = i < 0 ? e : e.slice(0, i);
    if (i < 0) {
      // "KEY" without a value means unset in docker's API.
      map.delete(key);
      continue;
    }
    map.set(key, e);
  }
  return [...map.values()];
}

/** The process's argv; empty means the create request must be refused. */
export function commandOf(cfg: ContainerConfig): string[] {
  return [...(cfg.Entrypoint ?? []), ...(cfg.Cmd ?? [])];
}

/** The runtime environment: PATH default and HOSTNAME, as docker adds them. */
export function processEnv(cfg: ContainerConfig, hostname: string, home: string): string[] {
  const base = [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${hostname}`, ...(cfg.Tty ? ['TERM=xterm'] : [])];
  // docker's ReplaceOrAppendEnvValues: the container's values replace defaults in place.
  const env = [...base];
  for (const e of cfg.Env ?? []) {
    const i = env.findIndex((x) => envKey(x) === envKey(e));
    // A bare "KEY" unsets it.
    if (!e.includes('=')) {
      if (i >= 0) env.splice(i, 1);
    } else if (i >= 0) env[i] = e;
    else env.push(e);
  }
  if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${home}`);
  return env;
}

const RESTART_NAMES = new Set(['', 'no', 'always', 'on-failure', 'unless-stopped']);

export function validateCreate(cfg: ContainerConfig, host: HostConfig): void {
  if (cfg.Env && (!Array.isArray(cfg.Env) || cfg.Env.some((e) => typeof e !== 'string'))) throw badRequest('invalid Env: must be a list of strings');
  for (const e of cfg.Env ?? []) if (e.startsWith('=')) throw badRequest(`invalid environment variable: ${e}`);
  for (const k of ['Cmd', 'Entrypoint'] as const) {
    // moby's StrSlice takes a plain string as a one-element list.
    if (typeof cfg[k] === 'string') cfg[k] = [cfg[k] as unknown as string];
    const v = cfg[k];
    if (v != null && (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))) throw badRequest(`invalid ${k}: must be a list of strings`);
  }
  for (const k of ['Binds', 'CapAdd', 'CapDrop', 'SecurityOpt', 'GroupAdd', 'ExtraHosts', 'Dns', 'DnsSearch', 'DnsOptions'] as const) {
    const v = host[k];
    if (v != null && (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))) throw badRequest(`invalid HostConfig.${k}: must be a list of strings`);
  }
  if (host.CgroupParent != null && typeof host.CgroupParent !== 'string') throw badRequest('invalid HostConfig.CgroupParent: must be a string');
  try {
    host.ExtraHosts?.forEach(checkExtraHost);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
  if (host.Ulimits != null && (!Array.isArray(host.Ulimits) || host.Ulimits.some((u) => typeof u?.Name !== 'string' || !Number.isInteger(u.Soft) || !Number.isInteger(u.Hard)))) {
    throw badRequest('invalid HostConfig.Ulimits: each needs a Name and integer Soft and Hard');
  }
  const rp: RestartPolicy | undefined = host.RestartPolicy;
  if (rp) {
    if (!RESTART_NAMES.has(rp.Name)) throw badRequest(`invalid restart policy '${rp.Name}'`);
    const n = rp.MaximumRetryCount ?? 0;
    if (!Number.isInteger(n) || n < 0) throw badRequest('invalid restart policy: maximum retry count cannot be negative');
    if (n > 0 && rp.Name !== 'on-failure' && rp.Name !== '') throw badRequest(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
    if (host.AutoRemove && rp.Name !== '' && rp.Name !== 'no') throw badRequest(`can't create 'AutoRemove' container with restart policy`);
  }
  for (const [name, v] of [['Memory', host.Memory], ['NanoCpus', host.NanoCpus], ['CpuShares', host.CpuShares], ['ShmSize', host.ShmSize]] as const) {
    if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)) throw badRequest(`invalid ${name}: must be a non-negative integer`);
  }
  if (host.Memory && host.Memory < 6 * 1024 * 1024) throw badRequest('Minimum memory limit allowed is 6MB');
  if (host.NanoCpus && host.NanoCpus > 0 && host.NanoCpus / 1e9 > 1024) throw badRequest('Range of CPUs is from 0.01 to 1024.00');
  if (cfg.StopTimeout !== undefined && cfg.StopTimeout !== null && (!Number.isInteger(cfg.StopTimeout) || cfg.StopTimeout < -1)) throw badRequest('invalid StopTimeout');
  if (cfg.WorkingDir && !cfg.WorkingDir.startsWith('/')) throw badRequest(`the working directory '${cfg.WorkingDir}' is invalid, it needs to be an absolute path`);
  const log = host.LogConfig;
  if (log?.Type && !['json-file', 'k8s-file', 'local'].includes(log.Type)) throw badRequest(`logger: no log driver named '${log.Type}' is registered`);
  parseSize(log?.Config?.['max-size']);
  const maxFile = log?.Config?.['max-file'];
  if (maxFile !== undefined && !/^[1-9]\d*$/.test(maxFile)) throw badRequest(`invalid value for max-file: ${maxFile}`);
  if (cfg.Hostname !== undefined && cfg.Hostname.length > 63) throw badRequest('invalid hostname format: must be at most 63 characters');
}

const NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function validateName(name: string): string {
  if (!NAME_RE.test(name)) throw badRequest(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return name.replace(/^\//, '');
}
