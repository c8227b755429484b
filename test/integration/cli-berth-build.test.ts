// berth build against a real berthd, side by side with `DOCKER_BUILDKIT=0
// docker build` on the same daemon: the same output, exit codes and image
// IDs (a build one CLI made is a cached rebuild for the other), and what
// only berth has: -o exports, --secret, --no-cache-filter, --cache-to and
// --cache-from type=local.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { BERTH, DOCKER, TestDaemon, run, type RunResult } from '../helpers/daemon.ts';
import { buildHelpers } from '../helpers/build.ts';
import { TestRegistry } from '../helpers/registry.ts';
import { readTar, tarOf } from '../unit/storage-helpers.ts';

const d = TestDaemon.forFile();
const { work, context } = buildHelpers(d, 'berth-cli-build-');

type Cli = 'berth' | 'docker';
interface Opts {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
}

/** One CLI's `args`, the classic builder chosen for docker. */
function cli(which: Cli, args: string[], opts: Opts = {}): Promise<RunResult> {
  return run(which === 'berth' ? BERTH : DOCKER, args, { env: { ...d.env, DOCKER_BUILDKIT: '0', ...opts.env }, input: opts.input, timeoutMs: 120_000 });
}

const DEPRECATION = /^DEPRECATED: The legacy builder is deprecated[^]*?environment-variable\.\n\n/;

/** docker's output as berth's reads: its deprecation notice gone, its names for itself and its daemon berth's, no URL contexts. */
function asBerth(r: RunResult): RunResult {
  const rename = (s: string): string =>
    s.replace(DEPRECATION, '').replaceAll('Docker daemon', 'berth daemon').replace(/\bdocker\b/g, 'berth').replaceAll('PATH | URL | -', 'PATH | -');
  return { code: r.code, stdout: rename(r.stdout), stderr: rename(r.stderr) };
}

/** RUN containers have IDs of their own in each build. */
function masked(r: RunResult): RunResult {
  const mask = (s: string): string => s.replace(/(Running in|Removing intermediate container) [0-9a-f]{12}/g, '$1 <id>');
  return { code: r.code, stdout: mask(r.stdout), stderr: mask(r.stderr) };
}

/** Runs `args` with both CLIs (berth first) and checks they agree. */
async function same(args: string[], opts: Opts = {}): Promise<RunResult> {
  const berth = await cli('berth', args, opts);
  const docker = await cli('docker', args, opts);
  assert.deepEqual(masked(berth), masked(asBerth(docker)), `berth vs docker: ${args.join(' ')}`);
  return berth;
}

async function ok(which: Cli, args: string[], opts: Opts = {}): Promise<string> {
  const r = await cli(which, args, opts);
  assert.equal(r.code, 0, `${which} ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** stdout as bytes (a tar), stderr as text. */
function raw(args: string[]): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(BERTH, args, { env: { ...d.env, DOCKER_BUILDKIT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr }));
  });
}

const rmi = (...refs: string[]): Promise<string> => ok('berth', ['rmi', ...refs]);
const inImage = (ref: string, ...cmd: string[]): Promise<string> => ok('berth', ['run', '--rm', ref, ...cmd]);

/**
 * Checks nothing -o or a failed build could have left (containers,
 * volumes) but the `failedSteps` containers of failed RUNs (kept, as
 * moby's are without --force-rm, and removed here), then drops the build
 * cache and dangling images, so that the test leaves only the busybox
 * image it found.
 */
async function nothingLeft(failedSteps = 0): Promise<void> {
  const left = (await ok('berth', ['ps', '-aq', '--filter', 'status=exited'])).split('\n').filter(Boolean);
  assert.equal(left.length, failedSteps);
  if (left.length > 0) await ok('berth', ['rm', ...left]);
  assert.equal(await ok('berth', ['ps', '-aq']), '');
  assert.equal(await ok('berth', ['volume', 'ls', '-q']), '');
  assert.equal((await d.api('POST', '/build/prune?all=1')).status, 200);
  // Step images a --no-cache rebuild replaced in the cache are no longer its to drop.
  await ok('berth', ['image', 'prune', '-f']);
  assert.equal(await ok('berth', ['images', '-a', '--format', '{{.Repository}}:{{.Tag}}']), 'busybox:latest\n');
}

/** The flags berth has beyond docker's classic build, each with its wrapped help lines. */
function withoutBerthFlags(help: string): string {
  const lines = help.split('\n');
  const out: string[] = [];
  let skipping = false;
  for (const line of lines) {
    if (/^\s+(-o, )?--(cache-to|no-cache-filter|output|progress|secret) /.test(line)) skipping = true;
    else if (!/^ {20,}\S/.test(line)) skipping = false;
    if (!skipping) out.push(line);
  }
  return out.join('\n');
}

/** The Aliases line lists the same paths; berth's order is its command table's. */
const sortedAliases = (help: string): string => help.replace(/(Aliases:\n {2})(.*)/, (_m, head: string, list: string) => head + list.split(', ').sort().join(', '));

test('help and usage errors match docker\'s', async () => {
  for (const path of [['build'], ['image', 'build'], ['builder', 'build']]) {
    const berth = await cli('berth', [...path, '--help']);
    const docker = asBerth(await cli('docker', [...path, '--help']));
    assert.equal(berth.code, 0);
    assert.equal(sortedAliases(withoutBerthFlags(berth.stdout)), sortedAliases(docker.stdout), path.join(' '));
    assert.match(berth.stdout, /\n {2}-o, --output list {13}Output destination \(format:\n/);
  }
  const dir = context('usage', { Dockerfile: 'FROM busybox\n' });
  await same(['build']);
  await same(['build', dir, dir]);
  await same(['build', '-t', 'Bad', dir]);
  await same(['build', '-t', 'a:b:c', dir]);
  await same(['build', '--build-arg', '=x', dir]);
  await same(['build', '--label', '=x', dir]);
  await same(['build', '-m', 'lots', dir]);
  await same(['build', '--bogus', dir]);
  await same(['build', join(work, 'no-such-dir')]);
  await same(['build', '-f', join(work, 'no-such-Dockerfile'), dir]);
  await same(['build', join(dir, 'Dockerfile')]);
  await same(['build', '-f', '-', '-'], { input: 'FROM busybox\n' });
  const noDockerfile = context('no-dockerfile', { 'a.txt': 'a' });
  await same(['build', noDockerfile]);
  await nothingLeft();
});

test('a build prints what docker\'s prints; the rebuild is cached with the same ID, tags, labels and build args', async () => {
  const dir = context('basic', {
    Dockerfile: 'FROM busybox\nARG FROM_ENV\nARG GIVEN=default\nCOPY app.txt /app/\nRUN echo "$FROM_ENV $GIVEN" > /app/args\nLABEL stage=basic\n',
    'app.txt': 'app\n',
  });
  const args = ['build', '-t', 'basic:1', '-t', 'basic:2', '-t', 'other/basic', '--label', 'by=test', '--build-arg', 'FROM_ENV', '--build-arg', 'GIVEN=given', dir];
  const env = { FROM_ENV: 'from-env' };
  try {
    const first = await ok('berth', args, { env });
    assert.match(first, /^Sending build context to berth daemon  3\.072kB\r\r\nStep 1\/6 : FROM busybox\n/);
    assert.match(first, /Step 5\/6 : RUN echo "\$FROM_ENV \$GIVEN" > \/app\/args\n ---> Running in [0-9a-f]{12}\n/);
    assert.match(first, /Successfully built [0-9a-f]{12}\nSuccessfully tagged basic:1\nSuccessfully tagged basic:2\nSuccessfully tagged other\/basic:latest\n$/);
    const cached = await same(args, { env });
    assert.doesNotMatch(cached.stdout, /Running in/);
    const id = (await ok('berth', [...args.slice(0, 1), '-q', ...args.slice(1)], { env })).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal((await ok('docker', [...args.slice(0, 1), '-q', ...args.slice(1)], { env })).trim(), id);
    for (const ref of ['basic:1', 'basic:2', 'other/basic:latest']) assert.equal((await ok('berth', ['inspect', '-f', '{{.Id}}', ref])).trim(), id);
    assert.equal(await ok('berth', ['inspect', '-f', '{{json .Config.Labels}}', id]), '{"by":"test","stage":"basic"}\n');
    assert.equal(await inImage('basic:1', 'cat', '/app/args'), 'from-env given\n');
    // The same build under its other names.
    for (const path of [['image', 'build'], ['builder', 'build']]) assert.equal((await ok('berth', [...path, '-q', ...args.slice(1)], { env })).trim(), id);
  } finally {
    await rmi('basic:1', 'basic:2', 'other/basic');
  }
  await nothingLeft();
});

test('-q prints only the ID; --iidfile gets it (with -q, as docker writes it, with its newline)', async () => {
  const dir = context('quiet', { Dockerfile: 'FROM busybox\nRUN echo quiet > /q\n' });
  const [bFile, kFile] = [join(work, 'iid-berth'), join(work, 'iid-docker')];
  await ok('docker', ['build', dir]);
  const b = await same(['build', '-q', dir]);
  assert.match(b.stdout, /^sha256:[0-9a-f]{64}\n$/);
  await ok('berth', ['build', '--iidfile', bFile, dir]);
  await ok('docker', ['build', '--iidfile', kFile, dir]);
  assert.equal(readFileSync(bFile, 'utf8'), b.stdout.trim());
  assert.equal(readFileSync(bFile, 'utf8'), readFileSync(kFile, 'utf8'));
  assert.equal(await ok('berth', ['build', '-q', '--iidfile', bFile, dir]), b.stdout);
  await ok('docker', ['build', '-q', '--iidfile', kFile, dir]);
  assert.equal(readFileSync(bFile, 'utf8'), b.stdout);
  assert.equal(readFileSync(bFile, 'utf8'), readFileSync(kFile, 'utf8'));
  // A failed build leaves no stale ID behind.
  const failing = context('quiet-fail', { Dockerfile: 'FROM busybox\nRUN exit 7\n' });
  assert.equal((await cli('berth', ['build', '-q', '--iidfile', bFile, failing])).code, 1);
  assert.ok(!existsSync(bFile));
  await rmi(b.stdout.trim());
  await nothingLeft(1);
});

test('--target builds the stages it needs, as docker does; an unknown one fails the same way', async () => {
  const dir = context('target', {
    Dockerfile: 'FROM busybox AS base\nRUN echo base > /base\nFROM base AS mid\nRUN echo mid > /mid\nFROM busybox\nCOPY --from=mid /mid /mid\nRUN false\n',
  });
  await ok('docker', ['build', '--target', 'mid', dir]);
  const r = await same(['build', '--target', 'mid', '-t', 'target:mid', dir]);
  assert.doesNotMatch(r.stdout, /RUN false/);
  assert.equal(await inImage('target:mid', 'cat', '/base', '/mid'), 'base\nmid\n');
  await same(['build', '--target', 'nope', dir]);
  await same(['build', '-q', '--target', 'nope', dir]);
  await rmi('target:mid');
  await nothingLeft();
});

test('failures: a failing RUN, a missing COPY source, a parse error; same messages, exit codes and streams as docker', async () => {
  const cases = {
    run: 'FROM busybox\nRUN echo out; echo err >&2; exit 3\n',
    copy: 'FROM busybox\nCOPY missing.txt /x\n',
    parse: 'FROM busybox\nFROBNICATE now\n',
  };
  for (const [name, dockerfile] of Object.entries(cases)) {
    const dir = context(`fail-${name}`, { Dockerfile: dockerfile });
    const r = await same(['build', dir]);
    assert.equal(r.code, 1, name);
    assert.notEqual(r.stderr, '', name);
    await same(['build', '-q', dir]);
  }
  const run = await cli('berth', ['build', context('fail-run', {})]);
  assert.equal(run.stderr, "The command '/bin/sh -c echo out; echo err >&2; exit 3' returned a non-zero code: 3\n");
  assert.match(run.stdout, /\nout\nerr\n/);
  const parse = await cli('berth', ['build', context('fail-parse', {})]);
  assert.equal(parse.stderr, 'Error response from daemon: dockerfile parse error line 2: unknown instruction: FROBNICATE\n');
  assert.equal(parse.stdout, 'Sending build context to berth daemon  2.048kB\r\r\n');
  // Four failed RUNs through `same`, one more here.
  await nothingLeft(5);
});

test('.dockerignore keeps files out of the image but the Dockerfile and itself are sent; the context docker sends is the same', async () => {
  const dir = context('ignore', {
    Dockerfile: 'FROM busybox\nCOPY . /ctx/\n',
    '.dockerignore': 'secret.txt\nlogs\n!logs/keep.log\n*.tmp\n',
    'secret.txt': 'do not send',
    'logs/a.log': 'a',
    'logs/keep.log': 'kept',
    'app/main.c': 'int main;',
    'app/x.tmp': 'tmp',
    'a.tmp': 'tmp',
  });
  const id = (await ok('berth', ['build', '-q', '-t', 'ignore:1', dir])).trim();
  const files = (await inImage('ignore:1', 'find', '/ctx', '-type', 'f')).trim().split('\n').sort();
  assert.deepEqual(files, ['/ctx/.dockerignore', '/ctx/Dockerfile', '/ctx/app/main.c', '/ctx/app/x.tmp', '/ctx/logs/keep.log']);
  // docker's CLI sends the same files (so its build is this one, cached).
  assert.equal((await ok('docker', ['build', '-q', dir])).trim(), id);
  await same(['build', dir]);

  // Ignored by their own patterns, the Dockerfile and .dockerignore still reach the daemon (which then keeps them out of COPY).
  writeFileSync(join(dir, '.dockerignore'), 'secret.txt\nDockerfile\n.dockerignore\n');
  const hidden = (await ok('berth', ['build', '-q', '-t', 'ignore:2', dir])).trim();
  assert.equal((await ok('docker', ['build', '-q', dir])).trim(), hidden);
  assert.equal(await inImage('ignore:2', 'ls', '-A', '/ctx'), 'a.tmp\napp\nlogs\n');

  // <Dockerfile>.dockerignore beside the Dockerfile wins over .dockerignore.
  const own = context('ignore-own', {
    'build.Dockerfile': 'FROM busybox\nCOPY . /ctx/\n',
    'build.Dockerfile.dockerignore': 'b.txt\n*.Dockerfile*\n',
    '.dockerignore': 'a.txt\n',
    'a.txt': 'a',
    'b.txt': 'b',
  });
  await ok('berth', ['build', '-q', '-t', 'ignore:3', '-f', join(own, 'build.Dockerfile'), own]);
  assert.equal(await inImage('ignore:3', 'ls', '-A', '/ctx'), '.dockerignore\na.txt\n');
  await rmi('ignore:1', 'ignore:2', 'ignore:3');
  await nothingLeft();
});

test('-f: a Dockerfile outside the context, or from stdin, goes in under a generated name that COPY never sees', async () => {
  const dir = context('outside-ctx', { 'a.txt': 'a', ignored: 'x', '.dockerignore': 'ignored\n' });
  const dockerfile = join(work, 'outside.Dockerfile');
  writeFileSync(dockerfile, 'FROM busybox\nCOPY . /ctx/\nRUN ls -A /ctx > /listing\n');
  const out = await ok('berth', ['build', '-t', 'outside:1', '-f', dockerfile, dir]);
  assert.match(out, /^Sending build context to berth daemon +\S+\r\r\nStep 1\/3 : FROM busybox\n/);
  // Only the context's files: the Dockerfile's generated name is listed in the .dockerignore sent along.
  assert.equal(await inImage('outside:1', 'cat', '/listing'), '.dockerignore\na.txt\n');
  assert.match(await inImage('outside:1', 'cat', '/ctx/.dockerignore'), /^ignored\n\n\.dockerfile\.[0-9a-f]{20}\n$/);

  const piped = await ok('berth', ['build', '-q', '-t', 'outside:2', '-f', '-', dir], { input: 'FROM busybox\nCOPY a.txt /from-stdin-dockerfile\n' });
  assert.match(piped, /^sha256:/);
  assert.equal(await inImage('outside:2', 'cat', '/from-stdin-dockerfile'), 'a');
  await rmi('outside:1', 'outside:2');
  await nothingLeft();
});

test('-f outside the context through docker itself (its tar stops without the last padding and end blocks)', async () => {
  const dir = context('outside-docker', { 'a.txt': 'a' });
  const dockerfile = join(work, 'outside-docker.Dockerfile');
  writeFileSync(dockerfile, 'FROM busybox\nCOPY a.txt /a\n');
  const r = await cli('docker', ['build', '-q', '-f', dockerfile, dir]);
  assert.equal(r.code, 0, r.stderr);
  await rmi(r.stdout.trim());
  await nothingLeft();
});

test('stdin: a context tar (plain or gzip) or a bare Dockerfile, as docker reads them', async () => {
  const tar = await tarOf([
    { name: 'Dockerfile', content: 'FROM busybox\nCOPY f.txt /f.txt\n', mode: 0o644 },
    { name: 'f.txt', content: 'from the tar\n', mode: 0o644 },
  ]);
  await ok('docker', ['build', '-'], { input: tar });
  const plain = await same(['build', '-'], { input: tar });
  assert.match(plain.stdout, /^Sending build context to berth daemon  3\.072kB\r\r\n/);
  const id = (await ok('berth', ['build', '-q', '-t', 'stdin:1', '-'], { input: tar })).trim();
  assert.equal((await ok('berth', ['build', '-q', '-'], { input: gzipSync(tar) })).trim(), id);
  assert.equal(await inImage('stdin:1', 'cat', '/f.txt'), 'from the tar\n');
  // -f names the Dockerfile inside the tar.
  const named = await tarOf([{ name: 'sub/My.Dockerfile', content: 'FROM busybox\nLABEL named=yes\n' }]);
  const n = (await ok('berth', ['build', '-q', '-f', 'sub/My.Dockerfile', '-'], { input: named })).trim();
  assert.equal(await ok('berth', ['inspect', '-f', '{{.Config.Labels.named}}', n]), 'yes\n');

  const bare = 'FROM busybox\nRUN echo from-stdin > /s\n';
  await ok('docker', ['build', '-'], { input: bare });
  await same(['build', '-'], { input: bare });
  const b = (await ok('berth', ['build', '-q', '-t', 'stdin:2', '-'], { input: bare })).trim();
  assert.equal((await ok('docker', ['build', '-q', '-'], { input: bare })).trim(), b);
  assert.equal(await inImage('stdin:2', 'cat', '/s'), 'from-stdin\n');
  await same(['build', '-'], { input: '' });
  await same(['build', '-'], { input: 'garbage\n' });
  await rmi('stdin:1', 'stdin:2', n);
  await nothingLeft();
});

test('-o type=local and type=tar write the image\'s files as they are in it, and leave no container behind', async () => {
  const dir = context('export', {
    Dockerfile: 'FROM busybox\nCOPY files/ /out/\nRUN ln -s /out/a /out/link && chmod 0750 /out/a && mkdir -p /out/empty && rm /etc/group\nVOLUME /data\n',
    'files/a': 'A',
    'files/sub/b': 'B'.repeat(100_000),
  });
  const id = (await ok('berth', ['build', '-q', dir])).trim();
  // What the image holds, through docker's own create and export.
  const cid = (await ok('docker', ['create', id, 'x'])).trim();
  const exported = await new Promise<Buffer>((resolve, reject) => {
    const child = spawn(DOCKER, ['export', cid], { env: d.env, stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', () => resolve(Buffer.concat(chunks)));
  });
  await ok('docker', ['rm', '-v', cid]);
  const entries = await readTar(Readable.from([exported]));
  assert.ok(entries.some((e) => e.header.name === 'out/sub/b'));

  const dest = join(work, 'exported', 'not', 'yet');
  assert.equal(await ok('berth', ['build', '-q', '-o', `type=local,dest=${dest}`, dir]), `${id}\n`);
  for (const e of entries) {
    const path = join(dest, e.header.name);
    const st = lstatSync(path);
    assert.equal(st.mode & 0o7777, e.header.mode, e.header.name);
    if (e.header.type === 'file') assert.deepEqual(readFileSync(path), e.body, e.header.name);
    if (e.header.type === 'symlink') assert.equal(readlinkSync(path), e.header.linkname, e.header.name);
    if (e.header.type === 'directory') assert.ok(st.isDirectory(), e.header.name);
  }
  assert.ok(!existsSync(join(dest, 'etc/group')));

  const file = join(work, 'exported.tar');
  await ok('berth', ['build', '-q', '-o', `type=tar,dest=${file}`, dir]);
  assert.deepEqual(readFileSync(file), exported);
  const piped = await raw(['build', '-o', '-', dir]);
  assert.equal(piped.code, 0, piped.stderr);
  assert.deepEqual(piped.stdout, exported);
  assert.match(piped.stderr, /^Sending build context to berth daemon .*\r\r\nStep 1\/4 : FROM busybox\n[^]*Successfully built [0-9a-f]{12}\n$/);
  const bad = await cli('berth', ['build', '-o', 'type=image', dir]);
  assert.deepEqual(bad, { code: 1, stdout: '', stderr: 'output type "image" is not supported by berth build: use type=local or type=tar\n' });
  await rmi(id);
  await nothingLeft();
});

test('--no-cache-filter rebuilds only the stages it names', async () => {
  const dir = context('filter', {
    Dockerfile: 'FROM busybox AS base\nRUN echo base > /base\nFROM busybox AS final\nCOPY --from=base /base /base\nRUN echo final > /final\n',
  });
  await ok('berth', ['build', '-q', dir]);
  /** Which steps came from the cache, by step number. */
  const cachedSteps = (out: string): number[] =>
    out.split(/^Step /m).slice(1).filter((s) => s.includes(' ---> Using cache\n')).map((s) => Number(s.split('/')[0]));
  assert.deepEqual(cachedSteps(await ok('berth', ['build', dir])), [2, 4, 5]);
  assert.deepEqual(cachedSteps(await ok('berth', ['build', '--no-cache-filter', 'final', dir])), [2]);
  // A rebuilt stage changes what the stages after it copy from it.
  assert.deepEqual(cachedSteps(await ok('berth', ['build', '--no-cache-filter', 'base', dir])), []);
  assert.deepEqual(cachedSteps(await ok('berth', ['build', '--no-cache-filter', 'base', '--no-cache-filter', 'final', dir])), []);
  await nothingLeft();
});

test('--secret: readable under /run/secrets while RUN runs, never in the image', async () => {
  const secretFile = join(work, 'token.txt');
  writeFileSync(secretFile, 'file-secret-123');
  const dir = context('secret', {
    Dockerfile: 'FROM busybox\nRUN --mount=type=secret,id=tok cat /run/secrets/tok; echo\nRUN --mount=type=secret,id=envtok cat /run/secrets/envtok; echo\n',
  });
  const env = { SECRET_VAR: 'env-secret-456' };
  const args = ['build', '-t', 'secret:1', '--secret', `id=tok,src=${secretFile}`, '--secret', 'id=envtok,env=SECRET_VAR', dir];
  const out = await ok('berth', args, { env });
  assert.match(out, /\nfile-secret-123\n/);
  assert.match(out, /\nenv-secret-456\n/);
  assert.equal(await inImage('secret:1', 'sh', '-c', 'ls -A /run/secrets 2>/dev/null; true'), '');
  const tar = join(work, 'secret.tar');
  await ok('berth', [...args.slice(0, 1), '-q', '-o', `type=tar,dest=${tar}`, ...args.slice(1)], { env });
  const image = readFileSync(tar);
  assert.ok(!image.includes('file-secret-123') && !image.includes('env-secret-456'));
  const history = await ok('berth', ['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'secret:1']);
  assert.ok(!history.includes('secret-123') && !history.includes('secret-456'));
  await rmi('secret:1');
  await nothingLeft();
});

test('builder prune: the same confirmation and report as docker; the next build runs every step', async () => {
  const dir = context('prune', { Dockerfile: 'FROM busybox\nRUN echo pruned > /p\n' });
  await ok('berth', ['build', '-t', 'prune:1', dir]);
  // Declining the prompt prunes nothing, as docker's "n".
  const declined = await cli('berth', ['builder', 'prune'], { input: 'n\n' });
  const dockerDeclined = await cli('docker', ['builder', 'prune'], { input: 'n\n' });
  assert.equal(declined.code, 0);
  assert.equal(declined.stdout, asBerth(dockerDeclined).stdout);
  assert.match(await ok('berth', ['build', dir]), /Using cache/);
  // prune:1 has every step's layers: only -a removes them.
  assert.equal(await ok('berth', ['builder', 'prune', '-f']), 'Total reclaimed space: 0B\n');
  const pruned = await ok('berth', ['builder', 'prune', '-af']);
  assert.match(pruned, /^Deleted build cache objects:\n(\S+\n)+\nTotal reclaimed space: /);
  assert.doesNotMatch(await ok('berth', ['build', dir]), /Using cache/);
  await ok('berth', ['rmi', 'prune:1']);
});

test('--cache-to type=local and --cache-from type=local: a pruned daemon rebuilds from the export, cache mounts included', async () => {
  const dir = context('cache-export', {
    Dockerfile: [
      'FROM busybox AS tool', 'RUN echo tool > /tool',
      'FROM busybox', 'RUN --mount=type=cache,target=/cache echo kept-in-cache > /cache/data',
      'COPY --from=tool /tool /tool', 'COPY app.txt /app.txt', 'CMD ["cat", "/app.txt"]',
    ].join('\n'),
    'app.txt': 'app',
  });
  const dest = join(work, 'exported-cache');
  const first = await ok('berth', ['build', '-q', '--cache-to', `type=local,dest=${dest},mode=max`, dir]);
  const id = first.trim();
  assert.ok(existsSync(join(dest, 'index.json')) && existsSync(join(dest, 'berth-cache', 'cache.json')), 'an OCI layout with berth\'s index');
  assert.ok(readdirSync(join(dest, 'berth-cache', 'mounts')).length >= 1, 'the cache mount is in the export');

  // Nothing left here: no cache, no step images, no cache mounts.
  await ok('berth', ['rmi', id]);
  await ok('berth', ['builder', 'prune', '-af']);
  await ok('berth', ['image', 'prune', '-f']);
  const cold = await ok('berth', ['build', '--cache-from', `type=local,src=${dest}`, dir]);
  assert.match(cold, /^Imported build cache from .*: \d+ steps, 1 cache mounts$/m);
  assert.doesNotMatch(cold, /Running in/, 'every step came from the imported cache');
  assert.match(cold, new RegExp(`Successfully built ${id.replace(/^sha256:/, '').slice(0, 12)}`));
  // The cache mount's content came back too: a new step reading it sees the first build's file.
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nRUN --mount=type=cache,target=/cache cp /cache/data /seen\n');
  await ok('berth', ['build', '-t', 'cache-export:seen', dir]);
  assert.equal((await cli('berth', ['run', '--rm', 'cache-export:seen', 'cat', '/seen'])).stdout, 'kept-in-cache\n');

  const bad = await cli('berth', ['build', '--cache-from', `type=local,src=${join(work, 'no-such-dir')}`, dir]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /not a directory/);
  assert.match((await cli('berth', ['build', '--cache-to', 'type=s3,bucket=x', dir])).stderr, /unsupported cache type "s3"/);
  await ok('berth', ['rmi', 'cache-export:seen']);
  await ok('berth', ['builder', 'prune', '-af']);
});

test('--cache-to type=registry and --cache-from type=registry: the cache travels through a registry', async () => {
  const reg = new TestRegistry();
  await reg.start();
  try {
    const dir = context('cache-registry', {
      Dockerfile: 'FROM busybox\nRUN --mount=type=cache,target=/cache echo in-registry-cache > /cache/data\nCOPY app.txt /app.txt\n',
      'app.txt': 'app',
    });
    const ref = `${reg.host}/cache/app:build`;
    const first = await ok('berth', ['build', '--cache-to', `type=registry,ref=${ref},mode=max`, dir]);
    assert.match(first, new RegExp(`Exported build cache to ${ref} \\(sha256:[0-9a-f]{64}\\)`));
    const id = /Successfully built ([0-9a-f]{12})/.exec(first)![1]!;
    // It is not an image: pulling it as one is refused.
    const asImage = await cli('docker', ['pull', ref]);
    assert.notEqual(asImage.code, 0);
    await ok('berth', ['rmi', id]);
    await ok('berth', ['builder', 'prune', '-af']);
    const again = await ok('berth', ['build', '--cache-from', `type=registry,ref=${ref}`, dir]);
    assert.match(again, /^Imported build cache from .*: \d+ steps, 1 cache mounts$/m);
    assert.doesNotMatch(again, /Running in/);
    assert.match(again, new RegExp(`Successfully built ${id}`));
    const missing = await cli('berth', ['build', '--cache-from', `type=registry,ref=${reg.host}/cache/none:1`, dir]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /manifest unknown/);
    await ok('berth', ['rmi', id]);
    await ok('berth', ['builder', 'prune', '-af']);
  } finally {
    await reg.stop();
  }
});

test('without DOCKER_BUILDKIT=0, progress is BuildKit\'s: numbered steps with their stage, timed output, DONE and CACHED', async () => {
  const dir = context('buildkit-progress', { Dockerfile: 'FROM busybox AS base\nRUN echo from-the-step\nFROM base\nCMD ["true"]\n' });
  const buildkit = { env: { DOCKER_BUILDKIT: '1' } };
  const first = await cli('berth', ['build', '-t', 'progress:1', dir], buildkit);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^#1 \[internal\] load build context\n#1 transferring context: \S+ done\n#1 DONE \d+\.\ds\n/);
  assert.match(first.stdout, /\n#3 \[base 2\/4\] RUN echo from-the-step\n#3 +\d+\.\d from-the-step\n#3 DONE \d+\.\ds\n/);
  assert.match(first.stdout, /\n#4 \[stage-1 3\/4\] FROM base\n/);
  assert.match(first.stdout, /\n#6 exporting to image\n#6 writing image [0-9a-f]{12} done\n#6 naming to progress:1 done\n#6 DONE /);
  const again = await cli('berth', ['build', '--progress', 'plain', '-t', 'progress:1', dir], buildkit);
  assert.match(again.stdout, /\n#3 \[base 2\/4\] RUN echo from-the-step\n#3 CACHED\n/);
  const failed = await cli('berth', ['build', '-f', '-', dir], { ...buildkit, input: 'FROM busybox\nRUN exit 3\n' });
  assert.equal(failed.code, 1);
  assert.match(failed.stdout, /#3 ERROR: The command '\/bin\/sh -c exit 3' returned a non-zero code: 3\n/);
  assert.match((await cli('berth', ['build', '--progress', 'fancy', dir], buildkit)).stderr, /invalid progress mode "fancy"/);
  await ok('berth', ['rmi', 'progress:1']);
});

test('on a terminal (script\'s pseudo-terminal), --progress tty and auto redraw the running step in place, cut to the width; plain does not', async () => {
  const dir = context('tty-progress', { Dockerfile: 'FROM busybox\nRUN echo compiling; sleep 0.5; echo a-line-long-enough-to-be-cut-on-a-narrow-terminal\n' });
  // `script` gives the command a terminal of its own, 60 columns wide here.
  const onTerminal = async (progress: string): Promise<string> => {
    const r = await run('script', ['-qec', `stty cols 60; ${BERTH} build --no-cache --progress ${progress} ${dir}`, '/dev/null'], { env: d.env, timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    return r.stdout.replaceAll('\r\n', '\n');
  };
  const CLEAR = '\r\x1b[2K';
  const title = '#3 [stage-0 2/2] RUN echo compiling; sleep 0.5; echo a-line-long-enough-to-be-cut-on-a-narrow-terminal';
  for (const progress of ['tty', 'auto']) {
    const out = await onTerminal(progress);
    // The live line: drawn, erased and drawn again (the timer, and once more under each output line), never wider than 59 columns.
    const draws = out.split(CLEAR).filter((p) => p.startsWith('#3 [stage-0 2/2] RUN echo compiling') && !p.includes('\n'));
    assert.ok(draws.length >= 3, JSON.stringify(out));
    for (const draw of draws) {
      assert.ok(draw.length <= 59 && /^[^\n]*  \d+\.\ds$/.test(draw) && title.startsWith(draw.replace(/  \d+\.\ds$/, '')), JSON.stringify(draw));
    }
    assert.equal(draws.at(-1)!.length, 59);
    // Output above it, then the step's result in its place, whole.
    assert.match(out, /\r\x1b\[2K#3 +\d+\.\d compiling\n/);
    assert.ok(out.includes(`${CLEAR}${title}  DONE `), JSON.stringify(out));
    assert.match(out, /\n(\r\x1b\[2K)?#4 exporting to image\n/);
  }
  const plain = await onTerminal('plain');
  assert.doesNotMatch(plain, /\x1b/);
  assert.match(plain, /\n#3 \[stage-0 2\/2\] RUN echo compiling[^\n]*\n#3 +\d+\.\d compiling\n/);
  assert.match(plain, /\n#3 DONE \d+\.\ds\n/);
});
