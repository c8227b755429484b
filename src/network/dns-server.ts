// The embedded DNS server of a user-defined bridge network (Docker's embedded
// DNS, podman's aardvark-dns): it listens on the gateway IP, answers for the
// network's members and forwards every other name to the host's resolvers.
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, isIPv6, type Server, type Socket } from 'node:net';
import {
  AUTHORITATIVE_ANSWER, CHECKING_DISABLED, RECURSION_AVAILABLE, RECURSION_DESIRED, TRUNCATED_RESPONSE,
  decode, encode, type Answer, type DecodedPacket, type Question,
} from 'dns-packet';

export interface DnsRecords {
  /** IPv4 addresses for a name (already lower-cased, without trailing dot), or undefined when the name is not a member of the network. */
  lookup(name: string): string[] | undefined;
  /** reverse: PTR for an IPv4 address of a member, e.g. '172.18.0.2' -> 'web' (name without trailing dot); undefined if not a member. */
  reverse?(ip: string): string | undefined;
}

export interface DnsServerOptions {
  /** IP to bind (the gateway IP). */
  address: string;
  /** Default 53; 0 picks a free port shared by UDP and TCP. */
  port?: number;
  records: DnsRecords;
  /** Where non-member names are forwarded; may be empty. */
  upstreams: Array<{ host: string; port: number }>;
  /** False on --internal networks: never forward. */
  forward: boolean;
  /** Per-upstream timeout, default 2000. */
  timeoutMs?: number;
}

type Transport = 'udp' | 'tcp';

const TTL = 600; // Docker's
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const OPCODE_MASK = 0x7800;
// Without EDNS a UDP answer must fit in 512 bytes; a bigger one is truncated
// so the client retries over TCP.
const UDP_MAX_BYTES = 512;
const TCP_MAX_BYTES = 0xffff;
const TCP_IDLE_MS = 10_000;
// Bounds on what one client can make us hold: fds for TCP connections and
// upstream sockets, memory for pipelined TCP queries.
const MAX_TCP_CONNECTIONS = 64;
const MAX_PIPELINED = 16;
const MAX_IN_FLIGHT = 256;
const BIND_ATTEMPTS = 5;

export class DnsServer {
  #opts: DnsServerOptions;
  #timeoutMs: number;
  #port = 0;
  #listening: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #closed = false;
  #udp: UdpSocket | undefined;
  #tcp: Server | undefined;
  #conns = new Set<Socket>();
  /** One abort function per upstream query in flight. */
  #inflight = new Set<() => void>();

  constructor(opts: DnsServerOptions) {
    this.#opts = opts;
    this.#timeoutMs = opts.timeoutMs ?? 2000;
  }

  get port(): number {
    return this.#port;
  }

  listen(): Promise<void> {
    if (this.#listening || this.#closing) return Promise.reject(new Error('DNS server already started or closed'));
    this.#listening = this.#bind();
    return this.#listening;
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #bind(): Promise<void> {
    const { address, port = 53 } = this.#opts;
    for (let attempt = 1; ; attempt++) {
      const udp = createSocket(isIPv6(address) ? 'udp6' : 'udp4', (msg, from) => this.#onDatagram(udp, msg, from));
      await bindUdp(udp, port, address);
      const bound = udp.address().port;
      const tcp = createServer(socket => this.#onConnection(socket));
      try {
        await listenTcp(tcp, bound, address);
      } catch (err) {
        udp.close();
        // The free UDP port the kernel picked may be taken for TCP: pick another.
        if (port !== 0 || attempt >= BIND_ATTEMPTS || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
        continue;
      }
      // Errors after binding are per-datagram or per-connection; the server keeps serving.
      udp.on('error', () => {});
      tcp.on('error', () => {});
      this.#port = bound;
      this.#udp = udp;
      this.#tcp = tcp;
      return;
    }
  }

  async #shutdown(): Promise<void> {
    // A close() racing listen() must still find the sockets listen() opens.
    await this.#listening?.catch(() => {});
    for (const abort of this.#inflight) abort();
    for (const conn of this.#conns) conn.destroy();
    const udp = this.#udp;
    const tcp = this.#tcp;
    await Promise.all([
      udp && new Promise<void>(resolve => udp.close(() => resolve())),
      tcp && new Promise<void>(resolve => tcp.close(() => resolve())),
    ]);
  }

  #onDatagram(udp: UdpSocket, msg: Buffer, from: RemoteInfo): void {
    void this.#answer(msg, 'udp').then(answer => {
      if (answer && !this.#closed) udp.send(answer, from.port, from.address, () => {});
    });
  }

  #onConnection(socket: Socket): void {
    if (this.#closed || this.#conns.size >= MAX_TCP_CONNECTIONS) {
      socket.destroy();
      return;
    }
    this.#conns.add(socket);
    socket.on('close', () => this.#conns.delete(socket));
    socket.on('error', () => {}); // resets are routine; 'close' follows
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    const frames = new FrameReader();
    let pending = 0;
    // Stop reading while answers pile up: too many queries in flight, or a
    // client that does not read its answers.
    const flow = (): void => {
      if (pending >= MAX_PIPELINED || socket.writableNeedDrain) socket.pause();
      else socket.resume();
    };
    socket.on('drain', flow);
    socket.on('data', chunk => {
      for (const msg of frames.push(chunk)) {
        pending++;
        void this.#answer(msg, 'tcp').then(answer => {
          pending--;
          if (socket.destroyed) return;
          if (answer) socket.write(frame(answer));
          else socket.destroy();
          flow();
        });
      }
      flow();
    });
  }

  /** The answer to send back, or undefined to drop the message (malformed, or not a query). */
  async #answer(raw: Buffer, transport: Transport): Promise<Buffer | undefined> {
    try {
      return await this.#resolve(raw, transport);
    } catch {
      return undefined;
    }
  }

  async #resolve(raw: Buffer, transport: Transport): Promise<Buffer | undefined> {
    let query: DecodedPacket;
    try {
      query = decode(raw);
    } catch {
      return undefined;
    }
    // Answering answers would let two servers bounce a packet forever.
    if (query.type !== 'query') return undefined;
    if (((query.flags ?? 0) & OPCODE_MASK) !== 0) return respond(query, RCODE.NOTIMP);
    const question = query.questions?.[0];
    if (!question) return respond(query, RCODE.FORMERR);
    try {
      const answers = this.#local(question);
      if (answers) return respond(query, RCODE.NOERROR, answers, transport === 'udp' ? UDP_MAX_BYTES : TCP_MAX_BYTES);
    } catch {
      // A records table that throws, or a name it returned that cannot be encoded.
      return respond(query, RCODE.SERVFAIL);
    }
    if (!this.#opts.forward || this.#opts.upstreams.length === 0) return respond(query, RCODE.NXDOMAIN);
    return (await this.#forward(raw, query.id ?? 0, transport)) ?? respond(query, RCODE.SERVFAIL);
  }

  /** The answers for a member name (empty for a type we hold no records of), or undefined for a name that is not ours. */
  #local(question: Question): Answer[] | undefined {
    const name = question.name.toLowerCase().replace(/\.$/, '');
    const { records } = this.#opts;
    if (question.type === 'PTR') {
      const ip = reverseName(name);
      const target = ip === undefined ? undefined : records.reverse?.(ip);
      return target === undefined ? undefined : [{ type: 'PTR', name: question.name, ttl: TTL, data: target }];
    }
    const addresses = records.lookup(name);
    if (addresses === undefined) return undefined;
    if (question.type !== 'A') return [];
    // The question's own spelling: resolvers using 0x20 case randomization compare it.
    return addresses.map(data => ({ type: 'A', name: question.name, ttl: TTL, data }));
  }

  /** The first usable upstream answer, relayed byte for byte; undefined when none came. */
  async #forward(raw: Buffer, id: number, transport: Transport): Promise<Buffer | undefined> {
    for (const upstream of this.#opts.upstreams) {
      if (this.#closed || this.#inflight.size >= MAX_IN_FLIGHT) return undefined;
      const answer = transport === 'udp' ? await this.#askUdp(raw, id, upstream) : await this.#askTcp(raw, id, upstream);
      // Like Docker, a failing or refusing upstream is skipped for the next one.
      if (!answer) continue;
      const rcode = answer[3]! & 0xf;
      if (rcode !== RCODE.SERVFAIL && rcode !== RCODE.REFUSED) return answer;
    }
    return undefined;
  }

  #askUdp(raw: Buffer, id: number, upstream: { host: string; port: number }): Promise<Buffer | undefined> {
    return new Promise(resolve => {
      const sock = createSocket(isIPv6(upstream.host) ? 'udp6' : 'udp4');
      const done = (answer?: Buffer): void => {
        if (!this.#inflight.delete(done)) return;
        clearTimeout(timer);
        sock.close();
        resolve(answer);
      };
      const timer = setTimeout(() => done(), this.#timeoutMs);
      this.#inflight.add(done);
      sock.on('error', () => done());
      sock.on('message', msg => {
        if (isAnswerTo(msg, id)) done(msg);
      });
      // A connected socket only receives datagrams from the upstream, and an
      // ICMP port-unreachable fails it at once instead of waiting for the timeout.
      sock.once('connect', () => sock.send(raw));
      sock.connect(upstream.port, upstream.host);
    });
  }

  #askTcp(raw: Buffer, id: number, upstream: { host: string; port: number }): Promise<Buffer | undefined> {
    return new Promise(resolve => {
      const sock = connect({ host: upstream.host, port: upstream.port });
      const frames = new FrameReader();
      const done = (answer?: Buffer): void => {
        if (!this.#inflight.delete(done)) return;
        clearTimeout(timer);
        sock.destroy();
        resolve(answer);
      };
      const timer = setTimeout(() => done(), this.#timeoutMs);
      this.#inflight.add(done);
      sock.on('error', () => done());
      sock.on('close', () => done());
      sock.on('data', chunk => {
        for (const msg of frames.push(chunk)) if (isAnswerTo(msg, id)) done(msg);
      });
      sock.write(frame(raw));
    });
  }
}

/** A reply of our own; `answers` is given for member names, which we are the authority on. */
function respond(query: DecodedPacket, rcode: number, answers?: Answer[], maxBytes = TCP_MAX_BYTES): Buffer {
  const authoritative = answers ? AUTHORITATIVE_ANSWER : 0;
  const echoed = (query.flags ?? 0) & (OPCODE_MASK | RECURSION_DESIRED | CHECKING_DISABLED);
  const flags = echoed | RECURSION_AVAILABLE | authoritative | rcode;
  const packet = { type: 'response' as const, id: query.id, flags, questions: query.questions, answers: answers ?? [] };
  const out = encode(packet);
  return out.length <= maxBytes ? out : encode({ ...packet, flags: flags | TRUNCATED_RESPONSE, answers: [] });
}

/** '2.0.18.172.in-addr.arpa' -> '172.18.0.2'; undefined for anything else. */
function reverseName(name: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(name);
  if (!m) return undefined;
  const octets = m.slice(1).reverse();
  return octets.every(o => Number(o) <= 255 && String(Number(o)) === o) ? octets.join('.') : undefined;
}

function isAnswerTo(msg: Buffer, id: number): boolean {
  return msg.length >= 12 && msg.readUInt16BE(0) === id && (msg[2]! & 0x80) !== 0;
}

/** A message with the 2-byte length prefix DNS uses over TCP (RFC 1035 4.2.2). */
function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

/** Splits a TCP byte stream into the length-prefixed messages in it. */
class FrameReader {
  #buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.#buf = this.#buf.length > 0 ? Buffer.concat([this.#buf, chunk]) : chunk;
    const out: Buffer[] = [];
    while (this.#buf.length >= 2) {
      const end = 2 + this.#buf.readUInt16BE(0);
      if (this.#buf.length < end) break;
      out.push(this.#buf.subarray(2, end));
      this.#buf = this.#buf.subarray(end);
    }
    return out;
  }
}

function bindUdp(sock: UdpSocket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      sock.close();
      reject(err);
    };
    sock.once('error', onError);
    sock.bind(port, address, () => {
      sock.off('error', onError);
      resolve();
    });
  });
}

function listenTcp(server: Server, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: address }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
