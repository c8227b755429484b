import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanEntryPath, resolveDir, type PathNode } from '../../src/storage/safe-path.ts';

test('cleanEntryPath normalises names and refuses to climb out', () => {
  const ok: [string, string[]][] = [
    ['a/b/c', ['a', 'b', 'c']],
    ['./a/b/', ['a', 'b']],
    ['/etc/passwd', ['etc', 'passwd']],
    ['//a//./b', ['a', 'b']],
    ['a/../b', ['b']],
    ['a/b/../../c', ['c']],
    ['./', []],
    ['/', []],
    ['', []],
    ['a/..', []],
    ['...', ['...']],
    ['..a/b..', ['..a', 'b..']],
  ];
  for (const [name, parts] of ok) assert.deepEqual(cleanEntryPath(name), parts, name);
  for (const name of ['..', '../x', 'a/../../x', '/../etc/passwd', './..', 'a/b/../../../c']) {
    assert.throws(() => cleanEntryPath(name), /points outside the layer root/, name);
  }
});

// A fake filesystem: paths not listed are missing.
function fs(nodes: Record<string, PathNode>): (rel: string) => PathNode {
  return (rel) => nodes[rel] ?? { kind: 'missing' };
}

const dir: PathNode = { kind: 'dir' };
const link = (target: string): PathNode => ({ kind: 'symlink', target });

test('resolveDir follows symlinks as if the root were /', () => {
  const cases: [string, Record<string, PathNode>, string[], string, number][] = [
    // description, filesystem, dir components, resolved, existing
    ['plain dirs', { a: dir, 'a/b': dir }, ['a', 'b'], 'a/b', 2],
    ['missing tail', { a: dir }, ['a', 'b', 'c'], 'a/b/c', 1],
    ['absolute link restarts at root', { a: link('/etc'), etc: dir }, ['a'], 'etc', 1],
    ['absolute link outside root stays inside', { a: link('/tmp/sentinel') }, ['a', 'x'], 'tmp/sentinel/x', 0],
    ['relative ../ clamps at root', { a: dir, 'a/up': link('../../../../..') }, ['a', 'up', 'x'], 'x', 0],
    ['relative link within', { a: dir, 'a/l': link('../b'), b: dir }, ['a', 'l'], 'b', 1],
    ['chained links', { a: link('b'), b: link('/c/d'), c: dir, 'c/d': dir }, ['a', 'e'], 'c/d/e', 2],
    ['link to dot', { a: link('.') }, ['a', 'a', 'b'], 'b', 0],
    ['link with empty components', { a: link('//x///y/') }, ['a'], 'x/y', 0],
    ['.. after missing dir returns to existing', { a: dir, 'a/l': link('missing/../b'), 'a/b': dir }, ['a', 'l'], 'a/b', 2],
    ['root itself', {}, [], '', 0],
  ];
  for (const [what, nodes, parts, want, existing] of cases) {
    const got = resolveDir(parts, fs(nodes));
    assert.equal(got.parts.join('/'), want, what);
    assert.equal(got.existing, existing, what);
  }
});

test('resolveDir never looks below a missing directory', () => {
  const seen: string[] = [];
  resolveDir(['a', 'b', 'c'], (rel) => {
    seen.push(rel);
    return { kind: 'missing' };
  });
  assert.deepEqual(seen, ['a']);
});

test('resolveDir refuses loops and files used as directories', () => {
  assert.throws(() => resolveDir(['a', 'x'], fs({ a: link('a') })), /too many levels of symbolic links/);
  assert.throws(() => resolveDir(['a', 'x'], fs({ a: link('b'), b: link('a') })), /too many levels/);
  assert.throws(() => resolveDir(['f', 'x'], fs({ f: { kind: 'other' } })), /f is not a directory/);
  assert.throws(() => resolveDir(['l', 'x'], fs({ l: link('/f'), f: { kind: 'other' } })), /f is not a directory/);
});
