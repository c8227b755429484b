// Docker's create-time rules (moby daemon/commit.go merge, mergeAndVerifyConfig,
// container.CreateDaemonEnvironment, runconfig validation) for berth's pure helpers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandOf, mergeConfig, mergeEnv, processEnv, validateCreate, validateName } from '../../src/engine/container-config.ts';
import type { ContainerDefaults } from '../../src/image/types.ts';
import type { ContainerConfig, HostConfig } from '../../src/engine/types.ts';
import { DEFAULT_PATH } from '../../src/runtime/defaults.ts';
import { ApiError } from '../../src/util/errors.ts';

const badRequest = (re?: RegExp) => (err: unknown): boolean => {
  assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
  assert.equal(err.status, 400);
  if (re) assert.match(err.message, re);
  return true;
};

const image: ContainerDefaults = {
  Entrypoint: ['/docker-entrypoint.sh'],
  Cmd: ['nginx', '-g', 'daemon off;'],
  Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'NGINX_VERSION=1.25.3'],
  WorkingDir: '/srv',
  User: 'www-data',
  Labels: { maintainer: 'nginx', 'com.example.tier': 'web' },
  ExposedPorts: { '80/tcp': {} },
  Volumes: { '/var/cache/nginx': {} },
  StopSignal: 'SIGQUIT',
};

test('mergeConfig: an empty request takes the image Entrypoint and Cmd', () => {
  const out = mergeConfig(image, {});
  assert.deepEqual(out.Entrypoint, ['/docker-entrypoint.sh']);
  assert.deepEqual(out.Cmd, ['nginx', '-g', 'daemon off;']);
  assert.deepEqual(commandOf(out), ['/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;']);
});

test('mergeConfig: a Cmd in the request replaces the image Cmd and keeps its Entrypoint', () => {
  const out = mergeConfig(image, { Cmd: ['nginx', '-T'] });
  assert.deepEqual(out.Entrypoint, ['/docker-entrypoint.sh']);
  assert.deepEqual(out.Cmd, ['nginx', '-T']);
  assert.deepEqual(commandOf(out), ['/docker-entrypoint.sh', 'nginx', '-T']);
});

test('mergeConfig: an Entrypoint given without Cmd drops the image Cmd', () => {
  const out = mergeConfig(image, { Entrypoint: ['/bin/sh'] });
  assert.deepEqual(out.Entrypoint, ['/bin/sh']);
  assert.equal((out.Cmd ?? []).length, 0);
  assert.deepEqual(commandOf(out), ['/bin/sh']);
});

test('mergeConfig: Entrypoint and Cmd both from the request', () => {
  const out = mergeConfig(image, { Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo hi'] });
  assert.deepEqual(commandOf(out), ['/bin/sh', '-c', 'echo hi']);
});

test('mergeConfig: --entrypoint "" clears the entrypoint and does not bring back the image Cmd', () => {
  const bare = mergeConfig(image, { Entrypoint: [''] });
  assert.equal((bare.Entrypoint ?? []).length, 0);
  assert.equal((bare.Cmd ?? []).length, 0);
  // No command at all: docker refuses the create with "No command specified".
  assert.deepEqual(commandOf(bare), []);

  const withCmd = mergeConfig(image, { Entrypoint: [''], Cmd: ['ls', '-l'] });
  assert.equal((withCmd.Entrypoint ?? []).length, 0);
  assert.deepEqual(commandOf(withCmd), ['ls', '-l']);
});

test('mergeConfig: an empty (non-null) Entrypoint list clears it but keeps the image Cmd', () => {
  // moby: len(Entrypoint)==0 → Cmd from the image; Entrypoint != nil → not taken from the image.
  const out = mergeConfig(image, { Entrypoint: [] });
  assert.equal((out.Entrypoint ?? []).length, 0);
  assert.deepEqual(commandOf(out), ['nginx', '-g', 'daemon off;']);
});

test('mergeConfig: an empty Cmd list counts as no Cmd', () => {
  const out = mergeConfig(image, { Cmd: [] });
  assert.deepEqual(commandOf(out), ['/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;']);
});

test('mergeConfig: an image without Entrypoint and Cmd gives no command', () => {
  assert.deepEqual(commandOf(mergeConfig({}, {})), []);
  assert.deepEqual(commandOf(mergeConfig({ Cmd: ['sh'] }, {})), ['sh']);
});

test('mergeConfig: request Env overrides image Env by key and adds new keys', () => {
  const out = mergeConfig(image, { Env: ['NGINX_VERSION=custom', 'A=1', 'B=x=y'] });
  assert.deepEqual([...(out.Env ?? [])].sort(), [
    'A=1',
    'B=x=y',
    'NGINX_VERSION=custom',
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  ]);
});

test('mergeConfig: Env keeps the request order first, then the image variables it did not override', () => {
  const out = mergeConfig({ Env: ['PATH=/x', 'A=1'] }, { Env: ['B=2', 'A=3'] });
  assert.deepEqual(out.Env, ['B=2', 'A=3', 'PATH=/x']);
});

test('mergeConfig: "KEY" without "=" unsets an image variable in the process environment', () => {
  const out = mergeConfig({ Env: ['A=1', 'B=2'] }, { Env: ['A'] });
  const env = processEnv(out, 'h', '/root');
  assert.ok(!env.some((e) => e === 'A' || e.startsWith('A=')), env.join(' '));
  assert.ok(env.includes('B=2'));
});

test('mergeConfig: WorkingDir, User and StopSignal come from the request when set, else the image', () => {
  const fromImage = mergeConfig(image, {});
  assert.equal(fromImage.WorkingDir, '/srv');
  assert.equal(fromImage.User, 'www-data');
  assert.equal(fromImage.StopSignal, 'SIGQUIT');
  const fromReq = mergeConfig(image, { WorkingDir: '/app', User: '1000:1000', StopSignal: 'SIGTERM' });
  assert.equal(fromReq.WorkingDir, '/app');
  assert.equal(fromReq.User, '1000:1000');
  assert.equal(fromReq.StopSignal, 'SIGTERM');
  const neither = mergeConfig({}, {});
  assert.equal(neither.WorkingDir, '');
  assert.equal(neither.User, '');
});

test('mergeConfig: Labels are the union with the request winning', () => {
  const out = mergeConfig(image, { Labels: { 'com.example.tier': 'api', extra: '1' } });
  assert.deepEqual(out.Labels, { maintainer: 'nginx', 'com.example.tier': 'api', extra: '1' });
  assert.deepEqual(mergeConfig({}, {}).Labels, {});
});

test('mergeConfig: ExposedPorts and Volumes are unions of image and request', () => {
  const out = mergeConfig(image, { ExposedPorts: { '443/tcp': {} }, Volumes: { '/data': {} } });
  assert.deepEqual(Object.keys(out.ExposedPorts ?? {}).sort(), ['443/tcp', '80/tcp']);
  assert.deepEqual(Object.keys(out.Volumes ?? {}).sort(), ['/data', '/var/cache/nginx']);
});

test('mergeConfig: the image Healthcheck applies when the request has none', () => {
  const hc = { Test: ['CMD-SHELL', 'curl -f http://localhost/'], Interval: 30e9, Retries: 3 };
  assert.deepEqual(mergeConfig({ ...image, Healthcheck: hc }, {}).Healthcheck, hc);
  // A check of its own keeps its Test; moby still fills in the image's timings.
  assert.deepEqual(mergeConfig({ ...image, Healthcheck: hc }, { Healthcheck: { Test: ['NONE'] } }).Healthcheck, { ...hc, Test: ['NONE'] });
});

test('mergeConfig: a partial request Healthcheck is completed field by field from the image', () => {
  const hc = { Test: ['CMD-SHELL', 'curl -f http://localhost/'], Interval: 30e9, Timeout: 5e9, Retries: 3 };
  const out = mergeConfig({ ...image, Healthcheck: hc }, { Healthcheck: { Interval: 5e9 } });
  assert.deepEqual(out.Healthcheck, { Test: ['CMD-SHELL', 'curl -f http://localhost/'], Interval: 5e9, Timeout: 5e9, Retries: 3 });
});

test('mergeConfig does not modify its inputs', () => {
  const img = structuredClone(image);
  const req: ContainerConfig = { Env: ['A=1'], Labels: { a: 'b' } };
  const reqCopy = structuredClone(req);
  mergeConfig(img, req);
  assert.deepEqual(img, image);
  assert.deepEqual(req, reqCopy);
});

test('mergeEnv: later entries win, in place; "KEY" alone unsets', () => {
  assert.deepEqual(mergeEnv(['A=1', 'B=2'], ['A=3']), ['A=3', 'B=2']);
  assert.deepEqual(mergeEnv(['A=1', 'B=2'], ['B']), ['A=1']);
  assert.deepEqual(mergeEnv([], ['X=a=b', 'Y=']), ['X=a=b', 'Y=']);
  assert.deepEqual(mergeEnv(['A=1'], []), ['A=1']);
});

test('commandOf joins Entrypoint and Cmd, tolerating nulls', () => {
  assert.deepEqual(commandOf({ Entrypoint: ['a', 'b'], Cmd: ['c'] }), ['a', 'b', 'c']);
  assert.deepEqual(commandOf({ Entrypoint: null, Cmd: ['c'] }), ['c']);
  assert.deepEqual(commandOf({ Entrypoint: ['a'], Cmd: null }), ['a']);
  assert.deepEqual(commandOf({}), []);
});

test('processEnv adds the default PATH, HOSTNAME and HOME', () => {
  const env = processEnv({ Env: ['A=1'] }, 'abc123', '/root');
  assert.deepEqual([...env].sort(), ['A=1', 'HOME=/root', 'HOSTNAME=abc123', `PATH=${DEFAULT_PATH}`].sort());
  assert.equal(DEFAULT_PATH, '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
});

test('processEnv keeps the container PATH, HOME and HOSTNAME when set', () => {
  const env = processEnv({ Env: ['PATH=/opt/bin', 'HOME=/home/app', 'HOSTNAME=custom'] }, 'abc123', '/root');
  assert.deepEqual([...env].sort(), ['HOME=/home/app', 'HOSTNAME=custom', 'PATH=/opt/bin']);
});

test('processEnv with no Env at all', () => {
  const env = processEnv({}, 'h', '/');
  assert.deepEqual([...env].sort(), ['HOME=/', 'HOSTNAME=h', `PATH=${DEFAULT_PATH}`]);
});

test('processEnv orders PATH, HOSTNAME, the container Env, then HOME (as `docker run busybox env` prints)', () => {
  assert.deepEqual(processEnv({ Env: ['A=1'] }, 'abc123', '/root'), [`PATH=${DEFAULT_PATH}`, 'HOSTNAME=abc123', 'A=1', 'HOME=/root']);
});

test('processEnv sets TERM=xterm for a Tty container unless the Env sets TERM', () => {
  assert.ok(processEnv({ Tty: true, Env: [] }, 'h', '/root').includes('TERM=xterm'));
  assert.ok(!processEnv({ Tty: false, Env: [] }, 'h', '/root').some((e) => e.startsWith('TERM=')));
  const own = processEnv({ Tty: true, Env: ['TERM=dumb'] }, 'h', '/root');
  assert.deepEqual(own.filter((e) => e.startsWith('TERM=')), ['TERM=dumb']);
});

test('validateCreate accepts the valid restart policies', () => {
  for (const rp of [
    { Name: '' as const }, { Name: 'no' as const }, { Name: 'always' as const }, { Name: 'unless-stopped' as const },
    { Name: 'on-failure' as const }, { Name: 'on-failure' as const, MaximumRetryCount: 5 }, { Name: 'always' as const, MaximumRetryCount: 0 },
  ]) {
    assert.doesNotThrow(() => validateCreate({}, { RestartPolicy: rp }), JSON.stringify(rp));
  }
  assert.doesNotThrow(() => validateCreate({}, {}));
});

test('validateCreate refuses unknown restart policies and bad retry counts', () => {
  assert.throws(() => validateCreate({}, { RestartPolicy: { Name: 'sometimes' } as unknown as HostConfig['RestartPolicy'] }), badRequest(/invalid restart policy/));
  assert.throws(() => validateCreate({}, { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: -1 } }), badRequest(/maximum retry count cannot be negative/));
  assert.throws(() => validateCreate({}, { RestartPolicy: { Name: 'always', MaximumRetryCount: 3 } }), badRequest(/can only be used with 'on-failure'/));
  assert.throws(() => validateCreate({}, { RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 1 } }), badRequest(/can only be used with 'on-failure'/));
  assert.throws(() => validateCreate({}, { RestartPolicy: { Name: 'no', MaximumRetryCount: 1 } }), badRequest(/can only be used with 'on-failure'/));
});

test('validateCreate accepts an empty policy name with a retry count (moby keeps it for old clients)', () => {
  assert.doesNotThrow(() => validateCreate({}, { RestartPolicy: { Name: '', MaximumRetryCount: 3 } }));
});

test('validateCreate refuses AutoRemove with a restart policy', () => {
  for (const Name of ['always', 'unless-stopped', 'on-failure'] as const) {
    assert.throws(() => validateCreate({}, { AutoRemove: true, RestartPolicy: { Name } }), badRequest(/can't create 'AutoRemove' container with restart policy/), Name);
  }
  assert.doesNotThrow(() => validateCreate({}, { AutoRemove: true, RestartPolicy: { Name: 'no' } }));
  assert.doesNotThrow(() => validateCreate({}, { AutoRemove: true, RestartPolicy: { Name: '' } }));
  assert.doesNotThrow(() => validateCreate({}, { AutoRemove: true }));
});

test('validateCreate refuses negative resource values', () => {
  for (const host of [{ Memory: -1 }, { NanoCpus: -1 }, { CpuShares: -2 }, { ShmSize: -1 }] as HostConfig[]) {
    assert.throws(() => validateCreate({}, host), badRequest(), JSON.stringify(host));
  }
});

test('validateCreate: memory below 6MB is refused, 6MB and zero (unlimited) are fine', () => {
  assert.throws(() => validateCreate({}, { Memory: 4 * 1024 * 1024 }), badRequest(/Minimum memory limit allowed is 6MB/));
  assert.doesNotThrow(() => validateCreate({}, { Memory: 6 * 1024 * 1024 }));
  assert.doesNotThrow(() => validateCreate({}, { Memory: 0 }));
});

test('validateCreate refuses Env, Cmd and Entrypoint that are not lists of strings', () => {
  assert.throws(() => validateCreate({ Env: ['A=1', 2] as unknown as string[] }, {}), badRequest());
  assert.throws(() => validateCreate({ Cmd: ['echo', 1] as unknown as string[] }, {}), badRequest());
  assert.throws(() => validateCreate({ Entrypoint: { a: 1 } as unknown as string[] }, {}), badRequest());
  assert.doesNotThrow(() => validateCreate({ Env: ['A=1'], Cmd: ['echo'], Entrypoint: null }, {}));
});

test('validateCreate refuses a relative WorkingDir', () => {
  assert.throws(() => validateCreate({ WorkingDir: 'relative/dir' }, {}), badRequest(/it needs to be an absolute path/));
  assert.doesNotThrow(() => validateCreate({ WorkingDir: '/abs' }, {}));
});

test('validateCreate: log drivers', () => {
  assert.doesNotThrow(() => validateCreate({}, { LogConfig: { Type: 'json-file', Config: { 'max-file': '3' } } }));
  assert.throws(() => validateCreate({}, { LogConfig: { Type: 'bogus', Config: {} } }), badRequest(/no log driver named 'bogus' is registered/));
  assert.throws(() => validateCreate({}, { LogConfig: { Type: 'json-file', Config: { 'max-file': 'lots' } } }), badRequest());
});

test('validateCreate accepts the "none" log driver', { todo: "the driver allow-list lacks 'none', a built-in docker driver (`docker run --log-driver none`)" }, () => {
  assert.doesNotThrow(() => validateCreate({}, { LogConfig: { Type: 'none', Config: {} } }));
});

test('validateName accepts docker names and strips a leading slash', () => {
  assert.equal(validateName('web'), 'web');
  assert.equal(validateName('/web'), 'web');
  assert.equal(validateName('My_App.1-x'), 'My_App.1-x');
  assert.equal(validateName('0a'), '0a');
});

test('validateName refuses names docker refuses', () => {
  for (const name of ['a', '/a', '', '-web', '.web', '_web', 'we b', 'web/1', 'web:1', 'wéb']) {
    assert.throws(() => validateName(name), badRequest(/^Invalid container name \(.*\), only \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\] are allowed$/), name);
  }
  assert.throws(() => validateName('a'), (err: unknown) => err instanceof ApiError && err.message === 'Invalid container name (a), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed');
});

test('a WorkingDir with .. is normalized so it cannot climb out of the rootfs', () => {
  assert.equal(mergeConfig({ WorkingDir: '/x/../../../../etc/evil' }, {}).WorkingDir, '/etc/evil');
  assert.equal(mergeConfig({}, { WorkingDir: '/a/./b/../c' }).WorkingDir, '/a/c');
});
