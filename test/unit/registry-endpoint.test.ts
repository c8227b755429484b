// Where references live: Docker Hub for short names, plain HTTP for loopback registries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointFor, familiarString, isLoopback, qualifiedName, registryDomainOf, resolveRemote, splitRepository } from '../../src/distribution/endpoint.ts';

test('short names resolve to Docker Hub over HTTPS, library/ added as docker does', () => {
  const r = resolveRemote('busybox');
  assert.deepEqual(r, { endpoint: { domain: 'docker.io', origin: 'https://registry-1.docker.io' }, path: 'library/busybox', name: 'busybox' });
  assert.equal(familiarString(r), 'busybox:latest');
  assert.equal(qualifiedName(r), 'docker.io/library/busybox');
  assert.equal(resolveRemote('docker.io/library/busybox:1.36').path, 'library/busybox');
  assert.equal(resolveRemote('index.docker.io/user/app').path, 'user/app');
  const user = resolveRemote('user/app:v2');
  assert.equal(user.path, 'user/app');
  assert.equal(user.tag, 'v2');
  assert.equal(user.endpoint.origin, 'https://registry-1.docker.io');
});

test('a first component with a dot, a port or localhost is a registry', () => {
  const r = resolveRemote('127.0.0.1:5000/team/app@sha256:' + 'a'.repeat(64));
  assert.deepEqual(r.endpoint, { domain: '127.0.0.1:5000', origin: 'http://127.0.0.1:5000' });
  assert.equal(r.path, 'team/app');
  assert.equal(r.name, '127.0.0.1:5000/team/app');
  assert.equal(r.digest, 'sha256:' + 'a'.repeat(64));
  assert.equal(familiarString(r), `127.0.0.1:5000/team/app@sha256:${'a'.repeat(64)}`);
  assert.equal(resolveRemote('localhost/app').endpoint.origin, 'http://localhost');
  assert.equal(resolveRemote('registry.example.com/app:1').endpoint.origin, 'https://registry.example.com');
  assert.equal(resolveRemote('registry.example.com:8443/app').endpoint.origin, 'https://registry.example.com:8443');
  assert.deepEqual(splitRepository('localhost:5000/a/b'), { domain: 'localhost:5000', path: 'a/b' });
});

test('loopback hosts are insecure (plain HTTP) by default, others are not', () => {
  for (const h of ['localhost', 'localhost:5000', '127.0.0.1', '127.1.2.3:80', '[::1]:5000', 'foo.localhost:1']) assert.ok(isLoopback(h), h);
  for (const h of ['10.0.0.1:5000', '128.0.0.1', 'example.com', 'localhost.example.com', '[::2]:5000']) assert.ok(!isLoopback(h), h);
  assert.equal(endpointFor('[::1]:5000').origin, 'http://[::1]:5000');
  assert.equal(endpointFor('index.docker.io').origin, 'https://registry-1.docker.io');
});

test('invalid references are refused', () => {
  assert.throws(() => resolveRemote('UPPER/case'), /must be lowercase/);
  assert.throws(() => resolveRemote('app:bad tag'), /invalid reference format/);
  assert.throws(() => resolveRemote('app@sha256:short'), /invalid reference format/);
});

test('login server addresses name a registry as docker.io or host[:port]', () => {
  const cases: [string, string][] = [
    ['', 'docker.io'], ['https://index.docker.io/v1/', 'docker.io'], ['docker.io', 'docker.io'],
    ['http://127.0.0.1:5000/v2/', '127.0.0.1:5000'], ['registry.example.com', 'registry.example.com'],
  ];
  for (const [address, domain] of cases) assert.equal(registryDomainOf(address), domain, address);
});
