// The container engine: create, start, stop, exit handling, restart policies
// and removal, over the snapshotter (root filesystems), conmon + runc
// (processes) and the image service. Every state change is persisted before
// it is acted on, so a crash at any point is finished or undone at start-up.
import { mkdir, readFile, readdir, rm, writeFile, watch, access } from 'node:fs/promises';
import { mountPoints } from '../util/mountinfo.ts';
import { join, posix } from 'node:path';
import { existsSync } from 'node:fs';
import type { Snapshotter } from '../storage/snapshotter.ts';
import type { ImageService } from '../image/service.ts';
import { Conmon } from '../runtime/conmon.ts';
import { Runc } from '../runtime/runc.ts';
import { buildSpec, serializeSpec, type OciMount } from '../runtime/spec.ts';
import { resolveUser } from '../runtime/user.ts';
import { Container } from './container.ts';
import { Events } from './events.ts';
import { commandOf, mergeConfig, processEnv, validateCreate, validateName } from './container-config.ts';
import { ensureWorkdir, readInRoot, writeIdentityFiles } from './rootfs-setup.ts';
import { nextDelay, restartsOnBoot, shouldRestart } from './restart-policy.ts';
import { parseSignal } from './signals.ts';
import { initialState, type ContainerConfig, type ContainerRecord, type HostConfig, type MountPoint } from './types.ts';
import { ensureDir, readJson, sweepTemps } from '../util/fs-atomic.ts';
import { ApiError, badRequest, conflict, notFound } from '../util/errors.ts';
import { generateName, randomId } from '../util/ids.ts';
import { hostRlimits, capRlimits } from '../runtime/rlimits.ts';
import { cgroupV2, hostCaps } from '../runtime/cgroups.ts';
import { parseSize } from '../util/units.ts';
import { bootId, isAlive } from '../util/process.ts';
import { DEFAULT_LOG_LIMITS, conmonControl, conmonSizeLimit, rotateIfFull, type LogLimits } from './log-rotation.ts';
import { ContainerNetworking } from './networking.ts';
import { fsMounts, type ContainerFs } from './container-fs.ts';
import { ContainerMounts } from './mounts.ts';
import type { VolumeService } from '../volume/service.ts';
import type { NetworkManager } from '../network/manager.ts';
import type { EndpointSettings } from '../network/types.ts';

export interface EngineOptions {
  dataRoot: string;
  execRoot: string;
  runtimePath: string;
  conmonPath: string;
  initPath: string;
}

export interface CreateRequest extends ContainerConfig {
  HostConfig?: HostConfig;
  NetworkingConfig?: unknown;
}

const DEFAULT_STOP_TIMEOUT = 10;

export class Engine {
  readonly opts: EngineOptions;
  readonly images: ImageService;
  readonly snapshots: Snapshotter;
  readonly events = new Events();
  readonly runc: Runc;
  readonly conmon: Conmon;
  readonly net: ContainerNetworking;
  readonly mounts: ContainerMounts;
  readonly containers = new Map<string, Container>();
  readonly names = new Map<string, string>();
  #exitWatch = new AbortController();
  /** Layer chains of containers being created, which an `rmi` meanwhile must keep. */
  #pinned = new Map<string, number>();
  /** Exit handling and removals under way, which a graceful shutdown lets finish. */
  #inflight = new Set<Promise<unknown>>();
  #rotation?: NodeJS.Timeout;
  #rotating = false;
  #restartDelays = new Map<string, number>();

  constructor(opts: EngineOptions, images: ImageService, snapshots: Snapshotter, networks: NetworkManager, volumes: VolumeService) {
    this.opts = opts;
    this.images = images;
    this.snapshots = snapshots;
    this.net = new ContainerNetworking(networks, (ref) => this.get(ref), () => this.containers.values());
    this.mounts = new ContainerMounts(volumes, (ref) => this.get(ref));
    volumes.users = (name) => [...this.containers.values()].filter((c) => c.record.MountPoints?.some((m) => m.Type === 'volume' && m.Name === name)).map((c) => c.id);
    volumes.onEvent = (action, name) => this.events.emit('volume', action, name, { driver: 'local' });
    this.runc = new Runc(opts.runtimePath, join(opts.execRoot, 'runc'));
    this.conmon = new Conmon(opts.conmonPath, this.runc);
    images.users = {
      containersUsing: (imageId) => [...this.containers.values()].filter((c) => c.record.Image === imageId).map((c) => ({ id: c.id, running: c.running })),
      chainsInUse: () => new Set([...[...this.containers.values()].flatMap((c) => c.record.ImageChain), ...this.#pinned.keys()]),
    };
    images.onEvent = (e) => this.events.emit('image', e.action, e.id, e.name ? { name: e.name } : {});
  }

  get exitDir(): string {
    return join(this.opts.execRoot, 'exits');
  }

  // ---- start-up ---------------------------------------------------------

  async init(): Promise<void> {
    await ensureDir(join(this.opts.dataRoot, 'containers'));
    await ensureDir(join(this.opts.execRoot, 'containers'));
    await ensureDir(this.exitDir);
    await ensureDir(join(this.opts.execRoot, 'sockets'));
    await ensureDir(join(this.opts.execRoot, 'runc'));
    const dir = join(this.opts.dataRoot, 'containers');
    await sweepTemps(dir);
    for (const id of await readdir(dir)) {
      if (!/^[a-f0-9]{64}$/.test(id)) continue;
      let record: ContainerRecord;
      try {
        await sweepTemps(join(dir, id));
        record = await readJson<ContainerRecord>(join(dir, id, 'config.v2.json'));
      } catch {
        // A create that crashed before its record was written: nothing refers to it.
        await this.snapshots.remove(id).catch(() => {});
        await rm(join(dir, id), { recursive: true, force: true });
        continue;
      }
      const c = new Container(record, join(dir, id), join(this.opts.execRoot, 'containers', id));
      // A crash may have come between a start and its teardown.
      c.needsTeardown = record.State.Running || record.State.Restarting || !!record.Removing;
      this.containers.set(id, c);
      this.names.set(c.name, id);
    }
    // Active snapshots are container roots; any other is left over from a crash.
    await this.snapshots.cleanup([...this.containers.keys()]);
    await this.#sweepRuntime();
    this.#watchExits();
    this.#rotation = setInterval(() => void this.#rotateLogs(), 250).unref();
    for (const c of [...this.containers.values()]) await this.#reconcile(c);
    await this.net.networks.reconcile();
    for (const c of this.containers.values()) {
      const ports = c.record.NetworkSettings?.Ports;
      if (c.running && ports?.length) await this.net.networks.reserveRunning(c.id, ports).catch((err: Error) => console.error(`berthd: ports of ${c.id.slice(0, 12)}: ${err.message}`));
    }
  }

  /**
   * A crash mid-start can leave a runc container and a rootfs mount behind a
   * record that still says "created"; a crash mid-remove, one with no record.
   * Those are torn down here, before the records are reconciled.
   */
  async #sweepRuntime(): Promise<void> {
    const mounted = new Set(await mountPoints());
    const inRunc = new Set((await this.runc.list().catch(() => [])).map((s) => s.id));
    for (const id of inRunc) {
      if (!this.containers.has(id)) await this.runc.delete(id).catch(() => {});
    }
    for (const c of this.containers.values()) {
      if (inRunc.has(c.id) || mounted.has(c.rootfs)) c.needsTeardown = true;
      const active = c.record.State.Running || c.record.State.Restarting;
      if (!active && c.needsTeardown) {
        await this.#teardown(c);
        await rm(join(this.exitDir, c.id), { force: true });
      }
    }
  }

  /** Brings one loaded record in line with reality (conmon, runc, exit files). */
  async #reconcile(c: Container): Promise<void> {
    if (c.record.Removing) {
      await this.#finishRemove(c);
      return;
    }
    if (c.record.State.Running || c.record.State.Status === 'restarting') {
      const exitFile = join(this.exitDir, c.id);
      if (existsSync(exitFile)) {
        c.markStarted();
        await this.#handleExit(c.id);
        return;
      }
      if (c.record.ConmonPid && c.record.BootId === bootId() && isAlive(c.record.ConmonPid)) {
        c.markStarted();
        return;
      }
      // conmon is gone without a word: the container died with the machine or was killed.
      await c.locked(async () => {
        await this.#teardown(c);
        exitedState(c.record, 255, 'container monitor exited unexpectedly');
        await c.save();
      });
    }
    if (!c.running && restartsOnBoot(c.record.HostConfig.RestartPolicy, c.record.ManuallyStopped)) {
      this.start(c.id).catch(() => {});
    }
  }

  #watchExits(): void {
    const signal = this.#exitWatch.signal;
    (async () => {
      try {
        for await (const ev of watch(this.exitDir, { signal })) {
          if (ev.filename && /^[a-f0-9]{64}$/.test(ev.filename)) void this.#track(this.#handleExit(ev.filename));
        }
      } catch (err) {
        if ((err as Error).name !== 'AbortError') throw err;
      }
    })().catch((err) => console.error('berthd: exit watcher failed:', err));
  }

  async #rotateLogs(): Promise<void> {
    // A slow tick must not overlap the next: two rotations of one log would drop a generation.
    if (this.#rotating) return;
    this.#rotating = true;
    try {
      for (const c of this.containers.values()) {
        if (c.running) await rotateIfFull(c.logPath, join(c.bundle, 'ctl'), logLimits(c.record.HostConfig)).catch(() => {});
      }
    } finally {
      this.#rotating = false;
    }
  }

  #track<T>(p: Promise<T>): Promise<T | undefined> {
    const tracked = p.catch(() => undefined);
    this.#inflight.add(tracked);
    void tracked.finally(() => this.#inflight.delete(tracked));
    return tracked;
  }

  /** Stops watching and waits (up to 10 s) for exits and removals under way to finish their teardown. */
  async shutdown(): Promise<void> {
    clearInterval(this.#rotation);
    this.#exitWatch.abort();
    await Promise.race([Promise.allSettled([...this.#inflight]), new Promise((r) => setTimeout(r, 10_000).unref())]);
    for (const c of this.containers.values()) clearTimeout(c.restartTimer);
  }

  // ---- lookup -----------------------------------------------------------

  /** Docker's lookup order: full ID, exact name, unique ID prefix. */
  get(ref: string): Container {
    const c = this.find(ref);
    if (!c) throw notFound(`No such container: ${ref}`);
    return c;
  }

  find(ref: string): Container | undefined {
    if (!ref) return undefined;
    const direct = this.containers.get(ref);
    if (direct) return direct;
    const byName = this.names.get(ref.replace(/^\//, ''));
    if (byName) return this.containers.get(byName);
    if (!/^[a-f0-9]+$/.test(ref)) return undefined;
    const matches = [...this.containers.keys()].filter((id) => id.startsWith(ref));
    if (matches.length > 1) throw badRequest(`multiple IDs found with provided prefix: ${ref}`);
    return matches.length ? this.containers.get(matches[0]!) : undefined;
  }

  // ---- create -----------------------------------------------------------

  async create(req: CreateRequest, name?: string): Promise<{ Id: string; Warnings: string[] }> {
    if (!req || typeof req !== 'object') throw badRequest('config cannot be empty in order to create a container');
    if (typeof req.Image !== 'string' || !req.Image) throw badRequest('Config cannot be empty in order to create a container');
    const host: HostConfig = req.HostConfig ?? {};
    validateCreate(req, host);
    const finalName = name ? validateName(name) : this.#freshName();
    if (this.names.has(finalName)) {
      throw conflict(`Conflict. The container name "/${finalName}" is already in use by container "${this.names.get(finalName)}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    const id = randomId();
    // Reserved before any await, so two creates cannot both take the name.
    this.names.set(finalName, id);
    try {
      return await this.#create(req as CreateRequest & { Image: string }, host, finalName, id);
    } catch (err) {
      if (this.names.get(finalName) === id) this.names.delete(finalName);
      throw err;
    }
  }

  async #create(req: CreateRequest & { Image: string }, host: HostConfig, finalName: string, id: string): Promise<{ Id: string; Warnings: string[] }> {
    let imageId: string;
    try {
      imageId = this.images.resolve(req.Image);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) throw notFound(`No such image: ${req.Image}`);
      throw err;
    }
    const chain = this.images.chainOf(imageId);
    for (const link of chain) this.#pinned.set(link, (this.#pinned.get(link) ?? 0) + 1);
    try {
      return await this.#createFrom(req, host, finalName, id, imageId, chain);
    } finally {
      for (const link of chain) {
        const n = this.#pinned.get(link)! - 1;
        if (n) this.#pinned.set(link, n);
        else this.#pinned.delete(link);
      }
    }
  }

  async #createFrom(req: CreateRequest & { Image: string }, host: HostConfig, finalName: string, id: string, imageId: string, chain: string[]): Promise<{ Id: string; Warnings: string[] }> {
    const imageCfg = await this.images.config(imageId);
    const { HostConfig: _h, NetworkingConfig: _n, ...reqConfig } = req;
    const config = mergeConfig(imageCfg.config ?? {}, reqConfig);
    const argv = commandOf(config);
    if (argv.length === 0) throw badRequest('No command specified');
    const networkState = this.net.atCreate(req, host, req.NetworkingConfig);
    const mountPlan = this.mounts.plan(config, host);
    config.Hostname = req.Hostname || (host.NetworkMode === 'host' ? (await readFile('/etc/hostname', 'utf8').catch(() => 'localhost')).trim() : id.slice(0, 12));
    config.Image = req.Image;
    const record: ContainerRecord = {
      Id: id,
      Name: `/${finalName}`,
      Created: new Date().toISOString(),
      Path: argv[0]!,
      Args: argv.slice(1),
      State: initialState(),
      Image: imageId,
      ImageChain: chain,
      RestartCount: 0,
      Config: config,
      HostConfig: {
        NetworkMode: 'default',
        RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
        LogConfig: { Type: 'k8s-file', Config: {} },
        ...host,
      },
      ManuallyStopped: false,
      NetworkSettings: networkState,
    };
    const c = new Container(record, join(this.opts.dataRoot, 'containers', id), join(this.opts.execRoot, 'containers', id));
    try {
      await mkdir(c.dataDir, { recursive: true, mode: 0o700 });
      await this.images.ensureUnpacked(imageId);
      await this.snapshots.prepare(id, record.ImageChain.at(-1) ?? null);
      const { points, copyUp } = await this.mounts.realize(mountPlan);
      record.MountPoints = points;
      try {
        if (copyUp.length) await this.#copyUp(c, copyUp);
        await c.save();
      } catch (err) {
        await this.mounts.removeAnonymous(points, id);
        throw err;
      }
    } catch (err) {
      await this.snapshots.remove(id).catch(() => {});
      await rm(c.dataDir, { recursive: true, force: true });
      throw err;
    }
    this.containers.set(id, c);
    this.events.emit('container', 'create', id, this.#attrs(c));
    return { Id: id, Warnings: [] };
  }

  /** Fills new empty volumes from the image, with the container's root mounted for the while. */
  #copyUp(c: Container, points: MountPoint[]): Promise<void> {
    return this.#withRootMounted(c, () => this.mounts.copyUp(c.rootfs, points));
  }

  /** Mounts a stopped container's snapshot at its rootfs path for the duration of fn. */
  async #withRootMounted<T>(c: Container, fn: () => Promise<T>): Promise<T> {
    await mkdir(c.rootfs, { recursive: true });
    await this.snapshots.mount(c.id, c.rootfs);
    try {
      return await fn();
    } finally {
      await this.snapshots.unmount(c.rootfs);
    }
  }

  #freshName(): string {
    for (let i = 0; i < 100; i++) {
      const n = generateName();
      if (!this.names.has(n)) return n;
    }
    return `${generateName()}_${randomId().slice(0, 6)}`;
  }

  #attrs(c: Container, extra: Record<string, string> = {}): Record<string, string> {
    return { ...(c.record.Config.Labels ?? {}), image: c.record.Config.Image ?? '', name: c.name, ...extra };
  }

  // ---- start ------------------------------------------------------------

  async start(ref: string): Promise<void> {
    const c = this.get(ref);
    await c.locked(async () => {
      if (c.record.Removing) throw conflict(`container ${c.id} is marked for removal and cannot be started`);
      if (c.running) return;
      clearTimeout(c.restartTimer);
      await this.#startLocked(c);
    });
  }

  async #startLocked(c: Container): Promise<void> {
    const r = c.record;
    const host = r.HostConfig;
    await mkdir(c.runDir, { recursive: true, mode: 0o700 });
    await mkdir(c.rootfs, { recursive: true });
    await rm(join(this.exitDir, c.id), { force: true });
    let created = false;
    c.needsTeardown = true;
    try {
      await this.snapshots.mount(c.id, c.rootfs);
      const passwd = await readInRoot(c.rootfs, '/etc/passwd');
      const group = await readInRoot(c.rootfs, '/etc/group');
      let user;
      try {
        user = resolveUser(r.Config.User ?? '', passwd, group, host.GroupAdd ?? []);
      } catch (err) {
        throw badRequest((err as Error).message);
      }
      const cwd = r.Config.WorkingDir || '/';
      await ensureWorkdir(c.rootfs, cwd, user.uid, user.gid);
      const network = this.net.namespace(c);
      const userMounts = await this.mounts.ociMounts(r.MountPoints ?? []);
      const identity: OciMount[] = await writeIdentityFiles(c.dataDir, {
        hostname: r.Config.Hostname ?? c.id.slice(0, 12),
        hostNetwork: host.NetworkMode === 'host',
        readonly: !!host.ReadonlyRootfs,
        ...this.net.identity(c),
      });
      // A file the user mounts (-v ./hosts:/etc/hosts) wins over berth's own.
      const taken = new Set(userMounts.map((m) => m.destination));
      const mounts = [...userMounts, ...identity.filter((m) => !taken.has(m.destination))];
      let args = [r.Path, ...r.Args];
      if (host.Init) {
        mounts.push({ destination: '/sbin/docker-init', type: 'bind', source: this.opts.initPath, options: ['rbind', 'ro'] });
        args = ['/sbin/docker-init', '--', ...args];
      }
      const security = parseSecurityOpts(host.SecurityOpt ?? []);
      const spec = buildSpec({
        rootfs: c.rootfs,
        args,
        env: processEnv(r.Config, r.Config.Hostname ?? '', user.home),
        cwd,
        user,
        // Without its own UTS namespace a container cannot have a hostname of its own.
        hostname: host.UTSMode === 'host' || host.NetworkMode === 'host' ? '' : (r.Config.Hostname ?? ''),
        terminal: !!r.Config.Tty,
        readonlyRootfs: !!host.ReadonlyRootfs,
        privileged: !!host.Privileged,
        capAdd: host.CapAdd ?? [],
        capDrop: host.CapDrop ?? [],
        hostCaps: hostCaps(),
        noNewPrivileges: security.noNewPrivileges,
        seccomp: security.seccomp,
        network,
        pidMode: host.PidMode === 'host' ? 'host' : 'private',
        ipcMode: host.IpcMode === 'host' ? 'host' : 'private',
        utsMode: host.UTSMode === 'host' || host.NetworkMode === 'host' ? 'host' : 'private',
        mounts,
        // moby's cgroupfs rule: the parent (its own default /docker, ours /berth) joined with the ID.
        cgroupsPath: posix.join(host.CgroupParent || '/berth', c.id),
        cgroupV2: cgroupV2(),
        shmSize: host.ShmSize || 64 * 1024 * 1024,
        resources: {
          memory: host.Memory || undefined,
          memorySwap: host.MemorySwap && host.MemorySwap > 0 ? host.MemorySwap : undefined,
          cpuShares: host.CpuShares || undefined,
          cpuQuota: host.NanoCpus ? Math.round((host.NanoCpus / 1e9) * 100_000) : host.CpuQuota || undefined,
          cpuPeriod: host.NanoCpus ? 100_000 : host.CpuPeriod || undefined,
          pidsLimit: host.PidsLimit ?? undefined,
          cpusetCpus: host.CpusetCpus || undefined,
          cpusetMems: host.CpusetMems || undefined,
        },
        rlimits: host.Ulimits?.length ? capRlimits(host.Ulimits, await hostRlimits()) : [],
        oomScoreAdj: host.OomScoreAdj || undefined,
        sysctl: host.Sysctls ?? undefined,
      });
      await writeFile(join(c.bundle, 'config.json'), serializeSpec(spec));
      const limits = logLimits(host);
      const pid = await this.conmon.create({
        id: c.id,
        bundle: c.bundle,
        logPath: c.logPath,
        logSizeMax: conmonSizeLimit(limits),
        exitDir: this.exitDir,
        socketDir: join(this.opts.execRoot, 'sockets'),
        pidFile: join(c.runDir, 'pidfile'),
        conmonPidFile: join(c.runDir, 'conmon.pid'),
        stdin: !!r.Config.OpenStdin,
        terminal: !!r.Config.Tty,
      });
      created = true;
      r.ConmonPid = Number((await readFile(join(c.runDir, 'conmon.pid'), 'utf8').catch(() => '0')).trim()) || undefined;
      r.BootId = bootId();
      await this.net.attach(c, pid, r.Config.Hostname ?? c.id.slice(0, 12));
      c.markStarted();
      await this.runc.start(c.id, pid);
      Object.assign(r.State, {
        Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
        Pid: pid, ExitCode: 0, Error: '', StartedAt: new Date().toISOString(),
      });
      r.ManuallyStopped = false;
      await c.save();
      this.events.emit('container', 'start', c.id, this.#attrs(c));
    } catch (err) {
      const message = (err as Error).message;
      if (created) await this.runc.delete(c.id).catch(() => {});
      await this.net.detach(c);
      await this.snapshots.unmount(c.rootfs).catch(() => {});
      r.State.Error = message;
      r.State.ExitCode = exitCodeForStartError(message);
      r.State.Status = r.State.StartedAt === '0001-01-01T00:00:00Z' ? 'created' : 'exited';
      r.State.Running = false;
      r.State.Restarting = false;
      r.State.Pid = 0;
      await c.save();
      this.#announceExit(c);
      // docker removes an --rm container whose start failed; the client waits for that.
      if (host.AutoRemove) setImmediate(() => this.remove(c.id, { force: true, volumes: true }).catch(() => {}));
      throw err instanceof ApiError ? err : badRequest(message);
    }
  }

  // ---- exit handling ----------------------------------------------------

  async #handleExit(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    const exitFile = join(this.exitDir, id);
    let code: number | undefined;
    for (let i = 0; i < 50 && code === undefined; i++) {
      const text = await readFile(exitFile, 'utf8').catch(() => undefined);
      if (text === undefined) return; // already handled
      if (text.trim() !== '') code = Number(text.trim());
      else await new Promise((r) => setTimeout(r, 10));
    }
    await c.locked(async () => {
      if (!existsSync(exitFile)) return;
      if (!c.record.State.Running) {
        // The start failed after runc created the process, or start-up swept it:
        // the state already says what happened.
        await rm(exitFile, { force: true });
        return;
      }
      const ranFor = Date.now() - Date.parse(c.record.State.StartedAt);
      const exitCode = code ?? 255;
      const policy = c.record.HostConfig.RestartPolicy;
      const restart = shouldRestart(policy, exitCode, c.record.RestartCount, c.record.ManuallyStopped);
      if (!restart && c.record.HostConfig.AutoRemove) {
        exitedState(c.record, exitCode, '');
        // --rm: the client hears "removed" before anything is written. A crash
        // before the removal mark lands leaves the exit file, so the next start
        // handles this exit again and removes the container then.
        this.#announceExit(c);
        c.record.Removing = true;
        // docker's --rm takes the container's anonymous volumes with it.
        c.record.RemoveVolumes = true;
        c.record.State.Status = 'removing';
        const marked = c.save();
        await this.#removeVolumes(c);
        this.#forget(c);
        await marked;
        await this.#cleanUp(c);
        return;
      }
      // On disk before anyone hears of the exit (a `docker stop` that
      // returned must survive a crash), then set and announced at once, so a
      // `wait` or `inspect` that sees the exit finds its die event; the
      // cleanup comes after, as moby's does, and whatever the container does
      // next waits on its lock.
      const exited = { ...c.record, State: { ...c.record.State } };
      exitedState(exited, exitCode, '');
      if (restart) Object.assign(exited.State, { Status: 'restarting', Restarting: true });
      await c.save(exited);
      c.record = exited;
      this.#announceExit(c);
      await this.#teardown(c);
      await rm(exitFile, { force: true });
      if (restart) {
        const delay = nextDelay(this.#restartDelays.get(c.id) ?? 0, ranFor);
        this.#restartDelays.set(c.id, delay);
        c.restartTimer = setTimeout(() => {
          c.locked(async () => {
            if (!c.record.State.Restarting || c.record.Removing) return;
            c.record.RestartCount++;
            await this.#startLocked(c);
            this.events.emit('container', 'restart', c.id, this.#attrs(c));
          }).catch(() => {});
        }, delay);
      }
    });
  }

  /** The `die` event and the exit waiters, once the state holds the exit code. */
  #announceExit(c: Container): void {
    this.events.emit('container', 'die', c.id, this.#attrs(c, { exitCode: String(c.record.State.ExitCode) }));
    c.notifyExit();
  }

  /** Releases what a running container held: the runc state and the rootfs mount. */
  async #teardown(c: Container): Promise<void> {
    if (!c.needsTeardown) return;
    await this.runc.delete(c.id).catch(() => {});
    await this.net.detach(c);
    await this.snapshots.unmount(c.rootfs).catch(() => {});
    c.needsTeardown = false;
  }

  // ---- stop, kill, restart, wait ----------------------------------------

  async stop(ref: string, timeout?: number, signal?: string): Promise<boolean> {
    const c = this.get(ref);
    if (c.record.State.Restarting) {
      const cancelled = await c.locked(async () => {
        // The restart may have run while this waited for the lock: then stop it as running.
        if (!c.record.State.Restarting || c.running) return false;
        clearTimeout(c.restartTimer);
        c.record.ManuallyStopped = true;
        c.record.State.Restarting = false;
        c.record.State.Status = 'exited';
        await c.save();
        return true;
      });
      if (cancelled) return true;
    }
    if (!c.running) return false;
    c.record.ManuallyStopped = true;
    const sig = parseSignal(signal, c.record.Config.StopSignal || 'SIGTERM');
    const secs = timeout ?? (c.record.Config.StopTimeout ?? DEFAULT_STOP_TIMEOUT);
    const exited = c.stopped;
    this.#signal(c, sig);
    const done = secs < 0 ? await exited.then(() => true) : await Promise.race([exited.then(() => true), sleep(secs * 1000).then(() => false)]);
    if (!done) {
      this.#signal(c, 9);
      await exited;
    }
    this.events.emit('container', 'stop', c.id, this.#attrs(c));
    return true;
  }

  async kill(ref: string, signal?: string): Promise<void> {
    const c = this.get(ref);
    const sig = parseSignal(signal, 'SIGKILL');
    if (!c.running) throw conflict(`Container ${c.id} is not running`);
    if (sig === 9) c.record.ManuallyStopped = true;
    this.#signal(c, sig);
    this.events.emit('container', 'kill', c.id, this.#attrs(c, { signal: String(sig) }));
  }

  #signal(c: Container, sig: number): void {
    try {
      process.kill(c.record.State.Pid, sig);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
    // A frozen cgroup (v1) holds even SIGKILL until thawed, as moby knows too.
    if (sig === 9 && c.record.State.Paused) {
      c.record.State.Paused = false;
      this.runc.resume(c.id).catch(() => {});
    }
  }

  async restart(ref: string, timeout?: number, signal?: string): Promise<void> {
    await this.stop(ref, timeout, signal);
    await this.start(ref);
    this.events.emit('container', 'restart', this.get(ref).id, this.#attrs(this.get(ref)));
  }

  /** Throws (404) at once for an unknown container; the promise settles at the condition. */
  wait(ref: string, condition: string): Promise<{ StatusCode: number; Error: { Message: string } | null }> {
    const c = this.get(ref);
    if (condition === 'removed') return c.waitRemoved();
    if (condition === 'next-exit') return c.waitExit();
    if (!c.running && !c.record.State.Restarting) return Promise.resolve(c.exitResult());
    return c.waitExit();
  }

  // ---- remove -----------------------------------------------------------

  async remove(ref: string, opts: { force?: boolean; volumes?: boolean }): Promise<void> {
    const done = this.#remove(ref, opts);
    void this.#track(done);
    return done;
  }

  async #remove(ref: string, opts: { force?: boolean; volumes?: boolean }): Promise<void> {
    const c = this.get(ref);
    if (opts.force) c.record.ManuallyStopped = true;
    // A start may be under way (holding the lock) and finish running: then kill again.
    for (let attempt = 0; ; attempt++) {
      if (c.running) {
        if (!opts.force) throw conflict(`cannot remove container "/${c.name}": container is running: stop the container before removing or force remove`);
        const exited = c.stopped;
        this.#signal(c, 9);
        await exited;
      }
      const removed = await c.locked(async () => {
        if (!this.containers.has(c.id)) return true;
        if (c.running) {
          if (!opts.force || attempt >= 3) throw conflict(`cannot remove container "/${c.name}": container is running`);
          return false;
        }
        clearTimeout(c.restartTimer);
        c.record.Removing = true;
        c.record.RemoveVolumes = !!opts.volumes;
        c.record.State.Status = 'removing';
        await c.save();
        await this.#finishRemove(c);
        return true;
      });
      if (removed) return;
    }
  }

  /**
   * The record already carries the removal mark, so the container is gone for
   * clients at once; a crash during the cleanup after is finished at start-up.
   */
  async #finishRemove(c: Container): Promise<void> {
    await this.#removeVolumes(c);
    this.#forget(c);
    await this.#cleanUp(c);
  }

  /** Before the removal is announced, as docker's clients expect the volumes gone with it. */
  async #removeVolumes(c: Container): Promise<void> {
    if (c.record.RemoveVolumes) await this.mounts.removeAnonymous(c.record.MountPoints, c.id);
  }

  /** The container disappears from the API and its removal waiters are told. */
  #forget(c: Container): void {
    this.containers.delete(c.id);
    if (this.names.get(c.name) === c.id) this.names.delete(c.name);
    this.#restartDelays.delete(c.id);
    this.events.emit('container', 'destroy', c.id, this.#attrs(c));
    c.notifyRemoved();
  }

  async #cleanUp(c: Container): Promise<void> {
    await this.#teardown(c);
    await rm(join(this.exitDir, c.id), { force: true });
    await this.snapshots.remove(c.id).catch(() => {});
    await rm(c.runDir, { recursive: true, force: true });
    await rm(c.dataDir, { recursive: true, force: true });
  }

  // ---- filesystem access -----------------------------------------------

  /**
   * Runs `fn` on a container's files: a running container's own, a stopped
   * one's snapshot mounted for the while. The container's lock is held, so
   * it cannot start, exit or be removed meanwhile. The caller has its answer when
   * `fn` is done; the unmount after it, which syncs the data root's
   * filesystem (see unmountAsync) and after a `cp` into the container
   * writes all of it, finishes under the container's lock, so whatever the
   * container does next waits for it.
   */
  withFs<T>(ref: string, fn: (fs: ContainerFs, c: Container) => Promise<T>): Promise<T> {
    const c = this.get(ref);
    return new Promise<T>((resolve, reject) => {
      let answered = false;
      const answer = async (view: ContainerFs): Promise<void> => {
        try {
          resolve(await fn(view, c));
        } catch (err) {
          reject(err);
        }
        answered = true;
      };
      const work = c.locked(async () => {
        if (c.record.Removing) throw conflict(`container ${c.id} is marked for removal`);
        const view = { root: c.rootfs, mounts: fsMounts(c.record.MountPoints), running: c.running };
        await (c.running ? answer(view) : this.#withRootMounted(c, () => answer(view)));
      });
      void this.#track(work.catch((err: Error) => {
        if (answered) console.error(`berthd: container ${c.id}: ${err.message}`);
        else reject(err);
      }));
    });
  }

  // ---- networks ---------------------------------------------------------

  async connect(netRef: string, ref: string, cfg: Partial<EndpointSettings>): Promise<void> {
    const net = this.net.networks.get(netRef);
    const c = this.get(ref);
    await c.locked(async () => {
      await this.net.connect(c, net, cfg ?? {});
      await c.save();
    });
    this.net.networks.opts.emit('connect', net, { container: c.id });
  }

  async disconnect(netRef: string, ref: string, force: boolean): Promise<void> {
    const net = this.net.networks.get(netRef);
    const c = force ? this.find(ref) : this.get(ref);
    if (!c) return;
    await c.locked(async () => {
      await this.net.disconnect(c, net);
      await c.save();
    });
    this.net.networks.opts.emit('disconnect', net, { container: c.id });
  }

  // ---- misc -------------------------------------------------------------

  async rename(ref: string, newName: string): Promise<void> {
    const c = this.get(ref);
    await c.locked(() => this.#rename(c, newName));
  }

  async #rename(c: Container, newName: string): Promise<void> {
    const name = validateName(newName);
    if (c.record.Removing) throw conflict(`container ${c.id} is being removed`);
    if (name === c.name) throw badRequest(`Renaming a container with the same name as its current name`);
    if (this.names.has(name)) throw conflict(`Conflict. The container name "/${name}" is already in use by container "${this.names.get(name)}". You have to remove (or rename) that container to be able to reuse that name.`);
    const old = c.name;
    this.names.set(name, c.id);
    this.names.delete(old);
    c.record.Name = `/${name}`;
    await c.save();
    this.events.emit('container', 'rename', c.id, this.#attrs(c, { oldName: `/${old}` }));
  }

  async pause(ref: string, pause: boolean): Promise<void> {
    const c = this.get(ref);
    await c.locked(async () => {
      if (!c.running) throw conflict(`Container ${c.id} is not running`);
      if (pause === c.record.State.Paused) throw conflict(`Container ${c.id} is ${pause ? 'already paused' : 'not paused'}`);
      if (pause) await this.runc.pause(c.id);
      else await this.runc.resume(c.id);
      c.record.State.Paused = pause;
      c.record.State.Status = pause ? 'paused' : 'running';
      await c.save();
    });
    this.events.emit('container', pause ? 'pause' : 'unpause', c.id, this.#attrs(c));
  }

  /** Resizes a TTY container's terminal (conmon control message type 1). */
  async resize(ref: string, height: number, width: number): Promise<void> {
    const c = this.get(ref);
    if (!c.running) throw conflict(`Container ${c.id} is not running`);
    if (!c.record.Config.Tty) return;
    await conmonControl(join(c.bundle, 'ctl'), `1 ${height} ${width}`);
  }

  async top(ref: string, psArgs: string): Promise<{ Titles: string[]; Processes: string[][] }> {
    const c = this.get(ref);
    if (!c.running) throw conflict(`Container ${c.id} is not running`);
    const args = psArgs.trim() ? psArgs.trim().split(/\s+/) : ['-ef'];
    const out = await this.runc.run(['ps', c.id, ...args]);
    const lines = out.split('\n').filter((l) => l.trim());
    const titles = (lines.shift() ?? '').trim().split(/\s+/);
    const processes = lines.map((l) => {
      const f = l.trim().split(/\s+/);
      return [...f.slice(0, titles.length - 1), f.slice(titles.length - 1).join(' ')];
    });
    return { Titles: titles, Processes: processes };
  }

  async prune(filter: (c: Container) => boolean): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }> {
    const deleted: string[] = [];
    let space = 0;
    for (const c of [...this.containers.values()]) {
      if (c.running || c.record.State.Restarting || !filter(c)) continue;
      space += await this.snapshots.usage(c.id).catch(() => 0);
      await this.remove(c.id, {});
      deleted.push(c.id);
    }
    return { ContainersDeleted: deleted, SpaceReclaimed: space };
  }

  async checkRuntime(): Promise<void> {
    for (const p of [this.opts.runtimePath, this.opts.conmonPath]) {
      await access(p).catch(() => {
        throw new Error(`${p} not found: install it (make deps)`);
      });
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Docker's exit codes for a process that never ran: 127 not found, 126 not executable. */
export function exitCodeForStartError(message: string): number {
  if (/executable file not found|no such file or directory|not found in \$PATH/i.test(message)) return 127;
  if (/permission denied|is a directory|exec format error/i.test(message)) return 126;
  return 128;
}

function parseSecurityOpts(opts: string[]): { noNewPrivileges: boolean; seccomp: boolean } {
  let noNewPrivileges = false;
  let seccomp = true;
  for (const o of opts) {
    const [k, v] = o.includes('=') ? (o.split('=', 2) as [string, string]) : o.includes(':') ? (o.split(':', 2) as [string, string]) : [o, 'true'];
    if (k === 'no-new-privileges') noNewPrivileges = v !== 'false';
    else if (k === 'seccomp') {
      if (v !== 'unconfined') throw badRequest('only seccomp=unconfined is supported; custom profiles are not yet');
      seccomp = false;
    } else if (k === 'apparmor' || k === 'label') continue;
    else throw badRequest(`invalid --security-opt: ${o}`);
  }
  return { noNewPrivileges, seccomp };
}

function logLimits(host: HostConfig): LogLimits {
  const cfg = host.LogConfig?.Config ?? {};
  const maxFile = cfg['max-file'] !== undefined ? Number(cfg['max-file']) : DEFAULT_LOG_LIMITS.maxFile;
  return { maxSize: parseSize(cfg['max-size']) ?? DEFAULT_LOG_LIMITS.maxSize, maxFile };
}

/** What an exit makes of a container's state. */
function exitedState(r: ContainerRecord, code: number, error: string): void {
  Object.assign(r.State, {
    Status: 'exited', Running: false, Paused: false, Restarting: false, Pid: 0,
    ExitCode: code, Error: error, FinishedAt: new Date().toISOString(),
  });
  r.ConmonPid = undefined;
}
