// Walking snapshot trees in a stable order, so tars and change lists come
// out the same every time for the same files.
import { lstat, readdir } from 'node:fs/promises';
import type { Stats } from 'node:fs';

/** `dir`'s entries, sorted by name. */
export async function sortedNames(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

/** Every entry below `dir`, parents before children, with root-relative names. */
export async function* walkTree(dir: string, rel = ''): AsyncGenerator<{ rel: string; path: string; st: Stats }> {
  for (const name of await sortedNames(dir)) {
    const path = `${dir}/${name}`;
    const childRel = rel === '' ? name : `${rel}/${name}`;
    const st = await lstat(path);
    yield { rel: childRel, path, st };
    if (st.isDirectory()) yield* walkTree(path, childRel);
  }
}

/**
 * Bytes of file content below `dir`, each hardlinked inode once: the
 * apparent size Docker reports as SizeRw and image size, not allocated blocks.
 */
export async function treeSize(dir: string): Promise<number> {
  let total = 0;
  const seen = new Set<string>();
  for await (const { st } of walkTree(dir)) {
    if (st.isDirectory()) continue;
    if (st.nlink > 1) {
      const inode = `${st.dev}:${st.ino}`;
      if (seen.has(inode)) continue;
      seen.add(inode);
    }
    total += st.size;
  }
  return total;
}
