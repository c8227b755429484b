// RUN: the command runs in a container of the engine made from the current
// image, its output goes into the build's progress as it is written, and
// its writable layer (without what the runtime put there on its own) is the
// step's layer. The container is removed whatever happens. A heredoc script
// (`RUN <<EOF` with a `#!` line) is a file under the data root bind-mounted
// read-only at /dev/pipes/<name>, on /dev's tmpfs, so it never reaches the layer.
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Engine } from '../engine/engine.ts';
import { readLog } from '../engine/log-reader.ts';
import { withoutRuntimePaths } from '../engine/runtime-paths.ts';
import type { ContainerDefaults } from '../image/types.ts';
import { randomId } from '../util/ids.ts';
import { PIPES_DIR, type InlineFile } from './heredoc.ts';

export interface RunRequest {
  imageId: string;
  config: ContainerDefaults;
  cmd: string[];
  /** The build args in effect, which the process sees but the image does not keep. */
  args: [string, string][];
  networkMode: string;
  /** Executable files the command needs at PIPES_DIR/<name>. */
  files?: InlineFile[];
}

export class RunFailed extends Error {}

/** Runs, then hands the layer to `commit` while the container still exists; returns what it returns. */
export async function runStep<T>(engine: Engine, req: RunRequest, output: (text: string) => void, commit: (layer: Readable) => Promise<T>): Promise<T> {
  const env = [...(req.config.Env ?? [])];
  const set = new Set(env.map((e) => e.split('=', 1)[0]));
  for (const [k, v] of req.args) if (!set.has(k)) env.push(`${k}=${v}`);
  const files = req.files ?? [];
  const filesDir = files.length > 0 ? join(engine.opts.dataRoot, 'build', 'tmp', `run-${randomId()}`) : undefined;
  const binds: string[] = [];
  if (filesDir) {
    await mkdir(filesDir, { recursive: true, mode: 0o700 });
    for (const [i, f] of files.entries()) {
      const host = join(filesDir, String(i));
      await writeFile(host, f.data);
      await chmod(host, 0o755);
      binds.push(`${host}:${PIPES_DIR}/${f.name}:ro`);
    }
  }
  let Id: string;
  try {
    ({ Id } = await engine.create({
      ...req.config, Image: req.imageId, Cmd: req.cmd, Entrypoint: [''], Env: env,
      Healthcheck: undefined, OnBuild: undefined,
      HostConfig: { NetworkMode: req.networkMode || 'default', ...(binds.length > 0 ? { Binds: binds } : {}) },
    }));
  } catch (err) {
    if (filesDir) await rm(filesDir, { recursive: true, force: true });
    throw err;
  }
  try {
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
    return await commit(withoutRuntimePaths(engine.snapshots.diff(Id)));
  } finally {
    await engine.remove(Id, { force: true, volumes: true });
    if (filesDir) await rm(filesDir, { recursive: true, force: true });
    output(`Removing intermediate container ${Id.slice(0, 12)}\n`);
  }
}

/** The text of a k8s-file log record (`<time> <stream> <F|P> <text>`); P records continue on the next. */
export function logText(line: string): string {
  let at = 0;
  for (let i = 0; i < 3; i++) at = line.indexOf(' ', at) + 1;
  const partial = line.split(' ', 3)[2] === 'P';
  return line.slice(at) + (partial ? '' : '\n');
}
