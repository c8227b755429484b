// The layer writer extracting plain archives (docker cp): no whiteouts, the
// target directory left as it is, owners chosen by the caller, docker's
// NoOverwriteDirNonDir, mounts below the root, and escapes refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyLayer, type ApplyOptions } from '../../src/storage/layer-apply.ts';
import { fingerprint, streamOf, tarOf, tempDir, type TarEntry } from './storage-helpers.ts';

async function extract(root: string, entries: TarEntry[], opts: Partial<ApplyOptions> = {}): Promise<void> {
  await applyLayer(root, streamOf(await tarOf(entries)), { whiteouts: 'none', ...opts });
}

test('.wh. names are ordinary files and the root entry leaves the target as it was', async (t) => {
  const root = await tempDir(t);
  writeFileSync(join(root, 'kept'), 'k');
  const before = lstatSync(root);
  await extract(root, [
    { name: './', type: 'directory', mode: 0o700, uid: 1234 },
    { name: '.wh.kept', content: '' },
    { name: 'd/.wh..wh..opq', content: '' },
  ]);
  assert.deepEqual(readdirSync(root).sort(), ['.wh.kept', 'd', 'kept']);
  assert.deepEqual(readdirSync(join(root, 'd')), ['.wh..wh..opq']);
  assert.deepEqual([lstatSync(root).mode, lstatSync(root).uid], [before.mode, before.uid]);
});

test('owners: the archive\'s, one chosen for all, or the caller\'s', async (t) => {
  const root = await tempDir(t);
  const entries = (dir: string): TarEntry[] => [
    { name: `${dir}/`, type: 'directory', uid: 1234, gid: 1235 },
    { name: `${dir}/f`, content: 'x', uid: 1234, gid: 1235 },
    { name: `${dir}/l`, type: 'symlink', linkname: 'f', uid: 1234, gid: 1235 },
  ];
  const owners = (dir: string): number[][] => ['', '/f', '/l'].map((p) => [lstatSync(join(root, dir + p)).uid, lstatSync(join(root, dir + p)).gid]);
  await extract(root, entries('kept'));
  assert.deepEqual(owners('kept'), [[1234, 1235], [1234, 1235], [1234, 1235]]);
  await extract(root, entries('chosen'), { owner: { uid: 33, gid: 34 } });
  assert.deepEqual(owners('chosen'), [[33, 34], [33, 34], [33, 34]]);
  await extract(root, entries('caller'), { owner: false });
  const me = [process.getuid!(), process.getgid!()];
  assert.deepEqual(owners('caller'), [me, me, me]);
});

test('noOverwriteDirNonDir keeps directories directories and files files', async (t) => {
  const root = await tempDir(t);
  mkdirSync(join(root, 'dir'));
  writeFileSync(join(root, 'file'), 'f');
  await assert.rejects(extract(root, [{ name: 'dir', content: 'x' }], { noOverwriteDirNonDir: true }), /cannot overwrite directory with non-directory "dir"/);
  await assert.rejects(extract(root, [{ name: 'file/', type: 'directory' }], { noOverwriteDirNonDir: true }), /cannot overwrite non-directory with directory "file\/"/);
  assert.ok(lstatSync(join(root, 'dir')).isDirectory() && lstatSync(join(root, 'file')).isFile());
  await extract(root, [{ name: 'dir', content: 'x' }, { name: 'file/', type: 'directory' }]);
  assert.ok(lstatSync(join(root, 'dir')).isFile() && lstatSync(join(root, 'file')).isDirectory());
});

test('locate sends entries into mounts below the root; read-only ones and mount points themselves are kept', async (t) => {
  const base = await tempDir(t);
  const root = join(base, 'root');
  const rw = join(base, 'rw');
  const ro = join(base, 'ro');
  for (const d of [root, rw, ro, join(root, 'rw'), join(root, 'ro')]) mkdirSync(d);
  const mounts: Record<string, { path: string; readonly: boolean }> = { rw: { path: rw, readonly: false }, ro: { path: ro, readonly: true } };
  const locate: ApplyOptions['locate'] = (rel) => {
    const [top = '', ...rest] = rel.split('/');
    const m = mounts[top];
    if (!m) return { path: rel === '' ? root : `${root}/${rel}` };
    return { path: [m.path, ...rest].join('/'), readonly: m.readonly, mountRoot: rest.length === 0 };
  };
  await extract(root, [{ name: 'rw/', type: 'directory', mode: 0o750 }, { name: 'rw/sub/f', content: 'in mount' }, { name: 'top', content: 't' }], { locate });
  assert.equal(readFileSync(join(rw, 'sub/f'), 'utf8'), 'in mount');
  assert.equal(lstatSync(rw).mode & 0o777, 0o750, 'a directory entry for a mount point sets its metadata');
  assert.deepEqual(readdirSync(join(root, 'rw')), [], 'nothing lands under the mount point in the root');
  assert.equal(readFileSync(join(root, 'top'), 'utf8'), 't');
  await assert.rejects(extract(root, [{ name: 'ro/f', content: 'x' }], { locate }), /\/ro\/f: read-only file system/);
  await assert.rejects(extract(root, [{ name: 'rw', content: 'x' }], { locate }), /a mount point cannot be replaced/);
  assert.deepEqual(readdirSync(ro), []);
  assert.ok(lstatSync(rw).isDirectory());
});

test('nothing a crafted archive holds writes outside the root', async (t) => {
  const base = await tempDir(t);
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  writeFileSync(join(outside, 'shadow'), 'secret');
  symlinkSync(outside, join(root, 'planted'));
  const print = fingerprint(outside);
  const attempts: TarEntry[][] = [
    [{ name: '../escaped', content: 'x' }],
    [{ name: 'a/../../escaped', content: 'x' }],
    [{ name: 'hl', type: 'link', linkname: '../outside/shadow' }],
    [{ name: 'sym', type: 'symlink', linkname: '../../outside' }],
  ];
  for (const entries of attempts) await assert.rejects(extract(root, entries), Error, JSON.stringify(entries));
  // Absolute names and symlinks are taken inside the root, as if it were /.
  await extract(root, [
    { name: `${outside}/abs`, content: 'x' },
    { name: 'evil', type: 'symlink', linkname: outside },
    { name: 'evil/through', content: 'x' },
    { name: 'planted/through', content: 'x' },
    { name: 'hl2', type: 'link', linkname: `${outside}/abs` },
  ]);
  assert.equal(fingerprint(outside), print);
  assert.equal(readFileSync(join(root, outside, 'through'), 'utf8'), 'x');
  assert.equal(readFileSync(join(root, 'hl2'), 'utf8'), 'x');
  assert.ok(lstatSync(join(root, 'planted')).isSymbolicLink(), 'a symlink in the way is replaced, never written through');
});

test('a relative symlink may not climb above the root; absolute and inner ones may be made', async (t) => {
  const root = await tempDir(t);
  await assert.rejects(extract(root, [{ name: 'd/up', type: 'symlink', linkname: '../../x' }]), /invalid symlink "d\/up" -> "..\/..\/x"/);
  await extract(root, [
    { name: 'd/in', type: 'symlink', linkname: '../x' },
    { name: 'd/abs', type: 'symlink', linkname: '/etc/passwd' },
  ]);
  assert.deepEqual(readdirSync(join(root, 'd')).sort(), ['abs', 'in']);
});
