// Image references as github.com/distribution/reference parses them
// (ParseNormalizedNamed + FamiliarString), docker's names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeTagged, parseReference } from '../../src/image/reference.ts';

const DIGEST = 'sha256:' + 'ab'.repeat(32);

test('parseReference: Docker Hub names in familiar form', () => {
  const cases: [string, object][] = [
    ['busybox', { repo: 'busybox' }],
    ['busybox:1.36', { repo: 'busybox', tag: '1.36' }],
    ['library/busybox', { repo: 'busybox' }],
    ['docker.io/busybox', { repo: 'busybox' }],
    ['docker.io/library/busybox:latest', { repo: 'busybox', tag: 'latest' }],
    ['index.docker.io/library/busybox', { repo: 'busybox' }],
    ['myuser/app', { repo: 'myuser/app' }],
    ['docker.io/myuser/app:v2', { repo: 'myuser/app', tag: 'v2' }],
    // library/ is only dropped for a single path component after it.
    ['docker.io/library/foo/bar', { repo: 'library/foo/bar' }],
  ];
  for (const [input, want] of cases) assert.deepEqual(parseReference(input), want, input);
});

test('parseReference: other registries, ports and localhost', () => {
  const cases: [string, object][] = [
    ['localhost:5000/app', { repo: 'localhost:5000/app' }],
    ['localhost:5000/app:v1', { repo: 'localhost:5000/app', tag: 'v1' }],
    ['localhost/app', { repo: 'localhost/app' }],
    ['localhost/app:1', { repo: 'localhost/app', tag: '1' }],
    ['ghcr.io/org/team/app:1.0', { repo: 'ghcr.io/org/team/app', tag: '1.0' }],
    ['registry.example.com:443/library/app', { repo: 'registry.example.com:443/library/app' }],
    ['quay.io/library/app', { repo: 'quay.io/library/app' }],
  ];
  for (const [input, want] of cases) assert.deepEqual(parseReference(input), want, input);
});

test('parseReference: digests, with and without a tag', () => {
  assert.deepEqual(parseReference(`busybox@${DIGEST}`), { repo: 'busybox', digest: DIGEST });
  assert.deepEqual(parseReference(`busybox:1.36@${DIGEST}`), { repo: 'busybox', tag: '1.36', digest: DIGEST });
  assert.deepEqual(parseReference(`localhost:5000/app@${DIGEST}`), { repo: 'localhost:5000/app', digest: DIGEST });
});

test('parseReference: path components allow ., _, __ and runs of -', () => {
  for (const ok of ['a.b', 'a_b', 'a__b', 'a-b', 'a---b', 'a0/b1.c_d', 'x'.repeat(200), 'a:' + 'T'.repeat(128), 'a:_tag', 'a:V1.0-rc_1']) {
    assert.doesNotThrow(() => parseReference(ok), ok);
  }
});

test('parseReference refuses invalid references', () => {
  const bad = [
    '', ':latest', 'busybox:', 'busybox::1', 'busybox:-tag', 'busybox:.tag', `busybox:${'t'.repeat(129)}`,
    'busybox@sha256:abc', 'busybox@',
    'bad name', '-app', 'app-', 'a___b', 'a..b', 'a._b', 'app/', '/app', 'a//b', 'a/b:c/d',
    'x'.repeat(256),
  ];
  for (const input of bad) assert.throws(() => parseReference(input), /invalid reference format/, JSON.stringify(input));
  // Well-formed but unusable digests (docker: unsupported algorithm / invalid checksum format).
  for (const input of [`busybox@sha256:${'AB'.repeat(32)}`, `busybox@md5:${'ab'.repeat(32)}`, `busybox@sha256:${'ab'.repeat(31)}`]) {
    assert.throws(() => parseReference(input), Error, input);
  }
});

test('parseReference: uppercase repository names must be lowercase', () => {
  assert.throws(() => parseReference('Busybox'), /must be lowercase/);
  assert.throws(() => parseReference('myuser/App:1'), /must be lowercase/);
  // An uppercase tag is fine.
  assert.deepEqual(parseReference('busybox:LATEST'), { repo: 'busybox', tag: 'LATEST' });
});

test('parseReference refuses a registry port that is not a number', () => {
  assert.throws(() => parseReference('localhost:abc/app'), /invalid reference format/);
  assert.throws(() => parseReference('example.com:/app'), /invalid reference format/);
});

test('parseReference refuses a 64-hex repository name (it would shadow image IDs)', () => {
  assert.throws(() => parseReference('ab'.repeat(32)), /cannot specify 64-byte hexadecimal strings/);
  assert.throws(() => parseReference('ab'.repeat(32) + ':latest'), /cannot specify 64-byte hexadecimal strings/);
});

test('normalizeTagged adds :latest, keeps explicit tags, prefers the digest', () => {
  assert.equal(normalizeTagged('busybox'), 'busybox:latest');
  assert.equal(normalizeTagged('docker.io/library/busybox'), 'busybox:latest');
  assert.equal(normalizeTagged('busybox:1.36'), 'busybox:1.36');
  assert.equal(normalizeTagged('localhost:5000/app'), 'localhost:5000/app:latest');
  assert.equal(normalizeTagged(`busybox@${DIGEST}`), `busybox@${DIGEST}`);
  assert.equal(normalizeTagged(`busybox:1.36@${DIGEST}`), `busybox@${DIGEST}`);
  assert.throws(() => normalizeTagged('Busybox'), /must be lowercase/);
});

