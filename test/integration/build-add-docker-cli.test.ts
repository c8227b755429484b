// ADD's auto-extraction of local tar archives (plain, gzip, bzip2, xz) and
// heredocs in RUN and COPY, through `DOCKER_BUILDKIT=0 docker build`,
// checked by running the results. The archives are made here with
// tar-stream (the unit tests' tarOf), zlib and the bzip2/xz tools.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TestDaemon } from '../helpers/daemon.ts';
import { buildHelpers } from '../helpers/build.ts';
import { tarOf, type TarEntry } from '../unit/storage-helpers.ts';

const d = TestDaemon.forFile();
const { context, build, built, docker } = buildHelpers(d, 'berth-build-add-');

type Entry = TarEntry;

const MTIME = new Date('2020-01-02T03:04:05Z');
const APP: Entry[] = [
  { name: 'app/', type: 'directory', mode: 0o750, mtime: MTIME },
  { name: 'app/run.sh', content: '#!/bin/sh\necho ran\n', mode: 0o755, mtime: MTIME },
  { name: 'app/data.txt', content: 'data\n', mode: 0o640, uid: 1234, gid: 2345, mtime: MTIME },
  { name: 'app/link', type: 'symlink', linkname: 'run.sh', mode: 0o777, mtime: MTIME },
];

test('ADD extracts plain, gzip, bzip2 and xz tars with modes, owners and symlinks; other files are copied as they are', async () => {
  const plain = await tarOf(APP);
  const dir = context('add', {
    'plain.tar': plain,
    'app.tar.gz': gzipSync(plain),
    'app.tar.bz2': execFileSync('bzip2', ['-c'], { input: plain }),
    'app.tar.xz': execFileSync('xz', ['-c'], { input: plain }),
    // Compressed, but not a tar: copied as is, still compressed.
    'notes.gz': gzipSync('just text\n'),
    'notes.xz': execFileSync('xz', ['-c'], { input: 'xz text\n' }),
    Dockerfile: [
      'FROM busybox',
      'ADD plain.tar /plain/',
      // No trailing slash and missing: the destination is created as the directory.
      'ADD app.tar.gz /gz',
      'ADD app.tar.bz2 /bz/',
      'WORKDIR /work',
      'ADD app.tar.xz xz/',
      'ADD notes.gz notes.xz /raw/',
      // COPY never extracts.
      'COPY plain.tar /copied/',
    ].join('\n'),
  });
  await built(dir, ['-t', 'add:1']);
  for (const root of ['/plain', '/gz', '/bz', '/work/xz']) {
    const out = await docker(['run', '--rm', 'add:1', 'sh', '-c',
      `cd ${root} && stat -c '%n %u:%g %a %F' app app/run.sh app/data.txt && readlink app/link && ./app/link && cat app/data.txt`]);
    assert.equal(out, [
      'app 0:0 750 directory', 'app/run.sh 0:0 755 regular file', 'app/data.txt 1234:2345 640 regular file',
      'run.sh', 'ran', 'data', '',
    ].join('\n'), root);
  }
  assert.equal(await docker(['run', '--rm', 'add:1', 'sh', '-c', 'ls /raw && zcat /raw/notes.gz && ls /copied']),
    'notes.gz\nnotes.xz\njust text\nplain.tar\n');
  await docker(['rmi', 'add:1']);
});

test('an archive cannot write outside the destination: absolute symlinks stay inside, ../ entries and climbing links fail', async () => {
  const abs = await tarOf([
    { name: 'abs', type: 'symlink', linkname: '/etc', mtime: MTIME },
    { name: 'abs/escaped', content: 'inside\n', mtime: MTIME },
    { name: 'deep/', type: 'directory', mtime: MTIME },
    { name: 'deep/root', type: 'symlink', linkname: '/', mtime: MTIME },
    { name: 'deep/root/bin/escaped', content: 'inside too\n', mtime: MTIME },
  ]);
  const dir = context('escape', {
    'abs.tar': abs,
    'dotdot.tar.gz': gzipSync(await tarOf([{ name: 'ok.txt', content: 'ok' }, { name: '../outside.txt', content: 'out', mtime: MTIME }])),
    'climb.tar': await tarOf([{ name: 'up', type: 'symlink', linkname: '../../..', mtime: MTIME }]),
    Dockerfile: 'FROM busybox\nADD abs.tar /dest/\n',
  });
  await built(dir, ['-t', 'escape:1']);
  assert.equal(await docker(['run', '--rm', 'escape:1', 'sh', '-c',
    'cat /dest/etc/escaped /dest/bin/escaped; readlink /dest/abs; ls /etc/escaped /bin/escaped 2>&1 || true']),
  'inside\ninside too\n/etc\nls: /etc/escaped: No such file or directory\nls: /bin/escaped: No such file or directory\n');

  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nADD dotdot.tar.gz /dest/\n');
  const dotdot = await build(dir);
  assert.equal(dotdot.code, 1, dotdot.stdout);
  assert.match(dotdot.stderr, /ADD failed: extracting dotdot\.tar\.gz: .*outside\.txt.*points outside/);
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nADD climb.tar /dest/\n');
  const climb = await build(dir);
  assert.equal(climb.code, 1, climb.stdout);
  assert.match(climb.stderr, /ADD failed: extracting climb\.tar: .*invalid symlink "up"/);
  await docker(['rmi', 'escape:1']);
});

test('RUN heredocs: a script for the shell, a #! script, a command that reads them, several in one line', async () => {
  const dir = context('run-heredoc', {
    Dockerfile: [
      'FROM busybox',
      'ARG NAME=world',
      'RUN <<EOF',
      'echo "hello $NAME" > /greeting',
      'echo second line >> /greeting',
      'EOF',
      'RUN <<EOF',
      '#!/bin/sh',
      'echo "script at $0" > /script.txt',
      'EOF',
      'RUN <<EOF sh',
      'echo via-sh > /via-sh',
      'EOF',
      'RUN cat <<A > /a.txt && cat <<-B > /b.txt',
      'first $NAME',
      'A',
      '\tsecond',
      '\tB',
      "RUN <<-'EOT'",
      '\techo "tabs stripped" > /tabs',
      '\tEOT',
    ].join('\n'),
  });
  await built(dir, ['-t', 'runheredoc:1']);
  assert.equal(await docker(['run', '--rm', 'runheredoc:1', 'cat', '/greeting', '/script.txt', '/via-sh', '/a.txt', '/b.txt', '/tabs']), [
    'hello world', 'second line', 'script at /dev/pipes/EOF', 'via-sh', 'first world', 'second', 'tabs stripped', '',
  ].join('\n'));
  await docker(['rmi', 'runheredoc:1']);
});

test('COPY heredocs: files with expansion, quoted terminators literal, <<- strips tabs, into a directory', async () => {
  const dir = context('copy-heredoc', {
    Dockerfile: [
      'FROM busybox',
      'ARG NAME=world',
      'ENV MODE=prod',
      'COPY <<EOF /etc/app.conf',
      'name=$NAME',
      'mode=${MODE}',
      'quoted="kept" \'too\'',
      'EOF',
      "COPY <<'EOF' /raw.txt",
      'name=$NAME',
      'EOF',
      'COPY <<-EOF /tabs.txt',
      '\tindented',
      '\tEOF',
      'COPY --chmod=0600 <<one <<two /many/',
      'first',
      'one',
      'second',
      'two',
    ].join('\n'),
  });
  await built(dir, ['-t', 'copyheredoc:1']);
  assert.equal(await docker(['run', '--rm', 'copyheredoc:1', 'cat', '/etc/app.conf', '/raw.txt', '/tabs.txt', '/many/one', '/many/two']), [
    'name=world', 'mode=prod', 'quoted="kept" \'too\'', 'name=$NAME', 'indented', 'first', 'second', '',
  ].join('\n'));
  assert.equal(await docker(['run', '--rm', 'copyheredoc:1', 'stat', '-c', '%n %a', '/etc/app.conf', '/many/one']),
    '/etc/app.conf 644\n/many/one 600\n');
  await docker(['rmi', 'copyheredoc:1']);
});

test('ADD from a URL: named by the path, mode 600, the server\'s time; the content decides the cache; COPY refuses URLs', async () => {
  let body = 'first version\n';
  const server = createServer((req, res) => {
    if (req.url === '/files/data.txt') {
      res.writeHead(200, { 'Last-Modified': 'Tue, 02 Jan 2018 03:04:05 GMT' });
      res.end(body);
    } else {
      res.writeHead(404);
      res.end('missing');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const dir = context('add-url', { Dockerfile: `FROM busybox\nADD ${base}/files/data.txt /dl/\nADD ${base}/files/data.txt /renamed.txt\n` });
    await built(dir, ['-t', 'addurl:1']);
    assert.equal(await docker(['run', '--rm', 'addurl:1', 'stat', '-c', '%n %a %u:%g %Y', '/dl/data.txt', '/renamed.txt']),
      `/dl/data.txt 600 0:0 1514862245\n/renamed.txt 600 0:0 1514862245\n`);
    assert.equal(await docker(['run', '--rm', 'addurl:1', 'cat', '/dl/data.txt']), 'first version\n');
    // Same content: cached. New content: the step runs again.
    assert.match(await built(dir, ['-t', 'addurl:2']), /Step 2\/3 : ADD .*\n ---> Using cache/);
    body = 'second version\n';
    const rebuilt = await built(dir, ['-t', 'addurl:3']);
    assert.doesNotMatch(rebuilt, /Step 2\/3 : ADD [^\n]*\n ---> Using cache/);
    assert.equal(await docker(['run', '--rm', 'addurl:3', 'cat', '/renamed.txt']), 'second version\n');

    writeFileSync(join(dir, 'Dockerfile'), `FROM busybox\nADD ${base}/nothing/here.txt /\n`);
    const missing = await build(dir);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr + missing.stdout, /404/);
    writeFileSync(join(dir, 'Dockerfile'), `FROM busybox\nCOPY ${base}/files/data.txt /\n`);
    const copy = await build(dir);
    assert.equal(copy.code, 1);
    assert.match(copy.stderr + copy.stdout, /source can't be a URL for COPY/);
    await docker(['rmi', 'addurl:1', 'addurl:2', 'addurl:3']);
  } finally {
    await new Promise((r) => server.close(r));
  }
});
