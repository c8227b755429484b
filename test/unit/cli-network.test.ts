// berth's networking commands without a daemon: flags to request bodies,
// and ls/port/ps output from fixture JSON. The expected bodies and texts are
// what docker CLI 28 sends and prints for the same input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkSummary } from '../../src/client/types.ts';
import { connectEndpoint, networkConnect, networkCreate, networkCreateRequest } from '../../src/cli/commands/network.ts';
import { portLines } from '../../src/cli/commands/port.ts';
import { buildContainerOptions, CONTAINER_FLAGS } from '../../src/cli/container-opts.ts';
import { CONTAINER_HEADERS, displayablePorts } from '../../src/cli/context-container.ts';
import { NETWORK_HEADERS, networkContext, networkFormat } from '../../src/cli/context-network.ts';
import { csvFields, parseFlags } from '../../src/cli/flags.ts';
import { renderItems } from '../../src/cli/formatter.ts';
import { cidrContains, formatIp, isLoopback, parseCidr, parseIp } from '../../src/cli/ipaddr.ts';
import { naturalCompare } from '../../src/cli/sortorder.ts';
import { goTimeStringOf } from '../../src/cli/timeparse.ts';

function createBody(argv: string[]): unknown {
  const { flags, args } = parseFlags(networkCreate.flags, argv);
  return networkCreateRequest(flags, args[0]!);
}

const BASE = {
  Driver: 'bridge', Scope: '', IPAM: { Driver: 'default', Options: {}, Config: [] }, Internal: false, Attachable: false, Ingress: false,
  ConfigOnly: false, ConfigFrom: null, Options: {}, Labels: {}, CheckDuplicate: true,
};

test('network create: the body docker sends', () => {
  assert.deepEqual(createBody(['mynet']), { ...BASE, Name: 'mynet' });
  assert.deepEqual(
    createBody(['-d', 'bridge', '--subnet', '10.1.0.0/16', '--gateway', '10.1.0.1', '--ip-range', '10.1.5.0/24', '--internal', '--label', 'a=b', '--label', 'c', '-o', 'com.x=1', '--attachable', '--ipv6', 'n2']),
    {
      ...BASE, Name: 'n2', EnableIPv6: true, Internal: true, Attachable: true, Options: { 'com.x': '1' }, Labels: { a: 'b', c: '' },
      IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: '10.1.0.0/16', IPRange: '10.1.5.0/24', Gateway: '10.1.0.1' }] },
    },
  );
  // --subnet takes comma-separated lists; each gateway joins the subnet holding it.
  assert.deepEqual((createBody(['--subnet', '10.1.0.0/16,10.2.0.0/16', '--gateway', '10.2.0.1', 'n']) as typeof BASE).IPAM.Config, [{ Subnet: '10.1.0.0/16' }, { Subnet: '10.2.0.0/16', Gateway: '10.2.0.1' }]);
  // --ipv4/--ipv6 are sent only when given, so the daemon's defaults hold otherwise.
  assert.equal((createBody(['--ipv4=false', 'n']) as { EnableIPv4?: boolean }).EnableIPv4, false);
  assert.equal('EnableIPv4' in (createBody(['n']) as object), false);
  // docker leaves the checking of a lone subnet to the daemon.
  assert.deepEqual((createBody(['--subnet', 'bogus', 'n']) as typeof BASE).IPAM.Config, [{ Subnet: 'bogus' }]);
  assert.deepEqual((createBody(['--subnet', '10.1.0.0/16', '--aux-address', 'a=10.1.0.9', 'n']) as typeof BASE).IPAM.Config, [{ Subnet: '10.1.0.0/16', AuxiliaryAddresses: { a: '10.1.0.9' } }]);
});

test('network create: docker\'s IPAM errors', () => {
  const fails = (argv: string[], message: string): void => assert.throws(() => createBody([...argv, 'n']), { message });
  fails(['--gateway', '10.2.0.1'], 'every ip-range or gateway must have a corresponding subnet');
  fails(['--subnet', '10.1.0.0/16', '--subnet', '10.1.2.0/24'], 'multiple overlapping subnet configuration is not supported');
  fails(['--subnet', '10.1.0.0/16', '--gateway', '10.2.0.1'], 'no matching subnet for gateway 10.2.0.1');
  fails(['--subnet', '10.1.0.0/16', '--gateway', '::1'], 'no matching subnet for gateway ::1');
  fails(['--subnet', '10.1.0.0/16', '--ip-range', '10.2.0.0/24'], 'no matching subnet for range 10.2.0.0/24');
  fails(['--subnet', '10.1.0.0/16', '--ip-range', 'bogus'], 'invalid CIDR address: bogus');
  fails(['--subnet', 'bogus', '--subnet', '10.0.0.0/8'], 'invalid subnet: invalid CIDR address: bogus');
  fails(['--subnet', '10.1.0.0/16,10.9.0.0/16', '--ip-range', '10.1.0.0/24,10.1.1.0/24'], 'cannot configure multiple ranges (10.1.1.0/24, 10.1.0.0/24) on the same subnet (10.1.0.0/16)');
  fails(['--subnet', '10.1.0.0/16', '--aux-address', 'a=10.2.0.9'], 'no matching subnet for aux-address 10.2.0.9');
  assert.throws(() => parseFlags(networkCreate.flags, ['--label', '=x', 'n']), { message: `invalid argument "=x" for "--label" flag: invalid label '=x': empty name` });
});

function connectBody(argv: string[]): unknown {
  return connectEndpoint(parseFlags(networkConnect.flags, argv).flags);
}

test('network connect: the endpoint docker sends', () => {
  assert.deepEqual(connectBody([]), { IPAMConfig: {}, Links: null, Aliases: [], DriverOpts: {}, GwPriority: 0 });
  assert.deepEqual(connectBody(['--alias', 'a', '--alias', 'b,c', '--ip', '10.1.0.5', '--ip6', '::5', '--link', 'x:y', '--driver-opt', ' k = v ,c=d', '--link-local-ip', '169.254.0.1', '--gw-priority', '5']), {
    IPAMConfig: { IPv4Address: '10.1.0.5', IPv6Address: '::5', LinkLocalIPs: ['169.254.0.1'] },
    Links: ['x:y'],
    Aliases: ['a', 'b', 'c'],
    DriverOpts: { k: 'v', c: 'd' },
    GwPriority: 5,
  });
  assert.throws(() => connectBody(['--driver-opt', 'foo']), { message: 'invalid key/value pair format in driver options' });
  assert.throws(() => connectBody(['--link', 'a:b:c']), { message: 'invalid argument "a:b:c" for "--link" flag: bad format for links: a:b:c' });
});

function runNetworking(argv: string[]): { mode: unknown; endpoints: unknown; links: unknown; mac: unknown } {
  const { flags, args } = parseFlags(CONTAINER_FLAGS, [...argv, 'busybox'], false);
  const { body } = buildContainerOptions(flags, args, { readFile: () => '', env: {}, cwd: '/' });
  return { mode: body.HostConfig.NetworkMode, endpoints: (body.NetworkingConfig as { EndpointsConfig: unknown }).EndpointsConfig, links: body.HostConfig.Links, mac: body.MacAddress };
}

test('run/create: NetworkMode and EndpointsConfig as docker builds them', () => {
  assert.deepEqual(runNetworking(['--network', 'mynet', '--ip', '10.1.0.5', '--network-alias', 'a']), {
    mode: 'mynet', endpoints: { mynet: { IPAMConfig: { IPv4Address: '10.1.0.5' }, Aliases: ['a'] } }, links: null, mac: undefined,
  });
  // One network without settings is left to the daemon; no network at all is "default".
  assert.deepEqual(runNetworking(['--network', 'mynet']).endpoints, {});
  assert.deepEqual(runNetworking(['--network', 'container:x']), { mode: 'container:x', endpoints: {}, links: null, mac: undefined });
  assert.deepEqual(runNetworking([]), { mode: 'default', endpoints: { default: {} }, links: null, mac: undefined });
  assert.deepEqual(runNetworking(['--ip', '10.1.0.5']).endpoints, { default: { IPAMConfig: { IPv4Address: '10.1.0.5' } } });
  assert.deepEqual(runNetworking(['--network', 'mynet', '--network', 'other']).endpoints, { mynet: {}, other: {} });
  // The long form, lower-cased as docker does it.
  assert.deepEqual(runNetworking(['--network', 'Name=MyNet,Alias=X,ip=10.0.0.9']), { mode: 'mynet', endpoints: { mynet: { Aliases: ['x'], IPAMConfig: { IPv4Address: '10.0.0.9' } } }, links: null, mac: undefined });
  // --link is an alias on a user-defined network, a legacy link on the bridge.
  assert.deepEqual(runNetworking(['--network', 'mynet', '--link', 'a:b']), { mode: 'mynet', endpoints: { mynet: { Links: ['a:b'] } }, links: ['a:b'], mac: undefined });
  assert.deepEqual(runNetworking(['--network', 'bridge', '--link', 'a:b']).endpoints, {});
  // API 1.41 takes the MAC address in Config.
  assert.equal(runNetworking(['--network', 'mynet', '--mac-address', '02:42:ac:11:00:02']).mac, '02:42:ac:11:00:02');
});

test('run/create: network errors docker reports before creating', () => {
  const fails = (argv: string[], message: string): void => assert.throws(() => runNetworking(argv), { message });
  fails(['--network-alias', 'a'], 'network-scoped aliases are only supported for user-defined networks');
  fails(['--network', 'host', '--network-alias', 'a'], 'network-scoped aliases are only supported for user-defined networks');
  fails(['--network', 'container:x', '--network-alias', 'a'], 'network-scoped aliases are only supported for user-defined networks');
  fails(['--network', 'bridge', '--network-alias', 'a', '--link', 'x'], 'network-scoped aliases are only supported for user-defined networks');
  fails(['--network', 'mynet', '--network', 'mynet'], 'network "mynet" is specified multiple times');
  fails(['--network', 'mynet', '--network', 'host'], 'conflicting options: cannot attach both user-defined and non-user-defined network-modes');
  fails(['--network', 'name=mynet,alias=x', '--network-alias', 'y'], 'conflicting options: cannot specify both --network-alias and per-network alias');
  fails(['--network', 'name=mynet,ip=10.0.0.1', '--ip', '10.0.0.2'], 'conflicting options: cannot specify both --ip and per-network IPv4 address');
  fails(['--network', 'mynet', '--mac-address', 'zz'], 'zz is not a valid mac address');
  fails(['--network='], 'no name set for network');
  fails(['--network', 'name=mynet,foo=bar'], 'invalid argument "name=mynet,foo=bar" for "--network" flag: invalid field key foo');
  fails(['--network', 'alias=x'], 'invalid argument "alias=x" for "--network" flag: network name/id is not specified');
  fails(['--network', 'mynet,alias=y'], 'invalid argument "mynet,alias=y" for "--network" flag: invalid field mynet');
  fails(['--network', 'name=mynet,gw-priority=x'], 'invalid argument "name=mynet,gw-priority=x" for "--network" flag: invalid gw-priority (x): invalid syntax');
  fails(['--dns', 'bogus'], 'invalid argument "bogus" for "--dns" flag: IP address is not correctly formatted: bogus');
});

const NETWORKS: NetworkSummary[] = [
  { Name: 'net10', Id: '1111111111112222222222223333333333334444444444445555555555556666', Created: '2024-05-02T10:11:12.5-07:30', Scope: 'local', Driver: 'bridge', EnableIPv6: true, Internal: true, Labels: { z: '1' } },
  { Name: 'bridge', Id: '9f3bd5e5ee1f0c8e7a9b2d9a3d5a7a2e3b4c5d6e7f8091a2b3c4d5e6f7a8b9c0', Created: '2024-05-01T10:11:12.123456789Z', Scope: 'local', Driver: 'bridge', EnableIPv4: true, Labels: {} },
  { Name: 'net9', Id: 'aaaaaaaaaaaabbbbbbbbbbbbccccccccccccddddddddddddeeeeeeeeeeeeffff', Created: '0001-01-01T00:00:00Z', Scope: 'local', Driver: 'bridge', Labels: null },
];

function ls(format: string, quiet = false, trunc = true): string {
  const sorted = [...NETWORKS].sort((a, b) => naturalCompare(a.Name, b.Name));
  return renderItems(networkFormat(format, quiet), sorted.map((n) => networkContext(n, trunc)), NETWORK_HEADERS);
}

test('network ls: docker\'s table, sorted by name with numbers in order', () => {
  assert.equal(ls(''), 'NETWORK ID     NAME      DRIVER    SCOPE\n9f3bd5e5ee1f   bridge    bridge    local\naaaaaaaaaaaa   net9      bridge    local\n111111111111   net10     bridge    local\n');
  assert.equal(ls('', true), '9f3bd5e5ee1f\naaaaaaaaaaaa\n111111111111\n');
  // -q turns only table and raw into IDs; a custom format wins over it.
  assert.equal(ls('table', true), '9f3bd5e5ee1f\naaaaaaaaaaaa\n111111111111\n');
  assert.equal(ls('{{.Name}}', true), 'bridge\nnet9\nnet10\n');
  assert.equal(ls('raw', true), 'network_id: 9f3bd5e5ee1f\nnetwork_id: aaaaaaaaaaaa\nnetwork_id: 111111111111\n');
  assert.match(ls('', false, false), /^NETWORK ID {57}NAME/);
  assert.equal(ls('raw').split('\n\n')[0], 'network_id: 9f3bd5e5ee1f\nname: bridge\ndriver: bridge\nscope: local');
});

test('network ls: fields and json', () => {
  assert.equal(
    ls('table {{.Name}}\t{{.IPv4}}\t{{.IPv6}}\t{{.Internal}}\t{{.Labels}}\t{{.Label "z"}}'),
    'NAME      IPV4      IPV6      INTERNAL   LABELS    z\nbridge    true      false     false                \nnet9      false     false     false                \nnet10     false     true      true       z=1       1\n',
  );
  assert.equal(
    ls('json').split('\n')[2],
    '{"CreatedAt":"2024-05-02 10:11:12.5 -0730 -0730","Driver":"bridge","ID":"111111111111","IPv4":"false","IPv6":"true","Internal":"true","Labels":"z=1","Name":"net10","Scope":"local"}',
  );
});

test('Go time strings of RFC 3339 timestamps keep their own offset', () => {
  assert.equal(goTimeStringOf('2024-05-01T10:11:12.123456789Z'), '2024-05-01 10:11:12.123456789 +0000 UTC');
  assert.equal(goTimeStringOf('2024-05-01T10:11:12.500Z'), '2024-05-01 10:11:12.5 +0000 UTC');
  assert.equal(goTimeStringOf('0001-01-01T00:00:00Z'), '0001-01-01 00:00:00 +0000 UTC');
  assert.equal(goTimeStringOf('2024-05-02T10:11:12-07:30'), '2024-05-02 10:11:12 -0730 -0730');
});

const PORTS = {
  '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }, { HostIp: '::', HostPort: '8080' }],
  '443/tcp': null,
  '53/udp': [{ HostIp: '127.0.0.1', HostPort: '5353' }],
  '9/tcp': [{ HostIp: '0.0.0.0', HostPort: '10009' }],
  '100/tcp': [{ HostIp: '0.0.0.0', HostPort: '10100' }],
};

test('port: every mapping in natural order, or one port\'s host addresses', () => {
  assert.deepEqual(portLines(PORTS), ['9/tcp -> 0.0.0.0:10009', '53/udp -> 127.0.0.1:5353', '80/tcp -> 0.0.0.0:8080', '80/tcp -> [::]:8080', '100/tcp -> 0.0.0.0:10100']);
  assert.deepEqual(portLines(PORTS, '80'), ['0.0.0.0:8080', '[::]:8080']);
  assert.deepEqual(portLines(PORTS, '80/'), ['0.0.0.0:8080', '[::]:8080']);
  assert.deepEqual(portLines(PORTS, '53/udp'), ['127.0.0.1:5353']);
  assert.equal(portLines(PORTS, '81/tcp'), null);
  assert.equal(portLines(PORTS, '443'), null);
  assert.deepEqual(portLines({}), []);
  assert.throws(() => portLines(PORTS, 'abc'), { message: 'Error: invalid port (abc): strconv.ParseUint: parsing "abc": invalid syntax' });
  assert.throws(() => portLines(PORTS, '70000/tcp'), { message: 'Error: invalid port (70000): strconv.ParseUint: parsing "70000": value out of range' });
});

test('ps PORTS: IPv4 before IPv6, ranges grouped per address', () => {
  const ports = [
    { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
    { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
    { PrivatePort: 443, Type: 'tcp' },
    { IP: '0.0.0.0', PrivatePort: 9000, PublicPort: 9000, Type: 'tcp' },
    { IP: '0.0.0.0', PrivatePort: 9001, PublicPort: 9001, Type: 'tcp' },
    { IP: '::', PrivatePort: 9000, PublicPort: 9000, Type: 'tcp' },
    { IP: '::', PrivatePort: 9001, PublicPort: 9001, Type: 'tcp' },
  ];
  assert.equal(displayablePorts(ports), '443/tcp, 0.0.0.0:9000-9001->9000-9001/tcp, [::]:9000-9001->9000-9001/tcp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp');
  // A table header can name a label's column, as docker's header context does.
  assert.equal(renderItems('table {{.Label "com.x-y_z"}}', [], CONTAINER_HEADERS), 'x y z\n');
});

test('addresses as Go parses and prints them', () => {
  const show = (s: string): string | null => {
    const ip = parseIp(s);
    return ip && formatIp(ip);
  };
  assert.equal(show('2001:DB8::1'), '2001:db8::1');
  assert.equal(show('::ffff:1.2.3.4'), '1.2.3.4');
  assert.equal(show('1:0:0:2:0:0:0:3'), '1:0:0:2::3');
  assert.equal(show('1:2:3:4:5:6:7::'), '1:2:3:4:5:6:7:0');
  for (const bad of ['01.2.3.4', '256.1.1.1', '1::2::3', '1:2:3:4:5:6:7', '00001::', 'fe80::1%eth0', '']) assert.equal(show(bad), null, bad);
  assert.equal(cidrContains(parseCidr('10.0.0.0/8'), parseIp('::ffff:10.1.1.1')!), true);
  assert.equal(cidrContains(parseCidr('fd00::/64'), parseIp('fd00::5')!), true);
  assert.equal(cidrContains(parseCidr('10.0.0.0/8'), parseIp('fd00::1')!), false);
  assert.throws(() => parseCidr('10.1.0.0/33'), { message: 'invalid CIDR address: 10.1.0.0/33' });
  assert.equal(isLoopback(parseIp('127.0.0.53')!), true);
  assert.equal(isLoopback(parseIp('::1')!), true);
  assert.equal(isLoopback(parseIp('10.0.0.1')!), false);
});

test('StringSlice values split as CSV records; names sort naturally', () => {
  assert.deepEqual(csvFields('a,b'), ['a', 'b']);
  assert.deepEqual(csvFields('"a,b",c'), ['a,b', 'c']);
  assert.deepEqual(csvFields('a,'), ['a', '']);
  assert.deepEqual(csvFields(''), []);
  assert.throws(() => csvFields('a"b'), { message: 'parse error on line 1, column 2: bare " in non-quoted-field' });
  assert.deepEqual(['net10', 'net9', 'Net9', 'bridge', 'net09', 'host'].sort(naturalCompare), ['Net9', 'bridge', 'host', 'net9', 'net09', 'net10']);
});
