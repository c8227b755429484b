// berthd: the daemon. Wires storage, images, the engine and the API together,
// owns the data root (one daemon per root) and shuts down gracefully; the
// containers it started keep running under conmon while it is away.
import { parseArgs } from 'node:util';
import { open, readFile, rm, statfs } from 'node:fs/promises';
import { hostname, cpus, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { createSnapshotter } from './storage/index.ts';
import { ImageService } from './image/service.ts';
import { Engine } from './engine/engine.ts';
import { ExecManager } from './engine/exec.ts';
import { buildRouter, listen } from './api/server.ts';
import { BuildCache } from './build/cache.ts';
import { sweepBuildLeftovers } from './build/leftovers.ts';
import { BlobSources } from './distribution/blob-sources.ts';
import { ensureDir } from './util/fs-atomic.ts';
import { VERSION } from './version.ts';
import { IdleTrimmer } from './util/idle-trim.ts';
import { cgroupVersion } from './runtime/cgroups.ts';
import { API_VERSION } from './api/router.ts';
import { bootId, isAlive } from './util/process.ts';
import { NetworkManager } from './network/manager.ts';
import { VolumeService } from './volume/service.ts';
import { DEFAULT_POOLS, isIp, parseCidr, parsePool } from './network/ipnet.ts';

const USAGE = `Usage: berthd [OPTIONS]

A self-sufficient runtime for containers, speaking the Docker Engine API.

Options:
      --data-root string   Root directory of persistent state (default "/var/lib/berth")
      --exec-root string   Root directory for execution state files (default "/run/berth")
  -H, --host string        Daemon socket to listen on (default "unix:///run/berth/berth.sock")
      --runtime string     Path of the OCI runtime (default "/usr/sbin/runc")
      --conmon string      Path of conmon (default "/usr/bin/conmon")
      --storage-driver string  overlay2 or vfs (default: overlay2 when it mounts)
  -b, --bridge string      Bridge interface of the default network (default "berth0")
      --bip string         Address and prefix of the default bridge, e.g. 172.17.0.1/16
      --default-address-pool list  Pools for new networks: base=CIDR,size=N (repeatable)
      --dns list           DNS servers for containers and the networks' DNS servers to forward to
                           (default: those of /etc/resolv.conf)
      --cni-plugin-dir string  Where the CNI plugins are (default "/usr/lib/cni")
      --log-level string   debug, info, warn or error (default "info")
  -p, --pidfile string     Path of the daemon's PID file (default "<exec-root>/berthd.pid")
  -h, --help               Print usage
  -v, --version            Print version information and quit
`;

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        'data-root': { type: 'string', default: '/var/lib/berth' },
        'exec-root': { type: 'string', default: '/run/berth' },
        host: { type: 'string', short: 'H' },
        runtime: { type: 'string', default: '/usr/sbin/runc' },
        conmon: { type: 'string', default: '/usr/bin/conmon' },
        'storage-driver': { type: 'string' },
        bridge: { type: 'string', short: 'b', default: 'berth0' },
        bip: { type: 'string' },
        'default-address-pool': { type: 'string', multiple: true },
        dns: { type: 'string', multiple: true },
        'cni-plugin-dir': { type: 'string', default: '/usr/lib/cni' },
        'log-level': { type: 'string', default: 'info' },
        pidfile: { type: 'string', short: 'p' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`berthd: ${(err as Error).message}\n\n${USAGE}`);
    process.exit(125);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.version) {
    process.stdout.write(`berthd version ${VERSION}, API ${API_VERSION}\n`);
    return;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('berthd: must run as root\n');
    process.exit(1);
  }
  const dataRoot = values['data-root']!;
  const execRoot = values['exec-root']!;
  const host = values.host ?? `unix://${join(execRoot, 'berth.sock')}`;
  if (!host.startsWith('unix://')) {
    process.stderr.write(`berthd: only unix:// sockets are supported for -H (got ${host})\n`);
    process.exit(1);
  }
  const socketPath = host.slice(7);
  let pools, bridge;
  try {
    pools = values['default-address-pool']?.map(parsePool) ?? DEFAULT_POOLS;
    if (values.bip) parseCidr(values.bip);
    bridge = values.bridge!;
    if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(bridge)) throw new Error(`invalid bridge name ${bridge}`);
    for (const d of values.dns ?? []) if (!isIp(d)) throw new Error(`${d} is not an IPv4 address`);
  } catch (err) {
    process.stderr.write(`berthd: ${(err as Error).message}\n`);
    process.exit(1);
  }
  await ensureDir(dataRoot, 0o711);
  await ensureDir(execRoot, 0o711);
  const pidfile = values.pidfile ?? join(execRoot, 'berthd.pid');
  await takeLock(join(dataRoot, 'berthd.lock'));
  await takeLock(pidfile);

  const snapshots = await createSnapshotter(join(dataRoot, 'storage'), values['storage-driver'] as 'overlay2' | 'vfs' | undefined);
  const images = new ImageService(join(dataRoot, 'image'), snapshots);
  await images.init();
  let engine: Engine | undefined;
  const networks = new NetworkManager({
    dataRoot, bridge, bip: values.bip, pools,
    upstreams: values.dns ?? (await hostNameservers()),
    containerDns: values.dns ?? [],
    pluginDir: values['cni-plugin-dir']!,
    members: () => engine?.net.members() ?? [],
    emit: (action, net, attrs) => engine?.events.emit('network', action, net.Id, { name: net.Name, type: net.Driver, ...attrs }),
  });
  await networks.init();
  const volumes = new VolumeService(join(dataRoot, 'volumes'));
  await volumes.init();
  engine = new Engine({
    dataRoot, execRoot,
    runtimePath: values.runtime!,
    conmonPath: values.conmon!,
    initPath: '/usr/bin/tini-static',
  }, images, snapshots, networks, volumes);
  await engine.checkRuntime();
  await engine.init();
  const execs = new ExecManager(engine);
  const info = async (): Promise<object> => daemonInfo(engine, dataRoot, values.runtime!);
  await sweepBuildLeftovers(join(dataRoot, 'build'));
  const buildCache = new BuildCache(join(dataRoot, 'build', 'cache.json'), images);
  await buildCache.init();
  const server = await listen(buildRouter({ engine, execs, info, buildCache, blobSources: new BlobSources() }), socketPath);
  // A second without requests ends a burst; what it freed goes back to the system.
  const trimmer = new IdleTrimmer(1000);
  server.on('request', (_req, res) => {
    trimmer.touch();
    res.once('close', () => trimmer.touch());
  });
  server.on('upgrade', (_req, socket) => {
    trimmer.touch();
    socket.once('close', () => trimmer.touch());
  });
  // Start-up ends at the first quiet second, requests or not.
  trimmer.touch();
  if (values['log-level'] !== 'error') process.stderr.write(`berthd ${VERSION}: API listening on ${socketPath} (storage ${snapshots.driver})\n`);

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    // No new requests; exits and removals under way finish their teardown first.
    server.close();
    server.closeAllConnections();
    await engine!.shutdown();
    await networks.shutdown();
    await rm(socketPath, { force: true });
    await rm(pidfile, { force: true });
    await rm(join(dataRoot, 'berthd.lock'), { force: true });
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

/** The host's name servers: berthd runs in the host's namespace, so loopback ones work for its DNS servers too. */
async function hostNameservers(): Promise<string[]> {
  const text = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  return text.split('\n').map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((s): s is string => !!s && isIp(s));
}

/** One daemon per root: a lock file holding a live PID refuses a second start. */
async function takeLock(path: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o644);
      await fh.writeFile(`${process.pid} ${bootId()}\n`);
      await fh.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const [pidText = '', boot = ''] = (await readFile(path, 'utf8').catch(() => '')).trim().split(' ');
      const pid = Number(pidText);
      // A lock from an earlier boot is stale whatever process has that PID now.
      if (pid && pid !== process.pid && boot === bootId() && isAlive(pid)) {
        process.stderr.write(`berthd: another daemon (pid ${pid}) is using ${path}\n`);
        process.exit(1);
      }
      await rm(path, { force: true });
    }
  }
}

async function daemonInfo(engine: Engine, dataRoot: string, runtime: string): Promise<object> {
  const all = [...engine.containers.values()];
  const running = all.filter((c) => c.running && !c.record.State.Paused).length;
  const paused = all.filter((c) => c.record.State.Paused).length;
  const osRelease = await readFile('/etc/os-release', 'utf8').catch(() => '');
  const prettyName = /PRETTY_NAME="([^"]*)"/.exec(osRelease)?.[1] ?? 'Linux';
  const fs = await statfs(dataRoot).catch(() => undefined);
  return {
    ID: 'berth',
    Containers: all.length,
    ContainersRunning: running,
    ContainersPaused: paused,
    ContainersStopped: all.length - running - paused,
    Images: engine.images.store.list().length,
    Driver: engine.snapshots.driver,
    DriverStatus: [['Backing Filesystem', fs ? `0x${fs.type.toString(16)}` : 'unknown']],
    Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['k8s-file'] },
    MemoryLimit: true, SwapLimit: true, KernelMemory: false, KernelMemoryTCP: false, CpuCfsPeriod: true, CpuCfsQuota: true,
    CPUShares: true, CPUSet: true, PidsLimit: true, IPv4Forwarding: true, BridgeNfIptables: false, BridgeNfIp6tables: false,
    Debug: false, NFd: 0, OomKillDisable: false, NGoroutines: 0, SystemTime: new Date().toISOString(),
    LoggingDriver: 'k8s-file', CgroupDriver: 'cgroupfs', CgroupVersion: cgroupVersion(), NEventsListener: 0,
    KernelVersion: release(), OperatingSystem: prettyName, OSVersion: /VERSION_ID="([^"]*)"/.exec(osRelease)?.[1] ?? '',
    OSType: 'linux', Architecture: 'x86_64', IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: { AllowNondistributableArtifactsCIDRs: null, AllowNondistributableArtifactsHostnames: null, InsecureRegistryCIDRs: ['127.0.0.0/8'], IndexConfigs: {}, Mirrors: null },
    NCPU: cpus().length, MemTotal: totalmem(), GenericResources: null, DockerRootDir: dataRoot,
    HttpProxy: process.env.HTTP_PROXY ?? '', HttpsProxy: process.env.HTTPS_PROXY ?? '', NoProxy: process.env.NO_PROXY ?? '',
    Name: hostname(), Labels: [], ExperimentalBuild: false, ServerVersion: VERSION,
    Runtimes: { runc: { path: runtime } }, DefaultRuntime: 'runc',
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: true, Isolation: '', InitBinary: 'docker-init',
    ContainerdCommit: { ID: '' }, RuncCommit: { ID: '' }, InitCommit: { ID: '' },
    SecurityOptions: ['name=seccomp,profile=builtin'], Warnings: null,
  };
}

main().catch((err) => {
  process.stderr.write(`berthd: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
