// docker commit's config rules, and what diff and commit leave out: the
// runtime's own mount points (docker's init layer).
import { test } from 'node:test';
import { lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import assert from 'node:assert/strict';
import { commitConfig } from '../../src/engine/container-commit.ts';
import { isRuntimePath, visibleChanges } from '../../src/engine/runtime-paths.ts';
import { packLayer, skipping, type PackItem } from '../../src/storage/layer-pack.ts';
import type { ContainerConfig } from '../../src/engine/types.ts';
import { readTar, tempDir } from './storage-helpers.ts';

const container: ContainerConfig = {
  Hostname: 'abc', Image: 'busybox', User: 'www-data', Env: ['FOO=bar', 'ZZ=0'], Cmd: ['sh', '-c', 'echo hi'],
  WorkingDir: '/tmp', Labels: { a: 'b' }, ExposedPorts: { '80/tcp': {} }, StopSignal: 'SIGINT',
};

test('without a body the container\'s config is committed, changes on top', () => {
  const cfg = commitConfig(container, null, ['CMD ["cat","/tmp/f"]', 'ENV X=1']);
  assert.deepEqual(cfg.Cmd, ['cat', '/tmp/f']);
  assert.deepEqual(cfg.Env, ['FOO=bar', 'ZZ=0', 'X=1']);
  assert.deepEqual([cfg.Hostname, cfg.Image, cfg.User, cfg.WorkingDir], ['abc', 'busybox', 'www-data', '/tmp']);
  assert.deepEqual(container.Cmd, ['sh', '-c', 'echo hi'], 'the container\'s own config is untouched');
});

test('a body replaces the config; what it leaves unset comes from the container\'s, as dockerd merges', () => {
  const cfg = commitConfig(container, { Env: ['ZZ=1'], Labels: { x: 'y' }, ExposedPorts: { '443/tcp': {} } }, ['ENV X=1']);
  assert.deepEqual(cfg.Env, ['ZZ=1', 'X=1', 'FOO=bar']);
  assert.deepEqual(cfg.Labels, { a: 'b', x: 'y' });
  assert.deepEqual(Object.keys(cfg.ExposedPorts!).sort(), ['443/tcp', '80/tcp']);
  assert.deepEqual([cfg.User, cfg.WorkingDir, cfg.StopSignal], ['www-data', '/tmp', 'SIGINT']);
  assert.deepEqual(cfg.Cmd, ['sh', '-c', 'echo hi']);
  assert.equal(cfg.Hostname, undefined, 'fields the merge does not know stay the body\'s');
  // An entrypoint of its own keeps the body's (empty) command.
  const ep = commitConfig(container, { Entrypoint: ['/bin/true'] }, []);
  assert.deepEqual([ep.Entrypoint, ep.Cmd], [['/bin/true'], undefined]);
});

test('bad changes are refused with docker\'s message', () => {
  assert.throws(() => commitConfig(container, null, ['BOGUS x']), /bogus is not a valid change command/);
});

test('the runtime\'s paths: /proc, /sys, /dev and the identity files', () => {
  for (const p of ['/proc', '/sys/fs', '/dev', '/dev/pts', '/etc/hosts', '/etc/hostname', '/etc/resolv.conf']) assert.ok(isRuntimePath(p), p);
  for (const p of ['/etc', '/etc/passwd', '/devices', '/etc/hosts.allow', '/proc2']) assert.ok(!isRuntimePath(p), p);
});

test('diff drops them, and a directory listed only for them', () => {
  const list = (...specs: string[]) => specs.map((s) => ({ Kind: ({ C: 0, A: 1, D: 2 } as const)[s[0] as 'C' | 'A' | 'D'], Path: s.slice(2) }));
  assert.deepEqual(visibleChanges(list('C /etc', 'A /etc/hostname', 'A /etc/hosts', 'A /proc', 'A /x')), list('A /x'));
  assert.deepEqual(visibleChanges(list('C /etc', 'A /etc/hosts', 'C /etc/passwd')), list('C /etc', 'C /etc/passwd'));
  assert.deepEqual(visibleChanges(list('C /etc', 'C /etc/passwd')), list('C /etc', 'C /etc/passwd'));
});

test('commit\'s layer leaves them out, whiteouts included, and keeps everything else as it was', async (t) => {
  const dir = await tempDir(t);
  for (const d of ['etc', 'dev', 'proc']) mkdirSync(join(dir, d));
  writeFileSync(join(dir, 'etc/hosts'), '');
  writeFileSync(join(dir, 'etc/passwd'), 'root');
  writeFileSync(join(dir, 'dev/console'), '');
  const entry = (name: string): PackItem => ({ kind: 'entry', name, path: join(dir, name), st: lstatSync(join(dir, name)) });
  const whiteout = (name: string): PackItem => ({ kind: 'whiteout', name, st: lstatSync(join(dir, 'etc/passwd')) });
  const items = [entry('etc'), entry('etc/hosts'), whiteout('etc/hostname'), entry('etc/passwd'), entry('dev'), entry('dev/console'), entry('proc'), whiteout('gone')];
  const entries = await readTar(packLayer(skipping(Readable.from(items), isRuntimePath)));
  assert.deepEqual(entries.map((e) => e.header.name), ['etc/', 'etc/passwd', '.wh.gone']);
  assert.equal(entries[1]!.body.toString(), 'root');
});
