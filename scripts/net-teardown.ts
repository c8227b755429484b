// Removes what a berthd left on the host's network once it is stopped for
// good (a demo or a scratch daemon): its default bridge, its iptables
// chains, and portmap's shared chains once nothing uses them. A daemon that will start again keeps them, as dockerd keeps docker0.
import { spawnSync } from 'node:child_process';
import { removeFirewall, removeIdlePortmapChains } from '../src/network/firewall.ts';

const bridge = process.argv[2];
if (!bridge) {
  process.stderr.write('usage: net-teardown.ts BRIDGE\n');
  process.exit(2);
}
spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
await removeFirewall(bridge);
await removeIdlePortmapChains();
