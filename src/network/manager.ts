// Networks: the persisted records, the predefined bridge/host/none, and the
// attachment of containers to bridge networks through CNI (veth, bridge,
// host-local IPAM, portmap), the host ports held for them, berthd's own
// iptables chains and a DNS server per user-defined network. The engine
// owns the containers; it hands this manager their endpoints to fill in.
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runProcess } from '../util/spawn.ts';
import { Cni, CniError } from './cni.ts';
import { DnsServer } from './dns-server.ts';
import { applyFirewall } from './firewall.ts';
import { allocateSubnet, formatCidr, isIp, parseCidr, parseProcRoutes, type Pool } from './ipnet.ts';
import { BRIDGE_NAME_OPT, bridgeOf, checkStaticIp, cniConfList, ipamDirOf, ipamFor, NetworkConfigError, planNetwork, subnetOf, type CreateNetworkRequest } from './network-config.ts';
import { PortReservations, type BoundPort, type PortMapping } from './ports.ts';
import { DEFAULT_BRIDGE, emptyEndpoint, type EndpointSettings, type Member, type NetworkRecord } from './types.ts';
import { ensureDir, readJson, sweepTemps, writeJsonAtomic } from '../util/fs-atomic.ts';
import { ApiError, badRequest, notFound } from '../util/errors.ts';
import { randomId } from '../util/ids.ts';

export interface NetworkManagerOptions {
  dataRoot: string;
  /** The default network's bridge interface; also names berthd's iptables chains. */
  bridge: string;
  /** The default bridge's address and prefix (`--bip`), e.g. 172.17.0.1/16. */
  bip?: string;
  pools: Pool[];
  /** Where the DNS servers forward names that are not containers'. */
  upstreams: string[];
  /** The daemon's --dns: containers' name servers unless they name their own. */
  containerDns: string[];
  pluginDir: string;
  members: () => Iterable<Member>;
  emit: (action: string, net: NetworkRecord, attrs?: Record<string, string>) => void;
}

const PREDEFINED = new Set(['bridge', 'host', 'none']);

function apiError(err: unknown): unknown {
  return err instanceof NetworkConfigError ? new ApiError(err.status, err.message) : err;
}

export class NetworkManager {
  readonly opts: NetworkManagerOptions;
  readonly cni: Cni;
  readonly ports = new PortReservations();
  #networks = new Map<string, NetworkRecord>();
  #dns = new Map<string, DnsServer>();
  #firewall: Promise<void> = Promise.resolve();

  constructor(opts: NetworkManagerOptions) {
    this.opts = opts;
    this.cni = new Cni(opts.pluginDir);
  }

  get #dir(): string {
    return join(this.opts.dataRoot, 'network', 'networks');
  }
  get #ipamDir(): string {
    return ipamDirOf(this.opts.dataRoot);
  }

  // ---- start-up and shutdown ------------------------------------------

  async init(): Promise<void> {
    await ensureDir(this.#dir);
    await ensureDir(this.#ipamDir);
    await sweepTemps(this.#dir);
    for (const f of await readdir(this.#dir)) {
      if (!f.endsWith('.json')) continue;
      const net = await readJson<NetworkRecord>(join(this.#dir, f)).catch(() => undefined);
      if (net) this.#networks.set(net.Id, net);
    }
    for (const [name, driver] of [['host', 'host'], ['none', 'null']] as const) {
      if (!this.find(name)) await this.#save(predefined(name, driver));
    }
    await this.#ensureDefaultBridge();
  }

  async #ensureDefaultBridge(): Promise<void> {
    const existing = this.find(DEFAULT_BRIDGE);
    let ipam = existing?.IPAM.Config[0];
    if (this.opts.bip) {
      const cidr = parseCidr(this.opts.bip);
      ipam = ipamFor({ base: cidr.base, bits: cidr.bits }, this.opts.bip.split('/')[0]);
    } else if (!ipam) {
      const others = [...this.#networks.values()].flatMap((n) => (subnetOf(n) ? [subnetOf(n)!] : []));
      const subnet = allocateSubnet(this.opts.pools, [...others, ...(await hostRoutes())]);
      if (!subnet) throw new Error('could not find an available address pool for the default bridge; set --bip');
      ipam = ipamFor(subnet);
    }
    const net = existing ?? { ...predefined(DEFAULT_BRIDGE, 'bridge'), IPAM: { Driver: 'default', Options: null, Config: [] } };
    const updated: NetworkRecord = {
      ...net,
      IPAM: { ...net.IPAM, Config: [ipam] },
      Options: {
        'com.docker.network.bridge.default_bridge': 'true',
        'com.docker.network.bridge.enable_icc': 'true',
        'com.docker.network.bridge.enable_ip_masquerade': 'true',
        'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
        [BRIDGE_NAME_OPT]: this.opts.bridge,
        'com.docker.network.driver.mtu': '1500',
      },
    };
    if (JSON.stringify(updated) !== JSON.stringify(existing)) await this.#save(updated);
  }

  /**
   * Brings the host in line with the records after a restart or a crash:
   * the firewall chains, the host ports and DNS servers of running
   * containers, and no IPAM lease held by a container that is not running.
   */
  async reconcile(): Promise<void> {
    await this.#applyFirewall();
    const running = [...this.opts.members()].filter((m) => m.running);
    for (const m of running) {
      for (const [name, ep] of Object.entries(m.networks)) {
        const net = this.find(name);
        if (net && ep.IPAddress) await this.#ensureDns(net).catch(() => {});
      }
    }
    const live = new Set(running.map((m) => m.id));
    for (const netId of await readdir(this.#ipamDir).catch(() => [] as string[])) {
      const dir = join(this.#ipamDir, netId);
      if (!this.#networks.has(netId)) {
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      for (const f of await readdir(dir).catch(() => [] as string[])) {
        if (!isIp(f)) continue;
        const owner = (await readFile(join(dir, f), 'utf8').catch(() => '')).split(/\s/)[0] ?? '';
        if (!live.has(owner)) await rm(join(dir, f), { force: true });
      }
    }
  }

  /** Re-holds the host ports of a container found running at start-up. */
  async reserveRunning(id: string, ports: BoundPort[]): Promise<void> {
    await this.ports.reserve(id, ports.map((p) => ({ containerPort: p.containerPort, protocol: p.protocol, hostIp: p.hostIp, hostPort: p.hostPort, hostPortEnd: p.hostPort })));
  }

  async shutdown(): Promise<void> {
    this.ports.releaseAll();
    await Promise.all([...this.#dns.values()].map((d) => d.close()));
    this.#dns.clear();
  }

  // ---- records ---------------------------------------------------------

  list(): NetworkRecord[] {
    return [...this.#networks.values()];
  }

  /** docker's lookup order: full ID, exact name, unique ID prefix. */
  find(ref: string): NetworkRecord | undefined {
    const direct = this.#networks.get(ref);
    if (direct) return direct;
    const nets = [...this.#networks.values()];
    const byName = nets.find((n) => n.Name === ref);
    if (byName) return byName;
    if (!/^[a-f0-9]+$/.test(ref)) return undefined;
    const matches = nets.filter((n) => n.Id.startsWith(ref));
    if (matches.length > 1) throw badRequest(`network ${ref} is ambiguous (${matches.length} matches found based on ID prefix)`);
    return matches[0];
  }

  get(ref: string): NetworkRecord {
    const net = this.find(ref);
    if (!net) throw notFound(`network ${ref} not found`);
    return net;
  }

  isUserDefined(net: NetworkRecord): boolean {
    return !PREDEFINED.has(net.Name);
  }

  async #save(net: NetworkRecord): Promise<void> {
    await writeJsonAtomic(join(this.#dir, `${net.Id}.json`), net);
    this.#networks.set(net.Id, net);
  }

  async create(req: CreateNetworkRequest): Promise<{ Id: string; Warning: string }> {
    if (!req || typeof req !== 'object') throw badRequest('network create: a JSON object is required');
    let net: NetworkRecord;
    try {
      net = planNetwork(req, randomId(), this.list(), this.opts.pools, await hostRoutes(), new Date().toISOString());
    } catch (err) {
      throw apiError(err);
    }
    await this.#save(net);
    await this.#applyFirewall();
    this.opts.emit('create', net, { type: 'bridge' });
    return { Id: net.Id, Warning: '' };
  }

  #activeOn(net: NetworkRecord): Member[] {
    return [...this.opts.members()].filter((m) => m.running && Object.values(m.networks).some((ep) => ep.NetworkID === net.Id && ep.EndpointID));
  }

  async remove(ref: string): Promise<void> {
    const net = this.get(ref);
    if (!this.isUserDefined(net)) throw new ApiError(403, `${net.Name} is a pre-defined network and cannot be removed`);
    if (this.#activeOn(net).length) throw new ApiError(403, `error while removing network: network ${net.Name} id ${net.Id} has active endpoints`);
    await this.#destroy(net);
  }

  async #destroy(net: NetworkRecord): Promise<void> {
    this.#networks.delete(net.Id);
    await rm(join(this.#dir, `${net.Id}.json`), { force: true });
    await this.#dns.get(net.Id)?.close();
    this.#dns.delete(net.Id);
    await deleteLink(bridgeOf(net));
    await rm(join(this.#ipamDir, net.Id), { recursive: true, force: true });
    await this.#applyFirewall();
    this.opts.emit('destroy', net, { type: 'bridge' });
  }

  async prune(keep: (net: NetworkRecord) => boolean): Promise<string[]> {
    const gone: string[] = [];
    for (const net of this.list()) {
      if (!this.isUserDefined(net) || !keep(net) || this.#activeOn(net).length) continue;
      await this.#destroy(net);
      gone.push(net.Name);
    }
    return gone;
  }

  /** GET /networks/{id}: the record with the containers attached to it now. */
  inspect(net: NetworkRecord): Record<string, unknown> {
    const containers: Record<string, unknown> = {};
    for (const m of this.#activeOn(net)) {
      const ep = Object.values(m.networks).find((e) => e.NetworkID === net.Id)!;
      containers[m.id] = { Name: m.name, EndpointID: ep.EndpointID, MacAddress: ep.MacAddress, IPv4Address: `${ep.IPAddress}/${ep.IPPrefixLen}`, IPv6Address: '' };
    }
    const { Options, Labels, ...rest } = net;
    // docker's field order, for clients that print the JSON as it comes.
    return { ...rest, Containers: containers, Options, Labels };
  }

  // ---- containers ------------------------------------------------------

  /**
   * The endpoints a new container gets from its NetworkMode and
   * NetworkingConfig, checked the way docker checks them at create.
   */
  endpointsForCreate(mode: string, endpointsConfig: Record<string, Partial<EndpointSettings>> | undefined, mac: string | undefined): Record<string, EndpointSettings> {
    if (mode.startsWith('container:')) return {};
    const name = mode === 'default' ? DEFAULT_BRIDGE : mode;
    const net = this.get(name);
    const configs = Object.entries(endpointsConfig ?? {});
    if (configs.length > 1) throw badRequest('Container cannot be connected to network endpoints: only one network can be given at create; use network connect for more');
    // The docker CLI keys the default network's settings as "default".
    const cfg = configs.find(([k]) => (k === 'default' ? DEFAULT_BRIDGE : k) === name || k === net.Id || this.find(k)?.Id === net.Id)?.[1] ?? {};
    return { [net.Name]: this.#endpoint(net, cfg, mac) };
  }

  #endpoint(net: NetworkRecord, cfg: Partial<EndpointSettings>, mac: string | undefined): EndpointSettings {
    const ep = emptyEndpoint(net.Id);
    const aliases = cfg.Aliases?.filter(Boolean) ?? [];
    const ip = cfg.IPAMConfig?.IPv4Address;
    if (net.Driver === 'bridge') {
      if (aliases.length && !this.isUserDefined(net)) throw badRequest('network-scoped aliases are only supported for user-defined networks');
      if (ip) {
        try {
          checkStaticIp(net, ip);
        } catch (err) {
          throw apiError(err);
        }
      }
    } else if (aliases.length || ip) {
      throw badRequest(`network-scoped aliases and static addresses are not supported on the ${net.Name} network`);
    }
    const requested = cfg.MacAddress || mac;
    if (requested && !/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(requested)) throw badRequest(`invalid MAC address: ${requested}`);
    ep.IPAMConfig = cfg.IPAMConfig && (cfg.IPAMConfig.IPv4Address || cfg.IPAMConfig.IPv6Address) ? { ...cfg.IPAMConfig } : null;
    ep.Aliases = aliases.length ? aliases : null;
    ep.DriverOpts = cfg.DriverOpts ?? null;
    if (requested) ep.RequestedMac = requested.toLowerCase();
    return ep;
  }

  /** The name server a container on these networks uses: the first user-defined network's DNS. */
  nameserverFor(networks: Record<string, EndpointSettings>): string | undefined {
    for (const ep of Object.values(networks)) {
      const net = this.#networks.get(ep.NetworkID);
      if (net && net.Driver === 'bridge' && this.isUserDefined(net)) return net.IPAM.Config[0]!.Gateway;
    }
    return undefined;
  }

  /** Whether a container's endpoints are attached through CNI (bridge networks). */
  needsAttach(networks: Record<string, EndpointSettings>): boolean {
    return Object.values(networks).some((ep) => this.#networks.get(ep.NetworkID)?.Driver === 'bridge');
  }

  #netOf(name: string, ep: EndpointSettings): NetworkRecord {
    const net = this.#networks.get(ep.NetworkID) ?? this.find(name);
    if (!net) throw notFound(`network ${name} not found`);
    ep.NetworkID = net.Id;
    return net;
  }

  /**
   * Attaches a created (not yet started) container, whose namespace is
   * /proc/<pid>/ns/net, to its bridge networks: host ports first (so a
   * clash fails before anything changes), then one CNI ADD per network.
   * All or nothing: on failure what was attached is detached again.
   */
  async attach(id: string, pid: number, networks: Record<string, EndpointSettings>, mappings: PortMapping[]): Promise<BoundPort[]> {
    const bridged = Object.entries(networks).filter(([name, ep]) => this.#netOf(name, ep).Driver === 'bridge');
    // Published ports only mean something on a bridge; docker discards them on host and none.
    if (!bridged.length) return [];
    let ports: BoundPort[] = [];
    try {
      ports = await this.ports.reserve(id, mappings);
    } catch (err) {
      throw new ApiError(500, `driver failed programming external connectivity on endpoint ${id.slice(0, 12)}: ${(err as Error).message}`);
    }
    try {
      let n = 0;
      for (const [name, ep] of bridged) await this.#attachOne(id, `/proc/${pid}/ns/net`, this.#netOf(name, ep), ep, `eth${n++}`, n === 1 ? ports : []);
    } catch (err) {
      await this.detach(id, '', networks, ports).catch(() => {});
      throw err;
    }
    return ports;
  }

  async #attachOne(id: string, netns: string, net: NetworkRecord, ep: EndpointSettings, ifname: string, ports: BoundPort[]): Promise<void> {
    const list = cniConfList(net, { ipamDir: this.#ipamDir, staticIp: ep.IPAMConfig?.IPv4Address, mac: ep.RequestedMac, ports });
    let result;
    try {
      result = await this.cni.add(list, { containerId: id, netns, ifname });
    } catch (err) {
      await this.cni.del(list, { containerId: id, netns, ifname }).catch(() => {});
      const msg = (err as Error).message;
      if (err instanceof CniError && /not available|already allocated|already reserved/i.test(msg)) {
        throw new ApiError(400, `Address already in use: ${ep.IPAMConfig?.IPv4Address ?? msg}`);
      }
      throw new ApiError(500, `failed to set up container networking on ${net.Name}: ${msg}`);
    }
    const ip = result.ips?.find((i) => !i.address.includes(':'));
    if (!ip) throw new ApiError(500, `network ${net.Name}: CNI returned no IPv4 address`);
    const iface = result.interfaces?.[ip.interface ?? -1] ?? result.interfaces?.find((i) => i.sandbox);
    const [address = '', prefix = '0'] = ip.address.split('/');
    Object.assign(ep, {
      EndpointID: randomId(),
      IPAddress: address,
      IPPrefixLen: Number(prefix),
      Gateway: net.Internal ? '' : (ip.gateway ?? ''),
      MacAddress: iface?.mac ?? '',
      IfName: ifname,
    });
    if (this.isUserDefined(net)) await this.#ensureDns(net).catch((err) => console.error(`berthd: DNS server for ${net.Name}: ${(err as Error).message}`));
  }

  /**
   * Releases what attach took: CNI DEL for every bridge network (which also
   * frees the address when the namespace is already gone), then the host
   * ports. `netns` is empty when nothing holds the namespace any more.
   */
  async detach(id: string, netns: string, networks: Record<string, EndpointSettings>, ports: BoundPort[], requested: PortMapping[] = []): Promise<void> {
    let n = 0;
    let first: Error | undefined;
    for (const [name, ep] of Object.entries(networks)) {
      const net = this.#networks.get(ep.NetworkID) ?? this.find(name);
      if (net?.Driver !== 'bridge') continue;
      const ifname = ep.IfName ?? `eth${n}`;
      // portmap deletes by container and network; any non-empty list tells it to look.
      const known = n++ === 0 ? (ports.length ? ports : requested.map((m) => ({ ...m, hostPort: m.hostPort || 1 }))) : [];
      const list = cniConfList(net, { ipamDir: this.#ipamDir, ports: known });
      await this.cni.del(list, { containerId: id, netns, ifname }).catch((err: Error) => (first ??= err));
      clearEndpoint(ep);
    }
    this.ports.release(id);
    if (first) throw first;
  }

  /** Connects a running container to one more network (`network connect`). */
  async connect(id: string, pid: number, net: NetworkRecord, ep: EndpointSettings, networks: Record<string, EndpointSettings>): Promise<void> {
    const used = new Set(Object.values(networks).map((e) => e.IfName));
    let i = 0;
    while (used.has(`eth${i}`)) i++;
    await this.#attachOne(id, `/proc/${pid}/ns/net`, net, ep, `eth${i}`, []);
  }

  /** Disconnects a running container from one network. */
  async disconnect(id: string, pid: number, net: NetworkRecord, ep: EndpointSettings, ports: BoundPort[]): Promise<void> {
    // The ports, in case this network carries them: portmap then removes its rules too.
    const list = cniConfList(net, { ipamDir: this.#ipamDir, ports });
    await this.cni.del(list, { containerId: id, netns: pid ? `/proc/${pid}/ns/net` : '', ifname: ep.IfName ?? 'eth0' });
    clearEndpoint(ep);
  }

  newEndpoint(net: NetworkRecord, cfg: Partial<EndpointSettings>): EndpointSettings {
    return this.#endpoint(net, cfg, undefined);
  }

  // ---- DNS and firewall ------------------------------------------------

  async #ensureDns(net: NetworkRecord): Promise<void> {
    if (this.#dns.has(net.Id)) return;
    const server = new DnsServer({
      address: net.IPAM.Config[0]!.Gateway,
      records: { lookup: (name) => this.#lookup(net, name), reverse: (ip) => this.#reverse(net, ip) },
      upstreams: this.opts.upstreams.map((host) => ({ host, port: 53 })),
      forward: !net.Internal,
    });
    this.#dns.set(net.Id, server);
    try {
      await server.listen();
    } catch (err) {
      this.#dns.delete(net.Id);
      throw err;
    }
  }

  #attachedTo(net: NetworkRecord): Array<{ m: Member; ep: EndpointSettings }> {
    const out: Array<{ m: Member; ep: EndpointSettings }> = [];
    for (const m of this.opts.members()) {
      if (!m.running) continue;
      const ep = Object.values(m.networks).find((e) => e.NetworkID === net.Id && e.IPAddress);
      if (ep) out.push({ m, ep });
    }
    return out;
  }

  /** Container names, hostnames, aliases and short IDs, bare or qualified by the network's name. */
  #lookup(net: NetworkRecord, name: string): string[] | undefined {
    const suffix = `.${net.Name.toLowerCase()}`;
    const bare = name.endsWith(suffix) ? name.slice(0, -suffix.length) : name;
    const ips = this.#attachedTo(net)
      .filter(({ m, ep }) => [m.name, m.hostname, m.id.slice(0, 12), ...(ep.Aliases ?? [])].some((n) => n.toLowerCase() === bare))
      .map(({ ep }) => ep.IPAddress);
    return ips.length ? ips : undefined;
  }

  #reverse(net: NetworkRecord, ip: string): string | undefined {
    const hit = this.#attachedTo(net).find(({ ep }) => ep.IPAddress === ip);
    return hit ? `${hit.m.name}.${net.Name}` : undefined;
  }

  #applyFirewall(): Promise<void> {
    // Serialized: two restores racing could leave the older list's rules.
    const next = this.#firewall.then(() =>
      applyFirewall(this.opts.bridge, this.list().filter((n) => n.Driver === 'bridge').map((n) => ({ bridge: bridgeOf(n), subnet: formatCidr(subnetOf(n)!), internal: n.Internal }))),
    );
    this.#firewall = next.catch(() => {});
    return next;
  }
}

function clearEndpoint(ep: EndpointSettings): void {
  Object.assign(ep, { EndpointID: '', IPAddress: '', IPPrefixLen: 0, Gateway: '', MacAddress: '' });
  delete ep.IfName;
}

function predefined(name: string, driver: NetworkRecord['Driver']): NetworkRecord {
  return {
    Name: name, Id: randomId(), Created: new Date().toISOString(), Scope: 'local', Driver: driver, EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: [] }, Internal: false, Attachable: false, Ingress: false,
    ConfigFrom: { Network: '' }, ConfigOnly: false, Options: {}, Labels: {},
  };
}

async function hostRoutes() {
  return parseProcRoutes(await readFile('/proc/net/route', 'utf8').catch(() => ''));
}

async function deleteLink(name: string): Promise<void> {
  await runProcess('ip', ['link', 'del', name]).catch(() => {});
}
