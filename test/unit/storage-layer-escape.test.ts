// Hostile layers: whatever the tar says, nothing outside the root may be
// created, changed, chmod'ed, chown'ed or followed. Each case applies a tar
// into `root` next to a `sentinel` tree and then checks the sentinel (and
// the directory holding both) is bit-for-bit as before.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyLayer, type ApplyOptions } from '../../src/storage/layer-apply.ts';
import { fingerprint, streamOf, tarOf, tempDir, type TarEntry } from './storage-helpers.ts';

interface Setup {
  top: string;
  root: string;
  sentinel: string;
}

async function setup(t: TestContext): Promise<Setup> {
  const top = await tempDir(t);
  const root = join(top, 'root');
  const sentinel = join(top, 'sentinel');
  mkdirSync(root);
  mkdirSync(join(sentinel, 'dir'), { recursive: true });
  writeFileSync(join(sentinel, 'file'), 'precious');
  writeFileSync(join(sentinel, 'dir', 'inner'), 'inner');
  utimesSync(join(sentinel, 'dir'), 1000, 1000);
  utimesSync(sentinel, 1000, 1000);
  return { top, root, sentinel };
}

/** Applies `entries`; returns the error if it was refused. Fails the test if anything outside `root` changed. */
async function attempt(s: Setup, entries: TarEntry[], opts: ApplyOptions = { whiteouts: 'delete' }): Promise<Error | null> {
  const before = fingerprint(s.sentinel);
  const topBefore = readdirSync(s.top).sort();
  let error: Error | null = null;
  try {
    await applyLayer(s.root, streamOf(await tarOf(entries)), opts);
  } catch (err) {
    error = err as Error;
  }
  assert.equal(fingerprint(s.sentinel), before, 'the sentinel tree changed');
  assert.deepEqual(readdirSync(s.top).sort(), topBefore, 'something appeared next to the root');
  return error;
}

const file = (name: string, content = 'pwned'): TarEntry => ({ name, content, mode: 0o777 });
const symlink = (name: string, linkname: string): TarEntry => ({ name, type: 'symlink', linkname });
const dir = (name: string, mode = 0o777): TarEntry => ({ name, type: 'directory', mode });
const hardlink = (name: string, linkname: string): TarEntry => ({ name, type: 'link', linkname });

test('../ in names is refused', async (t) => {
  const s = await setup(t);
  for (const name of ['../sentinel/file', '../../etc/x', 'a/../../sentinel/file', '../sentinel/new']) {
    const err = await attempt(s, [file(name)]);
    assert.match(err?.message ?? '', /points outside the layer root/, name);
  }
});

test('absolute names land inside the root', async (t) => {
  const s = await setup(t);
  assert.equal(await attempt(s, [file(join(s.sentinel, 'file'))]), null);
  assert.equal(readFileSync(join(s.root, s.sentinel, 'file'), 'utf8'), 'pwned');
});

test('entries written through an absolute symlink stay inside the root', async (t) => {
  const s = await setup(t);
  assert.equal(await attempt(s, [symlink('evil', s.sentinel), file('evil/file'), file('evil/dir/inner')]), null);
  assert.equal(readlinkSync(join(s.root, 'evil')), s.sentinel);
  assert.equal(readFileSync(join(s.root, s.sentinel, 'file'), 'utf8'), 'pwned');
  assert.equal(readFileSync(join(s.root, s.sentinel, 'dir/inner'), 'utf8'), 'pwned');
});

test('entries written through a relative symlink climbing out stay inside the root', async (t) => {
  const s = await setup(t);
  const up = symlink('a/up', '../../../../../../../..');
  assert.equal(await attempt(s, [dir('a'), up, file('a/up/file'), symlink('s', '../sentinel'), file('s/file')]), null);
  assert.equal(readFileSync(join(s.root, 'file'), 'utf8'), 'pwned');
  assert.equal(readFileSync(join(s.root, 'sentinel/file'), 'utf8'), 'pwned');
});

test('symlinked parent directories, chained, stay inside the root', async (t) => {
  const s = await setup(t);
  const entries = [symlink('a', 'b'), symlink('b', 'c/d'), dir('c'), symlink('c/d', `../..${s.sentinel}`), file('a/file')];
  assert.equal(await attempt(s, entries), null);
  assert.equal(readFileSync(join(s.root, s.sentinel, 'file'), 'utf8'), 'pwned');
});

test('an existing symlink at the destination is replaced, not written through', async (t) => {
  const s = await setup(t);
  const entries = [
    symlink('f', join(s.sentinel, 'file')),
    file('f'),
    symlink('d', s.sentinel),
    dir('d'),
    file('d/file'),
    symlink('n', join(s.sentinel, 'file')),
    { name: 'n', type: 'fifo', mode: 0o666 } as TarEntry,
  ];
  assert.equal(await attempt(s, entries), null);
  assert.ok(lstatSync(join(s.root, 'f')).isFile());
  assert.ok(lstatSync(join(s.root, 'd')).isDirectory());
  assert.equal(readFileSync(join(s.root, 'd/file'), 'utf8'), 'pwned');
  assert.ok(lstatSync(join(s.root, 'n')).isFIFO());
});

test('metadata of a symlink entry never reaches its target', async (t) => {
  const s = await setup(t);
  const entries: TarEntry[] = [{ name: 'l', type: 'symlink', linkname: join(s.sentinel, 'file'), mode: 0o7777, uid: 4242, gid: 4242, mtime: new Date(0) }];
  assert.equal(await attempt(s, entries), null);
  assert.equal(lstatSync(join(s.root, 'l')).uid, 4242);
});

test('hardlinks to outside or through symlinks are refused', async (t) => {
  const s = await setup(t);
  let err = await attempt(s, [hardlink('h', '../sentinel/file')]);
  assert.match(err?.message ?? '', /points outside/);
  err = await attempt(s, [hardlink('h', join(s.sentinel, 'file'))]);
  assert.match(err?.message ?? '', /hardlink target .* not found/);
  err = await attempt(s, [symlink('s', s.sentinel), hardlink('h', 's/file')]);
  assert.match(err?.message ?? '', /hardlink target .* not found/);
  err = await attempt(s, [dir('d'), hardlink('h', 'd')]);
  assert.match(err?.message ?? '', /is a directory/);
});

test('a hardlink to a symlink links the symlink itself', async (t) => {
  const s = await setup(t);
  assert.equal(await attempt(s, [symlink('s', join(s.sentinel, 'file')), hardlink('h', 's'), file('h', 'through?')]), null);
  // Writing `h` replaced the link to the symlink; the sentinel file kept its content (checked by attempt).
  assert.ok(lstatSync(join(s.root, 'h')).isFile());
  assert.ok(lstatSync(join(s.root, 's')).isSymbolicLink());
});

test('whiteouts and opaque markers under symlinks stay inside the root', async (t) => {
  const s = await setup(t);
  assert.equal(await attempt(s, [symlink('s', s.sentinel), file('s/.wh.file'), file('s/dir/.wh..wh..opq')]), null);
  assert.equal(await attempt(s, [symlink('o', s.sentinel), file('o/.wh.file'), file('o/.wh..wh..opq')], { whiteouts: 'overlay' }), null);
  assert.ok(lstatSync(join(s.root, s.sentinel, 'file')).isCharacterDevice());
  const err = await attempt(s, [file('.wh...')]);
  assert.match(err?.message ?? '', /whiteout names no entry/);
});

test('directory times are not set through a directory later replaced by a symlink', async (t) => {
  const s = await setup(t);
  const entries = [dir('d'), dir('d/dir'), symlink('d', s.sentinel)];
  assert.equal(await attempt(s, entries), null);
  assert.equal(readlinkSync(join(s.root, 'd')), s.sentinel);
});

test('a symlink loop is refused', async (t) => {
  const s = await setup(t);
  const err = await attempt(s, [symlink('a', 'b'), symlink('b', 'a'), file('a/x')]);
  assert.match(err?.message ?? '', /too many levels of symbolic links/);
});

test('a file used as a directory is refused', async (t) => {
  const s = await setup(t);
  const err = await attempt(s, [file('f'), file('f/x')]);
  assert.match(err?.message ?? '', /not a directory/);
});

test('long PAX names climbing out are refused too', async (t) => {
  const s = await setup(t);
  const err = await attempt(s, [file(`${'a/'.repeat(80)}${'../'.repeat(81)}sentinel/file`)]);
  assert.match(err?.message ?? '', /points outside/);
});

test('a symlink pre-existing in the root is not followed', async (t) => {
  const s = await setup(t);
  symlinkSync(s.sentinel, join(s.root, 'pre'));
  assert.equal(await attempt(s, [file('pre/file'), dir('pre/dir', 0o700)]), null);
  assert.equal(readFileSync(join(s.root, s.sentinel, 'file'), 'utf8'), 'pwned');
});
