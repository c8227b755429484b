// Networking through the real docker CLI: bridge, user networks with DNS,
// host, none, container:<id>, published ports, connect/disconnect. Traffic
// goes only to 127.0.0.1, to the daemon's own bridges and to its containers;
// names the containers cannot resolve are forwarded to a fake upstream DNS
// server on 127.0.0.153 that the test runs itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import dnsPacket from 'dns-packet';
import { freePort, httpGet } from '../helpers/net.ts';
import { TestDaemon, until } from '../helpers/daemon.ts';
import { busyboxTar } from '../helpers/busybox.ts';
import { udpEchoBinary } from '../helpers/udp-echo.ts';

const UPSTREAM = '127.0.0.153';
const upstream = createSocket('udp4');
const d = TestDaemon.forFile(['--dns', UPSTREAM, '--bip', '10.240.3.1/24', '--default-address-pool', 'base=10.241.0.0/16,size=24']);

before(async () => {
  // The host's resolvers stand in for the outside world: this one knows one name.
  upstream.on('message', (msg, rinfo) => {
    const q = dnsPacket.decode(msg);
    const name = q.questions?.[0]?.name ?? '';
    const exists = name === 'outside.example';
    const known = exists && q.questions?.[0]?.type === 'A';
    const reply = dnsPacket.encode({
      type: 'response', id: q.id, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (exists ? 0 : 3),
      questions: q.questions, answers: known ? [{ type: 'A', name, ttl: 60, data: '127.0.0.99' }] : [],
    });
    upstream.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    upstream.once('error', reject);
    upstream.bind(53, UPSTREAM, () => resolve());
  });
});
after(() => upstream.close());

async function inspect(ref: string, format: string): Promise<string> {
  const r = await d.docker(['inspect', '-f', format, ref]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

async function docker(args: string[]): Promise<string> {
  const r = await d.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('default bridge: an address of its own, a route out, the host resolvers and its address in /etc/hosts', async () => {
  const out = await docker(['run', '--rm', '--hostname', 'box', 'busybox', 'sh', '-c', 'ip -4 -o addr show eth0; ip route; cat /etc/hosts /etc/resolv.conf']);
  const gateway = await docker(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', 'bridge']);
  const ip = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(out)?.[1];
  assert.ok(ip, out);
  assert.match(out, new RegExp(`default via ${gateway.trim().replace(/\./g, '\\.')} dev eth0`));
  assert.match(out, new RegExp(`^${ip.replace(/\./g, '\\.')}\\tbox$`, 'm'));
  // The daemon's --dns is on loopback, which a container's own namespace cannot reach.
  assert.doesNotMatch(out, /nameserver 127\./);
});

test('--bip and --default-address-pool decide the subnets; bridge.name names the bridge', async () => {
  assert.equal((await docker(['network', 'inspect', '-f', '{{json .IPAM.Config}}', 'bridge'])).trim(), '[{"Subnet":"10.240.3.0/24","Gateway":"10.240.3.1"}]');
  const bridgeName = `bn${d.bridge.slice(2, 8)}`;
  await docker(['network', 'create', '-o', `com.docker.network.bridge.name=${bridgeName}`, 'pooled']);
  assert.equal((await docker(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', 'pooled'])).trim(), '10.241.0.0/24');
  const out = await docker(['run', '--rm', '--network', 'pooled', 'busybox', 'ip', '-4', '-o', 'addr', 'show', 'eth0']);
  assert.match(out, /inet 10\.241\.0\.\d+\/24/);
  const { execFileSync } = await import('node:child_process');
  assert.match(execFileSync('ip', ['-4', '-o', 'addr', 'show', bridgeName]).toString(), /inet 10\.241\.0\.1\/24/);
  await docker(['network', 'rm', 'pooled']);
  assert.throws(() => execFileSync('ip', ['link', 'show', bridgeName], { stdio: 'ignore' }), 'the bridge goes with its network');
});

test('acceptance: -p 8080:80 answers on 127.0.0.1 from the host; docker port and ps show it', async () => {
  const port = await freePort();
  await docker(['run', '-d', '--name', 'pub', '-p', `${port}:80`, 'busybox', 'sh', '-c', 'echo hello-from-pub > /www; httpd -f -p 80 -h /']);
  await until(async () => (await httpGet(port, '/www').catch(() => '')) === 'hello-from-pub\n', 'published port');
  assert.equal((await docker(['port', 'pub'])).trim(), `80/tcp -> 0.0.0.0:${port}`);
  assert.match(await docker(['ps', '--format', '{{.Ports}}', '--filter', 'name=pub']), new RegExp(`0\\.0\\.0\\.0:${port}->80/tcp`));
  // Hairpin: another container, and the container itself, through the bridge's own address.
  const gateway = (await docker(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', 'bridge'])).trim();
  assert.equal(await docker(['run', '--rm', 'busybox', 'wget', '-qO-', `http://${gateway}:${port}/www`]), 'hello-from-pub\n');
  assert.equal(await docker(['exec', 'pub', 'wget', '-qO-', `http://${gateway}:${port}/www`]), 'hello-from-pub\n');
  // A port in use fails before the container starts, with docker's message.
  const clash = await d.docker(['run', '-d', '--name', 'clash', '-p', `${port}:80`, 'busybox', 'sleep', '60']);
  assert.equal(clash.code, 125);
  assert.match(clash.stderr, new RegExp(`Bind for 0\\.0\\.0\\.0:${port} failed: port is already allocated`));
  assert.equal(await inspect('clash', '{{.State.Status}}'), 'created');
  await docker(['rm', '-f', 'pub', 'clash']);
  // The port is free again once the container is gone.
  await docker(['run', '-d', '--name', 'again', '-p', `${port}:80`, 'busybox', 'sleep', '60']);
  await docker(['rm', '-f', 'again']);
});

test('UDP on a host IP, and random host ports', async () => {
  const image = await d.docker(['import', '-c', 'CMD ["sh"]', '-', 'udpbox'], { input: await busyboxTar([{ name: 'bin/udp-echo', data: udpEchoBinary(), mode: 0o755 }]) });
  assert.equal(image.code, 0, image.stderr);
  const id = (await docker(['run', '-d', '--name', 'udp', '-p', '127.0.0.1::5353/udp', '-p', '80', 'udpbox', 'udp-echo', '5353'])).trim();
  const ports = await docker(['port', 'udp']);
  const udpPort = Number(/5353\/udp -> 127\.0\.0\.1:(\d+)/.exec(ports)?.[1]);
  assert.ok(udpPort > 0, ports);
  assert.match(ports, /80\/tcp -> 0\.0\.0\.0:\d+/);
  const sock = createSocket('udp4');
  let echoed = '';
  sock.on('message', (m) => (echoed += m.toString()));
  try {
    await until(async () => {
      sock.send('datagram\n', udpPort, '127.0.0.1');
      return (await docker(['logs', id])).includes('datagram') && echoed.includes('datagram');
    }, 'udp datagram and its echo');
  } finally {
    sock.close();
  }
  await docker(['rm', '-f', 'udp']);
});

test('-P publishes the image\'s exposed ports on random host ports', async () => {
  const created = await d.docker(['run', '-d', '--name', 'exposed', '--expose', '7000', '--expose', '7001/udp', '-P', 'busybox', 'sleep', '60']);
  assert.equal(created.code, 0, created.stderr);
  const ports = await docker(['port', 'exposed']);
  assert.match(ports, /^7000\/tcp -> 0\.0\.0\.0:\d+$/m);
  assert.match(ports, /^7001\/udp -> 0\.0\.0\.0:\d+$/m);
  await docker(['rm', '-f', 'exposed']);
});

test('acceptance: containers on a user network reach each other by name, alias and hostname; DNS forwards the rest', async () => {
  await docker(['network', 'create', '--subnet', '10.231.7.0/24', '--label', 'purpose=test', 'appnet']);
  await docker(['run', '-d', '--name', 'web', '--network', 'appnet', '--network-alias', 'www', '--hostname', 'webhost', 'busybox', 'sh', '-c', 'echo web-page > /index.html; httpd -f -p 80 -h /']);
  for (const name of ['web', 'www', 'webhost', 'web.appnet']) {
    assert.equal(await docker(['run', '--rm', '--network', 'appnet', 'busybox', 'wget', '-qO-', `http://${name}/`]), 'web-page\n', name);
  }
  const conf = await docker(['run', '--rm', '--network', 'appnet', 'busybox', 'cat', '/etc/resolv.conf']);
  assert.match(conf, /^nameserver 10\.231\.7\.1$/m);
  assert.match(conf, /^options ndots:0$/m);
  const outside = await docker(['run', '--rm', '--network', 'appnet', 'busybox', 'nslookup', 'outside.example']);
  assert.match(outside, /Address: 127\.0\.0\.99/);
  const missing = await d.docker(['run', '--rm', '--network', 'appnet', 'busybox', 'nslookup', 'nowhere.example']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stdout + missing.stderr, /NXDOMAIN|can't resolve/);
  // The default bridge has no names, as on docker.
  const none = await d.docker(['run', '--rm', 'busybox', 'wget', '-T', '2', '-qO-', 'http://web/']);
  assert.notEqual(none.code, 0);
  const view = JSON.parse(await docker(['network', 'inspect', 'appnet']))[0];
  assert.equal(view.IPAM.Config[0].Subnet, '10.231.7.0/24');
  assert.equal(view.Labels.purpose, 'test');
  assert.deepEqual(Object.values(view.Containers).map((c: any) => c.Name), ['web']);
  assert.match(await docker(['network', 'ls', '--filter', 'label=purpose=test', '--format', '{{.Name}}']), /^appnet$/m);
  // In use: refused; overlapping: refused.
  const rm = await d.docker(['network', 'rm', 'appnet']);
  assert.notEqual(rm.code, 0);
  assert.match(rm.stderr, /has active endpoints/);
  const overlap = await d.docker(['network', 'create', '--subnet', '10.231.0.0/16', 'overlapping']);
  assert.notEqual(overlap.code, 0);
  assert.match(overlap.stderr, /Pool overlaps with other one on this address space/);
  const dup = await d.docker(['network', 'create', 'appnet']);
  assert.match(dup.stderr, /network with name appnet already exists/);
});

test('acceptance: --network container:web shares web\'s address and ports', async () => {
  const webIp = await inspect('web', '{{.NetworkSettings.Networks.appnet.IPAddress}}');
  const out = await docker(['run', '--rm', '--network', 'container:web', 'busybox', 'sh', '-c', 'wget -qO- http://127.0.0.1/; ip -4 -o addr show eth0']);
  assert.match(out, /^web-page$/m);
  assert.match(out, new RegExp(`inet ${webIp.replace(/\./g, '\\.')}/24`));
  const stopped = await d.docker(['run', '-d', '--name', 'sidecar', '--network', 'container:web', 'busybox', 'sleep', '60']);
  assert.equal(stopped.code, 0);
  await docker(['rm', '-f', 'sidecar']);
});

test('acceptance: --network none has only lo; --network host sees the host\'s interfaces', async () => {
  const none = await docker(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'ls /sys/class/net']);
  assert.deepEqual(none.trim().split(/\s+/), ['lo']);
  const host = await docker(['run', '--rm', '--network', 'host', 'busybox', 'ls', '/sys/class/net']);
  assert.ok(host.split(/\s+/).includes(d.bridge), host);
});

test('acceptance: connect and disconnect a running container', async () => {
  await docker(['run', '-d', '--name', 'roamer', 'busybox', 'sleep', '300']);
  await docker(['network', 'connect', '--alias', 'wanderer', '--ip', '10.231.7.77', 'appnet', 'roamer']);
  const ifaces = await docker(['exec', 'roamer', 'ip', '-4', '-o', 'addr']);
  assert.match(ifaces, /eth1\s+inet 10\.231\.7\.77\/24/);
  assert.equal(await docker(['exec', 'roamer', 'wget', '-qO-', 'http://web/']), 'web-page\n');
  assert.equal(await docker(['run', '--rm', '--network', 'appnet', 'busybox', 'sh', '-c', 'nslookup wanderer | grep -c 10.231.7.77']), '1\n');
  assert.equal(await inspect('roamer', '{{.NetworkSettings.Networks.appnet.IPAddress}}'), '10.231.7.77');
  await docker(['network', 'disconnect', 'appnet', 'roamer']);
  assert.doesNotMatch(await docker(['exec', 'roamer', 'ip', '-o', 'link']), /eth1/);
  assert.equal(await inspect('roamer', '{{len .NetworkSettings.Networks}}'), '1');
  // Connected while stopped: attached at the next start.
  await docker(['stop', '-t', '0', 'roamer']);
  await docker(['network', 'connect', 'appnet', 'roamer']);
  await docker(['start', 'roamer']);
  assert.match(await docker(['exec', 'roamer', 'ip', '-4', '-o', 'addr']), /eth1\s+inet 10\.231\.7\./);
  await docker(['rm', '-f', 'roamer']);
});

test('static IP, MAC address, --dns, --dns-search, --dns-option, --add-host with host-gateway and IPv6', async () => {
  const gateway = (await docker(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', 'bridge'])).trim();
  // docker 28 sends --mac-address only to API 1.44 daemons; berth's CLI sends it to 1.41.
  const r = await d.berth(['run', '--rm', '--network', 'appnet', '--ip', '10.231.7.50', '--mac-address', '02:42:0a:e7:07:32',
    '--dns-search', 'corp.example', '--dns-option', 'timeout:3', '--add-host', 'db:10.9.9.9', '--add-host', 'hostgw:host-gateway',
    'busybox', 'sh', '-c', 'ip -o link show eth0; ip -4 -o addr show eth0; cat /etc/hosts /etc/resolv.conf']);
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, /link\/ether 02:42:0a:e7:07:32/);
  assert.match(out, /inet 10\.231\.7\.50\/24/);
  assert.match(out, /^10\.9\.9\.9\tdb$/m);
  assert.match(out, new RegExp(`^${gateway.replace(/\./g, '\\.')}\\thostgw$`, 'm'));
  assert.match(out, /^search corp\.example$/m);
  assert.match(out, /^options timeout:3$/m);
  // IPv6 addresses split at the first colon; docker's client also takes name=address and brackets.
  const v6 = await docker(['run', '--rm', '--add-host', 'v6:2001:db8::1', '--add-host', 'br=[fe80::1]', 'busybox', 'cat', '/etc/hosts']);
  assert.match(v6, /^2001:db8::1\tv6$/m);
  assert.match(v6, /^fe80::1\tbr$/m);
  const bad = await d.api('POST', '/containers/create', { Image: 'busybox', HostConfig: { ExtraHosts: ['db:nope'] } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json().message, 'invalid IP address in add-host: "nope"');
  const dns = await docker(['run', '--rm', '--dns', '10.1.2.3', 'busybox', 'cat', '/etc/resolv.conf']);
  assert.match(dns, /^nameserver 10\.1\.2\.3$/m);
  const taken = await d.docker(['run', '--rm', '--network', 'appnet', '--ip', (await inspect('web', '{{.NetworkSettings.Networks.appnet.IPAddress}}')), 'busybox', 'true']);
  assert.notEqual(taken.code, 0);
  assert.match(taken.stderr, /Address already in use/);
  const outside = await d.docker(['run', '--rm', '--network', 'appnet', '--ip', '10.99.0.5', 'busybox', 'true']);
  assert.match(outside.stderr, /not within subnet/);
  const onDefault = await d.docker(['run', '--rm', '--ip', '172.17.0.50', 'busybox', 'true']);
  assert.notEqual(onDefault.code, 0);
});

test('--internal networks have no route out but still resolve their members', async () => {
  await docker(['network', 'create', '--internal', 'sealed']);
  await docker(['run', '-d', '--name', 'vault', '--network', 'sealed', 'busybox', 'sleep', '300']);
  const out = await docker(['run', '--rm', '--network', 'sealed', 'busybox', 'sh', '-c', 'ip route; ping -c 1 -W 2 vault >/dev/null && echo reached']);
  assert.doesNotMatch(out, /default/);
  assert.match(out, /reached/);
  const forwarded = await d.docker(['run', '--rm', '--network', 'sealed', 'busybox', 'nslookup', 'outside.example']);
  assert.notEqual(forwarded.code, 0, 'internal networks do not forward names out');
  await docker(['rm', '-f', 'vault']);
  await docker(['network', 'rm', 'sealed']);
});

test('names follow restarts, and networks are removed and pruned', async () => {
  await docker(['restart', '-t', '0', 'web']);
  assert.equal(await docker(['run', '--rm', '--network', 'appnet', 'busybox', 'wget', '-qO-', 'http://web/']), 'web-page\n');
  await docker(['rm', '-f', 'web']);
  await docker(['network', 'create', 'spare']);
  const pruned = await docker(['network', 'prune', '-f']);
  assert.match(pruned, /appnet/);
  assert.match(pruned, /spare/);
  assert.deepEqual((await docker(['network', 'ls', '--format', '{{.Name}}'])).trim().split('\n').sort(), ['bridge', 'host', 'none']);
  const builtin = await d.docker(['network', 'rm', 'bridge']);
  assert.match(builtin.stderr, /pre-defined network and cannot be removed/);
});

test('200 containers created, started and removed leave no veth, lease or port forward behind', async () => {
  const ids: string[] = [];
  const batch = 10;
  for (let i = 0; i < 200; i += batch) {
    const made = await Promise.all(Array.from({ length: batch }, (_, j) =>
      d.docker(['run', '-d', ...(j % 5 === 0 ? ['-p', '80'] : []), 'busybox', 'sleep', '300'])));
    for (const r of made) {
      assert.equal(r.code, 0, r.stderr);
      ids.push(r.stdout.trim());
    }
  }
  const running = (await docker(['ps', '-q', '--no-trunc'])).trim().split('\n');
  assert.deepEqual(running.filter((id) => !ids.includes(id)), [], 'only the 200 run');
  assert.equal(running.length, 200);
  for (let i = 0; i < ids.length; i += 50) await docker(['rm', '-f', ...ids.slice(i, i + 50)]);
  // The teardown's checks run here too, while the daemon is still up.
  const { execFileSync } = await import('node:child_process');
  assert.equal(execFileSync('ip', ['-o', 'link', 'show', 'master', d.bridge]).toString().trim(), '');
  assert.doesNotMatch(execFileSync('iptables-save', ['-t', 'nat']).toString(), /CNI-DN-/);
});

test('a kill -9 of berthd: the next start releases what dead containers held', async () => {
  const port = await freePort();
  await docker(['run', '-d', '--name', 'orphan', '-p', `${port}:80`, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/']);
  await docker(['run', '-d', '--name', 'survivor', '--network', 'bridge', 'busybox', 'sleep', '300']);
  const pid = Number(await inspect('orphan', '{{.State.Pid}}'));
  await d.halt(true);
  process.kill(pid, 'SIGKILL');
  await d.launch();
  await until(async () => (await inspect('orphan', '{{.State.Status}}')) === 'exited', 'orphan exited');
  // Its port is free again, and the survivor still answers on the network.
  await docker(['run', '-d', '--name', 'heir', '-p', `${port}:80`, 'busybox', 'sh', '-c', 'echo heir > /i; httpd -f -p 80 -h /']);
  await until(async () => (await httpGet(port, '/i').catch(() => '')) === 'heir\n', 'heir serves');
  const survivorIp = await inspect('survivor', '{{.NetworkSettings.IPAddress}}');
  assert.match(await docker(['run', '--rm', 'busybox', 'ping', '-c', '1', '-W', '2', survivorIp]), /1 packets received/);
  await docker(['rm', '-f', 'orphan', 'heir', 'survivor']);
});

test('container:<id> when the owner stops: the sharer keeps running without its interfaces; a new one is refused', async () => {
  await docker(['run', '-d', '--name', 'owner', 'busybox', 'sleep', '300']);
  await docker(['run', '-d', '--name', 'sharer', '--network', 'container:owner', 'busybox', 'sleep', '300']);
  assert.match(await docker(['exec', 'sharer', 'ip', '-o', 'link']), /eth0/);
  await docker(['stop', '-t', '0', 'owner']);
  assert.equal(await inspect('sharer', '{{.State.Running}}'), 'true');
  assert.doesNotMatch(await docker(['exec', 'sharer', 'ip', '-o', 'link']), /eth0/);
  const late = await d.docker(['run', '--rm', '--network', 'container:owner', 'busybox', 'true']);
  assert.notEqual(late.code, 0);
  assert.match(late.stderr, /cannot join network of a non running container/);
  await docker(['rm', '-f', 'sharer', 'owner']);
});

test('bad input: unknown networks, bad subnets and bad ports are clear errors', async () => {
  // Through the API: the docker CLI takes any 404 from create for a missing image and tries a pull.
  const unknown = await d.api('POST', '/containers/create', { Image: 'busybox', HostConfig: { NetworkMode: 'nonet' } });
  assert.equal(unknown.status, 404);
  assert.match(unknown.json().message, /network nonet not found/);
  const badSubnet = await d.docker(['network', 'create', '--subnet', '10.0.0.1/8', 'bad']);
  assert.match(badSubnet.stderr, /invalid subnet|should be/);
  const r = await d.api('POST', '/containers/create', { Image: 'busybox', HostConfig: { PortBindings: { '99999/tcp': [{ HostPort: '1' }] } } });
  assert.equal(r.status, 400);
  const nets = await d.api('POST', '/networks/create', { Name: 'x', IPAM: { Config: 'nope' } });
  assert.equal(nets.status, 400);
  const missing = await d.api('POST', '/networks/nonet/connect', { Container: 'x' });
  assert.equal(missing.status, 404);
  assert.equal((await d.api('GET', '/_ping')).status, 200);
});
