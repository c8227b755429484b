// The classic builder through `DOCKER_BUILDKIT=0 docker build` against a test berthd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCKER, TestDaemon, run } from '../helpers/daemon.ts';

const d = TestDaemon.forFile();
const work = mkdtempSync(join(tmpdir(), 'berth-build-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

function context(name: string, files: Record<string, string>): string {
  const dir = join(work, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

async function build(dir: string, args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(DOCKER, ['build', ...args, dir], { env: { ...d.env, DOCKER_BUILDKIT: '0' }, timeoutMs: 120_000 });
}

async function docker(args: string[]): Promise<string> {
  const r = await d.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('single stage: config instructions, RUN, COPY, WORKDIR', async () => {
  const dir = context('single', {
    Dockerfile: [
      'FROM busybox', 'ARG GREETING=hello', 'ENV APP=/app', 'LABEL a=b', 'WORKDIR $APP', 'COPY hello.txt .',
      'RUN echo "$GREETING world" > out.txt && cat out.txt', 'EXPOSE 80', 'USER 1000', 'CMD ["cat", "out.txt"]',
    ].join('\n'),
    'hello.txt': 'hi\n',
  });
  const r = await build(dir, ['-t', 'single:1']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /Step 1\/10 : FROM busybox/);
  assert.match(r.stdout, /hello world/);
  assert.match(r.stdout, /Successfully tagged single:1/);
  const cfg = JSON.parse(await docker(['inspect', 'single:1']))[0].Config;
  assert.equal(cfg.WorkingDir, '/app');
  assert.deepEqual(cfg.Cmd, ['cat', 'out.txt']);
  assert.equal(cfg.Labels.a, 'b');
  assert.equal(cfg.User, '1000');
  assert.deepEqual(Object.keys(cfg.ExposedPorts), ['80/tcp']);
  assert.equal(await docker(['run', '--rm', 'single:1']), 'hello world\n');
  assert.equal(await docker(['run', '--rm', 'single:1', 'cat', 'hello.txt']), 'hi\n');
  const history = await docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'single:1']);
  assert.match(history, /\/bin\/sh -c #\(nop\)  CMD \["cat" "out.txt"\]/);
  assert.match(history, /\|1 GREETING=hello \/bin\/sh -c echo/);
});

test('multi-stage: only what COPY --from copies reaches the final image', async () => {
  const dir = context('multi', {
    Dockerfile: [
      'FROM busybox', 'RUN mkdir /out && for i in 1 2 3 4 5; do head -c 1048576 /dev/zero > /out/f$i; done',
      'FROM busybox', 'COPY --from=0 /out/f1 /out/f2 /data/',
    ].join('\n'),
  });
  const r = await build(dir, ['-t', 'multi:1']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(await docker(['run', '--rm', 'multi:1', 'ls', '/data']), 'f1\nf2\n');
  // As moby's classic builder: the build stage's result stays as a dangling image (the cache holds it).
  assert.equal((await docker(['images', '-q', '--filter', 'dangling=true'])).trim().split('\n').filter(Boolean).length, 1);
  const size = (ref: string): Promise<number> => docker(['inspect', '-f', '{{.Size}}', ref]).then(Number);
  const added = (await size('multi:1')) - (await size('busybox'));
  assert.ok(added >= 2 * 1048576 && added < 3 * 1048576, `final image grew by ${added} bytes`);
});

test('a failing RUN fails the build with moby\'s message and leaves no image (its container stays, as moby\'s does without --force-rm)', async () => {
  const dir = context('fail', { Dockerfile: 'FROM busybox\nRUN false\n' });
  const before = await docker(['images', '-qa']);
  const r = await build(dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /The command '\/bin\/sh -c false' returned a non-zero code: 1/);
  assert.equal(await docker(['images', '-qa']), before);
  const left = (await docker(['ps', '-aq'])).split('\n').filter(Boolean);
  assert.equal(left.length, 1);
  await docker(['rm', ...left]);
});
