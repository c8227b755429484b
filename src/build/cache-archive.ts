// The build cache as one archive, for `--cache-to type=local` and
// `--cache-from type=local`: a docker-save / OCI-layout tarball of the step
// images the entries point at (any image loader reads it), plus
// `berth-cache/cache.json` (the entries: step key → image) and
// `berth-cache/mounts/<name>.tar`, the content of RUN --mount=type=cache
// directories, which BuildKit's cache export leaves behind.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import type { ImageService } from '../image/service.ts';
import { packDirectory } from '../storage/layer-pack.ts';
import { badRequest } from '../util/errors.ts';
import type { CacheEntry } from './cache-key.ts';
import { mountInfoOf } from './cache-mounts.ts';

const INDEX = 'berth-cache/cache.json';
const MOUNT_NAME = /^[a-f0-9]{64}(-\d+)?$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const MOUNTS = 'berth-cache/mounts/';
// The index is read into memory; a cache of millions of steps is not a use case.
const MAX_INDEX = 64 << 20;

/** A cache mount to export: its name, what it is (kept with it), where its files are. */
export interface MountExport {
  name: string;
  meta: Record<string, unknown>;
  dir: string;
}

/** A cache mount read from an archive: its files as a tar in `tar` (a temp file the caller removes). */
export interface MountImport {
  name: string;
  meta: Record<string, unknown>;
  tar: string;
}

interface ArchiveIndex {
  version: 1;
  entries: CacheEntry[];
  mounts: { name: string; meta: Record<string, unknown> }[];
}

/** The archive of `entries` (those whose image exists) and `mounts`; `tmpDir` holds the mounts' tars while they are written. */
export function writeCacheArchive(images: ImageService, entries: CacheEntry[], mounts: MountExport[], tmpDir: string): Readable {
  const out = new PassThrough();
  (async () => {
    const kept = entries.filter((e) => images.store.has(e.image));
    const scratch = await mkdtemp(join(tmpDir, 'cache-export-'));
    try {
      const extra: { name: string; size: number; open: () => Readable }[] = [];
      for (const m of mounts) {
        const file = join(scratch, `${extra.length}.tar`);
        await pipeline(packDirectory(m.dir), createWriteStream(file));
        extra.push({ name: `${MOUNTS}${encodeURIComponent(m.name)}.tar`, size: (await stat(file)).size, open: () => createReadStream(file) });
      }
      const index: ArchiveIndex = { version: 1, entries: kept, mounts: mounts.map(({ name, meta }) => ({ name, meta })) };
      const indexBytes = Buffer.from(JSON.stringify(index));
      extra.unshift({ name: INDEX, size: indexBytes.length, open: () => streamOf(indexBytes) });
      const ids = [...new Set(kept.map((e) => e.image))];
      await pipeline(images.save(ids, extra), out);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  })().catch((err: Error) => out.destroy(err));
  return out;
}

/** What an archive held, for the cache to adopt; `cleanup` removes the mounts' temp tars. */
export interface CacheImport {
  entries: CacheEntry[];
  mounts: MountImport[];
  cleanup: () => Promise<void>;
}

/**
 * Loads an archive written by writeCacheArchive: its images into the image
 * store (untagged), its mounts into temp tars under `tmpDir`.
 */
export async function readCacheArchive(input: Readable, images: ImageService, tmpDir: string): Promise<CacheImport> {
  const scratch = await mkdtemp(join(tmpDir, 'cache-import-'));
  const toImages = new PassThrough();
  const toCache = new PassThrough();
  input.pipe(toImages);
  input.pipe(toCache);
  input.on('error', (err) => {
    toImages.destroy(err);
    toCache.destroy(err);
  });
  let index: ArchiveIndex | undefined;
  const mountTars = new Map<string, string>();
  const ex = tar.extract();
  ex.on('entry', (header, stream, next) => {
    const done = (err?: unknown): void => next(err as Error | undefined);
    if (header.name === INDEX) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (c: unknown) => {
        const chunk = c as Buffer;
        size += chunk.length;
        if (size > MAX_INDEX) stream.destroy(new Error('cache index too large'));
        else chunks.push(chunk);
      });
      stream.on('end', () => {
        try {
          index = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ArchiveIndex;
          done();
        } catch {
          done(badRequest('cache archive: berth-cache/cache.json is not valid JSON'));
        }
      });
      stream.on('error', done);
      return;
    }
    if (header.name.startsWith(MOUNTS) && header.name.endsWith('.tar')) {
      // Mount directories are named by a digest (cache-mounts.ts); anything else is not one of berth's.
      const name = header.name.slice(MOUNTS.length, -4);
      if (!MOUNT_NAME.test(name) || mountTars.has(name)) {
        stream.resume();
        return done(badRequest(`cache archive: unexpected entry ${JSON.stringify(header.name)}`));
      }
      const file = join(scratch, `mount-${mountTars.size}.tar`);
      mountTars.set(name, file);
      pipeline(stream, createWriteStream(file)).then(() => done(), done);
      return;
    }
    stream.on('end', () => done());
    stream.resume();
  });
  try {
    // Both readers finish before anything is judged, so no temp file is written after the cleanup.
    const [loading, reading] = await Promise.allSettled([images.loadUntagged(toImages), pipeline(toCache, ex)]);
    if (loading.status === 'rejected') throw loading.reason;
    if (reading.status === 'rejected') throw badRequest(`cache archive: ${(reading.reason as Error).message}`);
    if (!index || index.version !== 1 || !Array.isArray(index.entries) || !Array.isArray(index.mounts ?? [])) {
      throw badRequest('cache archive: no valid berth-cache/cache.json (not a berth build cache export)');
    }
    // The index is untrusted: entries of the right shape whose image is here (loaded just now or
    // before), their parent only if it is an image here too.
    const here = (id: unknown): id is string => typeof id === 'string' && images.store.has(id);
    const entries = (index.entries as unknown[]).flatMap((e) => {
      const entry = cacheEntryOf(e);
      if (!entry || !here(entry.image)) return [];
      return [{ ...entry, parent: here(entry.parent) ? entry.parent : null }];
    });
    const mounts = (index.mounts as unknown[]).flatMap((m) => {
      const { name, meta } = (m ?? {}) as { name?: unknown; meta?: unknown };
      const file = typeof name === 'string' ? mountTars.get(name) : undefined;
      return file ? [{ name: name as string, meta: { ...mountInfoOf(meta) }, tar: file }] : [];
    });
    return { entries, mounts, cleanup: () => rm(scratch, { recursive: true, force: true }) };
  } catch (err) {
    await rm(scratch, { recursive: true, force: true });
    throw err;
  }
}


function streamOf(data: Buffer): Readable {
  const s = new PassThrough();
  s.end(data);
  return s;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const stringMap = (v: unknown): v is Record<string, string> => !!v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every(isString);

/** An index entry of the shape the cache keeps, or null. */
function cacheEntryOf(v: unknown): CacheEntry | null {
  if (!v || typeof v !== 'object') return null;
  const e = v as Record<string, unknown>;
  if (!isString(e.key) || !DIGEST.test(e.key) || !isString(e.image) || !DIGEST.test(e.image) || !isString(e.instruction)) return null;
  if (e.parent !== null && !isString(e.parent)) return null;
  if (e.args !== undefined && !stringMap(e.args)) return null;
  if (e.files !== undefined && !stringMap(e.files)) return null;
  if (e.source !== undefined && !isString(e.source)) return null;
  if (e.downloads !== undefined && !stringMap(e.downloads)) return null;
  const now = new Date().toISOString();
  return {
    key: e.key, image: e.image, parent: e.parent as string | null, instruction: e.instruction,
    ...(e.args !== undefined ? { args: e.args as Record<string, string> } : {}),
    ...(e.files !== undefined ? { files: e.files as Record<string, string> } : {}),
    ...(e.source !== undefined ? { source: e.source as string } : {}),
    ...(e.downloads !== undefined ? { downloads: e.downloads as Record<string, string> } : {}),
    size: isCount(e.size) ? e.size : 0,
    created: isString(e.created) ? e.created : now,
    lastUsed: isString(e.lastUsed) ? e.lastUsed : now,
    usageCount: isCount(e.usageCount) ? e.usageCount : 0,
  };
}
