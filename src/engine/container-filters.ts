// `docker ps --filter`: which containers a filter set keeps. Pure.
import type { ContainerRecord } from './types.ts';
import { badRequest, notFound } from '../util/errors.ts';

const KNOWN = new Set(['status', 'name', 'label', 'id', 'ancestor', 'exited', 'before', 'since', 'network', 'health', 'volume', 'publish', 'expose', 'isolation', 'is-task']);
const STATUSES = new Set(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead']);

export interface FilterContext {
  /** Image IDs that an `ancestor` value names (resolved by the caller). */
  ancestorIds: (value: string) => Set<string>;
  /** Creation time of a container named in before/since. */
  createdOf: (ref: string) => string | undefined;
}

export function labelMatches(labels: Record<string, string> | null | undefined, filter: string): boolean {
  const i = filter.indexOf('=');
  const key = i < 0 ? filter : filter.slice(0, i);
  if (!labels || !(key in labels)) return false;
  return i < 0 || labels[key] === filter.slice(i + 1);
}

/** docker's name filters are regular expressions; ones that do not compile match nothing. */
export function namePatterns(values: string[] | undefined): RegExp[] {
  return (values ?? []).flatMap((n) => {
    // JS regexps backtrack (Go's do not): long patterns are refused to bound the work.
    if (n.length > 256) throw badRequest('name filter too long');
    try {
      return [new RegExp(n)];
    } catch {
      return [];
    }
  });
}

export function containerFilter(filters: Record<string, string[]>, ctx: FilterContext): (r: ContainerRecord) => boolean {
  for (const k of Object.keys(filters)) if (!KNOWN.has(k)) throw badRequest(`invalid filter '${k}'`);
  for (const s of filters.status ?? []) if (!STATUSES.has(s)) throw badRequest(`invalid filter 'status=${s}'`);
  for (const e of filters.exited ?? []) if (!/^-?\d+$/.test(e)) throw badRequest(`invalid filter 'exited=${e}'`);
  for (const h of filters.health ?? []) if (!['starting', 'healthy', 'unhealthy', 'none'].includes(h)) throw badRequest(`Unrecognised filter value for health: ${h}`);
  const names = namePatterns(filters.name);
  const ancestors = (filters.ancestor ?? []).map((a) => ctx.ancestorIds(a));
  const before = filters.before?.[0] !== undefined ? ctx.createdOf(filters.before[0]) : undefined;
  const since = filters.since?.[0] !== undefined ? ctx.createdOf(filters.since[0]) : undefined;
  if (filters.before?.length && !before) throw notFound(`No such container: ${filters.before[0]}`);
  if (filters.since?.length && !since) throw notFound(`No such container: ${filters.since[0]}`);
  return (r) => {
    const status = r.Removing ? 'removing' : r.State.Status;
    const name = r.Name.replace(/^\//, '');
    if (filters.status?.length && !filters.status.includes(status)) return false;
    if (filters.name?.length && !names.some((re) => re.test(r.Name) || re.test(name))) return false;
    // No container has a healthcheck yet, so each is "none".
    if (filters.health?.length && !filters.health.includes('none')) return false;
    if (filters.id?.length && !filters.id.some((i) => r.Id.startsWith(i))) return false;
    if (filters.label?.length && !filters.label.every((l) => labelMatches(r.Config.Labels, l))) return false;
    if (filters.exited?.length && (status !== 'exited' || !filters.exited.includes(String(r.State.ExitCode)))) return false;
    if (ancestors.length && !ancestors.some((set) => set.has(r.Image))) return false;
    if (filters.network?.length && !filters.network.some((n) => Object.entries(r.NetworkSettings?.Networks ?? {}).some(([name, ep]) => name === n || ep.NetworkID === n))) return false;
    if (before && r.Created >= before) return false;
    if (since && r.Created <= since) return false;
    return true;
  };
}
