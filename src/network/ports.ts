// Published ports: what a container asks for (HostConfig.PortBindings,
// PublishAllPorts with the image's EXPOSE), and the host ports berthd holds
// for it. The forwarding itself is iptables DNAT (CNI portmap), which never
// binds the port; berthd binds it instead, so a port in use fails the start
// with a clear error and nothing else can take it while the container runs.
import { createServer, type Server } from 'node:net';
import { createSocket, type Socket } from 'node:dgram';
import { isIp } from './ipnet.ts';

export type Protocol = 'tcp' | 'udp' | 'sctp';

export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

export interface PortMapping {
  containerPort: number;
  protocol: Protocol;
  hostIp: string;
  /** First and last acceptable host port; 0 and 0 for any. */
  hostPort: number;
  hostPortEnd: number;
}

function portNumber(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw new Error(`invalid ${what}: ${text}`);
  return n;
}

/** Splits docker's port key `80/tcp` (protocol defaults to tcp). */
export function parsePortKey(key: string): { port: number; protocol: Protocol } {
  const [port = '', proto = 'tcp'] = key.split('/');
  const protocol = proto.toLowerCase();
  if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'sctp') throw new Error(`invalid proto: ${proto}`);
  return { port: portNumber(port, 'containerPort'), protocol };
}

/** The mappings a container's configuration asks for, in a stable order. */
export function requestedMappings(bindings: Record<string, PortBinding[] | null> | undefined, publishAll: boolean, exposed: Record<string, unknown> | undefined): PortMapping[] {
  const out: PortMapping[] = [];
  const bound = new Set<string>();
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const { port, protocol } = parsePortKey(key);
    bound.add(`${port}/${protocol}`);
    for (const b of list?.length ? list : [{}]) {
      const hostIp = b.HostIp || '0.0.0.0';
      if (!isIp(hostIp)) throw new Error(`invalid host IP ${hostIp}: only IPv4 addresses can be published`);
      let hostPort = 0;
      let hostPortEnd = 0;
      if (b.HostPort) {
        const [first = '', last] = b.HostPort.split('-');
        hostPort = portNumber(first, 'hostPort');
        hostPortEnd = last === undefined ? hostPort : portNumber(last, 'hostPort');
        if (hostPortEnd < hostPort) throw new Error(`invalid hostPort range: ${b.HostPort}`);
      }
      out.push({ containerPort: port, protocol, hostIp, hostPort, hostPortEnd });
    }
  }
  if (publishAll) {
    for (const key of Object.keys(exposed ?? {})) {
      const { port, protocol } = parsePortKey(key);
      if (!bound.has(`${port}/${protocol}`)) out.push({ containerPort: port, protocol, hostIp: '0.0.0.0', hostPort: 0, hostPortEnd: 0 });
    }
  }
  return out;
}

export interface BoundPort {
  containerPort: number;
  protocol: Protocol;
  hostIp: string;
  hostPort: number;
}

/** docker's NetworkSettings.Ports: every exposed or published port, with its host bindings or null. */
export function portsView(exposed: Record<string, unknown> | undefined, bindings: Record<string, unknown> | undefined, bound: BoundPort[]): Record<string, Array<{ HostIp: string; HostPort: string }> | null> {
  const view: Record<string, Array<{ HostIp: string; HostPort: string }> | null> = {};
  for (const key of [...Object.keys(exposed ?? {}), ...Object.keys(bindings ?? {})]) {
    const { port, protocol } = parsePortKey(key);
    view[`${port}/${protocol}`] = null;
  }
  for (const b of bound) (view[`${b.containerPort}/${b.protocol}`] ??= []).push({ HostIp: b.hostIp, HostPort: String(b.hostPort) });
  return view;
}

type Holder = Server | Socket;

function hold(protocol: Protocol, hostIp: string, port: number): Promise<{ holder: Holder; port: number }> {
  return new Promise((resolve, reject) => {
    if (protocol === 'udp') {
      const sock = createSocket('udp4');
      sock.once('error', reject);
      sock.bind({ address: hostIp, port, exclusive: true }, () => {
        sock.removeListener('error', reject);
        // Datagrams that reach it (none should: DNAT comes first) are dropped.
        sock.on('message', () => {});
        resolve({ holder: sock, port: sock.address().port });
      });
      return;
    }
    const server = createServer((conn) => conn.destroy());
    server.once('error', reject);
    server.listen({ host: hostIp, port, exclusive: true, backlog: 1 }, () => {
      server.removeListener('error', reject);
      const addr = server.address();
      resolve({ holder: server, port: typeof addr === 'object' && addr ? addr.port : port });
    });
  });
}

/** Host ports held for containers, by owner (the container ID). */
export class PortReservations {
  #held = new Map<string, Holder[]>();

  /**
   * Binds every mapping's host port (the first free one of a range, any for
   * 0) for `owner`, all or none; returns the ports chosen. SCTP cannot be
   * bound from Node, so it is checked against berthd's own reservations only.
   */
  async reserve(owner: string, mappings: PortMapping[]): Promise<BoundPort[]> {
    const holders: Holder[] = [];
    const out: BoundPort[] = [];
    try {
      for (const m of mappings) {
        const { holder, port } = await this.#bindOne(m);
        if (holder) holders.push(holder);
        out.push({ containerPort: m.containerPort, protocol: m.protocol, hostIp: m.hostIp, hostPort: port });
      }
    } catch (err) {
      for (const h of holders) h.close();
      throw err;
    }
    this.release(owner);
    this.#held.set(owner, holders);
    return out;
  }

  async #bindOne(m: PortMapping): Promise<{ holder?: Holder; port: number }> {
    if (m.protocol === 'sctp') return { port: m.hostPort || 0 };
    if (m.hostPort === 0) return hold(m.protocol, m.hostIp, 0);
    let last: Error | undefined;
    for (let p = m.hostPort; p <= m.hostPortEnd; p++) {
      try {
        return await hold(m.protocol, m.hostIp, p);
      } catch (err) {
        last = err as Error;
      }
    }
    const range = m.hostPort === m.hostPortEnd ? `${m.hostPort}` : `${m.hostPort}-${m.hostPortEnd}`;
    const code = (last as NodeJS.ErrnoException | undefined)?.code;
    throw new Error(`Bind for ${m.hostIp}:${range} failed: ${code === 'EADDRINUSE' ? 'port is already allocated' : last?.message}`);
  }

  release(owner: string): void {
    for (const h of this.#held.get(owner) ?? []) h.close();
    this.#held.delete(owner);
  }

  releaseAll(): void {
    for (const owner of [...this.#held.keys()]) this.release(owner);
  }
}
