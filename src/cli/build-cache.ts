// berth build's cache export and import (--cache-to, and --cache-from with a
// type): the daemon writes and reads one archive (its step images as a
// docker-save / OCI layout, berth's cache index, the cache mounts' files);
// here it is unpacked into a directory, or packed from one. A --cache-from
// without `type=` is docker's classic option, image names sent as they are.
import { mkdir, stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { exportBuildCache, importBuildCache } from '../client/build.ts';
import type { Client } from '../client/client.ts';
import { packDirectory } from '../storage/layer-pack.ts';
import { applyLayer } from '../storage/layer-apply.ts';

export interface CacheTo {
  type: 'local';
  dest: string;
  mode: 'min' | 'max';
}

export interface CacheFrom {
  type: 'local';
  src: string;
}

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

function localOnly(type: string | undefined, value: string): void {
  if (type === 'local') return;
  throw new Error(type ? `unsupported cache type ${JSON.stringify(type)} (berth exports to type=local)` : `type required form> "type=local,..." in ${JSON.stringify(value)}`);
}

export function parseCacheTo(value: string): CacheTo {
  const a = attributes(value);
  localOnly(a.get('type'), value);
  const dest = a.get('dest');
  if (!dest) throw new Error(`dest is required for local cache exporter: ${JSON.stringify(value)}`);
  const mode = a.get('mode') ?? 'min';
  if (mode !== 'min' && mode !== 'max') throw new Error(`invalid cache mode ${JSON.stringify(mode)}: min or max`);
  return { type: 'local', dest, mode };
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
    localOnly(a.get('type'), value);
    const src = a.get('src');
    if (!src) throw new Error(`src is required for local cache importer: ${JSON.stringify(value)}`);
    imports.push({ type: 'local', src });
  }
  return { imports, images };
}

/** Loads each directory's cache into the daemon before the build. */
export async function importCaches(client: Client, froms: readonly CacheFrom[], out: Writable): Promise<void> {
  for (const f of froms) {
    if (!(await stat(f.src).catch(() => undefined))?.isDirectory()) throw new Error(`cache source ${f.src}: not a directory`);
    const r = await importBuildCache(client, packDirectory(f.src));
    out.write(`Imported build cache from ${f.src}: ${r.Entries} steps, ${r.Mounts} cache mounts\n`);
  }
}

/** Writes the cache behind `imageId` into `to.dest`. */
export async function exportCache(client: Client, imageId: string, to: CacheTo, out: Writable): Promise<void> {
  await mkdir(to.dest, { recursive: true });
  const archive = await exportBuildCache(client, imageId, to.mode);
  // Owners as in the archive when root writes them, else the caller's, as tar -x does.
  await applyLayer(to.dest, archive, { whiteouts: 'none', owner: process.getuid?.() === 0 ? undefined : false });
  out.write(`Exported build cache to ${to.dest}\n`);
}
