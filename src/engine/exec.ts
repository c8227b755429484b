// Exec sessions: a process started in a running container with `runc exec`,
// its stdio piped through berthd (`runc exec` stays its parent, so it needs no
// monitor of its own). As in docker, a client that goes away does not end the
// process; its session is kept five minutes after exit for `exec inspect`.
import { constants } from 'node:os';
import { readFile, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Engine } from './engine.ts';
import { randomId } from '../util/ids.ts';
import { badRequest, conflict, notFound } from '../util/errors.ts';
import { resolveUser } from '../runtime/user.ts';
import { readInRoot } from './rootfs-setup.ts';
import { mergeEnv } from './container-config.ts';
import { effectiveCaps } from '../runtime/defaults.ts';
import { hostCaps } from '../runtime/cgroups.ts';
import { exitCodeForStartError } from './engine.ts';
import { spawnProcess, type SpawnedProcess } from '../util/spawn.ts';

export interface ExecConfig {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Tty?: boolean;
  Cmd?: string[];
  Env?: string[] | null;
  WorkingDir?: string;
  User?: string;
  Privileged?: boolean;
  DetachKeys?: string;
}

export interface ExecSession {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  exitCode: number | null;
  pid: number;
  started: boolean;
  child?: SpawnedProcess;
}

const SESSION_TTL_MS = 5 * 60_000;

export class ExecManager {
  readonly engine: Engine;
  readonly sessions = new Map<string, ExecSession>();

  constructor(engine: Engine) {
    this.engine = engine;
    // Sessions go with their container, as in docker.
    engine.events.subscribe((e) => {
      if (e.Type !== 'container' || e.Action !== 'destroy') return;
      for (const s of this.sessions.values()) if (s.containerId === e.Actor.ID) this.sessions.delete(s.id);
    });
  }

  #forgetLater(s: ExecSession): void {
    // Kept a while after exit for `exec inspect` (the docker CLI reads the exit code there).
    setTimeout(() => {
      this.sessions.delete(s.id);
      this.engine.find(s.containerId)?.execIds.delete(s.id);
    }, SESSION_TTL_MS).unref();
  }

  create(containerRef: string, config: ExecConfig): string {
    const c = this.engine.get(containerRef);
    if (!c.running) throw conflict(`Container ${c.id} is not running`);
    if (c.record.State.Paused) throw conflict(`Container ${c.id} is paused, unpause the container before exec`);
    if (!Array.isArray(config.Cmd) || config.Cmd.length === 0 || config.Cmd.some((a) => typeof a !== 'string')) throw badRequest('No exec command specified');
    const id = randomId();
    this.sessions.set(id, { id, containerId: c.id, config, running: false, exitCode: null, pid: 0, started: false });
    c.execIds.add(id);
    this.engine.events.emit('container', `exec_create: ${config.Cmd.join(' ')}`, c.id, { name: c.name, image: c.record.Config.Image ?? '', execID: id });
    return id;
  }

  get(id: string): ExecSession {
    const s = this.sessions.get(id);
    if (!s) throw notFound(`No such exec instance: ${id}`);
    return s;
  }

  /** Starts the process; the caller wires its stdio. Resolves once it is spawned. */
  async start(id: string, detach: boolean): Promise<SpawnedProcess> {
    const s = this.get(id);
    if (s.started) throw conflict(`Error: Exec command ${id} has already run`);
    const c = this.engine.get(s.containerId);
    if (!c.running) throw conflict(`Container ${c.id} is not running`);
    s.started = true;
    const spec = JSON.parse(await readFile(join(c.bundle, 'config.json'), 'utf8')) as { process: Record<string, unknown> & { env: string[]; user: object; capabilities: object } };
    let user = spec.process.user;
    if (s.config.User) {
      try {
        user = resolveUser(s.config.User, await readInRoot(c.rootfs, '/etc/passwd'), await readInRoot(c.rootfs, '/etc/group'));
        delete (user as { home?: string }).home;
      } catch (err) {
        throw badRequest((err as Error).message);
      }
    }
    const caps = s.config.Privileged ? effectiveCaps([], [], true, hostCaps()) : undefined;
    const processSpec = {
      ...spec.process,
      terminal: false,
      args: s.config.Cmd,
      env: mergeEnv(spec.process.env, s.config.Env ?? []),
      cwd: s.config.WorkingDir || spec.process.cwd,
      user,
      ...(caps ? { capabilities: { bounding: caps, effective: caps, permitted: caps } } : {}),
    };
    const specPath = join(c.runDir, `exec-${id}.json`);
    await writeFile(specPath, JSON.stringify(processSpec));
    const runc = this.engine.runc;
    const child = spawnProcess(runc.path, [...runc.globalArgs(), 'exec', '--process', specPath, ...(detach ? ['--detach'] : []), c.id], {
      stdio: [s.config.AttachStdin && !detach ? 'pipe' : 'ignore', detach ? 'ignore' : 'pipe', 'pipe'],
    });
    s.child = child;
    s.running = true;
    s.pid = child.pid;
    this.engine.events.emit('container', `exec_start: ${s.config.Cmd!.join(' ')}`, c.id, { name: c.name, image: c.record.Config.Image ?? '', execID: id });
    let stderrTail = '';
    child.stderr!.on('data', (d: Buffer) => (stderrTail = (stderrTail + d.toString('latin1')).slice(-4096)));
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      s.running = false;
      // runc's own failure (exec not found…) exits 255 with its message on stderr.
      if (code === 255 && isRuncError(stderrTail)) s.exitCode = exitCodeForStartError(stderrTail);
      else s.exitCode = code ?? (signal ? 128 + ((constants.signals as Record<string, number>)[signal] ?? 0) : 255);
      void rm(specPath, { force: true });
      this.#forgetLater(s);
      this.engine.events.emit('container', 'exec_die', c.id, { name: c.name, execID: id, exitCode: String(s.exitCode) });
    });
    return child;
  }

  inspect(id: string): object {
    const s = this.get(id);
    return {
      ID: s.id,
      Running: s.running,
      ExitCode: s.exitCode,
      ProcessConfig: { tty: !!s.config.Tty, entrypoint: s.config.Cmd?.[0] ?? '', arguments: s.config.Cmd?.slice(1) ?? [], privileged: !!s.config.Privileged, user: s.config.User ?? '' },
      OpenStdin: !!s.config.AttachStdin,
      OpenStderr: !!s.config.AttachStderr,
      OpenStdout: !!s.config.AttachStdout,
      CanRemove: false,
      ContainerID: s.containerId,
      DetachKeys: s.config.DetachKeys ?? '',
      Pid: s.pid,
    };
  }
}

/** runc's own error lines share stderr with the process; they look like logrus output. */
export function isRuncError(text: string): boolean {
  return /^time="[^"]*" level=(error|fatal)/m.test(text);
}
