// The classic builder's --cache-from (POST /build's cachefrom) through
// `DOCKER_BUILDKIT=0 docker build`, berth build and docker-compose's
// cache_from: an image built elsewhere and loaded into a daemon that has
// never built anything gives `Using cache` for the steps its history
// holds, the same image at the end, and runs what changed; and, as in
// moby, with sources given the local cache counts only for their steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTH, DOCKER, TestDaemon, run, type RunResult } from '../helpers/daemon.ts';
import { buildHelpers } from '../helpers/build.ts';

const d = TestDaemon.forFile();
const { work, context, built, docker } = buildHelpers(d, 'berth-build-api-cache-from-');

const DOCKERFILE = [
  'FROM busybox', 'ENV APP=1', 'COPY app.txt /app/', 'RUN cat /app/app.txt > /app/copy && echo ran-the-step', 'WORKDIR /app', 'CMD ["cat", "/app/copy"]',
].join('\n');

/** Per step after FROM: 'cache' or 'run'. */
const steps = (out: string): string[] => out.split(/^Step \d+\/\d+ : /m).slice(2).map((s) => (s.includes(' ---> Using cache') ? 'cache' : 'run'));
const idOf = async (ref: string): Promise<string> => (await docker(['inspect', '-f', '{{.Id}}', ref])).trim();

/** A daemon that has never built anything, with only what `archive` holds; stopped and checked after `fn`. */
async function freshDaemon(archive: string, fn: (fresh: TestDaemon, cli: (bin: string, args: string[], env?: NodeJS.ProcessEnv) => Promise<RunResult>) => Promise<void>): Promise<void> {
  const fresh = new TestDaemon(mkdtempSync(join(tmpdir(), 'berth-test-')));
  try {
    await fresh.launch();
    const cli = (bin: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> =>
      run(bin, args, { env: { ...fresh.env, DOCKER_BUILDKIT: '0', ...env }, timeoutMs: 120_000 });
    const loaded = await cli(DOCKER, ['load', '-i', archive]);
    assert.equal(loaded.code, 0, loaded.stderr);
    await fn(fresh, cli);
  } finally {
    await fresh.stop();
  }
}

test('--cache-from an image loaded into a fresh daemon: every step from its history, the same image; a changed file runs from there on', async () => {
  const dir = context('app', { Dockerfile: DOCKERFILE, 'app.txt': 'v1\n' });
  const first = await built(dir, ['-t', 'app:1']);
  assert.match(first, /^ran-the-step$/m);
  const id = await idOf('app:1');
  const archive = join(work, 'app.tar');
  // The base image goes along: its history is where the build's begins.
  await docker(['save', '-o', archive, 'app:1', 'busybox:latest']);
  await freshDaemon(archive, async (_fresh, cli) => {
    // Without --cache-from the fresh daemon has nothing of the first build; what this build caches is not a source's.
    const plain = await cli(DOCKER, ['build', dir]);
    assert.deepEqual(steps(plain.stdout), ['run', 'run', 'run', 'run', 'run'], plain.stdout);
    const cached = await cli(DOCKER, ['build', '--cache-from', 'app:1', '-t', 'app:2', dir]);
    assert.equal(cached.code, 0, cached.stderr);
    assert.deepEqual(steps(cached.stdout), ['cache', 'cache', 'cache', 'cache', 'cache'], cached.stdout);
    assert.doesNotMatch(cached.stdout, /^ran-the-step$/m);
    assert.match(cached.stdout, new RegExp(`Successfully built ${id.slice(7, 19)}`));
    const inspect = await cli(DOCKER, ['inspect', '-f', '{{.Id}}', 'app:2']);
    assert.equal(inspect.stdout.trim(), id);
    const ran = await cli(DOCKER, ['run', '--rm', 'app:2']);
    assert.equal(ran.stdout, 'v1\n');
    // berth build sends its --cache-from images the same way.
    const again = await cli(BERTH, ['build', '--cache-from', 'app:1', '-q', dir]);
    assert.equal(again.stdout.trim(), id, again.stderr);
    // A changed file: ENV still from the source, COPY and what follows run.
    writeFileSync(join(dir, 'app.txt'), 'v2\n');
    const changed = await cli(DOCKER, ['build', '--cache-from', 'app:1', '-t', 'app:3', dir]);
    assert.equal(changed.code, 0, changed.stderr);
    assert.deepEqual(steps(changed.stdout), ['cache', 'run', 'run', 'run', 'run'], changed.stdout);
    assert.match(changed.stdout, /^ran-the-step$/m);
    assert.equal((await cli(DOCKER, ['run', '--rm', 'app:3'])).stdout, 'v2\n');
    // A source that is not there is skipped, as moby skips it.
    writeFileSync(join(dir, 'app.txt'), 'v1\n');
    const missing = await cli(DOCKER, ['build', '--cache-from', 'nothing:here', '--cache-from', 'app:1', dir]);
    assert.equal(missing.code, 0, missing.stderr);
    assert.deepEqual(steps(missing.stdout), ['cache', 'cache', 'cache', 'cache', 'cache'], missing.stdout);
  });
  await docker(['rmi', 'app:1']);
});

test('with --cache-from, the local cache counts only for the sources\' own steps, as moby\'s', async () => {
  const dir = context('local', { Dockerfile: DOCKERFILE, 'app.txt': 'local\n' });
  await built(dir, ['-t', 'local:1']);
  assert.deepEqual(steps(await built(dir)), ['cache', 'cache', 'cache', 'cache', 'cache']);
  assert.deepEqual(steps(await built(dir, ['--cache-from', 'local:1'])), ['cache', 'cache', 'cache', 'cache', 'cache']);
  // busybox's history holds none of these steps: nothing is cached.
  const other = await built(dir, ['--cache-from', 'busybox']);
  assert.deepEqual(steps(other), ['run', 'run', 'run', 'run', 'run'], other);
  await docker(['rmi', 'local:1']);
});

test('docker-compose build with cache_from takes the steps from the image', { skip: !existsSync('/usr/bin/docker-compose') && 'docker-compose is not installed (make deps installs it)' }, async () => {
  const dir = context('compose', {
    Dockerfile: DOCKERFILE, 'app.txt': 'compose\n',
    'docker-compose.yml': 'version: "3.8"\nservices:\n  app:\n    build:\n      context: .\n      cache_from: ["compose-src:1"]\n    image: compose-app:1\n',
  });
  const source = context('compose-src', { Dockerfile: DOCKERFILE, 'app.txt': 'compose\n' });
  await built(source, ['-t', 'compose-src:1']);
  const archive = join(work, 'compose.tar');
  await docker(['save', '-o', archive, 'compose-src:1', 'busybox:latest']);
  await docker(['rmi', 'compose-src:1']);
  await freshDaemon(archive, async (_fresh, cli) => {
    const r = await cli('docker-compose', ['-f', join(dir, 'docker-compose.yml'), '-p', 'cachefrom', 'build'], { COMPOSE_DOCKER_CLI_BUILD: '0' });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const out = r.stdout + r.stderr;
    assert.deepEqual(steps(out), ['cache', 'cache', 'cache', 'cache', 'cache'], out);
    const ids = await cli(DOCKER, ['images', '-q', '--no-trunc', 'compose-app:1']);
    const src = await cli(DOCKER, ['images', '-q', '--no-trunc', 'compose-src:1']);
    assert.equal(ids.stdout, src.stdout);
  });
  rmSync(archive);
});
