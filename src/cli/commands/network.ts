// berth network create, ls, inspect, rm, connect and disconnect (prune
// lives with the other prunes).
import { ApiError } from '../../client/client.ts';
import { connectNetwork, createNetwork, disconnectNetwork, inspectNetwork, listNetworks, removeNetwork } from '../../client/networks.ts';
import type { EndpointIpamConfig, EndpointSettings, IpamConfig, NetworkCreateRequest } from '../../client/types.ts';
import { describeError, StatusError } from '../command.ts';
import type { Command } from '../command.ts';
import { NETWORK_HEADERS, networkContext, networkFormat } from '../context-network.ts';
import { filterFlag, toFilters } from '../filters.ts';
import type { ParsedFlags } from '../flags.ts';
import { FORMAT_HELP } from '../format-help.ts';
import { renderItems } from '../formatter.ts';
import { cidrContains, parseCidr, parseIp } from '../ipaddr.ts';
import { kvToMap, validateLabel } from '../kvfile.ts';
import { validateLink } from '../network-opts.ts';
import { naturalCompare } from '../sortorder.ts';
import { FORMAT_FLAG, inspectAll } from './inspect.ts';

/** subnetMatches: whether data (an address or a CIDR) lies in subnet. */
function subnetMatches(subnet: string, data: string): boolean {
  let net;
  try {
    net = parseCidr(subnet);
  } catch (e) {
    throw new Error(`invalid subnet: ${(e as Error).message}`);
  }
  const ip = data.includes('/') ? parseCidr(data).ip : parseIp(data);
  return ip !== null && cidrContains(net, ip);
}

/** createIPAMConfig: each --ip-range, --gateway and --aux-address joins the one --subnet that holds it. */
export function ipamConfig(subnets: readonly string[], ranges: readonly string[], gateways: readonly string[], aux: Record<string, string>): IpamConfig[] {
  if (subnets.length < ranges.length || subnets.length < gateways.length) throw new Error('every ip-range or gateway must have a corresponding subnet');
  const data = new Map<string, IpamConfig>();
  for (const s of subnets) {
    for (const k of data.keys()) {
      if (subnetMatches(s, k) || subnetMatches(k, s)) throw new Error('multiple overlapping subnet configuration is not supported');
    }
    data.set(s, { Subnet: s });
  }
  const attach = (value: string, what: string, set: (cfg: IpamConfig) => void): void => {
    let match = false;
    for (const s of subnets) {
      if (!subnetMatches(s, value)) continue;
      set(data.get(s)!);
      match = true;
    }
    if (!match) throw new Error(`no matching subnet for ${what} ${value}`);
  };
  for (const r of ranges) {
    parseCidr(r);
    attach(r, 'range', (cfg) => {
      if (cfg.IPRange) throw new Error(`cannot configure multiple ranges (${r}, ${cfg.IPRange}) on the same subnet (${cfg.Subnet})`);
      cfg.IPRange = r;
    });
  }
  for (const g of gateways) {
    attach(g, 'gateway', (cfg) => {
      if (cfg.Gateway) throw new Error(`cannot configure multiple gateways (${g}, ${cfg.Gateway}) for the same subnet (${cfg.Subnet})`);
      cfg.Gateway = g;
    });
  }
  for (const [key, address] of Object.entries(aux)) {
    attach(address, 'aux-address', (cfg) => (cfg.AuxiliaryAddresses = { ...cfg.AuxiliaryAddresses, [key]: address }));
  }
  return [...data.values()];
}

/** The POST /networks/create body docker's CLI sends for these flags. */
export function networkCreateRequest(flags: ParsedFlags, name: string): NetworkCreateRequest {
  const configFrom = flags.string('config-from');
  return {
    Driver: flags.string('driver'),
    Scope: flags.string('scope'),
    ...(flags.changed('ipv4') && { EnableIPv4: flags.bool('ipv4') }),
    ...(flags.changed('ipv6') && { EnableIPv6: flags.bool('ipv6') }),
    IPAM: {
      Driver: flags.string('ipam-driver'),
      Options: kvToMap(flags.list('ipam-opt')),
      Config: ipamConfig(flags.list('subnet'), flags.list('ip-range'), flags.list('gateway'), kvToMap(flags.list('aux-address'))),
    },
    Internal: flags.bool('internal'),
    Attachable: flags.bool('attachable'),
    Ingress: flags.bool('ingress'),
    ConfigOnly: flags.bool('config-only'),
    ConfigFrom: configFrom ? { Network: configFrom } : null,
    Options: kvToMap(flags.list('opt')),
    Labels: kvToMap(flags.list('label')),
    Name: name,
    CheckDuplicate: true,
  };
}

export const networkCreate: Command = {
  use: '[OPTIONS] NETWORK',
  args: { min: 1, max: 1 },
  flags: [
    { name: 'attachable', kind: 'bool', usage: 'Enable manual container attachment' },
    { name: 'aux-address', kind: 'list', type: 'map', usage: 'Auxiliary IPv4 or IPv6 addresses used by Network driver' },
    { name: 'config-from', kind: 'string', usage: 'The network from which to copy the configuration' },
    { name: 'config-only', kind: 'bool', usage: 'Create a configuration only network' },
    { name: 'driver', short: 'd', kind: 'string', usage: 'Driver to manage the Network', default: 'bridge' },
    { name: 'gateway', kind: 'list', type: 'strings', csv: true, usage: 'IPv4 or IPv6 Gateway for the master subnet' },
    { name: 'ingress', kind: 'bool', usage: 'Create swarm routing-mesh network' },
    { name: 'internal', kind: 'bool', usage: 'Restrict external access to the network' },
    { name: 'ip-range', kind: 'list', type: 'strings', csv: true, usage: 'Allocate container ip from a sub-range' },
    { name: 'ipam-driver', kind: 'string', usage: 'IP Address Management Driver', default: 'default' },
    { name: 'ipam-opt', kind: 'list', type: 'map', usage: 'Set IPAM driver specific options' },
    { name: 'ipv4', kind: 'bool', usage: 'Enable or disable IPv4 address assignment', default: true },
    { name: 'ipv6', kind: 'bool', usage: 'Enable or disable IPv6 address assignment' },
    { name: 'label', kind: 'list', usage: 'Set metadata on a network', validate: validateLabel },
    { name: 'opt', short: 'o', kind: 'list', type: 'map', usage: 'Set driver specific options' },
    { name: 'scope', kind: 'string', usage: "Control the network's scope" },
    { name: 'subnet', kind: 'list', type: 'strings', csv: true, usage: 'Subnet in CIDR format that represents a network segment' },
  ],
  async run(ctx, flags, [name]) {
    const res = await createNetwork(ctx.client, networkCreateRequest(flags, name!));
    ctx.stdout.write(res.Id + '\n');
  },
};

export const networkLs: Command = {
  use: '[OPTIONS]',
  args: { max: 0 },
  flags: [
    filterFlag('Provide filter values (e.g. "driver=bridge")'),
    { name: 'format', kind: 'string', usage: FORMAT_HELP.table },
    { name: 'no-trunc', kind: 'bool', usage: 'Do not truncate the output' },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only display network IDs' },
  ],
  async run(ctx, flags) {
    const list = await listNetworks(ctx.client, toFilters(flags.list('filter')));
    list.sort((a, b) => naturalCompare(a.Name, b.Name));
    const trunc = !flags.bool('no-trunc');
    const format = networkFormat(flags.string('format'), flags.bool('quiet'));
    ctx.stdout.write(renderItems(format, list.map((n) => networkContext(n, trunc)), NETWORK_HEADERS));
  },
};

export const networkInspect: Command = {
  use: '[OPTIONS] NETWORK [NETWORK...]',
  args: { min: 1 },
  flags: [FORMAT_FLAG, { name: 'verbose', short: 'v', kind: 'bool', usage: 'Verbose output for diagnostics' }],
  run: (ctx, flags, refs) => inspectAll(ctx, refs, flags.string('format'), (ref) => inspectNetwork(ctx.client, ref, flags.bool('verbose'))),
};

export const networkRm: Command = {
  use: 'NETWORK [NETWORK...]',
  args: { min: 1 },
  flags: [{ name: 'force', short: 'f', kind: 'bool', usage: 'Do not error if the network does not exist' }],
  async run(ctx, flags, names) {
    let failed = false;
    for (const name of names) {
      try {
        await removeNetwork(ctx.client, name);
      } catch (e) {
        if (flags.bool('force') && e instanceof ApiError && e.status === 404) continue;
        ctx.stderr.write(describeError(e) + '\n');
        failed = true;
        continue;
      }
      ctx.stdout.write(name + '\n');
    }
    // docker reports each failure as it happens, then its status error.
    if (failed) throw new StatusError(1, 'exit status 1');
  },
};

/** convertDriverOpt: "k=v" pairs, trimmed. */
function driverOpts(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    const key = (eq < 0 ? v : v.slice(0, eq)).trim();
    if (eq < 0 || key === '') throw new Error('invalid key/value pair format in driver options');
    out[key] = v.slice(eq + 1).trim();
  }
  return out;
}

/** The EndpointConfig docker's connect sends: IPAMConfig, Aliases and DriverOpts always present. */
export function connectEndpoint(flags: ParsedFlags): EndpointSettings {
  const ipam: EndpointIpamConfig = {};
  if (flags.string('ip')) ipam.IPv4Address = flags.string('ip');
  if (flags.string('ip6')) ipam.IPv6Address = flags.string('ip6');
  if (flags.list('link-local-ip').length) ipam.LinkLocalIPs = flags.list('link-local-ip');
  const links = flags.list('link');
  return {
    IPAMConfig: ipam,
    Links: links.length ? links : null,
    Aliases: flags.list('alias'),
    DriverOpts: driverOpts(flags.list('driver-opt')),
    GwPriority: flags.int('gw-priority'),
  };
}

export const networkConnect: Command = {
  use: '[OPTIONS] NETWORK CONTAINER',
  args: { min: 2, max: 2 },
  flags: [
    { name: 'alias', kind: 'list', type: 'strings', csv: true, usage: 'Add network-scoped alias for the container' },
    { name: 'driver-opt', kind: 'list', type: 'strings', csv: true, usage: 'driver options for the network' },
    { name: 'gw-priority', kind: 'int', usage: 'Highest gw-priority provides the default gateway. Accepts positive and negative values.' },
    { name: 'ip', kind: 'string', usage: 'IPv4 address (e.g., "172.30.100.104")' },
    { name: 'ip6', kind: 'string', usage: 'IPv6 address (e.g., "2001:db8::33")' },
    { name: 'link', kind: 'list', usage: 'Add link to another container', validate: validateLink },
    { name: 'link-local-ip', kind: 'list', type: 'strings', csv: true, usage: 'Add a link-local address for the container' },
  ],
  run: (ctx, flags, [network, container]) => connectNetwork(ctx.client, network!, container!, connectEndpoint(flags)),
};

export const networkDisconnect: Command = {
  use: '[OPTIONS] NETWORK CONTAINER',
  args: { min: 2, max: 2 },
  flags: [{ name: 'force', short: 'f', kind: 'bool', usage: 'Force the container to disconnect from a network' }],
  run: (ctx, flags, [network, container]) => disconnectNetwork(ctx.client, network!, container!, flags.bool('force')),
};
