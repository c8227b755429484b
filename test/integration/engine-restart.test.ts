// Restart safety: containers outlive berthd (conmon holds them), exits that
// happen while it is away are picked up, and a kill -9 at any moment leaves
// a store the next start loads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, sleep } from '../helpers/daemon.ts';

const d = TestDaemon.forFile();

test('containers keep running across a daemon restart; exits while away are seen', async () => {
  await d.docker(['run', '-d', '--name', 'keeper', 'busybox', 'sh', '-c', 'echo started; exec sleep 300']);
  await d.docker(['run', '-d', '--name', 'quitter', 'busybox', 'sh', '-c', 'sleep 1; echo bye; exit 7']);
  const pid = (await d.docker(['inspect', '-f', '{{.State.Pid}}', 'keeper'])).stdout.trim();
  await d.halt();
  await sleep(1500);
  await d.launch();
  assert.equal((await d.docker(['inspect', '-f', '{{.State.Running}} {{.State.Pid}}', 'keeper'])).stdout.trim(), `true ${pid}`);
  assert.equal((await d.docker(['exec', 'keeper', 'echo', 'still here'])).stdout, 'still here\n');
  assert.equal((await d.docker(['logs', 'keeper'])).stdout, 'started\n');
  assert.equal((await d.docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'quitter'])).stdout.trim(), 'exited 7');
  assert.equal((await d.docker(['logs', 'quitter'])).stdout, 'bye\n');
  // and the restarted daemon still sees the survivor's exit
  const waited = d.docker(['wait', 'keeper']);
  await d.docker(['kill', 'keeper']);
  assert.equal((await waited).stdout.trim(), '137');
  await d.docker(['rm', 'keeper', 'quitter']);
});

test('restart policies bring containers back when the daemon starts', async () => {
  await d.docker(['run', '-d', '--name', 'always', '--restart', 'always', 'busybox', 'sleep', '300']);
  await d.docker(['run', '-d', '--name', 'stopped', '--restart', 'unless-stopped', 'busybox', 'sleep', '300']);
  await d.docker(['stop', '-t', '0', 'stopped']);
  await d.halt(true);
  await d.launch();
  // The container dies behind the restarted daemon's back; its policy brings it back.
  const pidBefore = (await d.docker(['inspect', '-f', '{{.State.Pid}}', 'always'])).stdout.trim();
  process.kill(Number(pidBefore), 'SIGKILL');
  const deadline = Date.now() + 10_000;
  let status = '';
  while (Date.now() < deadline) {
    status = (await d.docker(['inspect', '-f', '{{.State.Running}} {{.RestartCount}}', 'always'])).stdout.trim();
    if (status === 'true 1') break;
    await sleep(100);
  }
  assert.equal(status, 'true 1');
  assert.equal((await d.docker(['inspect', '-f', '{{.State.Status}}', 'stopped'])).stdout.trim(), 'exited');
  await d.docker(['rm', '-f', 'always', 'stopped']);
});

test('kill -9 of berthd in the middle of creates, removes and loads leaves a loadable store', async () => {
  const { busyboxTar } = await import('../helpers/busybox.ts');
  const tar = await busyboxTar();
  for (let round = 0; round < 4; round++) {
    const work = [
      ...Array.from({ length: 6 }, (_v, i) => d.docker(['create', '--name', `c${round}-${i}`, 'busybox', 'true'])),
      ...Array.from({ length: 3 }, (_v, i) => d.docker(['run', '-d', '--rm', '--name', `r${round}-${i}`, 'busybox', 'true'])),
      d.docker(['import', '-', `imported:${round}`], { input: tar }),
      d.docker(['rm', '-f', `c${round - 1}-0`, `c${round - 1}-1`]),
    ];
    await sleep(80 + round * 70);
    await d.halt(true);
    await Promise.allSettled(work);
    await d.launch();
    // Everything the daemon lists must be whole: inspectable, startable, removable.
    const ids = (await d.docker(['ps', '-aq'])).stdout.trim().split('\n').filter(Boolean);
    for (const id of ids) assert.equal((await d.docker(['inspect', id])).code, 0, `inspect ${id}`);
    for (const img of (await d.docker(['images', '-q'])).stdout.trim().split('\n').filter(Boolean)) {
      assert.equal((await d.docker(['image', 'inspect', img])).code, 0);
    }
  }
  const r = await d.docker(['run', '--rm', 'busybox', 'echo', 'alive']);
  assert.equal(r.stdout, 'alive\n');
  const ids = (await d.docker(['ps', '-aq'])).stdout.trim().split('\n').filter(Boolean);
  if (ids.length) assert.equal((await d.docker(['rm', '-f', ...ids])).code, 0);
});

test('what a crash leaves of builds (contexts, mounted build filesystems) is gone after the next start', async () => {
  const mnt = join(d.dataRoot, 'build', 'mnt', 'crashed-fs');
  const ctx = join(d.dataRoot, 'build', 'tmp', 'crashed-context');
  mkdirSync(mnt, { recursive: true });
  mkdirSync(ctx, { recursive: true });
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox\n');
  await d.halt(true);
  // As a build filesystem mounted when berthd died.
  execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', mnt]);
  try {
    await d.launch();
    assert.equal(existsSync(mnt), false);
    assert.equal(existsSync(ctx), false);
    assert.equal(readFileSync('/proc/self/mountinfo', 'utf8').includes(mnt), false);
  } finally {
    if (readFileSync('/proc/self/mountinfo', 'utf8').includes(mnt)) execFileSync('umount', [mnt]);
  }
});
