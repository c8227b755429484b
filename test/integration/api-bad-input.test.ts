// Bad input gets Docker's error shape and status, the daemon stays up, and
// nothing is lost or written where it should not be.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pack } from 'tar-stream';
import { TestDaemon } from '../helpers/daemon.ts';
import { collect } from '../helpers/streams.ts';

const d = TestDaemon.forFile();

function tarOf(entries: { name: string; type?: 'file' | 'symlink' | 'link' | 'directory'; linkname?: string; body?: string }[]): Promise<Buffer> {
  const p = pack();
  for (const e of entries) p.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname, mode: 0o644 }, e.body ?? '');
  p.finalize();
  return collect(p);
}

async function assertError(r: { status: number; body: string }, status: number, message: RegExp): Promise<void> {
  assert.equal(r.status, status, r.body);
  const body = JSON.parse(r.body) as { message: string };
  assert.match(body.message, message);
  assert.equal((await d.api('GET', '/_ping')).status, 200);
}

test('malformed and wrong-typed JSON bodies are 400s', async () => {
  await assertError(await d.api('POST', '/v1.41/containers/create', undefined, '{"Image": "busybox", '), 400, /invalid JSON/);
  await assertError(await d.api('POST', '/v1.41/containers/create', undefined, '[1,2]'), 400, /config cannot be empty/);
  await assertError(await d.api('POST', '/v1.41/containers/create', { Image: 'busybox', Cmd: 5 }), 400, /invalid Cmd/);
  await assertError(await d.api('POST', '/v1.41/containers/create', { Image: 'busybox', Env: [1] }), 400, /invalid Env/);
  await assertError(await d.api('POST', '/v1.41/containers/create', { Image: 'busybox', HostConfig: { Memory: -5 } }), 400, /Memory/);
  await assertError(await d.api('POST', '/v1.41/containers/create', { Image: 'busybox', HostConfig: { Memory: 1e300 } }), 400, /Memory/);
  await assertError(await d.api('POST', '/v1.41/containers/create', { Image: 'busybox', HostConfig: { RestartPolicy: { Name: 'sometimes' } } }), 400, /restart policy/);
  await assertError(await d.api('POST', '/v1.41/containers/create?name=bad%20name', { Image: 'busybox', Cmd: ['true'] }), 400, /Invalid container name/);
  await assertError(await d.api('GET', '/v1.41/containers/json?filters=notjson'), 400, /invalid filter/);
  await assertError(await d.api('GET', '/v1.41/containers/json?filters={"bogus":["x"]}'), 400, /invalid filter 'bogus'/);
});

test('unknown ids and names are 404s; name clashes are 409s', async () => {
  await assertError(await d.api('GET', '/v1.41/containers/nope/json'), 404, /^No such container: nope$/);
  await assertError(await d.api('POST', '/v1.41/containers/nope/start'), 404, /No such container/);
  await assertError(await d.api('DELETE', '/v1.41/images/nope:1'), 404, /No such image: nope:1/);
  await assertError(await d.api('POST', '/v1.41/containers/create', { Image: 'nope:1' }), 404, /No such image: nope:1/);
  await assertError(await d.api('GET', '/v1.41/exec/abc/json'), 404, /No such exec instance/);
  await assertError(await d.api('GET', '/v1.41/no/such/route'), 404, /page not found/);
  await assertError(await d.api('GET', '/v1.99/containers/json'), 400, /too new/);
  const ok = await d.api('POST', '/v1.41/containers/create?name=twin', { Image: 'busybox', Cmd: ['true'] });
  assert.equal(ok.status, 201);
  await assertError(await d.api('POST', '/v1.41/containers/create?name=twin', { Image: 'busybox', Cmd: ['true'] }), 409, /already in use/);
  await assertError(await d.api('POST', '/v1.41/containers/twin/kill'), 409, /is not running/);
  await assertError(await d.api('POST', '/v1.41/containers/twin/kill?signal=SIGNOPE'), 400, /Invalid signal/);
  assert.equal((await d.api('DELETE', '/v1.41/containers/twin')).status, 204);
});

test('garbage and crafted tarballs to load and import are refused; nothing escapes', async () => {
  await assertError(await d.api('POST', '/v1.41/images/load', undefined, Buffer.from('this is not a tar file at all'.repeat(40))), 400, /tar|archive/);
  await assertError(await d.api('POST', '/v1.41/images/load', undefined, await tarOf([{ name: 'hello.txt', body: 'x' }])), 400, /manifest.json nor index.json/);
  await assertError(await d.api('POST', '/v1.41/images/load', undefined, await tarOf([{ name: 'manifest.json', body: '{"not": "a list"}' }])), 400, /manifest.json/);
  const lying = await tarOf([
    { name: 'manifest.json', body: JSON.stringify([{ Config: 'c.json', RepoTags: ['liar:1'], Layers: ['l.tar'] }]) },
    { name: 'c.json', body: JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: ['sha256:' + '0'.repeat(64)] } }) },
    { name: 'l.tar', body: 'x'.repeat(1024) },
  ]);
  const r = await d.api('POST', '/v1.41/images/load', undefined, lying);
  assert.notEqual(r.status, 200);
  assert.equal((await d.docker(['images', '-q', 'liar'])).stdout.trim(), '');

  // A rootfs that tries to climb out of its layer directory.
  const outside = mkdtempSync(join(tmpdir(), 'berth-escape-'));
  try {
    const evil = await tarOf([
      { name: 'escape', type: 'symlink', linkname: outside },
      { name: 'escape/pwned', body: 'gotcha' },
      { name: `../../../../../../../../..${outside}/dotdot`, body: 'gotcha' },
      { name: 'hard', type: 'link', linkname: `../../../../../../..${outside}/target` },
    ]);
    await d.api('POST', '/v1.41/images/create?fromSrc=-&repo=evil&tag=1', undefined, evil);
    assert.equal(existsSync(join(outside, 'pwned')), false);
    assert.equal(existsSync(join(outside, 'dotdot')), false);
  } finally {
    rmSync(outside, { recursive: true, force: true });
  }
  assert.equal((await d.docker(['run', '--rm', 'busybox', 'true'])).code, 0);
});

test('an OCI image layout without manifest.json loads, with its name and the same ID', async () => {
  const { extract, pack } = await import('tar-stream');
  const id = (await d.docker(['images', '-q', '--no-trunc', 'busybox'])).stdout.trim();
  const raw = await new Promise<Buffer>((resolve, reject) => {
    import('node:http').then(({ request }) => {
      const req = request({ socketPath: d.socket, path: '/v1.41/images/get?names=busybox' }, (res) => {
        assert.equal(res.statusCode, 200);
        collect(res).then(resolve, reject);
      });
      req.end();
    });
  });
  // Re-pack without docker's manifest.json: what skopeo or buildkit write.
  const out = pack();
  const ex = extract();
  ex.on('entry', (header, stream, next) => {
    if (header.name === 'manifest.json') {
      stream.resume();
      stream.on('end', next);
      return;
    }
    collect(stream).then((body) => out.entry(header, body, next));
  });
  ex.on('finish', () => out.finalize());
  ex.end(raw);
  const oci = await collect(out);
  assert.equal((await d.docker(['rmi', 'busybox'])).code, 0);
  const loaded = await d.docker(['load'], { input: oci });
  assert.equal(loaded.code, 0, loaded.stderr);
  assert.match(loaded.stdout, /Loaded image: busybox:latest/);
  assert.equal((await d.docker(['images', '-q', '--no-trunc', 'busybox'])).stdout.trim(), id);
});

test('wait on an unknown container is a 404; Cmd may be a plain string; odd runc errors still map to 127', async () => {
  await assertError(await d.api('POST', '/v1.41/containers/nope/wait'), 404, /No such container: nope/);
  const c = await d.api('POST', '/v1.41/containers/create', { Image: 'busybox', Cmd: 'true' });
  assert.equal(c.status, 201, c.body);
  assert.equal((await d.api('DELETE', `/v1.41/containers/${c.json().Id}`)).status, 204);
  const odd = await d.docker(['run', '--rm', 'busybox', 'no-such-{cmd}']);
  assert.equal(odd.code, 127, odd.stderr);
  await assertError(await d.api('POST', '/v1.41/containers/create?name=same', { Image: 'busybox', Cmd: ['true'] }).then(() => d.api('POST', '/v1.41/containers/same/rename?name=same')), 400, /same name/);
  await d.api('DELETE', '/v1.41/containers/same');
});
