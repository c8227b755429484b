// The build context: the request body (a tar, maybe compressed, maybe cut
// short after its last file as the docker CLI sends it) extracted
// into a directory of its own under the data root with the layer writer in
// plain-archive mode, so no entry can land outside it. What .dockerignore
// excludes is deleted right after the Dockerfile is read, so no later step
// can copy it.
import { lstat, mkdir, readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { decompressStream } from '../storage/decompress.ts';
import { applyLayer } from '../storage/layer-apply.ts';
import { randomId } from '../util/ids.ts';
import { resolveInContainer, viewOf } from '../engine/container-path.ts';
import { DockerIgnore, cleanPath, ignoreFileFor } from './dockerignore.ts';

export interface BuildContext {
  readonly dir: string;
  readonly dockerfile: string;
  remove(): Promise<void>;
}

export async function openContext(tmpRoot: string, body: Readable, dockerfilePath: string): Promise<BuildContext> {
  const dir = join(tmpRoot, randomId());
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    await applyLayer(dir, Readable.from(completedTar(decompressStream(body))), { whiteouts: 'none', owner: { uid: 0, gid: 0 } });
    const name = cleanPath(dockerfilePath || 'Dockerfile');
    const dockerfile = await readInContext(dir, name).catch(() => {
      throw new Error(`Cannot locate specified Dockerfile: ${dockerfilePath || 'Dockerfile'}`);
    });
    const ignoreFile = ignoreFileFor(name, (p) => existsSync(join(dir, p)));
    if (ignoreFile) await removeIgnored(dir, DockerIgnore.parse(await readInContext(dir, ignoreFile)));
    return { dir, dockerfile, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

/**
 * The tar with its end made whole: the docker CLI's rewrite of a context
 * (with `-f` from outside it) stops after the last file's data, without the
 * padding and end-of-archive blocks, and moby reads it all the same. (A
 * last file cut short by its sender is zero-filled rather than refused.)
 */
async function* completedTar(tar: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let size = 0;
  for await (const chunk of tar) {
    size += chunk.length;
    yield chunk;
  }
  yield Buffer.alloc((512 - (size % 512)) % 512 + 1024);
}

/** A context file, symlinks followed only inside the context. */
async function readInContext(dir: string, rel: string): Promise<string> {
  const place = await resolveInContainer(await viewOf({ root: dir, mounts: [] }), rel, { followFinal: true });
  return readFile(place.host, 'utf8');
}

/** Deletes what the patterns exclude; an excluded directory is entered only when an exception may keep something below it. */
async function removeIgnored(dir: string, ignore: DockerIgnore, rel = ''): Promise<void> {
  for (const name of await readdir(join(dir, rel))) {
    const path = rel ? `${rel}/${name}` : name;
    const st = await lstat(join(dir, path));
    if (st.isDirectory()) {
      if (ignore.shouldDescend(path)) {
        await removeIgnored(dir, ignore, path);
        if (ignore.matches(path)) await rmdir(join(dir, path)).catch(() => {});
      } else {
        await rm(join(dir, path), { recursive: true, force: true });
      }
    } else if (ignore.matches(path)) {
      await rm(join(dir, path), { force: true });
    }
  }
}
