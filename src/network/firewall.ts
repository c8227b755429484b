// berthd's own iptables rules, one filter chain and one nat chain per daemon,
// named after its default bridge so that several daemons on one host (tests,
// benchmarks) never touch each other's rules. Both chains are computed whole
// from the list of networks and replaced in one iptables-restore, so the
// rules are always exactly what the networks say, after a crash too.
// Per-container port forwarding is the CNI portmap plugin's.
import { runProcess } from '../util/spawn.ts';

export interface FirewallNetwork {
  bridge: string;
  subnet: string;
  internal: boolean;
}

export function chainNames(tag: string): { filter: string; nat: string } {
  return { filter: `BERTH-FWD-${tag}`, nat: `BERTH-POST-${tag}` };
}

/** The iptables-restore input that makes berthd's chains match `networks`. */
export function firewallRules(tag: string, networks: FirewallNetwork[]): string {
  const { filter, nat } = chainNames(tag);
  const f: string[] = [];
  const n: string[] = [];
  // Internal networks first: nothing crosses their bridge, published ports neither.
  for (const net of networks.filter((x) => x.internal)) {
    f.push(`-A ${filter} -i ${net.bridge} ! -o ${net.bridge} -j DROP`, `-A ${filter} -o ${net.bridge} ! -i ${net.bridge} -j DROP`);
  }
  for (const net of networks) {
    // Accepted here so that a FORWARD policy of DROP (left by dockerd, say) does not cut containers off.
    // Replies and published ports come before the isolation below: a published port is for anyone.
    f.push(
      `-A ${filter} -o ${net.bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
      `-A ${filter} -o ${net.bridge} -m conntrack --ctstate DNAT -j ACCEPT`,
    );
  }
  for (const net of networks) {
    const br = net.bridge;
    // Networks are isolated from each other, as docker's are.
    for (const other of networks) if (other.bridge !== br) f.push(`-A ${filter} -i ${br} -o ${other.bridge} -j DROP`);
    f.push(`-A ${filter} -i ${br} -j ACCEPT`);
    if (net.internal) continue;
    n.push(
      `-A ${nat} -s ${net.subnet} ! -o ${br} -j MASQUERADE`,
      // Hairpin: a container reaching a published port of its own network through
      // the host must see the replies come back from the host, not the peer.
      `-A ${nat} -s ${net.subnet} -o ${br} -m conntrack --ctstate DNAT -j MASQUERADE`,
    );
  }
  return ['*filter', `:${filter} - [0:0]`, ...f, 'COMMIT', '*nat', `:${nat} - [0:0]`, ...n, 'COMMIT', ''].join('\n');
}

async function iptables(args: string[], input?: string, cmd = 'iptables'): Promise<{ code: number; stderr: string }> {
  const r = await runProcess(cmd, args, { input });
  return { code: r.code ?? -1, stderr: r.stderr.toString() };
}

async function ensureJump(table: string, from: string, chain: string): Promise<void> {
  if ((await iptables(['-w', '-t', table, '-C', from, '-j', chain])).code === 0) return;
  const r = await iptables(['-w', '-t', table, '-I', from, '1', '-j', chain]);
  if (r.code !== 0) throw new Error(`iptables: cannot jump from ${from} to ${chain}: ${r.stderr.trim()}`);
}

/** Replaces berthd's chains with the rules for `networks`, creating and hooking them in as needed. */
export async function applyFirewall(tag: string, networks: FirewallNetwork[]): Promise<void> {
  const r = await iptables(['-w', '--noflush'], firewallRules(tag, networks), 'iptables-restore');
  if (r.code !== 0) throw new Error(`iptables-restore: ${r.stderr.trim()}`);
  const { filter, nat } = chainNames(tag);
  await ensureJump('filter', 'FORWARD', filter);
  await ensureJump('nat', 'POSTROUTING', nat);
}

/** Removes berthd's chains and the jumps to them: for tests and benchmarks that own the daemon. */
export async function removeFirewall(tag: string): Promise<void> {
  const { filter, nat } = chainNames(tag);
  for (const [table, from, chain] of [['filter', 'FORWARD', filter], ['nat', 'POSTROUTING', nat]] as const) {
    while ((await iptables(['-w', '-t', table, '-D', from, '-j', chain])).code === 0);
    await iptables(['-w', '-t', table, '-F', chain]);
    await iptables(['-w', '-t', table, '-X', chain]);
  }
}

const PORTMAP_CHAINS = ['CNI-HOSTPORT-DNAT', 'CNI-HOSTPORT-SETMARK', 'CNI-HOSTPORT-MASQ'];

/**
 * Removes the CNI portmap plugin's shared chains when no container's
 * forwards hang off them: portmap makes them on every ADD and never removes
 * them. For a host that stops running containers for good (a demo).
 */
export async function removeIdlePortmapChains(): Promise<void> {
  const listed = await runProcess('iptables', ['-w', '-t', 'nat', '-S', 'CNI-HOSTPORT-DNAT']).catch(() => null);
  const rules = listed?.code === 0 ? listed.stdout.toString() : '';
  if (!rules || rules.split('\n').some((l) => l.startsWith('-A '))) return;
  for (const from of ['PREROUTING', 'OUTPUT']) {
    while ((await iptables(['-w', '-t', 'nat', '-D', from, '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-HOSTPORT-DNAT'])).code === 0);
  }
  while ((await iptables(['-w', '-t', 'nat', '-D', 'POSTROUTING', '-m', 'comment', '--comment', 'CNI portfwd requiring masquerade', '-j', 'CNI-HOSTPORT-MASQ'])).code === 0);
  for (const c of PORTMAP_CHAINS) await iptables(['-w', '-t', 'nat', '-F', c]);
  for (const c of PORTMAP_CHAINS) await iptables(['-w', '-t', 'nat', '-X', c]);
}

