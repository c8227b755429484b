// The bridge-networking measurements (issue 3), identical for every engine,
// all through the docker CLI: run latency on the default bridge, starting a
// fleet on a user network, and two bulk transfers into a container, one from
// the host through a port published on 127.0.0.1 and one from another
// container on the same user network, found by name.
import { createServer, connect, type AddressInfo } from 'node:net';
import type { Daemon } from './daemon.ts';
import type { EngineResult, NetKey, Plan } from './metrics.ts';
import { median, repeat } from './stats.ts';
import { sleep } from './proc.ts';
import { IMAGE, importBusybox, recorder, type Log } from './record.ts';

const NET = 'benchnet';
const SERVER = 'benchsrv';
const PORT = 5000;
// busybox nc copies stdin to the socket as well, and shuts the socket's
// sending side at stdin's EOF; a detached container's stdin is /dev/null, so
// the server would send its FIN at once and a client nc would take that for
// the end. A FIFO opened read-write is a stdin that never ends: the server
// closes only when it has read everything and seen the sender's EOF. At its
// exit the server prints its interfaces' counters, to check all bytes came.
const SINK = `mkfifo /tmp/in && nc -l -p ${PORT} <>/tmp/in >/dev/null; s=$?; cat /proc/net/dev; exit $s`;
// The sending side of container→container: zeros into busybox nc, which
// writes 1 KB at a time (its buffer), so this transfer costs the path per
// packet more than per byte. dd, not head -c: busybox head spends ~3 s of CPU
// per GB copying in small steps, CPU the two-core machine's network path needs.
const SOURCE = (bytes: number): string => `dd if=/dev/zero bs=1000000 count=${Math.ceil(bytes / 1e6)} 2>/dev/null | nc ${SERVER} ${PORT}`;
const CHUNK = Buffer.alloc(1 << 20);
const READY_TIMEOUT_MS = 20_000;

export async function measureNet(d: Daemon, plan: Plan, rootfsTar: Buffer, log: Log): Promise<EngineResult> {
  const { r, attempt } = recorder<NetKey>(log);
  const cli = d.cli;
  const rates = (key: NetKey, bytes: number, ms: number[]): void => {
    const xs = ms.map((t) => bytes / (t / 1000));
    r.samples[key] = xs.map(Math.round);
    r.metrics[key] = median(xs);
    log(`  ${key}: median ${(median(xs) / 1e6).toFixed(0)} MB/s of ${xs.length} (${ms.map((t) => `${(t / 1000).toFixed(2)} s`).join(', ')})`);
  };

  await importBusybox(cli, r, rootfsTar);

  await attempt('netRun', async () => {
    const once = async (): Promise<number> => (await cli.run(['run', '--rm', IMAGE, 'true'])).ms;
    await repeat(2, once);
    const xs = await repeat(plan.runs, once);
    r.samples.netRun = xs.map(Math.round);
    r.metrics.netRun = median(xs);
    log(`  netRun: median ${median(xs).toFixed(0)} ms of ${xs.length}`);
  });

  /** Untimed: a server's listening socket must exist before anything connects (portmap's DNAT would be refused, docker-proxy would close). */
  const waitListening = async (id: string): Promise<void> => {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const out = (await cli.run(['exec', id, 'netstat', '-ltn'], { allowFail: true })).stdout;
      if (new RegExp(`:${PORT}\\s`).test(out)) return;
      if (Date.now() > deadline) throw new Error(`the server in ${id.slice(0, 12)} did not listen on ${PORT} within ${READY_TIMEOUT_MS / 1000} s`);
      await sleep(50);
    }
  };
  /** Bytes the server's interfaces have received, while it waits. */
  const received = async (id: string): Promise<number> => rxBytes(await cli.out(['exec', id, 'cat', '/proc/net/dev']));
  /** After a transfer: the server's nc ended as it does at a clean EOF, and its interfaces got every byte. */
  const checkServer = async (id: string, rx0: number): Promise<void> => {
    const code = await cli.out(['wait', id], { timeoutMs: 30_000 });
    if (code !== '0') throw new Error(`the server's nc exited ${code}`);
    const rx = rxBytes(await cli.out(['logs', id])) - rx0;
    if (rx < plan.netBytes) throw new Error(`the server's interfaces received ${rx} bytes, fewer than the ${plan.netBytes} sent`);
  };

  await attempt('netStart', async () => {
    r.notes.networkCreateMs = Math.round((await cli.run(['network', 'create', NET])).ms);
    const fleet: string[] = [];
    try {
      const t0 = performance.now();
      for (let i = 0; i < plan.netFleet; i++) fleet.push(await cli.out(['run', '-d', '--network', NET, IMAGE, 'sleep', '1000']));
      r.metrics.netStart = performance.now() - t0;
      log(`  netStart: ${plan.netFleet} in ${(r.metrics.netStart / 1000).toFixed(1)} s`);
    } finally {
      if (fleet.length) await cli.run(['rm', '-f', ...fleet], { allowFail: true, timeoutMs: 180_000 });
      await cli.run(['network', 'rm', NET], { allowFail: true });
    }
  });

  await attempt('published', async () => {
    const ms = await repeat(plan.netRuns, async () => {
      const port = await freePort();
      const id = await cli.out(['run', '-d', '-p', `127.0.0.1:${port}:${PORT}`, IMAGE, 'sh', '-c', SINK]);
      try {
        await waitListening(id);
        const rx0 = await received(id);
        const t = await send(port, plan.netBytes);
        await checkServer(id, rx0);
        return t;
      } finally {
        await cli.run(['rm', '-f', id], { allowFail: true });
      }
    });
    rates('published', plan.netBytes, ms);
  });

  await attempt('c2c', async () => {
    await cli.run(['network', 'create', NET]);
    try {
      const wall: number[] = [];
      const ms = await repeat(plan.netRuns, async () => {
        const id = await cli.out(['run', '-d', '--network', NET, '--name', SERVER, IMAGE, 'sh', '-c', SINK]);
        try {
          await waitListening(id);
          const rx0 = await received(id);
          // Timed inside the client (busybox time, 10 ms steps), from its start to its exit after the server closed:
          // the transfer and the name lookup, not the engine's create/start/remove around it.
          const res = await cli.run(['run', '--rm', '--network', NET, IMAGE, 'time', '-p', 'sh', '-c', SOURCE(plan.netBytes)], { timeoutMs: 600_000 });
          wall.push(Math.round(res.ms));
          const real = /^real\s+([\d.]+)/m.exec(res.stderr);
          if (!real) throw new Error(`no time from the client: ${res.stderr.trim()}`);
          await checkServer(id, rx0);
          return Number(real[1]) * 1000;
        } finally {
          await cli.run(['rm', '-f', id], { allowFail: true });
        }
      });
      r.notes.c2cClientRunMs = wall;
      rates('c2c', plan.netBytes, ms);
    } finally {
      await cli.run(['network', 'rm', NET], { allowFail: true });
    }
  });
  return r;
}

/** Bytes received by the interfaces in a /proc/net/dev listing, loopback aside. */
function rxBytes(dev: string): number {
  let sum = 0;
  for (const line of dev.split('\n')) {
    const m = /^\s*([^\s:]+):\s*(\d+)/.exec(line);
    if (m && m[1] !== 'lo') sum += Number(m[2]);
  }
  return sum;
}

/** A port nothing listens on at 127.0.0.1 right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Sends n zero bytes to 127.0.0.1:port and resolves with the ms from connect
 * to the server's FIN, which its nc sends only after reading everything up to
 * our EOF. The socket is half-open so our sending side stays up on its own.
 */
function send(port: number, n: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const sock = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    let finished = false;
    const fail = (err: Error): void => {
      sock.destroy();
      reject(err);
    };
    sock.on('error', fail);
    sock.on('end', () => {
      if (!finished) return fail(new Error('the server closed the connection before it had everything'));
      const ms = performance.now() - t0;
      sock.destroy();
      resolve(ms);
    });
    sock.on('data', () => {}); // nothing is expected; reading keeps the socket flowing to its 'end'
    sock.on('connect', async () => {
      let sent = 0;
      while (sent < n) {
        const len = Math.min(CHUNK.length, n - sent);
        sent += len;
        if (!sock.write(len === CHUNK.length ? CHUNK : CHUNK.subarray(0, len))) {
          await new Promise<void>((ok) => {
            const done = (): void => {
              sock.off('drain', done);
              sock.off('close', done);
              ok();
            };
            sock.on('drain', done);
            sock.on('close', done);
          });
          if (sock.destroyed) return;
        }
      }
      sock.end(() => { finished = true; });
    });
  });
}
