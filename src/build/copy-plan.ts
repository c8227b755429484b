// COPY/ADD's destination rules (moby's classic builder): a relative
// destination is under WORKDIR; a trailing `/`, several sources or an
// existing directory make it a directory that files go into by their
// base name; a directory source contributes its contents, not itself.
import { posix } from 'node:path';
import { workdirOf } from './image-config.ts';

export interface CopySource {
  /** Path in the source root, `/`-separated, no leading `/`. */
  readonly rel: string;
  readonly isDir: boolean;
}

export interface CopyTarget<S extends CopySource = CopySource> {
  readonly source: S;
  /** Absolute path in the image: the file itself, or the directory the source's contents go into. */
  readonly target: string;
}

/**
 * The destination's absolute path, and whether it names a directory: as
 * moby's normalizeDest, only a trailing `/` does (`.` is a directory only
 * when it resolves to `/`), so `COPY a b .` under a WORKDIR is refused.
 */
export function destinationOf(dest: string, workdir: string | undefined): { path: string; isDir: boolean } {
  const path = workdirOf(workdir, dest);
  return { path, isDir: dest.endsWith('/') || path === '/' };
}

/**
 * Where each source lands. `destExistsAsDir` is whether the destination
 * already is a directory in the image being built.
 */
export function copyTargets<S extends CopySource>(command: string, sources: readonly S[], dest: string, workdir: string | undefined, destExistsAsDir: boolean): CopyTarget<S>[] {
  const d = destinationOf(dest, workdir);
  if (sources.length > 1 && !d.isDir) {
    throw new Error(`When using ${command} with more than one source file, the destination must be a directory and end with a /`);
  }
  const intoDir = d.isDir || destExistsAsDir;
  return sources.map((source) => ({
    source,
    target: source.isDir || !intoDir ? d.path : posix.join(d.path, posix.basename(source.rel)),
  }));
}

/** Whether a source names several files through filepath.Match's wildcards. */
export function hasWildcard(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    if (path[i] === '\\') i++;
    else if (path[i] === '*' || path[i] === '?' || path[i] === '[') return true;
  }
  return false;
}
