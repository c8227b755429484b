// berth's networking commands against a real berthd, side by side with the
// docker CLI on the same daemon: same output, same exit codes. Traffic goes
// only to 127.0.0.1 and to the containers' own addresses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, httpGet } from '../helpers/net.ts';
import { TestDaemon, until } from '../helpers/daemon.ts';
import type { RunResult } from '../helpers/daemon.ts';

const d = TestDaemon.forFile();

/** What a CLI run shows the user, with docker's name for itself (not its docs' host) replaced by berth's. */
function shown(r: RunResult): RunResult {
  const rename = (s: string): string => s.replace(/docker(?!\.com)/g, 'berth');
  return { code: r.code, stdout: rename(r.stdout), stderr: rename(r.stderr) };
}

/** IDs of containers the two runs created differ; the rest of a message must not. */
function masked(r: RunResult): RunResult {
  const mask = (s: string): string => s.replace(/\b[0-9a-f]{12}(?:[0-9a-f]{52})?\b/g, '<id>');
  return { code: r.code, stdout: mask(r.stdout), stderr: mask(r.stderr) };
}

/** Runs a command with both CLIs and checks they agree; maskIds for commands that create containers. */
async function same(args: string[], maskIds = false): Promise<RunResult> {
  const berth = await d.berth(args);
  const docker = shown(await d.docker(args));
  assert.deepEqual(maskIds ? masked(berth) : berth, maskIds ? masked(docker) : docker, `berth vs docker: ${args.join(' ')}`);
  return berth;
}

/** Commands whose output changes from second to second (ps STATUS) agree once both run within the same second. */
async function sameEventually(args: string[]): Promise<void> {
  let last = '';
  await until(async () => {
    const [b, k] = [await d.berth(args), await d.docker(args)];
    last = `berth:\n${b.stdout}${b.stderr}docker:\n${k.stdout}${k.stderr}`;
    return b.code === k.code && b.stdout === k.stdout;
  }, `berth and docker agree on ${args.join(' ')}`, 5_000).catch(() => assert.fail(last));
}

async function ok(args: string[]): Promise<string> {
  const r = await d.berth(args);
  assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('network create, ls and inspect print what docker prints', async () => {
  const id = (await ok(['network', 'create', '--subnet', '10.231.9.0/24', '--gateway', '10.231.9.1', '--label', 'tier=web', 'bnet'])).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.equal((await d.docker(['network', 'inspect', '-f', '{{.Id}}', 'bnet'])).stdout.trim(), id);
  assert.equal((await d.docker(['network', 'create', '--internal', 'dnet9'])).code, 0);
  assert.equal((await ok(['network', 'create', '-d', 'bridge', '--attachable', 'dnet10'])).length, 65);
  try {
    for (const args of [
      [], ['-q'], ['--no-trunc'], ['--format', 'json'], ['--format', 'raw'], ['-q', '--format', 'table'],
      ['--format', 'table {{.Name}}\t{{.Driver}}\t{{.IPv6}}\t{{.Internal}}\t{{.Labels}}\t{{.Label "tier"}}\t{{.CreatedAt}}'],
      ['--filter', 'type=custom'], ['--filter', 'type=builtin'], ['-f', 'name=net'], ['-f', 'label=tier=web'], ['-f', 'driver=bridge'],
      ['-f', 'dangling=true'], ['-f', `id=${id.slice(0, 8)}`], ['-f', 'scope=local'], ['-f', 'bogus=1'], ['-f', 'nonsense'],
    ]) {
      await same(['network', 'ls', ...args]);
    }
    await same(['network', 'list']);
    await same(['network', 'inspect', 'bnet', 'dnet9']);
    await same(['network', 'inspect', '-f', 'json', 'bnet']);
    await same(['network', 'inspect', '-f', '{{.Name}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{json .Labels}}', 'bnet', 'bridge']);
    await same(['network', 'inspect', 'nonet', 'bnet']);
    await same(['network', 'inspect', '-f', '{{.Nope}}', 'bnet']);
    await same(['inspect', '--type', 'network', '-f', '{{.Internal}}', 'dnet9']);
    // Refusals come from the daemon and read the same through both CLIs.
    await same(['network', 'create', 'bnet']);
    await same(['network', 'create', '--subnet', '10.231.0.0/16', 'overlap']);
    await same(['network', 'create', '--subnet', '10.231.9.0/24', '--gateway', '10.232.0.1', 'nogw']);
    await same(['network', 'create', '--gateway', '10.232.0.1', 'nosubnet']);
  } finally {
    assert.equal((await ok(['network', 'rm', 'bnet', 'dnet9', 'dnet10'])), 'bnet\ndnet9\ndnet10\n');
  }
});

test('run --network, --ip and --network-alias reach the daemon as docker\'s do; port and ps agree', async () => {
  await ok(['network', 'create', '--subnet', '10.231.10.0/24', 'appnet']);
  const port = await freePort();
  try {
    await ok(['run', '-d', '--name', 'c1', '--network', 'appnet', '--ip', '10.231.10.5', '--network-alias', 'one', '-p', `127.0.0.1:${port}:80`, '-p', '127.0.0.1::53/udp',
      'busybox', 'sh', '-c', 'echo from-c1 > /page; httpd -f -p 80 -h /']);
    assert.equal((await d.docker(['run', '-d', '--name', 'c2', '--network', 'appnet', '--ip', '10.231.10.6', '--network-alias', 'two', 'busybox', 'sleep', '300'])).code, 0);
    const view = (name: string): Promise<RunResult> =>
      d.berth(['inspect', '-f', '{{.HostConfig.NetworkMode}} {{json .NetworkSettings.Networks.appnet.IPAMConfig}} {{.NetworkSettings.Networks.appnet.IPAddress}} {{json .NetworkSettings.Networks.appnet.Aliases}}', name]);
    const [v1, v2] = [(await view('c1')).stdout, (await view('c2')).stdout];
    assert.match(v1, /^appnet \{"IPv4Address":"10\.231\.10\.5"\} 10\.231\.10\.5 \[.*"one".*\]\n$/);
    assert.equal(v1.replace('10.231.10.5', 'IP').replace('10.231.10.5', 'IP').replace('"one"', 'A').replace(/"[0-9a-f]{12}"/, 'ID'), v2.replace('10.231.10.6', 'IP').replace('10.231.10.6', 'IP').replace('"two"', 'A').replace(/"[0-9a-f]{12}"/, 'ID'));
    // The containers reach each other at the addresses they asked for.
    assert.equal((await d.berth(['exec', 'c2', 'wget', '-qO-', 'http://10.231.10.5/page'])).stdout, 'from-c1\n');
    await until(async () => (await httpGet(port, '/page').catch(() => '')) === 'from-c1\n', 'published port');

    for (const args of [['c1'], ['c1', '80'], ['c1', '80/tcp'], ['c1', '53/udp'], ['c1', '81'], ['c1', '443/tcp'], ['c1', 'http'], ['c2'], ['nobody'], ['c1', '80', 'x']]) {
      await same(['port', ...args]);
    }
    await same(['container', 'port', 'c1']);
    await sameEventually(['ps']);
    await sameEventually(['ps', '-a', '--no-trunc']);
    await same(['ps', '--format', 'table {{.Names}}\t{{.Ports}}\t{{.Networks}}\t{{.Label "com.example.x"}}']);
    await same(['ps', '--format', '{{json .Ports}}', '--filter', 'name=c1']);
    await same(['network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{.IPv4Address}}{{"\\n"}}{{end}}', 'appnet']);

    // Sharing a container's namespace, and what docker refuses before asking the daemon.
    await ok(['run', '-d', '--name', 'side', '--network', 'container:c1', 'busybox', 'sleep', '300']);
    assert.equal((await d.docker(['run', '-d', '--name', 'side2', '--network', 'container:c1', 'busybox', 'sleep', '300'])).code, 0);
    assert.equal((await d.berth(['inspect', '-f', '{{.HostConfig.NetworkMode}}', 'side'])).stdout.replace('side', ''), (await d.docker(['inspect', '-f', '{{.HostConfig.NetworkMode}}', 'side2'])).stdout.replace('side2', ''));
    await same(['run', '--rm', '--network-alias', 'a', 'busybox', 'true']);
    await same(['run', '--rm', '--network', 'bridge', '--network-alias', 'a', 'busybox', 'true']);
    await same(['run', '--rm', '--network', 'container:c1', '--network-alias', 'a', 'busybox', 'true']);
    await same(['run', '--rm', '--network', 'appnet', '--network', 'appnet', 'busybox', 'true']);
    await same(['create', '--network', 'appnet', '--mac-address', 'zz', 'busybox']);
    await same(['run', '--rm', '--network', 'name=appnet,foo=bar', 'busybox', 'true']);
    // The daemon's own refusals: an address outside the subnet, one already taken.
    await same(['run', '--rm', '--network', 'appnet', '--ip', '10.99.0.5', 'busybox', 'true'], true);
    await same(['run', '--rm', '--network', 'appnet', '--ip', '10.231.10.6', 'busybox', 'true'], true);
  } finally {
    await ok(['rm', '-f', 'c1', 'c2', 'side', 'side2']);
    await ok(['network', 'rm', 'appnet']);
  }
});

test('connect, disconnect, rm and prune: output and exit codes as docker\'s', async () => {
  await ok(['network', 'create', 'front']);
  await ok(['network', 'create', '--subnet', '10.231.11.0/24', 'back']);
  try {
    await ok(['run', '-d', '--name', 'b1', '--network', 'front', 'busybox', 'sleep', '300']);
    await ok(['run', '-d', '--name', 'd1', '--network', 'front', 'busybox', 'sleep', '300']);
    const viaBerth = await d.berth(['network', 'connect', '--alias', 'api', '--ip', '10.231.11.7', 'back', 'b1']);
    const viaDocker = await d.docker(['network', 'connect', '--alias', 'api2', '--ip', '10.231.11.8', 'back', 'd1']);
    assert.deepEqual(viaBerth, { code: 0, stdout: '', stderr: '' });
    assert.deepEqual(viaBerth, viaDocker);
    const eps = (name: string): Promise<string> => ok(['inspect', '-f', '{{range $n, $e := .NetworkSettings.Networks}}{{$n}}={{$e.IPAddress}} {{end}}', name]);
    assert.match(await eps('b1'), /^back=10\.231\.11\.7 front=[\d.]+ \n$/);
    assert.match(await eps('d1'), /^back=10\.231\.11\.8 front=[\d.]+ \n$/);
    assert.match((await ok(['exec', 'b1', 'ip', '-4', '-o', 'addr'])), /inet 10\.231\.11\.7\/24/);
    assert.equal((await d.berth(['exec', 'b1', 'ping', '-c', '1', '-W', '2', '10.231.11.8'])).code, 0);
    // Already connected; a missing network or container; both say so the same way.
    await same(['network', 'connect', 'back', 'b1']);
    await same(['network', 'connect', 'nonet', 'b1']);
    await same(['network', 'connect', 'back', 'nobody']);
    await same(['network', 'connect', '--driver-opt', 'novalue', 'back', 'b1']);
    await same(['network', 'connect', 'back']);
    assert.deepEqual(await d.berth(['network', 'disconnect', 'back', 'b1']), { code: 0, stdout: '', stderr: '' });
    assert.deepEqual(await d.docker(['network', 'disconnect', '-f', 'back', 'd1']), { code: 0, stdout: '', stderr: '' });
    assert.doesNotMatch(await eps('b1'), /back/);
    await same(['network', 'disconnect', 'back', 'b1']);
    assert.equal(await ok(['network', 'rm', 'back']), 'back\n');

    // rm: each name as it goes, each failure on stderr, then exit 1.
    await same(['network', 'rm', 'front']);
    for (const n of ['r1', 'r2', 'r3', 'r4']) await ok(['network', 'create', n]);
    const berthRm = await d.berth(['network', 'rm', 'r1', 'nonet', 'r2']);
    const dockerRm = await d.docker(['network', 'rm', 'r3', 'nonet', 'r4']);
    assert.equal(berthRm.code, 1);
    assert.equal(berthRm.stdout, 'r1\nr2\n');
    assert.match(berthRm.stderr, /^Error response from daemon: .*nonet.*\nexit status 1\n$/);
    assert.deepEqual(berthRm, { ...shown(dockerRm), stdout: dockerRm.stdout.replace('r3', 'r1').replace('r4', 'r2') });
    await same(['network', 'rm', '-f', 'nonet']);
    await same(['network', 'remove', 'nonet']);

    // prune: asks first; "n" keeps everything; filters narrow it.
    await ok(['network', 'create', '--label', 'prune=me', 'p1']);
    await ok(['network', 'create', '--label', 'prune=me', 'p2']);
    await ok(['network', 'create', 'keep']);
    const no = await d.berth(['network', 'prune'], { input: 'n\n' });
    assert.deepEqual(no, shown(await d.docker(['network', 'prune'], { input: 'n\n' })));
    assert.deepEqual(no, { code: 0, stdout: 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ', stderr: '' });
    assert.match(await ok(['network', 'ls', '-q', '-f', 'label=prune=me']), /^[0-9a-f]{12}\n[0-9a-f]{12}\n$/);
    const berthPrune = await d.berth(['network', 'prune', '-f', '--filter', 'label=prune=me']);
    assert.deepEqual(berthPrune, { code: 0, stdout: 'Deleted Networks:\np1\np2\n\n', stderr: '' });
    await ok(['network', 'create', '--label', 'prune=me', 'p3']);
    assert.deepEqual(await d.docker(['network', 'prune', '-f', '--filter', 'label=prune=me']), { code: 0, stdout: 'Deleted Networks:\np3\n\n', stderr: '' });
    // A "y" removes every unused custom network: keep, but not front (b1 and d1 are on it).
    const yes = await d.berth(['network', 'prune'], { input: 'y\n' });
    assert.equal(yes.stdout, 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] Deleted Networks:\nkeep\n\n');
    await same(['network', 'prune', '-f']);
    await same(['network', 'ls', '--format', '{{.Name}}']);
  } finally {
    await ok(['rm', '-f', 'b1', 'd1']);
    await d.berth(['network', 'rm', '-f', 'front', 'back', 'keep', 'p1', 'p2', 'p3', 'r1', 'r2', 'r3', 'r4']);
  }
});

test('usage errors and help match docker\'s', async () => {
  for (const args of [
    ['network'], ['network', 'bogus'], ['network', 'create'], ['network', 'create', 'a', 'b'], ['network', 'ls', 'x'], ['network', 'rm'],
    ['network', 'inspect'], ['network', 'connect', 'x'], ['network', 'disconnect'], ['network', 'prune', 'x'], ['port'], ['port', 'a', 'b', 'c'],
    ['network', 'create', '--label', '=x', 'n'], ['network', 'ls', '--bogus'], ['network', 'create', '--subnet', '10.1.0.0/16', '--subnet', '10.1.2.0/24', 'n'],
    ['network', 'create', '--subnet', '10.1.0.0/16', '--ip-range', '10.2.0.0/24', 'n'],
  ]) {
    await same(args);
  }
  for (const sub of ['create', 'ls', 'inspect', 'rm', 'prune', 'connect', 'disconnect']) {
    const help = await d.berth(['network', sub, '--help']);
    assert.deepEqual(help, shown(await d.docker(['network', sub, '--help'])));
  }
});
