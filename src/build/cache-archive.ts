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

const INDEX = 'berth-cache/cache.json';
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
      const name = decodeURIComponent(header.name.slice(MOUNTS.length, -4));
      const file = join(scratch, `${mountTars.size}.tar`);
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
    const loaded = loading.value;
    if (!index || index.version !== 1 || !Array.isArray(index.entries)) throw badRequest('cache archive: no berth-cache/cache.json (not a berth build cache export)');
    const have = new Set(loaded);
    const entries = index.entries.filter((e) => typeof e?.key === 'string' && typeof e.image === 'string' && (have.has(e.image) || images.store.has(e.image)));
    const mounts = (index.mounts ?? []).flatMap((m) => {
      const file = mountTars.get(m.name);
      return file ? [{ name: m.name, meta: m.meta, tar: file }] : [];
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
