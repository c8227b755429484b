// RUN: the command runs in a container of the engine made from the current
// image, with the build's resources, ulimits, /dev/shm size and extra
// hosts; its output goes into the build's progress as it is written, and
// its writable layer (without what the runtime put there on its own) is the
// step's layer. As moby's rm/forcerm: the container is removed after a step
// that succeeded unless rm=0, and after one that failed only with forcerm,
// so a failure can be looked into. A heredoc script
// (`RUN <<EOF` with a `#!` line) is a file under the data root bind-mounted
// read-only at /dev/pipes/<name>, on /dev's tmpfs, so it never reaches the layer.
//
// RUN --mount (planned in run-mounts.ts) becomes the container's mounts:
// a bind of the context (read-only, or a copy whose writes are dropped), of
// a stage's or image's root (a build filesystem opened for the step, its
// writes dropped with it), a cache directory (cache.ts CacheMounts), a
// tmpfs, or a secret written under the exec root for the step only. Every
// source resolves inside its root as COPY's do. The mount points the
// runtime had to make are left out of the layer, and everything made for
// the step is released once the container is gone.
import { chmod, chown, lstat, mkdir, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Engine } from '../engine/engine.ts';
import { PathError, resolveInContainer, viewOf, type View } from '../engine/container-path.ts';
import { pinDir } from '../engine/container-walk.ts';
import { readLog } from '../engine/log-reader.ts';
import { isRuntimePath } from '../engine/runtime-paths.ts';
import type { ContainerDefaults } from '../image/types.ts';
import { copyTree } from '../storage/copy.ts';
import { MNT_DETACH, MS_BIND, mount, umount2 } from '../storage/native.ts';
import { randomId } from '../util/ids.ts';
import { BuildFs } from './build-fs.ts';
import type { RemovePolicy, RunHostConfig } from './build-params.ts';
import type { CacheMounts } from './cache-mounts.ts';
import { PIPES_DIR, type InlineFile } from './heredoc.ts';
import { cacheDirName, mountPointsToMake, unusedMountPoints, type Found, type StepMount } from './run-mounts.ts';

/** A RUN --mount with the image its `from=` names (null: an empty stage). */
export interface RunMountRequest {
  mount: StepMount;
  fromImage?: string | null;
}

/** Where mounts come from. */
export interface MountSources {
  contextDir: string;
  /** Where stage and image roots are mounted for the step. */
  mountDir: string;
  /** Scratch space under the data root (copies for rw binds of the context). */
  tmpDir: string;
  /** The build's secrets by id. */
  secrets: ReadonlyMap<string, Buffer>;
  cacheMounts: CacheMounts;
}

export interface RunRequest {
  imageId: string;
  config: ContainerDefaults;
  cmd: string[];
  /** The build args in effect, which the process sees but the image does not keep. */
  args: [string, string][];
  networkMode: string;
  /** Executable files the command needs at PIPES_DIR/<name>. */
  files?: InlineFile[];
  mounts?: RunMountRequest[];
  /** Needed when there are mounts. */
  sources?: MountSources;
  /** The build's settings for its RUN containers (--memory, --ulimit, --add-host…). */
  host?: RunHostConfig;
  /** Which containers go once their step is over; by default those whose step succeeded. */
  remove?: RemovePolicy;
}

export class RunFailed extends Error {}

/** Runs, then hands the layer to `commit` while the container still exists; returns what it returns. */
export async function runStep<T>(engine: Engine, req: RunRequest, output: (text: string) => void, commit: (layer: Readable) => Promise<T>): Promise<T> {
  const env = [...(req.config.Env ?? [])];
  const set = new Set(env.map((e) => e.split('=', 1)[0]));
  for (const [k, v] of req.args) if (!set.has(k)) env.push(`${k}=${v}`);
  const made = await makeMounts(engine, req);
  let Id: string;
  try {
    ({ Id } = await engine.create({
      ...req.config, Image: req.imageId, Cmd: req.cmd, Entrypoint: [''], Env: env,
      Healthcheck: undefined, OnBuild: undefined,
      HostConfig: {
        ...req.host,
        NetworkMode: req.networkMode || 'default',
        ...(made.binds.length > 0 ? { Binds: made.binds } : {}),
        ...(made.mounts.length > 0 ? { Mounts: made.mounts } : {}),
        ...(Object.keys(made.tmpfs).length > 0 ? { Tmpfs: made.tmpfs } : {}),
      },
    }));
  } catch (err) {
    await made.release();
    throw err;
  }
  let succeeded = false;
  try {
    const points = made.targets.length > 0 ? await engine.withFs(Id, async (fs) => pointsToMake(await viewOf({ root: fs.root, mounts: [] }), made.targets)) : new Set<string>();
    output(` ---> Running in ${Id.slice(0, 12)}\n`);
    const c = engine.get(Id);
    const exited = c.waitExit();
    await engine.start(Id);
    const stopped = exited.then(() => {});
    for await (const run of readLog(c.logPath, { follow: true, done: () => !c.running, stopped: () => stopped })) {
      output(run.toString('utf8').split('\n').slice(0, -1).map(logText).join(''));
    }
    const { StatusCode } = await exited;
    if (StatusCode !== 0) throw new RunFailed(`The command '${req.cmd.join(' ')}' returned a non-zero code: ${StatusCode}`);
    const unused = points.size > 0 ? await engine.withFs(Id, async (fs) => unusedPoints(await viewOf({ root: fs.root, mounts: [] }), points)) : points;
    const result = await commit(engine.snapshots.diff(Id, (path) => isRuntimePath(path) || unused.has(path)));
    succeeded = true;
    return result;
  } finally {
    const policy = req.remove ?? { success: true, failure: false };
    const remove = succeeded ? policy.success : policy.failure;
    try {
      if (remove) await engine.remove(Id, { force: true, volumes: true });
    } finally {
      // The step is over, kept container or not: cache locks, stage filesystems, copies and secrets.
      await made.release();
    }
    if (remove) output(`Removing intermediate container ${Id.slice(0, 12)}\n`);
  }
}

/** The text of a k8s-file log record (`<time> <stream> <F|P> <text>`); P records continue on the next. */
export function logText(line: string): string {
  let at = 0;
  for (let i = 0; i < 3; i++) at = line.indexOf(' ', at) + 1;
  const partial = line.split(' ', 3)[2] === 'P';
  return line.slice(at) + (partial ? '' : '\n');
}

/** The mount points the runtime will make for `targets` in the container's root (not started yet). */
async function pointsToMake(view: View, targets: readonly string[]): Promise<Set<string>> {
  const resolved: string[][] = [];
  for (const t of targets) resolved.push((await resolveInContainer(view, t, { followFinal: true, lexicalMissing: true })).parts);
  return mountPointsToMake(resolved, async (path) => (await statIn(view, path)) !== undefined);
}

/** Of the mount points made, those the command left as they were made (the container has exited). */
function unusedPoints(view: View, points: ReadonlySet<string>): Promise<Set<string>> {
  return unusedMountPoints(points, async (path): Promise<Found> => {
    const place = await statIn(view, path);
    if (!place) return undefined;
    if (place.st.isFile()) return { kind: 'file', size: place.st.size };
    if (place.st.isDirectory()) return { kind: 'dir', names: await readdir(place.host) };
    return { kind: 'other' };
  });
}

/** lstat of container path `path` when it still resolves to itself (no symlink on the way), else undefined. */
async function statIn(view: View, path: string) {
  const place = await resolveInContainer(view, path).catch(() => undefined);
  if (!place || place.path !== path) return undefined;
  const st = await lstat(place.host).catch(() => undefined);
  return st && { host: place.host, st };
}

/** A step's mounts as engine create options, and how to release it all. */
interface MadeMounts {
  binds: string[];
  mounts: object[];
  tmpfs: Record<string, string>;
  /** Where something is mounted, for the mount points to leave out of the layer. */
  targets: string[];
  release(): Promise<void>;
}

async function makeMounts(engine: Engine, req: RunRequest): Promise<MadeMounts> {
  const undo: (() => Promise<void>)[] = [];
  const made: MadeMounts = {
    binds: [], mounts: [], tmpfs: {}, targets: [],
    release: async () => {
      for (const step of undo.reverse()) await step().catch(() => {});
      undo.length = 0;
    },
  };
  const scratch = (dir: string): string => {
    undo.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  };
  try {
    const files = req.files ?? [];
    if (files.length > 0) {
      const dir = scratch(join(engine.opts.dataRoot, 'build', 'tmp', `run-${randomId()}`));
      await mkdir(dir, { recursive: true, mode: 0o700 });
      for (const [i, f] of files.entries()) {
        const host = join(dir, String(i));
        await writeFile(host, f.data);
        await chmod(host, 0o755);
        made.binds.push(`${host}:${PIPES_DIR}/${f.name}:ro`);
      }
    }
    let secretsDir: string | undefined;
    for (const [i, { mount: m, fromImage }] of (req.mounts ?? []).entries()) {
      const src = req.sources!;
      const bind = (source: string, readOnly: boolean): void => {
        made.mounts.push({ Type: 'bind', Source: source, Target: m.target, ReadOnly: readOnly });
        made.targets.push(m.target);
      };
      switch (m.type) {
        case 'bind': {
          if (m.from === undefined) {
            const place = await sourceIn(src.contextDir, m.source, 'the build context');
            if (m.readOnly) bind(place, true);
            else {
              // Writes go to a copy, dropped after the step: the context stays as sent.
              const copy = scratch(join(src.tmpDir, `mount-${randomId()}`));
              await copyTree(place, copy);
              bind(copy, false);
            }
          } else {
            const fs = await openImage(engine, fromImage ?? null, src.mountDir);
            undo.push(() => fs.remove());
            bind(await sourceIn(fs.root, m.source, m.from), m.readOnly);
          }
          break;
        }
        case 'cache': {
          const lease = await src.cacheMounts.acquire(cacheDirName(m, fromImage), m.sharing, { id: m.id, target: m.target }, async (dir) => {
            if (m.from !== undefined) {
              const fs = await openImage(engine, fromImage ?? null, src.mountDir);
              try {
                await copyTree(await sourceIn(fs.root, m.source, m.from), dir);
              } finally {
                await fs.remove();
              }
            }
            if (m.from === undefined || m.mode !== undefined) await chmod(dir, m.mode ?? 0o755);
            if (m.from === undefined || m.uid !== undefined || m.gid !== undefined) await chown(dir, m.uid ?? 0, m.gid ?? 0);
          });
          undo.push(() => lease.release());
          if (m.from !== undefined || m.source === '/') bind(lease.path, m.readOnly);
          else {
            const sub = await subdirIn(lease.path, m.source, src.mountDir);
            undo.push(() => sub.release());
            bind(sub.path, m.readOnly);
          }
          break;
        }
        case 'tmpfs':
          // BuildKit's tmpfs: nosuid only (exec and dev allowed).
          made.tmpfs[m.target] = ['exec', 'dev', ...(m.size ? [`size=${m.size}`] : []), ...(m.readOnly ? ['ro'] : [])].join(',');
          made.targets.push(m.target);
          break;
        case 'secret': {
          const data = src.secrets.get(m.id);
          if (data === undefined) {
            if (m.required) throw new Error(`secret ${m.id}: not found`);
            break;
          }
          secretsDir ??= await secretsDirFor(engine, scratch);
          const file = join(secretsDir, String(i));
          await writeFile(file, data, { mode: 0o600 });
          await chown(file, m.uid, m.gid);
          await chmod(file, m.mode);
          bind(file, true);
          break;
        }
      }
    }
  } catch (err) {
    await made.release();
    throw err;
  }
  return made;
}

/** The build filesystem of an image (null: empty) for a step to read or write, removed with it. */
async function openImage(engine: Engine, image: string | null, mountDir: string): Promise<BuildFs> {
  return BuildFs.open(engine.snapshots, await engine.images.snapshotOf(image ?? null), mountDir);
}

/** The host path of `source` inside `root`, resolved chroot-style (symlinks never leave it). */
async function sourceIn(root: string, source: string, what: string): Promise<string> {
  try {
    return (await resolveInContainer(await viewOf({ root, mounts: [] }), source, { followFinal: true })).host;
  } catch (err) {
    if (err instanceof PathError || (err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`failed to mount ${source} from ${what}: ${source}: no such file or directory`, { cause: err });
    }
    throw err;
  }
}

/**
 * Directory `sub` of a cache directory, made if missing. A cache directory
 * is written by other steps, maybe running now, so the path handed to the
 * runtime is not a path through it: the directory is pinned (O_PATH) and
 * bind-mounted on a mount point of berth's own under `mountDir`, which no
 * symlink swapped in afterwards can redirect.
 */
async function subdirIn(root: string, sub: string, mountDir: string): Promise<{ path: string; release(): Promise<void> }> {
  const view = await viewOf({ root, mounts: [] });
  const { parts } = await resolveInContainer(view, sub, { followFinal: true, lexicalMissing: true });
  for (let i = 1; i <= parts.length; i++) {
    const parent = pinDir(view, parts.slice(0, i - 1));
    try {
      await mkdir(`${parent.path}/${parts[i - 1]}`, { mode: 0o755 }).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
    } finally {
      parent.release();
    }
  }
  const at = join(mountDir, `cache-${randomId()}`);
  await mkdir(at, { recursive: true });
  const pinned = pinDir(view, parts);
  try {
    mount(pinned.path, at, null, MS_BIND, null);
  } catch (err) {
    await rmdir(at);
    throw err;
  } finally {
    pinned.release();
  }
  return {
    path: at,
    release: async () => {
      umount2(at, MNT_DETACH);
      // rmdir, never a recursive removal: were the unmount to fail, this is the cache's content.
      await rmdir(at);
    },
  };
}

/**
 * A directory of this step's secrets under the exec root (tmpfs on most
 * hosts, never in a layer), 0700, removed after the step. Directories a
 * crashed daemon left (another PID's) go the first time.
 */
let sweptSecrets = false;
async function secretsDirFor(engine: Engine, scratch: (dir: string) => string): Promise<string> {
  const root = join(engine.opts.execRoot, 'build', 'secrets');
  await mkdir(root, { recursive: true, mode: 0o700 });
  if (!sweptSecrets) {
    sweptSecrets = true;
    for (const name of await readdir(root)) {
      if (!name.startsWith(`${process.pid}-`)) await rm(join(root, name), { recursive: true, force: true });
    }
  }
  const dir = scratch(join(root, `${process.pid}-${randomId()}`));
  await mkdir(dir, { mode: 0o700 });
  return dir;
}
