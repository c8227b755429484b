// Volume endpoints of the Engine API.
import { filtersQuery } from './client.ts';
import type { Client } from './client.ts';
import type { Filters, PruneReport, VolumeCreateRequest, VolumeListResponse, VolumeSummary } from './types.ts';

/** The client's trimID: names are trimmed, and an empty one never reaches the daemon. */
function id(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '') throw new Error('invalid volume name or ID: value is empty');
  return encodeURIComponent(trimmed);
}

export function listVolumes(c: Client, filters?: Filters): Promise<VolumeListResponse> {
  return c.json('GET', '/volumes', { query: { filters: filtersQuery(filters) } });
}

export function inspectVolume(c: Client, name: string): Promise<VolumeSummary> {
  return c.json('GET', `/volumes/${id(name)}`);
}

export function createVolume(c: Client, body: VolumeCreateRequest): Promise<VolumeSummary> {
  return c.json('POST', '/volumes/create', { body });
}

export function removeVolume(c: Client, name: string, force = false): Promise<void> {
  return c.call('DELETE', `/volumes/${id(name)}`, { query: { force } });
}

export function pruneVolumes(c: Client, filters?: Filters): Promise<PruneReport> {
  return c.json('POST', '/volumes/prune', { query: { filters: filtersQuery(filters) } });
}
