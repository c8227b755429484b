import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { runProcess, spawnProcess } from '../../src/util/spawn.ts';

const closed = (c: ReturnType<typeof spawnProcess>): Promise<[number | null, string | null]> =>
  new Promise((resolve) => c.on('close', (code: number | null, signal: string | null) => resolve([code, signal])));

test('runProcess: stdin in, stdout and stderr apart, the exit code', async () => {
  const r = await runProcess('sh', ['-c', 'cat; echo err >&2; exit 3'], { input: 'hello\n' });
  assert.equal(r.stdout.toString(), 'hello\n');
  assert.equal(r.stderr.toString(), 'err\n');
  assert.equal(r.code, 3);
  assert.equal(r.signal, null);
});

test('runProcess: the environment given is the whole environment', async () => {
  const r = await runProcess('/bin/sh', ['-c', 'echo "$A|$HOME"'], { env: { A: 'x y', PATH: '/bin' } });
  assert.equal(r.stdout.toString(), 'x y|\n');
});

test('a command that is not there fails to start, as child_process says it', async () => {
  await assert.rejects(runProcess('/no/such/program', []), (err: NodeJS.ErrnoException) => err.code === 'ENOENT' && /spawn \/no\/such\/program ENOENT/.test(err.message));
  assert.throws(() => spawnProcess('no-such-program-on-path', []), { code: 'ENOENT' });
});

test('a signal ends it: close reports the signal name', async () => {
  const c = spawnProcess('sleep', ['30'], { stdio: ['ignore', 'pipe', 'pipe'] });
  assert.ok(c.pid > 0);
  c.kill('SIGKILL');
  assert.deepEqual(await closed(c), [null, 'SIGKILL']);
  assert.equal(c.kill(), false);
});

test('the child starts with default signal handling (SIGPIPE not ignored) and an empty mask', async () => {
  const r = await runProcess('sh', ['-c', 'grep -E "^Sig(Ign|Blk)" /proc/self/status']);
  // sh itself ignores nothing it did not choose to; berthd's ignored SIGPIPE (bit 13) must not leak in.
  const ign = BigInt(`0x${/SigIgn:\s*([0-9a-f]+)/.exec(r.stdout.toString())![1]}`);
  assert.equal(ign & (1n << 12n), 0n);
  assert.match(r.stdout.toString(), /SigBlk:\s*0+\n/);
});

test('fds beyond 2, /dev/null for the rest, and detached means a session of its own', async () => {
  const c = spawnProcess('sh', ['-c', 'echo sync >&3; ps -o sid= -p $$ 2>/dev/null || cut -d" " -f6 /proc/$$/stat; read x; echo "[$x]"'], { stdio: ['ignore', 'pipe', 'ignore', 'pipe'], detached: true });
  let sync = '';
  let out = '';
  c.stdio[3]!.on('data', (d: Buffer) => (sync += d.toString()));
  c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  assert.deepEqual(await closed(c), [0, null]);
  assert.equal(sync, 'sync\n');
  const [sid, read] = out.trim().split('\n');
  assert.equal(Number(sid), c.pid);
  assert.equal(read, '[]');
});

test('children of both kinds are reaped side by side', async () => {
  const ours = Array.from({ length: 20 }, (_, i) => runProcess('sh', ['-c', `exit ${i}`]));
  const node = Array.from({ length: 5 }, () => new Promise<number | null>((resolve) => spawn('true').on('close', resolve)));
  assert.deepEqual((await Promise.all(ours)).map((r) => r.code), Array.from({ length: 20 }, (_, i) => i));
  assert.deepEqual(await Promise.all(node), [0, 0, 0, 0, 0]);
});

test('a child that stops reading its stdin does not take berthd down', async () => {
  const r = await runProcess('sh', ['-c', 'exec 0<&-; exit 0'], { input: Buffer.alloc(4 << 20) });
  assert.equal(r.code, 0);
});

test('a child still running keeps the process alive until its exit is seen', async () => {
  // A Node process whose only pending work is a child that outlives its own pipes.
  const script = `import { runProcess } from ${JSON.stringify(new URL('../../src/util/spawn.ts', import.meta.url).pathname)};
const r = await runProcess('sh', ['-c', 'exec >&- 2>&- <&-; sleep 0.3; exit 7']);
process.stdout.write('code ' + r.code);`;
  const out = await new Promise<string>((resolve) => {
    const c = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let o = '';
    c.stdout.on('data', (d: Buffer) => (o += d.toString()));
    c.on('close', () => resolve(o));
  });
  assert.equal(out, 'code 7');
});
