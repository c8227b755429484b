// ADD's http(s) sources, as the classic builder fetches them: downloaded
// again on every build (the content, not the URL, decides whether the step
// is cached), saved under the last element of the URL's path with mode 0600
// and the server's Last-Modified as the file's time, and never unpacked.
// BuildKit's --checksum is checked against what arrived. Git sources
// (BuildKit's ADD of a repository) are recognised only to be refused.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface RemoteFile {
  url: string;
  /** The file's name in the image. */
  name: string;
  /** Where it was downloaded to. */
  host: string;
  /** sha256 of the content, hex. */
  digest: string;
}

export function isRemoteSource(src: string): boolean {
  return /^https?:\/\//i.test(src);
}

/** A source BuildKit would clone (its dfgitutil's forms): git:// and ssh:// URLs, scp-like `user@host:path`, http(s) URLs ending in `.git`. */
export function isGitSource(src: string): boolean {
  return /^(git|ssh):\/\//i.test(src) || /^[\w.-]+@[\w.-]+:/.test(src) || /^https?:\/\/[^#?]*\.git\/?([#?].*)?$/i.test(src);
}

/** What --checksum names: a digest of an algorithm node can compute. */
export interface Checksum {
  readonly algorithm: 'sha256' | 'sha384' | 'sha512';
  readonly hex: string;
}

const DIGEST_BYTES: Readonly<Record<string, number>> = { sha256: 32, sha384: 48, sha512: 64 };

/** go-digest's Parse, as BuildKit reads --checksum, with its errors. */
export function parseChecksum(text: string): Checksum {
  const colon = text.indexOf(':');
  if (colon <= 0 || colon + 1 === text.length) throw new Error('invalid checksum digest format');
  const algorithm = text.slice(0, colon);
  const hex = text.slice(colon + 1);
  const bytes = DIGEST_BYTES[algorithm];
  if (bytes === undefined) {
    if (!/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(text)) throw new Error('invalid checksum digest format');
    throw new Error('unsupported digest algorithm');
  }
  if (hex.length !== bytes * 2) throw new Error('invalid checksum digest length');
  if (!/^[a-f0-9]+$/.test(hex)) throw new Error('invalid checksum digest format');
  return { algorithm: algorithm as Checksum['algorithm'], hex };
}

/**
 * The name a download is saved under: the last element of the URL's
 * decoded path (moby's path.Base of u.Path), so an escaped `/` (`%2F`) can
 * never make it a path of its own.
 */
export function remoteName(url: string): string {
  let path: string;
  try {
    path = decodeURIComponent(new URL(url).pathname);
  } catch {
    throw new Error(`cannot determine filename from url: ${url}`);
  }
  const last = path.split('/').filter((p) => p !== '').at(-1);
  if (last === undefined || last === '.' || last === '..' || last.includes('\0')) throw new Error(`cannot determine filename from url: ${url}`);
  return last;
}

/** Downloads `url` into `dir` (which it creates); with `checksum`, what arrived must have that digest (BuildKit's message if not). */
export async function fetchRemote(url: string, dir: string, checksum?: Checksum): Promise<RemoteFile> {
  const name = remoteName(url);
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(10 * 60_000) });
  } catch (err) {
    throw new Error(`ADD failed: fetching ${url}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`, { cause: err });
  }
  if (!res.ok || !res.body) throw new Error(`ADD failed: fetching ${url}: ${res.status} ${res.statusText}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const host = join(dir, name);
  if (dirname(host) !== dir) throw new Error(`cannot determine filename from url: ${url}`);
  const hash = createHash('sha256');
  const check = checksum && checksum.algorithm !== 'sha256' ? createHash(checksum.algorithm) : undefined;
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      check?.update(chunk);
      cb(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), hashing, createWriteStream(host, { mode: 0o600 }));
  const digest = hash.digest('hex');
  if (checksum) {
    const actual = check ? check.digest('hex') : digest;
    if (actual !== checksum.hex) throw new Error(`digest mismatch ${checksum.algorithm}:${actual}: ${checksum.algorithm}:${checksum.hex}`);
  }
  const modified = Date.parse(res.headers.get('last-modified') ?? '');
  if (!Number.isNaN(modified)) await utimes(host, modified / 1000, modified / 1000);
  return { url, name, host, digest };
}
