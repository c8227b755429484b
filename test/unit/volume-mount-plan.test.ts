// Mount planning: docker's -v, --mount, --tmpfs, --volumes-from and VOLUME rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MountError, parseVolumesFrom, planMounts } from '../../src/volume/mount-plan.ts';

test('-v: binds, named volumes and their options', () => {
  assert.deepEqual(planMounts({ binds: ['/host/dir/:/in/dir/:ro,rshared', 'vol:/data:nocopy', 'vol2:/z:Z'] }), [
    { type: 'bind', source: '/host/dir/', destination: '/in/dir', rw: false, propagation: 'rshared', mode: 'ro,rshared', create: true },
    { type: 'volume', name: 'vol', destination: '/data', rw: true, mode: 'nocopy', nocopy: true },
    { type: 'volume', name: 'vol2', destination: '/z', rw: true, mode: 'Z', nocopy: false },
  ]);
  assert.throws(() => planMounts({ binds: ['rel/path:/x'] }), /invalid characters for a local volume name/);
  assert.throws(() => planMounts({ binds: ['/a:relative'] }), /mount path must be absolute/);
  assert.throws(() => planMounts({ binds: ['/a:/b:rx'] }), /invalid mode: rx/);
  assert.throws(() => planMounts({ binds: ['/a:/'] }), /destination can't be '\/'/);
  assert.throws(() => planMounts({ binds: ['aa:/x', '/b:/x/'] }), /Duplicate mount point: \/x/);
});

test('--mount: bind, volume with options, tmpfs with size and mode', () => {
  const plan = planMounts({
    mounts: [
      { Type: 'bind', Source: '/src', Target: '/dst', ReadOnly: true, BindOptions: { Propagation: 'slave' } },
      { Type: 'volume', Source: 'vv', Target: '/v', VolumeOptions: { NoCopy: true, Labels: { a: 'b' }, DriverConfig: { Name: 'local', Options: { type: 'tmpfs', device: 'tmpfs' } } } },
      { Type: 'volume', Target: '/anon' },
      { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1770 } },
    ],
  });
  assert.deepEqual(plan, [
    { type: 'bind', source: '/src', destination: '/dst', rw: false, propagation: 'slave', mode: '', create: false },
    { type: 'volume', name: 'vv', destination: '/v', rw: true, mode: '', nocopy: true, labels: { a: 'b' }, driverOpts: { type: 'tmpfs', device: 'tmpfs' } },
    { type: 'volume', name: undefined, destination: '/anon', rw: true, mode: '', nocopy: false, labels: undefined, driverOpts: undefined },
    { type: 'tmpfs', destination: '/t', options: ['nosuid', 'nodev', 'noexec', 'size=1048576', 'mode=1770'], listed: true },
  ]);
  assert.throws(() => planMounts({ mounts: [{ Type: 'bind', Target: '/x' }] }), /field Source must not be empty/);
  assert.throws(() => planMounts({ mounts: [{ Type: 'tmpfs', Source: 'x', Target: '/x' }] }), /Source must not be specified/);
  assert.throws(() => planMounts({ mounts: [{ Type: 'npipe', Target: '/x' }] }), /mount type unknown/);
  assert.throws(() => planMounts({ mounts: [{ Type: 'volume', Target: '/x', VolumeOptions: { DriverConfig: { Name: 'nfs' } } }] }), /plugin "nfs" not found/);
});

test('--tmpfs keeps docker\'s defaults unless overridden; VOLUME paths fill what is left', () => {
  const plan = planMounts({ tmpfs: { '/run': 'size=64m', '/exec': 'exec' }, volumes: { '/run': {}, '/data': {} }, binds: ['/h:/data2'] });
  assert.deepEqual(plan.map((m) => [m.type, m.destination]), [['bind', '/data2'], ['tmpfs', '/run'], ['tmpfs', '/exec'], ['volume', '/data']]);
  assert.deepEqual((plan[1] as { options: string[] }).options, ['noexec', 'nosuid', 'nodev', 'size=64m']);
  assert.deepEqual((plan[2] as { options: string[] }).options, ['nosuid', 'nodev', 'exec']);
});

test('--volumes-from copies mounts, the mode overriding, without stepping on the user\'s', () => {
  const mounts = [
    { Type: 'volume' as const, Name: 'v1', Source: '/s/v1', Destination: '/a', Driver: 'local', Mode: '', RW: true, Propagation: '' },
    { Type: 'bind' as const, Source: '/host', Destination: '/b', Mode: '', RW: true, Propagation: 'rprivate' },
    { Type: 'tmpfs' as const, Source: '', Destination: '/t', Mode: '', RW: true, Propagation: '' },
  ];
  const plan = planMounts({ binds: ['mine:/a'], volumesFrom: [{ mounts, mode: 'ro' }] });
  assert.deepEqual(plan, [
    { type: 'volume', name: 'mine', destination: '/a', rw: true, mode: '', nocopy: false },
    { type: 'bind', source: '/host', destination: '/b', rw: false, propagation: 'rprivate', mode: '', create: false },
  ]);
  assert.deepEqual(parseVolumesFrom('web:ro'), { ref: 'web', mode: 'ro' });
  assert.deepEqual(parseVolumesFrom('web'), { ref: 'web', mode: '' });
  assert.throws(() => parseVolumesFrom('web:rx'), MountError);
});
