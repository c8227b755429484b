// Container filesystem operations through the real docker CLI: cp both
// ways on running and stopped containers, cp -a, crafted archives that try
// to write outside the container, symlinks inside the container that try to
// lead cp out, diff, commit, export | import, mounts, and docker's errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { chownSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDaemon } from '../helpers/daemon.ts';
import { readTar, streamOf, tarOf, type TarEntry } from '../unit/storage-helpers.ts';

const d = TestDaemon.forFile();
const host = mkdtempSync(join(tmpdir(), 'berth-cp-host-'));
test.after(() => rmSync(host, { recursive: true, force: true }));

async function docker(args: string[], input?: Buffer): Promise<string> {
  const r = await d.docker(args, { input });
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A raw API call: status, headers and body, for the archive endpoints' headers and tar bodies. */
function call(method: string, path: string, body?: Buffer): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: d.socket, method, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const T1 = new Date('2001-02-03T04:05:06Z');
const T2 = new Date('2011-12-13T14:15:16Z');

/** A tree with what cp must keep: modes (setuid, sticky), symlinks, hardlinks, empty files and dirs, times, an owner. */
function makeTree(dir: string): void {
  mkdirSync(join(dir, 'sub/deeper'), { recursive: true });
  mkdirSync(join(dir, 'empty'));
  writeFileSync(join(dir, 'small.txt'), 'hello\n');
  writeFileSync(join(dir, 'sub/big.bin'), randomBytes(300_000));
  writeFileSync(join(dir, 'sub/deeper/zero'), '');
  writeFileSync(join(dir, 'suid'), '#!/bin/sh\n');
  chmodSync(join(dir, 'suid'), 0o4755);
  chmodSync(join(dir, 'sub'), 0o750);
  chmodSync(join(dir, 'empty'), 0o1777);
  chmodSync(join(dir, 'small.txt'), 0o640);
  linkSync(join(dir, 'small.txt'), join(dir, 'sub/hard.txt'));
  symlinkSync('../small.txt', join(dir, 'sub/rel-link'));
  symlinkSync('/etc/passwd', join(dir, 'abs-link'));
  for (const p of ['small.txt', 'sub/big.bin', 'sub/deeper/zero', 'suid']) utimesSync(join(dir, p), T1, T1);
  for (const p of ['sub/deeper', 'sub', 'empty', '.']) utimesSync(join(dir, p), T2, T2);
  for (const p of ['', 'sub', 'sub/big.bin', 'small.txt']) chownSync(join(dir, p), 1234, 1235);
}

/** Everything cp keeps of a local tree: kinds, modes, sizes, contents, link targets, whole-second mtimes, hardlink groups. */
function fingerprint(dir: string): string[] {
  const inodes = new Map<number, string>();
  const out: string[] = [];
  const walk = (rel: string): void => {
    const path = join(dir, rel);
    const st = lstatSync(path);
    const what = st.isFile() ? createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16) : st.isSymbolicLink() ? readlinkSync(path) : '';
    const group = st.isFile() && st.nlink > 1 ? (inodes.get(st.ino) ?? (inodes.set(st.ino, rel), rel)) : '';
    const mtime = st.isSymbolicLink() ? '' : Math.floor(st.mtimeMs / 1000);
    out.push(`${rel || '.'} ${(st.mode & 0o177777).toString(8)} ${st.isDirectory() ? '' : st.size} ${mtime} ${what} ${group}`);
    if (st.isDirectory()) for (const name of readdirSync(path).sort()) walk(rel ? `${rel}/${name}` : name);
  };
  walk('');
  return out;
}

/** The owners of everything below container path `path`, as the container stores them. */
async function ownersIn(container: string, path: string): Promise<Record<string, string>> {
  const res = await call('GET', `/containers/${container}/archive?path=${encodeURIComponent(path)}`);
  assert.equal(res.status, 200);
  return Object.fromEntries((await readTar(streamOf(res.body))).map((e) => [e.header.name, `${e.header.uid}:${e.header.gid}`]));
}

for (const state of ['running', 'stopped']) {
  test(`cp a tree into a ${state} container and back out: byte-identical, modes, links, times and owners kept`, async () => {
    const name = `rt-${state}`;
    await docker(['run', '-d', '--name', name, 'busybox', 'sleep', '300']);
    if (state === 'stopped') await docker(['stop', '-t', '0', name]);
    const src = join(host, `tree-${state}`);
    mkdirSync(src);
    makeTree(src);
    await docker(['cp', src, `${name}:/copied`]);
    await docker(['cp', `${name}:/copied`, join(host, `back-${state}`)]);
    assert.deepEqual(fingerprint(join(host, `back-${state}`)), fingerprint(src));
    const owners = await ownersIn(name, '/copied');
    assert.equal(owners['copied/'], '1234:1235');
    assert.equal(owners['copied/sub/big.bin'], '1234:1235');
    assert.equal(owners['copied/sub/deeper/zero'], '0:0');
    // "dir/." copies the contents; into an existing directory the tree keeps its name.
    await docker(['cp', `${src}/.`, `${name}:/tmp`]);
    await docker(['cp', src, `${name}:/tmp`]);
    const listed = Object.keys(await ownersIn(name, '/tmp'));
    assert.ok(listed.includes('tmp/small.txt') && listed.includes(`tmp/tree-${state}/sub/big.bin`), listed.join(' '));
    if (state === 'running') assert.equal(await docker(['exec', name, 'cat', '/copied/sub/hard.txt']), 'hello\n');
    await docker(['rm', '-f', name]);
  });
}

test('cp of one file, to stdout and from stdin; -L follows a symlink', async () => {
  await docker(['run', '-d', '--name', 'one', 'busybox', 'sh', '-c', 'echo content > /f; ln -s /f /link; sleep 300']);
  await docker(['exec', 'one', 'true']);
  await docker(['cp', 'one:/f', join(host, 'f-out')]);
  assert.equal(readFileSync(join(host, 'f-out'), 'utf8'), 'content\n');
  await docker(['cp', 'one:/link', join(host, 'link-out')]);
  assert.equal(readlinkSync(join(host, 'link-out')), '/f');
  await docker(['cp', '-L', 'one:/link', join(host, 'link-followed')]);
  assert.equal(readFileSync(join(host, 'link-followed'), 'utf8'), 'content\n');
  const tar = await d.docker(['cp', 'one:/f', '-']);
  assert.match(tar.stdout, /^f\0/);
  await docker(['cp', '-', 'one:/tmp'], await tarOf([{ name: 'from-stdin', content: 'piped' }]));
  assert.equal(await docker(['exec', 'one', 'cat', '/tmp/from-stdin']), 'piped');
  await docker(['rm', '-f', 'one']);
});

test('cp -a gives the files the container user\'s ownership; without it the archive\'s stay', async () => {
  await docker(['run', '-d', '--name', 'owned', '--user', 'www-data', 'busybox', 'sleep', '300']);
  const src = join(host, 'own-src');
  mkdirSync(src);
  writeFileSync(join(src, 'f'), 'x');
  chownSync(src, 1234, 1235);
  chownSync(join(src, 'f'), 1234, 1235);
  await docker(['cp', src, 'owned:/tmp/plain']);
  await docker(['cp', '-a', src, 'owned:/tmp/archive']);
  assert.equal(await docker(['exec', 'owned', 'stat', '-c', '%u:%g', '/tmp/plain', '/tmp/plain/f', '/tmp/archive', '/tmp/archive/f']), '1234:1235\n1234:1235\n33:33\n33:33\n');
  await docker(['rm', '-f', 'owned']);
});

test('crafted archives never write outside the container, whatever their names, symlinks and hardlinks say', async () => {
  await docker(['run', '-d', '--name', 'target', 'busybox', 'sh', '-c', 'mkdir /w; echo secret > /etc/shadow; sleep 300']);
  await docker(['exec', 'target', 'true']);
  const outside = join(host, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'shadow'), 'host secret');
  const before = readdirSync(outside);
  const put = async (entries: TarEntry[]): Promise<number> => (await call('PUT', '/containers/target/archive?path=/w', await tarOf(entries))).status;
  assert.equal(await put([{ name: `../../../../../../..${outside}/dotdot`, content: 'x' }]), 500);
  assert.equal(await put([{ name: `${outside}/absolute`, content: 'x' }]), 200);
  assert.equal(await put([{ name: 'evil', type: 'symlink', linkname: outside }, { name: 'evil/through-abs', content: 'x' }]), 200);
  assert.equal(await put([{ name: 'rel', type: 'symlink', linkname: `../../../../../../..${outside}` }]), 500);
  assert.equal(await put([{ name: 'hl', type: 'link', linkname: '../../../../../../etc/shadow' }]), 500);
  assert.equal(await put([{ name: 'hl2', type: 'link', linkname: `${outside}/shadow` }]), 500);
  assert.equal(await put([{ name: 'hl3', type: 'link', linkname: '/etc/shadow' }]), 500);
  assert.deepEqual(readdirSync(outside), before, 'nothing appeared on the host');
  assert.equal(statSync(join(outside, 'shadow')).nlink, 1);
  assert.equal(readFileSync(join(outside, 'shadow'), 'utf8'), 'host secret');
  // What was accepted stayed inside the container's /w.
  assert.equal(await docker(['exec', 'target', 'cat', `/w${outside}/absolute`, `/w${outside}/through-abs`]), 'xx');
  assert.equal(await docker(['exec', 'target', 'cat', '/etc/shadow']), 'secret\n');
  await docker(['rm', '-f', 'target']);
});

test('a symlink in the container to / or ../../.. does not lead cp out of it', async () => {
  await docker(['run', '-d', '--name', 'links', 'busybox', 'sh', '-c', 'ln -s / /rootlink; ln -s ../../../../.. /tmp/up; sleep 300']);
  await docker(['exec', 'links', 'true']);
  const mark = `berth-escape-${randomBytes(4).toString('hex')}`;
  writeFileSync(join(host, mark), 'payload');
  await docker(['cp', join(host, mark), `links:/rootlink/tmp/${mark}`]);
  await docker(['cp', join(host, mark), `links:/tmp/up/${mark}`]);
  await docker(['cp', join(host, mark), 'links:/tmp/up/']);
  for (const p of [`/tmp/${mark}`, `/${mark}`]) assert.ok(!existsSync(p), `${p} was written on the host`);
  assert.equal(await docker(['exec', 'links', 'cat', `/tmp/${mark}`, `/${mark}`]), 'payloadpayload');
  // Reading through them stays inside too.
  assert.equal((await d.docker(['cp', 'links:/tmp/up/etc/passwd', '-'])).stdout.includes('root:x:0:0:root:/root:/bin/sh'), true);
  await docker(['rm', '-f', 'links']);
});

test('docker diff lists what was added, changed and deleted, and nothing of the runtime\'s own', async () => {
  await docker(['run', '-d', '--name', 'differ', 'busybox', 'sleep', '300']);
  assert.equal(await docker(['diff', 'differ']), '');
  await docker(['exec', 'differ', 'sh', '-c', 'mkdir -p /new/dir; echo a > /new/dir/f; echo x >> /etc/passwd; rm /bin/ls']);
  const lines = (await docker(['diff', 'differ'])).trim().split('\n').sort();
  assert.deepEqual(lines, ['A /new', 'A /new/dir', 'A /new/dir/f', 'C /bin', 'C /etc', 'C /etc/passwd', 'D /bin/ls']);
  await docker(['rm', '-f', 'differ']);
});

test('docker commit: the new image has the change, --change, -m and -a; docker run of it sees the file', async () => {
  await docker(['run', '-d', '--name', 'committer', '-e', 'KEEP=1', 'busybox', 'sh', '-c', 'echo committed > /hello; sleep 300']);
  await docker(['exec', 'committer', 'true']);
  const id = (await docker(['commit', '-c', 'CMD ["cat","/hello"]', '-c', 'ENV ADDED=2 MORE=$KEEP-x', '-c', 'HEALTHCHECK --interval=7s CMD test -f /hello',
    '-m', 'a message', '-a', 'Some One <s@o.ne>', 'committer', 'committed:v1'])).trim();
  assert.match(id, /^sha256:[a-f0-9]{64}$/);
  assert.equal(await docker(['run', '--rm', 'committed:v1']), 'committed\n');
  assert.equal(await docker(['run', '--rm', 'committed:v1', 'sh', '-c', 'echo $KEEP$ADDED']), '12\n');
  const inspect = JSON.parse(await docker(['image', 'inspect', 'committed:v1']))[0];
  assert.equal(inspect.Author, 'Some One <s@o.ne>');
  assert.equal(inspect.Comment, 'a message');
  assert.deepEqual(inspect.Config.Cmd, ['cat', '/hello']);
  // Words expand against the container's environment, as the builder's do.
  assert.ok(inspect.Config.Env.includes('MORE=1-x'), inspect.Config.Env.join(' '));
  assert.deepEqual(inspect.Config.Healthcheck, { Test: ['CMD-SHELL', 'test -f /hello'], Interval: 7e9 });
  const history = (await docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Comment}}', 'committed:v1'])).split('\n');
  assert.equal(history[0], 'sh -c echo committed > /hello; sleep 300|a message');
  assert.equal(await docker(['inspect', '-f', '{{.State.Status}}', 'committer']), 'running\n', 'unpaused after');
  // The layer holds the change, and none of the mount points the runtime made (/etc/hosts and the like).
  const saved = await readTar(streamOf((await call('GET', '/images/committed:v1/get')).body));
  const manifest = JSON.parse(saved.find((e) => e.header.name === 'manifest.json')!.body.toString());
  const layer = saved.find((e) => e.header.name === manifest[0].Layers.at(-1))!;
  assert.deepEqual((await readTar(streamOf(layer.body))).map((e) => e.header.name).filter((n) => n !== 'etc/'), ['hello']);
  await docker(['rm', '-f', 'committer']);
  await docker(['rmi', 'committed:v1']);
});

test('docker export | docker import round-trips the container\'s files', async () => {
  await docker(['run', '--name', 'exported', 'busybox', 'sh', '-c', 'mkdir /keep; echo kept > /keep/f; ln -s f /keep/l']);
  const tar = await d.docker(['export', 'exported'], { timeoutMs: 60_000 });
  assert.equal(tar.code, 0);
  const file = join(host, 'exported.tar');
  await docker(['export', '-o', file, 'exported']);
  const entries = (await readTar(streamOf(readFileSync(file)))).map((e) => e.header.name);
  assert.ok(entries.includes('keep/f') && entries.includes('bin/busybox') && !entries.some((n) => n.startsWith('/') || n.startsWith('./')), entries.slice(0, 5).join(' '));
  await docker(['import', file, 'reimported']);
  assert.equal(await docker(['run', '--rm', 'reimported', 'sh', '-c', 'cat /keep/l; readlink /keep/l']), 'kept\nf\n');
  await docker(['rm', 'exported']);
  await docker(['rmi', 'reimported']);
});

test('cp reaches into -v bind mounts and named volumes, of running and stopped containers', async () => {
  const bind = join(host, 'bind');
  mkdirSync(bind);
  writeFileSync(join(bind, 'from-host'), 'bound');
  await docker(['run', '-d', '--name', 'mounted', '-v', `${bind}:/mnt/bind`, '-v', 'cpvol:/vol', '-v', `${host}:/ro:ro`, 'busybox', 'sleep', '300']);
  writeFileSync(join(host, 'payload'), 'in');
  await docker(['cp', join(host, 'payload'), 'mounted:/mnt/bind/']);
  assert.equal(readFileSync(join(bind, 'payload'), 'utf8'), 'in');
  await docker(['cp', 'mounted:/mnt/bind/from-host', join(host, 'from-bind')]);
  assert.equal(readFileSync(join(host, 'from-bind'), 'utf8'), 'bound');
  await docker(['cp', join(host, 'payload'), 'mounted:/vol/in-volume']);
  // An archive at / whose entries run into the mounts lands in them.
  await docker(['cp', '-', 'mounted:/'], await tarOf([{ name: 'vol/deep/f', content: 'deep' }, { name: 'mnt/bind/g', content: 'g' }]));
  assert.equal(readFileSync(join(bind, 'g'), 'utf8'), 'g');
  const ro = await d.docker(['cp', join(host, 'payload'), 'mounted:/ro/']);
  assert.equal(ro.code, 1);
  assert.match(ro.stderr, /mounted volume is marked read-only/);
  await docker(['stop', '-t', '0', 'mounted']);
  assert.equal((await d.docker(['cp', 'mounted:/vol/in-volume', '-'])).stdout.includes('in'), true);
  await docker(['cp', join(host, 'payload'), 'mounted:/vol/while-stopped']);
  await docker(['cp', 'mounted:/vol/deep/f', join(host, 'deep-out')]);
  assert.equal(readFileSync(join(host, 'deep-out'), 'utf8'), 'deep');
  await docker(['rm', 'mounted']);
  assert.equal(await docker(['run', '--rm', '-v', 'cpvol:/v', 'busybox', 'cat', '/v/in-volume', '/v/while-stopped']), 'inin');
  await docker(['volume', 'rm', 'cpvol']);
});

test('bad input gets docker\'s status and message, and the daemon stays up', async () => {
  await docker(['run', '-d', '--name', 'errs', '--read-only', 'busybox', 'sh', '-c', 'touch /dev/shm/x; sleep 300']);
  const stat = await call('HEAD', '/containers/errs/archive?path=/etc/passwd');
  assert.equal(stat.status, 200);
  const parsed = JSON.parse(Buffer.from(String(stat.headers['x-docker-container-path-stat']), 'base64').toString());
  assert.deepEqual([parsed.name, parsed.mode, parsed.linkTarget], ['passwd', 0o644, '']);
  assert.match(parsed.mtime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  const bin = JSON.parse(Buffer.from(String((await call('HEAD', '/containers/errs/archive?path=/bin/sh')).headers['x-docker-container-path-stat']), 'base64').toString());
  assert.deepEqual([bin.mode, bin.linkTarget], [2 ** 27 + 0o777, '/bin/busybox']);
  const message = (r: { body: Buffer }): string => JSON.parse(r.body.toString()).message;
  for (const [method, path] of [['GET', '/containers/nope/archive?path=/'], ['PUT', '/containers/nope/archive?path=/'], ['GET', '/containers/nope/changes'], ['GET', '/containers/nope/export'], ['POST', '/commit?container=nope']] as const) {
    const r = await call(method, path, method === 'PUT' ? await tarOf([{ name: 'x', content: 'x' }]) : undefined);
    assert.deepEqual([r.status, message(r)], [404, 'No such container: nope'], `${method} ${path}`);
  }
  assert.equal((await call('HEAD', '/containers/nope/archive?path=/')).status, 404);
  const missing = await call('GET', '/containers/errs/archive?path=/not/there');
  assert.deepEqual([missing.status, message(missing)], [404, 'Could not find the file /not/there in container errs']);
  const notDir = await call('PUT', '/containers/errs/archive?path=/etc/passwd', await tarOf([{ name: 'x', content: 'x' }]));
  assert.deepEqual([notDir.status, message(notDir)], [400, 'extraction point is not a directory']);
  const readOnly = await call('PUT', '/containers/errs/archive?path=/tmp', await tarOf([{ name: 'x', content: 'x' }]));
  assert.deepEqual([readOnly.status, message(readOnly)], [400, 'container rootfs is marked read-only']);
  const noPath = await call('GET', '/containers/errs/archive');
  assert.deepEqual([noPath.status, message(noPath)], [400, 'bad parameter: pathcannot be empty']);
  const fileAsDir = await call('HEAD', '/containers/errs/archive?path=/etc/passwd/x');
  assert.equal(fileAsDir.status, 500);
  const badChange = await call('POST', '/commit?container=errs&changes=BOGUS%20x');
  assert.deepEqual([badChange.status, message(badChange)], [400, 'bogus is not a valid change command']);
  const badRepo = await call('POST', '/commit?container=errs&repo=Bad_Name');
  assert.equal(badRepo.status, 400);
  const cli = await d.docker(['cp', join(host, 'nothing-here'), 'errs:/tmp']);
  assert.equal(cli.code, 1);
  assert.match(cli.stderr, /no such file or directory/);
  assert.ok(await d.ping(), 'the daemon is still up');
  await docker(['rm', '-f', 'errs']);
});
