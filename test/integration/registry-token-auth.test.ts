// A registry behind token auth (distribution's `auth: token`, JWTs from a
// token server run by the test): the Bearer challenge flow, with scopes per
// operation; anonymous pulls, pushes only for the logged-in user, and
// cross-repository mounts asking for the source repository's pull scope.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon, run } from '../helpers/daemon.ts';
import { TestRegistry, dockerConfigForFile } from '../helpers/registry.ts';

const d = TestDaemon.forFile();
const reg = TestRegistry.forFile({ auth: 'token' });
const { docker, berth } = dockerConfigForFile(d);

test('anonymous push: a pull-only token, and the registry denies the upload', async () => {
  assert.equal((await docker(['tag', 'busybox', `${reg.host}/tok:1`])).code, 0);
  const push = await docker(['push', `${reg.host}/tok:1`]);
  assert.equal(push.code, 1);
  assert.equal(push.stderr, 'denied: requested access to the resource is denied\n');
  const asked = reg.tokenRequests.at(-1)!;
  assert.equal(asked.authorization, undefined);
  assert.equal(asked.service, 'berth-test-registry');
  assert.deepEqual(asked.scopes, ['repository:tok:pull,push']);
});

test('docker login goes through the token server', async () => {
  const wrong = await docker(['login', '-u', reg.user.name, '--password-stdin', reg.host], 'wrong\n');
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /unauthorized: incorrect username or password/);
  const right = await docker(['login', '-u', reg.user.name, '--password-stdin', reg.host], `${reg.user.password}\n`);
  assert.equal(right.code, 0, right.stderr);
  assert.match(right.stdout, /Login Succeeded/);
});

test('logged in: push with a pull,push token; a second repository mounts the layers', async () => {
  reg.tokenRequests.length = 0;
  const push = await docker(['push', `${reg.host}/tok:1`]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, /: Pushed\n/);
  assert.ok(reg.tokenRequests.length >= 1);
  for (const r of reg.tokenRequests) {
    assert.equal(r.authorization, `Basic ${Buffer.from(`${reg.user.name}:${reg.user.password}`).toString('base64')}`);
    assert.deepEqual(r.scopes, ['repository:tok:pull,push']);
  }
  // Tokens are cached for the scopes they were given: one for the whole push.
  assert.equal(reg.tokenRequests.length, 1);

  reg.tokenRequests.length = 0;
  assert.equal((await docker(['tag', 'busybox', `${reg.host}/tok2:1`])).code, 0);
  const mount = await docker(['push', `${reg.host}/tok2:1`]);
  assert.equal(mount.code, 0, mount.stderr);
  assert.match(mount.stdout, /: Mounted from tok\n/);
  assert.ok(reg.tokenRequests.some((r) => r.scopes.includes('repository:tok:pull') && r.scopes.includes('repository:tok2:pull,push')));
});

test('anonymous pull after logout: a token without credentials; berth and skopeo too', async () => {
  assert.equal((await docker(['logout', reg.host])).code, 0);
  assert.equal((await docker(['rmi', `${reg.host}/tok:1`, `${reg.host}/tok2:1`])).code, 0);
  reg.tokenRequests.length = 0;
  const pull = await docker(['pull', `${reg.host}/tok:1`]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.ok(reg.tokenRequests.length > 0);
  assert.ok(reg.tokenRequests.every((r) => r.authorization === undefined && r.scopes.join() === 'repository:tok:pull'));
  const viaBerth = await berth(['pull', `${reg.host}/tok2:1`]);
  assert.equal(viaBerth.code, 0, viaBerth.stderr);
  const inspect = await run('skopeo', ['inspect', '--tls-verify=false', `docker://${reg.host}/tok:1`]);
  assert.equal(inspect.code, 0, inspect.stderr);
  const missing = await docker(['pull', `${reg.host}/tok:none`]);
  assert.equal(missing.stderr, `Error response from daemon: manifest for ${reg.host}/tok:none not found: manifest unknown: manifest unknown\n`);
});
