// COPY/ADD destination rules as moby's classic builder applies them
// (copier.go, normalizeDest, performCopyForInfo).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyTargets, destinationOf, hasWildcard, type CopySource } from '../../src/build/copy-plan.ts';

const file = (rel: string): CopySource => ({ rel, isDir: false });
const dir = (rel: string): CopySource => ({ rel, isDir: true });
const targets = (sources: CopySource[], dest: string, workdir?: string, exists = false): string[] =>
  copyTargets('COPY', sources, dest, workdir, exists).map((t) => t.target);

test('destination: absolute, relative to WORKDIR, trailing slash', () => {
  assert.deepEqual(destinationOf('/app', undefined), { path: '/app', isDir: false });
  assert.deepEqual(destinationOf('/app/', undefined), { path: '/app', isDir: true });
  assert.deepEqual(destinationOf('app', '/srv'), { path: '/srv/app', isDir: false });
  assert.deepEqual(destinationOf('app/', '/srv'), { path: '/srv/app', isDir: true });
  assert.deepEqual(destinationOf('./', '/srv'), { path: '/srv', isDir: true });
  assert.deepEqual(destinationOf('../x', '/srv/app'), { path: '/srv/x', isDir: false });
  // `.` is a directory by name only when it is `/` (moby's normalizeDest keeps no slash otherwise).
  assert.deepEqual(destinationOf('.', '/srv'), { path: '/srv', isDir: false });
  assert.deepEqual(destinationOf('.', undefined), { path: '/', isDir: true });
  assert.deepEqual(destinationOf('.', '/'), { path: '/', isDir: true });
});

test('one file: to the path named, or into it when it ends in / or is a directory', () => {
  assert.deepEqual(targets([file('a.txt')], '/b.txt'), ['/b.txt']);
  assert.deepEqual(targets([file('sub/a.txt')], '/data/'), ['/data/a.txt']);
  assert.deepEqual(targets([file('a.txt')], '/data', undefined, true), ['/data/a.txt']);
  assert.deepEqual(targets([file('a.txt')], '.', '/app', true), ['/app/a.txt']);
  assert.deepEqual(targets([file('a.txt')], 'conf', '/app'), ['/app/conf']);
  assert.deepEqual(targets([file('a.txt')], '.'), ['/a.txt']);
});

test('a directory contributes its contents, not itself', () => {
  assert.deepEqual(targets([dir('src')], '/app'), ['/app']);
  assert.deepEqual(targets([dir('src')], '/app/'), ['/app']);
  assert.deepEqual(targets([dir('src')], '/app', undefined, true), ['/app']);
  assert.deepEqual(targets([dir('')], '.', '/w'), ['/w']);
});

test('several sources need a directory destination ending in /', () => {
  assert.deepEqual(targets([file('a'), file('b/c'), dir('d')], '/out/'), ['/out/a', '/out/c', '/out']);
  assert.deepEqual(targets([file('a'), file('b')], 'lib/', '/app'), ['/app/lib/a', '/app/lib/b']);
  assert.deepEqual(targets([file('a'), file('b')], '.'), ['/a', '/b']);
  const message = /When using COPY with more than one source file, the destination must be a directory and end with a \//;
  assert.throws(() => copyTargets('COPY', [file('a'), file('b')], '/out', undefined, false), message);
  // Even when /out is already a directory, and for `.` under a WORKDIR, as moby's classic builder.
  assert.throws(() => copyTargets('COPY', [file('a'), file('b')], '/out', undefined, true), message);
  assert.throws(() => copyTargets('COPY', [file('a'), file('b')], '.', '/app', true), message);
  assert.throws(() => copyTargets('ADD', [file('a'), file('b')], 'x', '/', false), /When using ADD with more/);
});

test('wildcards: filepath.Match characters, backslash escapes them', () => {
  for (const w of ['*.txt', 'a?c', 'file[0-9]', 'dir/*/x']) assert.equal(hasWildcard(w), true, w);
  for (const w of ['plain.txt', 'dir/sub', 'a\\*b', 'x\\[1]']) assert.equal(hasWildcard(w), false, w);
});
