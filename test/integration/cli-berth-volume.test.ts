// berth's volume commands, and run's -v/--mount/--tmpfs/--volumes-from,
// against a real berthd, side by side with the docker CLI on the same daemon:
// same output, same exit codes, same containers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDaemon, until } from '../helpers/daemon.ts';
import type { RunResult } from '../helpers/daemon.ts';

const d = TestDaemon.forFile();

/** What a CLI run shows the user, with docker's name for itself (not its docs' host) replaced by berth's. */
function shown(r: RunResult): RunResult {
  const rename = (s: string): string => s.replace(/docker(?!\.com)/g, 'berth').replaceAll('Docker daemon', 'berth daemon');
  return { code: r.code, stdout: rename(r.stdout), stderr: rename(r.stderr) };
}

/** Runs a command with both CLIs (berth first) and checks they agree. */
async function same(args: string[], input?: string): Promise<RunResult> {
  const berth = await d.berth(args, { input });
  assert.deepEqual(berth, shown(await d.docker(args, { input })), `berth vs docker: ${args.join(' ')}`);
  return berth;
}

/** For output that changes from second to second (ps STATUS, df CREATED). */
async function sameEventually(args: string[]): Promise<void> {
  let last = '';
  await until(async () => {
    const [b, k] = [await d.berth(args), shown(await d.docker(args))];
    last = `berth:\n${b.stdout}${b.stderr}docker:\n${k.stdout}${k.stderr}`;
    return b.code === k.code && b.stdout === k.stdout;
  }, `berth and docker agree on ${args.join(' ')}`, 5_000).catch(() => assert.fail(last));
}

async function ok(args: string[], input?: string): Promise<string> {
  const r = await d.berth(args, { input });
  assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('volume create, ls, inspect and rm print what docker prints', async () => {
  assert.equal(await ok(['volume', 'create', '--label', 'tier=web', 'bvol1']), 'bvol1\n');
  assert.equal(await ok(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=1m', '--name', 'bvol2']), 'bvol2\n');
  assert.deepEqual(await d.docker(['volume', 'create', '-d', 'local', 'dvol10']), { code: 0, stdout: 'dvol10\n', stderr: '' });
  const anon = (await ok(['volume', 'create'])).trim();
  assert.match(anon, /^[0-9a-f]{64}$/);
  try {
    for (const args of [
      [], ['-q'], ['--format', 'json'], ['--format', 'raw'], ['-q', '--format', 'raw'], ['-q', '--format', 'table'],
      ['--format', 'table {{.Name}}\t{{.Driver}}\t{{.Scope}}\t{{.Labels}}\t{{.Label "tier"}}\t{{.Mountpoint}}\t{{.Links}}\t{{.Size}}\t{{.Status}}'],
      ['-f', 'name=vol'], ['-f', 'label=tier=web'], ['-f', 'label=tier'], ['-f', 'driver=local'], ['-f', 'dangling=true'], ['-f', 'dangling=false'],
      ['-f', 'bogus=1'], ['-f', 'dangling=maybe'], ['-f', 'nonsense'], ['--format', '{{.ID}}'], ['x'],
    ]) {
      await same(['volume', 'ls', ...args]);
    }
    await same(['volume', 'list', '-q']);
    await same(['volume', 'inspect', 'bvol1', 'bvol2', anon]);
    await same(['volume', 'inspect', '-f', 'json', 'bvol1']);
    await same(['volume', 'inspect', '-f', '{{.Name}} {{.Driver}} {{json .Labels}} {{.Options}} {{.Mountpoint}} {{.Scope}} {{.UsageData}}', 'bvol1', 'bvol2']);
    await same(['volume', 'inspect', 'novol', 'bvol1']);
    await same(['volume', 'inspect', '-f', '{{.Nope}}', 'bvol1']);
    await same(['volume', 'inspect', '']);
    await same(['volume', 'inspect']);
    await same(['inspect', '--type', 'volume', '-f', '{{.Name}} {{.Labels}}', 'bvol1']);
    await same(['inspect', 'bvol2']);
    // Creating an existing volume answers with it; the daemon's refusals read the same through both.
    await same(['volume', 'create', 'bvol1']);
    await same(['volume', 'create', 'bad/name']);
    await same(['volume', 'create', '-d', 'nodriver', 'x']);
    await same(['volume', 'create', '-o', 'bogus=1', 'x']);
    await same(['volume', 'create', '-o', 'type=tmpfs', 'x']);
    await same(['volume', 'create', '--name', 'a', 'b']);
    await same(['volume', 'create', 'a', 'b']);
    await same(['volume', 'create', '--label', '=x']);
    await same(['volume', 'rm', 'novol']);
    await same(['volume', 'rm', '-f', 'novol']);
    await same(['volume', 'rm', '']);
    await same(['volume', 'rm']);
  } finally {
    assert.equal(await ok(['volume', 'rm', 'bvol1', 'bvol2', 'dvol10', anon]), `bvol1\nbvol2\ndvol10\n${anon}\n`);
  }
});

test('volumes in use: rm refuses, ps and system df show them, prune takes the unused', async () => {
  const host = mkdtempSync(join(tmpdir(), 'berth-volume-'));
  await ok(['volume', 'create', 'used']);
  await ok(['volume', 'create', '--label', 'keep=no', 'free1']);
  await ok(['volume', 'create', '--label', 'keep=no', 'free2']);
  await ok(['volume', 'create', 'free3']);
  try {
    await ok(['run', '-d', '--name', 'vc1', '-v', 'used:/data', '-v', '/anon', '-v', `${host}:/h:ro`, '--mount', 'type=tmpfs,dst=/t', 'busybox', 'sleep', '600']);
    await same(['volume', 'rm', 'used', 'novol']);
    await same(['volume', 'rm', '-f', 'used']);
    await same(['volume', 'ls', '-f', 'dangling=true']);
    await same(['volume', 'ls', '-f', 'dangling=false', '--format', '{{.Name}} {{.Links}}']);
    await same(['ps', '--format', '{{.Names}} {{.Mounts}} {{.LocalVolumes}}']);
    await same(['ps', '--no-trunc', '--format', '{{.Mounts}}']);
    await same(['system', 'df', '-v', '--format', '{{range .Volumes}}{{.Name}} {{.Links}} {{.Size}} {{.Driver}} {{.Mountpoint}}{{"\\n"}}{{end}}']);
    await sameEventually(['system', 'df', '-v']);
    await sameEventually(['system', 'df']);

    // prune asks first, and "n" keeps everything; API 1.41 prunes named volumes too, as the prompt says.
    const no = await same(['volume', 'prune'], 'n\n');
    assert.deepEqual(no, { code: 0, stdout: 'WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ', stderr: '' });
    await same(['volume', 'prune', '-a']);
    const filtered = await d.berth(['volume', 'prune', '-f', '--filter', 'label=keep=no']);
    const deleted = filtered.stdout.split('\n').slice(1, 3).sort();
    assert.deepEqual({ ...filtered, stdout: filtered.stdout.replace(/^Deleted Volumes:\n(free[12]\n){2}\n/, '') }, { code: 0, stdout: 'Total reclaimed space: 0B\n', stderr: '' });
    assert.deepEqual(deleted, ['free1', 'free2']);
    await same(['volume', 'prune', '-f', '--filter', 'label=keep=no']);
    await same(['volume', 'prune', '-f', '--filter', 'bogus=1']);
    const yes = await d.berth(['volume', 'prune'], { input: 'y\n' });
    assert.deepEqual(yes, { code: 0, stdout: 'WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] Deleted Volumes:\nfree3\n\nTotal reclaimed space: 0B\n', stderr: '' });
    await same(['volume', 'ls', '-q', '-f', 'name=used']);
  } finally {
    rmSync(host, { recursive: true, force: true });
    await d.berth(['rm', '-f', '-v', 'vc1']);
    await d.berth(['volume', 'rm', '-f', 'used', 'free1', 'free2', 'free3']);
  }
});

test('run -v, --mount, --tmpfs and --volumes-from make the containers docker\'s flags make', async () => {
  const host = mkdtempSync(join(tmpdir(), 'berth-volume-'));
  const view = '{{json .HostConfig.Binds}} {{json .HostConfig.Mounts}} {{json .Config.Volumes}} {{json .HostConfig.Tmpfs}} {{json .HostConfig.VolumesFrom}} {{.HostConfig.ReadonlyRootfs}}';
  const cases: string[][] = [
    ['-v', 'data1:/data', '-v', '/anon', '--read-only'],
    ['-v', `${host}:/h:ro`, '--tmpfs', '/run:size=1m'],
    ['--mount', `type=bind,src=${host},dst=/b,readonly,bind-propagation=rslave`, '--mount', 'type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1770'],
    ['--mount', 'type=volume,src=data2,dst=/d,volume-nocopy,volume-label=a=b,volume-opt=type=tmpfs,volume-opt=device=tmpfs'],
    ['--volumes-from', 'src:ro'],
  ];
  try {
    await ok(['create', '--name', 'src', '-v', 'data1:/data', 'busybox']);
    for (const [i, flags] of cases.entries()) {
      await ok(['create', '--name', `b${i}`, ...flags, 'busybox']);
      assert.equal((await d.docker(['create', '--name', `k${i}`, ...flags, 'busybox'])).code, 0);
      assert.equal(await ok(['inspect', '-f', view, `b${i}`]), await ok(['inspect', '-f', view, `k${i}`]), flags.join(' '));
    }
    // Data written through one container is there for the next; :ro refuses writes.
    await ok(['run', '--rm', '-v', 'data1:/data', 'busybox', 'sh', '-c', 'echo hi > /data/f']);
    assert.equal(await ok(['run', '--rm', '--volumes-from', 'src:ro', 'busybox', 'cat', '/data/f']), 'hi\n');
    assert.notEqual((await d.berth(['run', '--rm', '-v', 'data1:/data:ro', 'busybox', 'touch', '/data/g'])).code, 0);
    await same(['volume', 'inspect', '-f', '{{.Name}} {{.Labels}} {{.Options}}', 'data2']);
    // What docker refuses before asking the daemon.
    for (const flags of [['-v', ''], ['-v', '/a:/b:ro:x'], ['--mount', 'type=bind,dst=/b,volume-nocopy'], ['--mount', 'src=/a'], ['--mount', 'type=bind,src=/a,dst=/b,bind-recursive=readonly,ro,bind-propagation=rprivate']]) {
      await same(['create', ...flags, 'busybox']);
      await same(['run', '--rm', ...flags, 'busybox', 'true']);
    }
  } finally {
    rmSync(host, { recursive: true, force: true });
    await d.berth(['rm', '-f', '-v', 'src', ...cases.flatMap((_, i) => [`b${i}`, `k${i}`])]);
    await d.berth(['volume', 'rm', '-f', 'data1', 'data2']);
  }
});

test('volume usage errors and help match docker\'s', async () => {
  for (const args of [['volume'], ['volume', 'bogus'], ['volume', 'ls', '--bogus'], ['volume', 'prune', 'x'], ['volume', 'inspect', '-f', '{{', 'x']]) {
    await same(args);
  }
  for (const sub of ['create', 'ls', 'list', 'inspect', 'rm', 'prune']) await same(['volume', sub, '--help']);
  await same(['volume', '--help']);
  // The tests before left no volume behind.
  assert.equal(await ok(['volume', 'ls', '-q']), '');
});
