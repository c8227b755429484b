// Both drivers through the Snapshotter interface, with real mounts (root):
// layers with whiteouts and an opaque directory, a container writing into
// the mounted view, its changes and its diff, which must rebuild the same
// view when applied on the same parent.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Snapshotter } from '../../src/storage/snapshotter.ts';
import { OverlaySnapshotter } from '../../src/storage/overlay.ts';
import { VfsSnapshotter } from '../../src/storage/vfs.ts';
import { fingerprint, readTar, streamOf, tarOf, tempDir, type TarEntry } from '../unit/storage-helpers.ts';

const chain = (n: number): string => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const T = new Date('2010-01-01T00:00:00Z');
const d = (name: string, extra: Partial<TarEntry> = {}): TarEntry => ({ name, type: 'directory', mtime: T, ...extra });
const f = (name: string, content: string, extra: Partial<TarEntry> = {}): TarEntry => ({ name, content, mtime: T, ...extra });

const LAYERS: TarEntry[][] = [
  [
    d('bin/'), f('bin/busybox', 'BUSYBOX', { mode: 0o755 }), { name: 'bin/sh', type: 'link', linkname: 'bin/busybox' },
    d('etc/'), f('etc/motd', 'welcome'), f('etc/hosts', '127.0.0.1 localhost'),
    d('opt/'), f('opt/f1', '1'), d('opt/dir/'), f('opt/dir/inner', 'i'),
    d('var/'), d('var/cache/'), f('var/cache/old', 'stale'), d('var/cache/sub/'), f('var/cache/sub/deep', 'x'),
  ],
  [
    d('etc/'), f('etc/.wh.motd', ''),
    d('var/'), d('var/cache/'), f('var/cache/.wh..wh..opq', ''), f('var/cache/fresh', 'new'),
    d('usr/'), d('usr/bin/'), { name: 'usr/bin/ls', type: 'link', linkname: 'bin/busybox' },
  ],
  [d('etc/'), f('etc/issue', 'berth', { uid: 10, gid: 20, mode: 0o600 })],
];

async function build(s: Snapshotter): Promise<void> {
  for (const [i, layer] of LAYERS.entries()) {
    await s.prepare(`extract-${i}`, i === 0 ? null : chain(i));
    await s.apply(`extract-${i}`, streamOf(await tarOf(layer)));
    await s.commit(`extract-${i}`, chain(i + 1));
  }
}

async function mounted(t: TestContext, s: Snapshotter, key: string, target: string, mounts: string[]): Promise<void> {
  mkdirSync(target, { recursive: true });
  await s.mount(key, target);
  mounts.push(target);
  t.after(() => s.unmount(target));
}

const drivers: [string, (root: string) => Snapshotter][] = [
  ['overlay2', (root) => new OverlaySnapshotter(root)],
  ['vfs', (root) => new VfsSnapshotter(root)],
];

for (const [driver, make] of drivers) {
  test(`${driver}: layers, a container's writes, changes, diff round trip, removal`, async (t) => {
    const mounts: string[] = [];
    const top = await tempDir(t, mounts);
    const s = make(join(top, 'store'));
    assert.equal(s.driver, driver);
    await build(s);
    assert.ok(await s.has(chain(3)));
    assert.ok(!(await s.has('extract-2')), 'an active key is not a committed name');

    await s.prepare('ctr', chain(3));
    const root = join(top, 'ctr');
    await mounted(t, s, 'ctr', root, mounts);

    // The merged view of the three layers.
    assert.ok(!existsSync(join(root, 'etc/motd')), 'whiteout hides the lower file');
    assert.equal(readFileSync(join(root, 'etc/hosts'), 'utf8'), '127.0.0.1 localhost');
    assert.deepEqual(readdirSync(join(root, 'var/cache')), ['fresh'], 'opaque dir hides lower contents');
    assert.equal(readFileSync(join(root, 'usr/bin/ls'), 'utf8'), 'BUSYBOX');
    assert.equal(readFileSync(join(root, 'etc/issue'), 'utf8'), 'berth');

    // A container at work.
    mkdirSync(join(root, 'data'));
    writeFileSync(join(root, 'data/x'), 'payload');
    writeFileSync(join(root, 'etc/hosts'), '127.0.0.1 localhost berth');
    rmSync(join(root, 'opt/f1'));
    rmSync(join(root, 'opt/dir'), { recursive: true });
    chmodSync(join(root, 'var'), 0o700);
    const view = fingerprint(root, true);
    await s.unmount(root);
    await s.unmount(root); // a second unmount is not an error

    assert.deepEqual(await s.changes('ctr'), [
      { Path: '/data', Kind: 1 },
      { Path: '/data/x', Kind: 1 },
      { Path: '/etc', Kind: 0 },
      { Path: '/etc/hosts', Kind: 0 },
      { Path: '/opt', Kind: 0 },
      { Path: '/opt/dir', Kind: 2 },
      { Path: '/opt/f1', Kind: 2 },
      { Path: '/var', Kind: 0 },
    ]);

    const entries = await readTar(s.diff('ctr'));
    const names = entries.map((e) => e.header.name);
    for (const name of ['data/', 'data/x', 'etc/hosts', 'opt/.wh.dir', 'opt/.wh.f1', 'var/']) assert.ok(names.includes(name), name);
    assert.equal(entries.find((e) => e.header.name === 'data/x')?.body.toString(), 'payload');

    // The diff, applied on the same parent, gives the same view.
    await s.prepare('replay', chain(3));
    await s.apply('replay', streamOf(Buffer.concat(await chunks(s.diff('ctr')))));
    const replay = join(top, 'replay');
    await mounted(t, s, 'replay', replay, mounts);
    assert.equal(fingerprint(replay, true), view);
    await s.unmount(replay);

    assert.ok((await s.usage('ctr')) >= 'payload'.length + '127.0.0.1 localhost berth'.length);
    // overlay2 counts a layer's own files; a vfs snapshot is a whole tree.
    const ownBytes = 'berth'.length;
    if (driver === 'overlay2') assert.equal(await s.usage(chain(3)), ownBytes);
    else assert.ok((await s.usage(chain(3))) > ownBytes);

    for (const name of ['ctr', 'replay', chain(3), chain(2), chain(1)]) await s.remove(name);
    await assert.rejects(s.remove('ctr'), /no committed snapshot/);
    assert.deepEqual(leftovers(join(top, 'store')), []);
  });

  test(`${driver}: a bad layer fails cleanly and its snapshot can be removed`, async (t) => {
    const top = await tempDir(t);
    const s = make(join(top, 'store'));
    await s.prepare('bad', null);
    const tar = await tarOf([f('ok', 'fine'), f('big', 'x'.repeat(10000))]);
    await assert.rejects(s.apply('bad', streamOf(tar.subarray(0, 3000))), /malformed layer tar/);
    await assert.rejects(s.apply('bad', streamOf(await tarOf([f('../../escape', 'x')]))), /points outside the layer root/);
    await s.remove('bad');
    assert.deepEqual(leftovers(join(top, 'store')), []);
    assert.ok(!existsSync(join(top, 'escape')));
  });

  test(`${driver}: cleanup sweeps what a crash left half-made, and nothing else`, async (t) => {
    const top = await tempDir(t);
    const store = join(top, 'store');
    const s = make(store);
    await s.prepare('base', null);
    await s.apply('base', streamOf(await tarOf([f('a', 'a')])));
    await s.commit('base', chain(1));
    await s.prepare('ctr', chain(1));
    // A prepare killed half-way, and a removal killed after its rename.
    mkdirSync(join(store, 'active', '.tmp-deadbeef', 'diff'), { recursive: true });
    mkdirSync(join(store, '.tmp-cafe', 'rootfs'), { recursive: true });
    await s.cleanup();
    assert.ok(!existsSync(join(store, 'active', '.tmp-deadbeef')));
    assert.ok(!existsSync(join(store, '.tmp-cafe')));
    assert.ok(await s.has(chain(1)));
    const target = join(top, 'm');
    await mounted(t, s, 'ctr', target, []);
    assert.equal(readFileSync(join(target, 'a'), 'utf8'), 'a');
    await s.unmount(target);
  });

  test(`${driver}: names and keys are refused where they clash`, async (t) => {
    const top = await tempDir(t);
    const s = make(join(top, 'store'));
    await s.prepare('k', null);
    await assert.rejects(s.prepare('k', null), /already exists/);
    await assert.rejects(s.prepare('k2', chain(9)), /no committed snapshot/);
    await s.commit('k', chain(1));
    await s.prepare('k', chain(1));
    await assert.rejects(s.commit('k', chain(1)), /already exists/);
    await assert.rejects(s.apply('nope', streamOf(Buffer.alloc(0))), /no active snapshot/);
  });
}

async function chunks(stream: NodeJS.ReadableStream): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of stream) out.push(c as Buffer);
  return out;
}

/** Snapshot directories left in a store (its fixed subdirectories aside). */
function leftovers(store: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(store)) {
    if (name === 'active' || name === 'l' || name === 'empty') out.push(...readdirSync(join(store, name)).map((n) => `${name}/${n}`));
    else out.push(name);
  }
  return out;
}
