// The build cache through `DOCKER_BUILDKIT=0 docker build`: hits, exact invalidation with reasons,
// --no-cache, surviving a restart, and `builder prune`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCKER, TestDaemon, run } from '../helpers/daemon.ts';

const d = TestDaemon.forFile();
const work = mkdtempSync(join(tmpdir(), 'berth-build-cache-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

const dir = join(work, 'ctx');
function write(files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}
write({
  Dockerfile: ['FROM busybox', 'ENV APP=/app', 'WORKDIR /app', 'RUN echo base > base.txt',
    'COPY app.c .', 'ARG VERSION=1', 'RUN echo "v$VERSION" > version.txt', 'CMD ["cat", "version.txt"]'].join('\n'),
  '.dockerignore': 'ignored.txt\n',
  'app.c': 'int main() { return 0; }\n',
  'ignored.txt': 'one\n',
});

async function build(args: string[] = []): Promise<{ out: string; id: string; steps: string[] }> {
  const r = await run(DOCKER, ['build', ...args, dir], { env: { ...d.env, DOCKER_BUILDKIT: '0' }, timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const id = /Successfully built ([0-9a-f]{12})/.exec(r.stdout)?.[1] ?? '';
  // Per step (after FROM): 'cache' or 'run', in order.
  const steps = r.stdout.split(/^Step \d+\/\d+ : /m).slice(2).map((s) => (s.includes(' ---> Using cache') ? 'cache' : 'run'));
  return { out: r.stdout, id, steps };
}

let first = '';
test('a rebuild of an unchanged context is fully cached and yields the same image', async () => {
  const cold = await build(['-t', 'cached:1']);
  assert.deepEqual(cold.steps, Array(7).fill('run'));
  // Nothing was built before: no step has a reason to give, and the output is docker's.
  assert.doesNotMatch(cold.out, /Cache miss/);
  first = cold.id;
  const warm = await build(['-t', 'cached:1']);
  assert.deepEqual(warm.steps, Array(7).fill('cache'), warm.out);
  assert.equal(warm.id, first);
  assert.doesNotMatch(warm.out, /Running in/);
  // The intermediate images stay but `docker images` shows only the result, as docker does.
  const list = (await d.docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout.trim().split('\n').sort();
  assert.deepEqual(list, ['busybox:latest', 'cached:1']);
  const all = (await d.docker(['images', '-a', '-q'])).stdout.trim().split('\n');
  assert.ok(all.length > 2, 'intermediate images are listed with -a');
});

test('touching an ignored file keeps the cache', async () => {
  write({ 'ignored.txt': 'two\n' });
  const r = await build();
  assert.deepEqual(r.steps, Array(7).fill('cache'), r.out);
  assert.equal(r.id, first);
});

test('touching a copied file rebuilds from that COPY and says why', async () => {
  write({ 'app.c': 'int main() { return 1; }\n' });
  const r = await build();
  assert.deepEqual(r.steps, ['cache', 'cache', 'cache', 'run', 'run', 'run', 'run'], r.out);
  assert.match(r.out, / ---> Cache miss: file app\.c changed\n/);
  // The steps after it have a new parent: they say which step made it new.
  assert.match(r.out, /Step 6\/8 : ARG VERSION=1\n ---> Cache miss: parent changed: step 5\/8 COPY app\.c \. missed\n/);
  assert.match(r.out, /Step 8\/8 : CMD \["cat", "version\.txt"\]\n ---> Cache miss: parent changed: step 5\/8 COPY app\.c \. missed\n/);
  assert.notEqual(r.id, first);
});

test('changing a build arg a later RUN uses rebuilds from that RUN', async () => {
  const base = await build();
  const r = await build(['--build-arg', 'VERSION=2']);
  assert.deepEqual(r.steps, ['cache', 'cache', 'cache', 'cache', 'cache', 'run', 'run'], r.out);
  assert.match(r.out, / ---> Cache miss: build arg VERSION changed \(was 1, now 2\)\n/);
  assert.notEqual(r.id, base.id);
  const again = await build(['--build-arg', 'VERSION=2']);
  assert.equal(again.id, r.id);
  assert.equal((await d.docker(['run', '--rm', r.id])).stdout, 'v2\n');
});

test('--no-cache runs every step', async () => {
  const r = await build(['--no-cache']);
  assert.deepEqual(r.steps, Array(7).fill('run'), r.out);
  assert.doesNotMatch(r.out, /Cache miss/);
});

test('the cache survives a daemon restart', async () => {
  const before = await build();
  await d.halt();
  await d.launch();
  const r = await build();
  assert.deepEqual(r.steps, Array(7).fill('cache'), r.out);
  assert.equal(r.id, before.id);
});

test('builder prune -a empties the cache', async () => {
  const df = await d.docker(['system', 'df', '--format', '{{.Type}} {{.TotalCount}}']);
  assert.match(df.stdout, /Build Cache [1-9]/);
  const p = await d.docker(['builder', 'prune', '-af']);
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /Total reclaimed space/);
  const r = await build();
  assert.deepEqual(r.steps, Array(7).fill('run'), r.out);
  // Images still tagged survive the prune.
  assert.equal((await d.docker(['image', 'inspect', 'cached:1'])).code, 0);
});
