// A berthd of a test's own: temporary data root, exec root and socket, the
// busybox image imported, and a teardown that removes every container and
// then checks nothing was left behind (runc state, mounts, conmons).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, readFile, readdir } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { before, after } from 'node:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { busyboxTar } from './busybox.ts';
// The bench's host-network restorer: what a daemon added, and only that, goes.
import { restoreNet, snapshotNet, type NetSnapshot } from '../../bench/lib/hostnet.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
export const BERTHD = join(ROOT, 'bin/berthd');
export const BERTH = join(ROOT, 'bin/berth');
export const DOCKER = '/usr/local/bin/docker';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it holds; fails after `ms`. */
export async function until(fn: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function sh(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve) => execFile(cmd, args, (_e, out) => resolve(out ?? '')));
}

export class TestDaemon {
  readonly dir: string;
  /** The default bridge, unique per daemon; berthd's iptables chains are named after it. */
  readonly bridge = `bt${Math.random().toString(16).slice(2, 10)}`;
  readonly extraArgs: string[];
  proc?: ChildProcess;
  log = '';
  /** The host's network before this daemon first started. */
  #netBefore?: NetSnapshot;

  constructor(dir: string, extraArgs: string[] = []) {
    this.dir = dir;
    this.extraArgs = extraArgs;
  }

  get dataRoot(): string {
    return join(this.dir, 'root');
  }
  get execRoot(): string {
    return join(this.dir, 'run');
  }
  get socket(): string {
    return join(this.dir, 'berth.sock');
  }
  get env(): NodeJS.ProcessEnv {
    return { ...process.env, DOCKER_HOST: `unix://${this.socket}`, BERTH_HOST: `unix://${this.socket}` };
  }

  static async start(): Promise<TestDaemon> {
    const d = new TestDaemon(await mkdtemp(join(tmpdir(), 'berth-test-')));
    await d.launchWithImage();
    return d;
  }

  /** A daemon for one test file: started (with busybox) before its tests, stopped and checked after. */
  static forFile(extraArgs: string[] = []): TestDaemon {
    const d = new TestDaemon(mkdtempSync(join(tmpdir(), 'berth-test-')), extraArgs);
    before(() => d.launchWithImage());
    after(() => d.stop());
    return d;
  }

  async launchWithImage(): Promise<void> {
    await this.launch();
    const r = await this.docker(['import', '-c', 'CMD ["sh"]', '-', 'busybox:latest'], { input: await busyboxTar() });
    if (r.code !== 0) throw new Error(`import failed: ${r.stderr}`);
  }

  async launch(): Promise<void> {
    this.#netBefore ??= await snapshotNet();
    const proc = spawn(BERTHD, ['--data-root', this.dataRoot, '--exec-root', this.execRoot, '-H', `unix://${this.socket}`, '--bridge', this.bridge, ...this.extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`berthd exited: ${this.log}`);
      if (existsSync(this.socket) && (await this.ping())) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`berthd did not come up: ${this.log}`);
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.api('GET', '/_ping')).status === 200;
    } catch {
      return false;
    }
  }

  /** Stops the daemon (SIGTERM, or SIGKILL with hard) and waits for it to exit. */
  async halt(hard = false): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await exited;
  }

  docker(args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
    return run(DOCKER, args, { env: this.env, ...opts });
  }

  berth(args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
    return run(BERTH, args, { env: this.env, ...opts });
  }

  api(method: string, path: string, body?: unknown, raw?: Buffer | string): Promise<{ status: number; body: string; json: () => any }> {
    return new Promise((resolve, reject) => {
      const payload = raw !== undefined ? raw : body !== undefined ? JSON.stringify(body) : undefined;
      const req = request({ socketPath: this.socket, method, path, headers: payload !== undefined ? { 'Content-Type': 'application/json' } : {} }, (res) => {
        let data = '';
        res.on('data', (d: Buffer) => (data += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data, json: () => JSON.parse(data) }));
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Removes every container and network, stops the daemon and asserts nothing is left behind. */
  async stop(): Promise<void> {
    const leftovers: string[] = [];
    let networks: { Id: string; Name: string; Options: Record<string, string> }[] = [];
    let subnets: string[] = [];
    if (this.proc && this.proc.exitCode === null) {
      const list = await this.api('GET', '/containers/json?all=1').catch(() => undefined);
      if (list?.status === 200) {
        for (const c of list.json() as { Id: string }[]) await this.api('DELETE', `/containers/${c.Id}?force=1`).catch(() => {});
      }
      const nets = await this.api('GET', '/networks').catch(() => undefined);
      if (nets?.status === 200) networks = nets.json();
      subnets = networks.flatMap((n: any) => (n.IPAM?.Config ?? []).map((c: { Subnet: string }) => c.Subnet));
      await this.api('POST', '/networks/prune').catch(() => {});
      await this.api('POST', '/volumes/prune').catch(() => {});
      await this.halt();
    }
    leftovers.push(...(await this.#networkLeftovers(networks)));
    const runcList = await sh('runc', ['--root', join(this.execRoot, 'runc'), 'list', '-q']);
    if (runcList.trim()) leftovers.push(`runc containers: ${runcList.trim()}`);
    const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.includes(this.dir));
    if (mounts.length) leftovers.push(`mounts: ${mounts.join('; ')}`);
    const conmons = (await sh('pgrep', ['-af', `conmon.*${this.dir}`])).trim();
    if (conmons) leftovers.push(`conmon processes: ${conmons}`);
    // Leave the machine clean even when the assertion below fails.
    for (const id of runcList.trim().split('\n').filter(Boolean)) await sh('runc', ['--root', join(this.execRoot, 'runc'), 'delete', '--force', id]);
    for (const line of conmons.split('\n').filter(Boolean)) {
      const pid = Number(line.split(' ')[0]);
      if (pid) process.kill(pid, 'SIGKILL');
    }
    for (const line of mounts.reverse()) {
      const target = line.split(' ')[4];
      if (target) await sh('umount', ['-l', target]);
    }
    if (this.#netBefore) {
      await restoreNet({ bridges: [this.bridge], subnets, chains: new RegExp(`^BERTH-(FWD|POST)-${this.bridge}$`), sharedChains: /^CNI-HOSTPORT-/ }, this.#netBefore)
        .catch((err: Error) => leftovers.push(err.message));
    }
    await rm(this.dir, { recursive: true, force: true });
    if (leftovers.length) throw new Error(`left behind:\n${leftovers.join('\n')}`);
  }

  /** Interfaces still on the daemon's bridges, port forwards and IPAM leases once every container is gone. */
  async #networkLeftovers(networks: { Id: string; Name: string; Options: Record<string, string> }[]): Promise<string[]> {
    const out: string[] = [];
    const bridges = [this.bridge, ...networks.filter((n) => n.Name !== 'bridge' && n.Options['com.docker.network.bridge.name'] === undefined).map((n) => `br-${n.Id.slice(0, 12)}`)];
    for (const br of bridges) {
      const ports = (await sh('ip', ['-o', 'link', 'show', 'master', br])).trim();
      if (ports) out.push(`interfaces on ${br}: ${ports}`);
    }
    const nat = await sh('iptables-save', ['-t', 'nat']);
    for (const n of networks) if (nat.includes(n.Id)) out.push(`port forwards of network ${n.Name} in iptables`);
    const ipam = join(this.dataRoot, 'network', 'ipam');
    for (const net of existsSync(ipam) ? await readdir(ipam) : []) {
      const leases = (await readdir(join(ipam, net))).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
      if (leases.length) out.push(`IPAM leases in ${net}: ${leases.join(' ')}`);
    }
    return out;
  }
}
