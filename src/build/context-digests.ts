// What a step's key knows of context files: per path, a digest of its
// mode, owner, link target and content, for the files COPY/ADD select and
// those RUN --mount binds.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { fileDigest } from './cache-key.ts';
import { excludeMatcher, findSources, pickedEntries, type Selection } from './copy-step.ts';
import { resolveInContainer, viewOf } from '../engine/container-path.ts';

/**
 * The digests of what COPY/ADD sources select in the context (after
 * .dockerignore, which removed the ignored files when it was unpacked, and
 * --exclude and --parents, cut as the copy cuts them): per path, its mode,
 * owner, link target and content. A source that does not exist fails as
 * the copy itself would.
 */
export async function contextDigests(contextDir: string, sources: readonly string[], command: 'COPY' | 'ADD', select?: Selection): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const exclude = excludeMatcher(select);
  for (const src of sources) {
    for (const s of await findSources(contextDir, src, command, command === 'ADD', select)) {
      out[s.rel || '.'] = await digestOf(s.host, await stat(s.host));
      if (!s.isDir || s.archive) continue;
      for await (const e of pickedEntries(s, exclude)) out[s.rel ? `${s.rel}/${e.rel}` : e.rel] = await digestOf(e.path, e.st);
    }
  }
  return out;
}

/**
 * The digests of what RUN --mount binds of the context (`sources`: clean
 * absolute paths in it, no wildcards), the same way, so a changed file
 * re-runs the step. A source that is not there fails as BuildKit does.
 */
export async function mountDigests(contextDir: string, sources: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const view = await viewOf({ root: contextDir, mounts: [] });
  for (const src of sources) {
    const place = await resolveInContainer(view, src, { followFinal: true }).catch(() => {
      throw new Error(`failed to compute cache key: "${src}": not found`);
    });
    await addDigests(out, place.host, place.parts.join('/'), true);
  }
  return out;
}

/** Adds the digest of `host` (named `name`, '' for the root) and of everything below it. */
async function addDigests(out: Record<string, string>, host: string, name: string, follow: boolean): Promise<void> {
  const st = follow ? await stat(host) : await lstat(host);
  out[name || '.'] = await digestOf(host, st);
  if (st.isDirectory()) for (const child of (await readdir(host)).sort()) await addDigests(out, `${host}/${child}`, name ? `${name}/${child}` : child, false);
}

/** One path's digest: its mode, owner and link target or content. */
async function digestOf(path: string, st: Stats): Promise<string> {
  const meta = { mode: st.mode, uid: st.uid, gid: st.gid };
  if (st.isSymbolicLink()) return fileDigest({ ...meta, link: await readlink(path) });
  if (st.isFile()) return fileDigest({ ...meta, content: await contentDigest(path) });
  return fileDigest(meta);
}

async function contentDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
