// Container endpoints of the Engine API.
import type { IncomingMessage } from 'node:http';
import { filtersQuery, readJson } from './client.ts';
import type { Client, Hijacked } from './client.ts';
import type { ContainerInspect, ContainerSummary, CreateResponse, ExecInspect, Filters, PruneReport, TopResponse, WaitResponse } from './types.ts';

const id = (name: string): string => encodeURIComponent(name);

export function listContainers(c: Client, opts: { all?: boolean; limit?: number; size?: boolean; filters?: Filters } = {}): Promise<ContainerSummary[]> {
  return c.json('GET', '/containers/json', {
    query: { all: opts.all, limit: opts.limit !== undefined && opts.limit > 0 ? opts.limit : undefined, size: opts.size, filters: filtersQuery(opts.filters) },
  });
}

/** The daemon's JSON text is kept as well: inspect prints it as sent. */
export async function inspectContainer(c: Client, name: string, size = false): Promise<{ value: ContainerInspect; raw: string }> {
  const raw = (await c.raw('GET', `/containers/${id(name)}/json`, { query: { size } })).toString();
  return { value: JSON.parse(raw) as ContainerInspect, raw };
}

export function createContainer(c: Client, body: unknown, opts: { name?: string; platform?: string } = {}): Promise<CreateResponse> {
  return c.json('POST', '/containers/create', { query: { name: opts.name || undefined, platform: opts.platform || undefined }, body });
}

export function startContainer(c: Client, name: string): Promise<void> {
  return c.call('POST', `/containers/${id(name)}/start`);
}

export function stopContainer(c: Client, name: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
  return c.call('POST', `/containers/${id(name)}/stop`, { query: { t: opts.timeout, signal: opts.signal || undefined } });
}

export function restartContainer(c: Client, name: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
  return c.call('POST', `/containers/${id(name)}/restart`, { query: { t: opts.timeout, signal: opts.signal || undefined } });
}

export function killContainer(c: Client, name: string, signal?: string): Promise<void> {
  return c.call('POST', `/containers/${id(name)}/kill`, { query: { signal: signal || undefined } });
}

export function removeContainer(c: Client, name: string, opts: { force?: boolean; volumes?: boolean; link?: boolean } = {}): Promise<void> {
  return c.call('DELETE', `/containers/${id(name)}`, { query: { force: opts.force, v: opts.volumes, link: opts.link } });
}

export function pauseContainer(c: Client, name: string): Promise<void> {
  return c.call('POST', `/containers/${id(name)}/pause`);
}

export function unpauseContainer(c: Client, name: string): Promise<void> {
  return c.call('POST', `/containers/${id(name)}/unpause`);
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

/**
 * Resolves once the daemon has answered with headers, which it does after
 * registering the wait; result settles when the condition is met. Callers
 * that start the container next cannot miss its exit.
 */
export async function waitContainer(c: Client, name: string, condition?: WaitCondition): Promise<{ result: Promise<WaitResponse> }> {
  const res = await c.request('POST', `/containers/${id(name)}/wait`, { query: { condition } });
  return { result: readJson<WaitResponse>(res) };
}

export function renameContainer(c: Client, name: string, newName: string): Promise<void> {
  return c.call('POST', `/containers/${id(name)}/rename`, { query: { name: newName } });
}

export function topContainer(c: Client, name: string, psArgs?: string): Promise<TopResponse> {
  return c.json('GET', `/containers/${id(name)}/top`, { query: { ps_args: psArgs || undefined } });
}

export function resizeContainer(c: Client, name: string, height: number, width: number): Promise<void> {
  return c.call('POST', `/containers/${id(name)}/resize`, { query: { h: height, w: width } });
}

export interface AttachOptions {
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  logs?: boolean;
  detachKeys?: string;
}

export function attachContainer(c: Client, name: string, opts: AttachOptions): Promise<Hijacked> {
  return c.hijack('POST', `/containers/${id(name)}/attach`, {
    query: { stream: true, stdin: opts.stdin, stdout: opts.stdout, stderr: opts.stderr, logs: opts.logs, detachKeys: opts.detachKeys || undefined },
  });
}

export interface LogsOptions {
  follow?: boolean;
  since?: string;
  until?: string;
  timestamps?: boolean;
  tail?: string;
  details?: boolean;
}

export function containerLogs(c: Client, name: string, opts: LogsOptions): Promise<IncomingMessage> {
  return c.request('GET', `/containers/${id(name)}/logs`, {
    query: {
      stdout: true,
      stderr: true,
      follow: opts.follow,
      since: opts.since || undefined,
      until: opts.until || undefined,
      timestamps: opts.timestamps,
      details: opts.details,
      tail: opts.tail || undefined,
    },
  });
}

export function exportContainer(c: Client, name: string): Promise<IncomingMessage> {
  return c.request('GET', `/containers/${id(name)}/export`);
}

export function pruneContainers(c: Client, filters?: Filters): Promise<PruneReport> {
  return c.json('POST', '/containers/prune', { query: { filters: filtersQuery(filters) } });
}

export interface ExecConfig {
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  Tty: boolean;
  Env: string[] | null;
  Cmd: string[];
  User?: string;
  WorkingDir?: string;
  Privileged?: boolean;
  DetachKeys?: string;
  ConsoleSize?: [number, number] | null;
}

export function execCreate(c: Client, name: string, config: ExecConfig): Promise<{ Id: string }> {
  return c.json('POST', `/containers/${id(name)}/exec`, { body: config });
}

export function execStartDetached(c: Client, execId: string, tty: boolean): Promise<void> {
  return c.call('POST', `/exec/${id(execId)}/start`, { body: { Detach: true, Tty: tty } });
}

export function execAttach(c: Client, execId: string, tty: boolean, consoleSize?: [number, number]): Promise<Hijacked> {
  return c.hijack('POST', `/exec/${id(execId)}/start`, { body: { Detach: false, Tty: tty, ConsoleSize: consoleSize } });
}

export function execInspect(c: Client, execId: string): Promise<ExecInspect> {
  return c.json('GET', `/exec/${id(execId)}/json`);
}

export function execResize(c: Client, execId: string, height: number, width: number): Promise<void> {
  return c.call('POST', `/exec/${id(execId)}/resize`, { query: { h: height, w: width } });
}
