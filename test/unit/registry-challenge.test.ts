// WWW-Authenticate challenges, X-Registry-Auth credentials and the registry's error wording.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseChallenges } from '../../src/distribution/challenge.ts';
import { authConfigFrom, decodeAuthHeader, repositoryScope } from '../../src/distribution/auth.ts';
import { formatEntries, pullError, responseError } from '../../src/distribution/errors.ts';
import { ApiError } from '../../src/util/errors.ts';

test('a Bearer challenge: realm, service and scope, quoted', () => {
  assert.deepEqual(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
  ]);
});

test('Basic, unquoted values, odd spacing, escapes and several challenges', () => {
  assert.deepEqual(parseChallenges('Basic realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
  assert.deepEqual(parseChallenges('BEARER Realm = http://t/token , Service=reg'), [{ scheme: 'bearer', params: { realm: 'http://t/token', service: 'reg' } }]);
  assert.deepEqual(parseChallenges('Basic realm="a \\"quoted\\" realm", Bearer realm="http://t",scope="repository:a:pull,push"'), [
    { scheme: 'basic', params: { realm: 'a "quoted" realm' } },
    { scheme: 'bearer', params: { realm: 'http://t', scope: 'repository:a:pull,push' } },
  ]);
  assert.deepEqual(parseChallenges(['Negotiate', 'Basic realm=x']), [{ scheme: 'negotiate', params: {} }, { scheme: 'basic', params: { realm: 'x' } }]);
  assert.deepEqual(parseChallenges('Bearer realm="http://t",error="insufficient_scope"'), [{ scheme: 'bearer', params: { realm: 'http://t', error: 'insufficient_scope' } }]);
  assert.deepEqual(parseChallenges(undefined), []);
  assert.deepEqual(parseChallenges(''), []);
});

test('X-Registry-Auth: base64url JSON, any key case, "auth" as user:password; unreadable means none', () => {
  const enc = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  assert.deepEqual(decodeAuthHeader(enc({ username: 'u', password: 'p?>', serveraddress: '127.0.0.1:5000' })), { username: 'u', password: 'p?>', serveraddress: '127.0.0.1:5000' });
  assert.deepEqual(decodeAuthHeader(Buffer.from(JSON.stringify({ Username: 'u', Password: 'p' })).toString('base64')), { username: 'u', password: 'p' });
  assert.deepEqual(decodeAuthHeader(enc({ auth: Buffer.from('me:pa:ss').toString('base64') })), { username: 'me', password: 'pa:ss' });
  assert.deepEqual(decodeAuthHeader(enc({ identitytoken: 'refresh' })), { identitytoken: 'refresh' });
  assert.deepEqual(decodeAuthHeader('e30='), {});
  assert.deepEqual(decodeAuthHeader('!!not base64 json'), {});
  assert.deepEqual(decodeAuthHeader(undefined), {});
  assert.deepEqual(authConfigFrom({ username: 1, password: null }), {});
  assert.equal(repositoryScope('library/busybox', ['pull', 'push']), 'repository:library/busybox:pull,push');
});

test('registry errors read as docker prints them', () => {
  const body = Buffer.from(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'x' } }] }));
  const e = responseError(404, 'Not Found', body);
  assert.equal(e.message, 'manifest unknown: manifest unknown');
  assert.equal(e.code, 'MANIFEST_UNKNOWN');
  assert.equal(formatEntries([{ code: 'DENIED', message: 'no' }, { code: 'UNAUTHORIZED', message: '' }]), 'errors:\ndenied: no\nunauthorized: unauthorized\n');
  assert.equal(responseError(401, 'Unauthorized', Buffer.from('{"details":"incorrect username or password"}')).message, 'unauthorized: incorrect username or password');
  assert.equal(responseError(403, 'Forbidden', Buffer.from('nope')).message, 'error parsing HTTP 403 response body: no error details found in HTTP response body: "nope"');
  assert.equal(responseError(500, 'Internal Server Error', Buffer.alloc(0)).message, 'received unexpected HTTP status: 500 Internal Server Error');
  const scope = responseError(401, 'Unauthorized', Buffer.alloc(0), parseChallenges('Bearer realm="http://t",error="insufficient_scope"'));
  assert.equal(scope.message, 'denied: requested access to the resource is denied');
});

test('pull failures: unknown manifests and repositories and refusals are 404s naming the image', () => {
  const err = (code: string, message: string): ApiError => pullError(responseError(404, '', Buffer.from(JSON.stringify({ errors: [{ code, message }] }))), 'h:5/app:nope', 'h:5/app') as ApiError;
  assert.equal(err('MANIFEST_UNKNOWN', 'manifest unknown').message, 'manifest for h:5/app:nope not found: manifest unknown: manifest unknown');
  assert.equal(err('MANIFEST_UNKNOWN', 'x').status, 404);
  assert.equal(err('NAME_UNKNOWN', 'repository name not known to registry').message, 'repository h:5/app not found: name unknown: repository name not known to registry');
  assert.equal(err('DENIED', 'requested access to the resource is denied').message,
    "pull access denied for h:5/app, repository does not exist or may require 'docker login': denied: requested access to the resource is denied");
  assert.equal(err('UNAUTHORIZED', 'authentication required').status, 500);
});
