// Image endpoints of the Engine API.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { filtersQuery } from './client.ts';
import type { Client } from './client.ts';
import type { DeleteItem, Filters, HistoryItem, ImageSummary, PruneReport } from './types.ts';

export function listImages(c: Client, opts: { all?: boolean; digests?: boolean; filters?: Filters } = {}): Promise<ImageSummary[]> {
  return c.json('GET', '/images/json', { query: { all: opts.all, digests: opts.digests, filters: filtersQuery(opts.filters) } });
}

export async function inspectImage(c: Client, name: string): Promise<{ value: Record<string, unknown>; raw: string }> {
  const raw = (await c.raw('GET', `/images/${encodeURIComponent(name)}/json`)).toString();
  return { value: JSON.parse(raw) as Record<string, unknown>, raw };
}

export function removeImage(c: Client, name: string, opts: { force?: boolean; noprune?: boolean } = {}): Promise<DeleteItem[]> {
  return c.json('DELETE', `/images/${encodeURIComponent(name)}`, { query: { force: opts.force, noprune: opts.noprune } });
}

export function tagImage(c: Client, source: string, repo: string, tag: string): Promise<void> {
  return c.call('POST', `/images/${encodeURIComponent(source)}/tag`, { query: { repo, tag: tag || undefined } });
}

export function imageHistory(c: Client, name: string): Promise<HistoryItem[]> {
  return c.json('GET', `/images/${encodeURIComponent(name)}/history`);
}

/** A tar stream of one or more images. */
export function saveImages(c: Client, names: string[]): Promise<IncomingMessage> {
  return c.request('GET', '/images/get', { query: { names } });
}

/** A JSON progress stream. */
export function loadImages(c: Client, input: Readable, quiet: boolean): Promise<IncomingMessage> {
  return c.request('POST', '/images/load', { query: { quiet }, input, headers: { 'Content-Type': 'application/x-tar' } });
}

export interface ImportOptions {
  /** "-" to upload input, or a URL the daemon fetches. */
  source: string;
  input?: Readable;
  repo?: string;
  tag?: string;
  message?: string;
  changes?: string[];
  platform?: string;
}

/** A JSON progress stream. */
export function importImage(c: Client, opts: ImportOptions): Promise<IncomingMessage> {
  return c.request('POST', '/images/create', {
    query: {
      fromSrc: opts.source,
      repo: opts.repo || undefined,
      tag: opts.tag || undefined,
      message: opts.message || undefined,
      changes: opts.changes?.length ? opts.changes : undefined,
      platform: opts.platform || undefined,
    },
    input: opts.input,
    headers: opts.input ? { 'Content-Type': 'application/x-tar' } : undefined,
  });
}

/** A JSON progress stream; `auth` is the X-Registry-Auth value (base64url JSON credentials, "e30=" for none). */
export function pullImage(c: Client, image: string, tag: string, platform?: string, auth = 'e30='): Promise<IncomingMessage> {
  return c.request('POST', '/images/create', {
    query: { fromImage: image, tag, platform: platform || undefined },
    headers: { 'X-Registry-Auth': auth },
  });
}

/** A JSON progress stream; an empty tag pushes every tag of the repository. */
export function pushImage(c: Client, name: string, tag: string, auth = 'e30='): Promise<IncomingMessage> {
  return c.request('POST', `/images/${encodeURIComponent(name)}/push`, { query: { tag }, headers: { 'X-Registry-Auth': auth } });
}

export function pruneImages(c: Client, filters?: Filters): Promise<PruneReport> {
  return c.json('POST', '/images/prune', { query: { filters: filtersQuery(filters) } });
}
