// overlay2 specifics: Docker's on-disk layout, chains too long for absolute
// paths in mount options, snapshots without parents, the driver factory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSnapshotter } from '../../src/storage/index.ts';
import { OverlaySnapshotter } from '../../src/storage/overlay.ts';
import { readTar, streamOf, tarOf, tempDir } from '../unit/storage-helpers.ts';

const chain = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;
const hex = (n: number): string => chain(n).slice('sha256:'.length);

test('a chain of 120 layers mounts, with Docker\'s link/lower layout', async (t) => {
  const mounts: string[] = [];
  const top = await tempDir(t, mounts);
  const store = join(top, 'overlay2');
  const s = new OverlaySnapshotter(store);
  const LAYERS = 120;
  for (let i = 0; i < LAYERS; i++) {
    await s.prepare('extract', i === 0 ? null : chain(i - 1));
    await s.apply('extract', streamOf(await tarOf([{ name: `layers/${i}`, content: String(i) }, { name: 'top', content: String(i) }])));
    await s.commit('extract', chain(i));
  }

  const last = join(store, hex(LAYERS - 1));
  const id = readFileSync(join(last, 'link'), 'utf8');
  assert.match(id, /^[A-Z2-7]+$/);
  assert.equal(readlinkSync(join(store, 'l', id)), `../${hex(LAYERS - 1)}/diff`);
  const lower = readFileSync(join(last, 'lower'), 'utf8').split(':');
  assert.equal(lower.length, LAYERS - 1);
  assert.equal(lower[0], `l/${readFileSync(join(store, hex(LAYERS - 2), 'link'), 'utf8')}`);
  assert.ok(!existsSync(join(store, hex(0), 'lower')), 'the base layer has no lower');

  await s.prepare('ctr', chain(LAYERS - 1));
  const target = join(top, 'merged');
  mkdirSync(target);
  await s.mount('ctr', target);
  mounts.push(target);
  assert.equal(readdirSync(join(target, 'layers')).length, LAYERS);
  assert.equal(readFileSync(join(target, 'top'), 'utf8'), String(LAYERS - 1));
  assert.equal(readFileSync(join(target, 'layers/0'), 'utf8'), '0');
  await s.unmount(target);
});

test('a snapshot without parents mounts over an empty lower', async (t) => {
  const mounts: string[] = [];
  const top = await tempDir(t, mounts);
  const s = new OverlaySnapshotter(join(top, 'overlay2'));
  await s.prepare('scratch', null);
  const target = join(top, 'm');
  mkdirSync(target);
  await s.mount('scratch', target);
  mounts.push(target);
  writeFileSync(join(target, 'hello'), 'world');
  await s.unmount(target);
  assert.deepEqual(await s.changes('scratch'), [{ Path: '/hello', Kind: 1 }]);
  const entries = await readTar(s.diff('scratch'));
  assert.deepEqual(entries.map((e) => [e.header.name, e.body.toString()]), [['hello', 'world']]);
  assert.deepEqual(readdirSync(join(top, 'overlay2', 'empty')), []);
});

test('replacing a lower directory inside the container shows as an opaque directory', async (t) => {
  const mounts: string[] = [];
  const top = await tempDir(t, mounts);
  const s = new OverlaySnapshotter(join(top, 'overlay2'));
  await s.prepare('x', null);
  await s.apply('x', streamOf(await tarOf([{ name: 'd/', type: 'directory' }, { name: 'd/a', content: 'a' }, { name: 'd/b', content: 'b' }])));
  await s.commit('x', chain(1));
  await s.prepare('ctr', chain(1));
  const target = join(top, 'm');
  mkdirSync(target);
  await s.mount('ctr', target);
  mounts.push(target);
  rmSync(join(target, 'd'), { recursive: true });
  mkdirSync(join(target, 'd'));
  writeFileSync(join(target, 'd/a'), 'new a');
  await s.unmount(target);
  assert.deepEqual(await s.changes('ctr'), [
    { Path: '/d', Kind: 0 },
    { Path: '/d/a', Kind: 1 },
    { Path: '/d/b', Kind: 2 },
  ]);
  const names = (await readTar(s.diff('ctr'))).map((e) => e.header.name);
  assert.deepEqual(names, ['d/', 'd/.wh..wh..opq', 'd/a']);
});

test('cleanup removes l/ links whose commit never finished', async (t) => {
  const top = await tempDir(t);
  const store = join(top, 'overlay2');
  const s = new OverlaySnapshotter(store);
  await s.prepare('a', null);
  await s.commit('a', chain(1));
  symlinkSync('../0000/diff', join(store, 'l', 'DANGLING'));
  await s.cleanup();
  assert.deepEqual(readdirSync(join(store, 'l')), [readFileSync(join(store, hex(1), 'link'), 'utf8')]);
});

test('createSnapshotter picks overlay2 here, and vfs when asked', async (t) => {
  const top = await tempDir(t);
  const auto = await createSnapshotter(top);
  assert.equal(auto.driver, 'overlay2');
  assert.equal((await createSnapshotter(top, 'vfs')).driver, 'vfs');
  // The probe leaves nothing behind.
  assert.deepEqual(readdirSync(join(top, 'overlay2')), []);
  assert.ok(lstatSync(join(top, 'overlay2')).isDirectory());
});
