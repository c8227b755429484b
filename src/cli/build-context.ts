// The client half of a build's context, as docker's CLI prepares it for the
// classic builder: a local directory tarred (owners 0:0) without what the
// ignore file excludes, though the Dockerfile and the ignore file itself
// always go; a Dockerfile outside the context (or `-f -`) added under a
// generated name that the context's ignore file then names; `-` reading a
// tar (maybe compressed) or a bare Dockerfile from stdin.
import { randomBytes } from 'node:crypto';
import { existsSync, type Stats } from 'node:fs';
import { chmod, lstat, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { isTarHeader } from '../build/add-archive.ts';
import { DockerIgnore, ignoreFileFor, parseDockerignore } from '../build/dockerignore.ts';
import { packLayer, type PackItem } from '../storage/layer-pack.ts';
import { goStat } from './copy-archive.ts';

export interface BuildContextSource {
  /** The tar to upload. */
  body: Readable;
  /** The Dockerfile's path inside it ('' lets the daemon look for "Dockerfile"). */
  dockerfile: string;
  /** Removes what was written to disk for the upload; call once it is done. */
  cleanup(): Promise<void>;
}

const IGNORE_FILE = '.dockerignore';
const HEADER_SIZE = 512;

/** The context for `berth build SPEC -f DOCKERFILE`; errors carry docker's words. */
export async function openBuildContext(spec: string, dockerfile: string, stdin: Readable): Promise<BuildContextSource> {
  const dockerfileFromStdin = dockerfile === '-';
  if (spec === '-') {
    if (dockerfileFromStdin) throw new Error("invalid argument: can't use stdin for both build context and dockerfile");
    return stdinContext(stdin, dockerfile);
  }
  if (!existsSync(spec)) throw new Error(`unable to prepare context: path ${JSON.stringify(spec)} not found`);
  const scratch = new Scratch();
  try {
    const local = await localContext(spec, dockerfile).catch((err: Error) => {
      throw new Error(`unable to prepare context: ${err.message}`);
    });
    const place = local.dockerfile ?? { kind: 'stdin', content: await readStream(stdin) };
    return { ...(await directoryTar(local.dir, place, scratch)), cleanup: () => scratch.remove() };
  } catch (err) {
    await scratch.remove();
    throw err;
  }
}

/** Where the Dockerfile is: its path in the context, or outside it. */
type DockerfilePlace =
  | { kind: 'inside'; rel: string }
  | { kind: 'outside'; path: string }
  | { kind: 'stdin'; content: Buffer };

/**
 * GetContextFromLocalDir: the context's real path, and where its Dockerfile
 * is (-f is relative to the working directory); none for `-f -`.
 */
async function localContext(spec: string, dockerfile: string): Promise<{ dir: string; dockerfile?: DockerfilePlace }> {
  const dir = await evalSymlinks(resolve(spec), 'context path');
  if (!(await lstat(dir)).isDirectory()) throw new Error(`context must be a directory: ${dir}`);
  if (dockerfile === '-') return { dir };
  let path = dockerfile ? resolve(dockerfile) : join(dir, 'Dockerfile');
  // As docker: a lowercase "dockerfile" when there is no "Dockerfile".
  if (!dockerfile && !existsSync(path) && existsSync(join(dir, 'dockerfile'))) path = join(dir, 'dockerfile');
  const real = await evalSymlinks(path, 'Dockerfile path');
  const rel = relative(dir, real);
  return { dir, dockerfile: rel === '..' || rel.startsWith('../') ? { kind: 'outside', path: real } : { kind: 'inside', rel } };
}

/** filepath.EvalSymlinks, failing as Go does: on the first component that cannot be looked at. */
async function evalSymlinks(path: string, what: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (err) {
    try {
      const parts = path.split('/');
      for (let i = 2; i <= parts.length; i++) await goStat('lstat', parts.slice(0, i).join('/'));
    } catch (walkErr) {
      throw new Error(`unable to evaluate symlinks in ${what}: ${(walkErr as Error).message}`);
    }
    throw new Error(`unable to evaluate symlinks in ${what}: ${(err as Error).message}`);
  }
}

/** Files written for the upload (a Dockerfile from elsewhere, a rewritten ignore file), in a directory of their own. */
class Scratch {
  #dir?: string;

  /** A file holding `data`, with `mode` when given (else as a new file gets it, through the umask). */
  async file(name: string, data: Buffer | string, mode?: number): Promise<{ path: string; st: Stats }> {
    this.#dir ??= await mkdtemp(join(tmpdir(), 'berth-build-'));
    const path = join(this.#dir, name);
    await writeFile(path, data, { mode: 0o666 });
    if (mode !== undefined) await chmod(path, mode);
    return { path, st: await lstat(path) };
  }

  async remove(): Promise<void> {
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
  }
}

/**
 * The ignore file a build uses and its patterns: `<Dockerfile>.dockerignore`
 * beside the Dockerfile wins over the context's `.dockerignore`, as the
 * daemon decides. `host` is where it is read from, `rel` its path in the
 * context when it is in it.
 */
async function ignoreFileOf(dir: string, dockerfile: DockerfilePlace): Promise<{ rel?: string; host?: string; patterns: string[] }> {
  let rel: string | undefined;
  let host: string | undefined;
  if (dockerfile.kind === 'outside' && existsSync(`${dockerfile.path}${IGNORE_FILE}`)) host = `${dockerfile.path}${IGNORE_FILE}`;
  else {
    rel = dockerfile.kind === 'inside' ? ignoreFileFor(dockerfile.rel, (p) => existsSync(join(dir, p))) : existsSync(join(dir, IGNORE_FILE)) ? IGNORE_FILE : undefined;
    if (rel !== undefined) host = join(dir, rel);
  }
  if (host === undefined) return { patterns: [] };
  let text: string;
  try {
    text = await readFile(host, 'utf8');
  } catch (err) {
    throw new Error(`error reading ${IGNORE_FILE}: ${(err as Error).message}`);
  }
  return { rel, host, patterns: parseDockerignore(text) };
}

/**
 * A tar of context directory `dir`. What the ignore file excludes stays
 * out, except the build's own files (docker's TrimBuildFilesFromExcludes);
 * a Dockerfile that is not in the context goes in as `.dockerfile.<random>`,
 * which the ignore file then lists so that no COPY picks it up.
 */
async function directoryTar(dir: string, dockerfile: DockerfilePlace, scratch: Scratch): Promise<{ body: Readable; dockerfile: string }> {
  const ignore = await ignoreFileOf(dir, dockerfile);
  const patterns = [...ignore.patterns];
  const base = new DockerIgnore(patterns);
  if (ignore.rel !== undefined && base.matches(ignore.rel)) patterns.push(`!${ignore.rel}`);
  if (dockerfile.kind === 'inside' && base.matches(dockerfile.rel)) patterns.push(`!${dockerfile.rel}`);
  const excludes = new DockerIgnore(patterns);

  const replaced = new Map<string, PackItem>();
  const added: PackItem[] = [];
  let name = dockerfile.kind === 'inside' ? dockerfile.rel : '';
  if (dockerfile.kind !== 'inside') {
    name = `.dockerfile.${randomBytes(10).toString('hex')}`;
    const content = dockerfile.kind === 'stdin' ? dockerfile.content : await readFile(dockerfile.path);
    added.push(entry(name, await scratch.file('Dockerfile', content, 0o600)));
    if (ignore.rel === undefined && ignore.host !== undefined) {
      // The Dockerfile's own ignore file, under its new name, so the daemon picks the same one.
      const own = `${name}${IGNORE_FILE}`;
      const text = `${await readFile(ignore.host, 'utf8')}\n${name}\n${own}\n`;
      added.push(entry(own, await scratch.file('own-ignore', text, 0o600)));
    } else {
      const st = ignore.rel === IGNORE_FILE ? await lstat(join(dir, IGNORE_FILE)) : undefined;
      const before = st ? await readFile(join(dir, IGNORE_FILE), 'utf8') : IGNORE_FILE;
      const rewritten = entry(IGNORE_FILE, await scratch.file('ignore', `${before}\n${name}\n`, st ? st.mode & 0o7777 : 0o600));
      if (st) replaced.set(IGNORE_FILE, rewritten);
      else added.push(rewritten);
    }
  }
  return { body: packLayer(contextItems(dir, excludes, replaced, added)), dockerfile: name };
}

/** A scratch file as the tar entry `name`, owned by root. */
function entry(name: string, file: { path: string; st: Stats }): PackItem {
  return { kind: 'entry', name, path: file.path, st: asRoot(file.st) };
}

/** Stats with owner 0:0, as docker's context tars have (ChownOpts). */
function asRoot(st: Stats): Stats {
  return Object.assign(Object.create(Object.getPrototypeOf(st) as object) as Stats, st, { uid: 0, gid: 0 });
}

/**
 * The context's entries in lexical order, parents first. An excluded
 * directory is left out whole unless an exception may keep something below
 * it; then it is walked (but not itself sent, as docker's TarWithOptions).
 */
async function* contextItems(dir: string, excludes: DockerIgnore, replaced: Map<string, PackItem>, added: PackItem[]): AsyncGenerator<PackItem> {
  async function* walk(rel: string): AsyncGenerator<PackItem> {
    for (const name of (await readdir(rel ? join(dir, rel) : dir)).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const swap = replaced.get(path);
      if (swap) {
        yield swap;
        continue;
      }
      const host = join(dir, path);
      const st = await lstat(host);
      const excluded = excludes.matches(path);
      if (!st.isDirectory()) {
        if (!excluded) yield { kind: 'entry', name: path, path: host, st: asRoot(st) };
        continue;
      }
      if (!excluded) yield { kind: 'entry', name: path, path: host, st: asRoot(st) };
      if (!excluded || excludes.shouldDescend(path)) yield* walk(path);
    }
  }
  yield* walk('');
  yield* added;
}

/** Go's compression.Detect: gzip, bzip2, xz or zstd magic bytes. */
const COMPRESSED = [[0x1f, 0x8b, 0x08], [0x42, 0x5a, 0x68], [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], [0x28, 0xb5, 0x2f, 0xfd]];

/** docker's IsArchive: compressed, or a first block that is a tar header. */
export function isArchive(head: Buffer): boolean {
  if (COMPRESSED.some((magic) => head.length >= magic.length && magic.every((b, i) => head[i] === b))) return true;
  return head.length >= HEADER_SIZE && isTarHeader(head.subarray(0, HEADER_SIZE));
}

/** The first `n` bytes of `stream` (fewer when it is shorter), and a stream of all of it. */
export async function peek(stream: Readable, n: number): Promise<{ head: Buffer; all: Readable }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let ended = true;
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    chunks.push(buf);
    size += buf.length;
    if (size >= n) {
      ended = false;
      break;
    }
  }
  const head = Buffer.concat(chunks);
  if (ended) return { head, all: Readable.from(head.length ? [head] : []) };
  stream.unshift(head);
  return { head: head.subarray(0, n), all: stream };
}

async function readStream(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/** GetContextFromReader: an archive goes as it is; anything else is the Dockerfile of a context holding only it. */
async function stdinContext(stdin: Readable, dockerfile: string): Promise<BuildContextSource> {
  const { head, all } = await peek(stdin, HEADER_SIZE);
  if (isArchive(head)) return { body: all, dockerfile, cleanup: async () => {} };
  const scratch = new Scratch();
  try {
    const file = await scratch.file('Dockerfile', await readStream(all));
    const item: PackItem = { kind: 'entry', name: 'Dockerfile', path: file.path, st: file.st };
    return { body: packLayer(Readable.from([item])), dockerfile: 'Dockerfile', cleanup: () => scratch.remove() };
  } catch (err) {
    await scratch.remove();
    throw err;
  }
}
