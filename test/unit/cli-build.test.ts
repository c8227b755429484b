// berth build's client side without a daemon: the option syntaxes, the
// context tar (ignore files, the build's own files, a Dockerfile from
// elsewhere, stdin), the upload's progress line, and the request a
// scripted daemon receives (query, headers, secrets kept out of the URL).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { cli } from '../../src/cli/cli.ts';
import { isArchive, openBuildContext, peek } from '../../src/cli/build-context.ts';
import { checkPlatform } from '../../src/build/build-params.ts';
import { normalizeExtraHost } from '../../src/network/extra-hosts.ts';
import { parseOutputs, parseSecret, readSecrets, validateTag } from '../../src/cli/build-options.ts';
import { countUpload, UPLOAD_ACTION } from '../../src/cli/commands/build.ts';
import { readTar, tarOf } from './storage-helpers.ts';

function scratchDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-cli-build-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function tree(root: string, files: Record<string, string>): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

/** The context tar's entries: name → content (directories end in '/'). */
async function entries(spec: string, dockerfile = '', stdin: Readable = Readable.from([])): Promise<{ dockerfile: string; files: Map<string, string>; owners: Set<string> }> {
  const ctx = await openBuildContext(spec, dockerfile, stdin);
  try {
    const read = await readTar(ctx.body);
    return {
      dockerfile: ctx.dockerfile,
      files: new Map(read.map((e) => [e.header.name, e.body.toString()])),
      owners: new Set(read.map((e) => `${e.header.uid}:${e.header.gid}`)),
    };
  } finally {
    await ctx.cleanup();
  }
}

test('-o: local and tar outputs in buildx syntax, one at the most', () => {
  assert.equal(parseOutputs([]), undefined);
  assert.deepEqual(parseOutputs(['type=local,dest=out']), { type: 'local', dest: 'out' });
  assert.deepEqual(parseOutputs(['out/dir']), { type: 'local', dest: 'out/dir' });
  assert.deepEqual(parseOutputs(['-']), { type: 'tar', dest: '-' });
  assert.deepEqual(parseOutputs(['type=tar,dest=img.tar']), { type: 'tar', dest: 'img.tar' });
  assert.deepEqual(parseOutputs(['type=tar']), { type: 'tar', dest: '-' });
  assert.deepEqual(parseOutputs(['type=local,"dest=a,b"']), { type: 'local', dest: 'a,b' });
  assert.throws(() => parseOutputs(['type=local']), /^Error: dest is required for local output$/);
  assert.throws(() => parseOutputs(['dest=x,dest=y']), /^Error: type is required for output$/);
  assert.deepEqual(parseOutputs(['dest=x']), { type: 'local', dest: 'dest=x' });
  assert.throws(() => parseOutputs(['type=local,dest']), /^Error: invalid value dest$/);
  assert.throws(() => parseOutputs(['type=image,name=x']), /not supported by berth build/);
  assert.throws(() => parseOutputs(['type=docker']), /output type "docker" is not supported/);
  assert.throws(() => parseOutputs(['a', 'b']), /^Error: multiple outputs currently unsupported$/);
});

test('--secret: buildx fields; a bare id is an environment variable when set, else a file', async (t) => {
  assert.deepEqual(parseSecret('id=a,src=/x'), { id: 'a', file: '/x' });
  assert.deepEqual(parseSecret('id=a,source=/x'), { id: 'a', file: '/x' });
  assert.deepEqual(parseSecret('id=a,env=TOKEN'), { id: 'a', env: 'TOKEN' });
  assert.deepEqual(parseSecret('type=env,id=a,src=TOKEN'), { id: 'a', env: 'TOKEN' });
  assert.throws(() => parseSecret('src=/x'), /^Error: secret missing ID$/);
  assert.throws(() => parseSecret('id=a,bogus=1'), /^Error: unexpected key 'bogus' in 'bogus=1'$/);
  assert.throws(() => parseSecret('id=a,type=ssh'), /^Error: unsupported secret type "ssh"$/);
  assert.throws(() => parseSecret('id'), /^Error: invalid field 'id' must be a key=value pair$/);

  const dir = scratchDir(t);
  writeFileSync(join(dir, 'file'), 'from file');
  writeFileSync(join(dir, 'big'), Buffer.alloc(500 * 1024 + 1));
  const cwd = process.cwd();
  process.chdir(dir);
  t.after(() => process.chdir(cwd));
  const env = { TOKEN: 'from env', file: 'env wins' };
  const got = await readSecrets(['id=a,src=file', 'id=b,env=TOKEN', 'id=file', 'id=TOKEN'], env);
  assert.deepEqual(Object.fromEntries([...got].map(([k, v]) => [k, v.toString()])), { a: 'from file', b: 'from env', file: 'env wins', TOKEN: 'from env' });
  assert.equal((await readSecrets(['id=file'], {})).get('file')?.toString(), 'from file');
  await assert.rejects(readSecrets(['id=x,src=missing'], {}), /^Error: failed to stat missing: stat missing: no such file or directory$/);
  await assert.rejects(readSecrets(['id=x,env=NOPE'], {}), /NOPE is not set/);
  await assert.rejects(readSecrets(['id=big,src=big'], {}), /^Error: secret big too big\. max size 500KB$/);
});

test('--platform: linux/amd64 in its spellings, nothing else; -t: references as docker checks them', () => {
  for (const p of ['linux/amd64', 'linux', 'amd64', 'Linux/x86_64', 'linux/x86-64', 'linux/amd64/v1']) assert.equal(checkPlatform(p), 'linux/amd64', p);
  for (const p of ['linux/arm64', 'windows/amd64', 'linux/amd64/v3', 'a/b/c/d', '']) assert.throws(() => checkPlatform(p), /berth builds linux\/amd64 images only/, p);
  assert.equal(validateTag('app:1'), 'app:1');
  assert.equal(validateTag('localhost:5000/a/b:c'), 'localhost:5000/a/b:c');
  assert.throws(() => validateTag('Bad'), /^Error: invalid reference format: repository name \(library\/Bad\) must be lowercase$/);
  assert.throws(() => validateTag('a:b:c'), /^Error: invalid reference format$/);
});

test('--add-host: name:address or name=address (brackets around the address dropped), sent as name:address; host-gateway', () => {
  assert.equal(normalizeExtraHost('db:10.0.0.5'), 'db:10.0.0.5');
  assert.equal(normalizeExtraHost('db=10.0.0.5'), 'db:10.0.0.5');
  assert.equal(normalizeExtraHost('v6:::1'), 'v6:::1');
  assert.equal(normalizeExtraHost('v6=[fe80::1]'), 'v6:fe80::1');
  assert.equal(normalizeExtraHost('gw:host-gateway'), 'gw:host-gateway');
  assert.throws(() => normalizeExtraHost('nocolon'), /^Error: bad format for add-host: "nocolon"$/);
  assert.throws(() => normalizeExtraHost(':1.2.3.4'), /^Error: bad format for add-host: ":1.2.3.4"$/);
  assert.throws(() => normalizeExtraHost('db:nope'), /^Error: invalid IP address in add-host: "nope"$/);
});

test('a context directory: ignored files stay home, the build\'s own files always go, owners are root', async (t) => {
  const dir = tree(scratchDir(t), {
    Dockerfile: 'FROM scratch\n',
    '.dockerignore': '# comment\n*.log\nsecret\nbuild\n!build/keep\nDockerfile\n.dockerignore\n',
    'app.c': 'int main;',
    'debug.log': 'x',
    secret: 's',
    'build/out.o': 'o',
    'build/keep': 'k',
    'src/deep/file.txt': 'deep',
  });
  const got = await entries(dir);
  assert.equal(got.dockerfile, 'Dockerfile');
  assert.deepEqual([...got.files.keys()], ['.dockerignore', 'Dockerfile', 'app.c', 'build/keep', 'src/', 'src/deep/', 'src/deep/file.txt']);
  assert.equal(got.files.get('build/keep'), 'k');
  assert.deepEqual([...got.owners], ['0:0']);
});

test('<Dockerfile>.dockerignore beside the Dockerfile wins over .dockerignore; a Dockerfile in a subdirectory is sent when its directory is ignored', async (t) => {
  const dir = tree(scratchDir(t), {
    '.dockerignore': 'a\n',
    'docker/app.Dockerfile': 'FROM scratch\n',
    'docker/app.Dockerfile.dockerignore': 'b\ndocker\n',
    a: 'a',
    b: 'b',
  });
  const got = await entries(dir, join(dir, 'docker/app.Dockerfile'));
  assert.equal(got.dockerfile, 'docker/app.Dockerfile');
  assert.deepEqual([...got.files.keys()], ['.dockerignore', 'a', 'docker/app.Dockerfile', 'docker/app.Dockerfile.dockerignore']);
});

test('a Dockerfile outside the context goes in under a generated name that .dockerignore lists', async (t) => {
  const root = scratchDir(t);
  const dir = tree(join(root, 'ctx'), { 'a.txt': 'a', '.dockerignore': 'x\n' });
  tree(root, { 'other.Dockerfile': 'FROM busybox\n', 'lonely/Dockerfile': 'FROM scratch\n', 'ctx2/b': 'b' });
  const got = await entries(dir, join(root, 'other.Dockerfile'));
  assert.match(got.dockerfile, /^\.dockerfile\.[0-9a-f]{20}$/);
  assert.deepEqual([...got.files.keys()], ['.dockerignore', 'a.txt', got.dockerfile]);
  assert.equal(got.files.get(got.dockerfile), 'FROM busybox\n');
  assert.equal(got.files.get('.dockerignore'), `x\n\n${got.dockerfile}\n`);

  // Without a .dockerignore one is made, naming itself too; the Dockerfile's own ignore file goes along under the new name.
  const bare = await entries(join(root, 'ctx2'), join(root, 'lonely/Dockerfile'));
  assert.deepEqual([...bare.files.keys()], ['b', bare.dockerfile, '.dockerignore']);
  assert.equal(bare.files.get('.dockerignore'), `.dockerignore\n${bare.dockerfile}\n`);
  writeFileSync(join(root, 'lonely/Dockerfile.dockerignore'), 'b\n');
  const own = await entries(join(root, 'ctx2'), join(root, 'lonely/Dockerfile'));
  assert.deepEqual([...own.files.keys()], [own.dockerfile, `${own.dockerfile}.dockerignore`]);
  assert.equal(own.files.get(`${own.dockerfile}.dockerignore`), `b\n\n${own.dockerfile}\n${own.dockerfile}.dockerignore\n`);

  // -f - reads the Dockerfile from stdin the same way.
  const piped = await entries(dir, '-', Readable.from([Buffer.from('FROM piped\n')]));
  assert.equal(piped.files.get(piped.dockerfile), 'FROM piped\n');
});

test('stdin: a tar (plain or compressed) goes as it is, anything else is a lone Dockerfile', async () => {
  const tar = await tarOf([{ name: 'Dockerfile', content: 'FROM scratch\n' }, { name: 'f', content: 'x' }]);
  assert.ok(isArchive(tar));
  assert.ok(isArchive(Buffer.from([0x1f, 0x8b, 0x08, 0])));
  assert.ok(!isArchive(Buffer.from('FROM busybox\n'.padEnd(600, '#'))));
  const passed = await openBuildContext('-', 'custom', Readable.from([tar.subarray(0, 100), tar.subarray(100)]));
  assert.equal(passed.dockerfile, 'custom');
  const chunks: Buffer[] = [];
  for await (const c of passed.body) chunks.push(c as Buffer);
  assert.deepEqual(Buffer.concat(chunks), tar);

  const lone = await entries('-', 'ignored', Readable.from([Buffer.from('FROM busybox\n')]));
  assert.equal(lone.dockerfile, 'Dockerfile');
  assert.deepEqual([...lone.files], [['Dockerfile', 'FROM busybox\n']]);
  const empty = await entries('-', '', Readable.from([]));
  assert.deepEqual([...empty.files], [['Dockerfile', '']]);

  const { head, all } = await peek(Readable.from([Buffer.from('ab'), Buffer.from('cdef')]), 3);
  assert.equal(head.toString(), 'abc');
  let rest = '';
  for await (const c of all) rest += c;
  assert.equal(rest, 'abcdef');
});

test('context errors read as docker\'s', async (t) => {
  const root = scratchDir(t);
  tree(root, { 'ctx/a': 'a', 'file': 'f', 'lower/dockerfile': 'FROM scratch\n' });
  symlinkSync(join(root, 'ctx'), join(root, 'link'));
  await assert.rejects(openBuildContext(join(root, 'nope'), '', Readable.from([])), { message: `unable to prepare context: path "${join(root, 'nope')}" not found` });
  await assert.rejects(openBuildContext(join(root, 'file'), '', Readable.from([])), { message: `unable to prepare context: context must be a directory: ${join(root, 'file')}` });
  await assert.rejects(openBuildContext(join(root, 'link'), '', Readable.from([])), {
    message: `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${join(root, 'ctx/Dockerfile')}: no such file or directory`,
  });
  await assert.rejects(openBuildContext(root, join(root, 'no/such/Dockerfile'), Readable.from([])), {
    message: `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${join(root, 'no')}: no such file or directory`,
  });
  await assert.rejects(openBuildContext('-', '-', Readable.from([])), { message: "invalid argument: can't use stdin for both build context and dockerfile" });
  // A lowercase dockerfile is found when there is no Dockerfile.
  assert.equal((await entries(join(root, 'lower'))).dockerfile, 'dockerfile');
});

test('the upload reports its size once at the end, as docker\'s progress does off a terminal', async () => {
  const out = new PassThrough();
  let shown = '';
  out.on('data', (d: Buffer) => (shown += d.toString()));
  const counted = countUpload(Readable.from([Buffer.alloc(2048), Buffer.alloc(1024)]), out, false);
  for await (const _ of counted);
  assert.equal(shown, `${UPLOAD_ACTION}  3.072kB\r\r\n`);
});

test('the request: options in the query, the context as the body, secrets in their header only', async (t) => {
  const dir = tree(scratchDir(t), { Dockerfile: 'FROM busybox\n', 's.txt': 'top secret' });
  const seen: { url: string; headers: http.IncomingHttpHeaders; body: Buffer }[] = [];
  const sock = join(dir, '..', `${process.pid}-build.sock`);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ url: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"stream":"Step 1/1 : FROM busybox\\n"}\n{"aux":{"ID":"sha256:abc"}}\n{"stream":"Successfully built abc\\n"}\n');
    });
  });
  await new Promise<void>((r) => server.listen(sock, r));
  t.after(() => server.close());
  const out = new PassThrough();
  let stdout = '';
  out.on('data', (d: Buffer) => (stdout += d.toString()));
  const err = new PassThrough();
  const code = await cli(
    ['build', '-t', 'a:1', '-t', 'b', '--build-arg', 'X=1', '--build-arg', 'FROM_ENV', '--build-arg', 'UNSET', '--label', 'l=v', '--target', 't',
      '--no-cache-filter', 'one', '--no-cache-filter', 'two', '--secret', `id=s,src=${join(dir, 's.txt')}`, '--network', 'none', '--platform', 'linux/amd64', dir],
    { stdin: Readable.from([]), stdout: out, stderr: err, env: { BERTH_HOST: `unix://${sock}`, FROM_ENV: 'env value', DOCKER_BUILDKIT: '0' } },
  );
  assert.equal(code, 0);
  assert.equal(stdout, `${UPLOAD_ACTION}  3.072kB\r\r\nStep 1/1 : FROM busybox\nSuccessfully built abc\n`);
  const [req] = seen;
  const q = new URL(req!.url, 'http://d').searchParams;
  assert.equal(new URL(req!.url, 'http://d').pathname, '/v1.41/build');
  assert.deepEqual(q.getAll('t'), ['a:1', 'b']);
  assert.deepEqual(JSON.parse(q.get('buildargs')!), { X: '1', FROM_ENV: 'env value', UNSET: null });
  assert.deepEqual(JSON.parse(q.get('labels')!), { l: 'v' });
  assert.deepEqual(JSON.parse(q.get('nocachefilter')!), ['one', 'two']);
  assert.equal(q.get('target'), 't');
  assert.equal(q.get('networkmode'), 'none');
  assert.equal(q.get('platform'), 'linux/amd64');
  assert.equal(q.get('dockerfile'), 'Dockerfile');
  assert.equal(q.get('rm'), null);
  assert.ok(!req!.url.includes('secret') && !req!.url.includes(Buffer.from('top secret').toString('base64')));
  const secrets = JSON.parse(Buffer.from(String(req!.headers['x-berth-build-secrets']), 'base64').toString());
  assert.deepEqual(Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString()])), { s: 'top secret' });
  assert.equal(req!.headers['content-type'], 'application/x-tar');
  assert.deepEqual((await readTar(Readable.from([req!.body]))).map((e) => e.header.name), ['Dockerfile', 's.txt']);
});
