// Networks and endpoints, in the Docker API's own field names so that
// inspect output is the record itself.
import type { BoundPort } from './ports.ts';

export interface IpamConfig {
  Subnet: string;
  Gateway: string;
  IPRange?: string;
}

export interface NetworkRecord {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: 'bridge' | 'host' | 'null';
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: IpamConfig[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** A container's place on one network: what was asked (IPAMConfig, Aliases, MacAddress) and what it got. */
export interface EndpointSettings {
  IPAMConfig: { IPv4Address?: string; IPv6Address?: string } | null;
  Links: string[] | null;
  Aliases: string[] | null;
  MacAddress: string;
  DriverOpts: Record<string, string> | null;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  DNSNames: string[] | null;
  /** berth's own: the interface inside the container while attached. */
  IfName?: string;
  /** berth's own: the MAC asked for, kept apart from the one the kernel chose. */
  RequestedMac?: string;
}

export interface ContainerNetworkState {
  Networks: Record<string, EndpointSettings>;
  /** Host ports held while the container runs. */
  Ports: BoundPort[];
}

/** What the network manager needs to know of a container. */
export interface Member {
  id: string;
  name: string;
  hostname: string;
  running: boolean;
  /** The owner, when the container shares another's namespace (`container:<id>`). */
  netOwner?: string;
  pid: number;
  networks: Record<string, EndpointSettings>;
}

export const DEFAULT_BRIDGE = 'bridge';

export function emptyEndpoint(networkId: string): EndpointSettings {
  return {
    IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', DriverOpts: null, NetworkID: networkId,
    EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}
