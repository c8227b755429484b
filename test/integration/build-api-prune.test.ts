// POST /build/prune through `docker builder prune`, `berth builder prune`
// and `docker system prune`: without -a only the dangling records go (the
// steps whose layers no named image has, and the cache mounts), with -a
// every one; `--filter until=…` and `id=…`; `--keep-storage` removing the
// least recently used first; what is left still hits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon } from '../helpers/daemon.ts';
import { buildHelpers } from '../helpers/build.ts';

const d = TestDaemon.forFile();
const { context, built, docker } = buildHelpers(d, 'berth-build-api-prune-');

interface Record {
  ID: string;
  Type: string;
  Description: string;
  Shared: boolean;
  Size: number;
}

const records = async (): Promise<Record[]> => (await d.api('GET', '/system/df')).json().BuildCache;
/** Per step after the first FROM: 'cache' or 'run' (FROM lines are skipped). */
const steps = (out: string): string[] =>
  out.split(/^Step \d+\/\d+ : /m).slice(1).filter((s) => !s.startsWith('FROM ')).map((s) => (s.includes(' ---> Using cache') ? 'cache' : 'run'));
const pruned = (out: string): string[] => /Deleted build cache objects:\n([^]*?)\n\n/.exec(out)?.[1]!.split('\n') ?? [];
const berth = async (args: string[]): Promise<string> => {
  const r = await d.berth(args);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
};

const TWO_STAGES = [
  'FROM busybox AS tools', 'RUN --mount=type=cache,target=/cache head -c 65536 /dev/zero > /cache/blob; head -c 102400 /dev/urandom > /tool',
  'FROM busybox', 'RUN echo app > /app', 'COPY --from=tools /tool /tool',
].join('\n');

test('without -a only the dangling records go (steps no named image shares, cache mounts); -a removes the rest', async () => {
  await docker(['builder', 'prune', '-af']);
  const dir = context('dangling', { Dockerfile: TWO_STAGES });
  await built(dir, ['-t', 'pruned:1']);
  const before = await records();
  const byDescription = (text: string): Record => before.find((r) => r.Description.includes(text))!;
  // The tools stage's step is in no named image; the final image's steps are.
  assert.equal(byDescription('/dev/urandom').Shared, false);
  assert.equal(byDescription('echo app').Shared, true);
  assert.equal(byDescription('COPY').Shared, true);
  const mount = before.find((r) => r.Type === 'exec.cachemount')!;
  assert.equal(mount.Shared, false);
  const out = await docker(['builder', 'prune', '-f']);
  assert.deepEqual(pruned(out).sort(), [byDescription('/dev/urandom').ID, mount.ID].sort());
  assert.match(out, /Total reclaimed space: 1\d\d(\.\d+)?kB\n$/);
  assert.deepEqual((await records()).map((r) => r.ID).sort(), [byDescription('echo app').ID, byDescription('COPY').ID].sort());
  // What stayed still hits; the tools stage runs again, and so does the COPY of its new result.
  assert.deepEqual(steps(await built(dir, ['-t', 'pruned:1'])), ['run', 'cache', 'run']);
  // -a: every record (berth's client sends the same), the named image stays.
  const left = (await records()).map((r) => r.ID).sort();
  assert.deepEqual(pruned(await berth(['builder', 'prune', '-af'])).sort(), left);
  assert.deepEqual(await records(), []);
  assert.equal((await docker(['run', '--rm', 'pruned:1', 'cat', '/app'])), 'app\n');
  assert.deepEqual(steps(await built(dir, ['-t', 'pruned:1'])), ['run', 'run', 'run']);
  await docker(['rmi', 'pruned:1']);
});

test('--filter until keeps what was used since; id chooses records; a bad filter is refused', async () => {
  await docker(['builder', 'prune', '-af']);
  const dir = context('filters', { Dockerfile: 'FROM busybox\nRUN echo one > /one\nRUN echo two > /two\n' });
  await built(dir);
  const [one, two] = await records();
  assert.ok(one && two);
  for (const cli of [docker, berth]) assert.match(await cli(['builder', 'prune', '-af', '--filter', 'until=1h']), /^Total reclaimed space: 0B\n$/);
  assert.equal((await records()).length, 2);
  assert.deepEqual(pruned(await docker(['builder', 'prune', '-af', '--filter', `id=${two.ID}`])), [two.ID]);
  assert.deepEqual((await records()).map((r) => r.ID), [one.ID]);
  assert.deepEqual(steps(await built(dir)), ['cache', 'run']);
  const bad = await d.docker(['builder', 'prune', '-af', '--filter', 'until=soon']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Error response from daemon: invalid time value: soon/);
  const conflicting = await d.api('POST', `/build/prune?filters=${encodeURIComponent('{"until":["1h"],"unused-for":["1h"]}')}`);
  assert.equal(conflicting.status, 400);
  assert.match(conflicting.json().message, /conflicting filters/);
  const keep = await d.api('POST', '/build/prune?keep-storage=lots');
  assert.equal(keep.status, 400);
});

test('--keep-storage: the least recently used records go until the cache fits', async () => {
  await docker(['builder', 'prune', '-af']);
  const dir = context('keep', {
    Dockerfile: 'FROM busybox AS a\nRUN head -c 102400 /dev/urandom > /a\nFROM busybox AS b\nRUN head -c 102400 /dev/urandom > /b\n',
  });
  await built(dir, ['--target', 'a']);
  await built(dir, ['--target', 'b']);
  const [a, b] = await records();
  assert.ok(a && b && a.Size > 100 * 1024 && b.Size > 100 * 1024);
  // Both fit in 250k: nothing goes.
  assert.match(await docker(['builder', 'prune', '-f', '--keep-storage', '250k']), /^Total reclaimed space: 0B\n$/);
  // In 150k only one fits: a, the one used least recently, goes.
  assert.deepEqual(pruned(await docker(['builder', 'prune', '-f', '--keep-storage', '150k'])), [a.ID]);
  assert.deepEqual((await records()).map((r) => r.ID), [b.ID]);
  assert.deepEqual(steps(await built(dir, ['--target', 'b'])), ['cache']);
  assert.deepEqual(steps(await built(dir, ['--target', 'a'])), ['run']);
  // b is now the older: berth's --keep-storage sends the same.
  assert.deepEqual(pruned(await berth(['builder', 'prune', '-f', '--keep-storage', '150k'])), [b.ID]);
});

test('docker system prune (and berth system prune) prune the build cache too: its dangling records, not a named image\'s', async () => {
  for (const cli of [docker, berth]) {
    await docker(['builder', 'prune', '-af']);
    const dir = context('system', {
      Dockerfile: [
        'FROM busybox AS tools', 'RUN --mount=type=cache,target=/c echo x > /c/x; echo built > /tool', 'RUN echo more > /more',
        'FROM busybox', 'COPY --from=tools /tool /tool',
      ].join('\n'),
    });
    await built(dir, ['-t', 'system:1']);
    const before = await records();
    const tool = before.find((r) => r.Description.includes('/tool'))!;
    const mount = before.find((r) => r.Type === 'exec.cachemount')!;
    const out = await cli(['system', 'prune', '-f']);
    assert.ok(pruned(out).includes(mount.ID), out);
    // The tools stage's steps went, as dangling images (image prune comes first) or as dangling records;
    // the named image's stay.
    const after = await records();
    assert.ok(!after.some((r) => r.ID === tool.ID), out);
    assert.ok(after.length > 0 && after.every((r) => r.Shared), JSON.stringify(after));
    await docker(['rmi', 'system:1']);
  }
});
