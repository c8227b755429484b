// A container's networking as the engine sees it: which namespace it runs
// in, what its identity files say, and its endpoints on bridge networks,
// attached once runc has made its namespace and released when it stops.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NetworkManager } from '../network/manager.ts';
import { requestedMappings } from '../network/ports.ts';
import { HOST_GATEWAY, parseExtraHost } from '../network/extra-hosts.ts';
import { DEFAULT_BRIDGE, type ContainerNetworkState, type EndpointSettings, type Member, type NetworkRecord } from '../network/types.ts';
import type { Container } from './container.ts';
import { hostsFile, resolvConf, type IdentityFiles } from './rootfs-setup.ts';
import type { ContainerConfig, HostConfig } from './types.ts';
import { ApiError, badRequest, conflict, notFound } from '../util/errors.ts';

export type NamespaceChoice = { mode: 'private' | 'host' } | { mode: 'path'; path: string };

function modeOf(host: HostConfig): string {
  return host.NetworkMode || 'default';
}

function requested(c: Container) {
  const r = c.record;
  try {
    return requestedMappings(r.HostConfig.PortBindings ?? undefined, !!r.HostConfig.PublishAllPorts, r.Config.ExposedPorts as Record<string, unknown> | undefined);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
}

export class ContainerNetworking {
  readonly networks: NetworkManager;
  readonly #lookup: (ref: string) => Container;
  readonly #all: () => Iterable<Container>;

  constructor(networks: NetworkManager, lookup: (ref: string) => Container, all: () => Iterable<Container>) {
    this.networks = networks;
    this.#lookup = lookup;
    this.#all = all;
  }

  /** The manager's view of every container. */
  *members(): Iterable<Member> {
    for (const c of this.#all()) {
      const mode = modeOf(c.record.HostConfig);
      yield {
        id: c.id,
        name: c.name,
        hostname: c.record.Config.Hostname ?? '',
        running: c.running,
        pid: c.record.State.Pid,
        netOwner: mode.startsWith('container:') ? mode.slice(10) : undefined,
        networks: c.record.NetworkSettings?.Networks ?? {},
      };
    }
  }

  /** Checks the network options of a create and returns the container's initial network state. */
  atCreate(config: ContainerConfig, host: HostConfig, networking: unknown): ContainerNetworkState {
    const mode = modeOf(host);
    if (mode.startsWith('container:')) {
      const owner = this.#lookup(mode.slice(10));
      host.NetworkMode = `container:${owner.id}`;
      if (host.PortBindings && Object.keys(host.PortBindings).length) throw badRequest('conflicting options: port publishing and the container type network mode');
      if (config.Hostname) throw badRequest('conflicting options: hostname and the network mode');
    }
    let endpoints: Record<string, Partial<EndpointSettings>> | undefined;
    if (networking && typeof networking === 'object' && 'EndpointsConfig' in networking) {
      const e = (networking as { EndpointsConfig: unknown }).EndpointsConfig;
      if (e !== null && e !== undefined && (typeof e !== 'object' || Array.isArray(e))) throw badRequest('NetworkingConfig.EndpointsConfig must be an object');
      endpoints = (e ?? undefined) as Record<string, Partial<EndpointSettings>> | undefined;
    }
    const mac = typeof config.MacAddress === 'string' ? config.MacAddress : undefined;
    const state = { Networks: this.networks.endpointsForCreate(mode, endpoints, mac), Ports: [] };
    try {
      requestedMappings(host.PortBindings ?? undefined, !!host.PublishAllPorts, config.ExposedPorts as Record<string, unknown> | undefined);
    } catch (err) {
      throw badRequest((err as Error).message);
    }
    return state;
  }

  /** The state of a container created before berth had networks. */
  #state(c: Container): ContainerNetworkState {
    c.record.NetworkSettings ??= { Networks: this.networks.endpointsForCreate(modeOf(c.record.HostConfig), undefined, undefined), Ports: [] };
    return c.record.NetworkSettings;
  }

  /** The namespace the container's process runs in. */
  namespace(c: Container): NamespaceChoice {
    const mode = modeOf(c.record.HostConfig);
    if (mode === 'host') return { mode: 'host' };
    if (mode.startsWith('container:')) {
      const owner = this.#lookup(mode.slice(10));
      if (!owner.running) throw conflict(`cannot join network of a non running container: ${owner.id}`);
      return { mode: 'path', path: `/proc/${owner.record.State.Pid}/ns/net` };
    }
    this.#state(c);
    return { mode: 'private' };
  }

  /** What /etc/resolv.conf and /etc/hosts say, before the address is known. */
  identity(c: Container): Pick<IdentityFiles, 'hostsEntries' | 'dns' | 'dnsSearch' | 'dnsOptions'> {
    const host = c.record.HostConfig;
    const gateway = this.networks.find(DEFAULT_BRIDGE)?.IPAM.Config[0]?.Gateway;
    const hostsEntries = (host.ExtraHosts ?? []).map(parseExtraHost)
      .map((h) => (h.address === HOST_GATEWAY && gateway ? { ...h, address: gateway } : h));
    const ns = c.record.NetworkSettings ? this.networks.nameserverFor(c.record.NetworkSettings.Networks) : undefined;
    // On user-defined networks names go through berthd's DNS server, as through docker's embedded one.
    return {
      hostsEntries,
      dns: ns ? [ns] : host.Dns?.length ? host.Dns : this.networks.opts.containerDns,
      dnsSearch: host.DnsSearch ?? [],
      dnsOptions: ns && !host.DnsOptions?.length ? ['ndots:0'] : (host.DnsOptions ?? []),
    };
  }

  /** Attaches a created container (process `pid`) to its bridge networks, then writes its address into /etc/hosts. */
  async attach(c: Container, pid: number, hostname: string): Promise<void> {
    const mode = modeOf(c.record.HostConfig);
    if (mode === 'host' || mode.startsWith('container:')) return;
    const state = this.#state(c);
    if (!this.networks.needsAttach(state.Networks)) return;
    state.Ports = await this.networks.attach(c.id, pid, state.Networks, requested(c));
    const address = Object.values(state.Networks).find((ep) => ep.IPAddress)?.IPAddress;
    // In place, not renamed: the container's bind mount holds this inode.
    await writeFile(join(c.dataDir, 'hosts'), hostsFile(hostname, this.identity(c).hostsEntries, address));
  }

  /** Releases a stopped container's endpoints and host ports; a namespace still shared with others is cleaned too. */
  async detach(c: Container): Promise<void> {
    const state = c.record.NetworkSettings;
    if (!state || !this.networks.needsAttach(state.Networks)) return;
    const sharer = [...this.#all()].find((o) => o.running && o.id !== c.id && o.record.HostConfig.NetworkMode === `container:${c.id}`);
    await this.networks.detach(c.id, sharer ? `/proc/${sharer.record.State.Pid}/ns/net` : '', state.Networks, state.Ports, requested(c)).catch((err: Error) => {
      console.error(`berthd: releasing the network of ${c.id.slice(0, 12)}: ${err.message}`);
    });
    state.Ports = [];
  }

  /** `network connect`: recorded for a stopped container, attached at once to a running one. */
  async connect(c: Container, net: NetworkRecord, cfg: Partial<EndpointSettings>): Promise<void> {
    const mode = modeOf(c.record.HostConfig);
    if (mode === 'host' || mode === 'none' || mode.startsWith('container:')) {
      throw new ApiError(400, `container ${c.id} cannot be connected to network ${net.Name}: its network mode is ${mode}`);
    }
    if (net.Driver !== 'bridge') throw new ApiError(400, `container cannot be disconnected from host network or connected to host network`);
    const state = this.#state(c);
    if (Object.values(state.Networks).some((ep) => ep.NetworkID === net.Id)) {
      throw new ApiError(403, `endpoint with name ${c.name} already exists in network ${net.Name}`);
    }
    const ep = this.networks.newEndpoint(net, cfg);
    const hadDns = this.networks.nameserverFor(state.Networks);
    if (c.running) await this.networks.connect(c.id, c.record.State.Pid, net, ep, state.Networks);
    state.Networks[net.Name] = ep;
    // Joining its first user-defined network, a running container starts using that network's DNS, as on docker.
    if (c.running && !hadDns && c.record.HostConfig.NetworkMode !== 'host') {
      const id = this.identity(c);
      await writeFile(join(c.dataDir, 'resolv.conf'), await resolvConf(false, id.dns, id.dnsSearch, id.dnsOptions));
    }
  }

  /** `network disconnect`. */
  async disconnect(c: Container, net: NetworkRecord): Promise<void> {
    const state = this.#state(c);
    const entry = Object.entries(state.Networks).find(([, ep]) => ep.NetworkID === net.Id);
    if (!entry) throw notFound(`container ${c.id} is not connected to network ${net.Name}`);
    if (net.Driver !== 'bridge') throw badRequest('container cannot be disconnected from host network or connected to host network');
    if (c.running && entry[1].EndpointID) await this.networks.disconnect(c.id, c.record.State.Pid, net, entry[1], state.Ports);
    delete state.Networks[entry[0]];
  }
}
