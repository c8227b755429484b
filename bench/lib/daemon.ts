// One engine daemon under test: started on its own temporary root and socket,
// and on stop leaves nothing behind (processes, mounts, files), also when the
// bench fails half-way. Every peer goes through this same lifecycle.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { alive, run, sleep } from './proc.ts';
import { memory, mountsUnder, processes, type Memory, type Proc } from './procfs.ts';
import { DockerCli } from './docker.ts';
import { restoreNet, snapshotNet, type NetFootprint, type NetSnapshot } from './hostnet.ts';

export interface DaemonSpec {
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  socket: string;
  /**
   * Executable names of the processes that make up the engine (daemon, its helpers,
   * per-container monitors), counted in its memory. Container processes and
   * transient runc calls are not the engine's cost.
   */
  helpers: RegExp;
  /** Writes config files into the root before the daemon starts. */
  prepare?: () => void;
  /**
   * What the daemon creates outside its root whatever its flags, deepest
   * first. Those that did not exist before the bench are removed at stop
   * (directories only when empty, so nothing another user put there goes).
   */
  leavesBehind?: string[];
  /**
   * A daemon with bridge networking: the bridges, subnets and iptables chains
   * it makes on the host, which outlive it and are removed at stop (its user
   * networks are removed through the daemon first).
   */
  net?: NetFootprint;
}

export type SpecFor = (dir: string) => DaemonSpec;

export interface Footprint extends Memory {
  /** per executable: how many processes and their memory, so a reader can see what was summed */
  processes: Record<string, Memory & { count: number }>;
}

const MB = (b: number): string => (b / 2 ** 20).toFixed(1);

export function describeFootprint(fp: Footprint): string {
  const each = Object.entries(fp.processes).map(([exe, m]) => {
    const per = (b: number): string => (b / m.count / 2 ** 20).toFixed(m.count > 1 ? 2 : 1);
    return `${m.count}× ${exe} ${per(m.pss)} MB${m.count > 1 ? ' each' : ''}`;
  });
  return `${each.join(', ')} (RSS ${MB(fp.rss)} MB, USS ${MB(fp.uss)} MB)`;
}

const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 30_000;

export class Daemon {
  readonly name: string;
  readonly dir: string;
  readonly spec: DaemonSpec;
  readonly cli: DockerCli;
  #child?: ChildProcess;
  #ownLeftovers: string[];
  #netBefore?: NetSnapshot;
  /** what the last stop did to restore the host's network, one line each */
  restored: string[] = [];

  constructor(name: string, specFor: SpecFor, cliConfigDir: string) {
    this.name = name;
    this.dir = mkdtempSync(join(tmpdir(), `berth-bench-${name}-`));
    this.spec = specFor(this.dir);
    this.cli = new DockerCli(this.spec.socket, cliConfigDir);
    this.#ownLeftovers = (this.spec.leavesBehind ?? []).filter((p) => !existsSync(p));
  }

  get logPath(): string {
    return join(this.dir, 'daemon.log');
  }

  async start(): Promise<void> {
    this.spec.prepare?.();
    if (this.spec.net) this.#netBefore ??= await snapshotNet();
    const log = openSync(this.logPath, 'a');
    // Own process group: a Ctrl-C on the terminal reaches the bench, which
    // then stops the daemon in order, instead of racing the daemon's own exit.
    this.#child = spawn(this.spec.cmd, this.spec.args, { env: this.spec.env ?? process.env, stdio: ['ignore', log, log], detached: true });
    closeSync(log);
    const child = this.#child;
    let exited = false;
    child.on('exit', () => { exited = true; });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await ping(this.spec.socket))) {
      if (exited) throw new Error(`${this.name} exited during start-up:\n${this.logTail()}`);
      if (Date.now() > deadline) throw new Error(`${this.name} did not answer /_ping within ${READY_TIMEOUT_MS / 1000}s:\n${this.logTail()}`);
      await sleep(100);
    }
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  logTail(lines = 20): string {
    try {
      return readFileSync(this.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Processes that belong to this engine: ones it spawned that name our root, plus the daemon itself. */
  #ours(): Proc[] {
    return processes().filter((p) => p.pid === this.pid || p.cmdline.some((a) => a.includes(this.dir)));
  }

  footprint(): Footprint {
    const fp: Footprint = { pss: 0, rss: 0, uss: 0, processes: {} };
    for (const p of this.#ours()) {
      // comm is truncated to 15 bytes and Node renames its own to MainThread: go by the executable.
      const exe = basename(p.cmdline[0] ?? p.comm);
      if (p.pid !== this.pid && !this.spec.helpers.test(exe)) continue;
      const m = memory(p.pid);
      const e = (fp.processes[exe] ??= { count: 0, pss: 0, rss: 0, uss: 0 });
      e.count++;
      for (const k of ['pss', 'rss', 'uss'] as const) {
        e[k] += m[k];
        fp[k] += m[k];
      }
    }
    return fp;
  }

  /** Stops the daemon and removes every trace; safe to call more than once and after a failed start. */
  async stop(): Promise<void> {
    const pid = this.pid;
    if (pid && alive(pid) && (await ping(this.spec.socket))) {
      // The engine removes its own containers best: cgroups, mounts and state go with them.
      const ids = (await this.cli.run(['ps', '-aq'], { allowFail: true, timeoutMs: 30_000 }).catch(() => undefined))?.stdout.split('\n').filter(Boolean) ?? [];
      if (ids.length) await this.cli.run(['rm', '-f', ...ids], { allowFail: true, timeoutMs: 180_000 }).catch(() => {});
      // User networks' bridges and rules go with the networks; the predefined ones cannot be removed.
      if (this.spec.net) {
        const nets = (await this.cli.run(['network', 'ls', '--format', '{{.Name}}'], { allowFail: true, timeoutMs: 30_000 }).catch(() => undefined))?.stdout
          .split('\n').filter((n) => n && !['bridge', 'host', 'none'].includes(n)) ?? [];
        if (nets.length) await this.cli.run(['network', 'rm', ...nets], { allowFail: true, timeoutMs: 60_000 }).catch(() => {});
      }
    }
    if (pid && alive(pid)) {
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + STOP_TIMEOUT_MS;
      while (alive(pid) && Date.now() < deadline) await sleep(100);
      if (alive(pid)) process.kill(pid, 'SIGKILL');
      while (alive(pid)) await sleep(50);
    }
    this.#killLeftovers();
    for (const m of mountsUnder(this.dir)) {
      const r = await run('umount', [m], { allowFail: true });
      if (r.code !== 0) await run('umount', ['-l', m], { allowFail: true });
    }
    rmSync(this.dir, { recursive: true, force: true });
    for (const p of this.#ownLeftovers) {
      try {
        if (statSync(p).isDirectory()) rmdirSync(p);
        else rmSync(p);
      } catch {
        // gone already, or a directory someone else now uses
      }
    }
    // Last, once nothing of the engine runs that could put them back.
    if (this.spec.net && this.#netBefore) {
      const before = this.#netBefore;
      this.#netBefore = undefined;
      this.restored = await restoreNet(this.spec.net, before);
    }
  }

  /** Monitors and shims that outlived their daemon (it was killed), and the containers under them. */
  #killLeftovers(): void {
    const all = processes();
    const doomed = new Set(all.filter((p) => p.cmdline.some((a) => a.includes(this.dir))).map((p) => p.pid));
    for (let grew = true; grew;) {
      grew = false;
      for (const p of all) if (doomed.has(p.ppid) && !doomed.has(p.pid)) { doomed.add(p.pid); grew = true; }
    }
    for (const pid of doomed) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
    req.end();
  });
}
