// docker push and pull against a real registry (Debian's docker-registry,
// distribution 2.8) through the real docker CLI, with skopeo as a second,
// independent client reading what berth pushed and writing what it pulls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { TestDaemon, run } from '../helpers/daemon.ts';
import { TestRegistry } from '../helpers/registry.ts';
import { MEDIA } from '../../src/image/types.ts';

const d = TestDaemon.forFile();
const reg = TestRegistry.forFile();

const skopeo = (args: string[]) => run('skopeo', args, { timeoutMs: 60_000 });
const idOf = async (ref: string): Promise<string> => (await d.docker(['inspect', '-f', '{{.Id}}', ref])).stdout.trim();
const digestsOf = async (ref: string): Promise<string[]> => JSON.parse((await d.docker(['inspect', '-f', '{{json .RepoDigests}}', ref])).stdout) as string[];
const pushedDigest = (stdout: string): string => /: digest: (sha256:[a-f0-9]{64}) size: \d+$/m.exec(stdout)![1]!;

/** An image of its own (busybox plus a layer with `text`), tagged `ref`. */
async function makeImage(ref: string, text: string): Promise<void> {
  const name = `mk-${createHash('sha256').update(ref).digest('hex').slice(0, 8)}`;
  assert.equal((await d.docker(['run', '--name', name, 'busybox', 'sh', '-c', `echo ${text} > /greeting`])).code, 0);
  assert.equal((await d.docker(['commit', name, ref])).code, 0);
  assert.equal((await d.docker(['rm', name])).code, 0);
}

test('pull of an image with no layer here downloads them all; by digest it records only the digest', async () => {
  const ref = `${reg.host}/solo:1`;
  await makeImage(ref, 'solo');
  const digest = pushedDigest((await d.docker(['push', ref])).stdout);
  const id = await idOf(ref);
  assert.equal((await d.docker(['rmi', ref])).code, 0);
  // busybox holds the base layer; move it aside so that nothing of the image is here.
  const save = join(d.dir, 'busybox.tar');
  assert.equal((await d.docker(['save', '-o', save, 'busybox'])).code, 0);
  assert.equal((await d.docker(['rmi', 'busybox'])).code, 0);
  try {
    const byDigest = `${reg.host}/solo@${digest}`;
    const pull = await d.docker(['pull', byDigest]);
    assert.equal(pull.code, 0, pull.stderr);
    assert.ok(pull.stdout.startsWith(`${digest}: Pulling from solo\n`));
    assert.equal(pull.stdout.split('\n').filter((l) => l.endsWith(': Pull complete')).length, 2);
    assert.ok(pull.stdout.includes(`Status: Downloaded newer image for ${byDigest}\n`));
    assert.equal(await idOf(byDigest), id);
    const listed = await d.docker(['images', '--digests', '--format', '{{.Repository}} {{.Tag}} {{.Digest}}', `${reg.host}/solo`]);
    assert.equal(listed.stdout, `${reg.host}/solo <none> ${digest}\n`);
    assert.equal((await d.docker(['run', '--rm', byDigest, 'cat', '/greeting'])).stdout, 'solo\n');
    assert.match((await d.docker(['pull', byDigest])).stdout, new RegExp(`Status: Image is up to date for ${byDigest.replace(/[.]/g, '\\.')}\n`));
    assert.equal((await d.docker(['rmi', byDigest])).code, 0);
  } finally {
    assert.equal((await d.docker(['load', '-i', save])).code, 0);
  }
});

test('docker push: layers, config and manifest; RepoDigests; skopeo reads it back', async () => {
  const ref = `${reg.host}/app:1`;
  await makeImage(ref, 'hello');
  const r = await d.docker(['push', ref]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines[0], `The push refers to repository [${reg.host}/app]`);
  assert.equal(lines.filter((l) => /^[a-f0-9]{12}: Preparing$/.test(l)).length, 2);
  // The base layer went to the registry with `solo`: mounted from there, not sent again.
  assert.equal(lines.filter((l) => /^[a-f0-9]{12}: Pushed$/.test(l)).length, 1);
  assert.equal(lines.filter((l) => /^[a-f0-9]{12}: Mounted from solo$/.test(l)).length, 1);
  assert.match(lines.at(-1)!, /^1: digest: sha256:[a-f0-9]{64} size: \d+$/);
  const digest = pushedDigest(r.stdout);
  assert.deepEqual(await digestsOf(ref), [`${reg.host}/app@${digest}`]);

  const inspect = await skopeo(['inspect', '--tls-verify=false', `docker://${ref}`]);
  assert.equal(inspect.code, 0, inspect.stderr);
  const info = JSON.parse(inspect.stdout) as { Digest: string; Layers: string[]; Architecture: string; Os: string };
  assert.equal(info.Digest, digest);
  assert.equal(info.Layers.length, 2);
  assert.deepEqual([info.Os, info.Architecture], ['linux', 'amd64']);
  const raw = JSON.parse((await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${ref}`])).stdout) as { mediaType: string; config: { digest: string }; layers: { mediaType: string }[] };
  assert.equal(raw.mediaType, MEDIA.dockerManifest);
  assert.equal(raw.config.digest, await idOf(ref));
  // Layers built here go out gzip-compressed, as docker sends them.
  assert.ok(raw.layers.every((l) => l.mediaType === MEDIA.dockerLayerGzip));
  // skopeo copy fetches every blob and checks it against its digest.
  const dir = await mkdtemp(join(tmpdir(), 'berth-skopeo-'));
  try {
    const copy = await skopeo(['copy', '--src-tls-verify=false', `docker://${ref}`, `oci:${join(dir, 'layout')}:x`]);
    assert.equal(copy.code, 0, copy.stderr);
    assert.equal((await readdir(join(dir, 'layout', 'blobs', 'sha256'))).length, 4);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a second push finds every layer in the registry; another repository mounts them', async () => {
  const again = await d.docker(['push', `${reg.host}/app:1`]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout.split('\n').filter((l) => l.endsWith(': Layer already exists')).length, 2);
  assert.ok(!again.stdout.includes('Pushed'));
  assert.equal((await d.docker(['tag', `${reg.host}/app:1`, `${reg.host}/other:1`])).code, 0);
  const mounted = await d.docker(['push', `${reg.host}/other:1`]);
  assert.equal(mounted.code, 0, mounted.stderr);
  assert.equal(mounted.stdout.split('\n').filter((l) => l.endsWith(': Mounted from app')).length, 2);
  assert.equal(pushedDigest(mounted.stdout), pushedDigest(again.stdout));
  assert.equal((await d.docker(['rmi', `${reg.host}/other:1`])).code, 0);
});

test('push, rmi, pull: the same image ID; layers here already are not downloaded', async () => {
  const ref = `${reg.host}/app:1`;
  const id = await idOf(ref);
  const digest = (await digestsOf(ref))[0]!.split('@')[1]!;
  const rmi = await d.docker(['rmi', ref]);
  assert.equal(rmi.code, 0, rmi.stderr);
  // Its last tag takes the repository's digest reference with it, and the image goes.
  assert.match(rmi.stdout, new RegExp(`Untagged: ${reg.host}/app:1\nUntagged: ${reg.host}/app@${digest}\nDeleted: ${id}`));
  const pull = await d.docker(['pull', ref]);
  assert.equal(pull.code, 0, pull.stderr);
  const lines = pull.stdout.trim().split('\n');
  assert.equal(lines[0], '1: Pulling from app');
  // The base layer is busybox's (stored uncompressed here): the same content, so not fetched.
  assert.equal(lines.filter((l) => l.endsWith(': Already exists')).length, 1);
  assert.equal(lines.filter((l) => l.endsWith(': Pulling fs layer')).length, 1);
  assert.equal(lines.filter((l) => l.endsWith(': Download complete')).length, 1);
  assert.equal(lines.filter((l) => l.endsWith(': Pull complete')).length, 1);
  assert.ok(lines.includes(`Digest: ${digest}`));
  assert.ok(lines.includes(`Status: Downloaded newer image for ${ref}`));
  assert.equal(lines.at(-1), ref);
  assert.equal(await idOf(ref), id);
  assert.deepEqual(await digestsOf(ref), [`${reg.host}/app@${digest}`]);
  assert.equal((await d.docker(['run', '--rm', ref, 'cat', '/greeting'])).stdout, 'hello\n');
  const again = await d.docker(['pull', ref]);
  assert.equal(again.stdout, `1: Pulling from app\nDigest: ${digest}\nStatus: Image is up to date for ${ref}\n${ref}\n`);
});

test('push -a and pull -a take every tag of the repository', async () => {
  assert.equal((await d.docker(['tag', `${reg.host}/app:1`, `${reg.host}/app:2`])).code, 0);
  const push = await d.docker(['push', '-a', `${reg.host}/app`]);
  assert.equal(push.code, 0, push.stderr);
  assert.deepEqual(push.stdout.split('\n').filter((l) => l.includes(': digest: ')).map((l) => l.split(':')[0]), ['1', '2']);
  assert.equal((await d.docker(['rmi', `${reg.host}/app:1`, `${reg.host}/app:2`])).code, 0);
  const pull = await d.docker(['pull', '-a', `${reg.host}/app`]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.match(pull.stdout, /^1: Pulling from app\n/m);
  assert.match(pull.stdout, /^2: Pulling from app\n/m);
  assert.ok(pull.stdout.includes(`Status: Downloaded newer image for ${reg.host}/app\n`));
  const tags = await d.docker(['images', '--format', '{{.Tag}}', `${reg.host}/app`]);
  assert.deepEqual(tags.stdout.trim().split('\n').sort(), ['1', '2']);
  assert.equal((await d.docker(['rmi', `${reg.host}/app:2`])).code, 0);
});

test('OCI manifests (written by skopeo) and a multi-platform index pull; the index digest is recorded', async () => {
  const src = `${reg.host}/app:1`;
  const copy = await skopeo(['copy', '--format', 'oci', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${src}`, `docker://${reg.host}/oci:1`]);
  assert.equal(copy.code, 0, copy.stderr);
  const pull = await d.docker(['pull', `${reg.host}/oci:1`]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.equal((await d.docker(['run', '--rm', `${reg.host}/oci:1`, 'cat', '/greeting'])).stdout, 'hello\n');

  // An index with the image for linux/amd64 and (the same manifest, for the test) linux/arm64.
  const manifest = await fetch(`http://${reg.host}/v2/app/manifests/1`, { headers: { Accept: MEDIA.dockerManifest } });
  const bytes = Buffer.from(await manifest.arrayBuffer());
  const entry = { mediaType: MEDIA.dockerManifest, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length };
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [
    { ...entry, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    { ...entry, platform: { os: 'linux', architecture: 'amd64' } },
  ] }));
  // What the index names must be in its repository first.
  assert.equal((await d.docker(['tag', src, `${reg.host}/multi:base`])).code, 0);
  assert.equal((await d.docker(['push', `${reg.host}/multi:base`])).code, 0);
  const put = await fetch(`http://${reg.host}/v2/multi/manifests/1`, { method: 'PUT', body: index, headers: { 'Content-Type': MEDIA.ociIndex } });
  assert.equal(put.status, 201, await put.text());
  const indexDigest = `sha256:${createHash('sha256').update(index).digest('hex')}`;
  const multi = await d.docker(['pull', `${reg.host}/multi:1`]);
  assert.equal(multi.code, 0, multi.stderr);
  assert.ok(multi.stdout.includes(`Digest: ${indexDigest}\n`));
  assert.ok((await digestsOf(`${reg.host}/multi:1`)).includes(`${reg.host}/multi@${indexDigest}`));
  // The arm64 entry is chosen when asked for, and its config (amd64 here) must then match.
  const arm = await d.docker(['pull', '--platform', 'linux/arm64', `${reg.host}/multi:1`]);
  assert.equal(arm.code, 1);
  assert.match(arm.stderr, /does not match the specified platform: wanted linux\/arm64, actual: linux\/amd64/);
  const none = await d.docker(['pull', '--platform', 'linux/s390x', `${reg.host}/multi:1`]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no matching manifest for linux\/s390x in the manifest list entries/);
  assert.equal((await d.docker(['rmi', `${reg.host}/oci:1`, `${reg.host}/multi:1`, `${reg.host}/multi:base`])).code, 0);
});

test("errors: docker's words, and the daemon stays up", async () => {
  const missingTag = await d.docker(['pull', `${reg.host}/app:nope`]);
  assert.equal(missingTag.code, 1);
  assert.equal(missingTag.stderr, `Error response from daemon: manifest for ${reg.host}/app:nope not found: manifest unknown: manifest unknown\n`);
  const missingRepo = await d.docker(['pull', `${reg.host}/never/pushed:1`]);
  assert.equal(missingRepo.code, 1);
  assert.match(missingRepo.stderr, new RegExp(`^Error response from daemon: (manifest for|repository) ${reg.host}/never/pushed(:1)? not found: `));
  const port = reg.port + 1 === 65536 ? reg.port - 1 : reg.port + 1;
  const refused = await d.docker(['pull', `127.0.0.1:${port}/app:1`]);
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr, `Error response from daemon: Get "http://127.0.0.1:${port}/v2/": dial tcp 127.0.0.1:${port}: connect: connection refused\n`);
  // (Docker Hub names resolve to registry-1.docker.io: the unit tests check that; no test sends traffic off this machine.)
  const noImage = await d.docker(['push', `${reg.host}/nothing:1`]);
  assert.equal(noImage.code, 1);
  assert.equal(noImage.stdout, `The push refers to repository [${reg.host}/nothing]\n`);
  assert.equal(noImage.stderr, `An image does not exist locally with the tag: ${reg.host}/nothing\n`);
  const noTag = await d.docker(['push', `${reg.host}/app:9`]);
  assert.equal(noTag.code, 1);
  assert.equal(noTag.stderr, `tag does not exist: ${reg.host}/app:9\n`);
  assert.equal((await d.docker(['tag', 'busybox', `127.0.0.1:${port}/app:1`])).code, 0);
  const pushRefused = await d.docker(['push', `127.0.0.1:${port}/app:1`]);
  assert.equal(pushRefused.code, 1);
  assert.equal(pushRefused.stderr, `Get "http://127.0.0.1:${port}/v2/": dial tcp 127.0.0.1:${port}: connect: connection refused\n`);
  assert.equal((await d.docker(['rmi', `127.0.0.1:${port}/app:1`])).code, 0);
  const bad = await d.docker(['pull', `${reg.host}/UPPER:1`]);
  assert.equal(bad.code, 1);
  assert.ok(await d.ping());
  assert.equal((await d.docker(['run', '--rm', 'busybox', 'true'])).code, 0);
});
