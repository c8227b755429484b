// The local half of docker cp, after moby's archive copy rules (copy.go):
// what a source or destination path is, how a tar's top entry is renamed so
// that extracting it into a directory gives `cp -a` results, and the
// archiving and extraction of local files. Paths follow Go's filepath rules,
// trailing "/" and "/." included, since they decide what gets copied.
import { lstat, readlink, realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { applyLayer } from '../storage/layer-apply.ts';
import { packLayer, type PackItem } from '../storage/layer-pack.ts';
import { mapTar } from '../storage/tar-transform.ts';
import { walkTree } from '../storage/tree.ts';

export interface CopyInfo {
  path: string;
  exists: boolean;
  isDir: boolean;
  /** The name the top entry must take in the archive (a symlink followed to a differently named target). */
  rebaseName?: string;
}

export const ERR_NOT_DIRECTORY = 'not a directory';
export const ERR_DIR_NOT_EXISTS = 'no such directory';
export const ERR_CANNOT_COPY_DIR = 'cannot copy directory';

/** Go's filepath.Clean. */
export function goClean(path: string): string {
  if (path === '') return '.';
  const clean = posix.normalize(path);
  return clean.length > 1 && clean.endsWith('/') ? clean.slice(0, -1) : clean;
}

/** Go's filepath.Base. */
export function goBase(path: string): string {
  if (path === '') return '.';
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** Go's filepath.Dir. */
export function goDir(path: string): string {
  return goClean(path.slice(0, path.lastIndexOf('/') + 1));
}

const specifiesCurrentDir = (path: string): boolean => goBase(path) === '.';
const hasTrailingSeparator = (path: string): boolean => path.endsWith('/');

/** Puts back on a cleaned path the trailing "/" or "/." the original had: they mean "a directory" and "its contents". */
export function preserveTrailingDotOrSeparator(cleaned: string, original: string): string {
  let out = cleaned;
  if (!specifiesCurrentDir(out) && specifiesCurrentDir(original)) out += hasTrailingSeparator(out) ? '.' : '/.';
  if (!hasTrailingSeparator(out) && hasTrailingSeparator(original)) out += '/';
  return out;
}

/** The directory and the entry in it that `path` names ("a/b/." is "a/b" and "."). */
export function splitPathDirEntry(path: string): [string, string] {
  let cleaned = goClean(path);
  if (specifiesCurrentDir(path)) cleaned += '/.';
  return [goDir(cleaned), goBase(cleaned)];
}

/** `resolved` with `path`'s trailing "/" or "/." kept, and the name to rebase to when following changed the last name. */
export function getRebaseName(path: string, resolved: string): [string, string | undefined] {
  let out = resolved;
  if (specifiesCurrentDir(path) && !specifiesCurrentDir(out)) out += '/.';
  if (hasTrailingSeparator(path) && !hasTrailingSeparator(out)) out += '/';
  return [out, goBase(path) !== goBase(out) ? goBase(path) : undefined];
}

/** An absolute local path, its trailing "/" or "/." kept. */
export function resolveLocalPath(path: string): string {
  return preserveTrailingDotOrSeparator(posix.resolve(path), path);
}

/** lstat or stat, failing in Go's words ("lstat /x: no such file or directory"); undefined for a missing path when `missingOk`. */
export async function goStat(call: 'lstat' | 'stat', path: string, missingOk: true): Promise<Stats | undefined>;
export async function goStat(call: 'lstat' | 'stat', path: string, missingOk?: false): Promise<Stats>;
export async function goStat(call: 'lstat' | 'stat', path: string, missingOk = false): Promise<Stats | undefined> {
  try {
    return await (call === 'lstat' ? lstat(path) : stat(path));
  } catch (err) {
    if (missingOk && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw goError(call, path, err);
  }
}

function goError(call: string, path: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  const words: Record<string, string> = { ENOENT: 'no such file or directory', ENOTDIR: 'not a directory', EACCES: 'permission denied', ELOOP: 'too many levels of symbolic links' };
  return new Error(`${call} ${path}: ${words[e.code ?? ''] ?? e.message}`);
}

async function evalSymlinks(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (err) {
    throw goError('lstat', path, err);
  }
}

/** What a local source is; symlinks before its last component resolved, the last one too with followLink (-L). */
export async function copyInfoSourcePath(path: string, followLink: boolean): Promise<CopyInfo> {
  let resolved: string;
  let rebaseName: string | undefined;
  if (followLink) {
    [resolved, rebaseName] = getRebaseName(path, await evalSymlinks(path));
  } else {
    const slash = path.lastIndexOf('/');
    const dir = path.slice(0, slash + 1);
    const base = path.slice(slash + 1);
    resolved = `${await evalSymlinks(dir)}/${base}`;
    if (hasTrailingSeparator(path) && goBase(path) !== goBase(resolved)) rebaseName = goBase(path);
  }
  const st = await goStat('lstat', resolved);
  return { path: resolved, exists: true, isDir: st.isDirectory(), rebaseName };
}

const MAX_DESTINATION_LINKS = 10;

/** What a local destination is: symlinks at its end followed (it is the target that gets written); it need not exist, its parent must. */
export async function copyInfoDestinationPath(path: string): Promise<CopyInfo> {
  let current = path;
  let st = await goStat('lstat', current, true);
  for (let n = 0; st?.isSymbolicLink(); n++) {
    if (n > MAX_DESTINATION_LINKS) throw new Error(`too many symlinks in ${path}`);
    const target = await readlink(current);
    current = target.startsWith('/') ? target : posix.join(splitPathDirEntry(current)[0], target);
    st = await goStat('lstat', current, true);
  }
  if (st) return { path: current, exists: true, isDir: st.isDirectory() };
  const parent = await goStat('stat', splitPathDirEntry(current)[0]);
  if (!parent.isDirectory()) throw new Error(ERR_NOT_DIRECTORY);
  return { path: current, exists: false, isDir: false };
}

/**
 * Where an archive of `src` must be extracted for the copy to land at
 * `dst`, and the archive renamed for that: into an existing directory as it
 * is, else into `dst`'s parent with the top entry taking `dst`'s name.
 */
export function prepareArchiveCopy(content: Readable, src: CopyInfo, dst: CopyInfo): { dir: string; content: Readable } {
  const [dstDir, dstBase] = splitPathDirEntry(dst.path);
  const srcBase = src.rebaseName ?? splitPathDirEntry(src.path)[1];
  if (dst.exists && dst.isDir) return { dir: dst.path, content };
  if (dst.exists && src.isDir) throw new Error(ERR_CANNOT_COPY_DIR);
  if (!dst.exists && !src.isDir && (hasTrailingSeparator(dst.path) || specifiesCurrentDir(dst.path))) throw new Error(ERR_DIR_NOT_EXISTS);
  return { dir: dstDir, content: rebaseArchiveEntries(content, srcBase, dstBase) };
}

/** Renames entries as moby does: the first `oldBase` in each name (and hardlink target) becomes `newBase`. */
export function rebaseArchiveEntries(content: Readable, oldBase: string, newBase: string): Readable {
  // The root as oldBase would eat the separator every name starts with.
  const from = oldBase === '/' ? '' : oldBase;
  const rebase = (name: string): string => {
    const i = name.indexOf(from);
    return i < 0 ? name : name.slice(0, i) + newBase + name.slice(i + from.length);
  };
  return mapTar(content, (h) => ({ ...h, name: rebase(h.name), ...(h.type === 'link' && h.linkname ? { linkname: rebase(h.linkname) } : {}) }));
}

/** A tar of local `info.path`: the entry itself under its own name (or `rebaseName`), and all below it. */
export function tarResource(info: CopyInfo): Readable {
  return packLayer(resourceItems(info));
}

async function* resourceItems(info: CopyInfo): AsyncGenerator<PackItem> {
  const [dir, base] = splitPathDirEntry(info.path);
  const path = base === '.' ? dir : posix.join(dir, base);
  const name = info.rebaseName ?? base;
  const st = await lstat(path);
  yield { kind: 'entry', name, path, st };
  if (st.isDirectory()) {
    for await (const e of walkTree(path, name)) yield { kind: 'entry', name: e.rel, path: e.path, st: e.st };
  }
}

/**
 * Extracts `content`, an archive of `src`, so that it lands at local path
 * `dstPath`: files owned by the caller, never a directory replaced by a file
 * or the reverse.
 */
export async function copyTo(content: Readable, src: CopyInfo, dstPath: string): Promise<void> {
  const dst = await copyInfoDestinationPath(dstPath);
  const prepared = prepareArchiveCopy(content, src, dst);
  await applyLayer(prepared.dir, prepared.content, { whiteouts: 'none', owner: false, noOverwriteDirNonDir: true });
}
