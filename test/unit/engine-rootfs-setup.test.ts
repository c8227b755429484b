// Paths inside a container's root are resolved as if it were `/`.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { resolveInRoot, readInRoot } from '../../src/engine/rootfs-setup.ts';

const root = mkdtempSync(join(tmpdir(), 'berth-rootfs-'));
after(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, 'etc'));
writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');

test('.. never climbs above the root, even after a missing component', async () => {
  assert.equal(await resolveInRoot(root, '/nope/../../../../tmp/escaped'), join(root, 'tmp/escaped'));
  assert.equal(await resolveInRoot(root, '../../etc/group'), join(root, 'etc/group'));
});

test('symlinks resolve against the root, absolute or relative', async () => {
  symlinkSync('/etc', join(root, 'abs'));
  symlinkSync('x/../../../../../../etc/group', join(root, 'rel'));
  assert.equal(await resolveInRoot(root, '/abs/group'), join(root, 'etc/group'));
  assert.equal(await resolveInRoot(root, '/rel'), join(root, 'etc/group'));
  // back out of a missing dir into a symlink: it is still resolved inside the root
  symlinkSync('/', join(root, 'top'));
  assert.equal(await resolveInRoot(root, '/missing/../top/etc/group'), join(root, 'etc/group'));
});

test('readInRoot refuses FIFOs and devices instead of blocking or reading forever', async () => {
  execFileSync('mkfifo', [join(root, 'etc/passwd')]);
  assert.equal(await readInRoot(root, '/etc/passwd'), '');
  assert.equal(await readInRoot(root, '/etc/group'), 'root:x:0:\n');
});
