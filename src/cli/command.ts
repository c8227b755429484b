// What every command module provides, what it gets to run with, and the
// errors that decide docker's exit codes.
import type { Readable, Writable } from 'node:stream';
import { ApiError } from '../client/client.ts';
import type { Client } from '../client/client.ts';
import type { FlagSpec, ParsedFlags } from './flags.ts';

export interface ArgsRule {
  min?: number;
  max?: number;
}

export interface Command {
  /** Usage after the command path: "[OPTIONS] IMAGE [COMMAND] [ARG...]". */
  use: string;
  /** The description its own help shows, when longer than the listing's. */
  long?: string;
  flags: FlagSpec[];
  args?: ArgsRule;
  /** False for run/exec/create: flags end at the first argument. */
  interspersed?: boolean;
  run(ctx: Context, flags: ParsedFlags, args: string[]): Promise<number | void>;
}

export interface Context {
  /** "berth container ls": how messages name the command. */
  path: string;
  client: Client;
  stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout: Writable & { isTTY?: boolean; columns?: number; rows?: number };
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  /** The global -D flag. */
  debug: boolean;
}

/** Exits with a chosen code, printing message first when there is one (docker's cli.StatusError). */
export class StatusError extends Error {
  readonly status: number;
  constructor(status: number, message = '') {
    super(message);
    this.status = status;
  }
}

/** How docker prints an error: daemon errors get their "Error response from daemon:" prefix. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return `Error response from daemon: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** Several per-item failures become one error, one line each (errors.Join). */
export function joinErrors(errors: unknown[]): Error | null {
  return errors.length ? new Error(errors.map(describeError).join('\n')) : null;
}
