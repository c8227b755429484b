// moby: Debian's dockerd (docker.io). Left to supervise its own containerd,
// whose socket and state then live under our exec root and data root, so it
// cannot meet a system containerd.
//
// Two variants. For the engine benchmarks: no bridge and no iptables, the
// containers run with --network none and the host's firewall is not touched.
// For the networking benchmarks: a bridge of its own (docker0 on a subnet no
// host route uses), iptables rules and the userland proxy (docker-proxy) for
// published ports, as a default install has them; the bench removes the
// bridges, rules and chains it leaves and puts the FORWARD policy back.
import { existsSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { DaemonSpec } from '../lib/daemon.ts';
import { namesSubnet, type NetFootprint } from '../lib/hostnet.ts';
import { processes } from '../lib/procfs.ts';

const BRIDGE = 'docker0';
const BIP = '10.213.0.1/24';
const POOL = '10.214.0.0/16';
/** docker0 and dockerd's chains in filter (DOCKER, DOCKER-USER, DOCKER-ISOLATION-STAGE-1/2) and nat (DOCKER). */
export const MOBY_NET: NetFootprint = { bridges: [BRIDGE], subnets: [BIP.replace(/\.1\//, '.0/'), POOL], chains: /^DOCKER(-.*)?$/ };

function spec(dir: string, net: boolean): DaemonSpec {
  const socket = join(dir, 'docker.sock');
  const networking = net
    ? ['--bip', BIP, '--default-address-pool', `base=${POOL},size=24`, '--iptables=true', '--ip-masq=true', '--userland-proxy=true',
      '--userland-proxy-path', '/usr/sbin/docker-proxy']
    : ['--bridge', 'none', '--iptables=false', '--ip-masq=false'];
  return {
    cmd: '/usr/sbin/dockerd',
    args: [
      '--data-root', join(dir, 'root'),
      '--exec-root', join(dir, 'exec'),
      '--pidfile', join(dir, 'd.pid'),
      '-H', `unix://${socket}`,
      // Not the machine's /etc/docker/daemon.json.
      '--config-file', join(dir, 'daemon.json'),
      '--containerd-namespace', 'berth-bench',
      '--containerd-plugins-namespace', 'berth-bench-plugins',
      '--storage-driver', 'overlay2',
      ...networking,
      '--ip6tables=false',
      '--log-level', 'warn',
    ],
    socket,
    helpers: /^(dockerd|containerd|containerd-shim.*|docker-proxy)$/,
    prepare: () => {
      // dockerd 20.10 adopts a running system containerd instead of starting its own.
      if (existsSync('/run/containerd/containerd.sock')) {
        throw new Error('a system containerd is listening on /run/containerd/containerd.sock; moby would share it. Stop it first.');
      }
      if (net) refuseForeignDocker();
      writeFileSync(join(dir, 'daemon.json'), '{}\n');
    },
    // dockerd's trust key and plugin dir, and containerd 1.6's shim sockets, have fixed places.
    leavesBehind: ['/etc/docker/key.json', '/run/docker/plugins', '/run/docker', '/run/containerd/s', '/run/containerd'],
    net: net ? MOBY_NET : undefined,
  };
}

/**
 * Another dockerd with iptables on, or a docker0 that is not from an earlier
 * bench run, means a docker installed on this machine: the bench would take
 * its DOCKER chains and rules for its own and remove them.
 */
function refuseForeignDocker(): void {
  const other = processes().find((p) => p.comm === 'dockerd' && !p.cmdline.includes('--iptables=false'));
  if (other) throw new Error(`a dockerd with iptables on (pid ${other.pid}) is running: its DOCKER chains would be taken for the bench's; stop it first`);
  const addr = execFileSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' }).split('\n').filter((l) => l.split(/\s+/)[1] === BRIDGE);
  const link = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).split('\n').some((l) => l.split(': ')[1] === BRIDGE);
  if (link && !addr.some((l) => namesSubnet(l, MOBY_NET.subnets))) {
    throw new Error(`${BRIDGE} exists and is not the bench's (${BIP}): a docker on this machine uses it; stop it and remove ${BRIDGE} first`);
  }
}

/** moby as the engine benchmarks run it: no bridge, no iptables. */
export const mobySpec = (dir: string): DaemonSpec => spec(dir, false);
/** moby with its own bridge, iptables and docker-proxy, for the networking benchmarks. */
export const mobyNetSpec = (dir: string): DaemonSpec => spec(dir, true);
