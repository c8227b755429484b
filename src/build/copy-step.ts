// COPY and ADD: sources found in a source root (the context, or a stage's or
// image's filesystem) are written into the step's filesystem. Each source
// path resolves chroot-style inside its root (`..` stops at the root, a
// symlink is followed only inside it), so nothing outside the context can
// be read; symlinks below a copied directory are copied as symlinks. The
// writing goes through the layer writer in plain-archive mode, which
// resolves every destination inside the step's root the same way.
import { lstat, readdir, stat } from 'node:fs/promises';
import { matchesGlob } from 'node:path';
import type { Stats } from 'node:fs';
import { applyLayer } from '../storage/layer-apply.ts';
import { packLayer, type PackItem } from '../storage/layer-pack.ts';
import { PathError, resolveInContainer, viewOf } from '../engine/container-path.ts';
import { copyTargets, destinationOf, hasWildcard, type CopySource } from './copy-plan.ts';

export interface CopyRequest {
  command: 'COPY' | 'ADD';
  /** Source paths as written (expanded), relative to `sourceRoot`. */
  sources: string[];
  dest: string;
  workdir: string | undefined;
  owner: { uid: number; gid: number };
  /** --chmod: the mode of everything copied. */
  mode?: number;
}

type SourceOnDisk = CopySource & { readonly host: string };

/** Copies into `targetRoot`; returns what the history names the content by (`file`, `dir` or `multi`). */
export async function copyFiles(sourceRoot: string, targetRoot: string, req: CopyRequest): Promise<string> {
  const sources: SourceOnDisk[] = [];
  for (const src of req.sources) sources.push(...(await findSources(sourceRoot, src, req.command)));
  if (sources.length === 0) throw new Error(`${req.command} failed: no source files were specified`);
  const destPath = destinationOf(req.dest, req.workdir).path;
  const targets = copyTargets(req.command, sources, req.dest, req.workdir, await isDirIn(targetRoot, destPath));
  const items = async function* (): AsyncGenerator<PackItem> {
    for (const { source, target } of targets) {
      const name = target.slice(1);
      if (source.isDir) yield* walk(source.host, name, req.mode);
      else yield { kind: 'entry', name, path: source.host, st: withMode(await lstat(source.host), req.mode) };
    }
  };
  await applyLayer(targetRoot, packLayer(items()), { whiteouts: 'none', owner: req.owner });
  return sources.length > 1 ? 'multi' : sources[0]?.isDir ? 'dir' : 'file';
}

/** The context paths one source names: itself, or what its wildcards match. */
async function findSources(root: string, src: string, command: string): Promise<SourceOnDisk[]> {
  const view = await viewOf({ root, mounts: [] });
  const rels = hasWildcard(src) ? await glob(root, src) : [src];
  const out: SourceOnDisk[] = [];
  for (const rel of rels) {
    try {
      const place = await resolveInContainer(view, rel, { followFinal: true });
      const st = await stat(place.host);
      out.push({ rel: place.parts.join('/'), isDir: st.isDirectory(), host: place.host });
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

async function isDirIn(root: string, path: string): Promise<boolean> {
  try {
    const place = await resolveInContainer(await viewOf({ root, mounts: [] }), path, { followFinal: true });
    return (await stat(place.host)).isDirectory();
  } catch {
    return false;
  }
}
