import { test } from 'node:test';
import assert from 'node:assert/strict';
import { remoteName } from '../../src/build/remote-source.ts';

test('ADD URL names: the decoded path\'s last element, never a path of its own', () => {
  assert.equal(remoteName('http://127.0.0.1:8/files/data.txt'), 'data.txt');
  assert.equal(remoteName('http://127.0.0.1:8/files/my%20file.txt?x=1'), 'my file.txt');
  // An escaped slash is decoded before the last element is taken: no `..` path comes out of it.
  assert.equal(remoteName('http://evil/x%2F..%2F..%2Fetc%2Fcron.d%2Fpwn'), 'pwn');
  for (const bad of ['http://h/', 'http://h/a/..', 'http://h/a%2F..', 'http://h/%00', 'http://h/%zz']) {
    assert.throws(() => remoteName(bad), /cannot determine filename/, bad);
  }
});
