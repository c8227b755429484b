// The classic builder's options and instructions through `DOCKER_BUILDKIT=0
// docker build` (and POST /build for what the CLI cannot send), checked
// with `docker inspect` and by running the results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon } from '../helpers/daemon.ts';
import { buildHelpers } from '../helpers/build.ts';
import { freePort } from '../helpers/net.ts';
import { TestRegistry } from '../helpers/registry.ts';

const d = TestDaemon.forFile();
const { work, context, build, built, docker } = buildHelpers(d, 'berth-build-opts-');

const config = async (ref: string): Promise<any> => JSON.parse(await docker(['inspect', ref]))[0].Config;
const history = async (ref: string): Promise<string[]> =>
  (await docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', ref])).trim().split('\n');
const rmi = (...refs: string[]): Promise<string> => docker(['rmi', ...refs]);

/** POST /build with a raw body; returns the status and the JSON messages (or the error body). */
async function apiBuild(query: string, body: Buffer): Promise<{ status: number; messages: any[]; body: string }> {
  const r = await d.api('POST', `/build?${query}`, undefined, body);
  const messages = r.status === 200 ? r.body.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
  return { status: r.status, messages, body: r.body };
}

const tarOf = (dir: string, compress = ''): Buffer =>
  execFileSync('tar', ['-C', dir, ...(compress ? [compress] : []), '-cf', '-', '.'], { maxBuffer: 64 << 20 });

test('--target builds only the stages the target needs', async () => {
  const dir = context('target', {
    Dockerfile: [
      'FROM busybox AS base', 'RUN echo base > /base',
      'FROM base AS dev', 'RUN echo dev > /dev.txt',
      'FROM busybox AS other', 'RUN echo other-stage-ran',
      'FROM base', 'RUN echo prod > /prod.txt',
    ].join('\n'),
  });
  const out = await built(dir, ['--target', 'dev', '-t', 'target:dev']);
  assert.doesNotMatch(out, /other-stage-ran/);
  assert.match(out, /Step 1\/4 : FROM busybox AS base/);
  assert.equal(await docker(['run', '--rm', 'target:dev', 'cat', '/base', '/dev.txt']), 'base\ndev\n');
  const missing = await build(dir, ['--target', 'nope']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nope/);
  await rmi('target:dev');
});

test('--build-arg, ARG defaults, ARG before FROM, and the RUN history', async () => {
  const dir = context('args', {
    Dockerfile: [
      'ARG BASE=busybox', 'FROM ${BASE}', 'ARG BASE', 'ARG A=default-a', 'ARG B=default-b', 'ARG UNSET',
      'RUN echo "base=$BASE a=$A b=$B unset=${UNSET:-none}" > /args',
      'ENV B=from-env', 'RUN echo "b=$B" > /b',
    ].join('\n'),
  });
  const out = await built(dir, ['--build-arg', 'A=given', '--build-arg', 'NOTUSED=1', '-t', 'args:1']);
  assert.equal(await docker(['run', '--rm', 'args:1', 'cat', '/args', '/b']), 'base=busybox a=given b=default-b unset=none\nb=from-env\n');
  const h = await history('args:1');
  // ARG's line shows the Dockerfile's default; RUN's the values in effect, sorted, less what ENV overrides.
  assert.ok(h.includes('/bin/sh -c #(nop)  ARG A=default-a'), h.join('\n'));
  assert.ok(h.includes('/bin/sh -c #(nop)  ARG UNSET'), h.join('\n'));
  assert.ok(h.some((l) => l.startsWith('|3 A=given B=default-b BASE=busybox /bin/sh -c echo "base=')), h.join('\n'));
  assert.ok(h.some((l) => l === '|2 A=given BASE=busybox /bin/sh -c echo "b=$B" > /b'), h.join('\n'));
  // Build args never reach the image's environment.
  assert.ok(!(await config('args:1')).Env?.some((e: string) => e.startsWith('A=')));
  assert.match(out, /\[Warning\] One or more build-args \[NOTUSED\] were not consumed/);
  await rmi('args:1');
});

test('--label, -q and two -t tags', async () => {
  const dir = context('labels', { Dockerfile: 'FROM busybox\nLABEL from=dockerfile keep=yes\n' });
  const r = await build(dir, ['-q', '--label', 'from=cli', '--label', 'extra=1', '-t', 'two:a', '-t', 'two:b']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
  const id = r.stdout.trim();
  assert.deepEqual((await config('two:a')).Labels, { from: 'cli', keep: 'yes', extra: '1' });
  assert.equal((await docker(['inspect', '-f', '{{.Id}}', 'two:b'])).trim(), id);
  await rmi('two:a', 'two:b');
});

test('.dockerignore: an ignored file cannot be copied, ! re-includes', async () => {
  const dir = context('ignore', {
    Dockerfile: 'FROM busybox\nCOPY . /ctx/\n',
    '.dockerignore': 'secret*\nlogs\n!logs/keep.log\n',
    'secret.txt': 'no', 'app.txt': 'yes', 'logs/a.log': 'no', 'logs/keep.log': 'kept',
  });
  await built(dir, ['-t', 'ignore:1']);
  assert.equal(await docker(['run', '--rm', 'ignore:1', 'sh', '-c', 'find /ctx -type f | sort']),
    ['/ctx/.dockerignore', '/ctx/Dockerfile', '/ctx/app.txt', '/ctx/logs/keep.log'].join('\n') + '\n');
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nCOPY secret.txt /\n');
  const r = await build(dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /COPY failed: file not found in build context or excluded by \.dockerignore: stat secret\.txt: file does not exist/);
  await rmi('ignore:1');
});

test('.dockerignore and <Dockerfile>.dockerignore are applied by the daemon too (POST /build)', async () => {
  const dir = context('ignore-api', {
    Dockerfile: 'FROM busybox\nCOPY . /ctx/\n',
    'build.Dockerfile': 'FROM busybox\nCOPY . /ctx/\n',
    '.dockerignore': 'a.txt\n',
    'build.Dockerfile.dockerignore': 'b.txt\n',
    'a.txt': 'a', 'b.txt': 'b',
  });
  const plain = await apiBuild('t=ign:plain', tarOf(dir));
  assert.equal(plain.status, 200);
  assert.ok(plain.messages.some((m) => m.aux?.ID), plain.body);
  const named = await apiBuild('t=ign:named&dockerfile=build.Dockerfile', tarOf(dir));
  assert.ok(named.messages.some((m) => m.aux?.ID), named.body);
  const ls = (ref: string): Promise<string> => docker(['run', '--rm', ref, 'ls', '/ctx']);
  assert.doesNotMatch(await ls('ign:plain'), /^a\.txt$/m);
  assert.match(await ls('ign:plain'), /^b\.txt$/m);
  assert.match(await ls('ign:named'), /^a\.txt$/m);
  assert.doesNotMatch(await ls('ign:named'), /^b\.txt$/m);
  await rmi('ign:plain', 'ign:named');
});

test('COPY --chown by name and --chmod', async () => {
  const dir = context('chown', {
    Dockerfile: [
      'FROM busybox',
      "RUN echo 'app:x:1234:1234::/home/app:/bin/sh' >> /etc/passwd && echo 'staff2:x:2345:' >> /etc/group && echo 'app:x:3456:' >> /etc/group",
      'COPY --chown=app:staff2 f.txt /owned/f.txt',
      'COPY --chown=1001 dir /numeric/',
      'COPY --chmod=0750 f.txt /mode.txt',
      'COPY --chown=app --chmod=600 dir /both/',
      'COPY --chown=1001:1002 f.txt /made/deep/f.txt',
      'COPY --chown=1003 dir /made2/inner/',
    ].join('\n'),
    'f.txt': 'f', 'dir/x': 'x', 'dir/sub/y': 'y',
  });
  await built(dir, ['-t', 'chown:1']);
  const stat = (paths: string[]): Promise<string> => docker(['run', '--rm', 'chown:1', 'stat', '-c', '%n %u:%g %a', ...paths]);
  assert.equal(await stat(['/owned/f.txt', '/numeric/x', '/numeric/sub', '/numeric/sub/y', '/mode.txt', '/both/x', '/both/sub']), [
    '/owned/f.txt 1234:2345 644', '/numeric/x 1001:1001 644', '/numeric/sub 1001:1001 755', '/numeric/sub/y 1001:1001 644',
    '/mode.txt 0:0 750', '/both/x 1234:3456 600', '/both/sub 1234:3456 600',
  ].join('\n') + '\n');
  // The directories a copy has to make belong to --chown's owner, as in moby.
  assert.equal(await stat(['/made', '/made/deep', '/made2', '/made2/inner', '/made2/inner/x']), [
    '/made 1001:1002 755', '/made/deep 1001:1002 755', '/made2 1003:1003 755', '/made2/inner 1003:1003 755', '/made2/inner/x 1003:1003 644',
  ].join('\n') + '\n');
  // No group: the user part names the group too (moby's parseChownFlag), and it must exist.
  writeFileSync(join(dir, 'Dockerfile'), "FROM busybox\nRUN echo 'solo:x:1500:1500::/:/bin/sh' >> /etc/passwd\nCOPY --chown=solo f.txt /\n");
  const r = await build(dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /can't find gid for group solo: no such group: solo/);
  await rmi('chown:1');
});

test('wildcards and several sources', async () => {
  const dir = context('wild', {
    Dockerfile: [
      'FROM busybox', 'WORKDIR /app',
      'COPY *.txt notes/ ./', 'COPY src/*.c lib/', 'COPY a.txt single',
      'COPY no-match* a.txt /mixed/',
    ].join('\n'),
    'a.txt': 'a', 'b.txt': 'b', 'c.md': 'c', 'notes/n1': 'n', 'src/x.c': 'x', 'src/y.c': 'y', 'src/z.h': 'z',
  });
  await built(dir, ['-t', 'wild:1']);
  assert.equal(await docker(['run', '--rm', 'wild:1', 'sh', '-c', 'find /app /mixed -type f | sort']),
    ['/app/a.txt', '/app/b.txt', '/app/lib/x.c', '/app/lib/y.c', '/app/n1', '/app/single', '/mixed/a.txt'].join('\n') + '\n');
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nWORKDIR /app\nCOPY *.txt .\n');
  const r = await build(dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /When using COPY with more than one source file, the destination must be a directory and end with a \//);
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nCOPY *.nothing /x/\n');
  const none = await build(dir);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /COPY failed: no source files were specified/);
  await rmi('wild:1');
});

test('nothing outside the context can be copied: ../x, and symlinks pointing out', async () => {
  writeFileSync(join(work, 'outside-secret'), 'SECRET');
  const dir = context('escape', { Dockerfile: 'FROM busybox\nCOPY ../outside-secret /x\n', 'ok.txt': 'ok' });
  const up = await build(dir);
  assert.equal(up.code, 1);
  assert.match(up.stderr, /file not found in build context/);
  // An absolute symlink is followed inside the context only, where there is no such file.
  symlinkSync(join(work, 'outside-secret'), join(dir, 'abs-link'));
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nCOPY abs-link /x\n');
  const abs = await build(dir);
  assert.equal(abs.code, 1, abs.stdout);
  assert.match(abs.stderr, /file not found in build context/);
  // Inside a copied directory a symlink stays a symlink; nothing is read through it.
  mkdirSync(join(dir, 'tree'));
  symlinkSync(join(work, 'outside-secret'), join(dir, 'tree', 'deep-link'));
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nCOPY . /ctx/\nRUN ! grep -rs "$(echo SEC)RET" /ctx\n');
  await built(dir, ['-t', 'escape:1']);
  assert.equal(await docker(['run', '--rm', 'escape:1', 'readlink', '/ctx/tree/deep-link']), `${join(work, 'outside-secret')}\n`);
  // A relative symlink climbing out of the context is refused when the context is unpacked, as docker's untar does.
  symlinkSync('../outside-secret', join(dir, 'rel-link'));
  const rel = await build(dir);
  assert.equal(rel.code, 1);
  assert.match(rel.stderr, /invalid symlink "rel-link" -> "\.\.\/outside-secret"/);
  await rmi('escape:1');
});

test('ONBUILD triggers run in the child build, not in the parent', async () => {
  const parent = context('onbuild-parent', {
    Dockerfile: 'FROM busybox\nONBUILD COPY child.txt /from-child.txt\nONBUILD RUN echo triggered > /triggered\n',
  });
  await built(parent, ['-t', 'onbuild:parent']);
  assert.deepEqual((await config('onbuild:parent')).OnBuild, ['COPY child.txt /from-child.txt', 'RUN echo triggered > /triggered']);
  assert.equal((await d.docker(['run', '--rm', 'onbuild:parent', 'cat', '/triggered'])).code, 1);
  const child = context('onbuild-child', { Dockerfile: 'FROM onbuild:parent\nCMD ["cat", "/from-child.txt", "/triggered"]\n', 'child.txt': 'child\n' });
  const out = await built(child, ['-t', 'onbuild:child']);
  assert.match(out, /# Executing 2 build triggers/);
  assert.equal(await docker(['run', '--rm', 'onbuild:child']), 'child\ntriggered\n');
  assert.ok(!(await config('onbuild:child')).OnBuild?.length);
  await rmi('onbuild:child', 'onbuild:parent');
});

test('VOLUME, STOPSIGNAL, HEALTHCHECK, SHELL, ENTRYPOINT + CMD through docker inspect', async () => {
  const dir = context('config', {
    Dockerfile: [
      'FROM busybox', 'VOLUME /data /logs', 'STOPSIGNAL SIGQUIT',
      'HEALTHCHECK --interval=30s --timeout=3s --retries=3 CMD wget -q localhost || exit 1',
      'SHELL ["/bin/sh", "-ec"]', 'ENTRYPOINT ["/bin/echo"]', 'CMD hello', 'EXPOSE 80 53/udp',
    ].join('\n'),
  });
  await built(dir, ['-t', 'config:1']);
  const c = await config('config:1');
  assert.deepEqual(Object.keys(c.Volumes).sort(), ['/data', '/logs']);
  assert.equal(c.StopSignal, 'SIGQUIT');
  assert.deepEqual(c.Healthcheck, { Test: ['CMD-SHELL', 'wget -q localhost || exit 1'], Interval: 30e9, Timeout: 3e9, Retries: 3 });
  assert.deepEqual(c.Shell, ['/bin/sh', '-ec']);
  assert.deepEqual(c.Entrypoint, ['/bin/echo']);
  assert.deepEqual(c.Cmd, ['/bin/sh', '-ec', 'hello']);
  assert.deepEqual(Object.keys(c.ExposedPorts).sort(), ['53/udp', '80/tcp']);
  const h = await history('config:1');
  for (const line of [
    '/bin/sh -c #(nop)  VOLUME [/data /logs]', '/bin/sh -c #(nop)  STOPSIGNAL SIGQUIT',
    '/bin/sh -c #(nop)  HEALTHCHECK &{["CMD-SHELL" "wget -q localhost || exit 1"] "30s" "3s" "0s" \'\\x03\'}',
    '/bin/sh -ec #(nop)  SHELL [/bin/sh -ec]', '/bin/sh -ec #(nop)  ENTRYPOINT ["/bin/echo"]',
    '/bin/sh -ec #(nop)  CMD ["/bin/sh" "-ec" "hello"]', '/bin/sh -ec #(nop)  EXPOSE 53/udp 80',
  ]) assert.ok(h.includes(line), `${line}\nnot in\n${h.join('\n')}`);
  assert.equal(await docker(['run', '--rm', 'config:1']), '/bin/sh -ec hello\n');
  await rmi('config:1');
});

test('MAINTAINER sets the author of what follows; COPY history names its content by a hash that follows the content', async () => {
  const dir = context('maintainer', { Dockerfile: 'FROM busybox\nMAINTAINER Jane <jane@example.com>\nCOPY f.txt /f.txt\n', 'f.txt': 'one' });
  await built(dir, ['-t', 'maint:1']);
  const image = JSON.parse(await docker(['inspect', 'maint:1']))[0];
  assert.equal(image.Author, 'Jane <jane@example.com>');
  const h = await history('maint:1');
  assert.equal(h[1], '/bin/sh -c #(nop)  MAINTAINER Jane <jane@example.com>');
  const copied = /^\/bin\/sh -c #\(nop\) COPY file:([0-9a-f]{64}) in \/f\.txt $/.exec(h[0]!);
  assert.ok(copied, h[0]);
  writeFileSync(join(dir, 'f.txt'), 'two');
  await built(dir, ['-t', 'maint:2']);
  const again = /COPY file:([0-9a-f]{64}) in/.exec((await history('maint:2'))[0]!);
  assert.notEqual(again?.[1], copied[1]);
  await rmi('maint:1', 'maint:2');
});

test('nocachefilter (berth build --no-cache-filter) reruns the named stage only', async () => {
  const dir = context('nocachefilter', {
    Dockerfile: [
      // Different lines: the same step in both stages would be one cache entry.
      'FROM busybox AS one', 'RUN cat /proc/sys/kernel/random/uuid > /stamp # one',
      'FROM busybox AS two', 'RUN cat /proc/sys/kernel/random/uuid > /stamp # two',
      'FROM busybox', 'COPY --from=one /stamp /one', 'COPY --from=two /stamp /two',
    ].join('\n'),
  });
  const stamps = async (ref: string): Promise<string> => docker(['run', '--rm', ref, 'cat', '/one', '/two']);
  await built(dir, ['-t', 'ncf:1']);
  const first = await stamps('ncf:1');
  const r = await apiBuild(`t=ncf:2&nocachefilter=${encodeURIComponent('["TWO"]')}`, tarOf(dir));
  assert.ok(r.messages.some((m) => m.aux?.ID), r.body);
  const [one1, two1] = first.split('\n');
  const [one2, two2] = (await stamps('ncf:2')).split('\n');
  assert.equal(one2, one1);
  assert.notEqual(two2, two1);
  assert.equal((await apiBuild('nocachefilter=two', tarOf(dir))).status, 400);
  await rmi('ncf:1', 'ncf:2');
});

test('independent stages build at once; the output stays in file order', async () => {
  // Stage a listens on a port of the host's loopback, stage b connects to it
  // (both RUN with the host's network): one after the other, a's listener
  // would give up before b ever ran.
  const port = await freePort();
  const dir = context('parallel', {
    Dockerfile: [
      'FROM busybox AS a', `RUN timeout 60 nc -l -p ${port} > /got; grep -q hello /got && echo a-heard-b`,
      'FROM busybox AS b', `RUN i=0; until echo hello | nc 127.0.0.1 ${port}; do i=$((i+1)); [ $i -lt 600 ] || exit 1; sleep 0.1; done; echo sent > /sent`,
      'FROM busybox', 'COPY --from=a /got /a', 'COPY --from=b /sent /b',
    ].join('\n'),
  });
  const out = await built(dir, ['--network', 'host', '-t', 'par:1']);
  assert.match(out, /a-heard-b/);
  // Step numbers in order, each stage's steps together, as a one-at-a-time build prints them.
  const steps = [...out.matchAll(/^Step (\d+)\/7 : (.*)$/gm)].map((m) => `${m[1]} ${m[2]}`);
  assert.deepEqual(steps.map((l) => Number(l.split(' ')[0])), [1, 2, 3, 4, 5, 6, 7]);
  assert.match(steps[2]!, /^3 FROM busybox AS b/);
  assert.equal(await docker(['run', '--rm', 'par:1', 'cat', '/a']), 'hello\n');
  await rmi('par:1');
});

test('stages that reach the same step at once make it once: the rebuild is fully cached', async () => {
  const dir = context('same-step', {
    Dockerfile: [
      'FROM busybox AS a', 'WORKDIR /w', 'RUN sleep 0.3; echo a > a',
      'FROM busybox AS b', 'WORKDIR /w', 'RUN sleep 0.3; echo b > b',
      'FROM busybox', 'COPY --from=a /w/a /a', 'COPY --from=b /w/b /b',
    ].join('\n'),
  });
  const first = await built(dir, ['-t', 'same:1']);
  // One of the two WORKDIR steps is the other's: made once, used twice.
  assert.equal(first.match(/Step \d+\/9 : WORKDIR \/w\n ---> Using cache/g)?.length, 1, first);
  const again = await built(dir, ['-t', 'same:2']);
  assert.doesNotMatch(again, /Running in/, again);
  assert.equal(JSON.parse(await docker(['inspect', 'same:1']))[0].Id, JSON.parse(await docker(['inspect', 'same:2']))[0].Id);
  await rmi('same:1', 'same:2');
});

test('FROM scratch with COPY', async () => {
  const dir = context('scratch', { Dockerfile: 'FROM scratch\nCOPY bin/ /\nCOPY hello.txt /etc/\n', 'hello.txt': 'hi' });
  mkdirSync(join(dir, 'bin'));
  const busybox = execFileSync('sh', ['-c', 'command -v busybox']).toString().trim();
  writeFileSync(join(dir, 'bin', 'busybox'), readFileSync(busybox));
  chmodSync(join(dir, 'bin', 'busybox'), 0o755);
  await built(dir, ['-t', 'scratch:1']);
  assert.equal(await docker(['run', '--rm', 'scratch:1', '/busybox', 'cat', '/etc/hello.txt']), 'hi');
  assert.equal((await docker(['inspect', '-f', '{{len .RootFS.Layers}}', 'scratch:1'])).trim(), '2');
  await rmi('scratch:1');
});

test('a Dockerfile parse error names the line (moby 20.10\'s words) and fails with exit 1; the API says which file and lines', async () => {
  const dir = context('parse', { Dockerfile: 'FROM busybox\nRUNN echo hi\n', 'Dockerfile.dev': '# dev\nFROM busybox\nCOPY a \\\n  b\nRUNN echo hi\n' });
  const r = await build(dir);
  assert.equal(r.code, 1);
  // (After docker's notice that the legacy builder is deprecated.)
  assert.match(r.stderr, /\nError response from daemon: dockerfile parse error line 2: unknown instruction: RUNN \(did you mean RUN\?\)\n$/);
  const api = await apiBuild('dockerfile=Dockerfile.dev', tarOf(dir));
  assert.equal(api.status, 400);
  assert.deepEqual(JSON.parse(api.body), {
    message: 'dockerfile parse error line 5: unknown instruction: RUNN (did you mean RUN?)',
    dockerfile: { file: 'Dockerfile.dev', line: 5, endLine: 5, start: 1, lines: ['# dev', 'FROM busybox', 'COPY a \\', '  b', 'RUNN echo hi'] },
  });
});

test('an error while a step runs keeps its message; the stream says where in the Dockerfile it was', async () => {
  const dir = context('step-error', { 'Dockerfile.dev': 'FROM busybox\nARG V\nRUN true\nENV X=${V:?missing}\n' });
  const r = await build(dir, ['-f', join(dir, 'Dockerfile.dev')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\nfailed to process "\$\{V:\?missing\}": V: missing\n$/);
  const api = await apiBuild('dockerfile=Dockerfile.dev', tarOf(dir));
  const failed = api.messages.find((m) => m.errorDetail);
  assert.equal(failed.error, 'failed to process "${V:?missing}": V: missing');
  assert.deepEqual(failed.errorDetail, {
    message: 'failed to process "${V:?missing}": V: missing',
    dockerfile: { file: 'Dockerfile.dev', line: 4, endLine: 4, start: 1, lines: ['FROM busybox', 'ARG V', 'RUN true', 'ENV X=${V:?missing}'] },
  });
});

test('gzip, bzip2 and xz-compressed contexts (POST /build)', async () => {
  const dir = context('gzip', { Dockerfile: 'FROM busybox\nCOPY data.txt /\n', 'data.txt': 'zipped\n' });
  // Earlier builds' cached intermediate images are listed by -a; these builds must add none.
  const dangling = await docker(['images', '-qa', '--filter', 'dangling=true']);
  for (const [flag, name] of [['-z', 'gzip'], ['-j', 'bzip2'], ['-J', 'xz']]) {
    const r = await apiBuild(`t=${name}:1`, tarOf(dir, flag));
    assert.equal(r.status, 200);
    assert.ok(r.messages.some((m) => m.aux?.ID), r.body);
    assert.equal(await docker(['run', '--rm', `${name}:1`, 'cat', '/data.txt']), 'zipped\n');
    await rmi(`${name}:1`);
  }
  assert.equal(await docker(['images', '-qa', '--filter', 'dangling=true']), dangling);
});

test('a base image that is not here is pulled from its registry; --pull pulls it again; COPY --from an image pulls too', async () => {
  const reg = new TestRegistry();
  await reg.start();
  try {
    const base = `${reg.host}/base:1`;
    await docker(['tag', 'busybox', base]);
    await docker(['push', base]);
    await docker(['rmi', base]);
    const dir = context('pull-base', { Dockerfile: `FROM ${base}\nCOPY --from=${reg.host}/tools:1 /tool /tool\nRUN cat /tool\n` });
    await docker(['tag', 'busybox', `${reg.host}/tools:1`]);
    // tools:1 gets a file of its own, so that COPY --from has something to take.
    const tool = context('pull-tool', { Dockerfile: 'FROM busybox\nRUN echo from-the-registry > /tool\n' });
    await built(tool, ['-t', `${reg.host}/tools:1`]);
    await docker(['push', `${reg.host}/tools:1`]);
    await docker(['rmi', `${reg.host}/tools:1`]);
    const first = await built(dir, ['-t', 'pulled:1']);
    assert.match(first, new RegExp(`Step 1/3 : FROM ${reg.host}/base:1\\n1: Pulling from base\\n`));
    assert.match(first, /Status: Downloaded newer image for .*\/tools:1/);
    assert.match(first, /from-the-registry/);
    const again = await built(dir, ['--pull', '-t', 'pulled:2']);
    assert.match(again, /Status: Image is up to date for .*\/base:1/);
    assert.match(again, /Using cache/);
    await rmi('pulled:1', 'pulled:2', base, `${reg.host}/tools:1`);
  } finally {
    await reg.stop();
  }
});
