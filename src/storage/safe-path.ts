// Path logic for writing a tar into a directory as if that directory were
// the whole filesystem. Pure (filesystem state comes in through `lookup`) so
// every escape route can be tested as a table.
//
// Entry names are cleaned lexically and refused if `..` climbs above the
// root. Symlinks met on the way to an entry are followed chroot-style: an
// absolute target restarts at the root and `..` stops there, so nothing a
// layer contains can name a place outside. The last component is never
// followed: the caller replaces whatever is there.

/** A path component as lstat sees it. */
export type PathNode =
  | { kind: 'dir' }
  | { kind: 'missing' }
  | { kind: 'symlink'; target: string }
  | { kind: 'other' };

/** The directory an entry goes into: `parts` from the root, of which the first `existing` are real directories. */
export interface ResolvedDir {
  parts: string[];
  existing: number;
}

const MAX_SYMLINK_HOPS = 40;

/** Splits a tar entry name into root-relative components ([] is the root itself). */
export function cleanEntryPath(name: string): string[] {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) throw new Error(`tar entry ${JSON.stringify(name)} points outside the layer root`);
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  return parts;
}

/**
 * Resolves directory components `dir` inside the root. `lookup` gets a
 * '/'-joined root-relative path of components already known to be real
 * directories, plus one more.
 */
export function resolveDir(dir: readonly string[], lookup: (rel: string) => PathNode): ResolvedDir {
  const out: string[] = [];
  const todo = [...dir].reverse();
  let known = 0; // out[0..known) are real directories; below a missing one nothing exists
  let hops = 0;
  while (todo.length > 0) {
    const part = todo.pop()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      // Every element of `out` is a real directory (or one to be created), so
      // its lexical parent is its real parent; at the root, '..' is the root.
      out.pop();
      known = Math.min(known, out.length);
      continue;
    }
    const node: PathNode = known === out.length ? lookup([...out, part].join('/')) : { kind: 'missing' };
    if (node.kind === 'symlink') {
      if (++hops > MAX_SYMLINK_HOPS) throw new Error(`too many levels of symbolic links resolving ${dir.join('/')}`);
      if (node.target.startsWith('/')) {
        out.length = 0;
        known = 0;
      }
      todo.push(...node.target.split('/').reverse());
      continue;
    }
    if (node.kind === 'other') throw new Error(`${[...out, part].join('/')} is not a directory`);
    out.push(part);
    if (node.kind === 'dir') known = out.length;
  }
  return { parts: out, existing: known };
}
