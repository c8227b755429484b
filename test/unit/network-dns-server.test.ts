// The embedded DNS server of bridge networks, over real sockets on 127.0.0.1
// (upstreams are fake servers started here; nothing leaves the machine).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { once } from 'node:events';
import {
  AUTHORITATIVE_ANSWER, RECURSION_AVAILABLE, RECURSION_DESIRED, TRUNCATED_RESPONSE,
  decode, encode, type DecodedPacket, type Question, type StringAnswer,
} from 'dns-packet';
import { DnsServer, type DnsRecords, type DnsServerOptions } from '../../src/network/dns-server.ts';

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

const members = new Map<string, string[]>([
  ['web', ['172.18.0.2']],
  ['web.mynet', ['172.18.0.2']],
  ['db', ['172.18.0.3', '172.18.0.4']],
  ['big', Array.from({ length: 100 }, (_, i) => `172.18.1.${i + 1}`)],
]);
const reverse = new Map([['172.18.0.2', 'web'], ['172.18.0.3', 'db']]);

/** The records table, remembering the names it was asked for. */
function table(): DnsRecords & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    lookup: name => {
      asked.push(name);
      return members.get(name);
    },
    reverse: ip => reverse.get(ip),
  };
}

async function start(t: TestContext, opts: Partial<DnsServerOptions> = {}): Promise<DnsServer> {
  const server = new DnsServer({ address: '127.0.0.1', port: 0, records: table(), upstreams: [], forward: false, ...opts });
  await server.listen();
  t.after(() => server.close());
  return server;
}

function query(questions: Question[], id = 4242): Buffer {
  return encode({ type: 'query', id, flags: RECURSION_DESIRED, questions });
}

const rcode = (p: DecodedPacket): string => RCODES[(p.flags ?? 0) & 0xf]!;
const data = (p: DecodedPacket): string[] => (p.answers ?? []).map(a => (a as StringAnswer).data);

/** Sends each message from one UDP socket and returns the first answer that comes back. */
async function udpAsk(port: number, ...messages: Buffer[]): Promise<DecodedPacket> {
  const sock = createSocket('udp4');
  try {
    for (const msg of messages) sock.send(msg, port, '127.0.0.1');
    // A guard against hanging the run, not a timing assertion.
    const [answer] = await once(sock, 'message', { signal: AbortSignal.timeout(5000) });
    return decode(answer as Buffer);
  } finally {
    sock.close();
  }
}

function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

/** Writes the messages on one TCP connection; resolves with the answers read until the server closes or all came. */
function tcpAsk(port: number, ...messages: Buffer[]): Promise<DecodedPacket[]> {
  return new Promise(resolve => {
    const sock = connect(port, '127.0.0.1');
    const answers: DecodedPacket[] = [];
    let buf = Buffer.alloc(0);
    sock.on('data', chunk => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const end = 2 + buf.readUInt16BE(0);
        answers.push(decode(buf.subarray(2, end)));
        buf = buf.subarray(end);
      }
      if (answers.length === messages.length) sock.end();
    });
    sock.on('error', () => {});
    sock.on('close', () => resolve(answers));
    sock.setTimeout(5000, () => sock.destroy());
    sock.write(Buffer.concat(messages.map(frame)));
  });
}

/** A UDP upstream on 127.0.0.1 that answers every A query with 93.184.216.34 (TTL 1234), fails, or stays silent. */
async function fakeUpstream(
  t: TestContext, behaviour: 'answer' | 'servfail' | 'silent',
): Promise<{ port: number; received: Buffer[]; arrived: Promise<unknown>; close(): void }> {
  const received: Buffer[] = [];
  const sock = createSocket('udp4', (msg, from) => {
    received.push(msg);
    if (behaviour === 'silent') return;
    const q = decode(msg);
    const answers: StringAnswer[] = behaviour === 'answer'
      ? [{ type: 'A', name: q.questions![0]!.name, ttl: 1234, data: '93.184.216.34' }]
      : [];
    const flags = RECURSION_AVAILABLE | (behaviour === 'servfail' ? 2 : 0);
    sock.send(encode({ type: 'response', id: q.id, flags, questions: q.questions, answers }), from.port, from.address);
  });
  sock.bind(0, '127.0.0.1');
  await once(sock, 'listening');
  let closed = false;
  const close = (): void => {
    if (!closed) sock.close();
    closed = true;
  };
  t.after(close);
  return { port: sock.address().port, received, arrived: once(sock, 'message'), close };
}

test('A for a member: its addresses, id and question echoed, RA and AA set, TTL 600', async t => {
  const server = await start(t);
  const answer = await udpAsk(server.port, query([{ type: 'A', name: 'web' }], 777));
  assert.equal(answer.id, 777);
  assert.equal(answer.type, 'response');
  assert.equal(rcode(answer), 'NOERROR');
  assert.deepEqual(answer.questions, [{ type: 'A', name: 'web', class: 'IN' }]);
  assert.ok(answer.flag_ra && answer.flag_aa && answer.flag_rd);
  assert.deepEqual(data(answer), ['172.18.0.2']);
  assert.equal(answer.answers![0]!.type === 'A' && answer.answers![0]!.ttl, 600);

  const db = await udpAsk(server.port, query([{ type: 'A', name: 'db' }]));
  assert.deepEqual(data(db), ['172.18.0.3', '172.18.0.4']);
});

test('names match case-insensitively, with or without the trailing dot, and answers keep the asked spelling', async t => {
  const records = table();
  const server = await start(t, { records });
  const answer = await udpAsk(server.port, query([{ type: 'A', name: 'WeB.MyNet.' }]));
  assert.deepEqual(data(answer), ['172.18.0.2']);
  assert.equal(answer.answers![0]!.name, 'WeB.MyNet');
  assert.deepEqual(records.asked, ['web.mynet']);
});

test('AAAA (or any other type) for a member: NOERROR with no answers', async t => {
  const server = await start(t);
  for (const type of ['AAAA', 'MX'] as const) {
    const answer = await udpAsk(server.port, query([{ type, name: 'web' }]));
    assert.equal(rcode(answer), 'NOERROR', type);
    assert.deepEqual(answer.answers, [], type);
  }
});

test('unknown names are NXDOMAIN when not forwarding or with no upstreams', async t => {
  const upstream = await fakeUpstream(t, 'answer');
  const internal = await start(t, { forward: false, upstreams: [{ host: '127.0.0.1', port: upstream.port }] });
  const noUpstreams = await start(t, { forward: true, upstreams: [] });
  for (const server of [internal, noUpstreams]) {
    const answer = await udpAsk(server.port, query([{ type: 'A', name: 'example.com' }]));
    assert.equal(rcode(answer), 'NXDOMAIN');
    assert.deepEqual(answer.answers, []);
    assert.ok(answer.flag_ra);
  }
  assert.equal(upstream.received.length, 0, 'an --internal network never forwards');
});

test('unknown names are forwarded and the upstream answer relayed unchanged', async t => {
  const upstream = await fakeUpstream(t, 'answer');
  const server = await start(t, { forward: true, upstreams: [{ host: '127.0.0.1', port: upstream.port }] });
  const sent = query([{ type: 'A', name: 'example.com' }], 31337);
  const answer = await udpAsk(server.port, sent);
  assert.equal(answer.id, 31337);
  assert.equal(rcode(answer), 'NOERROR');
  assert.deepEqual(data(answer), ['93.184.216.34']);
  assert.equal(answer.answers![0]!.type === 'A' && answer.answers![0]!.ttl, 1234);
  assert.deepEqual(upstream.received, [sent], 'the query goes upstream byte for byte');
});

test('upstreams are tried in order: a closed, silent or failing one is skipped', async t => {
  const closed = await fakeUpstream(t, 'silent');
  closed.close();
  const silent = await fakeUpstream(t, 'silent');
  const failing = await fakeUpstream(t, 'servfail');
  const good = await fakeUpstream(t, 'answer');
  const server = await start(t, {
    forward: true,
    timeoutMs: 200,
    upstreams: [closed, silent, failing, good].map(u => ({ host: '127.0.0.1', port: u.port })),
  });
  const answer = await udpAsk(server.port, query([{ type: 'A', name: 'example.com' }]));
  assert.deepEqual(data(answer), ['93.184.216.34']);
  assert.equal(silent.received.length, 1);
  assert.equal(failing.received.length, 1);
});

test('SERVFAIL when no upstream answers', async t => {
  const silent = await fakeUpstream(t, 'silent');
  const server = await start(t, { forward: true, timeoutMs: 200, upstreams: [{ host: '127.0.0.1', port: silent.port }] });
  const answer = await udpAsk(server.port, query([{ type: 'A', name: 'example.com' }], 99));
  assert.equal(answer.id, 99);
  assert.equal(rcode(answer), 'SERVFAIL');
  assert.deepEqual(answer.questions, [{ type: 'A', name: 'example.com', class: 'IN' }]);
});

test('PTR for a member IP names the member; other addresses are not ours', async t => {
  const server = await start(t);
  const answer = await udpAsk(server.port, query([{ type: 'PTR', name: '2.0.18.172.in-addr.arpa' }]));
  assert.equal(rcode(answer), 'NOERROR');
  assert.deepEqual(answer.answers?.map(a => [a.type, a.name, (a as StringAnswer).data]), [['PTR', '2.0.18.172.in-addr.arpa', 'web']]);
  const other = await udpAsk(server.port, query([{ type: 'PTR', name: '9.0.18.172.in-addr.arpa' }]));
  assert.equal(rcode(other), 'NXDOMAIN');
});

test('TCP: several length-prefixed queries on one connection', async t => {
  const server = await start(t);
  const answers = await tcpAsk(server.port, query([{ type: 'A', name: 'web' }], 1), query([{ type: 'A', name: 'db' }], 2));
  assert.deepEqual(answers.map(a => a.id).sort(), [1, 2]);
  assert.deepEqual(data(answers.find(a => a.id === 1)!), ['172.18.0.2']);
  assert.deepEqual(data(answers.find(a => a.id === 2)!), ['172.18.0.3', '172.18.0.4']);
});

test('TCP clients are forwarded over TCP (here to another DnsServer)', async t => {
  const upstream = await start(t, { records: { lookup: name => (name === 'example.com' ? ['93.184.216.34'] : undefined) } });
  const server = await start(t, { forward: true, upstreams: [{ host: '127.0.0.1', port: upstream.port }] });
  const [answer] = await tcpAsk(server.port, query([{ type: 'A', name: 'example.com' }], 5));
  assert.equal(answer?.id, 5);
  assert.deepEqual(data(answer!), ['93.184.216.34']);
  assert.ok(answer!.flag_aa, 'the upstream flags come through');
});

test('an answer too big for UDP is truncated (TC) and complete over TCP', async t => {
  const server = await start(t);
  const udp = await udpAsk(server.port, query([{ type: 'A', name: 'big' }]));
  assert.ok(((udp.flags ?? 0) & TRUNCATED_RESPONSE) !== 0);
  assert.deepEqual(udp.answers, []);
  const [tcp] = await tcpAsk(server.port, query([{ type: 'A', name: 'big' }]));
  assert.equal(data(tcp!).length, 100);
});

test('malformed packets and stray responses are ignored; the server keeps answering', async t => {
  const server = await start(t);
  const garbage = Buffer.from('this is not a DNS message');
  const stray = encode({ type: 'response', id: 1, questions: [{ type: 'A', name: 'web' }] });
  const answer = await udpAsk(server.port, garbage, Buffer.alloc(3), stray, query([{ type: 'A', name: 'web' }], 8));
  assert.equal(answer.id, 8);
  assert.deepEqual(data(answer), ['172.18.0.2']);

  assert.deepEqual(await tcpAsk(server.port, garbage), [], 'TCP: the connection is closed');
  const [after] = await tcpAsk(server.port, query([{ type: 'A', name: 'web' }], 9));
  assert.equal(after?.id, 9);
});

test('several questions: the first decides', async t => {
  const server = await start(t);
  const answer = await udpAsk(server.port, query([{ type: 'A', name: 'db' }, { type: 'A', name: 'web' }]));
  assert.deepEqual(data(answer), ['172.18.0.3', '172.18.0.4']);
  assert.equal(answer.questions?.length, 2);
});

test('a records table that throws gives SERVFAIL, not a crash', async t => {
  const server = await start(t, { records: { lookup: () => { throw new Error('boom'); } } });
  const answer = await udpAsk(server.port, query([{ type: 'A', name: 'web' }]));
  assert.equal(rcode(answer), 'SERVFAIL');
  assert.equal((answer.flags ?? 0) & AUTHORITATIVE_ANSWER, 0);
});

test('close aborts upstream queries in flight and drops open connections', async t => {
  const silent = await fakeUpstream(t, 'silent');
  const server = new DnsServer({
    address: '127.0.0.1', port: 0, records: table(), forward: true, timeoutMs: 60_000,
    upstreams: [{ host: '127.0.0.1', port: silent.port }],
  });
  await server.listen();
  const client = createSocket('udp4');
  t.after(() => client.close());
  client.send(query([{ type: 'A', name: 'example.com' }]), server.port, '127.0.0.1');
  const idle = connect(server.port, '127.0.0.1');
  idle.on('error', () => {});
  await Promise.all([silent.arrived, once(idle, 'connect')]);
  await server.close();
  await once(idle, 'close');
});

test('TCP connections beyond the cap are refused', async t => {
  const server = await start(t);
  const conns = Array.from({ length: 64 }, () => connect(server.port, '127.0.0.1'));
  t.after(() => conns.forEach(c => c.destroy()));
  await Promise.all(conns.map(c => once(c, 'connect')));
  const [answer] = await tcpAsk(server.port, query([{ type: 'A', name: 'web' }]));
  assert.equal(answer, undefined, 'the 65th connection is closed unanswered');
});

test('listen rejects with the bind error; close is idempotent', async () => {
  // 192.0.2.0/24 is reserved for documentation: no host has it.
  const server = new DnsServer({ address: '192.0.2.1', port: 0, records: table(), upstreams: [], forward: false });
  await assert.rejects(server.listen(), { code: 'EADDRNOTAVAIL' });
  await server.close();

  const ok = new DnsServer({ address: '127.0.0.1', port: 0, records: table(), upstreams: [], forward: false });
  await ok.listen();
  assert.ok(ok.port > 0);
  await Promise.all([ok.close(), ok.close()]);
  await ok.close();
});
