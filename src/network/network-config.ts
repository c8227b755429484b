// Pure planning for networks: a create request checked and turned into a
// record (subnet chosen from the pools when not given), and a network plus
// one container's wishes turned into the CNI plugin chain that attaches it.
import { join } from 'node:path';
import { allocateSubnet, contains, firstHost, formatCidr, formatIp, lastHost, overlaps, parseCidr, parseIp, type Cidr, type Pool } from './ipnet.ts';
import type { IpamConfig, NetworkRecord } from './types.ts';
import type { NetworkConfList } from './cni.ts';
import type { BoundPort } from './ports.ts';

export const BRIDGE_NAME_OPT = 'com.docker.network.bridge.name';

export class NetworkConfigError extends Error {
  /** 400 for a bad request, 403 for a pool clash (docker's status), 409 for a name clash. */
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface CreateNetworkRequest {
  Name?: unknown;
  Driver?: unknown;
  Internal?: unknown;
  Attachable?: unknown;
  EnableIPv6?: unknown;
  IPAM?: { Driver?: unknown; Config?: unknown; Options?: unknown } | null;
  Options?: unknown;
  Labels?: unknown;
}

function stringMap(v: unknown, what: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    throw new NetworkConfigError(400, `${what} must be a map of strings`);
  }
  return { ...(v as Record<string, string>) };
}

export function bridgeOf(net: NetworkRecord): string {
  return net.Options[BRIDGE_NAME_OPT] || `br-${net.Id.slice(0, 12)}`;
}

export function subnetOf(net: NetworkRecord): Cidr | undefined {
  const s = net.IPAM.Config[0]?.Subnet;
  return s ? parseCidr(s) : undefined;
}

/** The IPAM block of a subnet: gateway defaults to its first address, as docker's does. */
export function ipamFor(subnet: Cidr, gateway?: string, ipRange?: string): IpamConfig {
  const config: IpamConfig = { Subnet: formatCidr(subnet), Gateway: gateway ?? formatIp(firstHost(subnet)) };
  if (ipRange) config.IPRange = ipRange;
  return config;
}

/**
 * Checks a create request against the existing networks and returns the new
 * record. `taken` are the subnets in use on the host (routes of other
 * interfaces), which an automatic choice avoids.
 */
export function planNetwork(req: CreateNetworkRequest, id: string, existing: NetworkRecord[], pools: Pool[], taken: Cidr[], now: string): NetworkRecord {
  if (typeof req.Name !== 'string' || !req.Name) throw new NetworkConfigError(400, 'network name cannot be empty');
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(req.Name)) throw new NetworkConfigError(400, `invalid network name "${req.Name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  if (existing.some((n) => n.Name === req.Name)) throw new NetworkConfigError(409, `network with name ${req.Name} already exists`);
  const driver = req.Driver ?? 'bridge';
  if (driver !== 'bridge' && driver !== '') {
    if (typeof driver !== 'string') throw new NetworkConfigError(400, 'Driver must be a string');
    if (driver === 'host' || driver === 'null') throw new NetworkConfigError(403, `only one instance of "${driver}" network is allowed`);
    throw new NetworkConfigError(404, `plugin "${driver}" not found`);
  }
  if (req.EnableIPv6 === true) throw new NetworkConfigError(400, 'IPv6 networks are not supported by berth');
  const options = stringMap(req.Options, 'Options');
  const labels = stringMap(req.Labels, 'Labels');
  const bridge = options[BRIDGE_NAME_OPT];
  if (bridge !== undefined && !/^[a-zA-Z0-9_.-]{1,15}$/.test(bridge)) throw new NetworkConfigError(400, `invalid bridge name "${bridge}": 1 to 15 of [a-zA-Z0-9_.-]`);
  if (bridge && existing.some((n) => n.Driver === 'bridge' && bridgeOf(n) === bridge)) throw new NetworkConfigError(403, `bridge name ${bridge} is already used by another network`);

  const configs = req.IPAM?.Config;
  if (configs !== undefined && configs !== null && !Array.isArray(configs)) throw new NetworkConfigError(400, 'IPAM.Config must be a list');
  const v4 = ((configs ?? []) as Array<Record<string, unknown>>).filter((c) => !String(c?.Subnet ?? '').includes(':'));
  if (v4.length > 1) throw new NetworkConfigError(400, 'berth networks have one IPv4 subnet');
  const ours = existing.flatMap((n) => (subnetOf(n) ? [subnetOf(n)!] : []));
  let ipam: IpamConfig;
  const want = v4[0];
  if (want?.Subnet) {
    let subnet: Cidr;
    try {
      subnet = parseCidr(String(want.Subnet), true);
    } catch (err) {
      throw new NetworkConfigError(400, (err as Error).message);
    }
    if (subnet.bits > 30) throw new NetworkConfigError(400, `subnet ${want.Subnet} is too small`);
    const clash = existing.find((n) => subnetOf(n) && overlaps(subnetOf(n)!, subnet));
    if (clash) throw new NetworkConfigError(403, `Pool overlaps with other one on this address space (network ${clash.Name}, ${clash.IPAM.Config[0]!.Subnet})`);
    const gateway = want.Gateway ? String(want.Gateway) : undefined;
    if (gateway !== undefined) inSubnet(subnet, gateway, 'gateway');
    let range: string | undefined;
    if (want.IPRange) {
      let r: Cidr;
      try {
        r = parseCidr(String(want.IPRange), true);
      } catch (err) {
        throw new NetworkConfigError(400, (err as Error).message);
      }
      if (!contains(subnet, r.base) || r.bits < subnet.bits) throw new NetworkConfigError(400, `ip-range ${want.IPRange} is not within subnet ${formatCidr(subnet)}`);
      range = formatCidr(r);
    }
    ipam = ipamFor(subnet, gateway, range);
  } else {
    if (want?.Gateway || want?.IPRange) throw new NetworkConfigError(400, 'a gateway or ip-range needs a subnet');
    const subnet = allocateSubnet(pools, [...ours, ...taken]);
    if (!subnet) throw new NetworkConfigError(400, 'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
    ipam = ipamFor(subnet);
  }
  return {
    Name: req.Name, Id: id, Created: now, Scope: 'local', Driver: 'bridge', EnableIPv6: false,
    IPAM: { Driver: 'default', Options: stringMap(req.IPAM?.Options, 'IPAM.Options'), Config: [ipam] },
    Internal: req.Internal === true, Attachable: req.Attachable === true, Ingress: false,
    ConfigFrom: { Network: '' }, ConfigOnly: false, Options: options, Labels: labels,
  };
}

function inSubnet(subnet: Cidr, ip: string, what: string): number {
  let n: number;
  try {
    n = parseIp(ip);
  } catch (err) {
    throw new NetworkConfigError(400, (err as Error).message);
  }
  if (!contains(subnet, n)) throw new NetworkConfigError(400, `${what} ${ip} is not within subnet ${formatCidr(subnet)}`);
  return n;
}

/** Checks a static address (`--ip`) against its network. */
export function checkStaticIp(net: NetworkRecord, ip: string): void {
  const subnet = subnetOf(net);
  if (!subnet || net.Options['com.docker.network.bridge.default_bridge'] === 'true') {
    throw new NetworkConfigError(400, 'user specified IP address is supported on user defined networks only');
  }
  const n = inSubnet(subnet, ip, 'IP address');
  if (ip === net.IPAM.Config[0]!.Gateway || n < firstHost(subnet) || n > lastHost(subnet)) throw new NetworkConfigError(400, `IP address ${ip} is not available in network ${net.Name}`);
}

export interface AttachPlan {
  ipamDir: string;
  staticIp?: string;
  mac?: string;
  ports: BoundPort[];
}

/** The CNI chain that attaches one container to `net`: bridge with host-local IPAM, then portmap when ports are published. */
export function cniConfList(net: NetworkRecord, plan: AttachPlan): NetworkConfList {
  const ipam = net.IPAM.Config[0]!;
  const subnet = parseCidr(ipam.Subnet);
  const range: Record<string, string> = { subnet: ipam.Subnet, gateway: ipam.Gateway };
  // A static address may lie outside the ip-range, as docker allows.
  if (ipam.IPRange && !plan.staticIp) {
    const r = parseCidr(ipam.IPRange);
    range.rangeStart = formatIp(Math.max(firstHost(r), firstHost(subnet)));
    range.rangeEnd = formatIp(Math.min(lastHost(r), lastHost(subnet)));
  }
  const bridge: Record<string, unknown> = {
    type: 'bridge',
    bridge: bridgeOf(net),
    isGateway: true,
    ipMasq: false,
    hairpinMode: true,
    ipam: {
      type: 'host-local',
      dataDir: plan.ipamDir,
      ranges: [[range]],
      routes: net.Internal ? [] : [{ dst: '0.0.0.0/0' }],
    },
  };
  const mtu = Number(net.Options['com.docker.network.driver.mtu']);
  if (mtu > 0) bridge.mtu = mtu;
  const args: Record<string, unknown> = {};
  if (plan.staticIp) args.ips = [`${plan.staticIp}/${subnet.bits}`];
  if (plan.mac) args.mac = plan.mac;
  if (Object.keys(args).length) bridge.args = { cni: args };
  const plugins: NetworkConfList['plugins'] = [bridge as NetworkConfList['plugins'][number]];
  if (plan.ports.length) {
    plugins.push({
      type: 'portmap',
      snat: true,
      runtimeConfig: {
        portMappings: plan.ports.map((p) => ({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol, hostIP: p.hostIp === '0.0.0.0' ? '' : p.hostIp })),
      },
    });
  }
  return { cniVersion: '1.0.0', name: net.Id, plugins };
}

export function ipamDirOf(dataRoot: string): string {
  return join(dataRoot, 'network', 'ipam');
}
