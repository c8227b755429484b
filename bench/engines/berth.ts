// berthd, the engine under test, straight from this checkout. With bridge
// networking it gets a bridge and subnets of its own (not the berth0 a
// machine's berthd would use) and, like dockerd, leaves the bridge and its
// iptables chains behind when it stops; the bench removes them.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { DaemonSpec } from '../lib/daemon.ts';
import type { NetFootprint } from '../lib/hostnet.ts';

const BERTHD = new URL('../../bin/berthd', import.meta.url).pathname;

const BRIDGE = 'bbench0';
const BIP = '10.215.0.1/24';
const POOL = '10.216.0.0/16';
/**
 * The default bridge, berthd's chains for it (BERTH-FWD-bbench0 in filter,
 * BERTH-POST-bbench0 in nat), and portmap's CNI-HOSTPORT-* chains, which every
 * user of the plug-in on the machine shares. The CNI plug-ins' per-container
 * chains (CNI-DN-*, CNI-<hash>) name the subnets and are found by them.
 */
export const BERTH_NET: NetFootprint = {
  bridges: [BRIDGE],
  subnets: [BIP.replace(/\.1\//, '.0/'), POOL],
  chains: new RegExp(`^BERTH-.+-${BRIDGE}$`),
  sharedChains: /^CNI-HOSTPORT-/,
};

let networking: boolean | undefined;
/** Whether this checkout's berthd has bridge networking (takes --bip): before it does, the network half skips berth. */
export function berthHasNetworking(): boolean {
  networking ??= (() => {
    try {
      return execFileSync(BERTHD, ['--help'], { encoding: 'utf8', timeout: 30_000 }).includes('--bip');
    } catch {
      return false;
    }
  })();
  return networking;
}

export function berthSpec(dir: string): DaemonSpec {
  const socket = join(dir, 'berth.sock');
  const net = berthHasNetworking();
  return {
    cmd: BERTHD,
    args: [
      '--data-root', join(dir, 'root'), '--exec-root', join(dir, 'run'), '-H', `unix://${socket}`,
      ...(net ? ['--bridge', BRIDGE, '--bip', BIP, '--default-address-pool', `base=${POOL},size=24`] : []),
    ],
    socket,
    helpers: /^(node|conmon)$/,
    net: net ? BERTH_NET : undefined,
  };
}
