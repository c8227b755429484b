// The values of berth build's options that need more than a flag parser:
// -t references, --add-host, buildx's --output and --secret syntaxes
// (CSV of key=value fields) and the secrets' bytes.
import { readFile, stat } from 'node:fs/promises';
import { parseReference } from '../image/reference.ts';
import { csvFields } from './flags.ts';

/** -t's check, in the words of ParseNormalizedNamed (which names a Docker Hub repository "library/<name>"). */
export function validateTag(value: string): string {
  try {
    parseReference(value);
  } catch (err) {
    const message = (err as Error).message;
    if (message === `invalid reference format: ${value}`) throw new Error('invalid reference format');
    throw new Error(message.replace(/repository name \(([^/)]*)\) must be lowercase/, 'repository name (library/$1) must be lowercase'));
  }
  return value;
}

export type BuildOutput = { type: 'local'; dest: string } | { type: 'tar'; dest: string };

/**
 * buildx's -o: "type=local,dest=DIR", "type=tar,dest=FILE" (dest=- or none
 * for stdout), "-" for a tar on stdout, or a bare path for a local
 * directory. One output at the most.
 */
export function parseOutputs(values: readonly string[]): BuildOutput | undefined {
  if (values.length === 0) return undefined;
  if (values.length > 1) throw new Error('multiple outputs currently unsupported');
  const value = values[0]!;
  const fields = csvFields(value);
  if (fields.length === 1 && fields[0] === value && !value.startsWith('type=')) {
    return value === '-' ? { type: 'tar', dest: '-' } : { type: 'local', dest: value };
  }
  let type = '';
  let dest = '';
  for (const field of fields) {
    const eq = field.indexOf('=');
    if (eq < 0) throw new Error(`invalid value ${field}`);
    const key = field.slice(0, eq).trim().toLowerCase();
    const v = field.slice(eq + 1);
    if (key === 'type') type = v;
    else if (key === 'dest') dest = v;
    else throw new Error(`output attribute ${JSON.stringify(key)} is not supported by berth build`);
  }
  if (type === '') throw new Error('type is required for output');
  if (type === 'local') {
    if (dest === '') throw new Error('dest is required for local output');
    return { type, dest };
  }
  if (type === 'tar') return { type, dest: dest || '-' };
  throw new Error(`output type ${JSON.stringify(type)} is not supported by berth build: use type=local or type=tar`);
}

export interface SecretSource {
  id: string;
  /** A file to read. */
  file?: string;
  /** An environment variable to read. */
  env?: string;
}

/** buildx's --secret: id=ID[,src|source=PATH][,env=VAR][,type=file|env]. */
export function parseSecret(value: string): SecretSource {
  let fields: string[];
  try {
    fields = csvFields(value);
  } catch (err) {
    throw new Error(`failed to parse csv secret: ${(err as Error).message}`);
  }
  const s: SecretSource = { id: '' };
  let type = '';
  for (const field of fields) {
    const eq = field.indexOf('=');
    if (eq < 0) throw new Error(`invalid field '${field}' must be a key=value pair`);
    const key = field.slice(0, eq).toLowerCase();
    const v = field.slice(eq + 1);
    if (key === 'type') {
      if (v !== 'file' && v !== 'env') throw new Error(`unsupported secret type ${JSON.stringify(v)}`);
      type = v;
    } else if (key === 'id') s.id = v;
    else if (key === 'source' || key === 'src') s.file = v;
    else if (key === 'env') s.env = v;
    else throw new Error(`unexpected key '${key}' in '${field}'`);
  }
  if (type === 'env' && !s.env) {
    s.env = s.file;
    delete s.file;
  }
  if (s.id === '') throw new Error('secret missing ID');
  return s;
}

/** BuildKit's limit on one secret. */
export const MAX_SECRET_SIZE = 500 * 1024;

/**
 * The secrets' bytes by id. With neither src nor env, the id names an
 * environment variable when one is set, else a file (buildkit's secrets
 * provider).
 */
export async function readSecrets(values: readonly string[], env: NodeJS.ProcessEnv): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const value of values) {
    const s = parseSecret(value);
    let name = s.env;
    let file = s.file;
    if (name === undefined && file === undefined) {
      if (env[s.id] !== undefined) name = s.id;
      else file = s.id;
    }
    let data: Buffer;
    if (name !== undefined) {
      const v = env[name];
      if (v === undefined) throw new Error(`secret ${s.id}: environment variable ${name} is not set`);
      data = Buffer.from(v);
    } else {
      const path = file!;
      const size = await stat(path).then(
        (st) => st.size,
        (err: NodeJS.ErrnoException) => {
          throw new Error(`failed to stat ${path}: ${err.code === 'ENOENT' ? `stat ${path}: no such file or directory` : err.message}`);
        },
      );
      if (size > MAX_SECRET_SIZE) throw new Error(`secret ${s.id} too big. max size 500KB`);
      data = await readFile(path);
    }
    if (data.length > MAX_SECRET_SIZE) throw new Error(`secret ${s.id} too big. max size 500KB`);
    out.set(s.id, data);
  }
  return out;
}
