// moby: Debian's dockerd (docker.io). Left to supervise its own containerd,
// whose socket and state then live under our exec root and data root, so it
// cannot meet a system containerd. No bridge and no iptables: the containers
// run with --network none, and the host's firewall is not ours to touch.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonSpec } from '../lib/daemon.ts';

export function mobySpec(dir: string): DaemonSpec {
  const socket = join(dir, 'docker.sock');
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
      '--bridge', 'none',
      '--iptables=false',
      '--ip6tables=false',
      '--ip-masq=false',
      '--log-level', 'warn',
    ],
    socket,
    helpers: /^(dockerd|containerd|containerd-shim.*)$/,
    prepare: () => {
      // dockerd 20.10 adopts a running system containerd instead of starting its own.
      if (existsSync('/run/containerd/containerd.sock')) {
        throw new Error('a system containerd is listening on /run/containerd/containerd.sock; moby would share it. Stop it first.');
      }
      writeFileSync(join(dir, 'daemon.json'), '{}\n');
    },
    // dockerd's trust key and plugin dir, and containerd 1.6's shim sockets, have fixed places.
    leavesBehind: ['/etc/docker/key.json', '/run/docker/plugins', '/run/docker', '/run/containerd/s', '/run/containerd'],
  };
}
