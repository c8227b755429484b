import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildContainerOptions, CONTAINER_FLAGS, parseRestartPolicy, parseUlimit } from '../../src/cli/container-opts.ts';
import type { ContainerOptions } from '../../src/cli/container-opts.ts';
import { parseFlags } from '../../src/cli/flags.ts';
import { parseMount } from '../../src/cli/mount-opts.ts';
import { kvToMap, parseKeyValueFile, readKvFiles, resolveEnv, validateEnv, validateLabel } from '../../src/cli/kvfile.ts';
import { parsePorts, parsePortSpec } from '../../src/cli/portspec.ts';

const files: Record<string, string> = {
  '/env': '# comment\n\nFOO=bar\n  SPACED=  kept  \nFROM_HOST\nNOT_SET\nEMPTY=\n',
  '/labels': 'team=infra\nbare\n',
};

function build(argv: string[], env: NodeJS.ProcessEnv = { FROM_HOST: 'host-value' }): ContainerOptions {
  const { flags, args } = parseFlags(CONTAINER_FLAGS, argv, false);
  return buildContainerOptions(flags, args, {
    readFile: (p) => {
      if (!(p in files)) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
      return files[p]!;
    },
    env,
    cwd: '/',
  });
}

test('a bare image gives docker defaults', () => {
  const { body, name, pull } = build(['busybox']);
  assert.equal(body.Image, 'busybox');
  assert.equal(body.Cmd, null);
  assert.equal(body.Env, null);
  assert.equal(body.Entrypoint, null);
  assert.deepEqual(body.Labels, {});
  assert.equal(body.AttachStdin, false);
  assert.equal(body.AttachStdout, true);
  assert.equal(body.AttachStderr, true);
  assert.equal(body.Tty, false);
  assert.equal(body.OpenStdin, false);
  assert.equal(body.StdinOnce, false);
  assert.equal(body.HostConfig.NetworkMode, 'default');
  assert.deepEqual(body.HostConfig.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
  assert.equal(body.HostConfig.AutoRemove, false);
  assert.equal(body.HostConfig.MemorySwappiness, -1);
  assert.equal('Init' in body.HostConfig, false);
  assert.equal(name, '');
  assert.equal(pull, 'missing');
});

test('command, environment, labels and files', () => {
  const { body } = build(['--env-file', '/env', '-e', 'FOO=override', '-e', 'FROM_HOST', '--label-file', '/labels', '-l', 'x=y', '-l', 'flag', 'busybox', 'sh', '-c', 'echo hi']);
  assert.deepEqual(body.Cmd, ['sh', '-c', 'echo hi']);
  // Files first, flags after (they win); bare names take the caller's value or are dropped.
  assert.deepEqual(body.Env, ['FOO=bar', 'SPACED=  kept  ', 'FROM_HOST=host-value', 'EMPTY=', 'FOO=override', 'FROM_HOST=host-value']);
  assert.deepEqual(body.Labels, { team: 'infra', x: 'y', flag: '' });
});

test('stdin, tty and attach', () => {
  const it = build(['-it', 'busybox']).body;
  assert.equal(it.AttachStdin, true);
  assert.equal(it.OpenStdin, true);
  assert.equal(it.StdinOnce, true);
  assert.equal(it.Tty, true);
  const a = build(['-a', 'STDERR', 'busybox']).body;
  assert.equal(a.AttachStdout, false);
  assert.equal(a.AttachStderr, true);
  assert.throws(() => parseFlags(CONTAINER_FLAGS, ['-a', 'bogus', 'x'], false), /valid streams are STDIN, STDOUT and STDERR/);
});

test('host config mapping', () => {
  const { body, name } = build([
    '--name', 'web', '-w', '/srv', '-u', '1000:1000', '--entrypoint', '/bin/sh', '--restart', 'on-failure:3', '--init',
    '--hostname', 'box', '--network', 'host', '--privileged', '--read-only', '--cap-add', 'NET_ADMIN', '--cap-drop', 'ALL',
    '--security-opt', 'no-new-privileges', '--stop-signal', 'SIGINT', '--stop-timeout', '5', '--log-driver', 'json-file',
    '--log-opt', 'max-size=10m', '-m', '512m', '--cpus', '1.5', '--ulimit', 'nofile=1024:2048', '--pids-limit', '100',
    '--tmpfs', '/run:size=1m', '--shm-size', '64m', '--dns', '8.8.8.8', '--add-host', 'db:10.0.0.2', '--sysctl', 'net.core.somaxconn=1024',
    'busybox',
  ]);
  assert.equal(name, 'web');
  assert.equal(body.WorkingDir, '/srv');
  assert.equal(body.User, '1000:1000');
  assert.deepEqual(body.Entrypoint, ['/bin/sh']);
  assert.equal(body.Hostname, 'box');
  assert.equal(body.StopSignal, 'SIGINT');
  assert.equal(body.StopTimeout, 5);
  const h = body.HostConfig;
  assert.deepEqual(h.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.equal(h.Init, true);
  assert.equal(h.NetworkMode, 'host');
  assert.equal(h.Privileged, true);
  assert.equal(h.ReadonlyRootfs, true);
  assert.deepEqual(h.CapAdd, ['NET_ADMIN']);
  assert.deepEqual(h.CapDrop, ['ALL']);
  assert.deepEqual(h.SecurityOpt, ['no-new-privileges']);
  assert.deepEqual(h.LogConfig, { Type: 'json-file', Config: { 'max-size': '10m' } });
  assert.equal(h.Memory, 512 * 1024 * 1024);
  assert.equal(h.NanoCpus, 1_500_000_000);
  assert.deepEqual(h.Ulimits, [{ Name: 'nofile', Soft: 1024, Hard: 2048 }]);
  assert.equal(h.PidsLimit, 100);
  assert.deepEqual(h.Tmpfs, { '/run': 'size=1m' });
  assert.equal(h.ShmSize, 64 * 1024 * 1024);
  assert.deepEqual(h.Dns, ['8.8.8.8']);
  assert.deepEqual(h.ExtraHosts, ['db:10.0.0.2']);
  assert.deepEqual(h.Sysctls, { 'net.core.somaxconn': '1024' });
});

test('--entrypoint= resets the entrypoint; --init=false is sent', () => {
  const { body } = build(['--entrypoint=', '--init=false', 'busybox']);
  assert.deepEqual(body.Entrypoint, ['']);
  assert.equal(body.HostConfig.Init, false);
});

test('volumes, mounts and ports', () => {
  const { body } = build(['-v', '/host:/ctr:ro', '-v', '/anon', '-v', 'named:/data', '--mount', 'type=bind,src=/a,dst=/b,readonly', '-p', '8080:80', '-p', '127.0.0.1:53:53/udp', '--expose', '9000-9001', '-P', 'busybox']);
  assert.deepEqual(body.HostConfig.Binds, ['/host:/ctr:ro', 'named:/data']);
  assert.deepEqual(body.Volumes, { '/anon': {} });
  assert.deepEqual(body.HostConfig.Mounts, [{ Type: 'bind', Source: '/a', Target: '/b', ReadOnly: true }]);
  assert.deepEqual(body.ExposedPorts, { '80/tcp': {}, '53/udp': {}, '9000/tcp': {}, '9001/tcp': {} });
  assert.deepEqual(body.HostConfig.PortBindings, { '80/tcp': [{ HostIp: '', HostPort: '8080' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '53' }] });
  assert.equal(body.HostConfig.PublishAllPorts, true);
});

test('invalid combinations fail like docker parse()', () => {
  assert.throws(() => build(['--rm', '--restart', 'always', 'x']), /conflicting options: cannot specify both --restart and --rm/);
  assert.throws(() => build(['--restart', ':3', 'x']), /no policy provided before colon/);
  assert.throws(() => build(['--restart', 'always:x', 'x']), /maximum retry count must be an integer/);
  assert.throws(() => build(['--env-file', '/missing', 'x']), /open \/missing: no such file or directory/);
  assert.throws(() => build(['--memory-swappiness', '101', 'x']), /Valid memory swappiness range is 0-100/);
  assert.throws(() => build(['--pull', 'sometimes', 'x']), /invalid pull option: 'sometimes'/);
  assert.throws(() => build(['--log-driver', 'none', '--log-opt', 'a=b', 'x']), /invalid logging opts for driver none/);
  assert.throws(() => build(['--no-healthcheck', '--health-cmd', 'true', 'x']), /--no-healthcheck conflicts/);
  assert.throws(() => build(['-p', '80:abc', 'x']), /invalid containerPort: abc/);
  assert.throws(() => build(['--security-opt', 'bogus', 'x']), /Invalid --security-opt: "bogus"/);
});

test('flag values are checked as they are parsed', () => {
  const bad = (argv: string[], re: RegExp): void => assert.throws(() => parseFlags(CONTAINER_FLAGS, [...argv, 'x'], false), re);
  bad(['-m', '1z'], /invalid argument "1z" for "-m, --memory" flag: invalid suffix: 'z'/);
  bad(['--cpus', 'abc'], /failed to parse abc as a rational number/);
  bad(['--cpus', '0.0000000001'], /value is too precise/);
  bad(['-e', '=x'], /invalid environment variable: =x/);
  bad(['-l', ' =x'], /invalid label ' =x': empty name/);
  bad(['--ulimit', 'bogus=1'], /invalid ulimit type: bogus/);
  bad(['--health-interval', '5'], /missing unit in duration/);
  bad(['--stop-timeout', 'x'], /strconv.ParseInt/);
});

test('healthcheck', () => {
  const { body } = build(['--health-cmd', 'curl -f localhost', '--health-interval', '30s', '--health-retries', '3', 'x']);
  assert.deepEqual(body.Healthcheck, { Test: ['CMD-SHELL', 'curl -f localhost'], Interval: 30e9, Timeout: 0, StartPeriod: 0, StartInterval: 0, Retries: 3 });
  assert.deepEqual(build(['--no-healthcheck', 'x']).body.Healthcheck, { Test: ['NONE'] });
  assert.equal(build(['x']).body.Healthcheck, undefined);
});

test('restart policies', () => {
  assert.deepEqual(parseRestartPolicy('always'), { Name: 'always', MaximumRetryCount: 0 });
  assert.deepEqual(parseRestartPolicy('on-failure:5'), { Name: 'on-failure', MaximumRetryCount: 5 });
  assert.deepEqual(parseRestartPolicy(''), { Name: '', MaximumRetryCount: 0 });
});

test('ulimits and mounts', () => {
  assert.deepEqual(parseUlimit('nproc=10'), { Name: 'nproc', Soft: 10, Hard: 10 });
  assert.throws(() => parseUlimit('nofile=10:5'), /soft limit must be less than or equal to hard limit: 10 > 5/);
  assert.throws(() => parseUlimit('nofile'), /invalid ulimit argument: nofile/);
  assert.deepEqual(parseMount('type=tmpfs,dst=/t,tmpfs-size=1m', '/'), { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576 } });
  assert.throws(() => parseMount('type=bind,src=/a', '/'), /target is required/);
});

test('env and label files', () => {
  assert.deepEqual(parseKeyValueFile('\uFEFFA=1\r\n# x\n\n  B= 2 \nC', (k) => (k === 'C' ? 'c' : undefined)), ['A=1', 'B= 2 ', 'C=c']);
  assert.throws(() => parseKeyValueFile('A B=1'), /variable 'A B' contains whitespaces/);
  assert.throws(() => parseKeyValueFile('=1'), /no variable name on line '=1'/);
  assert.deepEqual(parseKeyValueFile('K\nL=1'), ['L=1']);
  assert.deepEqual(readKvFiles(['/f'], ['X=2'], () => 'X=1\n'), ['X=1', 'X=2']);
  assert.equal(resolveEnv('A', { A: 'from-env' }), 'A=from-env');
  assert.equal(resolveEnv('A', {}), 'A');
  assert.equal(resolveEnv('A=1', { A: 'x' }), 'A=1');
  assert.throws(() => validateEnv('=x'), /invalid environment variable: =x/);
  assert.equal(validateLabel('k=v'), 'k=v');
  assert.deepEqual(kvToMap(['a=1', 'b', 'a=2', 'c=x=y']), { a: '2', b: '', c: 'x=y' });
});

test('port specs', () => {
  assert.deepEqual(parsePortSpec('80'), [{ port: '80/tcp', binding: { HostIp: '', HostPort: '' } }]);
  assert.deepEqual(parsePortSpec('[::1]:8080:80'), [{ port: '80/tcp', binding: { HostIp: '::1', HostPort: '8080' } }]);
  assert.deepEqual(parsePortSpec('8000-8001:80-81/udp').map((m) => `${m.binding.HostPort}->${m.port}`), ['8000->80/udp', '8001->81/udp']);
  assert.deepEqual(parsePortSpec('8000-8010:80'), [{ port: '80/tcp', binding: { HostIp: '', HostPort: '8000-8010' } }]);
  assert.throws(() => parsePortSpec('1.2.3:80:80'), /invalid IP address: 1.2.3/);
  assert.throws(() => parsePortSpec('80/xyz'), /invalid proto: xyz/);
  assert.throws(() => parsePortSpec('8000-8001:80-85'), /invalid ranges specified/);
  assert.deepEqual(parsePorts(['published=8080,target=80,protocol=udp'], []).bindings, { '80/udp': [{ HostIp: '', HostPort: '8080' }] });
  assert.throws(() => parsePorts([], ['1:2']), /invalid port format for --expose: 1:2/);
});
