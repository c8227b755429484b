// berth build's cache export and import (--cache-to, and --cache-from with a
// type): the daemon writes and reads one archive (its step images as a
// docker-save / OCI layout, berth's cache index, the cache mounts' files);
// for type=local it is unpacked into a directory here, or packed from one;
// type=registry the daemon pushes or pulls itself, with the credentials
// docker's config has for that registry. A --cache-from without `type=` is
// docker's classic option, image names sent as they are.
import { mkdir, stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { exportBuildCache, importBuildCache, pullBuildCache, pushBuildCache } from '../client/build.ts';
import { parseReference } from '../image/reference.ts';
import { registryAuth } from './commands/pull.ts';
import type { Client } from '../client/client.ts';
import { packDirectory } from '../storage/layer-pack.ts';
import { applyLayer } from '../storage/layer-apply.ts';

export type CacheTo = { type: 'local'; dest: string; mode: 'min' | 'max' } | { type: 'registry'; ref: string; mode: 'min' | 'max' };

export type CacheFrom = { type: 'local'; src: string } | { type: 'registry'; ref: string };

/** `key=value,…` as buildx writes cache options. */
function attributes(value: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`invalid value ${JSON.stringify(part)} in ${JSON.stringify(value)}: expected key=value`);
    out.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return out;
}

function typeOf(a: Map<string, string>, value: string): 'local' | 'registry' {
  const type = a.get('type');
  if (type === 'local' || type === 'registry') return type;
  throw new Error(type ? `unsupported cache type ${JSON.stringify(type)} (berth has type=local and type=registry)` : `type required form> "type=local,..." in ${JSON.stringify(value)}`);
}

function required(a: Map<string, string>, key: string, what: string, value: string): string {
  const v = a.get(key);
  if (!v) throw new Error(`${key} is required for ${what}: ${JSON.stringify(value)}`);
  return v;
}

export function parseCacheTo(value: string): CacheTo {
  const a = attributes(value);
  const type = typeOf(a, value);
  const mode = a.get('mode') ?? 'min';
  if (mode !== 'min' && mode !== 'max') throw new Error(`invalid cache mode ${JSON.stringify(mode)}: min or max`);
  if (type === 'registry') return { type, ref: required(a, 'ref', 'registry cache exporter', value), mode };
  return { type, dest: required(a, 'dest', 'local cache exporter', value), mode };
}

/** --cache-from values: typed imports, and docker's image names. */
export function parseCacheFrom(values: readonly string[]): { imports: CacheFrom[]; images: string[] } {
  const imports: CacheFrom[] = [];
  const images: string[] = [];
  for (const value of values) {
    if (!/(^|,)type=/.test(value)) {
      // docker's --cache-from is a comma-separated list of images.
      images.push(...value.split(','));
      continue;
    }
    const a = attributes(value);
    if (typeOf(a, value) === 'registry') imports.push({ type: 'registry', ref: required(a, 'ref', 'registry cache importer', value) });
    else imports.push({ type: 'local', src: required(a, 'src', 'local cache importer', value) });
  }
  return { imports, images };
}

/** Loads each cache into the daemon before the build. */
export async function importCaches(client: Client, froms: readonly CacheFrom[], env: NodeJS.ProcessEnv, out: Writable): Promise<void> {
  for (const f of froms) {
    let r;
    if (f.type === 'registry') {
      r = await pullBuildCache(client, f.ref, await registryAuth(env, parseReference(f.ref).repo));
    } else {
      if (!(await stat(f.src).catch(() => undefined))?.isDirectory()) throw new Error(`cache source ${f.src}: not a directory`);
      r = await importBuildCache(client, packDirectory(f.src));
    }
    out.write(`Imported build cache from ${f.type === 'registry' ? f.ref : f.src}: ${r.Entries} steps, ${r.Mounts} cache mounts\n`);
  }
}

/** Writes the cache behind `imageId` where `to` says. */
export async function exportCache(client: Client, imageId: string, to: CacheTo, env: NodeJS.ProcessEnv, out: Writable): Promise<void> {
  if (to.type === 'registry') {
    const { Digest } = await pushBuildCache(client, imageId, to.mode, to.ref, await registryAuth(env, parseReference(to.ref).repo));
    out.write(`Exported build cache to ${to.ref} (${Digest})\n`);
    return;
  }
  await mkdir(to.dest, { recursive: true });
  const archive = await exportBuildCache(client, imageId, to.mode);
  // Owners as in the archive when root writes them, else the caller's, as tar -x does.
  await applyLayer(to.dest, archive, { whiteouts: 'none', owner: process.getuid?.() === 0 ? undefined : false });
  out.write(`Exported build cache to ${to.dest}\n`);
}
