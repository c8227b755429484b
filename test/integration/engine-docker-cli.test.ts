// The engine through the real docker CLI: what a Docker user types.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeCgroupParent } from '../helpers/cgroups.ts';
import { TestDaemon, sleep, until } from '../helpers/daemon.ts';
import { busyboxTar } from '../helpers/busybox.ts';
import { staticBinary } from '../helpers/c-binary.ts';

const d = TestDaemon.forFile();

test('docker run prints output and exits 0', async () => {
  const r = await d.docker(['run', '--rm', 'busybox', 'echo', 'hi']);
  assert.equal(r.stdout, 'hi\n');
  assert.equal(r.code, 0);
});

test('exit codes propagate: the container code, 127 not found, 126 not executable', async () => {
  assert.equal((await d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'exit 3'])).code, 3);
  const nf = await d.docker(['run', '--rm', 'busybox', 'no-such-command']);
  assert.equal(nf.code, 127);
  assert.match(nf.stderr, /executable file not found/);
  assert.equal((await d.docker(['run', '--rm', 'busybox', '/etc/passwd'])).code, 126);
  const missing = await d.docker(['run', '--rm', 'no-such-image']);
  assert.equal(missing.code, 125);
});

test('stdin is piped with -i and closed at its end', async () => {
  const r = await d.docker(['run', '-i', '--rm', 'busybox', 'cat'], { input: 'hi\nthere\n' });
  assert.equal(r.stdout, 'hi\nthere\n');
  assert.equal(r.code, 0);
});

test('stdout and stderr stay apart', async () => {
  const r = await d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2']);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
});

test('detached container: logs -f, exec, ps, stop, rm', async () => {
  const id = (await d.docker(['run', '-d', '--name', 'ticker', 'busybox', 'sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done'])).stdout.trim();
  assert.match(id, /^[a-f0-9]{64}$/);
  await until(async () => (await d.docker(['logs', 'ticker'])).stdout.includes('tick 3'), 'ticks');
  const ps = await d.docker(['ps', '--format', '{{.Names}} {{.Status}}']);
  assert.match(ps.stdout, /^ticker Up /m);
  const ex = await d.docker(['exec', 'ticker', 'sh', '-c', 'echo in-exec; exit 4']);
  assert.equal(ex.stdout, 'in-exec\n');
  assert.equal(ex.code, 4);
  const exIn = await d.docker(['exec', '-i', 'ticker', 'cat'], { input: 'fed\n' });
  assert.equal(exIn.stdout, 'fed\n');
  const exMissing = await d.docker(['exec', 'ticker', 'nope']);
  assert.equal(exMissing.code, 127);
  // logs -f ends when the container stops
  const follow = d.docker(['logs', '-f', '--tail', '2', 'ticker'], { timeoutMs: 30_000 });
  await sleep(300);
  assert.equal((await d.docker(['stop', '-t', '1', 'ticker'])).code, 0);
  const f = await follow;
  assert.equal(f.code, 0);
  assert.match(f.stdout, /^tick \d+\ntick \d+\n/);
  const st = await d.docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'ticker']);
  assert.equal(st.stdout.trim(), 'exited 137');
  const filtered = await d.docker(['ps', '-a', '--filter', 'status=exited', '--filter', 'name=tick', '-q']);
  assert.equal(filtered.stdout.trim(), id.slice(0, 12));
  assert.equal((await d.docker(['rm', 'ticker'])).code, 0);
  assert.equal((await d.docker(['inspect', 'ticker'])).code, 1);
});

test('rm -f kills a running container; rm without -f refuses', async () => {
  await d.docker(['run', '-d', '--name', 'sleeper', 'busybox', 'sleep', '300']);
  const refused = await d.docker(['rm', 'sleeper']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /container is running/);
  assert.equal((await d.docker(['rm', '-f', 'sleeper'])).code, 0);
  assert.equal((await d.docker(['ps', '-aq', '--filter', 'name=sleeper'])).stdout.trim(), '');
});

test('Entrypoint, Cmd, Env, WorkingDir, User and hostname follow docker', async () => {
  const env = await d.docker(['run', '--rm', '-e', 'A=1', '-e', 'B', 'busybox', 'env']);
  assert.match(env.stdout, /^A=1$/m);
  assert.match(env.stdout, /^PATH=\/usr\/local\/sbin/m);
  assert.match(env.stdout, /^HOME=\/root$/m);
  assert.match(env.stdout, /^HOSTNAME=[a-f0-9]{12}$/m);
  assert.equal((await d.docker(['run', '--rm', '-w', '/made/here', 'busybox', 'pwd'])).stdout, '/made/here\n');
  assert.equal((await d.docker(['run', '--rm', '-u', 'www-data', 'busybox', 'id'])).stdout, 'uid=33(www-data) gid=33(www-data) groups=100(users)\n');
  assert.equal((await d.docker(['run', '--rm', '-u', '1234:5678', 'busybox', 'id', '-u'])).stdout, '1234\n');
  const badUser = await d.docker(['run', '--rm', '-u', 'nobody-here', 'busybox', 'id']);
  assert.notEqual(badUser.code, 0);
  assert.match(badUser.stderr, /unable to find user nobody-here/);
  assert.equal((await d.docker(['run', '--rm', '--entrypoint', 'echo', 'busybox', 'a', 'b'])).stdout, 'a b\n');
  assert.equal((await d.docker(['run', '--rm', '--hostname', 'box1', 'busybox', 'hostname'])).stdout, 'box1\n');
});

test('security defaults: capabilities, masked /proc, seccomp, read-only, privileged', async () => {
  const caps = await d.docker(['run', '--rm', 'busybox', 'grep', 'CapEff', '/proc/self/status']);
  assert.equal(caps.stdout.trim(), 'CapEff:\t00000000a80425fb');
  const dropped = await d.docker(['run', '--rm', '--cap-drop', 'CHOWN', 'busybox', 'chown', 'nobody', '/tmp']);
  assert.notEqual(dropped.code, 0);
  assert.equal((await d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'wc -c < /proc/timer_list'])).stdout.trim(), '0');
  assert.notEqual((await d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo 1 > /proc/sys/kernel/domainname'])).code, 0);
  const mount = await d.docker(['run', '--rm', '--cap-add', 'SYS_ADMIN', '--security-opt', 'seccomp=unconfined', 'busybox', 'mount', '-t', 'tmpfs', 't', '/tmp']);
  assert.equal(mount.code, 0, mount.stderr);
  assert.notEqual((await d.docker(['run', '--rm', '--cap-add', 'SYS_ADMIN', 'busybox', 'sh', '-c', 'unshare -U true 2>/dev/null; keyctl show 2>/dev/null; exit 0'])).code, 125);
  assert.notEqual((await d.docker(['run', '--rm', '--read-only', 'busybox', 'touch', '/x'])).code, 0);
  assert.equal((await d.docker(['run', '--rm', '--read-only', 'busybox', 'touch', '/dev/shm/x'])).code, 0);
  const priv = await d.docker(['run', '--rm', '--privileged', 'busybox', 'grep', 'CapEff', '/proc/self/status']);
  // Privileged means every capability the daemon itself holds.
  const bounding = /CapBnd:\t([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1];
  assert.equal(priv.stdout.trim(), `CapEff:\t${bounding}`);
  const nnp = await d.docker(['run', '--rm', '--security-opt', 'no-new-privileges', 'busybox', 'grep', 'NoNewPrivs', '/proc/self/status']);
  assert.match(nnp.stdout, /NoNewPrivs:\t1/);
});

// Tries what busybox cannot: clone(2) with each namespace flag, and clone3(2).
const NS_PROBE = `
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
static char stack[65536];
static int child(void *arg) { (void)arg; return 0; }
int main(void) {
  struct { const char *name; int flag; } ns[] = { {"user", CLONE_NEWUSER}, {"net", CLONE_NEWNET}, {"mnt", CLONE_NEWNS} };
  for (unsigned i = 0; i < sizeof ns / sizeof ns[0]; i++) {
    int pid = clone(child, stack + sizeof stack, ns[i].flag | SIGCHLD, NULL);
    if (pid > 0) { waitpid(pid, NULL, 0); printf("%s ok\\n", ns[i].name); }
    else printf("%s %s\\n", ns[i].name, strerror(errno));
  }
  long r = syscall(SYS_clone3, NULL, 0);
  printf("clone3 %s\\n", r < 0 && errno == ENOSYS ? "ENOSYS" : "other");
  return 0;
}
`;

test('seccomp: no namespaces through clone, clone3 answers ENOSYS; CAP_SYS_ADMIN or unconfined lift it', async () => {
  const tar = await busyboxTar([{ name: 'bin/nsprobe', data: staticBinary('nsprobe', NS_PROBE), mode: 0o755 }]);
  assert.equal((await d.docker(['import', '-', 'nsprobe'], { input: tar })).code, 0);
  const confined = await d.docker(['run', '--rm', 'nsprobe', '/bin/nsprobe']);
  assert.equal(confined.stdout, 'user Operation not permitted\nnet Operation not permitted\nmnt Operation not permitted\nclone3 ENOSYS\n');
  // Without the filter a user namespace needs no capability at all: the filter is what refused it.
  const unconfined = await d.docker(['run', '--rm', '--security-opt', 'seccomp=unconfined', 'nsprobe', '/bin/nsprobe']);
  assert.match(unconfined.stdout, /^user ok\n/);
  assert.match(unconfined.stdout, /clone3 other\n$/);
  const admin = await d.docker(['run', '--rm', '--cap-add', 'SYS_ADMIN', 'nsprobe', '/bin/nsprobe']);
  assert.equal(admin.stdout, 'user ok\nnet ok\nmnt ok\nclone3 other\n');
  await d.docker(['rmi', 'nsprobe']);
});

test('--init runs docker-init as PID 1', async () => {
  const r = await d.docker(['run', '--rm', '--init', 'busybox', 'cat', '/proc/1/cmdline']);
  assert.match(r.stdout, /^\/sbin\/docker-init\0--\0cat\0/);
});

test('network namespaces: the default bridge (loopback up, eth0), none, host', async () => {
  const priv = await d.docker(['run', '--rm', 'busybox', 'ip', '-o', 'link']);
  assert.deepEqual(priv.stdout.trim().split('\n').map((l) => l.split(':')[1]!.trim().replace(/@.*/, '')), ['lo', 'eth0']);
  assert.match((await d.docker(['run', '--rm', 'busybox', 'ip', '-o', 'addr', 'show', 'lo'])).stdout, /127\.0\.0\.1/);
  const none = await d.docker(['run', '--rm', '--network', 'none', 'busybox', 'ip', '-o', 'link']);
  assert.equal(none.stdout.trim().split('\n').length, 1);
  const host = await d.docker(['run', '--rm', '--network', 'host', 'busybox', 'ip', '-o', 'link']);
  assert.ok(host.stdout.trim().split('\n').length > 1);
});

test('restart policy on-failure:2 restarts twice, then stops', async () => {
  await d.docker(['run', '-d', '--name', 'flaky', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'exit 5']);
  await until(async () => (await d.docker(['inspect', '-f', '{{.RestartCount}} {{.State.Status}}', 'flaky'])).stdout.trim() === '2 exited', 'two restarts');
  assert.equal((await d.docker(['inspect', '-f', '{{.State.ExitCode}}', 'flaky'])).stdout.trim(), '5');
  await d.docker(['rm', '-f', 'flaky']);
});

test('wait, kill with a signal, rename, top, restart', async () => {
  // tini passes TERM on to sleep, which (unlike a PID 1 without a handler) dies of it.
  await d.docker(['run', '-d', '--init', '--name', 'w1', 'busybox', 'sleep', '300']);
  const top = await d.docker(['top', 'w1']);
  assert.match(top.stdout, /sleep 300/);
  assert.equal((await d.docker(['rename', 'w1', 'w2'])).code, 0);
  const waiting = d.docker(['wait', 'w2']);
  await d.docker(['kill', '-s', 'TERM', 'w2']);
  assert.equal((await waiting).stdout.trim(), '143');
  assert.equal((await d.docker(['restart', 'w2'])).code, 0);
  assert.equal((await d.docker(['inspect', '-f', '{{.State.Running}}', 'w2'])).stdout.trim(), 'true');
  await d.docker(['rm', '-f', 'w2']);
});

test('save | load round-trips with identical image IDs; tag, history, rmi', async () => {
  const before = (await d.docker(['images', '--no-trunc', '-q', 'busybox'])).stdout.trim();
  assert.match(before, /^sha256:[a-f0-9]{64}$/);
  assert.equal((await d.docker(['tag', 'busybox', 'example.com/team/bb:v1'])).code, 0);
  const saved = await new Promise<Buffer>((resolve, reject) => {
    import('node:child_process').then(({ spawn }) => {
      const p = spawn('docker', ['save', 'busybox', 'example.com/team/bb:v1'], { env: d.env });
      const chunks: Buffer[] = [];
      p.stdout.on('data', (c: Buffer) => chunks.push(c));
      p.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`save exited ${code}`))));
    });
  });
  assert.equal((await d.docker(['rmi', 'busybox', 'example.com/team/bb:v1'])).code, 0);
  assert.equal((await d.docker(['images', '-q'])).stdout.trim(), '');
  const loaded = await d.docker(['load'], { input: saved });
  assert.equal(loaded.code, 0, loaded.stderr);
  assert.match(loaded.stdout, /Loaded image: busybox:latest/);
  assert.match(loaded.stdout, /Loaded image: example.com\/team\/bb:v1/);
  assert.equal((await d.docker(['images', '--no-trunc', '-q', 'busybox'])).stdout.trim(), before);
  const hist = await d.docker(['history', '--no-trunc', '--format', '{{.ID}}', 'busybox']);
  assert.equal(hist.stdout.trim().split('\n')[0], before);
  await d.docker(['rmi', 'example.com/team/bb:v1']);
  assert.equal((await d.docker(['run', '--rm', 'busybox', 'true'])).code, 0);
});

test('an image in use is refused by rmi unless forced', async () => {
  await d.docker(['tag', 'busybox', 'inuse:1']);
  await d.docker(['create', '--name', 'holder', 'inuse:1', 'true']);
  await d.docker(['rmi', 'busybox']);
  const refused = await d.docker(['rmi', 'inuse:1']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /must force/);
  assert.equal((await d.docker(['rmi', '-f', 'inuse:1'])).code, 0);
  // The container keeps its root filesystem even though its image is gone.
  assert.equal((await d.docker(['start', '-a', 'holder'])).code, 0);
  await d.docker(['rm', 'holder']);
  const r = await d.docker(['import', '-c', 'CMD ["sh"]', '-', 'busybox:latest'], { input: await (await import('../helpers/busybox.ts')).busyboxTar() });
  assert.equal(r.code, 0);
});

test('events stream and system commands', async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  await d.docker(['run', '--rm', '--name', 'evt', 'busybox', 'true']);
  const ev = await d.docker(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'container=evt', '--format', '{{.Action}}']);
  assert.deepEqual(ev.stdout.trim().split('\n'), ['create', 'start', 'die', 'destroy']);
  const info = await d.docker(['info', '--format', '{{.Driver}} {{.OSType}}']);
  assert.match(info.stdout.trim(), /^(overlay2|vfs) linux$/);
  assert.equal((await d.docker(['version', '--format', '{{.Server.APIVersion}}'])).stdout.trim(), '1.41');
  const df = await d.docker(['system', 'df']);
  assert.match(df.stdout, /^Images\s+1\s/m);
  await d.docker(['create', '--name', 'stale', 'busybox', 'true']);
  const prune = await d.docker(['container', 'prune', '-f']);
  assert.match(prune.stdout, /Total reclaimed space/);
  assert.equal((await d.docker(['ps', '-aq'])).stdout.trim(), '');
  assert.equal((await d.docker(['system', 'prune', '-f'])).code, 0);
});

test('a TTY container gets a terminal that resize reaches', async () => {
  const r = await d.docker(['run', '-t', '--rm', 'busybox', 'tty']);
  assert.equal(r.stdout, '/dev/pts/0\r\n');
  const id = (await d.docker(['run', '-dt', 'busybox', 'sh'])).stdout.trim();
  assert.equal((await d.api('POST', `/v1.41/containers/${id}/resize?h=40&w=100`)).status, 200);
  await until(async () => (await d.docker(['exec', id, 'sh', '-c', 'stty size < /dev/pts/0'])).stdout === '40 100\n', 'the new size');
  await d.docker(['rm', '-f', id]);
});

test('logs rotate at max-size, keep max-file files, and read back across them', async () => {
  // 4000 lines of ~60 bytes on disk each: well past 3 files of 16 KiB.
  await d.docker(['run', '-d', '--name', 'chatty', '--log-opt', 'max-size=16k', '--log-opt', 'max-file=3', 'busybox', 'sh', '-c', 'i=0; while [ $i -lt 4000 ]; do echo line-$i; i=$((i+1)); [ $((i % 200)) = 0 ] && sleep 0.3; done']);
  await until(async () => (await d.docker(['inspect', '-f', '{{.State.Running}}', 'chatty'])).stdout.trim() === 'false', 'the writer to finish', 60_000);
  const logPath = (await d.docker(['inspect', '-f', '{{.LogPath}}', 'chatty'])).stdout.trim();
  const { readdirSync, statSync } = await import('node:fs');
  const { dirname, basename } = await import('node:path');
  const files = readdirSync(dirname(logPath)).filter((f) => f.startsWith(basename(logPath)));
  assert.ok(files.length >= 2 && files.length <= 3, `log files: ${files.join(' ')}`);
  for (const f of files) assert.ok(statSync(join(dirname(logPath), f)).size < 64 * 1024, `${f} is bounded`);
  const logs = (await d.docker(['logs', 'chatty'])).stdout.trim().split('\n');
  assert.equal(logs.at(-1), 'line-3999');
  // What is kept is contiguous: no line lost or repeated across a rotation.
  const first = Number(logs[0]!.slice(5));
  assert.deepEqual(logs, Array.from({ length: 4000 - first }, (_v, i) => `line-${first + i}`));
  assert.equal((await d.docker(['logs', '--tail', '3', 'chatty'])).stdout, 'line-3997\nline-3998\nline-3999\n');
  await d.docker(['rm', 'chatty']);
});

test('--stop-signal and --stop-timeout decide how a container is stopped', async () => {
  await d.docker(['run', '-d', '--name', 'polite', '--stop-signal', 'USR1', 'busybox', 'sh', '-c', 'trap "echo got-usr1; exit 0" USR1; while true; do sleep 0.1; done']);
  await sleep(300);
  assert.equal((await d.docker(['stop', 'polite'])).code, 0);
  assert.equal((await d.docker(['inspect', '-f', '{{.State.ExitCode}}', 'polite'])).stdout.trim(), '0');
  assert.match((await d.docker(['logs', 'polite'])).stdout, /got-usr1/);
  await d.docker(['run', '-d', '--name', 'stubborn', '--stop-timeout', '1', 'busybox', 'sleep', '300']);
  const started = Date.now();
  await d.docker(['stop', 'stubborn']);
  assert.ok(Date.now() - started < 8000, 'the 1 s stop timeout was used, not the default 10 s');
  assert.equal((await d.docker(['inspect', '-f', '{{.State.ExitCode}}', 'stubborn'])).stdout.trim(), '137');
  await d.docker(['rm', 'polite', 'stubborn']);
});

test('--env-file and labels reach the container', async () => {
  const file = join(d.dir, 'env.list');
  writeFileSync(file, '# comment\nFROM_FILE=yes\nSPACED=a b\n');
  const r = await d.berth(['run', '--rm', '--env-file', file, '-l', 'a=b', 'busybox', 'sh', '-c', 'echo "$FROM_FILE|$SPACED"']);
  assert.equal(r.stdout, 'yes|a b\n');
});

test('--ulimit is capped to the host; -1 means unlimited', async () => {
  const r = await d.docker(['run', '--rm', '--ulimit', 'nofile=1024:-1', '--ulimit', 'memlock=-1:-1', 'busybox', 'sh', '-c', 'ulimit -n; ulimit -H -n; ulimit -l']);
  assert.equal(r.code, 0, r.stderr);
  const [soft, hard, memlock] = r.stdout.trim().split('\n');
  assert.equal(soft, '1024');
  assert.equal(hard, readFileSync('/proc/self/limits', 'utf8').match(/Max open files\s+\d+\s+(\d+)/)![1]);
  assert.match(memlock!, /^(unlimited|\d+)$/);
});

test('--cgroup-parent places the container\'s cgroup under it, as moby\'s cgroupfs driver does', async (t) => {
  const parent = `berth-test-${process.pid}`;
  t.after(() => removeCgroupParent(parent));
  const ok = async (args: string[]): Promise<string> => {
    const r = await d.docker(args);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };
  const id = (await ok(['run', '-d', '--cgroup-parent', `/${parent}`, 'busybox', 'sleep', '60'])).trim();
  const pid = (await ok(['inspect', '-f', '{{.State.Pid}}', id])).trim();
  const cgroups = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  assert.match(cgroups, new RegExp(`:/${parent}/${id}$`, 'm'));
  assert.doesNotMatch(cgroups, /:\/berth\//);
  assert.equal((await ok(['inspect', '-f', '{{.HostConfig.CgroupParent}}', id])).trim(), `/${parent}`);
  await ok(['rm', '-f', id]);
});

test('idle `run -i` sessions do not hold up the daemon', async () => {
  const { spawn } = await import('node:child_process');
  const sessions = Array.from({ length: 6 }, () => {
    const p = spawn('docker', ['run', '-i', '--rm', '--label', 'idle=1', 'busybox', 'cat'], { env: d.env, stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const done = new Promise<{ code: number | null; out: string }>((r) => p.on('close', (code) => r({ code, out })));
    return { p, done };
  });
  await until(async () => (await d.docker(['ps', '-q', '--filter', 'label=idle=1'])).stdout.trim().split('\n').filter(Boolean).length === 6, 'six attached containers');
  // More sessions than Node's four file-I/O threads are waiting on stdin; file work must go on.
  assert.equal((await d.docker(['run', '--rm', 'busybox', 'echo', 'ok'])).stdout, 'ok\n');
  for (const s of sessions) s.p.stdin.end('bye\n');
  for (const s of sessions) assert.deepEqual(await s.done, { code: 0, out: 'bye\n' });
});
