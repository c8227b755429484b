// Volumes and mounts through the real docker CLI: named and anonymous
// volumes, binds, --mount, --tmpfs, --volumes-from, copy-up, read-only
// roots, and volume data across removal, daemon restarts and kill -9.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDaemon } from '../helpers/daemon.ts';
import { busyboxTar } from '../helpers/busybox.ts';

const d = TestDaemon.forFile();
const host = mkdtempSync(join(tmpdir(), 'berth-vol-host-'));
test.after(() => rmSync(host, { recursive: true, force: true }));

async function docker(args: string[]): Promise<string> {
  const r = await d.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('acceptance: data one container writes to a named volume is read by a second', async () => {
  assert.equal((await docker(['volume', 'create', '--label', 'team=a', 'shared'])).trim(), 'shared');
  await docker(['run', '--rm', '-v', 'shared:/data', 'busybox', 'sh', '-c', 'echo persisted > /data/file']);
  assert.equal(await docker(['run', '--rm', '-v', 'shared:/data', 'busybox', 'cat', '/data/file']), 'persisted\n');
  const v = JSON.parse(await docker(['volume', 'inspect', 'shared']))[0];
  assert.equal(v.Driver, 'local');
  assert.deepEqual(v.Labels, { team: 'a' });
  assert.equal(readFileSync(join(v.Mountpoint, 'file'), 'utf8'), 'persisted\n');
  assert.match(await docker(['volume', 'ls', '--filter', 'label=team=a', '--format', '{{.Name}}']), /^shared$/m);
});

test('acceptance: -v $PWD:/src:ro is read-only inside; -v creates a missing source, --mount refuses it', async () => {
  writeFileSync(join(host, 'in.txt'), 'from host\n');
  const r = await d.docker(['run', '--rm', '-v', `${host}:/src:ro`, 'busybox', 'sh', '-c', 'cat /src/in.txt; touch /src/new']);
  assert.equal(r.stdout, 'from host\n');
  assert.match(r.stderr, /Read-only file system/);
  assert.ok(!existsSync(join(host, 'new')));
  await docker(['run', '--rm', '-v', `${host}:/src`, 'busybox', 'sh', '-c', 'echo back > /src/out.txt']);
  assert.equal(readFileSync(join(host, 'out.txt'), 'utf8'), 'back\n');
  await docker(['run', '--rm', '-v', `${host}/made/by/v:/m`, 'busybox', 'true']);
  assert.ok(statSync(join(host, 'made/by/v')).isDirectory());
  const missing = await d.docker(['run', '--rm', '--mount', `type=bind,source=${host}/absent,target=/m`, 'busybox', 'true']);
  assert.equal(missing.code, 125);
  assert.match(missing.stderr, /bind source path does not exist/);
});

test('a new empty volume is filled from the image, keeping ownership and modes; nocopy and non-empty volumes are not', async () => {
  const tar = await busyboxTar([
    { name: 'seed', mode: 0o755 },
    { name: 'seed/sub', mode: 0o750, uid: 33, gid: 33 },
    { name: 'seed/sub/f', data: 's\n', mode: 0o640, uid: 33, gid: 33 },
  ]);
  assert.equal((await d.docker(['import', '-c', 'CMD ["sh"]', '-', 'seeded'], { input: tar })).code, 0);
  const out = await docker(['run', '--rm', '-v', 'filled:/seed', 'seeded', 'sh', '-c', 'stat -c "%u:%g %a" /seed/sub; cat /seed/sub/f']);
  assert.equal(out, '33:33 750\ns\n');
  assert.equal(await docker(['run', '--rm', '--mount', 'type=volume,source=bare,target=/seed,volume-nocopy', 'seeded', 'ls', '-A', '/seed']), '');
  await docker(['run', '--rm', '-v', 'filled:/seed', 'busybox', 'sh', '-c', 'echo mine > /seed/sub/f']);
  assert.equal(await docker(['run', '--rm', '-v', 'filled:/seed', 'seeded', 'cat', '/seed/sub/f']), 'mine\n');
  await docker(['rmi', 'seeded']);
});

test('anonymous volumes: VOLUME and -v /path; rm -v and --rm remove them; a volume in use is refused', async () => {
  await docker(['run', '-d', '--name', 'anon', '-v', '/scratch', 'busybox', 'sleep', '300']);
  const mounts = JSON.parse(await docker(['inspect', '-f', '{{json .Mounts}}', 'anon']));
  assert.equal(mounts.length, 1);
  assert.equal(mounts[0].Type, 'volume');
  assert.equal(mounts[0].Destination, '/scratch');
  const name = mounts[0].Name;
  assert.match(name, /^[a-f0-9]{64}$/);
  const inUse = await d.docker(['volume', 'rm', name]);
  assert.equal(inUse.code, 1);
  assert.match(inUse.stderr, /volume is in use/);
  await docker(['rm', '-f', '-v', 'anon']);
  assert.doesNotMatch(await docker(['volume', 'ls', '-q']), new RegExp(name));
  // A named volume survives rm -v.
  await docker(['run', '--name', 'keeper', '-v', 'kept:/k', 'busybox', 'true']);
  await docker(['rm', '-v', 'keeper']);
  assert.match(await docker(['volume', 'ls', '-q']), /^kept$/m);
  const before = (await docker(['volume', 'ls', '-q'])).trim();
  await docker(['run', '--rm', '-v', '/gone', 'busybox', 'true']);
  assert.equal((await docker(['volume', 'ls', '-q'])).trim(), before);
});

test('--mount, --tmpfs and --read-only with writable mounts', async () => {
  const out = await docker(['run', '--rm', '--read-only', '--tmpfs', '/run:size=1m', '--mount', 'type=tmpfs,target=/t,tmpfs-size=2097152,tmpfs-mode=1770',
    '--mount', 'type=volume,source=rw-vol,target=/w', 'busybox', 'sh', '-c',
    'df -k /run /t | tail -2 | awk \'{print $2}\'; stat -c %a /t; echo ok > /w/x && cat /w/x; touch /root/nope 2>&1 || true']);
  const lines = out.trim().split('\n');
  assert.deepEqual(lines.slice(0, 4), ['1024', '2048', '1770', 'ok']);
  assert.match(lines[4]!, /Read-only file system/);
  const dup = await d.docker(['run', '--rm', '-v', 'a1:/same', '-v', 'a2:/same', 'busybox', 'true']);
  assert.equal(dup.code, 125);
  assert.match(dup.stderr, /Duplicate mount point: \/same/);
  const relative = await d.docker(['run', '--rm', '-v', 'not/ok:/x', 'busybox', 'true']);
  assert.match(relative.stderr, /includes invalid characters for a local volume name/);
});

test('--volumes-from shares mounts, read-only with :ro', async () => {
  await docker(['run', '--name', 'source', '-v', 'from-vol:/data', '-v', `${host}:/hostdir`, 'busybox', 'sh', '-c', 'echo src > /data/f']);
  assert.equal(await docker(['run', '--rm', '--volumes-from', 'source', 'busybox', 'sh', '-c', 'cat /data/f; ls /hostdir | grep -c in.txt']), 'src\n1\n');
  const ro = await d.docker(['run', '--rm', '--volumes-from', 'source:ro', 'busybox', 'sh', '-c', 'echo x > /data/f']);
  assert.notEqual(ro.code, 0);
  assert.match(ro.stderr, /Read-only file system/);
  await docker(['rm', 'source']);
});

test('local driver options: a tmpfs volume and a bind volume', async () => {
  await docker(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=1m', 'ram']);
  await docker(['run', '--rm', '-v', 'ram:/r', 'busybox', 'sh', '-c', 'echo in-ram > /r/f']);
  assert.equal(await docker(['run', '--rm', '-v', 'ram:/r', 'busybox', 'sh', '-c', "cat /r/f; df -k /r | tail -1 | awk '{print $2}'"]), 'in-ram\n1024\n');
  const dir = join(host, 'bound');
  await docker(['run', '--rm', '-v', `${dir}:/mk`, 'busybox', 'true']);
  await docker(['volume', 'create', '-o', 'type=none', '-o', 'o=bind', '-o', `device=${dir}`, 'bound']);
  await docker(['run', '--rm', '-v', 'bound:/b', 'busybox', 'sh', '-c', 'echo through > /b/t']);
  assert.equal(readFileSync(join(dir, 't'), 'utf8'), 'through\n');
  await docker(['volume', 'rm', 'ram', 'bound']);
  assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(`${d.dataRoot}/volumes/ram`), 'the tmpfs is unmounted with its volume');
  const bad = await d.docker(['volume', 'create', '-o', 'colour=red', 'odd']);
  assert.match(bad.stderr, /invalid option key: "colour"/);
});

test('volume data survives a graceful restart and a kill -9 of berthd', async () => {
  await docker(['run', '-d', '--name', 'writer', '-v', 'durable:/d', 'busybox', 'sh', '-c', 'echo one > /d/a; sleep 300']);
  await d.halt();
  await d.launch();
  assert.equal(await docker(['exec', 'writer', 'cat', '/d/a']), 'one\n');
  await docker(['exec', 'writer', 'sh', '-c', 'echo two > /d/b']);
  await d.halt(true);
  await d.launch();
  assert.equal(await docker(['run', '--rm', '-v', 'durable:/d', 'busybox', 'cat', '/d/a', '/d/b']), 'one\ntwo\n');
  await docker(['rm', '-f', 'writer']);
  assert.match(await docker(['volume', 'ls', '-q']), /^durable$/m);
});

test('prune removes unused volumes; the API gives docker\'s errors', async () => {
  await docker(['run', '-d', '--name', 'holder', '-v', 'held:/h', 'busybox', 'sleep', '300']);
  const pruned = await docker(['volume', 'prune', '-f']);
  assert.match(pruned, /shared/);
  assert.doesNotMatch(pruned, /held/);
  assert.equal((await d.api('GET', '/volumes/nope')).status, 404);
  assert.equal((await d.api('DELETE', '/volumes/held')).status, 409);
  assert.equal((await d.api('POST', '/volumes/create', { Name: 'bad/name' })).status, 400);
  assert.equal((await d.api('POST', '/volumes/create', { Name: 'x1', Driver: 'nfs-plugin' })).status, 404);
  assert.equal((await d.api('POST', '/containers/create', { Image: 'busybox', HostConfig: { Mounts: [{ Type: 'weird', Target: '/x' }] } })).status, 400);
  await docker(['rm', '-f', 'holder']);
});
