// What a layer tar can hold, applied and read back: file kinds, ownership,
// modes, times, hardlinks, whiteouts in both forms, long names, xattrs,
// compression, and broken input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync, truncateSync, utimesSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { applyLayer, afterWrite } from '../../src/storage/layer-apply.ts';
import { packLayer } from '../../src/storage/layer-pack.ts';
import { lgetxattr, lsetxattr, major, minor } from '../../src/storage/native.ts';
import { walkTree } from '../../src/storage/tree.ts';
import { fingerprint, readTar, streamOf, tarOf, tempDir, type TarEntry } from './storage-helpers.ts';

const T1 = new Date('2001-02-03T04:05:06Z');
const T2 = new Date('2002-03-04T05:06:07Z');
// VFS_CAP_REVISION_2 with the effective flag, CAP_SETUID (bit 7) permitted:
// the 0x80 byte is what a UTF-8 round trip would destroy.
const CAPABILITY = Buffer.from([0x01, 0, 0, 0x02, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

async function apply(root: string, entries: TarEntry[], whiteouts: 'overlay' | 'delete' = 'delete', lowers?: string[]): Promise<number> {
  return applyLayer(root, streamOf(await tarOf(entries)), { whiteouts, lowers });
}

test('files, directories, links, devices, owners, modes and times', async (t) => {
  const root = await tempDir(t);
  const bytes = await apply(root, [
    { name: 'etc/', type: 'directory', mode: 0o755, mtime: T1 },
    { name: 'etc/passwd', content: 'root:x:0:0', mode: 0o644, uid: 0, gid: 42, mtime: T2 },
    { name: 'bin/su', content: 'ELF', mode: 0o4755, uid: 0, gid: 0, mtime: T1 },
    { name: 'bin/sg', type: 'link', linkname: 'bin/su' },
    { name: 'tmp/', type: 'directory', mode: 0o1777, mtime: T1 },
    { name: 'srv/', type: 'directory', mode: 0o2750, uid: 1000, gid: 1001, mtime: T2 },
    { name: 'usr/bin/awk', type: 'symlink', linkname: '/etc/alternatives/awk', uid: 7, gid: 8, mtime: T1 },
    { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
    { name: 'dev/loop0', type: 'block-device', devmajor: 7, devminor: 0, mode: 0o660, gid: 6 },
    { name: 'dev/big', type: 'character-device', devmajor: 4095, devminor: 200000, mode: 0o600 },
    { name: 'run/fifo', type: 'fifo', mode: 0o620 },
    { name: 'home/big', content: 'x', uid: 300000, gid: 400000, pax: { uid: '300000', gid: '400000' } },
  ]);
  assert.equal(bytes, 'root:x:0:0'.length + 'ELF'.length + 1);

  const st = (p: string) => lstatSync(join(root, p));
  assert.equal(readFileSync(join(root, 'etc/passwd'), 'utf8'), 'root:x:0:0');
  assert.equal(st('etc/passwd').gid, 42);
  assert.equal(st('etc/passwd').mtimeMs, T2.getTime());
  assert.equal(st('etc').mtimeMs, T1.getTime(), 'directory mtime survives its content being written');
  assert.equal(st('bin/su').mode & 0o7777, 0o4755);
  assert.equal(st('bin/su').ino, st('bin/sg').ino);
  assert.equal(st('bin/su').nlink, 2);
  assert.equal(st('tmp').mode & 0o7777, 0o1777);
  assert.equal(st('srv').mode & 0o7777, 0o2750);
  assert.deepEqual([st('srv').uid, st('srv').gid], [1000, 1001]);
  assert.ok(st('usr/bin/awk').isSymbolicLink());
  assert.deepEqual([st('usr/bin/awk').uid, st('usr/bin/awk').gid, st('usr/bin/awk').mtimeMs], [7, 8, T1.getTime()]);
  assert.equal(st('usr').mode & 0o7777, 0o755, 'missing parents are made 0755');
  assert.ok(st('dev/null').isCharacterDevice());
  assert.deepEqual([major(st('dev/null').rdev), minor(st('dev/null').rdev)], [1, 3]);
  assert.ok(st('dev/loop0').isBlockDevice());
  assert.equal(st('dev/loop0').mode & 0o7777, 0o660);
  assert.deepEqual([major(st('dev/big').rdev), minor(st('dev/big').rdev)], [4095, 200000]);
  assert.ok(st('run/fifo').isFIFO());
  assert.equal(st('run/fifo').mode & 0o7777, 0o620);
  assert.deepEqual([st('home/big').uid, st('home/big').gid], [300000, 400000]);
});

test('entries replace what a previous layer left, and directories are kept', async (t) => {
  const root = await tempDir(t);
  await apply(root, [{ name: 'd/keep', content: '1' }, { name: 'x/y', content: '1' }, { name: 'f', content: 'old' }]);
  await apply(root, [
    { name: 'd/', type: 'directory', mode: 0o700 },
    { name: 'x', content: 'file now' },
    { name: 'f', type: 'symlink', linkname: 'd' },
  ]);
  assert.equal(readFileSync(join(root, 'd/keep'), 'utf8'), '1');
  assert.equal(lstatSync(join(root, 'd')).mode & 0o777, 0o700);
  assert.equal(readFileSync(join(root, 'x'), 'utf8'), 'file now');
  assert.ok(lstatSync(join(root, 'f')).isSymbolicLink());
});

test('overlay whiteouts: .wh. becomes a 0/0 device, .wh..wh..opq the opaque xattr', async (t) => {
  const root = await tempDir(t);
  await apply(
    root,
    [
      { name: 'etc/', type: 'directory' },
      { name: 'etc/.wh.motd', uid: 5, gid: 6 },
      { name: 'var/cache/', type: 'directory' },
      { name: 'var/cache/.wh..wh..opq' },
      { name: 'var/cache/new', content: 'n' },
      { name: '.wh.gone' },
      { name: 'gone/', type: 'directory' },
    ],
    'overlay',
  );
  const wh = lstatSync(join(root, 'etc/motd'));
  assert.ok(wh.isCharacterDevice());
  assert.equal(wh.rdev, 0);
  assert.deepEqual([wh.uid, wh.gid], [5, 6]);
  assert.equal(lgetxattr(join(root, 'var/cache'), 'trusted.overlay.opaque')?.toString(), 'y');
  assert.equal(readFileSync(join(root, 'var/cache/new'), 'utf8'), 'n');
  assert.equal(lgetxattr(join(root, 'etc'), 'trusted.overlay.opaque'), null);
  // A directory replacing a deleted one must hide the old one's contents.
  assert.equal(lgetxattr(join(root, 'gone'), 'trusted.overlay.opaque')?.toString(), 'y');
  assert.ok(!existsSync(join(root, 'etc/.wh.motd')));
});

test('full-copy whiteouts delete, and the opaque marker keeps only what the layer wrote', async (t) => {
  const root = await tempDir(t);
  await apply(root, [
    { name: 'a/x', content: 'x' },
    { name: 'a/sub/y', content: 'y' },
    { name: 'b/old', content: 'o' },
    { name: 'b/keep/old', content: 'o' },
    { name: 'l', type: 'symlink', linkname: '/b' },
  ]);
  await apply(root, [
    { name: 'a/.wh.x' },
    { name: 'a/.wh.sub' },
    { name: 'b/', type: 'directory' },
    { name: 'b/keep/', type: 'directory' },
    { name: 'b/keep/new', content: 'n' },
    { name: 'b/.wh..wh..opq' },
    { name: 'b/later', content: 'l' },
    { name: '.wh.l' },
    { name: '.wh..wh.plnk' },
  ]);
  assert.deepEqual(readdirSync(join(root, 'a')), []);
  assert.deepEqual(readdirSync(join(root, 'b')).sort(), ['keep', 'later']);
  assert.deepEqual(readdirSync(join(root, 'b/keep')), ['new']);
  assert.ok(!existsSync(join(root, 'l')));
});

test('a hardlink to a file of a lower layer copies it up', async (t) => {
  const top = await tempDir(t);
  const [upper, mid, low] = ['upper', 'mid', 'low'].map((d) => join(top, d));
  for (const d of [upper, mid, low]) mkdirSync(d);
  await apply(low, [
    { name: 'bin/busybox', content: 'BB', mode: 0o4755, uid: 3, gid: 4, mtime: T1 },
    { name: 'etc/hosts', content: 'h' },
  ]);
  await apply(mid, [{ name: 'etc/.wh.hosts' }], 'overlay');
  await apply(upper, [{ name: 'bin/sh', type: 'link', linkname: 'bin/busybox' }], 'overlay', [mid, low]);
  const sh = lstatSync(join(upper, 'bin/sh'));
  const bb = lstatSync(join(upper, 'bin/busybox'));
  assert.equal(sh.ino, bb.ino);
  assert.deepEqual([bb.mode & 0o7777, bb.uid, bb.gid, bb.mtimeMs], [0o4755, 3, 4, T1.getTime()]);
  assert.equal(readFileSync(join(upper, 'bin/sh'), 'utf8'), 'BB');
  await assert.rejects(
    apply(upper, [{ name: 'h', type: 'link', linkname: 'etc/hosts' }], 'overlay', [mid, low]),
    /hardlink target "etc\/hosts" not found/,
  );
});

test('long names and link targets, from tar-stream (PAX) and GNU tar (GNU long names)', async (t) => {
  const top = await tempDir(t);
  const long = `${'d'.repeat(120)}/${'e'.repeat(150)}/${'f'.repeat(200)}`;
  const pax = join(top, 'pax');
  mkdirSync(pax);
  await apply(pax, [
    { name: long, content: 'deep' },
    { name: 'l', type: 'symlink', linkname: `/${long}` },
    { name: `h-${'x'.repeat(110)}`, type: 'link', linkname: long },
    { name: 'ünïcødé-名前', content: 'u' },
  ]);
  assert.equal(readFileSync(join(pax, long), 'utf8'), 'deep');
  assert.equal(readFileSync(join(pax, `h-${'x'.repeat(110)}`), 'utf8'), 'deep');
  assert.equal(readFileSync(join(pax, 'ünïcødé-名前'), 'utf8'), 'u');

  const src = join(top, 'src');
  mkdirSync(join(src, long), { recursive: true });
  writeFileSync(join(src, long, 'file'), 'gnu');
  const gnuTar = execFileSync('tar', ['--format=gnu', '-C', src, '-cf', '-', '.'], { maxBuffer: 1 << 24 });
  const gnu = join(top, 'gnu');
  mkdirSync(gnu);
  await applyLayer(gnu, streamOf(gnuTar), { whiteouts: 'delete' });
  assert.equal(readFileSync(join(gnu, long, 'file'), 'utf8'), 'gnu');
});

test('xattrs: user.*, binary security.capability, and overlay-private ones refused', async (t) => {
  const top = await tempDir(t);
  const root = join(top, 'root');
  mkdirSync(root);
  await apply(root, [
    {
      name: 'bin/ping',
      content: 'p',
      mode: 0o755,
      pax: {
        'SCHILY.xattr.security.capability': CAPABILITY.toString('latin1'),
        // xattr values travel as one char per byte (see tar-pax.ts).
        'SCHILY.xattr.user.comment': Buffer.from('héllo').toString('latin1'),
        'SCHILY.xattr.trusted.overlay.redirect': '/elsewhere',
      },
    },
  ]);
  const ping = join(root, 'bin/ping');
  assert.deepEqual(lgetxattr(ping, 'security.capability'), CAPABILITY);
  assert.equal(lgetxattr(ping, 'user.comment')?.toString(), 'héllo');
  assert.equal(lgetxattr(ping, 'trusted.overlay.redirect'), null);

  // GNU tar writes the raw bytes too; they must survive its PAX records.
  const src = join(top, 'src');
  mkdirSync(src);
  writeFileSync(join(src, 'cap'), 'c');
  lsetxattr(join(src, 'cap'), 'security.capability', CAPABILITY);
  const gnuTar = execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-C', src, '-cf', '-', 'cap']);
  const out = join(top, 'out');
  mkdirSync(out);
  await applyLayer(out, streamOf(gnuTar), { whiteouts: 'delete' });
  assert.deepEqual(lgetxattr(join(out, 'cap'), 'security.capability'), CAPABILITY);
});

test('what is applied packs back into the same tree', async (t) => {
  const top = await tempDir(t);
  const [a, b] = [join(top, 'a'), join(top, 'b')];
  mkdirSync(a);
  mkdirSync(b);
  const entries: TarEntry[] = [
    { name: 'bin/', type: 'directory', mtime: T1 },
    { name: 'bin/ping', content: 'p', mode: 0o4755, uid: 1, gid: 2, mtime: T2, pax: { 'SCHILY.xattr.security.capability': CAPABILITY.toString('latin1') } },
    { name: 'bin/ping6', type: 'link', linkname: 'bin/ping' },
    { name: 'dev/', type: 'directory', mtime: T1 },
    { name: 'dev/console', type: 'character-device', devmajor: 5, devminor: 1, mtime: T1 },
    { name: 'etc/', type: 'directory', mode: 0o700, mtime: T1 },
    { name: 'etc/l', type: 'symlink', linkname: '../bin/ping', mtime: T2 },
    { name: 'etc/p', type: 'fifo', mtime: T2 },
    { name: `${'n'.repeat(150)}/`, type: 'directory', mtime: T1 },
    { name: `${'n'.repeat(150)}/${'m'.repeat(150)}`, content: 'long', uid: 300000, mtime: T2, pax: { uid: '300000' } },
  ];
  await apply(a, entries);
  utimesSync(a, T1, T1);
  const items = (async function* () {
    for await (const { rel, path, st } of walkTree(a)) yield { kind: 'entry' as const, name: rel, path, st };
  })();
  const packed = await readTar(packLayer(items));
  const sg = packed.find((e) => e.header.name === 'bin/ping6');
  assert.equal(sg?.header.type, 'link');
  assert.equal(sg?.header.linkname, 'bin/ping');
  assert.equal(packed.find((e) => e.header.name === 'bin/')?.header.type, 'directory');

  await applyLayer(b, packLayer((async function* () {
    for await (const { rel, path, st } of walkTree(a)) yield { kind: 'entry' as const, name: rel, path, st };
  })()), { whiteouts: 'delete' });
  utimesSync(b, T1, T1);
  assert.equal(fingerprint(b), fingerprint(a));
});

test('gzip, bzip2 and xz are undone; corrupt streams and zstd are refused', async (t) => {
  const tar = await tarOf([{ name: 'z', content: 'zipped' }]);
  const compressed: [string, Buffer][] = [
    ['gzip', gzipSync(tar)],
    ['bzip2', execFileSync('bzip2', ['-c'], { input: tar })],
    ['xz', execFileSync('xz', ['-c'], { input: tar })],
  ];
  for (const [name, data] of compressed) {
    const root = await tempDir(t);
    await applyLayer(root, streamOf(data), { whiteouts: 'delete' });
    assert.equal(readFileSync(join(root, 'z'), 'utf8'), 'zipped', name);
    await assert.rejects(applyLayer(root, streamOf(data.subarray(0, 20)), { whiteouts: 'delete' }), /malformed layer tar/, name);
  }
  const root = await tempDir(t);
  const bz = Buffer.concat([Buffer.from('BZh91AY&SY'), Buffer.alloc(100)]);
  await assert.rejects(applyLayer(root, streamOf(bz), { whiteouts: 'delete' }), /malformed layer tar/);
  const xz = Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(100)]);
  await assert.rejects(applyLayer(root, streamOf(xz), { whiteouts: 'delete' }), /malformed layer tar/);
  const zstd = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(100)]);
  await assert.rejects(applyLayer(root, streamOf(zstd), { whiteouts: 'delete' }), /zstd-compressed/);
});

test('garbage and truncated tars are refused with a clear error', async (t) => {
  const root = await tempDir(t);
  const garbage = Buffer.alloc(4096, 'not a tar at all ');
  await assert.rejects(applyLayer(root, streamOf(garbage), { whiteouts: 'delete' }), /malformed layer tar: Invalid tar header/);
  const tar = await tarOf([{ name: 'a', content: 'x'.repeat(5000) }, { name: 'b', content: 'y' }]);
  await assert.rejects(applyLayer(root, streamOf(tar.subarray(0, 2048)), { whiteouts: 'delete' }), /malformed layer tar: Unexpected end of data/);
  await assert.rejects(applyLayer(root, streamOf(tar.subarray(0, 300)), { whiteouts: 'delete' }), /malformed layer tar/);
  // An empty stream is an empty layer.
  assert.equal(await applyLayer(root, streamOf(Buffer.alloc(0)), { whiteouts: 'delete' }), 0);
});

test('a reader that stops early stops the packer without an error', async (t) => {
  const dir = await tempDir(t);
  writeFileSync(join(dir, 'big'), Buffer.alloc(8 << 20));
  writeFileSync(join(dir, 'small'), 'x');
  const out = packLayer((async function* () {
    for await (const { rel, path, st } of walkTree(dir)) yield { kind: 'entry' as const, name: rel, path, st };
  })());
  let read = 0;
  for await (const chunk of out) {
    read += (chunk as Buffer).length;
    if (read > 1 << 20) break;
  }
  assert.ok(out.destroyed);
  // An 'error' nobody listens to would surface here as an uncaught exception.
  await new Promise((resolve) => setTimeout(resolve, 50));
});

test('a file read in several chunks at once packs byte for byte; one that shrank since it was listed fails the pack', async (t) => {
  const dir = await tempDir(t);
  const data = randomBytes((5 << 20) + 12345);
  writeFileSync(join(dir, 'big'), data);
  const packed = await readTar(packLayer((async function* () {
    yield { kind: 'entry' as const, name: 'big', path: join(dir, 'big'), st: lstatSync(join(dir, 'big')) };
  })()));
  assert.ok(packed[0]?.body.equals(data));

  const st = lstatSync(join(dir, 'big'));
  truncateSync(join(dir, 'big'), 3 << 20);
  const shrunk = packLayer((async function* () {
    yield { kind: 'entry' as const, name: 'big', path: join(dir, 'big'), st };
  })());
  // The reads beyond the end fail while an earlier one is awaited: none may go unhandled.
  await assert.rejects(new Promise((resolve, reject) => shrunk.on('error', reject).on('end', resolve).resume()), /shrank while being archived/);
  await new Promise((resolve) => setTimeout(resolve, 50));
});

test('afterWrite: what a short writev leaves, wherever it stopped', () => {
  const b = (s: string) => Buffer.from(s);
  const str = (bs: Buffer[]) => bs.map((x) => x.toString()).join('|');
  assert.equal(str(afterWrite([b('abc'), b('de'), b('f')], 0)), 'abc|de|f');
  assert.equal(str(afterWrite([b('abc'), b('de'), b('f')], 2)), 'c|de|f');
  assert.equal(str(afterWrite([b('abc'), b('de'), b('f')], 3)), 'de|f');
  assert.equal(str(afterWrite([b('abc'), b('de'), b('f')], 4)), 'e|f');
  assert.equal(str(afterWrite([b('abc'), b('de'), b('f')], 6)), '');
  assert.equal(str(afterWrite([b(''), b('ab')], 1)), 'b');
});
