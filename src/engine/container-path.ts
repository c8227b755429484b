// Paths inside a container as the container itself sees them, turned into
// host paths for operations done from outside (cp, stat). The walk is
// chroot-style: `..` stops at `/`, an absolute symlink target starts again at
// the container's root, and entering a mount's destination continues in the
// mount's host source. Every host path this returns is the root or a mount
// source with clean, existing-or-lexical components appended, so nothing the
// container's files say can name a host path outside those.
//
// The answer is only as fresh as the lstat calls that made it: a running
// container can swap a checked directory for a symlink afterwards. Callers
// that act on the result open it pinned (container-walk.ts) instead of
// trusting the string.
import { lstat, readlink, realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { MountPoint } from './types.ts';

/** A container's root and mounts, as withFs gives them. */
export interface FsView {
  root: string;
  mounts: readonly MountPoint[];
}

/** A mount placed in the view: its destination resolved as the runtime resolved it when mounting. */
export interface ViewMount {
  mount: MountPoint;
  at: string[];
  /** The source with host symlinks resolved, what /proc/self/fd shows for files below it. */
  realSource: string;
}

/** A container's filesystem with its mounts placed; mounts deepest first. */
export interface View {
  root: string;
  realRoot: string;
  mounts: ViewMount[];
}

/** Where a container path lives on the host. */
export interface Placement {
  host: string;
  /** The same place as /proc/self/fd names it (host symlinks in the root or source resolved). */
  real: string;
  /** The mount it is in; undefined: the root filesystem. */
  mount?: MountPoint;
  /** The path is the mount point itself. */
  mountRoot: boolean;
}

export interface ResolvedPath extends Placement {
  /** Clean absolute path in the container, symlinks resolved. */
  path: string;
  parts: string[];
}

export interface ResolveOptions {
  /** Follow a symlink in the last component too (docker's EvalSymlinks, FollowSymlinkInScope). */
  followFinal?: boolean;
  /** Carry on lexically past a missing component instead of failing (FollowSymlinkInScope's "as far as it exists"). */
  lexicalMissing?: boolean;
}

export type PathErrorCode = 'ENOENT' | 'ENOTDIR' | 'ELOOP';

/** A path that does not resolve; `code` as the kernel would have said it. */
export class PathError extends Error {
  readonly code: PathErrorCode;
  constructor(code: PathErrorCode, path: string) {
    super(`${path}: ${PATH_ERRORS[code]}`);
    this.code = code;
  }
}

const PATH_ERRORS: Record<PathErrorCode, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
};

const MAX_SYMLINKS = 40;

/** The components of `path`, without empty and `.` ones (`..` kept). */
export function components(path: string): string[] {
  return path.split('/').filter((p) => p !== '' && p !== '.');
}

/** Whether `path` asks for a directory (a trailing `/` or `/.`), which also makes a final symlink count as its target. */
export function wantsDir(path: string): boolean {
  return path.endsWith('/') || path === '.' || path.endsWith('/.');
}

/**
 * Places `fs`'s mounts the way the runtime mounted them: shallowest first,
 * each destination resolved inside what was mounted before it.
 */
export async function viewOf(fs: FsView): Promise<View> {
  const view: View = { root: fs.root, realRoot: await realpath(fs.root), mounts: [] };
  const byDepth = [...fs.mounts].sort((a, b) => components(a.Destination).length - components(b.Destination).length);
  for (const mount of byDepth) {
    const { parts } = await resolveInContainer(view, mount.Destination, { followFinal: true, lexicalMissing: true });
    view.mounts.push({ mount, at: parts, realSource: await realpath(mount.Source) });
    // Deepest first; among equals the later mount, which lies on top.
    view.mounts.sort((a, b) => b.at.length - a.at.length);
  }
  return view;
}

/** The host place of resolved container components `parts` (lexical: no lookups). */
export function locate(view: View, parts: readonly string[]): Placement {
  for (const m of view.mounts) {
    if (m.at.length > parts.length || !m.at.every((p, i) => parts[i] === p)) continue;
    const rest = parts.slice(m.at.length);
    return { host: joinHost(m.mount.Source, rest), real: joinHost(m.realSource, rest), mount: m.mount, mountRoot: rest.length === 0 };
  }
  return { host: joinHost(view.root, parts), real: joinHost(view.realRoot, parts), mountRoot: false };
}

function joinHost(base: string, rest: readonly string[]): string {
  return rest.length === 0 ? base : `${base.replace(/\/+$/, '')}/${rest.join('/')}`;
}

/**
 * Resolves container path `path` (relative paths count from `/`). The last
 * component is not followed unless asked or `path` ends in `/` or `/.`, as
 * lstat(2) would; a missing component or a file used as a directory fails
 * unless `lexicalMissing`.
 */
export async function resolveInContainer(view: View, path: string, opts: ResolveOptions = {}): Promise<ResolvedPath> {
  const dirOnly = wantsDir(path);
  const todo = components(path).reverse();
  const out: string[] = [];
  let missing = false;
  let hops = 0;
  // Where the walk stands is a directory unless the last component placed says otherwise.
  let atDir = true;
  while (todo.length > 0) {
    const part = todo.pop()!;
    if (part === '..') {
      // Everything in `out` is a real directory (or lexical past a missing
      // one), so its lexical parent is its real parent; at `/`, `..` is `/`.
      out.pop();
      missing = false;
      atDir = true;
      continue;
    }
    out.push(part);
    if (missing) continue;
    const final = todo.length === 0;
    const st = await statPlace(locate(view, out));
    if (st === undefined || (!final && !st.isDirectory() && !st.isSymbolicLink())) {
      if (!opts.lexicalMissing) throw new PathError(st === undefined ? 'ENOENT' : 'ENOTDIR', path);
      missing = true;
      continue;
    }
    if (st.isSymbolicLink() && (!final || opts.followFinal || dirOnly)) {
      if (++hops > MAX_SYMLINKS) throw new PathError('ELOOP', path);
      const target = await readlink(locate(view, out).host);
      out.pop();
      if (target.startsWith('/')) out.length = 0;
      todo.push(...components(target).reverse());
      atDir = true;
      continue;
    }
    atDir = st.isDirectory();
  }
  if (dirOnly && !atDir && !opts.lexicalMissing) throw new PathError('ENOTDIR', path);
  return { path: `/${out.join('/')}`, parts: out, ...locate(view, out) };
}

/** lstat, except at a mount point, where the source is what the runtime mounted (host symlinks followed). */
async function statPlace(place: Placement): Promise<Stats | undefined> {
  try {
    return await (place.mountRoot ? stat(place.host) : lstat(place.host));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}
