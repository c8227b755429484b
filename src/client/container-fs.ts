// Container filesystem endpoints of the Engine API: archive (cp), changes
// (diff) and commit. Export is in containers.ts.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { Client } from './client.ts';
// The daemon's own shapes, as type-only imports: nothing of the daemon is loaded.
import type { PathStat } from '../engine/path-stat.ts';
import type { Change } from '../storage/changes.ts';

export type { Change, PathStat };

export interface CommitOptions {
  reference?: { repo: string; tag: string };
  comment?: string;
  author?: string;
  changes?: string[];
  pause: boolean;
}

const STAT_HEADER = 'x-docker-container-path-stat';
const id = (name: string): string => encodeURIComponent(name);

function statOf(res: IncomingMessage): PathStat {
  const header = res.headers[STAT_HEADER];
  if (typeof header !== 'string') throw new Error('unable to get resource stat from response');
  return JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as PathStat;
}

export async function statContainerPath(c: Client, name: string, path: string): Promise<PathStat> {
  const res = await c.request('HEAD', `/containers/${id(name)}/archive`, { query: { path } });
  res.resume();
  return statOf(res);
}

/** A tar of `path` in the container, with its stat. */
export async function copyFromContainer(c: Client, name: string, path: string): Promise<{ content: IncomingMessage; stat: PathStat }> {
  const content = await c.request('GET', `/containers/${id(name)}/archive`, { query: { path } });
  return { content, stat: statOf(content) };
}

/** Extracts tar `input` into directory `path` of the container; never replaces a directory with a file or the reverse. */
export function copyToContainer(c: Client, name: string, path: string, input: Readable, copyUIDGID: boolean): Promise<void> {
  return c.call('PUT', `/containers/${id(name)}/archive`, {
    query: { path, noOverwriteDirNonDir: 'true', copyUIDGID },
    input,
    headers: { 'Content-Type': 'application/x-tar' },
  });
}

export async function containerChanges(c: Client, name: string): Promise<Change[]> {
  return (await c.json<Change[] | null>('GET', `/containers/${id(name)}/changes`)) ?? [];
}

export async function commitContainer(c: Client, name: string, opts: CommitOptions): Promise<string> {
  const res = await c.json<{ Id: string }>('POST', '/commit', {
    query: {
      container: name,
      repo: opts.reference?.repo,
      tag: opts.reference?.tag || undefined,
      comment: opts.comment || undefined,
      author: opts.author || undefined,
      changes: opts.changes?.length ? opts.changes : undefined,
      pause: opts.pause ? undefined : '0',
    },
  });
  return res.Id;
}
