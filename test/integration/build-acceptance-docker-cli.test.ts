// The builder's acceptance through `DOCKER_BUILDKIT=0 docker build` (and
// docker-compose) against a test berthd: a C program compiled in a Debian
// stage (a bookworm rootfs made with mmdebstrap) and copied into busybox; a
// 5 MB stage of which two files are copied `--from=0`; ONBUILD across three
// generations; every instruction's effect in one image, read back with
// `docker inspect` and `docker history`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, TestDaemon } from '../helpers/daemon.ts';
import { buildHelpers } from '../helpers/build.ts';
import { importDebian } from '../helpers/debian.ts';
import { tarOf } from '../unit/storage-helpers.ts';

const d = TestDaemon.forFile();
const { context, build, built, docker } = buildHelpers(d, 'berth-build-acceptance-');

const inspect = async (ref: string): Promise<any> => JSON.parse(await docker(['inspect', ref]))[0];
/** `docker history`, newest first: each entry's created_by and size in bytes. */
const history = async (ref: string): Promise<{ createdBy: string; size: number }[]> =>
  (await docker(['history', '--no-trunc', '--human=false', '--format', '{{.Size}}\t{{.CreatedBy}}', ref])).split('\n').filter(Boolean)
    .map((l) => ({ size: Number(l.slice(0, l.indexOf('\t'))), createdBy: l.slice(l.indexOf('\t') + 1) }));
const createdBy = async (ref: string): Promise<string[]> => (await history(ref)).map((h) => h.createdBy);
const imageIds = async (): Promise<string[]> => (await docker(['images', '-qa', '--no-trunc'])).trim().split('\n').filter(Boolean).sort();

/** Removes `refs` and what their builds left dangling; the images are as they were before the test. */
async function removeImages(before: string[], ...refs: string[]): Promise<void> {
  if (refs.length) await docker(['rmi', ...refs]);
  await docker(['image', 'prune', '-f']);
  assert.deepEqual(await imageIds(), before);
}

test('a C program compiled in a Debian stage runs in a busybox image that holds no compiler', async (t) => {
  const before = await imageIds();
  const debian = await importDebian(d);
  if (debian.madeInSeconds !== null) t.diagnostic(`mmdebstrap made ${debian.path} in ${debian.madeInSeconds.toFixed(1)} s`);
  const dir = context('static-c', {
    'hello.c': [
      '#include <stdio.h>',
      'int main(int argc, char **argv) {',
      '  printf("static hello from gcc %d on Debian, %d args\\n", __GNUC__, argc - 1);',
      '  return 0;',
      '}',
    ].join('\n'),
    Dockerfile: [
      'FROM debian:bookworm AS build',
      'WORKDIR /src',
      'COPY hello.c .',
      'RUN gcc -static -O2 -o hello hello.c && ./hello in-stage',
      'FROM busybox',
      'COPY --from=build /src/hello /usr/local/bin/hello',
      'ENTRYPOINT ["/usr/local/bin/hello"]',
    ].join('\n'),
  });
  const out = await built(dir, ['-t', 'static-hello:1']);
  assert.match(out, /static hello from gcc 12 on Debian, 1 args/);
  assert.equal(await docker(['run', '--rm', 'static-hello:1', 'a', 'b']), 'static hello from gcc 12 on Debian, 2 args\n');

  // Nothing of the Debian stage but the binary: no compiler, no libc, no dynamic loader, no sources.
  const absent = ['/usr/bin/gcc', '/usr/lib/gcc', '/usr/lib/x86_64-linux-gnu/libc.a', '/lib64/ld-linux-x86-64.so.2', '/src', '/etc/debian_version'];
  const probe = await d.docker(['run', '--rm', '--entrypoint', 'sh', 'static-hello:1', '-c', absent.map((p) => `test ! -e ${p}`).join(' && ')]);
  assert.equal(probe.code, 0, `one of ${absent.join(' ')} is in the final image`);
  const [final, busybox, stage] = await Promise.all([inspect('static-hello:1'), inspect('busybox'), inspect('debian:bookworm')]);
  assert.deepEqual(final.RootFS.Layers.slice(0, -1), busybox.RootFS.Layers);
  assert.equal(final.RootFS.Layers.length, busybox.RootFS.Layers.length + 1);
  const grown = final.Size - busybox.Size;
  assert.ok(grown > 100_000 && grown < 4 << 20, `the final image grew by ${grown} bytes (the Debian stage is ${stage.Size})`);
  const h = await createdBy('static-hello:1');
  assert.ok(!h.some((l) => /gcc|hello\.c/.test(l)), h.join('\n'));
  assert.equal(h.length, (await createdBy('busybox')).length + 2);
  await docker(['rmi', 'static-hello:1', 'debian:bookworm']);
  await removeImages(before);
});

test('a stage makes 5 MB of files; only the two copied --from=0 reach the final image', async () => {
  const before = await imageIds();
  const sizes: Record<string, number> = { 'a/blob-1': 512 << 10, 'a/blob-2': 768 << 10, 'b/blob-3': 1024 << 10, 'b/blob-4': 1280 << 10, 'blob-5': 1536 << 10 };
  const dir = context('five-mb', {
    Dockerfile: [
      'FROM busybox',
      `RUN mkdir -p /gen/a /gen/b && cd /gen && ${Object.entries(sizes).map(([f, n]) => `head -c ${n} /dev/urandom > ${f}`).join(' && ')} && sha256sum a/blob-2 b/blob-4`,
      'FROM busybox',
      'COPY --from=0 /gen/a/blob-2 /data/',
      'COPY --from=0 /gen/b/blob-4 /data/renamed-4',
      'CMD ["sha256sum", "/data/blob-2", "/data/renamed-4"]',
    ].join('\n'),
  });
  const out = await built(dir, ['-t', 'five:1']);
  // The sums the stage printed are the final image's files' sums.
  const sums = [...out.matchAll(/^([0-9a-f]{64})  (\S+)$/gm)].map((m) => m[1]);
  assert.equal(sums.length, 2, out);
  assert.equal(await docker(['run', '--rm', 'five:1']), `${sums[0]}  /data/blob-2\n${sums[1]}  /data/renamed-4\n`);

  // The stage's result (left dangling, as moby's classic builder leaves it) holds all 5 MB.
  const [busybox, final] = await Promise.all([inspect('busybox'), inspect('five:1')]);
  const dangling = (await docker(['images', '-q', '--no-trunc', '--filter', 'dangling=true'])).trim().split('\n').filter(Boolean);
  assert.equal(dangling.length, 1);
  const total = Object.values(sizes).reduce((a, b) => a + b);
  assert.equal(total, 5 << 20);
  assert.ok((await inspect(dangling[0]!)).Size - busybox.Size >= total);

  // The final image: the two files and nothing else of the stage, in two layers of their sizes.
  const found = await docker(['run', '--rm', 'five:1', 'find', '/', '-xdev', '-type', 'f', '(', '-name', 'blob-*', '-o', '-name', 'renamed-*', ')']);
  assert.deepEqual(found.trim().split('\n').sort(), ['/data/blob-2', '/data/renamed-4']);
  assert.equal((await d.docker(['run', '--rm', 'five:1', 'test', '-e', '/gen'])).code, 1);
  const copies = (await history('five:1')).filter((e) => / COPY /.test(e.createdBy));
  assert.equal(copies.length, 2, JSON.stringify(copies));
  const slack = 64 << 10;
  // Newest first: renamed-4, then blob-2.
  for (const [entry, size] of [[copies[0]!, sizes['b/blob-4']!], [copies[1]!, sizes['a/blob-2']!]] as const) {
    assert.ok(entry.size >= size && entry.size < size + slack, `${entry.createdBy}: ${entry.size} bytes for a ${size}-byte file`);
  }
  assert.ok(!(await createdBy('five:1')).some((l) => l.includes('urandom')));
  const grown = final.Size - busybox.Size;
  const copied = sizes['a/blob-2']! + sizes['b/blob-4']!;
  assert.ok(grown >= copied && grown < copied + slack, `the final image grew by ${grown} bytes for ${copied} bytes copied`);
  assert.equal(final.RootFS.Layers.length, busybox.RootFS.Layers.length + 2);
  await removeImages(before, 'five:1');
});

test('ONBUILD: the parent records its triggers, a child stage runs them with its own context, a grandchild does not', async () => {
  const before = await imageIds();
  const parent = context('onbuild-acc-parent', {
    Dockerfile: [
      'FROM busybox', 'ENV APP_DIR=/app',
      'ONBUILD COPY src/ $APP_DIR/',
      'ONBUILD RUN echo "built in $APP_DIR" > $APP_DIR/.built && ls $APP_DIR > /listing',
      'LABEL role=parent',
    ].join('\n'),
    'src/parent-only.txt': 'never copied: the trigger reads the child\'s context\n',
  });
  await built(parent, ['-t', 'onbuild-acc:parent']);
  const triggers = ['COPY src/ $APP_DIR/', 'RUN echo "built in $APP_DIR" > $APP_DIR/.built && ls $APP_DIR > /listing'];
  assert.deepEqual((await inspect('onbuild-acc:parent')).Config.OnBuild, triggers);
  const parentHistory = await createdBy('onbuild-acc:parent');
  for (const trigger of triggers) assert.ok(parentHistory.includes(`/bin/sh -c #(nop)  ONBUILD ${trigger}`), parentHistory.join('\n'));
  assert.equal((await d.docker(['run', '--rm', 'onbuild-acc:parent', 'test', '-e', '/app'])).code, 1);

  // In a multi-stage build the triggers run in the stage FROM the parent, right after its FROM.
  const child = context('onbuild-acc-child', {
    Dockerfile: [
      'FROM onbuild-acc:parent AS app', 'RUN cat /app/.built',
      'FROM busybox', 'COPY --from=app /listing /app/.built /out/',
    ].join('\n'),
    'src/one.txt': '1\n', 'src/two.txt': '2\n',
  });
  const childOut = await built(child, ['-t', 'onbuild-acc:child']);
  assert.match(childOut, /# Executing 2 build triggers/);
  assert.match(childOut, /^built in \/app$/m);
  assert.equal(await docker(['run', '--rm', 'onbuild-acc:child', 'cat', '/out/listing', '/out/.built']), 'one.txt\ntwo.txt\nbuilt in /app\n');

  // A single-stage child records the triggers' steps in its history and passes no triggers on.
  const single = context('onbuild-acc-single', { Dockerfile: 'FROM onbuild-acc:parent\nLABEL role=child\n', 'src/x.txt': 'x\n' });
  await built(single, ['-t', 'onbuild-acc:single']);
  const singleImage = await inspect('onbuild-acc:single');
  assert.ok(!singleImage.Config.OnBuild?.length);
  assert.deepEqual(singleImage.Config.Labels, { role: 'child' });
  const singleHistory = await createdBy('onbuild-acc:single');
  assert.equal(singleHistory[0], '/bin/sh -c #(nop)  LABEL role=child');
  assert.equal(singleHistory[1], `/bin/sh -c ${triggers[1]!.slice('RUN '.length)}`);
  assert.match(singleHistory[2]!, /^\/bin\/sh -c #\(nop\) {1,2}COPY dir:[0-9a-f]{64} in \/app\/ $/);
  const grandchild = context('onbuild-acc-grandchild', { Dockerfile: 'FROM onbuild-acc:single\nRUN cat /listing\n' });
  const grandOut = await built(grandchild, ['-t', 'onbuild-acc:grandchild']);
  assert.doesNotMatch(grandOut, /build trigger/);
  assert.equal(await docker(['run', '--rm', 'onbuild-acc:grandchild', 'cat', '/listing']), 'x.txt\n');

  // A failing trigger fails the child's build; chained and FROM triggers are refused at parse time.
  const failing = context('onbuild-acc-failing', { Dockerfile: 'FROM busybox\nONBUILD RUN exit 3\n' });
  await built(failing, ['-t', 'onbuild-acc:failing']);
  writeFileSync(join(child, 'Dockerfile'), 'FROM onbuild-acc:failing\nRUN echo never\n');
  const failed = await build(child);
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /The command '\/bin\/sh -c exit 3' returned a non-zero code: 3/);
  // As moby's without --force-rm, the failed trigger's container stays.
  const left = (await docker(['ps', '-aq'])).split('\n').filter(Boolean);
  assert.equal(left.length, 1);
  await docker(['rm', ...left]);
  for (const [trigger, message] of [['ONBUILD RUN true', /Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed/], ['FROM busybox', /FROM isn't allowed as an ONBUILD trigger/]] as const) {
    writeFileSync(join(child, 'Dockerfile'), `FROM busybox\nONBUILD ${trigger}\n`);
    const r = await build(child);
    assert.equal(r.code, 1);
    assert.match(r.stderr, message);
  }
  await removeImages(before, 'onbuild-acc:grandchild', 'onbuild-acc:single', 'onbuild-acc:child', 'onbuild-acc:failing', 'onbuild-acc:parent');
});

/** One Dockerfile with every instruction; what each does is checked in the one image it makes. */
async function everyInstructionContext(name: string): Promise<string> {
  return context(name, {
    Dockerfile: [
      'ARG BASE=busybox',
      'FROM ${BASE}',
      'ARG VERSION=1.0',
      'LABEL org.opencontainers.image.version=$VERSION org.example.name="acceptance app"',
      'ENV APP_HOME=/srv/app GREETING="hello acceptance"',
      'WORKDIR $APP_HOME',
      'ADD bundle.tar /opt/',
      'COPY conf/ conf/',
      'RUN echo "$GREETING $VERSION" > built.txt && chown -R 33:33 /srv/app',
      'EXPOSE 8080 9090/udp',
      'VOLUME ["/srv/app/data"]',
      'USER www-data',
      'STOPSIGNAL SIGUSR1',
      'HEALTHCHECK --interval=5s --timeout=2s --start-period=1s --retries=4 CMD ["cat", "/srv/app/built.txt"]',
      'ONBUILD RUN echo child-step',
      'SHELL ["/bin/sh", "-ec"]',
      'RUN case $- in *e*) echo errexit on;; *) echo errexit off;; esac > /tmp/shell.txt',
      'ENTRYPOINT ["/bin/cat"]',
      'CMD ["built.txt", "conf/app.conf", "/opt/bundle/readme.txt"]',
    ].join('\n'),
    'bundle.tar': await tarOf([
      { name: 'bundle/', type: 'directory', mode: 0o755 },
      { name: 'bundle/readme.txt', content: 'from the tar\n', mode: 0o644 },
    ]),
    'conf/app.conf': 'port=8080\n',
  });
}

test('every instruction\'s effect, read back from one image with docker inspect and docker history', async () => {
  const before = await imageIds();
  await built(await everyInstructionContext('every'), ['-t', 'every:1']);
  const [image, busybox] = await Promise.all([inspect('every:1'), inspect('busybox')]);
  const c = image.Config;
  // FROM (through ARG before FROM): busybox's layers and history come first.
  assert.deepEqual(image.RootFS.Layers.slice(0, busybox.RootFS.Layers.length), busybox.RootFS.Layers);
  // ADD, COPY, WORKDIR and the two RUNs add layers; the other instructions none.
  assert.equal(image.RootFS.Layers.length, busybox.RootFS.Layers.length + 5);
  assert.deepEqual(c.Labels, { 'org.opencontainers.image.version': '1.0', 'org.example.name': 'acceptance app' });
  assert.ok(c.Env.includes('APP_HOME=/srv/app'), c.Env);
  assert.ok(c.Env.includes('GREETING=hello acceptance'), c.Env);
  assert.ok(!c.Env.some((e: string) => e.startsWith('VERSION=') || e.startsWith('BASE=')), c.Env);
  assert.equal(c.WorkingDir, '/srv/app');
  assert.deepEqual(c.ExposedPorts, { '8080/tcp': {}, '9090/udp': {} });
  assert.deepEqual(c.Volumes, { '/srv/app/data': {} });
  assert.equal(c.User, 'www-data');
  assert.equal(c.StopSignal, 'SIGUSR1');
  assert.deepEqual(c.Healthcheck, { Test: ['CMD', 'cat', '/srv/app/built.txt'], Interval: 5e9, Timeout: 2e9, StartPeriod: 1e9, Retries: 4 });
  assert.deepEqual(c.OnBuild, ['RUN echo child-step']);
  assert.deepEqual(c.Shell, ['/bin/sh', '-ec']);
  assert.deepEqual(c.Entrypoint, ['/bin/cat']);
  assert.deepEqual(c.Cmd, ['built.txt', 'conf/app.conf', '/opt/bundle/readme.txt']);

  // Running it: WORKDIR, RUN (with ARG and ENV), COPY, ADD (unpacked), ENTRYPOINT + CMD, USER and SHELL.
  assert.equal(await docker(['run', '--rm', 'every:1']), 'hello acceptance 1.0\nport=8080\nfrom the tar\n');
  assert.equal(await docker(['run', '--rm', '--entrypoint', 'id', 'every:1', '-un']), 'www-data\n');
  assert.equal(await docker(['run', '--rm', 'every:1', '/tmp/shell.txt']), 'errexit on\n');
  assert.equal(await docker(['run', '--rm', '--entrypoint', 'stat', 'every:1', '-c', '%n %u', '/srv/app/built.txt', '/srv/app/conf/app.conf', '/opt/bundle/readme.txt']),
    '/srv/app/built.txt 33\n/srv/app/conf/app.conf 33\n/opt/bundle/readme.txt 0\n');

  // The history: one entry per instruction after FROM, newest first, as moby 20.10 writes them.
  const h = await createdBy('every:1');
  const own = h.slice(0, h.length - (await createdBy('busybox')).length);
  const expected: (string | RegExp)[] = [
    '/bin/sh -ec #(nop)  CMD ["built.txt" "conf/app.conf" "/opt/bundle/readme.txt"]',
    '/bin/sh -ec #(nop)  ENTRYPOINT ["/bin/cat"]',
    '|1 VERSION=1.0 /bin/sh -ec case $- in *e*) echo errexit on;; *) echo errexit off;; esac > /tmp/shell.txt',
    '/bin/sh -ec #(nop)  SHELL [/bin/sh -ec]',
    '/bin/sh -c #(nop)  ONBUILD RUN echo child-step',
    '/bin/sh -c #(nop)  HEALTHCHECK &{["CMD" "cat" "/srv/app/built.txt"] "5s" "2s" "1s" \'\\x04\'}',
    '/bin/sh -c #(nop)  STOPSIGNAL SIGUSR1',
    '/bin/sh -c #(nop)  USER www-data',
    '/bin/sh -c #(nop)  VOLUME [/srv/app/data]',
    '/bin/sh -c #(nop)  EXPOSE 8080 9090/udp',
    '|1 VERSION=1.0 /bin/sh -c echo "$GREETING $VERSION" > built.txt && chown -R 33:33 /srv/app',
    /^\/bin\/sh -c #\(nop\) {1,2}COPY dir:[0-9a-f]{64} in conf\/ $/,
    /^\/bin\/sh -c #\(nop\) {1,2}ADD file:[0-9a-f]{64} in \/opt\/ $/,
    /^\/bin\/sh -c #\(nop\) {1,2}WORKDIR \/srv\/app$/,
    '/bin/sh -c #(nop)  ENV APP_HOME=/srv/app GREETING=hello acceptance',
    '/bin/sh -c #(nop)  LABEL org.opencontainers.image.version=1.0 org.example.name=acceptance app',
    '/bin/sh -c #(nop)  ARG VERSION=1.0',
  ];
  assert.equal(own.length, expected.length, own.join('\n'));
  expected.forEach((e, i) => (typeof e === 'string' ? assert.equal(own[i], e) : assert.match(own[i]!, e)));
  await removeImages(before, 'every:1');
});

test('as moby: a stage FROM an image without PATH gets the default PATH in its Env', async () => {
  const before = await imageIds();
  try {
    const dir = context('default-path', { Dockerfile: 'FROM busybox\nENV PATH=/opt/bin:$PATH EXTRA=1\n' });
    await built(dir, ['-t', 'default-path:1']);
    assert.deepEqual((await inspect('default-path:1')).Config.Env, ['PATH=/opt/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'EXTRA=1']);
  } finally {
    await removeImages(before, 'default-path:1');
  }
});

test('as moby: WORKDIR, COPY and ADD history have one space after #(nop) and name the content by its hash', async () => {
  const before = await imageIds();
  try {
    await built(await everyInstructionContext('every-hash'), ['-t', 'every-hash:1']);
    const h = await createdBy('every-hash:1');
    assert.ok(h.includes('/bin/sh -c #(nop) WORKDIR /srv/app'), h.join('\n'));
    assert.ok(h.some((l) => /^\/bin\/sh -c #\(nop\) ADD file:[0-9a-f]{64} in \/opt\/ $/.test(l)), h.join('\n'));
    assert.ok(h.some((l) => /^\/bin\/sh -c #\(nop\) COPY dir:[0-9a-f]{64} in conf\/ $/.test(l)), h.join('\n'));
  } finally {
    await removeImages(before, 'every-hash:1');
  }
});

test('docker-compose build: a service with build: . and an image name is built through berthd', { skip: !existsSync('/usr/bin/docker-compose') && 'docker-compose is not installed (make deps installs it)' }, async () => {
  const before = await imageIds();
  const dir = context('compose', {
    'docker-compose.yml': 'version: "3.8"\nservices:\n  web:\n    build: .\n    image: acc-compose:1\n',
    Dockerfile: 'FROM busybox\nCOPY message.txt /\nCMD ["cat", "/message.txt"]\n',
    'message.txt': 'built by docker-compose\n',
  });
  const env = { ...d.env, COMPOSE_DOCKER_CLI_BUILD: '0', DOCKER_BUILDKIT: '0' };
  const r = await run('docker-compose', ['-f', join(dir, 'docker-compose.yml'), '-p', 'acceptance', 'build', '--no-cache'], { env, timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /Successfully tagged acc-compose:1/);
  assert.equal(await docker(['run', '--rm', 'acc-compose:1']), 'built by docker-compose\n');
  await removeImages(before, 'acc-compose:1');
});
