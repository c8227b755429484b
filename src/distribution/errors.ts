// What a registry answers when it refuses, worded as docker's distribution
// client words it ("manifest unknown: manifest unknown"), and the HTTP status
// the Engine API gives each kind of failure.
import { ApiError } from '../util/errors.ts';
import type { Challenge } from './challenge.ts';

/** One entry of the distribution spec's error body: {"errors": [{code, message, detail}]}. */
export interface ErrorEntry {
  code: string;
  message: string;
}

/** A registry's refusal (status > 0) or a failure to talk to it at all (status 0). */
export class RegistryError extends Error {
  /** The registry's HTTP status; 0 when no answer came. */
  readonly status: number;
  /** The first error code of the body ("MANIFEST_UNKNOWN"), if any. */
  readonly code: string | undefined;

  constructor(message: string, status: number, code?: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** errcode.ErrorCode's text: "MANIFEST_UNKNOWN" → "manifest unknown". */
function codeText(code: string): string {
  return code.toLowerCase().replaceAll('_', ' ');
}

/** errcode.Errors.Error(): one error as "code: message", several as a list. */
export function formatEntries(entries: ErrorEntry[]): string {
  const one = (e: ErrorEntry): string => `${codeText(e.code)}: ${e.message || codeText(e.code)}`;
  if (entries.length === 1) return one(entries[0]!);
  return `errors:\n${entries.map((e) => `${one(e)}\n`).join('')}`;
}

/** The error entries of a body, as distribution's client reads them (a legacy {"details": "…"} included). */
export function parseErrorBody(status: number, body: Buffer): ErrorEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    return [];
  }
  if (!doc || typeof doc !== 'object') return [];
  const { details, errors } = doc as { details?: unknown; errors?: unknown };
  if (typeof details === 'string' && details) {
    return [{ code: status === 401 ? 'UNAUTHORIZED' : status === 429 ? 'TOOMANYREQUESTS' : 'UNKNOWN', message: details }];
  }
  if (!Array.isArray(errors)) return [];
  return errors
    .filter((e): e is { code?: unknown; message?: unknown } => Boolean(e) && typeof e === 'object')
    .map((e) => ({ code: typeof e.code === 'string' ? e.code : 'UNKNOWN', message: typeof e.message === 'string' ? e.message : '' }));
}

/** HandleErrorResponse: a bearer challenge's OAuth error first, then the body, then the bare status. */
export function responseError(status: number, statusText: string, body: Buffer, challenges: Challenge[] = []): RegistryError {
  if (status >= 400 && status < 500) {
    for (const c of challenges) {
      if (c.scheme !== 'bearer') continue;
      const code = c.params.error === 'invalid_token' ? 'UNAUTHORIZED' : c.params.error === 'insufficient_scope' ? 'DENIED' : undefined;
      if (!code) continue;
      const message = c.params.error_description || (code === 'DENIED' ? 'requested access to the resource is denied' : 'authentication required');
      return new RegistryError(formatEntries([{ code, message }]), status, code);
    }
    const entries = parseErrorBody(status, body);
    if (entries.length) return new RegistryError(formatEntries(entries), status, entries[0]!.code);
    if (status === 401) return new RegistryError(`unauthorized: ${body.toString('utf8').trim() || 'authentication required'}`, status, 'UNAUTHORIZED');
    const text = JSON.stringify(body.toString('utf8').slice(0, 512));
    return new RegistryError(`error parsing HTTP ${status} response body: no error details found in HTTP response body: ${text}`, status);
  }
  return new RegistryError(`received unexpected HTTP status: ${status} ${statusText}`, status);
}

/**
 * A pull's failure as the Engine API answers it (moby's translatePullError):
 * an unknown manifest or repository or a refused access is a 404 naming the
 * image, anything else a 500 with the registry's or the network's words.
 */
export function pullError(err: unknown, familiarRef: string, familiarName: string): Error {
  if (!(err instanceof RegistryError)) return err instanceof Error ? err : new Error(String(err));
  switch (err.code) {
    case 'DENIED':
      return new ApiError(404, `pull access denied for ${familiarName}, repository does not exist or may require 'docker login': ${err.message}`);
    case 'MANIFEST_UNKNOWN':
      return new ApiError(404, `manifest for ${familiarRef} not found: ${err.message}`);
    case 'NAME_UNKNOWN':
      return new ApiError(404, `repository ${familiarName} not found: ${err.message}`);
    default:
      return new ApiError(500, err.message);
  }
}
