// The flags run and create share, and how docker's parse() turns them into
// the POST /containers/create body (Config + HostConfig + NetworkingConfig).
import type { FlagSpec, ParsedFlags } from './flags.ts';
import { parseGoInt } from './flags.ts';
import { formatIp, parseIp } from './ipaddr.ts';
import { kvToMap, readKvFiles, resolveEnv, validateEnv, validateLabel } from './kvfile.ts';
import { parseMount, splitVolumes } from './mount-opts.ts';
import type { Mount } from './mount-opts.ts';
import { networking, parseNetworkOpt, validateLink } from './network-opts.ts';
import { parsePorts } from './portspec.ts';
import { parseDuration } from './timeparse.ts';
import { ramInBytes } from './units.ts';
import { normalizeExtraHost } from '../network/extra-hosts.ts';

const bytes = (v: string): string => String(ramInBytes(v));

/** opts.MemSwapBytes: like bytes, but -1 means unlimited. */
const swapBytes = (v: string): string => (v === '-1' ? v : bytes(v));

/** opts.NanoCPUs: a decimal number of CPUs, kept exact to the nanoCPU. */
function nanoCpus(v: string): string {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(v);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new Error(`failed to parse ${v} as a rational number`);
  const frac = m[3] ?? '';
  if (/[1-9]/.test(frac.slice(9))) throw new Error('value is too precise');
  const nanos = BigInt(m[2] || '0') * 1_000_000_000n + BigInt(frac.slice(0, 9).padEnd(9, '0'));
  return (m[1] === '-' ? -nanos : nanos).toString();
}

const duration = (v: string): string => String(parseDuration(v));

const ULIMITS = new Set(['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack']);

export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

/** units.ParseUlimit: "nofile=1024[:2048]". */
export function parseUlimit(v: string): Ulimit {
  const eq = v.indexOf('=');
  if (eq < 0) throw new Error(`invalid ulimit argument: ${v}`);
  const name = v.slice(0, eq);
  if (!ULIMITS.has(name.toLowerCase())) throw new Error(`invalid ulimit type: ${name}`);
  const parts = v.slice(eq + 1).split(':');
  if (parts.length > 2) throw new Error(`too many limit value arguments - ${v.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const soft = parseGoInt(parts[0]!);
  const hard = parts.length === 2 ? parseGoInt(parts[1]!) : soft;
  if (hard !== -1 && soft > hard) throw new Error(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: name, Soft: soft, Hard: hard };
}

function validateAttach(v: string): string {
  const s = v.toLowerCase();
  if (!['stdin', 'stdout', 'stderr'].includes(s)) throw new Error('valid streams are STDIN, STDOUT and STDERR');
  return s;
}

function validateSysctl(v: string): string {
  if (!v.includes('=')) throw new Error(`sysctl '${v}' is not allowed`);
  return v;
}

/** opts.ValidateIPAddress: the address as Go writes it back. */
function validateIp(v: string): string {
  const ip = parseIp(v.trim());
  if (!ip) throw new Error(`IP address is not correctly formatted: ${v}`);
  return formatIp(ip);
}

const s = (name: string, usage: string, short?: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, short, kind: 'string', usage, ...extra });
const b = (name: string, usage: string, short?: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, short, kind: 'bool', usage, ...extra });
const l = (name: string, usage: string, short?: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, short, kind: 'list', usage, ...extra });
const i = (name: string, usage: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, kind: 'int', usage, ...extra });

/** Flags for both create and run. */
export const CONTAINER_FLAGS: FlagSpec[] = [
  l('add-host', 'Add a custom host-to-IP mapping (host:ip)', undefined, { validate: normalizeExtraHost }),
  l('attach', 'Attach to STDIN, STDOUT or STDERR', 'a', { validate: validateAttach }),
  l('cap-add', 'Add Linux capabilities'),
  l('cap-drop', 'Drop Linux capabilities'),
  s('cgroup-parent', 'Optional parent cgroup for the container'),
  s('cgroupns', 'Cgroup namespace to use (host|private)'),
  s('cidfile', 'Write the container ID to the file'),
  i('cpu-period', 'Limit CPU CFS (Completely Fair Scheduler) period'),
  i('cpu-quota', 'Limit CPU CFS (Completely Fair Scheduler) quota'),
  { ...i('cpu-shares', 'CPU shares (relative weight)'), short: 'c' },
  s('cpus', 'Number of CPUs', undefined, { type: 'decimal', validate: nanoCpus }),
  s('cpuset-cpus', 'CPUs in which to allow execution (0-3, 0,1)'),
  s('cpuset-mems', 'MEMs in which to allow execution (0-3, 0,1)'),
  l('device', 'Add a host device to the container'),
  b('disable-content-trust', 'Skip image verification', undefined, { default: true, hidden: true }),
  l('dns', 'Set custom DNS servers', undefined, { validate: validateIp }),
  l('dns-option', 'Set DNS options'),
  l('dns-search', 'Set custom DNS search domains'),
  s('domainname', 'Container NIS domain name'),
  s('entrypoint', 'Overwrite the default ENTRYPOINT of the image'),
  l('env', 'Set environment variables', 'e', { validate: validateEnv }),
  l('env-file', 'Read in a file of environment variables'),
  l('expose', 'Expose a port or a range of ports'),
  l('group-add', 'Add additional groups to join'),
  s('health-cmd', 'Command to run to check health'),
  s('health-interval', 'Time between running the check (ms|s|m|h)', undefined, { type: 'duration', validate: duration }),
  i('health-retries', 'Consecutive failures needed to report unhealthy'),
  s('health-start-interval', 'Time between running the check during the start period (ms|s|m|h)', undefined, { type: 'duration', validate: duration }),
  s('health-start-period', 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h)', undefined, { type: 'duration', validate: duration }),
  s('health-timeout', 'Maximum time to allow one check to run (ms|s|m|h)', undefined, { type: 'duration', validate: duration }),
  b('help', 'Print usage'),
  s('hostname', 'Container host name', 'h'),
  b('init', 'Run an init inside the container that forwards signals and reaps processes'),
  b('interactive', 'Keep STDIN open even if not attached', 'i'),
  s('ip', 'IPv4 address (e.g., 172.30.100.104)'),
  s('ip6', 'IPv6 address (e.g., 2001:db8::33)'),
  s('ipc', 'IPC mode to use'),
  s('isolation', 'Container isolation technology'),
  l('label', 'Set meta data on a container', 'l', { validate: validateLabel }),
  l('label-file', 'Read in a line delimited file of labels'),
  l('link', 'Add link to another container', undefined, { validate: validateLink }),
  l('link-local-ip', 'Container IPv4/IPv6 link-local addresses'),
  s('log-driver', 'Logging driver for the container'),
  l('log-opt', 'Log driver options'),
  s('mac-address', 'Container MAC address (e.g., 92:d0:c6:0a:29:33)'),
  s('memory', 'Memory limit', 'm', { type: 'bytes', validate: bytes }),
  s('memory-reservation', 'Memory soft limit', undefined, { type: 'bytes', validate: bytes }),
  s('memory-swap', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", undefined, { type: 'bytes', validate: swapBytes }),
  i('memory-swappiness', 'Tune container memory swappiness (0 to 100)', { default: -1 }),
  // Checked as pflag parses it; relative sources are resolved when the body is built.
  l('mount', 'Attach a filesystem mount to the container', undefined, { type: 'mount', validate: (v) => (parseMount(v, '/'), v) }),
  s('name', 'Assign a name to the container'),
  l('network', 'Connect a container to a network', undefined, { type: 'network', validate: (v) => (parseNetworkOpt(v), v) }),
  l('network-alias', 'Add network-scoped alias for the container'),
  b('no-healthcheck', 'Disable any container-specified HEALTHCHECK'),
  b('oom-kill-disable', 'Disable OOM Killer'),
  i('oom-score-adj', "Tune host's OOM preferences (-1000 to 1000)"),
  s('pid', 'PID namespace to use'),
  i('pids-limit', 'Tune container pids limit (set -1 for unlimited)'),
  s('platform', 'Set platform if server is multi-platform capable'),
  b('privileged', 'Give extended privileges to this container'),
  l('publish', "Publish a container's port(s) to the host", 'p'),
  b('publish-all', 'Publish all exposed ports to random ports', 'P'),
  s('pull', 'Pull image before running ("always", "missing", "never")', undefined, { default: 'missing' }),
  b('quiet', 'Suppress the pull output', 'q'),
  b('read-only', "Mount the container's root filesystem as read only"),
  s('restart', 'Restart policy to apply when a container exits', undefined, { default: 'no' }),
  b('rm', 'Automatically remove the container and its associated anonymous volumes when it exits'),
  s('runtime', 'Runtime to use for this container'),
  l('security-opt', 'Security Options'),
  s('shm-size', 'Size of /dev/shm', undefined, { type: 'bytes', validate: bytes }),
  s('stop-signal', 'Signal to stop the container'),
  i('stop-timeout', 'Timeout (in seconds) to stop a container'),
  l('storage-opt', 'Storage driver options for the container'),
  l('sysctl', 'Sysctl options', undefined, { type: 'map', validate: validateSysctl }),
  l('tmpfs', 'Mount a tmpfs directory'),
  b('tty', 'Allocate a pseudo-TTY', 't'),
  l('ulimit', 'Ulimit options', undefined, { type: 'ulimit', validate: (v) => (parseUlimit(v), v) }),
  s('user', 'Username or UID (format: <name|uid>[:<group|gid>])', 'u'),
  s('userns', 'User namespace to use'),
  s('uts', 'UTS namespace to use'),
  l('volume', 'Bind mount a volume', 'v'),
  s('volume-driver', 'Optional volume driver for the container'),
  l('volumes-from', 'Mount volumes from the specified container(s)'),
  s('workdir', 'Working directory inside the container', 'w'),
];

/** What create needs besides the body. */
export interface ContainerOptions {
  body: CreateBody;
  name: string;
  platform: string;
  pull: string;
  quiet: boolean;
  cidfile: string;
}

export interface CreateBody {
  Image: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  HostConfig: { AutoRemove: boolean; Dns: string[]; Mounts?: Mount[]; [key: string]: unknown };
  [key: string]: unknown;
}

export interface FileAccess {
  readFile(path: string): string;
  env: NodeJS.ProcessEnv;
  /** What relative -v and --mount sources are resolved against. */
  cwd: string;
}

/** opts.ParseRestartPolicy: "name[:max-retries]". */
export function parseRestartPolicy(policy: string): { Name: string; MaximumRetryCount: number } {
  if (policy === '') return { Name: '', MaximumRetryCount: 0 };
  const colon = policy.indexOf(':');
  const name = colon < 0 ? policy : policy.slice(0, colon);
  const count = colon < 0 ? '' : policy.slice(colon + 1);
  if (colon >= 0 && name === '') throw new Error('invalid restart policy format: no policy provided before colon');
  if (count !== '' && !/^[+-]?\d+$/.test(count)) throw new Error('invalid restart policy format: maximum retry count must be an integer');
  return { Name: name, MaximumRetryCount: count === '' ? 0 : Number(count) };
}

function healthcheck(flags: ParsedFlags): Record<string, unknown> | undefined {
  const ns = (name: string): number => Number(flags.string(name) || '0');
  const set = flags.string('health-cmd') !== '' || ['health-interval', 'health-timeout', 'health-start-period', 'health-start-interval'].some((n) => ns(n) !== 0) || flags.int('health-retries') !== 0;
  if (flags.bool('no-healthcheck')) {
    if (set) throw new Error('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!set) return undefined;
  for (const n of ['health-interval', 'health-timeout', 'health-start-period', 'health-start-interval']) {
    if (ns(n) < 0) throw new Error(`--${n} cannot be negative`);
  }
  if (flags.int('health-retries') < 0) throw new Error('--health-retries cannot be negative');
  return {
    Test: flags.string('health-cmd') ? ['CMD-SHELL', flags.string('health-cmd')] : undefined,
    Interval: ns('health-interval'),
    Timeout: ns('health-timeout'),
    StartPeriod: ns('health-start-period'),
    StartInterval: ns('health-start-interval'),
    Retries: flags.int('health-retries'),
  };
}

/** docker's parse(): flags and IMAGE [COMMAND] [ARG...] to a create body. Throws on invalid combinations. */
export function buildContainerOptions(flags: ParsedFlags, args: readonly string[], io: FileAccess): ContainerOptions {
  const [image = '', ...cmd] = args;
  const pull = flags.string('pull');
  if (!['always', 'missing', 'never'].includes(pull)) throw new Error(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  const attach = flags.list('attach');
  const openStdin = flags.bool('interactive');
  const attachStdin = attach.includes('stdin') || openStdin;
  const attachStdout = attach.length === 0 || attach.includes('stdout');
  const attachStderr = attach.length === 0 || attach.includes('stderr');

  const swappiness = flags.int('memory-swappiness');
  if (swappiness !== -1 && (swappiness < 0 || swappiness > 100)) throw new Error(`invalid value: ${swappiness}. Valid memory swappiness range is 0-100`);

  const { binds, volumes } = splitVolumes(flags.list('volume'), io.cwd);
  const tmpfs = Object.fromEntries(flags.list('tmpfs').map((t) => {
    const c = t.indexOf(':');
    return c < 0 ? [t, ''] : [t.slice(0, c), t.slice(c + 1)];
  }));
  const ports = parsePorts(flags.list('publish'), flags.list('expose'));
  const env = readKvFiles(flags.list('env-file'), flags.list('env').map((e) => resolveEnv(e, io.env)), io.readFile, (k) => io.env[k]);
  const labels = readKvFiles(flags.list('label-file'), flags.list('label'), io.readFile);
  const restart = parseRestartPolicy(flags.string('restart'));
  const autoRemove = flags.bool('rm');
  if (autoRemove && restart.Name !== '' && restart.Name !== 'no') throw new Error('conflicting options: cannot specify both --restart and --rm');

  const logDriver = flags.string('log-driver');
  const logOpts = flags.list('log-opt');
  if (logDriver === 'none' && logOpts.length) throw new Error(`invalid logging opts for driver ${logDriver}`);

  const securityOpt: string[] = [];
  let maskedPaths: string[] | undefined;
  let readonlyPaths: string[] | undefined;
  for (const opt of flags.list('security-opt')) {
    if (!opt.includes('=') && !opt.includes(':') && opt !== 'no-new-privileges') throw new Error(`Invalid --security-opt: ${JSON.stringify(opt)}`);
    if (opt === 'systempaths=unconfined') {
      maskedPaths = [];
      readonlyPaths = [];
    } else {
      securityOpt.push(opt);
    }
  }
  const storageOpt = Object.fromEntries(flags.list('storage-opt').map((o) => {
    const eq = o.indexOf('=');
    if (eq < 0) throw new Error('invalid storage option');
    return [o.slice(0, eq), o.slice(eq + 1)];
  }));

  const entrypoint = flags.string('entrypoint') !== '' ? [flags.string('entrypoint')] : flags.changed('entrypoint') ? [''] : null;
  const links = flags.list('link');
  const net = networking(flags.list('network').map(parseNetworkOpt), {
    aliases: flags.list('network-alias'),
    links,
    ipv4: flags.string('ip'),
    ipv6: flags.string('ip6'),
    linkLocalIps: flags.list('link-local-ip'),
    mac: flags.string('mac-address'),
  });
  const num = (name: string): number => Number(flags.string(name) || '0');

  const hostConfig: CreateBody['HostConfig'] = {
    Binds: binds.length ? binds : null,
    ContainerIDFile: flags.string('cidfile'),
    LogConfig: { Type: logDriver, Config: kvToMap(logOpts) },
    NetworkMode: net.mode,
    PortBindings: ports.bindings,
    RestartPolicy: restart,
    AutoRemove: autoRemove,
    VolumeDriver: flags.string('volume-driver'),
    VolumesFrom: flags.list('volumes-from').length ? flags.list('volumes-from') : null,
    CapAdd: flags.list('cap-add').length ? flags.list('cap-add') : null,
    CapDrop: flags.list('cap-drop').length ? flags.list('cap-drop') : null,
    CgroupnsMode: flags.string('cgroupns'),
    Dns: flags.list('dns'),
    DnsOptions: flags.list('dns-option'),
    DnsSearch: flags.list('dns-search'),
    ExtraHosts: flags.list('add-host').length ? flags.list('add-host') : null,
    GroupAdd: flags.list('group-add').length ? flags.list('group-add') : null,
    Links: links.length ? links : null,
    IpcMode: flags.string('ipc'),
    OomScoreAdj: flags.int('oom-score-adj'),
    PidMode: flags.string('pid'),
    Privileged: flags.bool('privileged'),
    PublishAllPorts: flags.bool('publish-all'),
    ReadonlyRootfs: flags.bool('read-only'),
    SecurityOpt: securityOpt.length ? securityOpt : null,
    StorageOpt: Object.keys(storageOpt).length ? storageOpt : undefined,
    Tmpfs: Object.keys(tmpfs).length ? tmpfs : undefined,
    UTSMode: flags.string('uts'),
    UsernsMode: flags.string('userns'),
    ShmSize: num('shm-size'),
    Sysctls: flags.list('sysctl').length ? kvToMap(flags.list('sysctl')) : undefined,
    Runtime: flags.string('runtime') || undefined,
    Isolation: flags.string('isolation'),
    CpuShares: flags.int('cpu-shares'),
    Memory: num('memory'),
    NanoCpus: num('cpus'),
    CgroupParent: flags.string('cgroup-parent'),
    CpuPeriod: flags.int('cpu-period'),
    CpuQuota: flags.int('cpu-quota'),
    CpusetCpus: flags.string('cpuset-cpus'),
    CpusetMems: flags.string('cpuset-mems'),
    Devices: flags.list('device').map((d) => {
      const [src = '', dst = src, perms = 'rwm'] = d.split(':');
      return { PathOnHost: src, PathInContainer: dst, CgroupPermissions: perms };
    }),
    MemoryReservation: num('memory-reservation'),
    MemorySwap: num('memory-swap'),
    MemorySwappiness: swappiness,
    OomKillDisable: flags.bool('oom-kill-disable'),
    PidsLimit: flags.int('pids-limit'),
    Ulimits: flags.list('ulimit').map(parseUlimit),
    Mounts: flags.list('mount').length ? flags.list('mount').map((m) => parseMount(m, io.cwd)) : undefined,
    MaskedPaths: maskedPaths,
    ReadonlyPaths: readonlyPaths,
  };
  if (flags.changed('init')) hostConfig.Init = flags.bool('init');

  const body: CreateBody = {
    Hostname: flags.string('hostname'),
    Domainname: flags.string('domainname'),
    User: flags.string('user'),
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
    ExposedPorts: Object.keys(ports.exposed).length ? ports.exposed : undefined,
    Tty: flags.bool('tty'),
    OpenStdin: openStdin,
    // With stdin attached, the container's stdin closes when the client's does.
    StdinOnce: openStdin && attachStdin,
    Env: env.length ? env : null,
    Cmd: cmd.length ? cmd : null,
    Image: image,
    Volumes: volumes,
    WorkingDir: flags.string('workdir'),
    Entrypoint: entrypoint,
    Labels: kvToMap(labels),
    MacAddress: net.mac || undefined,
    Healthcheck: healthcheck(flags),
    StopSignal: flags.changed('stop-signal') ? flags.string('stop-signal') : undefined,
    StopTimeout: flags.changed('stop-timeout') ? flags.int('stop-timeout') : undefined,
    HostConfig: hostConfig,
    NetworkingConfig: { EndpointsConfig: net.endpoints },
  };
  return {
    body,
    name: flags.string('name'),
    platform: flags.string('platform'),
    pull,
    quiet: flags.bool('quiet'),
    cidfile: flags.string('cidfile'),
  };
}
