// The berth CLI against a real berthd: docker's commands, output and exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { TestDaemon, until } from '../helpers/daemon.ts';

const d = TestDaemon.forFile();

test('berth run: output, exit codes, stdin', async () => {
  assert.deepEqual(await d.berth(['run', '--rm', 'busybox', 'echo', 'hi']), { code: 0, stdout: 'hi\n', stderr: '' });
  assert.equal((await d.berth(['run', '--rm', 'busybox', 'sh', '-c', 'exit 3'])).code, 3);
  const nf = await d.berth(['run', '--rm', 'busybox', 'nope']);
  assert.equal(nf.code, 127);
  assert.match(nf.stderr, /executable file not found/);
  assert.equal((await d.berth(['run', '--rm', 'busybox', '/etc'])).code, 126);
  assert.equal((await d.berth(['run', '--rm', 'missing:1'])).code, 125);
  assert.equal((await d.berth(['run', '--bogus-flag', 'busybox'])).code, 125);
  const piped = await d.berth(['run', '-i', '--rm', 'busybox', 'tr', 'a-z', 'A-Z'], { input: 'shout\n' });
  assert.equal(piped.stdout, 'SHOUT\n');
  const split = await d.berth(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2']);
  assert.equal(split.stdout, 'out\n');
  assert.equal(split.stderr, 'err\n');
});

test('berth run -d, logs -f, exec, ps, inspect --format, stop, rm -f', async () => {
  const id = (await d.berth(['run', '-d', '--name', 'svc', '-l', 'tier=web', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo n$i; sleep 0.2; done; sleep 300'])).stdout.trim();
  assert.match(id, /^[a-f0-9]{64}$/);
  await until(async () => (await d.berth(['logs', 'svc'])).stdout === 'n1\nn2\nn3\n', 'three lines');
  assert.equal((await d.berth(['logs', '--tail', '1', 'svc'])).stdout, 'n3\n');
  assert.match((await d.berth(['logs', '-t', 'svc'])).stdout, /^\d{4}-\d\d-\d\dT[\d:.]+Z n1\n/);
  assert.equal((await d.berth(['exec', 'svc', 'sh', '-c', 'echo $HOSTNAME'])).stdout, `${id.slice(0, 12)}\n`);
  assert.equal((await d.berth(['exec', 'svc', 'sh', '-c', 'exit 9'])).code, 9);
  const ps = await d.berth(['ps', '--filter', 'label=tier=web', '--format', '{{.ID}} {{.Names}} {{.Image}}']);
  assert.equal(ps.stdout, `${id.slice(0, 12)} svc busybox\n`);
  const table = await d.berth(['ps']);
  assert.match(table.stdout, /^CONTAINER ID {3}IMAGE {5}COMMAND {2,}CREATED {2,}STATUS {2,}PORTS {2,}NAMES\n/);
  assert.match(table.stdout, /Up (Less than a second|\d+ seconds?)/);
  assert.equal((await d.berth(['inspect', '--format', '{{.Config.Labels.tier}} {{.State.Running}} {{json .Config.Cmd}}', 'svc'])).stdout.trim(), 'web true ["sh","-c","for i in 1 2 3; do echo n$i; sleep 0.2; done; sleep 300"]');
  const top = await d.berth(['top', 'svc']);
  assert.match(top.stdout, /sleep 300/);
  assert.equal((await d.berth(['stop', '-t', '1', 'svc'])).stdout, 'svc\n');
  assert.equal((await d.berth(['ps', '-aq', '--filter', 'exited=137'])).stdout.trim(), id.slice(0, 12));
  assert.equal((await d.berth(['rm', '-f', 'svc'])).stdout, 'svc\n');
  const gone = await d.berth(['inspect', 'svc']);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /No such object: svc/);
});

test('berth images, tag, history, save -o and load -i keep image IDs', async () => {
  const id = (await d.berth(['images', '-q', '--no-trunc', 'busybox'])).stdout.trim();
  assert.match(id, /^sha256:/);
  assert.equal((await d.berth(['tag', 'busybox', 'mine/bb:2'])).code, 0);
  const imgs = await d.berth(['images', '--format', '{{.Repository}}:{{.Tag}}']);
  assert.deepEqual(imgs.stdout.trim().split('\n').sort(), ['busybox:latest', 'mine/bb:2']);
  assert.match((await d.berth(['history', 'busybox'])).stdout, /^IMAGE {10}CREATED {2,}CREATED BY {2,}SIZE {2,}COMMENT/);
  const file = join(d.dir, 'images.tar');
  assert.equal((await d.berth(['save', '-o', file, 'busybox', 'mine/bb:2'])).code, 0);
  assert.ok(existsSync(file));
  assert.equal((await d.berth(['rmi', 'mine/bb:2', 'busybox'])).code, 0);
  const loaded = await d.berth(['load', '-i', file]);
  assert.equal(loaded.code, 0, loaded.stderr);
  assert.match(loaded.stdout, /Loaded image: busybox:latest/);
  assert.equal((await d.berth(['images', '-q', '--no-trunc', 'busybox'])).stdout.trim(), id);
  assert.equal((await d.berth(['rmi', 'mine/bb:2'])).code, 0);
  const rmiMissing = await d.berth(['rmi', 'nothere']);
  assert.equal(rmiMissing.code, 1);
  assert.match(rmiMissing.stderr, /No such image: nothere/);
});

test('berth wait, kill, rename, restart, events, info, version, system df, prune', async () => {
  const since = String(Math.floor(Date.now() / 1000) - 1);
  const id = (await d.berth(['run', '-d', '--init', '--name', 'k1', 'busybox', 'sleep', '300'])).stdout.trim();
  assert.equal((await d.berth(['rename', 'k1', 'k2'])).code, 0);
  assert.equal((await d.berth(['restart', '-t', '1', 'k2'])).stdout, 'k2\n');
  const waiting = d.berth(['wait', 'k2']);
  assert.equal((await d.berth(['kill', '-s', 'TERM', 'k2'])).stdout, 'k2\n');
  assert.equal((await waiting).stdout, '143\n');
  const events = await d.berth(['events', '--since', since, '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', `container=${id}`, '--format', '{{.Action}}']);
  assert.equal(events.stdout, 'create\nstart\nrename\ndie\nstop\nstart\nrestart\nkill\ndie\n');
  assert.match((await d.berth(['info', '--format', '{{.Driver}}'])).stdout, /^(overlay2|vfs)\n$/);
  assert.match((await d.berth(['version'])).stdout, /Server: berth/);
  assert.match((await d.berth(['system', 'df'])).stdout, /^TYPE {12}TOTAL {5}ACTIVE {4}SIZE {6}RECLAIMABLE\n/);
  const prune = await d.berth(['container', 'prune', '-f']);
  assert.match(prune.stdout, /k2|[a-f0-9]{64}/);
  assert.equal((await d.berth(['ps', '-aq'])).stdout, '');
});
