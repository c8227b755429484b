// COPY and ADD: sources found in a source root (the context, or a stage's or
// image's filesystem) are written into the step's filesystem. Each source
// path resolves chroot-style inside its root (`..` stops at the root, a
// symlink is followed only inside it), so nothing outside the context can
// be read; symlinks below a copied directory are copied as symlinks. The
// writing goes through the layer writer in plain-archive mode, which
// resolves every destination inside the step's root the same way.
// ADD unpacks local tar archives (add-archive.ts) and copies downloads
// (remote-source.ts); heredoc sources
// (`COPY <<EOF /file`) are files written for the step, then copied as any.
// What a source copies (wildcards, --exclude, --parents) is decided once, by
// findSources and pickedEntries, for the copy and for the cache key alike.
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { Stats } from 'node:fs';
import { applyLayer } from '../storage/layer-apply.ts';
import { messageOf } from '../util/errors.ts';
import { extractArchive, isTarArchive } from './add-archive.ts';
import { packLayer, type PackItem } from '../storage/layer-pack.ts';
import { PathError, resolveInContainer, viewOf } from '../engine/container-path.ts';
import { copyTargets, destinationOf, hasWildcard, type CopySource, type CopyTarget } from './copy-plan.ts';
import { cleanPath, DockerIgnore } from './dockerignore.ts';
import { BadPattern, matchPath } from './path-match.ts';

export interface CopyRequest {
  command: 'COPY' | 'ADD';
  /** Source paths as written (expanded), relative to `sourceRoot`. */
  sources: string[];
  dest: string;
  workdir: string | undefined;
  owner: { uid: number; gid: number };
  /** --chmod: the mode of everything copied. */
  mode?: number;
  /** Files already on the host (ADD's downloads), after the sources: `host` copied as `name`. */
  fetched?: { name: string; host: string }[];
  /** Heredoc sources, after the others (as BuildKit orders them): a file `name` with `data`. */
  inline?: { name: string; data: string }[];
  /** Unpack local tar archives; by default for ADD (whose sources are always the context's). */
  extract?: boolean;
  /** --exclude and --parents. */
  select?: Selection;
}

/** How sources are cut (BuildKit's): `exclude` leaves out what its patterns match below each source, relative to it; `parents` keeps each source's path under the destination. */
export interface Selection {
  readonly exclude?: readonly string[];
  readonly parents?: boolean;
}

type SourceOnDisk = CopySource & {
  readonly host: string;
  readonly archive?: boolean;
  /** --parents: a directory whose contents are cut to what this pattern (.dockerignore's rules, relative to it) or a parent of it matches. */
  readonly include?: string;
};

/** One entry below a source: its path relative to the source, where it is, its lstat. */
export interface Picked {
  readonly rel: string;
  readonly path: string;
  readonly st: Stats;
}

/** Copies into `targetRoot`; returns what the history names the content by (`file`, `dir` or `multi`). */
export async function copyFiles(sourceRoot: string, targetRoot: string, req: CopyRequest): Promise<string> {
  const inline = req.inline ?? [];
  const scratch = inline.length > 0 ? await mkdtemp(join(tmpdir(), 'berth-heredoc-')) : undefined;
  try {
    const sources: SourceOnDisk[] = [];
    const exclude = excludeMatcher(req.select);
    for (const src of req.sources) sources.push(...(await findSources(sourceRoot, src, req.command, req.extract ?? req.command === 'ADD', req.select)));
    for (const f of req.fetched ?? []) sources.push({ rel: f.name, isDir: false, host: f.host });
    for (const [i, doc] of inline.entries()) sources.push(await inlineSource(scratch!, i, doc));
    if (sources.length === 0) throw new Error(`${req.command} failed: no source files were specified`);
    const destPath = destinationOf(req.dest, req.workdir).path;
    const targets = copyTargets(req.command, sources, req.dest, req.workdir, await isDirIn(targetRoot, destPath));
    // Directories the copy has to create belong to --chown's owner, as moby's MkdirAllAndChownNew makes them.
    for (const { source, target } of targets) await makeParents(targetRoot, source.isDir ? target : posix.dirname(target), req.owner);
    // In source order: runs of plain sources go through one archive, each tar archive is unpacked on its own.
    for (let i = 0; i < targets.length; ) {
      const { source, target } = targets[i]!;
      if (source.archive) {
        await extractArchive(source.host, targetRoot, target).catch((err: unknown) => {
          throw new Error(`${req.command} failed: extracting ${source.rel}: ${messageOf(err)}`, { cause: err });
        });
        i++;
        continue;
      }
      let end = i;
      while (end < targets.length && !targets[end]!.source.archive) end++;
      await applyLayer(targetRoot, packLayer(packItems(targets.slice(i, end), req.mode, exclude)), { whiteouts: 'none', owner: req.owner });
      i = end;
    }
    return sources.length > 1 ? 'multi' : sources[0]?.isDir && !sources[0].archive ? 'dir' : 'file';
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

async function* packItems(targets: CopyTarget<SourceOnDisk>[], mode: number | undefined, exclude: DockerIgnore | undefined): AsyncGenerator<PackItem> {
  for (const { source, target } of targets) {
    const name = target.slice(1);
    if (!source.isDir) yield { kind: 'entry', name, path: source.host, st: withMode(await lstat(source.host), mode) };
    else for await (const e of pickedEntries(source, exclude)) yield { kind: 'entry', name: `${name}/${e.rel}`, path: e.path, st: withMode(e.st, mode) };
  }
}

/** --exclude's patterns as a matcher, refused as BuildKit's copier refuses them when one is malformed. */
export function excludeMatcher(select: Selection | undefined): DockerIgnore | undefined {
  const patterns = select?.exclude ?? [];
  if (patterns.length === 0) return undefined;
  try {
    return new DockerIgnore(patterns);
  } catch (err) {
    throw new Error(`invalid excludepatterns: [${patterns.join(' ')}]: ${messageOf(err)}`, { cause: err });
  }
}

/**
 * What a directory source copies below itself, in walk order (names sorted,
 * parents first). What `exclude` matches is left out, a directory with
 * everything in it unless an exception may keep something below; the
 * source itself is never excluded (BuildKit's copier matches only below
 * it). With `include` (--parents), only what the pattern or a parent of it
 * matches is kept, with the directories above it.
 */
export async function* pickedEntries(source: SourceOnDisk, exclude?: DockerIgnore): AsyncGenerator<Picked> {
  const pattern = source.include;
  const include = pattern ? new DockerIgnore([pattern]) : undefined;
  // Directories above what --parents keeps, written once something below them is.
  const waiting: Picked[] = [];
  async function* below(dir: string, rel: string, kept: boolean): AsyncGenerator<Picked> {
    for (const name of (await readdir(dir)).sort()) {
      const entry: Picked = { rel: rel ? `${rel}/${name}` : name, path: `${dir}/${name}`, st: await lstat(`${dir}/${name}`) };
      const isDir = entry.st.isDirectory();
      if (exclude?.matches(entry.rel) && !(isDir && exclude.shouldDescend(entry.rel))) continue;
      if (kept || !include || include.matches(entry.rel)) {
        yield* waiting.splice(0);
        yield entry;
        if (isDir) yield* below(entry.path, entry.rel, true);
      } else if (isDir && mayHold(pattern!, entry.rel)) {
        waiting.push(entry);
        yield* below(entry.path, entry.rel, false);
        if (waiting.at(-1) === entry) waiting.pop();
      }
    }
  }
  yield* below(source.host, '', false);
}

/** Whether something below directory `dir` could match `pattern`: each of its components matches the pattern's, until a `**`. */
function mayHold(pattern: string, dir: string): boolean {
  const wanted = pattern.split('/');
  const parts = dir.split('/');
  for (const [i, part] of parts.entries()) {
    const p = wanted[i];
    if (p === undefined) return false;
    if (p.includes('**')) return true;
    if (!matchesQuietly(p, part)) return false;
  }
  return true;
}

/** filepath.Match where a malformed pattern matches nothing, as moby's and BuildKit's walkers take it. */
function matchesQuietly(pattern: string, name: string): boolean {
  try {
    return matchPath(pattern, name);
  } catch (err) {
    if (err instanceof BadPattern) return false;
    throw err;
  }
}

/** A heredoc source as a file of its own (0644, BuildKit's Mkfile), named by the heredoc's base name. */
async function inlineSource(dir: string, index: number, doc: { name: string; data: string }): Promise<SourceOnDisk> {
  const base = doc.name.split('/').filter((p) => p !== '' && p !== '.' && p !== '..').at(-1) ?? 'heredoc';
  const host = join(dir, String(index), base);
  await mkdir(join(dir, String(index)));
  await writeFile(host, doc.data);
  await chmod(host, 0o644);
  return { rel: base, isDir: false, host };
}

/**
 * The paths one source names in `root`: itself, or what its wildcards
 * match. With --parents (BuildKit's), the source is a pattern below a pivot
 * (the part before a `/./`, else the root): the pivot is copied cut to what
 * the pattern selects, so each match keeps its path; without wildcards the
 * path must exist.
 */
export async function findSources(root: string, src: string, command: string, extract: boolean, select?: Selection): Promise<SourceOnDisk[]> {
  if (select?.parents) {
    const cut = src.indexOf('/./');
    const pivot = cut < 0 ? '/' : src.slice(0, cut);
    const include = cleanPath(`/${cut < 0 ? src : src.slice(cut + 3)}`).slice(1);
    if (!hasWildcard(pivot) && !hasWildcard(include)) await findSources(root, cut < 0 ? include : `${pivot}/${include}`, command, false);
    const pivots = await findSources(root, pivot, command, false);
    return pivots.map((p) => (p.isDir && include !== '' ? { ...p, include } : p));
  }
  const view = await viewOf({ root, mounts: [] });
  const rels = hasWildcard(src) ? await glob(root, src) : [src];
  const out: SourceOnDisk[] = [];
  for (const rel of rels) {
    try {
      const place = await resolveInContainer(view, rel, { followFinal: true });
      const st = await stat(place.host);
      const path = place.parts.join('/');
      // An archive lands in the destination itself, as a directory's contents do.
      if (extract && st.isFile() && (await isTarArchive(place.host))) out.push({ rel: path, isDir: true, host: place.host, archive: true });
      else out.push({ rel: path, isDir: st.isDirectory(), host: place.host });
    } catch (err) {
      if (err instanceof PathError || (err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new Error(`${command} failed: file not found in build context or excluded by .dockerignore: stat ${rel}: file does not exist`);
      }
      throw err;
    }
  }
  return out;
}

/**
 * The paths `pattern` matches, as moby's classic builder finds them: it
 * walks the root (never through a symlinked directory) and matches each
 * path with filepath.Match, so `*` stops at `/` and takes dotfiles; a
 * malformed pattern matches nothing. Matching component by component
 * prunes the walk to the pattern's depth.
 */
async function glob(root: string, pattern: string): Promise<string[]> {
  const parts = pattern.split('/').filter((p) => p !== '' && p !== '.');
  const found: string[] = [];
  const visit = async (dir: string, depth: number): Promise<void> => {
    const names = await readdir(dir ? `${root}/${dir}` : root).catch(() => [] as string[]);
    for (const name of names.sort()) {
      if (!matchesQuietly(parts[depth]!, name)) continue;
      const rel = dir ? `${dir}/${name}` : name;
      if (depth === parts.length - 1) found.push(rel);
      else if ((await lstat(`${root}/${rel}`)).isDirectory()) await visit(rel, depth + 1);
    }
  };
  if (parts.length > 0) await visit('', 0);
  return found;
}

/** --chmod replaces the permission bits and keeps the file type. */
function withMode(st: Stats, mode: number | undefined): Stats {
  if (mode === undefined || st.isSymbolicLink()) return st;
  return Object.assign(Object.create(Object.getPrototypeOf(st) as object) as Stats, st, { mode: (st.mode & ~0o7777) | mode });
}

/** Creates what is missing of absolute image path `dir`, each new directory 0755 and owned by `owner`. */
async function makeParents(root: string, dir: string, owner: { uid: number; gid: number }): Promise<void> {
  const parts = dir.split('/').filter((p) => p !== '');
  for (let i = 1; i <= parts.length; i++) {
    const place = await resolveInContainer(await viewOf({ root, mounts: [] }), `/${parts.slice(0, i).join('/')}`, { followFinal: true, lexicalMissing: true });
    try {
      await lstat(place.host);
    } catch {
      await mkdir(place.host, { mode: 0o755 });
      await chown(place.host, owner.uid, owner.gid);
    }
  }
}

async function isDirIn(root: string, path: string): Promise<boolean> {
  try {
    const place = await resolveInContainer(await viewOf({ root, mounts: [] }), path, { followFinal: true });
    return (await stat(place.host)).isDirectory();
  } catch {
    return false;
  }
}
