// A registry of a test's own: Debian's docker-registry (distribution 2.8) on
// 127.0.0.1 with a temporary storage directory, open, behind htpasswd basic
// auth, or behind token auth with a token server run here (JWTs signed with
// a throwaway EC key whose certificate the registry trusts). Started and
// killed by PID; its directory removed.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { before, after } from 'node:test';
import { freePort } from './net.ts';
import { BERTH, DOCKER, run, type RunResult, type TestDaemon } from './daemon.ts';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export interface RegistryOptions {
  auth?: 'htpasswd' | 'token';
  /** The user the htpasswd file or token server accepts. */
  user?: { name: string; password: string };
}

/** A token request the token server saw. */
export interface TokenRequest {
  authorization: string | undefined;
  service: string | null;
  scopes: string[];
}

const SERVICE = 'berth-test-registry';
const ISSUER = 'berth-test-issuer';

export class TestRegistry {
  readonly dir: string;
  readonly opts: RegistryOptions;
  port = 0;
  proc?: ChildProcess;
  log = '';
  tokenServer?: Server;
  readonly tokenRequests: TokenRequest[] = [];
  #key?: ReturnType<typeof createPrivateKey>;
  #certDer = '';

  constructor(opts: RegistryOptions = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'berth-registry-'));
    this.opts = opts;
  }

  /** One registry for a test file: started before its tests, killed and removed after. */
  static forFile(opts: RegistryOptions = {}): TestRegistry {
    const r = new TestRegistry(opts);
    before(() => r.start());
    after(() => r.stop());
    return r;
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  get user(): { name: string; password: string } {
    return this.opts.user ?? { name: 'tester', password: 's3cret-pass' };
  }

  async start(): Promise<void> {
    this.port ||= await freePort();
    let auth = '';
    if (this.opts.auth === 'htpasswd') {
      const salt = randomBytes(16).toString('base64').replace(/[^A-Za-z0-9]/g, '.').padEnd(22, '.').slice(0, 22);
      const hash = execFileSync('perl', ['-e', 'print crypt($ARGV[0], "\\$2b\\$05\\$" . $ARGV[1])', this.user.password, salt], { encoding: 'utf8' });
      writeFileSync(join(this.dir, 'htpasswd'), `${this.user.name}:${hash}\n`);
      auth = `auth:\n  htpasswd:\n    realm: berth-test\n    path: ${join(this.dir, 'htpasswd')}\n`;
    } else if (this.opts.auth === 'token') {
      const tokenPort = await this.#startTokenServer();
      auth = `auth:\n  token:\n    realm: http://127.0.0.1:${tokenPort}/token\n    service: ${SERVICE}\n    issuer: ${ISSUER}\n    rootcertbundle: ${join(this.dir, 'cert.pem')}\n`;
    }
    const config = `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(this.dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${this.port}\n  secret: berth-test-secret\n${auth}`;
    writeFileSync(join(this.dir, 'config.yml'), config);
    const proc = spawn(REGISTRY_BIN, ['serve', join(this.dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`docker-registry exited: ${this.log}`);
      if ((await this.status('/v2/')) !== 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`docker-registry did not come up: ${this.log}`);
  }

  /** The HTTP status of a GET (0 when nothing answers). */
  status(path: string, headers: Record<string, string> = {}): Promise<number> {
    return new Promise((resolve) => {
      const req = request({ host: '127.0.0.1', port: this.port, path, headers }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => resolve(0));
      req.end();
    });
  }

  /** Kills the registry (by its PID); `restart` brings it back on the same port and storage. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    process.kill(proc.pid!, signal);
    await exited;
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  async stop(): Promise<void> {
    await this.kill();
    await new Promise((r) => (this.tokenServer ? this.tokenServer.close(r) : r(undefined)));
    await rm(this.dir, { recursive: true, force: true });
  }

  /** The token server: anyone may pull; the test user may also push; wrong credentials get a 401. */
  async #startTokenServer(): Promise<number> {
    if (!this.#key) {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', join(this.dir, 'key.pem'), '-out', join(this.dir, 'cert.pem'), '-days', '2', '-subj', '/CN=berth-test-token'], { stdio: 'ignore' });
      this.#key = createPrivateKey(readFileSync(join(this.dir, 'key.pem')));
      this.#certDer = new X509Certificate(readFileSync(join(this.dir, 'cert.pem'))).raw.toString('base64');
    }
    if (this.tokenServer) return (this.tokenServer.address() as { port: number }).port;
    this.tokenServer = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://token');
      const scopes = url.searchParams.getAll('scope');
      this.tokenRequests.push({ authorization: req.headers.authorization, service: url.searchParams.get('service'), scopes });
      let user = '';
      if (req.headers.authorization) {
        const [name, password] = Buffer.from(req.headers.authorization.replace(/^Basic /, ''), 'base64').toString().split(':');
        if (name !== this.user.name || password !== this.user.password) {
          res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ details: 'incorrect username or password' }));
          return;
        }
        user = name;
      }
      const access = scopes.map((s) => {
        const [type, name, actions] = s.split(':');
        const wanted = (actions ?? '').split(',');
        return { type, name, actions: wanted.filter((a) => a === 'pull' || (user && a === 'push')) };
      });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: this.#jwt(user, access), expires_in: 300 }));
    });
    await new Promise<void>((r) => this.tokenServer!.listen(0, '127.0.0.1', () => r()));
    return (this.tokenServer.address() as { port: number }).port;
  }

  #jwt(subject: string, access: object[]): string {
    const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const head = b64({ typ: 'JWT', alg: 'ES256', x5c: [this.#certDer] });
    const claims = b64({ iss: ISSUER, sub: subject, aud: SERVICE, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access });
    const signature = sign('sha256', Buffer.from(`${head}.${claims}`), { key: this.#key!, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    return `${head}.${claims}.${signature}`;
  }
}

/** A DOCKER_CONFIG of the test file's own (what docker login writes, what docker and berth read credentials from), removed after. */
export function dockerConfigForFile(d: TestDaemon): { dir: () => string; docker: (args: string[], input?: string) => Promise<RunResult>; berth: (args: string[]) => Promise<RunResult> } {
  const dir = mkdtempSync(join(tmpdir(), 'berth-docker-config-'));
  after(() => rm(dir, { recursive: true, force: true }));
  const env = (): NodeJS.ProcessEnv => ({ ...d.env, DOCKER_CONFIG: dir });
  return {
    dir: () => dir,
    docker: (args, input) => run(DOCKER, args, { env: env(), ...(input !== undefined ? { input } : {}) }),
    berth: (args) => run(BERTH, args, { env: env() }),
  };
}
