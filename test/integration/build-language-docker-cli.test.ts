// The Dockerfile language's corners through `DOCKER_BUILDKIT=0 docker build`:
// filepath.Match wildcards, BuildKit's COPY --exclude/--parents/--link and
// ADD --checksum, HEALTHCHECK --start-interval, undeclared proxy args and
// the cache, ONBUILD triggers that read stages, and FROM --platform against
// a registry of the test's own; each checked by running what was built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { TestDaemon } from '../helpers/daemon.ts';
import { buildHelpers } from '../helpers/build.ts';
import { TestRegistry } from '../helpers/registry.ts';
import { MEDIA } from '../../src/image/types.ts';
import { tarOf } from '../unit/storage-helpers.ts';

const d = TestDaemon.forFile();
const reg = TestRegistry.forFile();
const { context, build, built, docker } = buildHelpers(d, 'berth-build-lang-');

const run = (image: string, script: string): Promise<string> => docker(['run', '--rm', image, 'sh', '-c', script]);
/** What docker printed last (after its notice that the legacy builder is deprecated). */
const lastLine = (text: string): string => text.trimEnd().split('\n').at(-1)!;
/** Per step after FROM: 'cache' or 'run'. */
const steps = (out: string): string[] => out.split(/^Step \d+\/\d+ : /m).slice(2).map((s) => (s.includes(' ---> Using cache') ? 'cache' : 'run'));

test('wildcards match as filepath.Match: dotfiles too, classes, ?; the cache key selects the same files', async () => {
  const dir = context('wild', {
    'a.txt': 'a\n', '.b.txt': 'b\n', '.env': 'E=1\n', 'sub/c.txt': 'c\n',
    Dockerfile: 'FROM busybox\nCOPY *.txt /txt/\nCOPY * /all/\nCOPY .?nv [a.]*.txt /cls/\n',
  });
  await built(dir, ['-t', 'wild:1']);
  assert.equal(await run('wild:1', 'ls -A /all; echo; ls -A /txt; echo; ls -A /cls'),
    '.b.txt\n.env\nDockerfile\na.txt\nc.txt\n\n.b.txt\na.txt\n\n.b.txt\n.env\na.txt\n');
  writeFileSync(join(dir, '.env'), 'E=2\n');
  const out = await built(dir, ['-t', 'wild:1']);
  assert.deepEqual(steps(out), ['cache', 'run', 'run'], out);
  assert.match(out, /COPY \* \/all\/\n ---> Cache miss: file \.env changed\n/);
  assert.equal(await run('wild:1', 'cat /all/.env /cls/.env'), 'E=2\nE=2\n');
  await docker(['rmi', 'wild:1']);
});

test('COPY/ADD --exclude and COPY --parents cut what is copied, and only what they keep is in the key', async () => {
  const dir = context('cut', {
    'src/a.go': 'a', 'src/a_test.go': 't', 'src/sub/b.go': 'b', 'src/sub/skip.md': 'm', 'docs/x.md': 'x',
    Dockerfile: [
      'FROM busybox',
      'COPY --exclude=*_test.go --exclude=**/*.md src /ex/',
      'COPY --parents src/sub/*.go docs /par/',
      'COPY --parents ./src/./sub/b.go /pivot',
      'ADD --exclude=sub src /addex/',
    ].join('\n'),
  });
  await built(dir, ['-t', 'cut:1']);
  assert.equal(await run('cut:1', 'cd / && find ex par pivot addex -type f | sort'),
    ['addex/a.go', 'addex/a_test.go', 'ex/a.go', 'ex/sub/b.go', 'par/docs/x.md', 'par/src/sub/b.go', 'pivot/sub/b.go', ''].join('\n'));
  // Excluded or unselected everywhere: every step stays cached.
  writeFileSync(join(dir, 'src/sub/skip.md'), 'changed');
  assert.deepEqual(steps(await built(dir)), ['cache', 'cache', 'cache', 'cache']);
  // Left out by one step's patterns, kept by another's.
  writeFileSync(join(dir, 'src/a_test.go'), 'changed');
  const out = await built(dir);
  assert.deepEqual(steps(out), ['cache', 'cache', 'cache', 'run'], out);
  assert.match(out, / ---> Cache miss: file src\/a_test\.go changed\n/);
  const missing = await build(context('cut-missing', { Dockerfile: 'FROM busybox\nCOPY --parents nope/x.txt /p/\n' }));
  assert.equal(missing.code, 1);
  assert.equal(lastLine(missing.stderr), 'COPY failed: file not found in build context or excluded by .dockerignore: stat nope/x.txt: file does not exist');
  await docker(['rmi', 'cut:1']);
});

test('COPY --link makes its layer without the parent: a symlink on the way is replaced, a directory in the way too, new parents are 0755', async () => {
  const dir = context('link', {
    'f.txt': 'f\n',
    Dockerfile: [
      'FROM busybox',
      'RUN mkdir /srv && ln -s /srv /app && mkdir -p /data/existing && chmod 700 /data',
      'COPY f.txt /app/plain.txt',
      'COPY --link f.txt /app/linked.txt',
      'COPY --link f.txt /data/existing',
      'COPY f.txt /data/existing2',
    ].join('\n'),
  });
  await built(dir, ['-t', 'link:1']);
  assert.equal(await run('link:1', '[ -L /app ] && echo link || echo dir; ls /app; ls /srv; stat -c %a /data; cat /data/existing; ls /data'),
    'dir\nlinked.txt\nplain.txt\n755\nf\nexisting\nexisting2\n');
  // Without --link the same copies follow the symlink and go into the directory.
  const plain = context('nolink', { 'f.txt': 'f\n', Dockerfile: 'FROM busybox\nRUN mkdir /srv && ln -s /srv /app && mkdir -p /data/existing\nCOPY f.txt /app/x.txt\nCOPY f.txt /data/existing\n' });
  await built(plain, ['-t', 'link:2']);
  assert.equal(await run('link:2', '[ -L /app ] && echo link; ls /srv; ls /data/existing'), 'link\nx.txt\nf.txt\n');
  await docker(['rmi', 'link:1', 'link:2']);
});

test('ADD --checksum verifies the download; it is refused for local sources, and git sources and --keep-git-dir are refused', async () => {
  const server = createServer((req, res) => res.end(req.url === '/data.txt' ? 'payload\n' : 'other\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/data.txt`;
  try {
    const sum = createHash('sha256').update('payload\n').digest('hex');
    const good = context('sum', { Dockerfile: `FROM busybox\nARG SUM=sha256:${sum}\nADD --checksum=$SUM ${url} /data.txt\n` });
    await built(good, ['-t', 'sum:1']);
    assert.equal(await run('sum:1', 'cat /data.txt'), 'payload\n');
    const wrong = 'sha256:' + '0'.repeat(64);
    const bad = await build(context('sum-bad', { Dockerfile: `FROM busybox\nADD --checksum=${wrong} ${url} /data.txt\n` }));
    assert.equal(bad.code, 1);
    assert.equal(lastLine(bad.stderr), `digest mismatch sha256:${sum}: ${wrong}`);
    const cases: [string, string][] = [
      [`ADD --checksum=sha256:${sum} local.txt /x`, 'checksum requires HTTP(S) or Git sources'],
      [`ADD --checksum=sha256:${sum} ${url} ${url} /x/`, 'checksum can\'t be specified for multiple sources'],
      [`ADD --checksum=sha256:abc ${url} /x`, 'invalid checksum digest length'],
      ['ADD https://example.invalid/repo.git /src', 'ADD of a git repository (https://example.invalid/repo.git) is not supported: berth\'s builder has no git sources'],
      ['COPY git@example.invalid:repo /src', 'source can\'t be a git ref for COPY'],
      ['ADD --keep-git-dir https://example.invalid/repo.git /src', 'Error response from daemon: dockerfile parse error line 2: ADD --keep-git-dir needs a git source, and berth\'s builder has no git sources'],
    ];
    for (const [i, [line, message]] of cases.entries()) {
      const r = await build(context(`refused-${i}`, { 'local.txt': 'l', Dockerfile: `FROM busybox\n${line}\n` }));
      assert.equal(r.code, 1, line);
      assert.equal(lastLine(r.stderr), message, line);
    }
    await docker(['rmi', 'sum:1']);
  } finally {
    server.close();
  }
});

test('HEALTHCHECK --start-interval reaches the image config', async () => {
  const dir = context('health', { Dockerfile: 'FROM busybox\nHEALTHCHECK --interval=30s --start-period=5s --start-interval=2s CMD true\n' });
  await built(dir, ['-t', 'health:1']);
  const health = JSON.parse(await docker(['inspect', 'health:1']))[0].Config.Healthcheck;
  assert.deepEqual(health, { Test: ['CMD-SHELL', 'true'], Interval: 30e9, StartPeriod: 5e9, StartInterval: 2e9 });
  await docker(['rmi', 'health:1']);
});

test('an undeclared proxy arg reaches RUN but not its key or history; a declared one is both', async () => {
  const dir = context('proxy', { Dockerfile: 'FROM busybox\nRUN echo "proxy=$HTTP_PROXY" > /p && cat /p\n' });
  const first = await built(dir, ['-t', 'proxy:1', '--build-arg', 'HTTP_PROXY=http://127.0.0.1:1']);
  assert.match(first, /^proxy=http:\/\/127\.0\.0\.1:1$/m);
  const again = await built(dir, ['-t', 'proxy:1', '--build-arg', 'HTTP_PROXY=http://127.0.0.1:2']);
  assert.deepEqual(steps(again), ['cache'], again);
  assert.equal(await run('proxy:1', 'cat /p'), 'proxy=http://127.0.0.1:1\n');
  assert.doesNotMatch(await docker(['history', '--no-trunc', 'proxy:1']), /HTTP_PROXY=/);
  const declared = context('proxy-arg', { Dockerfile: 'FROM busybox\nARG HTTP_PROXY\nRUN echo "proxy=$HTTP_PROXY" > /p\n' });
  await built(declared, ['-t', 'proxy:2', '--build-arg', 'HTTP_PROXY=http://127.0.0.1:1']);
  const changed = await built(declared, ['-t', 'proxy:2', '--build-arg', 'HTTP_PROXY=http://127.0.0.1:2']);
  assert.deepEqual(steps(changed), ['cache', 'run'], changed);
  assert.match(changed, / ---> Cache miss: build arg HTTP_PROXY changed \(was http:\/\/127\.0\.0\.1:1, now http:\/\/127\.0\.0\.1:2\)\n/);
  assert.match(await docker(['history', '--no-trunc', 'proxy:2']), /\|1 HTTP_PROXY=http:\/\/127\.0\.0\.1:2 /);
  await docker(['rmi', 'proxy:1', 'proxy:2']);
});

test('ONBUILD triggers that read stages resolve them, and the stages they name are built first', async () => {
  const base = context('onbuild-base', {
    Dockerfile: 'FROM busybox\nONBUILD COPY --from=assets /asset.txt /copied.txt\nONBUILD RUN --mount=from=assets,target=/a cat /a/asset.txt > /mounted.txt\n',
  });
  await built(base, ['-t', 'onbuild-base:1']);
  const child = context('onbuild-child', {
    Dockerfile: [
      'FROM busybox AS assets', 'RUN echo asset > /asset.txt',
      'FROM busybox AS unused', 'RUN echo unused-stage-ran',
      'FROM onbuild-base:1', 'RUN cat /copied.txt /mounted.txt',
    ].join('\n'),
  });
  const out = await built(child, ['-t', 'onbuild:1']);
  assert.match(out, /# Executing 2 build triggers\n/);
  assert.doesNotMatch(out, /unused-stage-ran/);
  assert.equal(await run('onbuild:1', 'cat /copied.txt /mounted.txt'), 'asset\nasset\n');
  // A trigger in a stage's ONBUILD lines works the same; a stage defined later cannot be read.
  const staged = context('onbuild-stage', {
    Dockerfile: 'FROM busybox AS assets\nRUN echo staged > /asset.txt\nFROM busybox AS base\nONBUILD COPY --from=assets /asset.txt /t.txt\nFROM base\n',
  });
  await built(staged, ['-t', 'onbuild:2']);
  assert.equal(await run('onbuild:2', 'cat /t.txt'), 'staged\n');
  const later = await build(context('onbuild-later', { Dockerfile: 'FROM onbuild-base:1 AS first\nRUN true\nFROM busybox AS assets\n' }), ['--target', 'first']);
  assert.equal(later.code, 1);
  assert.equal(lastLine(later.stderr), 'dockerfile parse error line 1: cannot copy from stage "assets", it needs to be defined before current stage "first"');
  await docker(['rmi', 'onbuild:1', 'onbuild:2', 'onbuild-base:1']);
});

/** Pushes blob `data` to repository `repo` of the test registry. */
async function pushBlob(repo: string, data: Buffer): Promise<{ digest: string; size: number }> {
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  const start = await fetch(`http://${reg.host}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  assert.equal(start.status, 202);
  const location = new URL(start.headers.get('location')!, `http://${reg.host}`);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', body: new Uint8Array(data), headers: { 'Content-Type': 'application/octet-stream' } });
  assert.equal(put.status, 201, await put.text());
  return { digest, size: data.length };
}

/** An image whose one layer holds /arch (its architecture's name), pushed by digest; returns its index entry. */
async function pushArchImage(repo: string, architecture: string): Promise<object> {
  const layerTar = await tarOf([{ name: 'arch', content: `${architecture}\n` }]);
  const layer = await pushBlob(repo, gzipSync(layerTar));
  const diffId = `sha256:${createHash('sha256').update(layerTar).digest('hex')}`;
  const config = await pushBlob(repo, Buffer.from(JSON.stringify({ architecture, os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [diffId] } })));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MEDIA.dockerManifest,
    config: { mediaType: MEDIA.dockerConfig, ...config }, layers: [{ mediaType: MEDIA.dockerLayerGzip, ...layer }],
  }));
  const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
  const put = await fetch(`http://${reg.host}/v2/${repo}/manifests/${digest}`, { method: 'PUT', body: manifest, headers: { 'Content-Type': MEDIA.dockerManifest } });
  assert.equal(put.status, 201, await put.text());
  return { mediaType: MEDIA.dockerManifest, digest, size: manifest.length, platform: { os: 'linux', architecture } };
}

test('FROM --platform pulls that platform; an image here of another platform is pulled again, or refused with docker\'s message', async () => {
  const entries = [await pushArchImage('multi', 'amd64'), await pushArchImage('multi', 'arm64')];
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: entries }));
  const put = await fetch(`http://${reg.host}/v2/multi/manifests/1`, { method: 'PUT', body: index, headers: { 'Content-Type': MEDIA.ociIndex } });
  assert.equal(put.status, 201, await put.text());
  const ref = `${reg.host}/multi:1`;
  const fromPlatform = (platform: string, name: string): string =>
    context(name, { Dockerfile: `FROM --platform=${platform} ${ref} AS src\nFROM --platform=$BUILDPLATFORM busybox\nCOPY --from=src /arch /arch\n` });
  await built(fromPlatform('linux/arm64', 'plat-arm'), ['-t', 'plat:arm']);
  assert.equal(await run('plat:arm', 'cat /arch'), 'arm64\n');
  assert.equal((await docker(['inspect', '-f', '{{.Architecture}}', ref])).trim(), 'arm64');
  // The arm64 image is here now under that name; asking for amd64 pulls that one.
  await built(fromPlatform('linux/amd64', 'plat-amd'), ['-t', 'plat:amd']);
  assert.equal(await run('plat:amd', 'cat /arch'), 'amd64\n');
  // An image only here, of another platform: the pull for the wanted one finds nothing.
  await docker(['pull', '--platform', 'linux/arm64', ref]);
  await docker(['tag', ref, `${reg.host}/onlyhere:1`]);
  const refused = await build(context('plat-refused', { Dockerfile: `FROM --platform=linux/amd64 ${reg.host}/onlyhere:1\n` }));
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, new RegExp(`image with reference ${reg.host}/onlyhere:1 was found but does not match the specified platform: wanted linux/amd64, actual: linux/arm64`));
  const invalid = await build(context('plat-invalid', { Dockerfile: 'FROM --platform=linux/amd64/v1/x busybox\n' }));
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr, /failed to parse platform linux\/amd64\/v1\/x: invalid platform/);
  // A scratch stage has no image to take a platform from: only the host's can be honoured.
  await built(context('plat-scratch', { 'f.txt': 'f', Dockerfile: 'FROM --platform=$TARGETPLATFORM scratch\nCOPY f.txt /\n' }));
  const scratch = await build(context('plat-scratch-arm', { 'f.txt': 'f', Dockerfile: 'FROM --platform=linux/arm64 scratch\nCOPY f.txt /\n' }));
  assert.equal(scratch.code, 1);
  assert.equal(lastLine(scratch.stderr), "FROM --platform=linux/arm64 scratch: berth's images of a scratch stage are linux/amd64, the host's platform");
  await docker(['rmi', 'plat:arm', 'plat:amd', ref, `${reg.host}/onlyhere:1`]);
  rmSync(join(reg.dir, 'data'), { recursive: true, force: true });
});
