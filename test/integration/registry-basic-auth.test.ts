// A registry behind htpasswd basic auth: docker login (POST /auth), push
// and pull with the credentials docker sends in X-Registry-Auth, berth's
// CLI reading docker's config.json, skopeo reading what was pushed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestDaemon, run } from '../helpers/daemon.ts';
import { TestRegistry, dockerConfigForFile } from '../helpers/registry.ts';

const d = TestDaemon.forFile();
const reg = TestRegistry.forFile({ auth: 'htpasswd' });
const { dir: configDir, docker, berth } = dockerConfigForFile(d);

test('without credentials the registry refuses, in docker words', async () => {
  assert.equal((await docker(['tag', 'busybox', `${reg.host}/secure:1`])).code, 0);
  const push = await docker(['push', `${reg.host}/secure:1`]);
  assert.equal(push.code, 1);
  assert.match(push.stderr, /no basic auth credentials/);
  const pull = await docker(['pull', `${reg.host}/secure:1`]);
  assert.equal(pull.code, 1);
  assert.equal(pull.stderr, `Error response from daemon: Get "http://${reg.host}/v2/secure/manifests/1": no basic auth credentials\n`);
});

test('docker login checks the password with the registry', async () => {
  const wrong = await docker(['login', '-u', reg.user.name, '--password-stdin', reg.host], 'not-the-password\n');
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, new RegExp(`login attempt to http://${reg.host}/v2/ failed with status: 401 Unauthorized`));
  const right = await docker(['login', '-u', reg.user.name, '--password-stdin', reg.host], `${reg.user.password}\n`);
  assert.equal(right.code, 0, right.stderr);
  assert.match(right.stdout, /Login Succeeded/);
  const saved = JSON.parse(await readFile(join(configDir(), 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
  assert.equal(Buffer.from(saved.auths[reg.host]!.auth, 'base64').toString(), `${reg.user.name}:${reg.user.password}`);
});

test('logged in: push and pull with basic auth; berth reads the same config; skopeo sees the image', async () => {
  const ref = `${reg.host}/secure:1`;
  const push = await docker(['push', ref]);
  assert.equal(push.code, 0, push.stderr);
  const digest = /1: digest: (sha256:[a-f0-9]{64})/.exec(push.stdout)![1]!;
  const anonymous = await run('skopeo', ['inspect', '--tls-verify=false', `docker://${ref}`]);
  assert.notEqual(anonymous.code, 0);
  const inspect = await run('skopeo', ['inspect', '--tls-verify=false', '--creds', `${reg.user.name}:${reg.user.password}`, `docker://${ref}`]);
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.equal((JSON.parse(inspect.stdout) as { Digest: string }).Digest, digest);

  assert.equal((await docker(['rmi', ref])).code, 0);
  const pull = await docker(['pull', ref]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.match(pull.stdout, new RegExp(`Digest: ${digest}\n`));
  assert.equal((await docker(['rmi', ref])).code, 0);
  const viaBerth = await berth(['pull', ref]);
  assert.equal(viaBerth.code, 0, viaBerth.stderr);
  assert.match(viaBerth.stdout, new RegExp(`Status: Downloaded newer image for ${ref}\n${ref}\n$`));
});

test('after docker logout the credentials are gone again', async () => {
  assert.equal((await docker(['logout', reg.host])).code, 0);
  const pull = await berth(['pull', `${reg.host}/secure:1`]);
  assert.equal(pull.code, 1);
  assert.match(pull.stderr, /no basic auth credentials/);
  assert.ok(await d.ping());
});
