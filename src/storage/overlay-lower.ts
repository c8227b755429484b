// Looking paths up in a stack of overlay layer directories the way
// overlayfs's merged view would, without mounting it: the top layer wins, a
// whiteout or a non-directory hides what is below it, an opaque directory
// hides lower layers' contents below it. Symlinks are never followed.
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { isOpaqueDir, isWhiteoutDevice } from './whiteout.ts';

export interface LowerEntry {
  path: string;
  st: Stats;
}

/** The layers' entries at root-relative `rel`, top first, as far down as they merge. */
function* visibleAt(layers: readonly string[], rel: string): Generator<LowerEntry> {
  const parts = rel === '' ? [] : rel.split('/');
  for (const layer of layers) {
    let path = layer;
    let st: Stats | undefined = parts.length === 0 ? lstatSync(layer) : undefined;
    let lastLayer = false;
    for (let i = 0; i < parts.length; i++) {
      if (i > 0) {
        if (!st!.isDirectory()) return;
        if (isOpaqueDir(path)) lastLayer = true;
      }
      path += '/' + parts[i];
      st = lstatSync(path, { throwIfNoEntry: false });
      if (st === undefined) break;
      if (isWhiteoutDevice(st)) return;
    }
    if (st !== undefined) {
      yield { path, st };
      if (!st.isDirectory() || isOpaqueDir(path)) return;
    }
    if (lastLayer) return;
  }
}

/** What the merged view of `layers` shows at `rel`, or null. */
export function lookupLower(layers: readonly string[], rel: string): LowerEntry | null {
  for (const entry of visibleAt(layers, rel)) return entry;
  return null;
}

/** The names the merged view of `layers` lists in directory `rel`. */
export function lowerNames(layers: readonly string[], rel: string): string[] {
  const seen = new Set<string>();
  const names: string[] = [];
  for (const { path, st } of visibleAt(layers, rel)) {
    if (!st.isDirectory()) break;
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (seen.has(entry.name)) continue;
      seen.add(entry.name);
      if (!entry.isCharacterDevice() || !isWhiteoutDevice(lstatSync(`${path}/${entry.name}`))) names.push(entry.name);
    }
  }
  return names;
}
