import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isGitSource, parseChecksum, remoteName } from '../../src/build/remote-source.ts';

test('ADD URL names: the decoded path\'s last element, never a path of its own', () => {
  assert.equal(remoteName('http://127.0.0.1:8/files/data.txt'), 'data.txt');
  assert.equal(remoteName('http://127.0.0.1:8/files/my%20file.txt?x=1'), 'my file.txt');
  // An escaped slash is decoded before the last element is taken: no `..` path comes out of it.
  assert.equal(remoteName('http://evil/x%2F..%2F..%2Fetc%2Fcron.d%2Fpwn'), 'pwn');
  for (const bad of ['http://h/', 'http://h/a/..', 'http://h/a%2F..', 'http://h/%00', 'http://h/%zz']) {
    assert.throws(() => remoteName(bad), /cannot determine filename/, bad);
  }
});

test('ADD --checksum is read as go-digest reads a digest, with its errors', () => {
  const hex = 'a'.repeat(64);
  assert.deepEqual(parseChecksum(`sha256:${hex}`), { algorithm: 'sha256', hex });
  assert.deepEqual(parseChecksum(`sha512:${'0'.repeat(128)}`), { algorithm: 'sha512', hex: '0'.repeat(128) });
  const cases: [string, string][] = [
    [hex, 'invalid checksum digest format'], ['sha256:', 'invalid checksum digest format'], [':abc', 'invalid checksum digest format'],
    ['md5:abc', 'unsupported digest algorithm'], ['MD5:abc', 'invalid checksum digest format'],
    ['sha256:abc', 'invalid checksum digest length'], [`sha256:${'A'.repeat(64)}`, 'invalid checksum digest format'],
  ];
  for (const [text, message] of cases) assert.throws(() => parseChecksum(text), { message }, text);
});

test('git sources are told apart from downloads and local paths as BuildKit does', () => {
  for (const src of ['git://host/repo', 'ssh://git@host/repo', 'git@github.com:org/repo.git', 'https://github.com/org/repo.git', 'https://host/repo.git#main', 'http://host/r.git/']) {
    assert.equal(isGitSource(src), true, src);
  }
  for (const src of ['https://host/file.tar', 'https://host/repo.git.tar', 'local/dir', 'file.git', 'a:b']) assert.equal(isGitSource(src), false, src);
});
