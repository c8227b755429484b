// Blobs by sha256 digest. Every write is hashed as it streams in and only
// becomes visible (by rename) once the digest is known to match, so readers
// never see partial or corrupt content.
import { createReadStream } from 'node:fs';
import { stat, rename, rm, readdir, readFile, open, type FileHandle } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ensureDir, fsyncDir } from '../util/fs-atomic.ts';
import { Scavenger } from '../util/young-gc.ts';

export interface BlobInfo {
  digest: string;
  size: number;
}

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function isDigest(s: string): boolean {
  return DIGEST_RE.test(s);
}

/** A pass-through that hashes and counts what flows through it. */
export class Hasher extends Transform {
  size = 0;
  #hash = createHash('sha256');
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.#hash.update(chunk);
    this.size += chunk.length;
    this.push(chunk);
    cb();
  }
  digest(): string {
    return 'sha256:' + this.#hash.digest('hex');
  }
}

/** Hashes `source` as it is read from the returned stream; `source`'s errors end it too. */
export function hashing(source: Readable): Hasher {
  const hasher = new Hasher();
  source.on('error', (err) => hasher.destroy(err));
  return source.pipe(hasher);
}

// How much is written between flushes to disk while a blob streams in.
const FLUSH_EVERY = 32 << 20;

/**
 * A file that is on disk when the stream finishes: flushed as it grows, so
 * the disk writes overlap the producer, then fsynced and closed.
 */
class DurableFile extends Writable {
  #fh: FileHandle;
  #unflushed = 0;
  #flushing: Promise<void> = Promise.resolve();
  #scavenger = new Scavenger();

  constructor(fh: FileHandle) {
    super();
    this.#fh = fh;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#writeAll(chunk).then(() => cb(), cb);
  }

  async #writeAll(chunk: Buffer): Promise<void> {
    for (let off = 0; off < chunk.length; ) off += (await this.#fh.write(chunk, off)).bytesWritten;
    this.#unflushed += chunk.length;
    this.#scavenger.passed(chunk.length);
    if (this.#unflushed >= FLUSH_EVERY) {
      this.#unflushed = 0;
      // One flush at a time; its failure surfaces at the end.
      this.#flushing = this.#flushing.then(() => this.#fh.datasync());
    }
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.#flushing.then(() => this.#fh.sync()).then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#flushing.catch(() => {}).then(() => this.#fh.close()).then(() => cb(err), () => cb(err));
  }
}

export class ContentStore {
  readonly root: string;
  constructor(root: string) {
    this.root = root;
  }

  async init(): Promise<void> {
    await ensureDir(join(this.root, 'blobs', 'sha256'));
    // Anything in ingest/ is a write a crash interrupted.
    await rm(join(this.root, 'ingest'), { recursive: true, force: true });
    await ensureDir(join(this.root, 'ingest'));
  }

  path(digest: string): string {
    if (!isDigest(digest)) throw new Error(`invalid digest: ${digest}`);
    return join(this.root, 'blobs', 'sha256', digest.slice(7));
  }

  async has(digest: string): Promise<boolean> {
    try {
      await stat(this.path(digest));
      return true;
    } catch {
      return false;
    }
  }

  async info(digest: string): Promise<BlobInfo> {
    const st = await stat(this.path(digest));
    return { digest, size: st.size };
  }

  get(digest: string): Readable {
    return createReadStream(this.path(digest));
  }

  async read(digest: string): Promise<Buffer> {
    return readFile(this.path(digest));
  }

  /** Stores a stream; rejects (and keeps nothing) when `expected` is given and does not match. */
  async put(source: Readable, expected?: string): Promise<BlobInfo> {
    if (expected !== undefined && !isDigest(expected)) throw new Error(`invalid digest: ${expected}`);
    const tmp = join(this.root, 'ingest', randomBytes(8).toString('hex'));
    const hasher = new Hasher();
    try {
      await pipeline(source, hasher, new DurableFile(await open(tmp, 'wx', 0o644)));
      const digest = hasher.digest();
      if (expected !== undefined && digest !== expected) {
        throw new Error(`digest mismatch: expected ${expected}, got ${digest}`);
      }
      await rename(tmp, this.path(digest));
      await fsyncDir(join(this.root, 'blobs', 'sha256'));
      return { digest, size: hasher.size };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  putBytes(data: Uint8Array | string, expected?: string): Promise<BlobInfo> {
    return this.put(Readable.from([Buffer.from(data)]), expected);
  }

  async delete(digest: string): Promise<void> {
    await rm(this.path(digest), { force: true });
  }

  async walk(): Promise<BlobInfo[]> {
    const dir = join(this.root, 'blobs', 'sha256');
    const names = await readdir(dir);
    return Promise.all(names.map(async (n) => ({ digest: `sha256:${n}`, size: (await stat(join(dir, n))).size })));
  }
}
