// berth commands end to end against a scripted daemon on a unix socket:
// the requests they make, what they print and the exit codes docker uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { Socket } from 'node:net';
import { cli } from '../../src/cli/cli.ts';

interface Reply {
  status?: number;
  body?: unknown;
}

type Routes = Record<string, Reply | ((body: string, url: URL) => Reply)>;

function frame(stream: number, payload: string): Buffer {
  const b = Buffer.from(payload);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(b.length, 4);
  return Buffer.concat([h, b]);
}

const ID = 'f'.repeat(64);

/** A daemon that answers from a route table; run's create/attach/wait/start dance is built in. */
async function daemon(routes: Routes, exitCode = 0): Promise<{ host: string; seen: string[]; bodies: Record<string, unknown>; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-cli-'));
  const sock = join(dir, 'd.sock');
  const seen: string[] = [];
  const bodies: Record<string, unknown> = {};
  let attached: Socket | null = null;
  let waiter: http.ServerResponse | null = null;
  const upgraded: Socket[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://d');
      const path = url.pathname.replace(/^\/v1\.41/, '');
      const key = `${req.method} ${path}`;
      seen.push(`${req.method} ${path}${url.search}`);
      if (body) bodies[key] = JSON.parse(body);
      const route = routes[key];
      if (!route && key === `POST /containers/${ID}/wait`) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.flushHeaders();
        waiter = res;
        return;
      }
      if (!route && key === `POST /containers/${ID}/start`) {
        res.writeHead(204).end();
        attached?.write(Buffer.concat([frame(1, 'to stdout\n'), frame(2, 'to stderr\n')]));
        setTimeout(() => {
          attached?.end();
          waiter?.end(JSON.stringify({ StatusCode: exitCode }));
        }, 20);
        return;
      }
      const reply = typeof route === 'function' ? route(body, url) : route;
      if (!reply) {
        res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message: `no route ${key}` }));
        return;
      }
      res.writeHead(reply.status ?? 200, { 'Content-Type': 'application/json' });
      res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
    });
  });
  server.on('upgrade', (req, socket: Socket) => {
    const path = req.url!.replace(/^\/v1\.41/, '');
    seen.push(`UPGRADE ${path}`);
    socket.write('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    upgraded.push(socket);
    socket.on('end', () => socket.end());
    // An exec prints one line and is done; an attach waits for the container.
    if (path.startsWith('/exec/')) socket.end(frame(1, 'exec out\n'));
    else attached = socket;
  });
  await new Promise<void>((r) => server.listen(sock, r));
  return {
    host: `unix://${sock}`,
    seen,
    bodies,
    close: async () => {
      for (const u of upgraded) u.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function berth(argv: string[], host = 'unix:///nonexistent.sock', stdin = ''): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await cli(argv, { stdin: Readable.from(stdin ? [stdin] : []), stdout, stderr, env: { BERTH_HOST: host } });
  return { code, out, err };
}

const create: Reply = { status: 201, body: { Id: ID, Warnings: [] } };

test('run: create, attach, wait, start; the exit code is the container\'s', async () => {
  const d = await daemon({ 'POST /containers/create': create }, 3);
  try {
    const r = await berth(['run', '--name', 'web', '-e', 'A=1', 'busybox', 'sh', '-c', 'exit 3'], d.host);
    assert.equal(r.code, 3);
    assert.equal(r.out, 'to stdout\n');
    assert.equal(r.err, 'to stderr\n');
    assert.deepEqual(d.seen, [
      'POST /containers/create?name=web',
      `POST /containers/${ID}/wait?condition=next-exit`,
      `UPGRADE /containers/${ID}/attach?stream=1&stdout=1&stderr=1`,
      `POST /containers/${ID}/start`,
    ]);
    const body = d.bodies['POST /containers/create'] as Record<string, unknown>;
    assert.deepEqual(body.Cmd, ['sh', '-c', 'exit 3']);
    assert.deepEqual(body.Env, ['A=1']);
  } finally {
    await d.close();
  }
});

test('run --rm waits for removal; -d prints the ID', async () => {
  const d = await daemon({ 'POST /containers/create': create });
  try {
    assert.equal((await berth(['run', '--rm', 'busybox'], d.host)).code, 0);
    assert.ok(d.seen.includes(`POST /containers/${ID}/wait?condition=removed`));
    const detached = await berth(['run', '-d', 'busybox'], d.host);
    assert.equal(detached.out, ID + '\n');
    assert.equal(detached.code, 0);
  } finally {
    await d.close();
  }
});

test('run failures: 125 from the daemon, 126/127 when the command cannot run', async () => {
  const d = await daemon({
    'POST /containers/create': (body) => (body.includes('missing') ? { status: 404, body: { message: 'No such image: missing:latest' } } : create),
    'POST /images/create': { status: 500, body: { message: 'berth has no registry client yet' } },
  });
  try {
    const missing = await berth(['run', 'missing'], d.host);
    assert.equal(missing.code, 125);
    assert.equal(missing.err, "Unable to find image 'missing:latest' locally\nberth: Error response from daemon: berth has no registry client yet\n\nRun 'berth run --help' for more information\n");
    const never = await berth(['run', '--pull', 'never', 'missing'], d.host);
    assert.equal(never.code, 125);
    assert.match(never.err, /No such image: missing:latest/);
  } finally {
    await d.close();
  }
  for (const [message, code] of [['exec: "nosuch": executable file not found in $PATH', 127], ['exec: "/etc": permission denied', 126], ['cgroup trouble', 125]] as const) {
    const e = await daemon({ 'POST /containers/create': create, [`POST /containers/${ID}/start`]: { status: 400, body: { message } } });
    try {
      const r = await berth(['run', 'busybox'], e.host);
      assert.equal(r.code, code);
      assert.equal(r.err, `berth: Error response from daemon: ${message}\n\nRun 'berth run --help' for more information\n`);
    } finally {
      await e.close();
    }
  }
});

test('usage errors: 125 for flags, 1 for argument counts and unknown commands', async () => {
  const flag = await berth(['run', '--bogus', 'x']);
  assert.equal(flag.code, 125);
  assert.equal(flag.err, "unknown flag: --bogus\n\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'berth run --help' for more information\n");
  const args = await berth(['run']);
  assert.equal(args.code, 1);
  assert.equal(args.err, "berth: 'berth run' requires at least 1 argument\n\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nSee 'berth run --help' for more information\n");
  const exact = await berth(['container', 'rename', 'a']);
  assert.equal(exact.code, 1);
  assert.match(exact.err, /^berth: 'berth container rename' requires 2 arguments\n/);
  const none = await berth(['ps', 'extra']);
  assert.match(none.err, /^berth: 'berth ps' accepts no arguments/);
  const unknown = await berth(['frobnicate']);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.err, "berth: unknown command: berth frobnicate\n\nRun 'berth --help' for more information\n");
  const sub = await berth(['image', 'frob']);
  assert.equal(sub.code, 1);
  const bad = await berth(['run', '--memory', 'lots', 'x']);
  assert.equal(bad.code, 125);
  assert.match(bad.err, /^invalid argument "lots" for "-m, --memory" flag: invalid size: 'lots'/);
  const combo = await berth(['run', '--rm', '--restart=always', 'x']);
  assert.equal(combo.code, 125);
  assert.equal(combo.err, "berth: conflicting options: cannot specify both --restart and --rm\n\nRun 'berth run --help' for more information\n");
});

test('help goes to stdout with exit 0 and names every alias', async () => {
  const r = await berth(['container', 'ls', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.out, /^Usage:  berth container ls \[OPTIONS\]\n\nList containers\n\nAliases:\n  berth container ls, berth container list, berth container ps, berth ps\n\nOptions:\n/);
  const root = await berth(['--help']);
  // Sorted by name, as docker lists them.
  assert.match(root.out, /Management Commands:\n  builder     Manage builds\n  container   Manage containers/);
  // A bare group name is not a request for help: docker prints it on stderr.
  assert.match((await berth(['image'])).err, /^Usage:  berth image COMMAND/);
  assert.match((await berth(['image', '--help'])).out, /^Usage:  berth image COMMAND/);
  assert.match((await berth(['--version'])).out, /^berth version \d+\.\d+\.\d+, build /);
});

test('a missing daemon fails with exit 1 (125 for run)', async () => {
  const ps = await berth(['ps']);
  assert.equal(ps.code, 1);
  assert.equal(ps.err, 'Cannot connect to the berth daemon at unix:///nonexistent.sock. Is the berth daemon running?\n');
  assert.equal((await berth(['run', 'x'])).code, 125);
});

test('multi-container commands print successes and fail with every error', async () => {
  const d = await daemon({
    'POST /containers/a/stop': { status: 204 },
    'POST /containers/b/stop': { status: 404, body: { message: 'No such container: b' } },
    'DELETE /containers/a': { status: 204 },
    'DELETE /containers/b': { status: 404, body: { message: 'No such container: b' } },
  });
  try {
    const stop = await berth(['stop', '-t', '3', 'a', 'b'], d.host);
    assert.equal(stop.code, 1);
    assert.equal(stop.out, 'a\n');
    assert.equal(stop.err, 'Error response from daemon: No such container: b\n');
    assert.ok(d.seen.includes('POST /containers/a/stop?t=3'));
    // rm -f shrugs at containers that are already gone.
    const rm = await berth(['rm', '-f', 'a', 'b'], d.host);
    assert.equal(rm.code, 0);
    assert.equal(rm.out, 'a\n');
    assert.equal(rm.err, 'Error response from daemon: No such container: b\n');
    assert.ok(d.seen.includes('DELETE /containers/a?force=1'));
  } finally {
    await d.close();
  }
});

test('inspect: raw JSON, templates, errors and exit 64 for a bad template', async () => {
  const d = await daemon({
    'GET /containers/web/json': { body: { Id: 'abc', Name: '/web', State: { Running: true }, Config: { Labels: { a: 'b' } } } },
    'GET /images/web/json': { status: 404, body: { message: 'No such image: web' } },
  });
  try {
    const raw = await berth(['inspect', 'web'], d.host);
    assert.equal(raw.code, 0);
    assert.match(raw.out, /^\[\n    \{\n        "Id": "abc",\n/);
    const tmpl = await berth(['inspect', '-f', '{{.Name}} {{.State.Running}} {{index .Config.Labels "a"}}', 'web', 'nope'], d.host);
    assert.equal(tmpl.out, '/web true b\n');
    assert.equal(tmpl.err, 'Error: No such object: nope\n');
    assert.equal(tmpl.code, 1);
    const bad = await berth(['inspect', '-f', '{{.Name', 'web'], d.host);
    assert.equal(bad.code, 64);
    assert.equal(bad.err, 'template parsing error: template: :1: unclosed action\n');
  } finally {
    await d.close();
  }
});

test('ps asks for what its template needs', async () => {
  const d = await daemon({ 'GET /containers/json': { body: [{ Id: 'a'.repeat(64), Names: ['/web'], Image: 'busybox', ImageID: 'sha256:x', Command: 'sh', Created: 0, Ports: [], Labels: {}, State: 'running', Status: 'Up 1 second', SizeRw: 10 }] } });
  try {
    const r = await berth(['ps', '-a', '-n', '2', '-f', 'status=running', '--format', '{{.Names}} {{.Size}}'], d.host);
    assert.equal(r.out, 'web 10B\n');
    assert.equal(d.seen[0], 'GET /containers/json?all=1&limit=2&size=1&filters=%7B%22status%22%3A%7B%22running%22%3Atrue%7D%7D');
    const q = await berth(['ps', '-q', '--format', '{{.Names}}'], d.host);
    assert.equal(q.out, 'aaaaaaaaaaaa\n');
    assert.equal(q.err, 'WARNING: Ignoring custom format, because both --format and --quiet are set.\n');
    assert.equal((await berth(['ps', '--format', '{{.Nope}}'], d.host)).err, 'failed to execute template: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ContainerContext\n');
  } finally {
    await d.close();
  }
});

test('prune asks first; "n" cancels quietly, -f reports what went', async () => {
  const d = await daemon({ 'POST /containers/prune': { body: { ContainersDeleted: ['c1'], SpaceReclaimed: 2000 } } });
  try {
    const no = await berth(['container', 'prune'], d.host, 'n\n');
    assert.equal(no.code, 0);
    assert.equal(no.out, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ');
    assert.equal(d.seen.length, 0);
    const yes = await berth(['container', 'prune', '-f'], d.host);
    assert.equal(yes.out, 'Deleted Containers:\nc1\n\nTotal reclaimed space: 2kB\n');
  } finally {
    await d.close();
  }
});

test('rmi prints untagged and deleted; save writes the archive to -o', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-save-'));
  const d = await daemon({
    'DELETE /images/bb': { body: [{ Untagged: 'bb:latest' }, { Deleted: 'sha256:1' }] },
    'GET /images/get': { body: 'TARDATA' },
  });
  try {
    assert.equal((await berth(['rmi', 'bb'], d.host)).out, 'Untagged: bb:latest\nDeleted: sha256:1\n');
    const out = join(dir, 'x.tar');
    assert.equal((await berth(['save', '-o', out, 'bb', 'cc'], d.host)).code, 0);
    assert.equal(readFileSync(out, 'utf8'), '"TARDATA"');
    assert.ok(d.seen.includes('GET /images/get?names=bb&names=cc'));
    const missingDir = await berth(['save', '-o', join(dir, 'no/such/x.tar'), 'bb'], d.host);
    assert.equal(missingDir.code, 1);
    assert.match(missingDir.err, /invalid output path: directory ".*no\/such" does not exist/);
  } finally {
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('create reads env files; exec returns the command exit code', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-env-'));
  writeFileSync(join(dir, 'env'), 'A=1\n# c\nB=2\n');
  const d = await daemon({
    'POST /containers/create': create,
    'GET /containers/web/json': { body: { Id: 'w', Config: {}, HostConfig: {}, State: { Running: true } } },
    'POST /containers/web/exec': { status: 201, body: { Id: 'e1' } },
    'GET /exec/e1/json': { body: { ID: 'e1', Running: false, ExitCode: 7 } },
  });
  try {
    const c = await berth(['create', '--env-file', join(dir, 'env'), '-e', 'C=3', 'busybox'], d.host);
    assert.equal(c.out, ID + '\n');
    assert.deepEqual((d.bodies['POST /containers/create'] as { Env: string[] }).Env, ['A=1', 'B=2', 'C=3']);
    const e = await berth(['exec', '-e', 'X=1', 'web', 'false'], d.host);
    assert.equal(e.code, 7);
    assert.equal(e.out, 'exec out\n');
    assert.deepEqual(d.bodies['POST /containers/web/exec'], { AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, Env: ['X=1'], Cmd: ['false'], User: '', WorkingDir: '', Privileged: false, DetachKeys: '', ConsoleSize: null });
  } finally {
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
