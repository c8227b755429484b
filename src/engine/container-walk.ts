// Reaching a container's files from outside without trusting path strings
// that a running container can change under us: a directory checked now may
// be a symlink to / a moment later, and the host kernel would follow it. So
// every directory is held open by descriptor (O_PATH) and what lies in it is
// named as /proc/self/fd/<fd>/<name>: one component below a pinned
// directory, which no rename or symlink swap can redirect, and which lstat,
// readlink and O_NOFOLLOW never follow.
// The container's root and its mount sources are berth's own paths (a
// container cannot rename its root or a mount point) and are used as they are.
import { closeSync, constants, openSync, readlinkSync } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import type { PackItem } from '../storage/layer-pack.ts';
import { locate, type View } from './container-path.ts';

// Linux's O_PATH, which Node does not export: pins an inode without opening it for I/O.
const O_PATH = 0o10000000;
const PIN_FLAGS = O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** A directory to work in; `path` stays valid (and pointing at the same directory) until release. */
export interface Pinned {
  path: string;
  release(): void;
}

/**
 * Pins the directory at resolved container components `parts`: opened
 * without following its last component, then checked through
 * /proc/self/fd to be the very directory the resolution named, so a swap
 * made between resolving and opening is refused rather than followed.
 */
export function pinDir(view: View, parts: readonly string[]): Pinned {
  const place = locate(view, parts);
  if (parts.length === 0 || place.mountRoot) return { path: place.host, release: () => {} };
  const fd = openSync(place.host, PIN_FLAGS);
  if (readlinkSync(`/proc/self/fd/${fd}`) !== place.real) {
    closeSync(fd);
    throw new Error(`/${parts.join('/')} changed while it was being resolved`);
  }
  return fdPath(fd);
}

/** An entry to read: `trusted` for the root or a mount point, berth's own paths, which are followed where they are symlinks. */
export interface Entry extends Pinned {
  trusted: boolean;
}

/** What is at resolved `parts`, named below a pinned parent (so its last component is never followed). */
export function openEntry(view: View, parts: readonly string[]): Entry {
  const place = locate(view, parts);
  if (parts.length === 0 || place.mountRoot) return { path: place.host, trusted: true, release: () => {} };
  const parent = pinDir(view, parts.slice(0, -1));
  return { path: `${parent.path}/${parts.at(-1)!}`, trusted: false, release: parent.release };
}

/**
 * Tar items for the entry at resolved `parts` and everything below it,
 * crossing into mounts as the container would. `name` is the entry's tar
 * name ('' for `/`, whose children then start with `/`); null leaves the
 * entry itself out and names its children from the top (docker export).
 */
export async function* walkContainer(view: View, parts: readonly string[], name: string | null): AsyncGenerator<PackItem> {
  const start = openEntry(view, parts);
  try {
    const st = await (start.trusted ? stat : lstat)(start.path);
    if (name !== null) yield { kind: 'entry', name, path: start.path, st };
    if (st.isDirectory()) yield* inDir(view, parts, start.path, name === null ? '' : `${name}/`, start.trusted);
  } finally {
    start.release();
  }
}

/** The directory at `path` (one component below a pinned one, or trusted), pinned for as long as its children are walked. */
async function* inDir(view: View, parts: readonly string[], path: string, prefix: string, isTrusted: boolean): AsyncGenerator<PackItem> {
  const dir = isTrusted ? { path, release: () => {} } : fdPath(openSync(path, PIN_FLAGS));
  try {
    for (const child of await childrenOf(view, parts, dir.path)) {
      const childParts = [...parts, child];
      const { mountRoot, host } = locate(view, childParts);
      const childPath = mountRoot ? host : `${dir.path}/${child}`;
      // The container may delete what it was listed with; docker skips those too.
      const st = await (mountRoot ? stat : lstat)(childPath).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw err;
      });
      if (st === undefined) continue;
      yield { kind: 'entry', name: prefix + child, path: childPath, st };
      if (st.isDirectory()) yield* inDir(view, childParts, childPath, `${prefix}${child}/`, mountRoot);
    }
  } finally {
    dir.release();
  }
}

/**
 * A directory's entries, sorted, with the mount points right below it that
 * the runtime has not made in the root yet (a container never started):
 * the container sees them all the same.
 */
async function childrenOf(view: View, parts: readonly string[], path: string): Promise<string[]> {
  const names = new Set(await readdir(path));
  for (const m of view.mounts) {
    if (m.at.length === parts.length + 1 && parts.every((p, i) => m.at[i] === p)) names.add(m.at.at(-1)!);
  }
  return [...names].sort();
}

function fdPath(fd: number): Pinned {
  return { path: `/proc/self/fd/${fd}`, release: () => closeSync(fd) };
}
