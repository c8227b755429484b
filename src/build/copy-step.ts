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
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, matchesGlob, posix } from 'node:path';
import type { Stats } from 'node:fs';
import { applyLayer } from '../storage/layer-apply.ts';
import { messageOf } from '../util/errors.ts';
import { extractArchive, isTarArchive } from './add-archive.ts';
import { packLayer, type PackItem } from '../storage/layer-pack.ts';
import { PathError, resolveInContainer, viewOf } from '../engine/container-path.ts';
import { copyTargets, destinationOf, hasWildcard, type CopySource, type CopyTarget } from './copy-plan.ts';

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
}

type SourceOnDisk = CopySource & { readonly host: string; readonly archive?: boolean };

/** Copies into `targetRoot`; returns what the history names the content by (`file`, `dir` or `multi`). */
export async function copyFiles(sourceRoot: string, targetRoot: string, req: CopyRequest): Promise<string> {
  const inline = req.inline ?? [];
  const scratch = inline.length > 0 ? await mkdtemp(join(tmpdir(), 'berth-heredoc-')) : undefined;
  try {
    const sources: SourceOnDisk[] = [];
    for (const src of req.sources) sources.push(...(await findSources(sourceRoot, src, req.command, req.extract ?? req.command === 'ADD')));
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
      await applyLayer(targetRoot, packLayer(packItems(targets.slice(i, end), req.mode)), { whiteouts: 'none', owner: req.owner });
      i = end;
    }
    return sources.length > 1 ? 'multi' : sources[0]?.isDir && !sources[0].archive ? 'dir' : 'file';
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

async function* packItems(targets: CopyTarget<SourceOnDisk>[], mode: number | undefined): AsyncGenerator<PackItem> {
  for (const { source, target } of targets) {
    const name = target.slice(1);
    if (source.isDir) yield* walk(source.host, name, mode);
    else yield { kind: 'entry', name, path: source.host, st: withMode(await lstat(source.host), mode) };
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

/** The context paths one source names: itself, or what its wildcards match. */
export async function findSources(root: string, src: string, command: string, extract: boolean): Promise<SourceOnDisk[]> {
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

/** filepath.Match against every path of the same depth, which is what moby's classic builder does. */
async function glob(root: string, pattern: string): Promise<string[]> {
  const parts = pattern.split('/').filter((p) => p !== '' && p !== '.');
  let found = [''];
  for (const part of parts) {
    const next: string[] = [];
    for (const dir of found) {
      const names = await readdir(`${root}/${dir}`).catch(() => [] as string[]);
      for (const name of names) if (matchesGlob(name, part)) next.push(dir ? `${dir}/${name}` : name);
    }
    found = next;
  }
  return found.sort();
}

async function* walk(dir: string, name: string, mode: number | undefined): AsyncGenerator<PackItem> {
  for (const entry of (await readdir(dir)).sort()) {
    const path = `${dir}/${entry}`;
    const st = await lstat(path);
    yield { kind: 'entry', name: `${name}/${entry}`, path, st: withMode(st, mode) };
    if (st.isDirectory()) yield* walk(path, `${name}/${entry}`, mode);
  }
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
