// berth's volume commands and run/create's -v, --mount and --tmpfs without a
// daemon: flags to request bodies, and ls/inspect/df output from fixture
// JSON. The expected bodies and texts are what docker CLI 28 sends and
// prints for the same input (recorded against a fake API 1.41 daemon).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { VolumeSummary } from '../../src/client/types.ts';
import { volumeCreate, volumeCreateRequest } from '../../src/cli/commands/volume.ts';
import { buildContainerOptions, CONTAINER_FLAGS } from '../../src/cli/container-opts.ts';
import type { CreateBody } from '../../src/cli/container-opts.ts';
import { VOLUME_HEADERS, volumeContext, volumeFormat, volumeStruct } from '../../src/cli/context-volume.ts';
import { parseFlags } from '../../src/cli/flags.ts';
import { renderItems } from '../../src/cli/formatter.ts';
import { parseMount, parseVolumeSpec, splitVolumes } from '../../src/cli/mount-opts.ts';
import { naturalCompare } from '../../src/cli/sortorder.ts';
import { execute, parseTemplate } from '../../src/cli/template.ts';

function createBody(argv: string[]): unknown {
  const { flags, args } = parseFlags(volumeCreate.flags, argv);
  return volumeCreateRequest(flags, args[0] ?? flags.string('name'));
}

test('volume create: the body docker sends, empty fields left out', () => {
  assert.deepEqual(createBody([]), { Driver: 'local' });
  assert.deepEqual(createBody(['myvol']), { Driver: 'local', Name: 'myvol' });
  assert.deepEqual(createBody(['--name', 'foo']), { Driver: 'local', Name: 'foo' });
  assert.deepEqual(createBody(['-d', '', 'x']), { Name: 'x' });
  assert.deepEqual(createBody(['-o', 'type=tmpfs', '-o', 'device=tmpfs', '--label', 'a=b', '--label', 'c', '-d', 'local', 'v']), {
    Driver: 'local', DriverOpts: { type: 'tmpfs', device: 'tmpfs' }, Labels: { a: 'b', c: '' }, Name: 'v',
  });
  // -o is a map: a bare key is an empty value, later keys win, "=" past the first stays in the value.
  assert.deepEqual(createBody(['-o', 'bad', '--opt', 'a=b=c', '--opt', 'a=d']), { Driver: 'local', DriverOpts: { bad: '', a: 'd' } });
  assert.throws(() => parseFlags(volumeCreate.flags, ['--label', '=x']), { message: `invalid argument "=x" for "--label" flag: invalid label '=x': empty name` });
});

const VOLUMES: VolumeSummary[] = [
  { CreatedAt: '2024-01-02T03:04:05Z', Driver: 'local', Labels: { a: 'b' }, Mountpoint: '/var/lib/berth/volumes/myvol/_data', Name: 'myvol', Options: { type: 'tmpfs' }, Scope: 'local' },
  { CreatedAt: '2024-01-02T03:04:06Z', Driver: 'local', Labels: null, Mountpoint: '/m/anon', Name: '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', Options: null, Scope: 'local' },
  { Driver: 'local', Labels: {}, Mountpoint: '/m/vol10', Name: 'vol10', Options: {}, Scope: 'local', UsageData: { Size: 123456, RefCount: 2 } },
  { Driver: 'local', Labels: {}, Mountpoint: '/m/vol9', Name: 'vol9', Options: {}, Scope: 'local' },
];

function ls(format: string, quiet = false): string {
  const sorted = [...VOLUMES].sort((a, b) => naturalCompare(a.Name, b.Name));
  return renderItems(volumeFormat(format, quiet), sorted.map(volumeContext), VOLUME_HEADERS);
}

const ANON = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

test('volume ls: DRIVER and VOLUME NAME, names in natural order', () => {
  assert.equal(ls(''), `DRIVER    VOLUME NAME\nlocal     ${ANON}\nlocal     myvol\nlocal     vol9\nlocal     vol10\n`);
  assert.equal(ls('', true), `${ANON}\nmyvol\nvol9\nvol10\n`);
  // -q turns only table and raw into names; a custom format wins over it.
  assert.equal(ls('table', true), `${ANON}\nmyvol\nvol9\nvol10\n`);
  assert.equal(ls('{{.Driver}}', true), 'local\nlocal\nlocal\nlocal\n');
  assert.equal(ls('raw'), `name: ${ANON}\ndriver: local\n\nname: myvol\ndriver: local\n\nname: vol9\ndriver: local\n\nname: vol10\ndriver: local\n\n`);
  assert.equal(ls('raw', true), `name: ${ANON}\nname: myvol\nname: vol9\nname: vol10\n`);
  assert.equal(
    ls('table {{.Name}}\t{{.Links}}\t{{.Size}}\t{{.Label "a"}}'),
    'VOLUME NAME                                                        LINKS     SIZE      a\n' +
      `${ANON}   N/A       N/A       \n` +
      'myvol                                                              N/A       N/A       b\n' +
      'vol9                                                               N/A       N/A       \n' +
      'vol10                                                              2         123.5kB   \n',
  );
  assert.equal(
    ls('json').split('\n')[1],
    '{"Availability":"N/A","Driver":"local","Group":"N/A","Labels":"a=b","Links":"N/A","Mountpoint":"/var/lib/berth/volumes/myvol/_data","Name":"myvol","Scope":"local","Size":"N/A","Status":"N/A"}',
  );
  assert.throws(() => ls('{{.ID}}'), { message: 'template parsing error: template: :1:2: executing "" at <.ID>: can\'t evaluate field ID in type *formatter.volumeContext' });
});

test('volume inspect: the volume struct docker decodes, re-encoded in Go field order', () => {
  const odd: VolumeSummary = { Scope: 'local', Name: 'odd', Status: { x: 1 }, Options: null, Mountpoint: '/m/<odd>&', Labels: null, Driver: 'local', UsageData: { Size: 5, RefCount: 1 } };
  // Fields the struct lacks are dropped; json.Marshal escapes HTML.
  assert.equal(
    volumeStruct({ ...odd, Extra: 1 } as VolumeSummary).raw,
    '{"Driver":"local","Labels":null,"Mountpoint":"/m/\\u003codd\\u003e\\u0026","Name":"odd","Options":null,"Scope":"local","Status":{"x":1},"UsageData":{"RefCount":1,"Size":5}}',
  );
  const render = (v: VolumeSummary, src: string): string => execute(parseTemplate(src), volumeStruct(v).value);
  const all = '{{.Labels}}|{{.Options}}|{{.Status}}|{{.UsageData}}|{{.ClusterVolume}}|{{.CreatedAt}}|{{json .}}|{{.Mountpoint}}|{{json .Labels}}|{{.Labels.x}}';
  assert.equal(render(odd, all), 'map[]|map[]|map[x:1]|{1 5}|<nil>||{"Driver":"local","Labels":null,"Mountpoint":"/m/<odd>&","Name":"odd","Options":null,"Scope":"local","Status":{"x":1},"UsageData":{"RefCount":1,"Size":5}}|/m/<odd>&|null|<no value>');
  assert.equal(
    render(VOLUMES[0]!, all),
    'map[a:b]|map[type:tmpfs]|map[]|<nil>|<nil>|2024-01-02T03:04:05Z|{"CreatedAt":"2024-01-02T03:04:05Z","Driver":"local","Labels":{"a":"b"},"Mountpoint":"/var/lib/berth/volumes/myvol/_data","Name":"myvol","Options":{"type":"tmpfs"},"Scope":"local"}|/var/lib/berth/volumes/myvol/_data|{"a":"b"}|<no value>',
  );
  assert.throws(() => render(odd, '{{.Extra}}'), /can't evaluate field Extra in type volume.Volume/);
});

test('inspect: a HostConfig.Mounts the daemon left out reads as docker\'s nil slice', () => {
  const raw = { Id: 'x', HostConfig: { Binds: null } };
  assert.equal(execute(parseTemplate('{{json .HostConfig.Mounts}} {{.HostConfig.Mounts}} {{json .HostConfig.Tmpfs}} {{.HostConfig.Binds}}'), raw), 'null [] null []');
  assert.throws(() => execute(parseTemplate('{{.HostConfig.Nope}}'), raw), /map has no entry for key "Nope"/);
});

function body(argv: string[]): CreateBody {
  const { flags, args } = parseFlags(CONTAINER_FLAGS, [...argv, 'busybox'], false);
  return buildContainerOptions(flags, args, { readFile: () => '', env: {}, cwd: '/work/dir' }).body;
}

test('run -v: binds, anonymous volumes and relative host paths', () => {
  const b = body(['-v', '/host:/ctr:ro', '-v', '/anon', '-v', 'named:/data', '-v', './rel:/x', '-v', '..:/up:ro', '-v', 'rel:/y', '-v', '/anon', '-v', 'x:/data']);
  assert.deepEqual(b.HostConfig.Binds, ['/host:/ctr:ro', 'named:/data', '/work/dir/rel:/x', '/work:/up:ro', 'rel:/y']);
  // A one-letter source is a Windows drive, so "x:/data" is an anonymous volume's path.
  assert.deepEqual(b.Volumes, { '/anon': {}, 'x:/data': {} });
  assert.deepEqual(body([]).HostConfig.Binds, null);
  assert.deepEqual(body([]).Volumes, {});
  assert.deepEqual(parseVolumeSpec('c:/foo:/bar'), { source: 'c:/foo', bind: true });
  assert.deepEqual(parseVolumeSpec('~/x:/y'), { source: '~/x', bind: true });
  assert.deepEqual(parseVolumeSpec('a:'), { source: '', bind: false });
  assert.deepEqual(splitVolumes(['a::b', '/a:/b', '/a:/b'], '/'), { binds: ['a::b', '/a:/b'], volumes: {} });
  const fails = (spec: string, message: string): void => assert.throws(() => body(['-v', spec]), { message });
  fails('', 'invalid empty volume spec');
  fails(':/x', 'invalid spec: :/x: empty section between colons');
  fails('/a::/b', 'invalid spec: /a::/b: empty section between colons');
  fails('/a:/b:ro:extra', 'invalid spec: /a:/b:ro:extra: too many colons');
});

test('run --mount: HostConfig.Mounts with docker\'s omitempty', () => {
  const m = (v: string): unknown => parseMount(v, '/work/dir');
  assert.deepEqual(m('type=bind,src=/a,dst=/b,readonly'), { Type: 'bind', Source: '/a', Target: '/b', ReadOnly: true });
  assert.deepEqual(m('TYPE=BIND,SRC=/a,DST=/b,ro=0,bind-propagation=RSHARED'), { Type: 'bind', Source: '/a', Target: '/b', BindOptions: { Propagation: 'rshared' } });
  assert.deepEqual(m('type=bind,src=./a,dst=/x,bind-recursive=disabled'), { Type: 'bind', Source: '/work/dir/a', Target: '/x', BindOptions: { NonRecursive: true } });
  assert.deepEqual(m('type=bind,src=/a,dst=/b,bind-recursive=writable,ro'), { Type: 'bind', Source: '/a', Target: '/b', ReadOnly: true, BindOptions: { ReadOnlyNonRecursive: true } });
  assert.deepEqual(m('src=.x,dst=/b'), { Type: 'volume', Source: '/work/dir/.x', Target: '/b' });
  assert.deepEqual(m('type=volume,src=v,dst=/d,volume-nocopy'), { Type: 'volume', Source: 'v', Target: '/d', VolumeOptions: { NoCopy: true, DriverConfig: {} } });
  assert.deepEqual(m('type=volume,dst=/d,volume-nocopy=false,volume-label=,volume-label==y'), { Type: 'volume', Target: '/d', VolumeOptions: { DriverConfig: {} } });
  assert.deepEqual(m('type=volume,src=v,dst=/d,volume-opt=type=tmpfs,volume-opt=device,volume-label=a=b=c,volume-driver=local,volume-subpath=sub'), {
    Type: 'volume', Source: 'v', Target: '/d', VolumeOptions: { Labels: { a: 'b=c' }, Subpath: 'sub', DriverConfig: { Name: 'local', Options: { type: 'tmpfs', device: '' } } },
  });
  assert.deepEqual(m('type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1770'), { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1770 } });
  assert.deepEqual(m('type=tmpfs,dst=/t,tmpfs-size=0,tmpfs-mode=0'), { Type: 'tmpfs', Target: '/t', TmpfsOptions: {} });
  assert.deepEqual(m('type=image,src=img,dst=/d,image-subpath=sub'), { Type: 'image', Source: 'img', Target: '/d', ImageOptions: { Subpath: 'sub' } });
  assert.deepEqual(m('type=volume,"dst=/a,b",consistency=Cached'), { Type: 'volume', Target: '/a,b', Consistency: 'cached' });
  assert.deepEqual(body(['--mount', 'type=bind,src=.,dst=/x']).HostConfig.Mounts, [{ Type: 'bind', Source: '/work/dir', Target: '/x' }]);
  assert.equal('Mounts' in body([]).HostConfig, true);
  assert.equal(body([]).HostConfig.Mounts, undefined);
});

test('run --mount: errors as pflag reports them', () => {
  const fails = (v: string, reason: string): void =>
    assert.throws(() => parseFlags(CONTAINER_FLAGS, ['--mount', v, 'busybox'], false), { message: `invalid argument ${JSON.stringify(v)} for "--mount" flag: ${reason}` });
  fails('', 'EOF');
  fails('foo', "invalid field 'foo' must be a key=value pair");
  fails(' type=bind,src=/a,dst=/b', "unexpected key ' type' in ' type=bind'");
  fails('type=volume,dst=/d,BOGUS=1', "unexpected key 'bogus' in 'BOGUS=1'");
  fails('type=,dst=/d', 'type is required');
  fails('src=/a', 'target is required');
  fails('dst=/t,readonly=', 'invalid value for readonly: ');
  fails('type=volume,dst=/d,volume-nocopy=maybe', 'invalid value for volume-nocopy: maybe');
  fails('type=tmpfs,dst=/t,tmpfs-mode=999', 'invalid value for tmpfs-mode: 999');
  fails('type=tmpfs,dst=/t,tmpfs-mode=40000000000', 'invalid value for tmpfs-mode: 40000000000');
  fails('type=tmpfs,dst=/t,tmpfs-size=-1', 'invalid value for tmpfs-size: -1');
  fails('type=bind,dst=/b,volume-nocopy,tmpfs-size=1,image-subpath=x', "cannot mix 'volume-*' options with mount type 'bind'");
  fails('type=tmpfs,dst=/b,image-subpath=x,bind-propagation=x', "cannot mix 'image-*' options with mount type 'tmpfs'");
  fails('type=volume,dst=/b,bind-propagation=x,tmpfs-mode=1', "cannot mix 'bind-*' options with mount type 'volume'");
  fails('type=volume,dst=/t,tmpfs-size=1m', "cannot mix 'tmpfs-*' options with mount type 'volume'");
  fails('type=bind,src=/a,dst=/b,bind-recursive=bogus', 'invalid value for bind-recursive: bogus (must be "enabled", "disabled", "writable", or "readonly")');
  fails('type=bind,src=/a,dst=/b,bind-recursive=writable', "option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction");
  fails('type=bind,src=/a,dst=/b,bind-recursive=readonly,ro', "option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction");
  fails('dst=/b,"bad', 'parse error on line 1, column 12: extraneous or missing " in quoted-field');
});

test('run --tmpfs, --volumes-from and --read-only', () => {
  const h = body(['--tmpfs', '/x:size=1m,mode=1777', '--tmpfs', '/y', '--volumes-from', 'c1:ro', '--volumes-from', 'c2', '--read-only']).HostConfig;
  assert.deepEqual(h.Tmpfs, { '/x': 'size=1m,mode=1777', '/y': '' });
  assert.deepEqual(h.VolumesFrom, ['c1:ro', 'c2']);
  assert.equal(h.ReadonlyRootfs, true);
  const none = body([]).HostConfig;
  assert.equal(none.Tmpfs, undefined);
  assert.equal(none.VolumesFrom, null);
  assert.equal(none.ReadonlyRootfs, false);
});
