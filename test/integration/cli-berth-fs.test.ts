// berth cp, diff, export and commit side by side with the docker CLI on the
// same daemon: same files, same output, same messages and exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTH, DOCKER, TestDaemon, run, type RunResult } from '../helpers/daemon.ts';
import { readTar, streamOf, tarOf } from '../unit/storage-helpers.ts';

const d = TestDaemon.forFile();
const host = mkdtempSync(join(tmpdir(), 'berth-cli-fs-'));
test.after(() => rmSync(host, { recursive: true, force: true }));

// `{}` in a command stands for a name of each CLI's own, so the two never share a destination.
const TAG = { berth: 'by-b', docker: 'by-k' };

/** docker's output as berth's would read: its name for itself (and its tag, when it had one) made berth's, its Go log lines gone. */
function asBerth(r: RunResult, tagged: boolean): RunResult {
  const rename = (s: string): string => {
    const out = s.replace(/^time=.* level=.*\n/gm, '').replaceAll('docker', 'berth');
    return tagged ? out.replaceAll(TAG.docker, TAG.berth) : out;
  };
  return { code: r.code, stdout: rename(r.stdout), stderr: rename(r.stderr) };
}

/** Runs `args` with both CLIs and checks they agree. */
async function same(args: string[], input?: Buffer): Promise<RunResult> {
  const berth = await d.berth(args.map((a) => a.replaceAll('{}', TAG.berth)), { input });
  const docker = await d.docker(args.map((a) => a.replaceAll('{}', TAG.docker)), { input });
  assert.deepEqual(berth, asBerth(docker, args.some((a) => a.includes('{}'))), `berth vs docker: ${args.join(' ')}`);
  return berth;
}

/** The same on a terminal (util-linux script), where cp tells what it copied. */
async function sameOnTty(command: string): Promise<string> {
  const onTty = (bin: string, tag: string): Promise<RunResult> => run('script', ['-qec', `${bin} ${command.replaceAll('{}', tag)}`, '/dev/null'], { env: d.env });
  const berth = await onTty(BERTH, TAG.berth);
  assert.deepEqual(berth, asBerth(await onTty(DOCKER, TAG.docker), true), command);
  return berth.stdout;
}

const listing = (dir: string): string[] => readdirSync(dir, { recursive: true }).map(String).sort();

test('help texts match docker\'s', async () => {
  for (const cmd of [['cp'], ['diff'], ['export'], ['commit'], ['container', 'cp'], ['container', 'diff'], ['container', 'commit']]) await same([...cmd, '--help']);
});

test('cp: the same files land in the same places, and the same messages for what cannot be copied', async () => {
  await d.berth(['run', '-d', '--name', 'src', 'busybox', 'sh', '-c', 'mkdir -p /data/sub; echo x > /data/f; echo y > /data/sub/g; ln -s /etc /data/l; sleep 300']);
  await d.berth(['exec', 'src', 'true']);
  const local = join(host, 'local');
  mkdirSync(join(local, 'inner'), { recursive: true });
  writeFileSync(join(local, 'inner/file'), 'local');
  symlinkSync('inner/file', join(local, 'link'));
  for (const tag of Object.values(TAG)) mkdirSync(join(host, tag));
  const copies = [
    ['src:/data', '{}/dir'], ['src:/data/.', '{}/contents'], ['src:/data/f', '{}/file'], ['src:/data/l', '{}/link'],
    ['-L', 'src:/data/l', '{}/followed'], ['src:/data', '{}'],
  ];
  for (const args of copies) await same(['cp', ...args.slice(0, -1), join(host, args.at(-1)!)]);
  assert.deepEqual(listing(join(host, TAG.berth)), listing(join(host, TAG.docker)));
  assert.equal(readFileSync(join(host, TAG.berth, 'dir/sub/g'), 'utf8'), 'y\n');
  for (const args of [[local, 'src:/tmp/{}-a'], [`${local}/.`, 'src:/tmp/{}-b'], ['-L', `${local}/link`, 'src:/tmp/{}-c'], [`${local}/inner/file`, 'src:/tmp/']]) {
    await same(['cp', ...args]);
  }
  const tree = async (tag: string): Promise<string> => (await d.berth(['exec', 'src', 'ls', '-lR', ...['a', 'b', 'c'].map((s) => `/tmp/${tag}-${s}`)])).stdout;
  assert.equal(await tree(TAG.berth), (await tree(TAG.docker)).replaceAll(TAG.docker, TAG.berth));
  const failures = [
    ['src:/nonexist', join(host, 'x')], ['nosuch:/tmp', join(host, 'x')], [join(host, 'nothing'), 'src:/tmp'], ['./nothing', 'src:/tmp'],
    ['src:/tmp', '/nonexist/x'], ['src:/tmp', '/dev/null'], ['', 'src:/tmp'], [local, ''], ['src:/a', 'src:/b'], ['/a', '/b'],
    [local, 'nosuch:/tmp'], [local, 'src:/nonexist/x'], [`${local}/inner/file`, 'src:/data/f/'], [local, 'src:/data/f'],
    ['-', 'src:/nonexist'], ['src:/data/f', join(host, TAG.berth, 'file/x/')], ['src'],
  ];
  for (const args of failures) {
    const r = await same(['cp', ...args]);
    assert.notEqual(r.code, 0, args.join(' '));
  }
});

test('cp on a terminal reports what it copied, as docker 28 does', async () => {
  assert.match(await sameOnTty(`cp src:/data ${host}/tty-{}`), /^Successfully copied \d+(\.\d+)?kB to \/.*\/tty-by-b\r\n$/);
  await sameOnTty(`cp ${host}/local src:/tmp/tty-{}`);
  await sameOnTty(`cp -q src:/data ${host}/quiet-{}`);
  await sameOnTty(`cp src:/nonexist ${host}/none`);
  writeFileSync(join(host, 'piped.tar'), await tarOf([{ name: 'piped', content: 'p' }]));
  assert.equal(await sameOnTty(`cp - src:/tmp < ${host}/piped.tar`), 'Successfully copied 0B to src:/tmp\r\n');
});

test('diff, export and commit print what docker prints', async () => {
  await d.berth(['exec', 'src', 'sh', '-c', 'rm /bin/ls; echo z >> /etc/passwd']);
  const diff = await same(['diff', 'src']);
  assert.match(diff.stdout, /^D \/bin\/ls$/m);
  await same(['diff', 'nosuch']);
  await same(['diff']);
  await same(['export', '-o', join(host, '{}.tar'), 'src']);
  const names = async (tag: string): Promise<string[]> => (await readTar(streamOf(readFileSync(join(host, `${tag}.tar`))))).map((e) => e.header.name).sort();
  assert.deepEqual(await names(TAG.berth), await names(TAG.docker));
  await same(['export', 'nosuch']);
  for (const args of [['nosuch'], ['-c', 'BOGUS x', 'src'], ['src', 'a@sha256:' + '0'.repeat(64)], []]) await same(['commit', ...args]);
  const commit = ['commit', '-m', 'a message', '-a', 'A', '-c', 'CMD ["cat","/etc/passwd"]', 'src'];
  const berth = await d.berth([...commit, `from-${TAG.berth}`]);
  const docker = await d.docker([...commit, `from-${TAG.docker}`]);
  assert.match(berth.stdout, /^sha256:[a-f0-9]{64}\n$/);
  assert.deepEqual([berth.code, berth.stderr], [docker.code, docker.stderr]);
  const inspect = await same(['image', 'inspect', '-f', '{{.Author}} {{.Comment}} {{json .Config.Cmd}} {{len .RootFS.Layers}}', 'from-{}']);
  assert.equal(inspect.stdout, 'A a message ["cat","/etc/passwd"] 2\n');
  assert.match((await d.berth(['run', '--rm', `from-${TAG.berth}`])).stdout, /\nz\n$/);
  await d.berth(['rm', '-f', 'src']);
  await d.berth(['rmi', `from-${TAG.berth}`, `from-${TAG.docker}`]);
});
