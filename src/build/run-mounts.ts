// RUN --mount as BuildKit reads it, pure: the CSV fields of a --mount
// (frontend/dockerfile/instructions' parseMount, values expanded with the
// stage's args and ENV, its messages), the defaults dockerfile2llb adds
// (targets under WORKDIR, cache ids, secret paths), what the step's cache
// key holds of each mount, the directory a cache mount lives in, the
// mount points a step's layer must not keep, and the secrets header.
// run-step.ts makes the mounts real; executor.ts keys and runs the step.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { ramInBytes } from '../util/units.ts';
import { withSuggestion } from './dockerfile-error.ts';
import { canonicalJson } from './cache-key.ts';
import { csvRecord } from './instructions.ts';

export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
export type Sharing = 'shared' | 'private' | 'locked';

const MOUNT_TYPES: readonly MountType[] = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'];
const SHARING: readonly Sharing[] = ['shared', 'private', 'locked'];
const ALL_KEYS = ['type', 'from', 'source', 'target', 'readonly', 'id', 'sharing', 'required', 'size', 'mode', 'uid', 'gid', 'env', 'src', 'dst', 'ro', 'rw', 'readwrite'];

/** A --mount's fields as BuildKit's parseMount leaves them (values expanded). */
export interface ParsedMount {
  type: MountType;
  from?: string;
  source?: string;
  target?: string;
  readOnly: boolean;
  required: boolean;
  size?: number;
  id?: string;
  sharing?: Sharing;
  mode?: number;
  uid?: number;
  gid?: number;
  /** secret: the environment variable that gets the secret's value. */
  env?: string;
}

/** A mount ready to be made: defaults filled in, target absolute and clean. */
export type StepMount =
  /** source: a clean absolute path in the context, or in the `from` stage or image. */
  | { type: 'bind'; target: string; source: string; from?: string; readOnly: boolean }
  | { type: 'cache'; target: string; id: string; sharing: Sharing; source: string; from?: string; readOnly: boolean; mode?: number; uid?: number; gid?: number }
  | { type: 'tmpfs'; target: string; size?: number; readOnly: boolean }
  | { type: 'secret'; id: string; target: string; required: boolean; mode: number; uid: number; gid: number };

/** Go's strconv.ParseBool. */
function parseBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

/** Go's strconv.ParseUint(value, base, 32) for base 8 or 10. */
function parseUint32(value: string, base: 8 | 10): number | undefined {
  if (!(base === 8 ? /^[0-7]+$/ : /^[0-9]+$/).test(value)) return undefined;
  const n = parseInt(value, base);
  return n <= 0xffffffff ? n : undefined;
}

/** `value` (any case) if it is one of `allowed`, else BuildKit's error with a suggestion. */
function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  const v = value.toLowerCase() as T;
  if (!allowed.includes(v)) throw new Error(withSuggestion(`unsupported ${what} "${value}"`, value, allowed, true));
  return v;
}

/**
 * One --mount value, its fields' values expanded by `expand` (BuildKit
 * expands all but the keys; `from=` was checked for variables when the
 * Dockerfile was parsed). Errors carry BuildKit's messages.
 */
export function parseMount(spec: string, expand: (word: string) => string): ParsedMount {
  const fields = csvRecord(spec);
  const m: ParsedMount = { type: 'bind', readOnly: false, required: false };
  let roAuto = true;
  const unexpected = (key: string): Error => new Error(`unexpected key '${key}' for mount type '${m.type}'`);
  const invalid = (key: string, value: string): Error => new Error(`invalid value for ${key}: ${value}`);
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    if (eq < 0) {
      if (key === 'readonly' || key === 'ro') m.readOnly = true;
      else if (key === 'readwrite' || key === 'rw') m.readOnly = false;
      else if (key === 'required') {
        if (m.type !== 'secret' && m.type !== 'ssh') throw unexpected(key);
        m.required = true;
        continue;
      } else throw new Error(`invalid field '${field}' must be a key=value pair`);
      roAuto = false;
      continue;
    }
    const value = expand(field.slice(eq + 1));
    switch (key) {
      case 'type':
        m.type = oneOf(value, MOUNT_TYPES, 'mount type');
        break;
      case 'from':
        m.from = value;
        break;
      case 'source':
      case 'src':
        m.source = value;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.target = value;
        break;
      case 'readonly':
      case 'ro':
      case 'readwrite':
      case 'rw': {
        const b = parseBool(value);
        if (b === undefined) throw invalid(key, value);
        m.readOnly = key === 'readonly' || key === 'ro' ? b : !b;
        roAuto = false;
        break;
      }
      case 'required': {
        if (m.type !== 'secret' && m.type !== 'ssh') throw unexpected(key);
        const b = parseBool(value);
        if (b === undefined) throw invalid(key, value);
        m.required = b;
        break;
      }
      case 'size':
        if (m.type !== 'tmpfs') throw unexpected(key);
        try {
          m.size = ramInBytes(value);
        } catch {
          throw invalid(key, value);
        }
        break;
      case 'id':
        m.id = value;
        break;
      case 'sharing':
        m.sharing = oneOf(value, SHARING, 'sharing value');
        break;
      case 'mode':
      case 'uid':
      case 'gid': {
        const n = parseUint32(value, key === 'mode' ? 8 : 10);
        if (n === undefined) throw new Error(`invalid value ${value} for ${key}`);
        m[key] = n;
        break;
      }
      case 'env':
        if (m.type !== 'secret') throw unexpected(key);
        m.env = value;
        break;
      default:
        throw new Error(withSuggestion(`unexpected key '${key}' in '${field}'`, key, ALL_KEYS, true));
    }
  }
  validate(m, roAuto);
  return m;
}

/** BuildKit's validateMount. */
function validate(m: ParsedMount, roAuto: boolean): void {
  if (m.type !== 'secret' && m.type !== 'ssh' && m.type !== 'cache') {
    for (const key of ['mode', 'uid', 'gid'] as const) {
      if (m[key] !== undefined) throw new Error(`${key} not allowed for "${m.type}" type mounts`);
    }
  }
  if (roAuto) m.readOnly = m.type !== 'cache' && m.type !== 'tmpfs';
  if (m.type === 'secret') {
    if (m.from !== undefined) throw new Error('secret mount should not have a from');
    if (m.sharing !== undefined) throw new Error('secret mount should not define sharing');
    if (!m.source && !m.target && !m.id && m.env === undefined) throw new Error('invalid secret mount. one of source, target required');
    if (m.source && m.id) throw new Error("both source and id can't be set");
  }
  if (m.sharing !== undefined && m.type !== 'cache') throw new Error(`invalid cache sharing set for ${m.type} mount`);
}

/** A target as dockerfile2llb places it: relative ones under WORKDIR; never `/`. */
function targetOf(target: string, workdir: string): string {
  const clean = posix.normalize(target || '.');
  const abs = clean.startsWith('/') ? clean : posix.join('/', workdir || '/', clean);
  const out = abs.length > 1 ? abs.replace(/\/+$/, '') : abs;
  if (out === '/') throw new Error(`invalid mount target "${out}"`);
  return out;
}

/** A source path in its root: `/`-rooted and clean (BuildKit's path.Join("/", source)). */
function sourceOf(source: string | undefined): string {
  const joined = posix.join('/', source ?? '');
  return joined.length > 1 ? joined.replace(/\/+$/, '') : joined;
}

/** What dockerfile2llb makes of a parsed mount, with the stage's WORKDIR. */
export function planMount(m: ParsedMount, workdir: string): StepMount {
  switch (m.type) {
    case 'ssh':
      throw new Error('ssh mounts are not supported');
    case 'secret': {
      // The environment would put the value in the container's record, on disk.
      if (m.env !== undefined) throw new Error('secret env= is not supported: mount the secret as a file');
      const id = m.id || m.source || posix.basename(m.target ?? '');
      const target = m.target ? targetOf(m.target, workdir) : `/run/secrets/${posix.basename(id)}`;
      return { type: 'secret', id, target, required: m.required, mode: m.mode ?? 0o400, uid: m.uid ?? 0, gid: m.gid ?? 0 };
    }
    case 'tmpfs':
      return { type: 'tmpfs', target: targetOf(m.target ?? '', workdir), ...(m.size ? { size: m.size } : {}), readOnly: m.readOnly };
    case 'cache': {
      const target = targetOf(m.target ?? '', workdir);
      return {
        type: 'cache', target, id: m.id || m.target || target, sharing: m.sharing ?? 'shared', source: sourceOf(m.source),
        ...(m.from ? { from: m.from } : {}), readOnly: m.readOnly,
        ...(m.mode !== undefined ? { mode: m.mode } : {}), ...(m.uid !== undefined ? { uid: m.uid } : {}), ...(m.gid !== undefined ? { gid: m.gid } : {}),
      };
    }
    case 'bind':
      return { type: 'bind', target: targetOf(m.target ?? '', workdir), source: sourceOf(m.source), ...(m.from ? { from: m.from } : {}), readOnly: m.readOnly };
  }
}

/** Every --mount of a RUN, parsed and planned; a target given twice is refused. */
export function planMounts(specs: readonly string[], expand: (word: string) => string, workdir: string): StepMount[] {
  const out = specs.map((spec) => planMount(parseMount(spec, expand), workdir));
  const seen = new Set<string>();
  for (const m of out) {
    if (seen.has(m.target)) throw new Error(`mount target ${m.target} is used more than once`);
    seen.add(m.target);
  }
  return out;
}

/**
 * A mount as the step's cache key and its instruction line show it: its
 * options only (never a secret's content, which need not invalidate the
 * cache, as in BuildKit). What a bind reads is keyed apart: the files'
 * digests or the source image's ID.
 */
export function describeMount(m: StepMount): string {
  const opt = (key: string, value: string | number | undefined): string[] => (value === undefined ? [] : [`${key}=${value}`]);
  const octal = (n: number | undefined): string | undefined => (n === undefined ? undefined : n.toString(8).padStart(4, '0'));
  const fields: string[] = [`type=${m.type}`];
  switch (m.type) {
    case 'bind':
      fields.push(...opt('from', m.from), `source=${m.source}`, `target=${m.target}`, m.readOnly ? 'ro' : 'rw');
      break;
    case 'cache':
      fields.push(`id=${m.id}`, `target=${m.target}`, `sharing=${m.sharing}`, ...opt('from', m.from), `source=${m.source}`,
        ...opt('mode', octal(m.mode)), ...opt('uid', m.uid), ...opt('gid', m.gid), m.readOnly ? 'ro' : 'rw');
      break;
    case 'tmpfs':
      fields.push(`target=${m.target}`, ...opt('size', m.size), m.readOnly ? 'ro' : 'rw');
      break;
    case 'secret':
      fields.push(`id=${m.id}`, `target=${m.target}`, `required=${m.required}`,
        `mode=${octal(m.mode)}`, `uid=${m.uid}`, `gid=${m.gid}`);
      break;
  }
  return `--mount=${fields.join(',')}`;
}

/**
 * The name of a cache mount's directory: the sha256 of its id, or, when it
 * starts from something (a `from` stage or image, an owner or mode), of the
 * id with that base, which BuildKit keeps as a cache of its own.
 */
export function cacheDirName(m: Extract<StepMount, { type: 'cache' }>, fromImage: string | null | undefined): string {
  const based = m.from !== undefined || m.mode !== undefined || m.uid !== undefined || m.gid !== undefined;
  const text = based
    ? canonicalJson({ id: m.id, from: m.from !== undefined ? (fromImage ?? 'scratch') : null, source: m.from !== undefined ? m.source : null, mode: m.mode ?? null, uid: m.uid ?? null, gid: m.gid ?? null })
    : m.id;
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The mount points a step's runtime will have to make, so that its layer
 * can leave them out (BuildKit removes its mount stubs): for each target,
 * its components as resolved in the image before the step (symlinks
 * followed, missing ones lexical), every path from the first one the image
 * lacks (`existed`) down to the target.
 */
export async function mountPointsToMake(resolved: readonly (readonly string[])[], existed: (path: string) => Promise<boolean>): Promise<Set<string>> {
  const made = new Set<string>();
  for (const parts of resolved) {
    for (let i = 1; i <= parts.length; i++) {
      const path = `/${parts.slice(0, i).join('/')}`;
      if (made.has(path) || !(await existed(path))) {
        for (let j = i; j <= parts.length; j++) made.add(`/${parts.slice(0, j).join('/')}`);
        break;
      }
    }
  }
  return made;
}

/** What is at a path after the step: a file and its size, a directory and its entries, or anything else. */
export type Found = { kind: 'file'; size: number } | { kind: 'dir'; names: string[] } | { kind: 'other' } | undefined;

/**
 * Which of the mount points made are left as the runtime made them, so
 * the layer drops them: an empty file, or a directory holding only such
 * mount points (deepest first). One the command wrote into stays.
 */
export async function unusedMountPoints(made: ReadonlySet<string>, found: (path: string) => Promise<Found>): Promise<Set<string>> {
  const drop = new Set<string>();
  const depth = (p: string): number => p.split('/').length;
  for (const path of [...made].sort((a, b) => depth(b) - depth(a) || (a < b ? -1 : 1))) {
    const e = await found(path);
    if (e?.kind === 'file' && e.size === 0) drop.add(path);
    else if (e?.kind === 'dir' && e.names.every((n) => drop.has(`${path}/${n}`))) drop.add(path);
  }
  return drop;
}

/** The header that carries a build's secrets: base64 of `{"<id>": "<base64 of the bytes>"}`. */
export const SECRETS_HEADER = 'x-berth-build-secrets';

/** The secrets of a build from its header's value (undefined: none); a malformed header is an error. */
export function parseSecrets(value: string | undefined): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (value === undefined || value === '') return out;
  const base64 = /^[A-Za-z0-9+/]*={0,2}$/;
  const bad = (why: string): Error => new Error(`invalid ${SECRETS_HEADER} header: ${why}`);
  if (!base64.test(value)) throw bad('not base64');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  } catch {
    throw bad('not base64 of a JSON object');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw bad('not base64 of a JSON object');
  for (const [id, data] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof data !== 'string' || !base64.test(data)) throw bad(`secret ${JSON.stringify(id)} is not base64`);
    out.set(id, Buffer.from(data, 'base64'));
  }
  return out;
}
