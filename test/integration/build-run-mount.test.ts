// RUN --mount and RUN --network through `DOCKER_BUILDKIT=0 docker build`
// (and POST /build with the secrets header, which the docker CLI cannot
// send): binds of the context and of stages, cache mounts across builds
// and restarts, locked sharing, tmpfs, secrets that never reach the image,
// network modes, no mount points left in layers, builder prune, and the
// cache key following the bound files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { TestDaemon } from '../helpers/daemon.ts';
import { buildHelpers } from '../helpers/build.ts';

const d = TestDaemon.forFile();
const { work, context, build, built, docker } = buildHelpers(d, 'berth-build-mount-');

/** A context whose Dockerfile is `text` (each line's indentation dropped), with `files` beside it. */
const withDockerfile = (name: string, text: string, files: Record<string, string> = {}): string =>
  context(name, { Dockerfile: text.trim().split('\n').map((l) => l.trim()).join('\n') + '\n', ...files });
const rmi = (...refs: string[]): Promise<string> => docker(['rmi', ...refs]);
const cat = (ref: string, ...files: string[]): Promise<string> => docker(['run', '--rm', ref, 'cat', ...files]);
const absent = async (ref: string, ...paths: string[]): Promise<void> => {
  const out = await docker(['run', '--rm', ref, 'sh', '-c', paths.map((p) => `test -e ${p} && echo "present: ${p}"`).join('; ') + '; true']);
  assert.equal(out, '', out);
};
const cacheMountsDir = (): string => join(d.dataRoot, 'build', 'cache-mounts');
const cacheDirs = (): string[] => (existsSync(cacheMountsDir()) ? readdirSync(cacheMountsDir()).filter((n) => !n.endsWith('.json') && !n.startsWith('.')) : []);
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
/** Per step after FROM: 'cache' or 'run'. */
const steps = (out: string): string[] => out.split(/^Step \d+\/\d+ : /m).slice(2).map((s) => (s.includes(' ---> Using cache') ? 'cache' : 'run'));

/** POST /build with a raw context tar and extra headers; returns the status and the JSON messages (or the body). */
function apiBuild(query: string, dir: string, headers: Record<string, string> = {}): Promise<{ status: number; messages: any[]; body: string }> {
  const body = execFileSync('tar', ['-C', dir, '-cf', '-', '.'], { maxBuffer: 64 << 20 });
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: d.socket, method: 'POST', path: `/build?${query}`, headers: { 'Content-Type': 'application/x-tar', ...headers } }, (res) => {
      let data = '';
      res.on('data', (c: Buffer) => (data += c.toString()));
      res.on('end', () => {
        const messages = res.statusCode === 200 ? data.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
        resolve({ status: res.statusCode ?? 0, messages, body: data });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
const secretsHeader = (secrets: Record<string, string>): Record<string, string> => ({
  'X-Berth-Build-Secrets': Buffer.from(JSON.stringify(Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, Buffer.from(v).toString('base64')])))).toString('base64'),
});
const errorOf = (r: { messages: any[] }): string | undefined => r.messages.find((m) => m.error)?.error;

/** Every entry name of every layer of `ref`, and the `docker save` archive's bytes. */
async function savedImage(ref: string): Promise<{ names: string[]; bytes: Buffer }> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-save-'));
  try {
    const file = join(dir, 'image.tar');
    await docker(['save', '-o', file, ref]);
    const bytes = readFileSync(file);
    const out = join(dir, 'x');
    execFileSync('mkdir', [out]);
    execFileSync('tar', ['-C', out, '-xf', file]);
    const names: string[] = [];
    const walk = (p: string): void => {
      for (const e of readdirSync(p, { withFileTypes: true })) {
        const path = join(p, e.name);
        if (e.isDirectory()) walk(path);
        else if (e.isFile()) {
          try {
            names.push(...execFileSync('tar', ['-tf', path], { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 }).toString().split('\n').filter(Boolean));
          } catch { /* not a tar: the config or the manifest */ }
        }
      }
    };
    walk(out);
    return { names, bytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const layerHas = (names: string[], path: string): boolean => names.some((n) => n.replace(/^\.?\//, '').replace(/\/$/, '') === path);

test('bind of the context: read-only by default, rw writes are dropped, sources stay inside the context', async () => {
  const dir = withDockerfile('bind-ctx', `
    FROM busybox
    RUN --mount=target=/src cat /src/hello.txt > /copied && if touch /src/new 2>/dev/null; then echo writable; exit 1; fi
    RUN --mount=type=bind,source=sub/file.txt,target=/etc/bound.txt cat /etc/bound.txt > /file-copied
    WORKDIR /work
    RUN --mount=target=ctx,rw echo changed > ctx/hello.txt && cat ctx/hello.txt > /rw-saw && touch ctx/extra
    RUN --mount=target=/src cat /src/hello.txt > /after && ls /src > /listing
    RUN --mount=source=hostetc,target=/h ls /h > /through-link
  `, { 'hello.txt': 'hello\n', 'sub/file.txt': 'a file\n', 'etc/marker': 'context etc\n' });
  symlinkSync('/etc', join(dir, 'hostetc'));
  const out = await built(dir, ['-t', 'mount:ctx']);
  assert.match(out, /Step 2\/7 : RUN --mount=target=\/src cat/);
  assert.equal(await cat('mount:ctx', '/copied', '/file-copied', '/rw-saw', '/after'), 'hello\na file\nchanged\nhello\n');
  assert.doesNotMatch(await cat('mount:ctx', '/listing'), /extra/);
  // An absolute symlink in the context resolves inside it, never to the host's /etc.
  assert.equal(await cat('mount:ctx', '/through-link'), 'marker\n');
  assert.equal(readFileSync(join(dir, 'hello.txt'), 'utf8'), 'hello\n');
  await absent('mount:ctx', '/src', '/work/ctx', '/etc/bound.txt');
  assert.equal(await cat('mount:ctx', '/etc/passwd').then((s) => s.length > 0), true);
  await rmi('mount:ctx');
});

test('bind of a stage: its files, rw writes dropped, a missing source fails', async () => {
  const dir = withDockerfile('bind-stage', `
    FROM busybox AS build
    RUN mkdir /out && echo built > /out/artifact
    FROM busybox
    RUN --mount=from=build,source=/out,target=/in cat /in/artifact > /got
    RUN --mount=type=bind,from=build,source=out,target=/in,rw echo overwritten > /in/artifact && cat /in/artifact > /got-rw
    RUN --mount=from=build,target=/b cat /b/out/artifact > /again
    RUN --mount=from=busybox,target=/bb test -x /bb/bin/sh && echo ok > /image-bind
  `);
  await built(dir, ['-t', 'mount:stage']);
  assert.equal(await cat('mount:stage', '/got', '/got-rw', '/again', '/image-bind'), 'built\noverwritten\nbuilt\nok\n');
  await absent('mount:stage', '/in', '/b', '/bb');
  const bad = context('bind-stage-missing', { Dockerfile: 'FROM busybox AS a\nFROM busybox\nRUN --mount=from=a,source=/nope,target=/x true\n' });
  const r = await build(bad);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /failed to mount \/nope from a: \/nope: no such file or directory/);
  await rmi('mount:stage');
});

test('a cache mount persists across builds and restarts, never reaches the layer, and builder prune removes it', async () => {
  const dir = context('cache', {
    Dockerfile: 'FROM busybox\nRUN --mount=type=cache,target=/var/cache/app echo one > /var/cache/app/f && mkdir -p /var/cache/app/sub && echo built > /first\n',
  });
  await built(dir, ['-t', 'mount:cache1']);
  assert.ok(cacheDirs().includes(sha('/var/cache/app')), cacheDirs().join(' '));
  await absent('mount:cache1', '/var/cache/app', '/var/cache');
  const saved = await savedImage('mount:cache1');
  assert.ok(layerHas(saved.names, 'first'));
  assert.ok(!saved.names.some((n) => n.includes('var/cache')), saved.names.join(' '));
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nRUN --mount=type=cache,target=/var/cache/app,id=/var/cache/app cat /var/cache/app/f > /seen && ls /var/cache/app > /ls\n');
  await built(dir, ['-t', 'mount:cache2']);
  assert.equal(await cat('mount:cache2', '/seen', '/ls'), 'one\nf\nsub\n');
  // Another id is another cache.
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nRUN --mount=type=cache,target=/var/cache/app,id=other ls /var/cache/app > /ls-other\n');
  await built(dir, ['-t', 'mount:cache3']);
  assert.equal(await cat('mount:cache3', '/ls-other'), '');
  await d.halt();
  await d.launch();
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nRUN --mount=type=cache,target=/c,id=/var/cache/app,mode=0700,uid=5 cat /c/f > /after-restart; stat -c "%a %u" /c > /perm\nRUN --mount=type=cache,target=/c,id=/var/cache/app cat /c/f > /after-restart\n');
  await built(dir, ['-t', 'mount:cache4']);
  assert.equal(await cat('mount:cache4', '/after-restart', '/perm'), 'one\n700 5\n');
  const df = (await d.api('GET', '/system/df')).json();
  const mounts = df.BuildCache.filter((b: any) => b.Type === 'exec.cachemount');
  assert.ok(mounts.length >= 2, JSON.stringify(df.BuildCache));
  assert.ok(mounts.some((b: any) => b.Description.includes('id "/var/cache/app"') && b.Size > 0), JSON.stringify(mounts));
  assert.match(await docker(['system', 'df', '-v']), /exec\.cachemount/);
  // A cache's subdirectory (made, and handed over pinned), and a cache that starts from a stage's files.
  writeFileSync(join(dir, 'Dockerfile'), [
    'FROM busybox AS seed', 'RUN mkdir -p /data && echo seeded > /data/s',
    'FROM busybox',
    'RUN --mount=type=cache,target=/c,id=/var/cache/app,source=deep/er echo sub > /c/in-sub',
    'RUN --mount=type=cache,target=/c,id=/var/cache/app find /c -name in-sub > /found',
    'RUN --mount=type=cache,target=/c,id=seeded,from=seed,source=/data cat /c/s > /seeded && echo more >> /c/s',
    'RUN --mount=type=cache,target=/c,id=seeded,from=seed,source=/data cat /c/s > /seeded2',
  ].join('\n'));
  await built(dir, ['-t', 'mount:cache6']);
  assert.equal(await cat('mount:cache6', '/found', '/seeded', '/seeded2'), '/c/deep/er/in-sub\nseeded\nseeded\nmore\n');
  await rmi('mount:cache6');
  const pruned = await docker(['builder', 'prune', '-f']);
  assert.match(pruned, /Total reclaimed space/);
  assert.deepEqual(cacheDirs(), []);
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nRUN --mount=type=cache,target=/var/cache/app ls /var/cache/app > /ls-pruned\n');
  await built(dir, ['-t', 'mount:cache5']);
  assert.equal(await cat('mount:cache5', '/ls-pruned'), '');
  await rmi('mount:cache1', 'mount:cache2', 'mount:cache3', 'mount:cache4', 'mount:cache5');
  await docker(['builder', 'prune', '-f']);
});

test('sharing=locked lets one step at a time use the cache (two stages building at once)', async () => {
  const step = (name: string): string[] => [
    `FROM busybox AS ${name}`,
    `RUN --mount=type=cache,target=/c,id=locked-test,sharing=locked sh -c 'test ! -e /c/busy && touch /c/busy && sleep 1 && rm /c/busy && echo ${name} >> /c/log && echo ${name} > /done'`,
  ];
  const dir = context('locked', {
    Dockerfile: [...step('a'), ...step('b'), 'FROM busybox', 'COPY --from=a /done /a', 'COPY --from=b /done /b', 'RUN --mount=type=cache,target=/c,id=locked-test,sharing=locked sort /c/log > /log'].join('\n'),
  });
  await built(dir, ['-t', 'mount:locked']);
  assert.equal(await cat('mount:locked', '/a', '/b', '/log'), 'a\nb\na\nb\n');
  await rmi('mount:locked');
  await docker(['builder', 'prune', '-f']);
});

test('tmpfs mounts: a tmpfs of the size asked, gone after the step', async () => {
  const dir = withDockerfile('tmpfs', `
    FROM busybox
    RUN --mount=type=tmpfs,target=/scratch,size=2m grep " /scratch tmpfs " /proc/mounts > /mounts && df -k /scratch | tail -1 | awk "{print \\$2}" > /size && echo x > /scratch/f
    RUN --mount=type=tmpfs,target=/tmp/deep/t ls /tmp/deep/t > /t-empty
  `);
  await built(dir, ['-t', 'mount:tmpfs']);
  assert.match(await cat('mount:tmpfs', '/mounts'), /tmpfs \/scratch tmpfs rw,nosuid/);
  assert.equal(await cat('mount:tmpfs', '/size'), '2048\n');
  assert.equal(await cat('mount:tmpfs', '/t-empty'), '');
  await absent('mount:tmpfs', '/scratch', '/tmp/deep');
  await rmi('mount:tmpfs');
});

test('secrets: readable in RUN, absent from the image, its layers, its history and docker save', async () => {
  const value = 'hunter2-s3cr3t-value';
  const dir = withDockerfile('secret', `
    FROM busybox
    RUN --mount=type=secret,id=tok md5sum /run/secrets/tok | cut -d" " -f1 > /sum && stat -c "%a %u" /run/secrets/tok > /perm
    RUN --mount=type=secret,id=tok,target=/etc/app/token,mode=0440,uid=7 stat -c "%a %u" /etc/app/token > /perm2 && md5sum < /etc/app/token | cut -d" " -f1 > /sum2
    RUN --mount=type=secret,id=absent test ! -e /run/secrets/absent && echo skipped > /optional
  `);
  const r = await apiBuild('t=mount:secret', dir, secretsHeader({ tok: value }));
  assert.equal(r.status, 200, r.body);
  assert.equal(errorOf(r), undefined, r.body);
  const md5 = createHash('md5').update(value).digest('hex');
  assert.equal(await cat('mount:secret', '/sum', '/perm', '/perm2', '/sum2', '/optional'), `${md5}\n400 0\n440 7\n${md5}\nskipped\n`);
  await absent('mount:secret', '/run/secrets', '/etc/app');
  const history = await docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'mount:secret']);
  assert.doesNotMatch(history, new RegExp(value));
  const inspect = await docker(['inspect', 'mount:secret']);
  assert.doesNotMatch(inspect, new RegExp(value));
  const saved = await savedImage('mount:secret');
  assert.ok(!saved.bytes.includes(value), 'the secret is in docker save output');
  assert.ok(!saved.names.some((n) => n.includes('run/secrets') || n.includes('etc/app')), saved.names.join(' '));
  // Nothing of the step stays under the exec root.
  assert.deepEqual(readdirSync(join(d.execRoot, 'build', 'secrets')), []);
  // A changed secret does not invalidate the cache (as BuildKit).
  const again = await apiBuild('t=mount:secret', dir, secretsHeader({ tok: 'another' }));
  assert.ok(again.messages.filter((m) => m.stream === ' ---> Using cache\n').length === 3, again.body);
  // A required secret that is missing fails the build; a malformed header is a 400.
  const req = context('secret-required', { Dockerfile: 'FROM busybox\nRUN --mount=type=secret,id=npmrc,required true\n' });
  assert.match(errorOf(await apiBuild('', req)) ?? '', /secret npmrc: not found/);
  const malformed = await apiBuild('', req, { 'X-Berth-Build-Secrets': 'not base64!' });
  assert.equal(malformed.status, 400);
  assert.match(malformed.body, /invalid x-berth-build-secrets header/);
  await rmi('mount:secret');
});

test('RUN --network=none has only lo, host the host interfaces; --network keys the step', async () => {
  const dir = context('network', {
    Dockerfile: 'FROM busybox\nRUN --network=none ls /sys/class/net > /none\nRUN --network=host ls /sys/class/net > /host\nRUN --network=default ls /sys/class/net > /default\n',
  });
  const out = await built(dir, ['-t', 'mount:net']);
  assert.equal(await cat('mount:net', '/none'), 'lo\n');
  const host = readdirSync('/sys/class/net').filter((n) => n !== 'lo');
  const seen = (await cat('mount:net', '/host')).trim().split('\n');
  assert.ok(host.some((n) => seen.includes(n)), `${seen.join(' ')} / ${host.join(' ')}`);
  assert.ok((await cat('mount:net', '/default')).includes('eth0'));
  assert.match(out, /Step 2\/4 : RUN --network=none ls/);
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nRUN --network=host ls /sys/class/net > /none\n');
  const changed = await built(dir);
  assert.deepEqual(steps(changed), ['run']);
  await rmi('mount:net');
});

test('the cache key follows the bound context files, not the others', async () => {
  const dir = context('key', {
    Dockerfile: 'FROM busybox\nRUN --mount=source=src,target=/src cat /src/a.txt > /a\n',
    'src/a.txt': 'one\n', 'other.txt': 'x\n',
  });
  const first = await built(dir, ['-t', 'mount:key']);
  assert.deepEqual(steps(first), ['run']);
  writeFileSync(join(dir, 'other.txt'), 'y\n');
  assert.deepEqual(steps(await built(dir, ['-t', 'mount:key'])), ['cache']);
  writeFileSync(join(dir, 'src/a.txt'), 'two\n');
  const changed = await built(dir, ['-t', 'mount:key']);
  assert.deepEqual(steps(changed), ['run']);
  assert.match(changed, /Cache miss: file src\/a\.txt changed/);
  assert.equal(await cat('mount:key', '/a'), 'two\n');
  // A stage bind keys by the stage's image: a changed stage re-runs the step.
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox AS s\nARG V=1\nRUN echo $V > /v\nFROM busybox\nRUN --mount=from=s,target=/s cat /s/v > /v\n');
  await built(dir, ['-t', 'mount:key']);
  const other = await built(dir, ['--build-arg', 'V=2', '-t', 'mount:key']);
  assert.match(other, /Cache miss: source stage s changed/);
  assert.equal(await cat('mount:key', '/v'), '2\n');
  await rmi('mount:key');
});

test('mount errors: ssh, a bad option, a missing context source', async () => {
  const fail = async (dockerfile: string, message: RegExp): Promise<void> => {
    const r = await build(context(`err-${sha(dockerfile).slice(0, 8)}`, { Dockerfile: dockerfile }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr + r.stdout, message);
  };
  await fail('FROM busybox\nRUN --mount=type=ssh true\n', /ssh mounts are not supported/);
  await fail('FROM busybox\nRUN --mount=type=cache,target=/c,sharing=nope true\n', /unsupported sharing value "nope"/);
  await fail('FROM busybox\nRUN --mount=source=missing,target=/m true\n', /failed to compute cache key: "\/missing": not found/);
  await fail('FROM busybox\nARG T=/from-arg\nRUN --mount=type=tmpfs,target=$T test -d /from-arg && false\n', /returned a non-zero code: 1/);
  assert.ok(existsSync(work));
});
