// berth pull and berth push against a real registry: docker's output (plain,
// not a terminal), -q, -a, and the pull that run does for a missing image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon } from '../helpers/daemon.ts';
import { TestRegistry } from '../helpers/registry.ts';

const d = TestDaemon.forFile();
const reg = TestRegistry.forFile();

test('berth push: docker lines, -q, and the errors of -a with a tag or a missing tag', async () => {
  const ref = `${reg.host}/cli:1`;
  assert.equal((await d.berth(['run', '--name', 'cli-src', 'busybox', 'sh', '-c', 'echo from-berth > /f'])).code, 0);
  assert.equal((await d.berth(['commit', 'cli-src', ref])).code, 0);
  assert.equal((await d.berth(['rm', 'cli-src'])).code, 0);
  const r = await d.berth(['push', ref]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^The push refers to repository \\[${reg.host}/cli\\]\n([a-f0-9]{12}: Preparing\n){2}([a-f0-9]{12}: Pushed\n){2}1: digest: sha256:[a-f0-9]{64} size: \\d+\n$`));
  const q = await d.berth(['push', '-q', ref]);
  assert.deepEqual(q, { code: 0, stdout: `${ref}\n`, stderr: '' });
  const noTag = await d.berth(['push', `${reg.host}/cli`]);
  assert.equal(noTag.code, 1);
  assert.equal(noTag.stdout, `Using default tag: latest\nThe push refers to repository [${reg.host}/cli]\n`);
  assert.equal(noTag.stderr, `tag does not exist: ${reg.host}/cli:latest\n`);
  const both = await d.berth(['push', '-a', ref]);
  assert.equal(both.code, 1);
  assert.match(both.stderr, /tag can't be used with --all-tags\/-a/);
});

test('berth pull: layer lines, digest and status, the reference last; -q prints only the reference', async () => {
  const ref = `${reg.host}/cli:1`;
  const id = (await d.berth(['inspect', '-f', '{{.Id}}', ref])).stdout.trim();
  assert.equal((await d.berth(['rmi', ref])).code, 0);
  const r = await d.berth(['pull', ref]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(
    `^1: Pulling from cli\n[a-f0-9]{12}: Already exists\n[a-f0-9]{12}: Pulling fs layer\n([a-f0-9]{12}: (Verifying Checksum|Download complete)\n){2}` +
    `[a-f0-9]{12}: Pull complete\nDigest: sha256:[a-f0-9]{64}\nStatus: Downloaded newer image for ${reg.host}/cli:1\n${reg.host}/cli:1\n$`));
  assert.equal((await d.berth(['inspect', '-f', '{{.Id}}', ref])).stdout.trim(), id);
  assert.deepEqual(await d.berth(['pull', '-q', ref]), { code: 0, stdout: `${ref}\n`, stderr: '' });
  const latest = await d.berth(['pull', `${reg.host}/cli`]);
  assert.equal(latest.code, 1);
  assert.equal(latest.stdout, 'Using default tag: latest\n');
  assert.equal(latest.stderr, `Error response from daemon: manifest for ${reg.host}/cli:latest not found: manifest unknown: manifest unknown\n`);
  const all = await d.berth(['pull', '-a', `${reg.host}/cli`]);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, new RegExp(`Status: Image is up to date for ${reg.host}/cli\n${reg.host}/cli\n$`));
  assert.match((await d.berth(['pull', '-a', ref])).stderr, /tag can't be used with --all-tags\/-a/);
});

test('berth run pulls an image it does not have', async () => {
  const ref = `${reg.host}/cli:1`;
  assert.equal((await d.berth(['rmi', ref])).code, 0);
  const r = await d.berth(['run', '--rm', ref, 'cat', '/f']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'from-berth\n');
  assert.match(r.stderr, new RegExp(`^Unable to find image '${reg.host}/cli:1' locally\n1: Pulling from cli\n`));
  assert.match(r.stderr, new RegExp(`Status: Downloaded newer image for ${reg.host}/cli:1\n$`));
});
