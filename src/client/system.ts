// System endpoints of the Engine API.
import type { IncomingMessage } from 'node:http';
import { filtersQuery } from './client.ts';
import type { Client } from './client.ts';
import type { DiskUsage, Filters, PruneReport, SystemInfo, VersionInfo } from './types.ts';

export function version(c: Client): Promise<VersionInfo> {
  return c.json('GET', '/version');
}

export function info(c: Client): Promise<SystemInfo> {
  return c.json('GET', '/info');
}

export function diskUsage(c: Client): Promise<DiskUsage> {
  return c.json('GET', '/system/df');
}

/** A JSON stream of events; open-ended unless `until` is given. */
export function events(c: Client, opts: { since?: string; until?: string; filters?: Filters }): Promise<IncomingMessage> {
  return c.request('GET', '/events', { query: { since: opts.since || undefined, until: opts.until || undefined, filters: filtersQuery(opts.filters) } });
}

export function pruneBuildCache(c: Client, opts: { all?: boolean; filters?: Filters; keepStorage?: number }): Promise<PruneReport> {
  return c.json('POST', '/build/prune', { query: { all: opts.all, filters: filtersQuery(opts.filters), 'keep-storage': opts.keepStorage || undefined } });
}
