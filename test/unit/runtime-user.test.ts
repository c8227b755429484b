// `--user` resolution, checked against runc's user.GetExecUser rules (which
// docker uses): names via /etc/passwd, numeric IDs without entries, explicit
// groups, supplementary groups only in the implicit form, --group-add.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGroup, parsePasswd, resolveUser, type ResolvedUser } from '../../src/runtime/user.ts';

const passwd = [
  '# comment line',
  'root:x:0:0:root:/root:/bin/sh',
  'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
  'alice:x:1000:1000:Alice:/home/alice:/bin/bash',
  'bob:x:1001:100::/home/bob:/bin/sh',
  'nohome:x:1002:1002:::/bin/sh',
  'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
  '',
].join('\n');

const group = [
  'root:x:0:',
  'wheel:x:10:root,alice',
  'audio:x:29:alice',
  'users:x:100:bob',
  'docker:x:999:alice,bob',
  'alice:x:1000:',
  '# not a group',
  'nogroup:x:65534:',
  '',
].join('\n');

/** Supplementary groups without the primary one (runc may list it too; it changes nothing). */
function extra(u: ResolvedUser): number[] {
  return u.additionalGids.filter((g) => g !== u.gid).sort((a, b) => a - b);
}

test('parsePasswd and parseGroup read entries and skip comments and blank lines', () => {
  const p = parsePasswd(passwd);
  assert.deepEqual(p.map((e) => e.name), ['root', 'daemon', 'alice', 'bob', 'nohome', 'nobody']);
  assert.deepEqual(p[2], { name: 'alice', uid: 1000, gid: 1000, home: '/home/alice' });
  const g = parseGroup(group);
  assert.deepEqual(g.map((e) => e.name), ['root', 'wheel', 'audio', 'users', 'docker', 'alice', 'nogroup']);
  assert.deepEqual(g[1], { name: 'wheel', gid: 10, members: ['root', 'alice'] });
  assert.deepEqual(g[0]!.members, []);
});

test('an empty spec is root with its passwd entry', () => {
  const u = resolveUser('', passwd, group);
  assert.equal(u.uid, 0);
  assert.equal(u.gid, 0);
  assert.equal(u.home, '/root');
});

test('an empty spec without a passwd file is still root', () => {
  const u = resolveUser('', '', '');
  assert.deepEqual(u, { uid: 0, gid: 0, additionalGids: [], home: '/root' });
});

test('a user name takes uid, gid and home from passwd and groups it is a member of', () => {
  const u = resolveUser('alice', passwd, group);
  assert.equal(u.uid, 1000);
  assert.equal(u.gid, 1000);
  assert.equal(u.home, '/home/alice');
  assert.deepEqual(extra(u), [10, 29, 999]);

  const b = resolveUser('bob', passwd, group);
  assert.equal(b.uid, 1001);
  assert.equal(b.gid, 100);
  assert.equal(b.home, '/home/bob');
  assert.deepEqual(extra(b), [999]);

  const r = resolveUser('root', passwd, group);
  assert.deepEqual(extra(r), [10]);
});

test('a numeric uid with a passwd entry behaves like the name', () => {
  const u = resolveUser('1000', passwd, group);
  assert.equal(u.uid, 1000);
  assert.equal(u.gid, 1000);
  assert.equal(u.home, '/home/alice');
  assert.deepEqual(extra(u), [10, 29, 999]);
});

test('a numeric uid without an entry gets gid 0, home / and no groups', () => {
  const u = resolveUser('4242', passwd, group);
  assert.deepEqual({ ...u, additionalGids: extra(u) }, { uid: 4242, gid: 0, additionalGids: [], home: '/' });
});

test('uid:gid numbers need no entries', () => {
  const u = resolveUser('4242:4343', passwd, group);
  assert.equal(u.uid, 4242);
  assert.equal(u.gid, 4343);
  assert.deepEqual(extra(u), []);
});

test('an explicit group replaces the primary group and drops supplementary groups', () => {
  const named = resolveUser('alice:users', passwd, group);
  assert.equal(named.uid, 1000);
  assert.equal(named.gid, 100);
  assert.equal(named.home, '/home/alice');
  assert.deepEqual(extra(named), []);

  const numericKnown = resolveUser('alice:999', passwd, group);
  assert.equal(numericKnown.gid, 999);
  assert.deepEqual(extra(numericKnown), []);

  const numericUnknown = resolveUser('alice:5555', passwd, group);
  assert.equal(numericUnknown.gid, 5555);
});

test('a user without a home directory gets /', () => {
  assert.equal(resolveUser('nohome', passwd, group).home, '/');
});

test('an unknown user name is refused with runc\'s message', () => {
  assert.throws(() => resolveUser('mallory', passwd, group), /^Error: unable to find user mallory: no matching entries in passwd file$/);
  assert.throws(() => resolveUser('mallory:users', passwd, group), /unable to find user mallory/);
  // No passwd file at all: a name cannot resolve.
  assert.throws(() => resolveUser('alice', '', ''), /unable to find user alice/);
});

test('an unknown group name is refused with runc\'s message', () => {
  assert.throws(() => resolveUser('alice:nosuch', passwd, group), /unable to find group nosuch: no matching entries in group file/);
  assert.throws(() => resolveUser('4242:nosuch', passwd, group), /unable to find group nosuch/);
});

test('a uid beyond 2^31-1 is out of range', () => {
  assert.throws(() => resolveUser('2147483648', passwd, group), /out of range/);
  assert.equal(resolveUser('2147483647', passwd, group).uid, 2147483647);
});

test('extra groups (--group-add) by name or number, added once', () => {
  const u = resolveUser('alice', passwd, group, ['audio', '1234', 'nogroup', '1234']);
  assert.deepEqual(extra(u), [10, 29, 999, 1234, 65534]);
  assert.equal(new Set(u.additionalGids).size, u.additionalGids.length, 'no duplicates');

  const numeric = resolveUser('4242:4242', passwd, group, ['wheel']);
  assert.deepEqual(extra(numeric), [10]);
});

test('an unknown extra group name is refused', () => {
  assert.throws(() => resolveUser('alice', passwd, group, ['nosuch']), /unable to find group nosuch/);
});

test('"name:" (empty group) is the implicit form and keeps supplementary groups', () => {
  const u = resolveUser('alice:', passwd, group);
  assert.equal(u.gid, 1000);
  assert.deepEqual(extra(u), [10, 29, 999]);
});
