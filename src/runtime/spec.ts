// Builds the OCI runtime spec (config.json) runc reads. Pure: everything it
// needs (resolved user, host limits, cgroup version) is passed in.
import { DEFAULT_DEVICE_RULES, MASKED_PATHS, READONLY_PATHS, effectiveCaps } from './defaults.ts';
import { defaultSeccomp } from './seccomp.ts';

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface SpecInput {
  rootfs: string;
  args: string[];
  env: string[];
  cwd: string;
  user: { uid: number; gid: number; additionalGids: number[] };
  hostname: string;
  terminal: boolean;
  readonlyRootfs: boolean;
  privileged: boolean;
  capAdd: string[];
  capDrop: string[];
  /** Capabilities the daemon holds (its bounding set). */
  hostCaps: string[];
  noNewPrivileges: boolean;
  seccomp: boolean;
  /** "private" (new), "host", or a netns path to join. */
  network: { mode: 'private' | 'host' } | { mode: 'path'; path: string };
  pidMode: 'private' | 'host';
  ipcMode: 'private' | 'host';
  utsMode: 'private' | 'host';
  mounts: OciMount[];
  cgroupsPath: string;
  cgroupV2: boolean;
  shmSize: number;
  resources: { memory?: number; memorySwap?: number; cpuShares?: number; cpuQuota?: number; cpuPeriod?: number; pidsLimit?: number; cpusetCpus?: string; cpusetMems?: string };
  rlimits: { type: string; hard: number; soft: number }[];
  oomScoreAdj?: number;
  sysctl?: Record<string, string>;
}

function defaultMounts(input: SpecInput): OciMount[] {
  const sysOpts = ['nosuid', 'noexec', 'nodev', input.privileged ? 'rw' : 'ro'];
  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: sysOpts },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', input.privileged ? 'rw' : 'ro'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  ];
  if (input.ipcMode === 'private') {
    mounts.push({ destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${input.shmSize}`] });
  } else {
    mounts.push({ destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'nosuid', 'noexec', 'nodev'] });
  }
  return mounts;
}

export function buildSpec(input: SpecInput): object {
  const caps = effectiveCaps(input.capAdd, input.capDrop, input.privileged, input.hostCaps);
  const namespaces: { type: string; path?: string }[] = [{ type: 'mount' }];
  if (input.pidMode === 'private') namespaces.push({ type: 'pid' });
  if (input.ipcMode === 'private') namespaces.push({ type: 'ipc' });
  if (input.utsMode === 'private') namespaces.push({ type: 'uts' });
  if (input.network.mode === 'private') namespaces.push({ type: 'network' });
  else if (input.network.mode === 'path') namespaces.push({ type: 'network', path: input.network.path });
  if (input.cgroupV2) namespaces.push({ type: 'cgroup' });

  const r = input.resources;
  const resources: Record<string, unknown> = { devices: input.privileged ? [{ allow: true, access: 'rwm' }] : DEFAULT_DEVICE_RULES };
  if (r.memory) resources.memory = { limit: r.memory, ...(r.memorySwap ? { swap: r.memorySwap } : {}) };
  const cpu: Record<string, unknown> = {};
  if (r.cpuShares) cpu.shares = r.cpuShares;
  if (r.cpuQuota) cpu.quota = r.cpuQuota;
  if (r.cpuPeriod) cpu.period = r.cpuPeriod;
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems) cpu.mems = r.cpusetMems;
  if (Object.keys(cpu).length) resources.cpu = cpu;
  if (r.pidsLimit && r.pidsLimit > 0) resources.pids = { limit: r.pidsLimit };

  return {
    ociVersion: '1.0.2',
    process: {
      terminal: input.terminal,
      user: { uid: input.user.uid, gid: input.user.gid, additionalGids: input.user.additionalGids },
      args: input.args,
      env: input.env,
      cwd: input.cwd,
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: input.rlimits.map((l) => ({ type: l.type, hard: l.hard, soft: l.soft })),
      noNewPrivileges: input.noNewPrivileges,
      ...(input.oomScoreAdj !== undefined ? { oomScoreAdj: input.oomScoreAdj } : {}),
    },
    root: { path: input.rootfs, readonly: input.readonlyRootfs },
    hostname: input.hostname,
    mounts: [...defaultMounts(input), ...input.mounts],
    linux: {
      namespaces,
      cgroupsPath: input.cgroupsPath,
      resources,
      ...(input.sysctl && Object.keys(input.sysctl).length ? { sysctl: input.sysctl } : {}),
      ...(input.privileged ? {} : { maskedPaths: MASKED_PATHS, readonlyPaths: READONLY_PATHS }),
      ...(input.seccomp && !input.privileged ? { seccomp: defaultSeccomp(caps) } : {}),
    },
  };
}

const RLIM_INFINITY = '18446744073709551615';

/** config.json text: unlimited rlimits need RLIM_INFINITY, a uint64 JSON numbers in JS cannot spell. */
export function serializeSpec(spec: object): string {
  return JSON.stringify(spec, (_k, v: unknown) => (v === Infinity ? '__RLIM_INFINITY__' : v)).replaceAll('"__RLIM_INFINITY__"', RLIM_INFINITY);
}
