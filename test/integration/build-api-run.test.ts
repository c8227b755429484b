// POST /build's settings for the RUN step containers through
// `DOCKER_BUILDKIT=0 docker build`, seen from inside a RUN: cgroup limits
// (--memory, --memory-swap, --cpu-*, --cpuset-*), --add-host (with
// host-gateway), --shm-size and --ulimit (capped at the host's hard
// limits); --rm=false and --force-rm as moby's classic builder keeps or
// removes the step containers; and the options a Linux daemon refuses
// (--platform of another machine, --isolation, --security-opt, squash)
// before anything is built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeCgroupParent } from '../helpers/cgroups.ts';
import { TestDaemon } from '../helpers/daemon.ts';
import { buildHelpers } from '../helpers/build.ts';

const d = TestDaemon.forFile();
const { context, build, built, docker } = buildHelpers(d, 'berth-build-api-run-');

/** What a RUN printed, by the `key=value` words of the line starting with `tag`. */
function printed(out: string, tag: string): Record<string, string> {
  const line = out.split('\n').find((l) => l.startsWith(`${tag} `));
  assert.ok(line, out);
  return Object.fromEntries(line.split(' ').slice(1).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
}

/** The step containers left behind, all of them stopped. */
async function leftContainers(): Promise<string[]> {
  return (await docker(['ps', '-aq', '--no-trunc'])).split('\n').filter(Boolean);
}

const V2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
const SWAP_ACCOUNTING = V2 || existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes');

const CGROUP_RUN = V2
  ? 'RUN c=/sys/fs/cgroup; echo "cg mem=$(cat $c/memory.max) swap=$(cat $c/memory.swap.max 2>/dev/null) cpu=$(cat $c/cpu.max | tr \' \' /) weight=$(cat $c/cpu.weight) cpus=$(cat $c/cpuset.cpus) mems=$(cat $c/cpuset.mems)"'
  : 'RUN c=/sys/fs/cgroup; echo "cg mem=$(cat $c/memory/memory.limit_in_bytes) swap=$(cat $c/memory/memory.memsw.limit_in_bytes 2>/dev/null) cpu=$(cat $c/cpu/cpu.cfs_quota_us)/$(cat $c/cpu/cpu.cfs_period_us) weight=$(cat $c/cpu/cpu.shares) cpus=$(cat $c/cpuset/cpuset.cpus) mems=$(cat $c/cpuset/cpuset.mems)"';

test('--memory, --memory-swap, --cpu-shares, --cpu-period/--cpu-quota, --cpuset-cpus/--cpuset-mems reach the RUN\'s cgroup', async () => {
  const dir = context('cgroup', { Dockerfile: `FROM busybox\n${CGROUP_RUN}\n` });
  const free = printed(await built(dir, ['--no-cache']), 'cg');
  const out = await built(dir, [
    '--no-cache', '--memory', '64m', '--memory-swap', '128m', '--cpu-shares', '512', '--cpu-period', '50000', '--cpu-quota', '25000',
    '--cpuset-cpus', '0', '--cpuset-mems', '0',
  ]);
  const cg = printed(out, 'cg');
  assert.equal(cg.mem, String(64 << 20), out);
  assert.notEqual(free.mem, cg.mem);
  // cgroup v2 keeps swap apart from memory (128m - 64m); v1's memsw counts both.
  if (SWAP_ACCOUNTING) assert.equal(cg.swap, String(V2 ? 64 << 20 : 128 << 20), out);
  assert.equal(cg.cpu, '25000/50000', out);
  assert.notEqual(free.cpu, cg.cpu);
  // v2's weight is runc's conversion of 512 shares.
  assert.equal(cg.weight, V2 ? '20' : '512', out);
  assert.equal(cg.cpus, '0');
  assert.equal(cg.mems, '0');
  // A limit is refused the way a container's is: when the RUN's container is made.
  const small = await build(dir, ['--no-cache', '--memory', '1m']);
  assert.equal(small.code, 1);
  assert.match(small.stderr, /Minimum memory limit allowed is 6MB/);
  assert.deepEqual(await leftContainers(), []);
});

test('--cgroup-parent puts the RUN\'s container under it', async (t) => {
  const parent = `berth-build-test-${process.pid}`;
  t.after(() => removeCgroupParent(parent));
  const dir = context('cgroup-parent', { Dockerfile: 'FROM busybox\nRUN cat /proc/self/cgroup\n' });
  const out = await built(dir, ['--no-cache', '--cgroup-parent', `/${parent}`]);
  // cgroup v2 gives the container a cgroup namespace, whose root is its own cgroup.
  if (V2) assert.match(out, /^0::\/$/m);
  else assert.match(out, new RegExp(`:/${parent}/[0-9a-f]{64}$`, 'm'));
  assert.deepEqual(await leftContainers(), []);
});

test('--add-host (host-gateway too) in /etc/hosts, --shm-size on /dev/shm, --ulimit as ulimit shows it, capped at the host\'s hard limit', async () => {
  const dir = context('hosts', {
    Dockerfile: 'FROM busybox\nRUN grep -E "db|gw" /etc/hosts; echo "shm size=$(df -k /dev/shm | tail -1 | awk \'{print $2}\')"; echo "nofile soft=$(ulimit -n) hard=$(ulimit -Hn)"; echo "nproc soft=$(ulimit -u)"\n',
  });
  const gateway = (await docker(['network', 'inspect', 'bridge', '-f', '{{(index .IPAM.Config 0).Gateway}}'])).trim();
  const hostNproc = /^Max processes\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))![1]!;
  const out = await built(dir, [
    '--no-cache', '--add-host', 'db:10.1.2.3', '--add-host', 'gw:host-gateway', '--shm-size', '96m',
    '--ulimit', 'nofile=512:1024', '--ulimit', 'nproc=99999999999',
  ]);
  assert.match(out, /^10\.1\.2\.3\tdb$/m);
  assert.match(out, new RegExp(`^${gateway.replaceAll('.', '\\.')}\\tgw$`, 'm'));
  assert.equal(printed(out, 'shm').size, String(96 * 1024));
  assert.deepEqual(printed(out, 'nofile'), { soft: '512', hard: '1024' });
  // Above the host's hard limit: the host's (root here has no CAP_SYS_RESOURCE to raise it).
  assert.equal(printed(out, 'nproc').soft, hostNproc === 'unlimited' ? '99999999999' : hostNproc);
  // Without them: docker's defaults.
  const plain = await built(dir, ['--no-cache']);
  assert.doesNotMatch(plain, /10\.1\.2\.3/);
  assert.equal(printed(plain, 'shm').size, String(64 * 1024));
  assert.notEqual(printed(plain, 'nofile').soft, '512');
  // The docker CLI checks --add-host itself; the daemon checks what others send.
  const bad = await d.api('POST', '/build?extrahosts=db:not-an-address', undefined, execFileSync('tar', ['-C', dir, '-cf', '-', '.']));
  assert.equal(bad.status, 400);
  assert.equal(bad.json().message, 'invalid IP address in add-host: "not-an-address"');
});

test('--rm=false keeps the steps\' containers; by default a failed step\'s container stays, --force-rm removes it too', async () => {
  const dir = context('rm', { Dockerfile: 'FROM busybox\nRUN echo one > /one\nRUN echo two > /two\n' });
  const kept = await built(dir, ['--no-cache', '--rm=false']);
  assert.doesNotMatch(kept, /Removing intermediate container/);
  const left = await leftContainers();
  assert.equal(left.length, 2);
  for (const id of left) {
    assert.equal((await docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', id])).trim(), 'exited 0');
    // Each is the step it ran, named in the build's output.
    assert.match(kept, new RegExp(`Running in ${id.slice(0, 12)}`));
  }
  await docker(['rm', ...left]);
  // The default: the containers of steps that worked go, the failed one stays to be looked into.
  const failing = context('rm-fail', { Dockerfile: 'FROM busybox\nRUN echo ok > /ok\nRUN echo broken > /broken; exit 3\n' });
  const failed = await build(failing, ['--no-cache']);
  assert.equal(failed.code, 1);
  assert.equal((failed.stdout.match(/Removing intermediate container/g) ?? []).length, 1, failed.stdout);
  const [stayed, ...more] = await leftContainers();
  assert.deepEqual(more, []);
  assert.equal((await docker(['inspect', '-f', '{{.State.ExitCode}} {{json .Config.Cmd}}', stayed!])).trim(), '3 ["/bin/sh","-c","echo broken > /broken; exit 3"]');
  assert.equal(await docker(['diff', stayed!]), 'A /broken\n');
  await docker(['rm', stayed!]);
  const forced = await build(failing, ['--no-cache', '--force-rm']);
  assert.equal(forced.code, 1);
  assert.equal((forced.stdout.match(/Removing intermediate container/g) ?? []).length, 2, forced.stdout);
  assert.deepEqual(await leftContainers(), []);
});

test('refused before anything is built: another platform, another isolation, a cgroup parent, security options, squash', async () => {
  const dir = context('refused', { Dockerfile: 'FROM busybox\nRUN echo ran\n' });
  const tmp = join(d.dataRoot, 'build', 'tmp');
  const cases: [string[], RegExp][] = [
    [['--platform', 'linux/arm64'], /^Error response from daemon: platform "linux\/arm64" is not supported: berth builds linux\/amd64 images only$/m],
    [['--isolation', 'hyperv'], /^Error response from daemon: Unsupported isolation: "hyperv"$/m],
    [['--security-opt', 'seccomp=unconfined'], /^Error response from daemon: The daemon on this platform does not support setting security options on build$/m],
  ];
  for (const [flags, message] of cases) {
    const r = await build(dir, flags);
    assert.equal(r.code, 1, flags.join(' '));
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stdout, /Step 1\/2/);
  }
  // The host's own platform, in any spelling, and the default isolation are fine.
  assert.match(await built(dir, ['--platform', 'linux/amd64', '--isolation', 'default']), /^ran$/m);
  // The docker CLI only sends squash to an experimental daemon; the API refuses it as moby does.
  const tar = execFileSync('tar', ['-C', dir, '-cf', '-', '.']);
  const squash = await d.api('POST', '/build?squash=1', undefined, tar);
  assert.equal(squash.status, 400);
  assert.equal(squash.json().message, 'squash is only supported with experimental mode');
  assert.deepEqual(existsSync(tmp) ? readdirSync(tmp) : [], []);
  assert.deepEqual(await leftContainers(), []);
});
