// Container paths resolved the way the container sees them, through its
// mounts, and never to a host path outside its root or a mount source; the
// pinned walk that reads them; and docker's stat of a path.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { locate, PathError, resolveInContainer, viewOf, type View } from '../../src/engine/container-path.ts';
import { openEntry, pinDir, walkContainer } from '../../src/engine/container-walk.ts';
import { archiveName, goFileMode, goTime } from '../../src/engine/path-stat.ts';
import type { MountPoint } from '../../src/engine/types.ts';

const base = realpathSync(mkdtempSync(join(tmpdir(), 'berth-cpath-')));
after(() => rmSync(base, { recursive: true, force: true }));
const root = join(base, 'root');
const vol = join(base, 'vol');
const inner = join(base, 'inner');
const outside = join(base, 'outside');

// The container's root.
for (const d of ['etc', 'data', 'var', 'run/lock', 'tmp', 'nested/sub']) mkdirSync(join(root, d), { recursive: true });
writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0\n');
writeFileSync(join(root, 'file'), 'f');
symlinkSync('/', join(root, 'to-root'));
symlinkSync('../../../../..', join(root, 'up'));
symlinkSync('etc', join(root, 'rel'));
symlinkSync('/etc', join(root, 'abs'));
symlinkSync('/data', join(root, 'to-data'));
symlinkSync(outside, join(root, 'host-abs'));
symlinkSync('/run', join(root, 'var/run'));
symlinkSync('loop2', join(root, 'loop1'));
symlinkSync('loop1', join(root, 'loop2'));
symlinkSync('/nowhere', join(root, 'broken'));
// A volume at /data: its own symlinks are the container's.
mkdirSync(vol);
writeFileSync(join(vol, 'x'), 'in volume');
symlinkSync('/etc', join(vol, 'etc-link'));
symlinkSync('..', join(vol, 'parent'));
// A mount whose destination goes through a symlink (/var/run -> /run), and one below the volume.
mkdirSync(inner);
writeFileSync(join(inner, 'pid'), '1');
// What must never be reached.
mkdirSync(outside);
writeFileSync(join(outside, 'secret'), 'host');

const mount = (Source: string, Destination: string, RW = true): MountPoint => ({ Type: 'bind', Source, Destination, Mode: '', RW, Propagation: 'rprivate' });
const mounts = [mount(vol, '/data'), mount(inner, '/var/run/inner', false)];
const view = await viewOf({ root, mounts });

const host = async (path: string, opts = {}): Promise<string> => (await resolveInContainer(view, path, opts)).host;

test('symlinks and .. resolve inside the root as if it were /', async () => {
  assert.equal(await host('/etc/passwd'), join(root, 'etc/passwd'));
  assert.equal(await host('etc/passwd'), join(root, 'etc/passwd'), 'relative paths count from /');
  assert.equal(await host('/../../../etc/passwd'), join(root, 'etc/passwd'));
  assert.equal(await host('/to-root/etc/passwd'), join(root, 'etc/passwd'));
  assert.equal(await host('/up/etc/passwd'), join(root, 'etc/passwd'));
  assert.equal(await host('/rel/passwd'), join(root, 'etc/passwd'));
  assert.equal(await host('/host-abs/secret', { lexicalMissing: true }), join(root, outside, 'secret'));
  await assert.rejects(resolveInContainer(view, '/host-abs/secret'), (e: PathError) => e.code === 'ENOENT');
});

test('the last component is followed only when asked, or when the path ends in / or /.', async () => {
  const link = await resolveInContainer(view, '/abs');
  assert.deepEqual([link.path, link.host], ['/abs', join(root, 'abs')]);
  assert.equal(await host('/abs', { followFinal: true }), join(root, 'etc'));
  assert.equal(await host('/abs/'), join(root, 'etc'));
  assert.equal(await host('/abs/.'), join(root, 'etc'));
  assert.equal((await resolveInContainer(view, '/broken', { followFinal: true, lexicalMissing: true })).path, '/nowhere');
});

test('mounts: entering a destination continues in the source, and the source\'s symlinks are the container\'s', async () => {
  const x = await resolveInContainer(view, '/data/x');
  assert.deepEqual([x.host, x.mount?.Source, x.mountRoot], [join(vol, 'x'), vol, false]);
  assert.equal((await resolveInContainer(view, '/data')).mountRoot, true);
  assert.equal(await host('/to-data/x'), join(vol, 'x'));
  assert.equal(await host('/data/etc-link/passwd'), join(root, 'etc/passwd'));
  assert.equal(await host('/data/parent/etc/passwd'), join(root, 'etc/passwd'), '.. from a mount point is its parent in the container');
  assert.equal(await host('/data/../../data/x'), join(vol, 'x'));
});

test('a mount destination is placed where the runtime put it: through the container\'s symlinks', async () => {
  assert.deepEqual(view.mounts.map((m) => m.at.join('/')), ['run/inner', 'data']);
  assert.equal(await host('/run/inner/pid'), join(inner, 'pid'));
  assert.equal(await host('/var/run/inner/pid'), join(inner, 'pid'));
  assert.equal(locate(view, ['run', 'inner']).mountRoot, true);
  assert.equal(locate(view, ['run']).host, join(root, 'run'));
});

test('missing components, files used as directories and loops fail as the kernel would', async () => {
  const code = async (path: string): Promise<string | undefined> => resolveInContainer(view, path).then(() => undefined, (e: PathError) => e.code);
  assert.equal(await code('/nope/x'), 'ENOENT');
  assert.equal(await code('/nope'), 'ENOENT');
  assert.equal(await code('/file/x'), 'ENOTDIR');
  assert.equal(await code('/file/'), 'ENOTDIR');
  assert.equal(await code('/loop1/x'), 'ELOOP');
  assert.equal(await host('/nope/../file', { lexicalMissing: true }), join(root, 'file'));
});

test('whatever the path, the host path is inside the root or a mount source', async () => {
  const nasty = [
    '/', '..', '/../..', '/to-root/..', '/up/up/up', '/host-abs', '/host-abs/../../..', '/data/parent/up/data/parent',
    '/var/run/../../to-root/data/etc-link/..', '/broken/../up', `/${'../'.repeat(50)}etc`, `/to-root${'/to-root'.repeat(30)}/etc`,
    '/data/x/..', '/rel/../../../../abs', '/nested/sub/../../up/nested',
  ];
  const allowed = [root, vol, inner];
  for (const path of nasty) {
    for (const opts of [{}, { followFinal: true }, { lexicalMissing: true, followFinal: true }]) {
      const got = await resolveInContainer(view, path, opts).then((r) => r.host, () => undefined);
      if (got === undefined) continue;
      assert.ok(allowed.some((a) => got === a || got.startsWith(`${a}/`)), `${path} ${JSON.stringify(opts)} -> ${got}`);
      assert.ok(!got.includes('/..') && !got.startsWith(outside), `${path} -> ${got}`);
    }
  }
});

test('pinDir holds the directory resolved, and refuses one swapped for a symlink meanwhile', async () => {
  const dir = await resolveInContainer(view, '/nested/sub');
  const pinned = pinDir(view, dir.parts);
  try {
    assert.match(pinned.path, /^\/proc\/self\/fd\/\d+$/);
    // Moving the directory away after pinning does not redirect the pin.
    renameSync(join(root, 'nested'), join(root, 'nested-moved'));
    writeFileSync(join(pinned.path, 'written'), 'w');
    assert.equal(lstatSync(join(root, 'nested-moved/sub/written')).size, 1);
  } finally {
    pinned.release();
    renameSync(join(root, 'nested-moved'), join(root, 'nested'));
  }
  const tmp = await resolveInContainer(view, '/tmp');
  rmSync(join(root, 'tmp'), { recursive: true });
  symlinkSync(outside, join(root, 'tmp'));
  try {
    assert.throws(() => pinDir(view, tmp.parts), /ELOOP|ENOTDIR|changed/);
  } finally {
    rmSync(join(root, 'tmp'));
    mkdirSync(join(root, 'tmp'));
  }
});

test('openEntry names an entry below its pinned parent, never following it', async () => {
  const entry = openEntry(view, (await resolveInContainer(view, '/abs')).parts);
  try {
    assert.ok((await lstat(entry.path)).isSymbolicLink());
    assert.equal(entry.trusted, false);
  } finally {
    entry.release();
  }
  const data = openEntry(view, ['data']);
  assert.deepEqual([data.path, data.trusted], [vol, true]);
});

test('walkContainer names entries as docker archives them and crosses into mounts', async () => {
  const names = async (parts: string[], name: string | null): Promise<string[]> => {
    const out: string[] = [];
    for await (const item of walkContainer(view, parts, name)) out.push(item.name);
    return out;
  };
  assert.deepEqual(await names(['data'], 'data'), ['data', 'data/etc-link', 'data/parent', 'data/x']);
  assert.deepEqual(await names(['etc'], '.'), ['.', './passwd']);
  assert.deepEqual(await names(['etc', 'passwd'], 'passwd'), ['passwd']);
  const all = await names([], '');
  assert.ok(all.includes('/data/x') && all.includes('/run/inner/pid') && all.includes('/etc/passwd'), all.join(' '));
  assert.equal(all[0], '');
  const exported = await names([], null);
  assert.ok(exported.includes('etc/passwd') && !exported.includes(''), exported.join(' '));
});

test('path stat: Go file modes, RFC 3339 times and docker\'s names', () => {
  const st = (path: string) => lstatSync(path, { bigint: true });
  writeFileSync(join(base, 'suid'), '');
  execFileSync('chmod', ['4755', join(base, 'suid')]);
  execFileSync('mkfifo', [join(base, 'fifo')]);
  assert.equal(goFileMode(st(join(root, 'etc'))), 2 ** 31 + 0o755);
  assert.equal(goFileMode(st(join(root, 'abs'))), 2 ** 27 + 0o777);
  assert.equal(goFileMode(st(join(base, 'suid'))), 2 ** 23 + 0o755);
  assert.equal(goFileMode(st(join(base, 'fifo'))) & ~0o777, 2 ** 25);
  assert.equal(goFileMode(lstatSync('/dev/null', { bigint: true })), 2 ** 26 + 2 ** 21 + 0o666);
  assert.equal(goTime(1_795_601_305_921_563_459n), '2026-11-25T10:08:25.921563459Z');
  assert.equal(goTime(1_795_601_305_500_000_000n), '2026-11-25T10:08:25.5Z');
  assert.equal(goTime(1_795_601_305_000_000_000n), '2026-11-25T10:08:25Z');
  assert.deepEqual(['/', '/data', '/data/', '/data/.', '.', 'a/..', 'rel/x'].map(archiveName), ['/', 'data', 'data', '.', '.', '/', 'x']);
});

test('viewOf needs no mount destination to exist yet', async () => {
  const v: View = await viewOf({ root, mounts: [mount(vol, '/not/there')] });
  assert.deepEqual(v.mounts[0]!.at, ['not', 'there']);
});
