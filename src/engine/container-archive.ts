// docker cp and docker export: a container's files read and written from
// outside, as the container sees them (its root, its volumes and binds, its
// identity files), with docker's names, statuses and messages.
//
// What is guaranteed, whatever the container holds or does meanwhile:
// paths resolve inside the container's view only (container-path.ts);
// reading goes through pinned directories (container-walk.ts), so a
// symlink swapped in mid-walk is never followed on the host; a write's
// destination directory is pinned and checked before anything is written,
// and the tar is extracted below it by the layer writer, which resolves
// every entry chroot-style inside that destination and never follows a
// final component. While extracting, a running container is frozen (as
// podman does), so its processes cannot swap a directory the writer has
// checked. Not covered: another container sharing a volume, or a host
// process, racing inside that volume during an extraction.
import { existsSync, statSync } from 'node:fs';
import { lstat, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { applyLayer, type ApplyOptions, type Location } from '../storage/layer-apply.ts';
import { packLayer } from '../storage/layer-pack.ts';
import { resolveUser } from '../runtime/user.ts';
import { ApiError, badRequest, notFound } from '../util/errors.ts';
import type { Container } from './container.ts';
import type { ContainerFs } from './container-fs.ts';
import { PathError, locate, resolveInContainer, viewOf, type FsView, type ResolvedPath, type View } from './container-path.ts';
import { openEntry, pinDir, walkContainer, type Pinned } from './container-walk.ts';
import { archiveName, pathStat, type PathStat } from './path-stat.ts';
import { IDENTITY_FILES, readInRoot } from './rootfs-setup.ts';
import type { Engine } from './engine.ts';
import { containerAttrs, freeze } from './outside.ts';
import type { MountPoint } from './types.ts';

export interface ExtractOptions {
  /** docker cp -a: entries owned by the container's user (when it has one) instead of the archive's owners. */
  copyUIDGID: boolean;
  noOverwriteDirNonDir: boolean;
}

/** HEAD /containers/{id}/archive: what is at `path`, its last component not followed. */
export function statPath(engine: Engine, ref: string, path: string): Promise<PathStat> {
  return engine.withFs(ref, async (fs, c) => {
    const view = await viewOf(withIdentityFiles(fs, c));
    return (await statIn(view, ref, path)).info;
  });
}

/**
 * GET /containers/{id}/archive: `send` gets the stat and a tar of `path`
 * (a directory with everything below it under the directory's name, or
 * `name/.`'s contents under `.`), and is awaited while the files stay reachable.
 */
export async function archivePath(engine: Engine, ref: string, path: string, send: (stat: PathStat, tar: Readable) => Promise<void>): Promise<void> {
  await engine.withFs(ref, async (fs, c) => {
    const view = await viewOf(withIdentityFiles(fs, c));
    const { info, parts } = await statIn(view, ref, path);
    emit(engine, c, 'archive-path');
    await send(info, packLayer(walkContainer(view, parts, info.name === '/' ? '' : info.name)));
  });
}

/** PUT /containers/{id}/archive: extracts the tar `input` into directory `path`. */
export async function extractInto(engine: Engine, ref: string, path: string, input: Readable, opts: ExtractOptions): Promise<void> {
  await engine.withFs(ref, async (fs, c) => {
    const view = await viewOf(withIdentityFiles(fs, c));
    const dest = await resolved(view, ref, path, true);
    const pinned = pinDest(view, dest);
    try {
      if (dest.mount && !dest.mount.RW) throw badRequest('mounted volume is marked read-only');
      if (!dest.mount && c.record.HostConfig.ReadonlyRootfs) throw badRequest('container rootfs is marked read-only');
      const owner = opts.copyUIDGID && c.record.Config.User ? await containerUser(view, c.record.Config.User) : undefined;
      await extract(engine, c, input, pinned.path, {
        whiteouts: 'none', owner, noOverwriteDirNonDir: opts.noOverwriteDirNonDir, locate: below(view, dest, pinned.path),
      });
    } finally {
      pinned.release();
    }
    emit(engine, c, 'extract-to-dir');
  });
}

/** The extraction point, pinned; docker's 400 when it is not a directory. */
function pinDest(view: View, dest: ResolvedPath): Pinned {
  let pinned: Pinned;
  try {
    pinned = pinDir(view, dest.parts);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') throw badRequest('extraction point is not a directory');
    throw err;
  }
  // A mount point is not opened by pinDir: a file mounted there is no directory either.
  if (dest.mountRoot && !statSync(pinned.path).isDirectory()) throw badRequest('extraction point is not a directory');
  return pinned;
}

/** Extracts with the container frozen, so its processes cannot swap what the writer has checked. */
async function extract(engine: Engine, c: Container, input: Readable, root: string, opts: ApplyOptions): Promise<void> {
  const thaw = await freeze(engine, c);
  try {
    await applyLayer(root, input, opts);
  } catch (err) {
    throw new ApiError(500, `Error processing tar file: ${(err as Error).message}`);
  } finally {
    await thaw?.();
  }
}

/** GET /containers/{id}/export: the whole root filesystem, without the mounts, as docker export writes it. */
export async function exportRootfs(engine: Engine, ref: string, send: (tar: Readable) => Promise<void>): Promise<void> {
  await engine.withFs(ref, async (fs, c) => {
    const view = await viewOf({ root: fs.root, mounts: [] });
    emit(engine, c, 'export');
    await send(packLayer(walkContainer(view, [], null)));
  });
}

function emit(engine: Engine, c: Container, action: string): void {
  engine.events.emit('container', action, c.id, containerAttrs(c));
}

/**
 * The view docker's cp has: the container's mounts plus its identity files
 * (/etc/hosts and the like, once written by a start), unless a mount of the
 * user's already covers them.
 */
function withIdentityFiles(fs: ContainerFs, c: Container): FsView {
  const taken = new Set(fs.mounts.map((m) => m.Destination));
  const identity: MountPoint[] = IDENTITY_FILES
    .map((name) => ({ name, source: join(c.dataDir, name) }))
    .filter(({ name, source }) => !taken.has(`/etc/${name}`) && existsSync(source))
    .map(({ name, source }) => ({ Type: 'bind', Source: source, Destination: `/etc/${name}`, Mode: '', RW: !c.record.HostConfig.ReadonlyRootfs, Propagation: '' }));
  return { root: fs.root, mounts: [...fs.mounts, ...identity] };
}

async function statIn(view: View, ref: string, path: string): Promise<{ info: PathStat; parts: string[] }> {
  const target = await resolved(view, ref, path, false);
  try {
    const entry = openEntry(view, target.parts);
    try {
      const st = await (entry.trusted ? stat : lstat)(entry.path, { bigint: true });
      // A symlink's target as the container would reach it, as far as it exists.
      const linkTarget = st.isSymbolicLink() ? (await resolveInContainer(view, path, { followFinal: true, lexicalMissing: true })).path : '';
      return { info: pathStat(archiveName(path), st, linkTarget), parts: target.parts };
    } finally {
      entry.release();
    }
  } catch (err) {
    throw fileError(err, ref, path);
  }
}

async function resolved(view: View, ref: string, path: string, followFinal: boolean): Promise<ResolvedPath> {
  try {
    return await resolveInContainer(view, path, { followFinal });
  } catch (err) {
    throw fileError(err, ref, path);
  }
}

/** docker's answers for a path that does not resolve: 404 for a missing file, 500 with lstat's words otherwise. */
function fileError(err: unknown, ref: string, path: string): unknown {
  const code = (err as { code?: unknown }).code;
  if (code === 'ENOENT') return notFound(`Could not find the file ${path} in container ${ref}`);
  if (code === 'ENOTDIR' || code === 'ELOOP') return new ApiError(500, `lstat ${new PathError(code, path).message}`);
  return err;
}

/** Where entries below destination `dest` go: under the pinned destination, or in a mount deeper down. */
function below(view: View, dest: ResolvedPath, pinned: string): (rel: string) => Location {
  return (rel) => {
    if (rel === '') return { path: pinned };
    const place = locate(view, [...dest.parts, ...rel.split('/')]);
    if (place.mount === dest.mount) return { path: `${pinned}/${rel}` };
    return { path: place.host, readonly: !place.mount!.RW, mountRoot: place.mountRoot };
  };
}

/** `docker cp -a`'s owner: the container's configured user, looked up in its own passwd and group files. */
async function containerUser(view: View, user: string): Promise<{ uid: number; gid: number }> {
  const passwd = await readInRoot(view.root, '/etc/passwd');
  const group = await readInRoot(view.root, '/etc/group');
  try {
    const { uid, gid } = resolveUser(user, passwd, group);
    return { uid, gid };
  } catch (err) {
    throw new ApiError(500, (err as Error).message);
  }
}
