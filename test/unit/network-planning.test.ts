// Pure network planning: address arithmetic, subnet choice, create checks,
// the CNI chain, the firewall rules and published-port parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocateSubnet, DEFAULT_POOLS, formatCidr, macForIp, parseCidr, parseIp, parsePool, parseProcRoutes, overlaps } from '../../src/network/ipnet.ts';
import { checkStaticIp, cniConfList, NetworkConfigError, planNetwork } from '../../src/network/network-config.ts';
import { firewallRules } from '../../src/network/firewall.ts';
import { portsView, requestedMappings } from '../../src/network/ports.ts';
import { parseTimeParam } from '../../src/api/routes/params.ts';
import type { NetworkRecord } from '../../src/network/types.ts';

const NOW = '2026-11-25T00:00:00.000Z';
const plan = (req: object, existing: NetworkRecord[] = [], taken = [parseCidr('192.0.2.0/24')]) =>
  planNetwork(req, 'a'.repeat(64), existing, DEFAULT_POOLS, taken, NOW);

test('IPv4 parsing and CIDR arithmetic', () => {
  assert.equal(parseIp('10.1.2.3'), 0x0a010203);
  assert.throws(() => parseIp('10.1.2.256'), /invalid IPv4/);
  assert.throws(() => parseIp('10.1.2'), /invalid IPv4/);
  assert.equal(formatCidr(parseCidr('10.1.2.3/16')), '10.1.0.0/16');
  assert.throws(() => parseCidr('10.1.2.3/16', true), /it should be 10\.1\.0\.0\/16/);
  assert.ok(overlaps(parseCidr('10.0.0.0/8'), parseCidr('10.5.0.0/16')));
  assert.ok(!overlaps(parseCidr('10.0.0.0/16'), parseCidr('10.1.0.0/16')));
  assert.equal(macForIp(parseIp('172.17.0.2')), '02:42:ac:11:00:02');
});

test('subnets come from the pools, skipping what is taken', () => {
  assert.equal(formatCidr(allocateSubnet(DEFAULT_POOLS, [])!), '172.17.0.0/16');
  assert.equal(formatCidr(allocateSubnet(DEFAULT_POOLS, [parseCidr('172.17.5.0/24'), parseCidr('172.18.0.0/16')])!), '172.19.0.0/16');
  const pool = parsePool('base=10.10.0.0/16,size=24');
  assert.equal(formatCidr(allocateSubnet([pool], [parseCidr('10.10.0.0/23')])!), '10.10.2.0/24');
  assert.equal(allocateSubnet([parsePool('base=10.10.0.0/24,size=24')], [parseCidr('10.0.0.0/8')]), undefined);
  assert.throws(() => parsePool('base=10.10.0.0/16,size=8'), /size must be between/);
  assert.throws(() => parsePool('size=24'), /base is required/);
});

test('host routes are read from /proc/net/route', () => {
  const text = 'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n'
    + 'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n'
    + 'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n'
    + 'docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n';
  assert.deepEqual(parseProcRoutes(text).map((r) => `${r.iface} ${formatCidr(r)}`), ['eth0 192.0.2.0/24', 'docker0 172.17.0.0/16']);
});

test('network create: defaults, explicit subnets and docker\'s refusals', () => {
  const auto = plan({ Name: 'app' });
  assert.deepEqual(auto.IPAM.Config, [{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }]);
  assert.equal(auto.Driver, 'bridge');
  const explicit = plan({ Name: 'x', Internal: true, Labels: { a: 'b' }, IPAM: { Config: [{ Subnet: '10.5.0.0/24', Gateway: '10.5.0.254', IPRange: '10.5.0.128/25' }] } });
  assert.deepEqual(explicit.IPAM.Config, [{ Subnet: '10.5.0.0/24', Gateway: '10.5.0.254', IPRange: '10.5.0.128/25' }]);
  assert.equal(explicit.Internal, true);
  const status = (fn: () => unknown): number => {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof NetworkConfigError);
      return err.status;
    }
    return 0;
  };
  assert.equal(status(() => plan({ Name: 'x' }, [explicit])), 409);
  assert.equal(status(() => plan({ Name: 'y', IPAM: { Config: [{ Subnet: '10.5.0.0/16' }] } }, [explicit])), 403);
  assert.equal(status(() => plan({ Name: 'y', IPAM: { Config: [{ Subnet: '10.6.0.0/24', Gateway: '10.7.0.1' }] } })), 400);
  assert.equal(status(() => plan({ Name: 'y', IPAM: { Config: [{ Subnet: '10.6.0.0/24', IPRange: '10.6.1.0/25' }] } })), 400);
  assert.equal(status(() => plan({ Name: 'y', Driver: 'overlay' })), 404);
  assert.equal(status(() => plan({ Name: 'bad name' })), 400);
  assert.equal(status(() => plan({ Name: 'y', Options: { 'com.docker.network.bridge.name': 'waytoolongbridgename' } })), 400);
  assert.equal(status(() => plan({ Name: 'y', IPAM: { Config: 'nope' } })), 400);
});

test('static addresses must lie in a user network\'s subnet, off its gateway', () => {
  const net = plan({ Name: 'x', IPAM: { Config: [{ Subnet: '10.5.0.0/24' }] } });
  checkStaticIp(net, '10.5.0.9');
  assert.throws(() => checkStaticIp(net, '10.5.0.1'), /not available/);
  assert.throws(() => checkStaticIp(net, '10.6.0.9'), /not within subnet/);
  const def = { ...net, Options: { 'com.docker.network.bridge.default_bridge': 'true' } };
  assert.throws(() => checkStaticIp(def, '10.5.0.9'), /user defined networks only/);
});

test('the CNI chain: bridge with host-local, ranges, static IP and MAC, then portmap', () => {
  const net = plan({ Name: 'x', IPAM: { Config: [{ Subnet: '10.5.0.0/24', IPRange: '10.5.0.128/25' }] } });
  const plain = cniConfList(net, { ipamDir: '/d', ports: [] });
  assert.equal(plain.name, net.Id);
  assert.equal(plain.plugins.length, 1);
  const bridge = plain.plugins[0] as any;
  assert.equal(bridge.bridge, `br-${net.Id.slice(0, 12)}`);
  assert.deepEqual(bridge.ipam.ranges, [[{ subnet: '10.5.0.0/24', gateway: '10.5.0.1', rangeStart: '10.5.0.129', rangeEnd: '10.5.0.254' }]]);
  assert.equal(bridge.ipMasq, false);
  const full = cniConfList(net, { ipamDir: '/d', staticIp: '10.5.0.9', mac: '02:42:0a:05:00:09', ports: [{ containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080 }] });
  const b = full.plugins[0] as any;
  assert.deepEqual(b.args, { cni: { ips: ['10.5.0.9/24'], mac: '02:42:0a:05:00:09' } });
  assert.equal(b.ipam.ranges[0][0].rangeStart, undefined, 'a static address may lie outside the ip-range');
  assert.deepEqual((full.plugins[1] as any).runtimeConfig.portMappings, [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '' }]);
  const internal = cniConfList({ ...net, Internal: true }, { ipamDir: '/d', ports: [] });
  assert.deepEqual((internal.plugins[0] as any).ipam.routes, []);
});

test('firewall: replies and published ports first, then isolation, masquerade except internal', () => {
  const rules = firewallRules('b0', [
    { bridge: 'b0', subnet: '172.17.0.0/16', internal: false },
    { bridge: 'br-1', subnet: '10.5.0.0/24', internal: true },
  ]);
  const lines = rules.split('\n');
  assert.equal(lines[0], '*filter');
  assert.equal(lines[1], ':BERTH-FWD-b0 - [0:0]');
  const idx = (l: string) => lines.indexOf(l);
  assert.ok(idx('-A BERTH-FWD-b0 -i br-1 ! -o br-1 -j DROP') < idx('-A BERTH-FWD-b0 -o b0 -m conntrack --ctstate DNAT -j ACCEPT'));
  assert.ok(idx('-A BERTH-FWD-b0 -o b0 -m conntrack --ctstate DNAT -j ACCEPT') < idx('-A BERTH-FWD-b0 -i br-1 -o b0 -j DROP'));
  assert.ok(lines.includes('-A BERTH-POST-b0 -s 172.17.0.0/16 ! -o b0 -j MASQUERADE'));
  assert.ok(!rules.includes('-s 10.5.0.0/24 ! -o br-1 -j MASQUERADE'));
  assert.equal(lines.filter((l) => l === 'COMMIT').length, 2);
});

test('published ports: bindings, ranges, -P with EXPOSE, and the inspect view', () => {
  const m = requestedMappings({ '80/tcp': [{ HostIp: '', HostPort: '8080' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }], '90/tcp': [{ HostPort: '9000-9010' }] }, true, { '80/tcp': {}, '443/tcp': {} });
  assert.deepEqual(m, [
    { containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080, hostPortEnd: 8080 },
    { containerPort: 53, protocol: 'udp', hostIp: '127.0.0.1', hostPort: 0, hostPortEnd: 0 },
    { containerPort: 90, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 9000, hostPortEnd: 9010 },
    { containerPort: 443, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 0, hostPortEnd: 0 },
  ]);
  assert.throws(() => requestedMappings({ '99999/tcp': [] }, false, {}), /invalid containerPort/);
  assert.throws(() => requestedMappings({ '80/icmp': [] }, false, {}), /invalid proto/);
  assert.throws(() => requestedMappings({ '80/tcp': [{ HostPort: '9-1' }] }, false, {}), /invalid hostPort range/);
  assert.throws(() => requestedMappings({ '80/tcp': [{ HostIp: '::1', HostPort: '1' }] }, false, {}), /only IPv4/);
  assert.deepEqual(portsView({ '80/tcp': {}, '81/tcp': {} }, { '80/tcp': [] }, [{ containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080 }]), {
    '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }],
    '81/tcp': null,
  });
});

test('time parameters: unix seconds, RFC 3339 and Go durations back from now', () => {
  assert.equal(parseTimeParam('1700000000.5'), 1700000000500);
  assert.equal(parseTimeParam('2026-11-25T00:00:00Z'), Date.parse('2026-11-25T00:00:00Z'));
  assert.equal(parseTimeParam('24h', 100_000_000), 100_000_000 - 86_400_000);
  assert.equal(parseTimeParam('1h30m', 10_000_000), 10_000_000 - 5_400_000);
  assert.throws(() => parseTimeParam('yesterday'), /invalid time value/);
});
