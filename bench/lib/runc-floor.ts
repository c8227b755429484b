// The floor under every engine: runc alone running `true` in a busybox bundle
// (create, start, wait, delete), with runc's default spec (its own network
// namespace with only loopback, like --network none). An engine cannot be
// faster than this; the distance to it is the engine's own overhead.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './proc.ts';
import { repeat } from './stats.ts';

const RUNC = '/usr/sbin/runc';

export class RuncFloor {
  readonly dir = mkdtempSync(join(tmpdir(), 'berth-bench-runc-'));
  #started = 0;

  get bundle(): string {
    return join(this.dir, 'bundle');
  }

  get stateRoot(): string {
    return join(this.dir, 'state');
  }

  async prepare(rootfsTar: Buffer): Promise<void> {
    mkdirSync(join(this.bundle, 'rootfs'), { recursive: true });
    await run('tar', ['-x', '-C', join(this.bundle, 'rootfs')], { input: rootfsTar });
    await run(RUNC, ['spec'], { cwd: this.bundle });
    const cfgPath = join(this.bundle, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    cfg.process.args = ['true'];
    cfg.process.terminal = false;
    writeFileSync(cfgPath, JSON.stringify(cfg));
  }

  /** Foreground `runc run`: like `docker run --rm`, it returns once the container is gone. */
  async latencies(n: number): Promise<number[]> {
    return repeat(n, async () => (await run(RUNC, ['--root', this.stateRoot, 'run', '--bundle', this.bundle, `floor-${this.#started++}`])).ms);
  }

  async stop(): Promise<void> {
    const r = await run(RUNC, ['--root', this.stateRoot, 'list', '-q'], { allowFail: true });
    for (const id of r.stdout.split('\n').filter(Boolean)) await run(RUNC, ['--root', this.stateRoot, 'delete', '-f', id], { allowFail: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
