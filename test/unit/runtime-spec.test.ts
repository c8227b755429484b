// The OCI spec berth hands to runc, checked against docker's defaults
// (moby oci/defaults.go, daemon/oci_linux.go, oci/caps, profiles/seccomp).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSpec, type OciMount, type SpecInput } from '../../src/runtime/spec.ts';
import { ALL_CAPS, DEFAULT_CAPS, DEFAULT_DEVICE_RULES, MASKED_PATHS, READONLY_PATHS, effectiveCaps, normalizeCap } from '../../src/runtime/defaults.ts';
import { defaultSeccomp } from '../../src/runtime/seccomp.ts';

interface Spec {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: { bounding: string[]; effective: string[]; permitted: string[] };
    rlimits: { type: string; hard: number; soft: number }[];
    noNewPrivileges: boolean;
    oomScoreAdj?: number;
  };
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: OciMount[];
  linux: {
    namespaces: { type: string; path?: string }[];
    cgroupsPath: string;
    resources: { devices: object[]; memory?: { limit: number; swap?: number }; cpu?: Record<string, unknown>; pids?: { limit: number } };
    sysctl?: Record<string, string>;
    maskedPaths?: string[];
    readonlyPaths?: string[];
    seccomp?: Seccomp;
  };
}

interface SeccompArg { index: number; value: number; valueTwo: number; op: string }
interface Seccomp { defaultAction: string; architectures: string[]; syscalls: { names: string[]; action: string; errnoRet?: number; args?: SeccompArg[] }[] }

function input(over: Partial<SpecInput> = {}): SpecInput {
  return {
    rootfs: '/var/lib/berth/c/abc/rootfs',
    args: ['sh', '-c', 'echo hi'],
    env: ['PATH=/usr/bin:/bin', 'HOSTNAME=abc'],
    cwd: '/',
    user: { uid: 0, gid: 0, additionalGids: [] },
    hostname: 'abc',
    terminal: false,
    readonlyRootfs: false,
    privileged: false,
    capAdd: [],
    capDrop: [],
    hostCaps: ALL_CAPS,
    noNewPrivileges: false,
    seccomp: true,
    network: { mode: 'private' },
    pidMode: 'private',
    ipcMode: 'private',
    utsMode: 'private',
    mounts: [],
    cgroupsPath: 'berth-abc.scope',
    cgroupV2: true,
    shmSize: 67108864,
    resources: {},
    rlimits: [],
    ...over,
  };
}

const spec = (over: Partial<SpecInput> = {}): Spec => buildSpec(input(over)) as Spec;
const nsTypes = (s: Spec): string[] => s.linux.namespaces.map((n) => n.type).sort();
const mount = (s: Spec, dest: string): OciMount | undefined => s.mounts.find((m) => m.destination === dest);
// Calls refused whatever their arguments.
const denied = (s: Spec): string[] => s.linux.seccomp!.syscalls.filter((r) => r.action === 'SCMP_ACT_ERRNO' && !r.args).flatMap((r) => r.names);

const DOCKER_DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

test('process, root and hostname come straight from the input', () => {
  const s = spec({ terminal: true, cwd: '/app', user: { uid: 1000, gid: 100, additionalGids: [10, 999] }, readonlyRootfs: true, noNewPrivileges: true, oomScoreAdj: 500 });
  assert.equal(s.ociVersion, '1.0.2');
  assert.deepEqual(s.process.args, ['sh', '-c', 'echo hi']);
  assert.deepEqual(s.process.env, ['PATH=/usr/bin:/bin', 'HOSTNAME=abc']);
  assert.equal(s.process.cwd, '/app');
  assert.equal(s.process.terminal, true);
  assert.deepEqual(s.process.user, { uid: 1000, gid: 100, additionalGids: [10, 999] });
  assert.equal(s.process.noNewPrivileges, true);
  assert.equal(s.process.oomScoreAdj, 500);
  assert.deepEqual(s.root, { path: '/var/lib/berth/c/abc/rootfs', readonly: true });
  assert.equal(s.hostname, 'abc');
  assert.equal(s.linux.cgroupsPath, 'berth-abc.scope');
  assert.equal('oomScoreAdj' in spec().process, false);
});

test('namespaces: all private by default, cgroup namespace on cgroup v2 only', () => {
  assert.deepEqual(nsTypes(spec()), ['cgroup', 'ipc', 'mount', 'network', 'pid', 'uts']);
  assert.deepEqual(nsTypes(spec({ cgroupV2: false })), ['ipc', 'mount', 'network', 'pid', 'uts']);
  assert.ok(spec().linux.namespaces.every((n) => n.path === undefined));
});

test('namespaces: host modes leave out their namespace', () => {
  assert.deepEqual(nsTypes(spec({ pidMode: 'host' })), ['cgroup', 'ipc', 'mount', 'network', 'uts']);
  assert.deepEqual(nsTypes(spec({ ipcMode: 'host' })), ['cgroup', 'mount', 'network', 'pid', 'uts']);
  assert.deepEqual(nsTypes(spec({ utsMode: 'host' })), ['cgroup', 'ipc', 'mount', 'network', 'pid']);
  assert.deepEqual(nsTypes(spec({ network: { mode: 'host' } })), ['cgroup', 'ipc', 'mount', 'pid', 'uts']);
  assert.deepEqual(nsTypes(spec({ pidMode: 'host', ipcMode: 'host', utsMode: 'host', network: { mode: 'host' }, cgroupV2: false })), ['mount']);
});

test('namespaces: a network path joins that namespace', () => {
  const s = spec({ network: { mode: 'path', path: '/run/berth/netns/abc' } });
  const net = s.linux.namespaces.filter((n) => n.type === 'network');
  assert.deepEqual(net, [{ type: 'network', path: '/run/berth/netns/abc' }]);
});

test('default mounts match docker\'s, in order, with user mounts after them', () => {
  const user: OciMount = { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'rw'] };
  const s = spec({ mounts: [user] });
  assert.deepEqual(s.mounts.map((m) => m.destination), ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm', '/data']);
  assert.deepEqual(mount(s, '/proc'), { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] });
  assert.deepEqual(mount(s, '/dev'), { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] });
  assert.deepEqual(mount(s, '/dev/pts'), { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] });
  assert.equal(mount(s, '/sys')!.type, 'sysfs');
  assert.deepEqual([...mount(s, '/sys')!.options].sort(), ['nodev', 'noexec', 'nosuid', 'ro']);
  assert.equal(mount(s, '/sys/fs/cgroup')!.type, 'cgroup');
  assert.ok(mount(s, '/sys/fs/cgroup')!.options.includes('ro'));
  assert.deepEqual(mount(s, '/dev/mqueue'), { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] });
  assert.equal(mount(s, '/dev/shm')!.type, 'tmpfs');
  assert.deepEqual([...mount(s, '/dev/shm')!.options].sort(), ['mode=1777', 'nodev', 'noexec', 'nosuid', 'size=67108864']);
  assert.deepEqual(s.mounts[7], user);
});

test('/dev/shm size follows ShmSize; ipc=host binds the host /dev/shm', () => {
  assert.ok(mount(spec({ shmSize: 1048576 }), '/dev/shm')!.options.includes('size=1048576'));
  const host = mount(spec({ ipcMode: 'host' }), '/dev/shm')!;
  assert.equal(host.type, 'bind');
  assert.equal(host.source, '/dev/shm');
  assert.ok(host.options.includes('rbind'));
});

test('masked and read-only /proc paths: present by default, absent when privileged', () => {
  const s = spec();
  assert.deepEqual(s.linux.maskedPaths, MASKED_PATHS);
  assert.deepEqual(s.linux.readonlyPaths, READONLY_PATHS);
  for (const p of ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/sys/firmware', '/proc/acpi', '/proc/scsi']) {
    assert.ok(s.linux.maskedPaths!.includes(p), p);
  }
  assert.deepEqual([...s.linux.readonlyPaths!].sort(), ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
  const p = spec({ privileged: true });
  assert.equal(p.linux.maskedPaths, undefined);
  assert.equal(p.linux.readonlyPaths, undefined);
});

test('privileged: /sys and the cgroup mount are read-write, all devices allowed', () => {
  const p = spec({ privileged: true });
  assert.ok(mount(p, '/sys')!.options.includes('rw'));
  assert.ok(!mount(p, '/sys')!.options.includes('ro'));
  assert.ok(!mount(p, '/sys/fs/cgroup')!.options.includes('ro'));
  assert.deepEqual(p.linux.resources.devices, [{ allow: true, access: 'rwm' }]);
});

test('unprivileged devices: deny all, then docker\'s allow-list', () => {
  const devices = spec().linux.resources.devices as unknown as { allow: boolean; type?: string; major?: number; minor?: number; access: string }[];
  assert.deepEqual(spec().linux.resources.devices, DEFAULT_DEVICE_RULES);
  assert.deepEqual(devices[0], { allow: false, access: 'rwm' });
  const allowed = devices.filter((d) => d.allow && d.major !== undefined).map((d) => `${d.type} ${d.major}:${d.minor ?? '*'} ${d.access}`);
  // null, zero, full, random, urandom, tty, console, ptmx, tun, pts/*
  for (const want of ['c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', 'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', 'c 10:200 rwm', 'c 136:* rwm']) {
    assert.ok(allowed.includes(want), want);
  }
});

test('capabilities: docker\'s 14 defaults in all three sets', () => {
  const s = spec();
  assert.deepEqual([...s.process.capabilities.bounding].sort(), [...DOCKER_DEFAULT_CAPS].sort());
  assert.deepEqual(s.process.capabilities.effective, s.process.capabilities.bounding);
  assert.deepEqual(s.process.capabilities.permitted, s.process.capabilities.bounding);
  assert.deepEqual([...DEFAULT_CAPS].sort(), [...DOCKER_DEFAULT_CAPS].sort());
});

test('capabilities: privileged gets every capability', () => {
  const caps = spec({ privileged: true }).process.capabilities.bounding;
  assert.deepEqual(caps, ALL_CAPS);
  assert.equal(new Set(ALL_CAPS).size, ALL_CAPS.length);
  for (const c of ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN', 'CAP_SYS_MODULE', 'CAP_BPF', 'CAP_PERFMON', 'CAP_CHECKPOINT_RESTORE', 'CAP_AUDIT_READ']) assert.ok(caps.includes(c), c);
  assert.equal(ALL_CAPS.length, 41);
});

test('capabilities: never more than the daemon itself holds (hostCaps)', () => {
  const host = DOCKER_DEFAULT_CAPS.filter((c) => c !== 'CAP_NET_RAW');
  assert.deepEqual(spec({ privileged: true, hostCaps: host }).process.capabilities.bounding, host);
  assert.ok(!spec({ hostCaps: host }).process.capabilities.bounding.includes('CAP_NET_RAW'));
  assert.deepEqual([...spec({ capAdd: ['ALL'], hostCaps: host }).process.capabilities.bounding].sort(), [...host].sort());
});

test('normalizeCap accepts every spelling', () => {
  assert.equal(normalizeCap('net_admin'), 'CAP_NET_ADMIN');
  assert.equal(normalizeCap('NET_ADMIN'), 'CAP_NET_ADMIN');
  assert.equal(normalizeCap('CAP_NET_ADMIN'), 'CAP_NET_ADMIN');
  assert.equal(normalizeCap('cap_chown'), 'CAP_CHOWN');
  assert.equal(normalizeCap('all'), 'ALL');
  assert.equal(normalizeCap('ALL'), 'ALL');
});

test('cap-add and cap-drop tweak the defaults', () => {
  const set = (add: string[], drop: string[]): string[] => [...effectiveCaps(add, drop, false)].sort();
  assert.deepEqual(set(['net_admin'], []), [...DOCKER_DEFAULT_CAPS, 'CAP_NET_ADMIN'].sort());
  assert.deepEqual(set([], ['CHOWN', 'cap_net_raw']), DOCKER_DEFAULT_CAPS.filter((c) => c !== 'CAP_CHOWN' && c !== 'CAP_NET_RAW').sort());
  assert.deepEqual(set(['SYS_ADMIN'], ['MKNOD']), [...DOCKER_DEFAULT_CAPS.filter((c) => c !== 'CAP_MKNOD'), 'CAP_SYS_ADMIN'].sort());
  // Adding a default again changes nothing.
  assert.deepEqual(set(['CHOWN'], []), [...DOCKER_DEFAULT_CAPS].sort());
  // In both lists: dropped from the defaults, then added back (moby TweakCapabilities).
  assert.ok(set(['CHOWN'], ['CHOWN']).includes('CAP_CHOWN'));
});

test('cap-add ALL gives everything; cap-drop ALL keeps only what is added', () => {
  assert.deepEqual([...effectiveCaps(['ALL'], [], false)].sort(), [...ALL_CAPS].sort());
  assert.deepEqual(effectiveCaps([], ['ALL'], false), []);
  assert.deepEqual(effectiveCaps(['NET_BIND_SERVICE'], ['all'], false), ['CAP_NET_BIND_SERVICE']);
  assert.deepEqual(spec({ capDrop: ['ALL'], capAdd: ['chown'] }).process.capabilities.bounding, ['CAP_CHOWN']);
});

test('cap-add ALL with cap-drop X gives everything except X', () => {
  const caps = effectiveCaps(['ALL'], ['NET_ADMIN', 'sys_module'], false);
  assert.deepEqual([...caps].sort(), ALL_CAPS.filter((c) => c !== 'CAP_NET_ADMIN' && c !== 'CAP_SYS_MODULE').sort());
});

test('unknown capabilities are refused', () => {
  assert.throws(() => effectiveCaps(['NET_MAGIC'], [], false), /CAP_NET_MAGIC/);
  assert.throws(() => effectiveCaps([], ['bogus'], false), /CAP_BOGUS/);
  assert.throws(() => buildSpec(input({ capAdd: ['WIZARD'] })), /CAP_WIZARD/);
});

test('seccomp: present by default with docker\'s dangerous calls refused', () => {
  const s = spec();
  const sc = s.linux.seccomp!;
  assert.equal(sc.defaultAction, 'SCMP_ACT_ALLOW');
  assert.ok(sc.architectures.includes('SCMP_ARCH_X86_64'));
  const d = denied(s);
  for (const call of ['mount', 'umount2', 'pivot_root', 'unshare', 'setns', 'reboot', 'kexec_load', 'init_module', 'delete_module', 'keyctl', 'add_key', 'request_key', 'bpf', 'perf_event_open', 'open_by_handle_at', 'acct', 'settimeofday', 'clock_settime', 'swapon', 'iopl', 'ioperm', 'process_vm_readv', 'userfaultfd']) {
    assert.ok(d.includes(call), call);
  }
  for (const call of ['read', 'write', 'openat', 'execve', 'clone', 'chown', 'kill', 'socket']) assert.ok(!d.includes(call), call);
  const rule = sc.syscalls.find((r) => r.action === 'SCMP_ACT_ERRNO')!;
  assert.equal(rule.errnoRet, 1); // EPERM
  for (const call of ['io_uring_setup', 'io_uring_enter', 'io_uring_register']) assert.ok(d.includes(call), call);
});

test('seccomp: clone may not make namespaces, clone3 is ENOSYS, unless CAP_SYS_ADMIN', () => {
  const sc = spec().linux.seccomp!;
  const cloneRules = sc.syscalls.filter((r) => r.names.includes('clone'));
  const flags = cloneRules.map((r) => {
    assert.equal(r.action, 'SCMP_ACT_ERRNO');
    assert.equal(r.errnoRet, 1);
    assert.equal(r.args?.length, 1);
    const [a] = r.args!;
    assert.equal(a!.index, 0);
    assert.equal(a!.op, 'SCMP_CMP_MASKED_EQ');
    assert.equal(a!.value, a!.valueTwo);
    return a!.value;
  });
  // CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET, one rule each: docker's mask 0x7E020000.
  assert.equal(flags.reduce((m, f) => m | f, 0), 0x7e020000);
  assert.equal(flags.length, 7);
  const clone3 = sc.syscalls.find((r) => r.names.includes('clone3'))!;
  assert.equal(clone3.errnoRet, 38);
  const admin = spec({ capAdd: ['SYS_ADMIN'] }).linux.seccomp!;
  assert.ok(!admin.syscalls.some((r) => r.names.includes('clone') || r.names.includes('clone3')));
});

test('seccomp: absent when privileged or unconfined', () => {
  assert.equal(spec({ privileged: true }).linux.seccomp, undefined);
  assert.equal(spec({ seccomp: false }).linux.seccomp, undefined);
});

test('seccomp: calls come back with the capability that makes them legitimate', () => {
  const admin = denied(spec({ capAdd: ['SYS_ADMIN'] }));
  for (const call of ['mount', 'umount2', 'unshare', 'setns', 'bpf', 'perf_event_open']) assert.ok(!admin.includes(call), call);
  // Calls tied to other capabilities, or to none, stay refused.
  for (const call of ['reboot', 'init_module', 'keyctl', 'settimeofday']) assert.ok(admin.includes(call), call);

  const ptrace = denied(spec({ capAdd: ['SYS_PTRACE'] }));
  assert.ok(!ptrace.includes('process_vm_readv'));
  assert.ok(!ptrace.includes('kcmp'));
  const time = denied(spec({ capAdd: ['SYS_TIME'] }));
  assert.ok(!time.includes('settimeofday') && !time.includes('clock_settime'));
  const boot = denied(spec({ capAdd: ['SYS_BOOT'] }));
  assert.ok(!boot.includes('reboot'));
  const module = denied(spec({ capAdd: ['SYS_MODULE'] }));
  assert.ok(!module.includes('init_module') && !module.includes('finit_module'));
  // keyctl is refused whatever the capabilities.
  assert.ok(denied(spec({ capAdd: ['ALL'] })).includes('keyctl'));
});

test('defaultSeccomp with no capabilities refuses every listed call', () => {
  const sc = defaultSeccomp([]) as Seccomp;
  const d = sc.syscalls.flatMap((r) => r.names);
  for (const call of ['mount', 'reboot', 'init_module', 'open_by_handle_at', 'acct', 'settimeofday', 'iopl', 'process_vm_writev', 'keyctl']) assert.ok(d.includes(call), call);
  const none = (defaultSeccomp(ALL_CAPS) as Seccomp).syscalls.flatMap((r) => r.names);
  assert.ok(!none.includes('mount') && !none.includes('reboot'));
});

test('resources: memory, swap, CPU and pids map onto the OCI fields', () => {
  const s = spec({ resources: { memory: 268435456, memorySwap: 536870912, cpuShares: 512, cpuQuota: 50000, cpuPeriod: 100000, cpusetCpus: '0-1', pidsLimit: 100 } });
  assert.deepEqual(s.linux.resources.memory, { limit: 268435456, swap: 536870912 });
  assert.deepEqual(s.linux.resources.cpu, { shares: 512, quota: 50000, period: 100000, cpus: '0-1' });
  assert.deepEqual(s.linux.resources.pids, { limit: 100 });
  assert.deepEqual(spec({ resources: { memory: 268435456, memorySwap: -1 } }).linux.resources.memory, { limit: 268435456, swap: -1 });
  assert.deepEqual(spec({ resources: { memory: 268435456 } }).linux.resources.memory, { limit: 268435456 });
});

test('resources: unset, zero or unlimited values leave the fields out', () => {
  const r = spec({ resources: { memory: 0, cpuShares: 0, pidsLimit: 0 } }).linux.resources;
  assert.equal(r.memory, undefined);
  assert.equal(r.cpu, undefined);
  assert.equal(r.pids, undefined);
  assert.equal(spec({ resources: { pidsLimit: -1 } }).linux.resources.pids, undefined);
  assert.deepEqual(Object.keys(spec().linux.resources), ['devices']);
});

test('rlimits and sysctls pass through', () => {
  const s = spec({ rlimits: [{ type: 'RLIMIT_NOFILE', hard: 4096, soft: 1024 }], sysctl: { 'net.ipv4.ip_forward': '1' } });
  assert.deepEqual(s.process.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 4096, soft: 1024 }]);
  assert.deepEqual(s.linux.sysctl, { 'net.ipv4.ip_forward': '1' });
  assert.equal(spec({ sysctl: {} }).linux.sysctl, undefined);
  assert.deepEqual(spec().process.rlimits, []);
});
