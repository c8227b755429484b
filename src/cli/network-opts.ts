// --network and the endpoint flags of run/create (--network-alias, --ip,
// --ip6, --link, --link-local-ip, --mac-address), turned into
// NetworkingConfig.EndpointsConfig the way docker's parseNetworkOpts does.
import type { EndpointSettings } from '../client/types.ts';
import { csvFields } from './flags.ts';
import { goQuote } from './gofmt.ts';

/** One --network value: a name, or the "name=n,alias=a,ip=..." long form. */
export interface NetworkAttachment {
  target: string;
  aliases: string[];
  driverOpts: Record<string, string>;
  links: string[];
  ipv4: string;
  ipv6: string;
  linkLocalIps: string[];
  mac: string;
  gwPriority: number;
}

/** The legacy flags, which apply to the first network. */
export type EndpointFlags = Pick<NetworkAttachment, 'aliases' | 'links' | 'ipv4' | 'ipv6' | 'linkLocalIps' | 'mac'>;

const empty = (target: string): NetworkAttachment => ({ target, aliases: [], driverOpts: {}, links: [], ipv4: '', ipv6: '', linkLocalIps: [], mac: '', gwPriority: 0 });

/** container.NetworkMode.IsUserDefined on Linux. */
function isUserDefined(mode: string): boolean {
  return !['default', 'bridge', 'host', 'none'].includes(mode) && !mode.startsWith('container:');
}

/** opts.NetworkOpt.Set. docker matches its long-form pattern anywhere in the value. */
export function parseNetworkOpt(value: string): NetworkAttachment {
  if (!/\w+=\w+(,\w+=\w+)*/.test(value)) return empty(value);
  const n = empty('');
  for (const field of csvFields(value)) {
    // docker lower-cases the whole field, values (and so network names) included.
    const lower = field.toLowerCase();
    const eq = lower.indexOf('=');
    if (eq <= 0) throw new Error(`invalid field ${field}`);
    const key = lower.slice(0, eq).trim();
    const val = lower.slice(eq + 1).trim();
    switch (key) {
      case 'name':
        n.target = val;
        break;
      case 'alias':
        n.aliases.push(val);
        break;
      case 'ip':
        n.ipv4 = val;
        break;
      case 'ip6':
        n.ipv6 = val;
        break;
      case 'mac-address':
        n.mac = val;
        break;
      case 'link-local-ip':
        n.linkLocalIps.push(val);
        break;
      case 'driver-opt': {
        const i = val.indexOf('=');
        if (i <= 0) throw new Error('invalid key value pair format in driver options');
        n.driverOpts[val.slice(0, i).trim()] = val.slice(i + 1).trim();
        break;
      }
      case 'gw-priority':
        if (!/^[+-]?\d+$/.test(val)) throw new Error(`invalid gw-priority (${val}): invalid syntax`);
        n.gwPriority = Number(val);
        break;
      default:
        throw new Error(`invalid field key ${key}`);
    }
  }
  if (n.target === '') throw new Error('network name/id is not specified');
  return n;
}

/** opts.ValidateLink: "name[:alias]". */
export function validateLink(value: string): string {
  if (value === '') throw new Error('empty string specified for links');
  if (value.split(':').length > 2) throw new Error(`bad format for links: ${value}`);
  return value;
}

/** net.ParseMAC: 6, 8 or 20 bytes as xx:xx, xx-xx or xxxx.xxxx. */
function isMac(s: string): boolean {
  const octets = /^[0-9a-fA-F]{2}(?:([:-])[0-9a-fA-F]{2}(?:\1[0-9a-fA-F]{2})*)?$/.test(s) ? (s.length + 1) / 3 : /^[0-9a-fA-F]{4}(?:\.[0-9a-fA-F]{4})*$/.test(s) ? ((s.length + 1) / 5) * 2 : 0;
  return [6, 8, 20].includes(octets);
}

/** applyContainerOptions: the legacy flags go to the first network, unless it sets the same thing itself. */
function applyLegacy(n: NetworkAttachment, legacy: EndpointFlags): NetworkAttachment {
  const conflict = (what: string): Error => new Error(`conflicting options: cannot specify both ${what}`);
  if (n.aliases.length && legacy.aliases.length) throw conflict('--network-alias and per-network alias');
  if (n.links.length && legacy.links.length) throw conflict('--link and per-network links');
  if (n.ipv4 && legacy.ipv4) throw conflict('--ip and per-network IPv4 address');
  if (n.ipv6 && legacy.ipv6) throw conflict('--ip6 and per-network IPv6 address');
  if (n.mac && legacy.mac) throw conflict('--mac-address and per-network MAC address');
  if (n.linkLocalIps.length && legacy.linkLocalIps.length) throw conflict('--link-local-ip and per-network link-local IP addresses');
  return {
    ...n,
    aliases: legacy.aliases.length ? [...legacy.aliases] : n.aliases,
    // On a user-defined network a link is an alias; on the default bridge it is a legacy link (HostConfig.Links only).
    links: isUserDefined(n.target) && legacy.links.length ? [...legacy.links] : n.links,
    ipv4: legacy.ipv4 || n.ipv4,
    ipv6: legacy.ipv6 || n.ipv6,
    mac: legacy.mac || n.mac,
    linkLocalIps: legacy.linkLocalIps.length ? [...legacy.linkLocalIps] : n.linkLocalIps,
  };
}

/** parseNetworkAttachmentOpt: the endpoint settings, holding only what was set. */
function endpointOf(n: NetworkAttachment): EndpointSettings {
  if (n.target.trim() === '') throw new Error('no name set for network');
  if (!isUserDefined(n.target)) {
    if (n.aliases.length) throw new Error('network-scoped aliases are only supported for user-defined networks');
    if (n.links.length) throw new Error('links are only supported for user-defined networks');
  }
  const ep: EndpointSettings = {};
  if (n.aliases.length) ep.Aliases = n.aliases;
  if (Object.keys(n.driverOpts).length) ep.DriverOpts = n.driverOpts;
  if (n.links.length) ep.Links = n.links;
  if (n.ipv4 || n.ipv6 || n.linkLocalIps.length) {
    ep.IPAMConfig = {};
    if (n.ipv4) ep.IPAMConfig.IPv4Address = n.ipv4;
    if (n.ipv6) ep.IPAMConfig.IPv6Address = n.ipv6;
    if (n.linkLocalIps.length) ep.IPAMConfig.LinkLocalIPs = n.linkLocalIps;
  }
  if (n.mac) {
    if (!isMac(n.mac.trim())) throw new Error(`${n.mac} is not a valid mac address`);
    ep.MacAddress = n.mac;
  }
  if (n.gwPriority) ep.GwPriority = n.gwPriority;
  return ep;
}

export interface Networking {
  /** HostConfig.NetworkMode: the first --network, else "default". */
  mode: string;
  endpoints: Record<string, EndpointSettings>;
  /** The first network's MAC address, which API 1.41 takes as Config.MacAddress. */
  mac: string;
}

/** parseNetworkOpts. */
export function networking(networks: readonly NetworkAttachment[], legacy: EndpointFlags): Networking {
  if (networks.length === 0) {
    const n = applyLegacy(empty('default'), legacy);
    return { mode: 'default', endpoints: { default: endpointOf(n) }, mac: n.mac };
  }
  const endpoints: Record<string, EndpointSettings> = {};
  let userDefined = false;
  let other = false;
  let mac = '';
  networks.forEach((given, i) => {
    if (isUserDefined(given.target)) userDefined = true;
    else other = true;
    const n = i === 0 ? applyLegacy(given, legacy) : given;
    if (i === 0) mac = n.mac;
    const ep = endpointOf(n);
    if (Object.hasOwn(endpoints, n.target)) throw new Error(`network ${goQuote(n.target)} is specified multiple times`);
    // A single network without settings is left to the daemon, as docker's CLI leaves it.
    if (i === 0 && networks.length === 1 && Object.keys(ep).length === 0) return;
    endpoints[n.target] = ep;
  });
  if (userDefined && other) throw new Error('conflicting options: cannot attach both user-defined and non-user-defined network-modes');
  return { mode: networks[0]!.target, endpoints, mac };
}
