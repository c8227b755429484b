import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { copyTree } from '../../src/storage/copy.ts';
import { applyLayer } from '../../src/storage/layer-apply.ts';
import { fingerprint, streamOf, tarOf, tempDir } from './storage-helpers.ts';

test('copyTree keeps ownership, modes, xattrs, hardlinks, devices and times', async (t) => {
  const top = await tempDir(t);
  const src = join(top, 'src');
  mkdirSync(src);
  const when = new Date('2003-04-05T06:07:08Z');
  const tar = await tarOf([
    { name: 'd/', type: 'directory', mode: 0o2711, uid: 12, gid: 34, mtime: when },
    { name: 'd/suid', content: 'x', mode: 0o4750, uid: 5, gid: 6, mtime: when, pax: { 'SCHILY.xattr.user.k': 'v' } },
    { name: 'd/again', type: 'link', linkname: 'd/suid' },
    { name: 'd/sym', type: 'symlink', linkname: '/nowhere', uid: 9, mtime: when },
    { name: 'd/tty', type: 'character-device', devmajor: 136, devminor: 3, mtime: when },
    { name: 'd/disk', type: 'block-device', devmajor: 8, devminor: 16, mtime: when },
    { name: 'd/pipe', type: 'fifo', mode: 0o600, mtime: when },
    { name: 'sticky/', type: 'directory', mode: 0o1777, mtime: when },
  ]);
  await applyLayer(src, streamOf(tar), { whiteouts: 'delete' });
  await copyTree(src, join(top, 'dst'));
  assert.equal(fingerprint(join(top, 'dst')), fingerprint(src));
  assert.equal(lstatSync(join(top, 'dst/d/again')).ino, lstatSync(join(top, 'dst/d/suid')).ino);
});
