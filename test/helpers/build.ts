// Helpers for build tests: context directories in a scratch dir of the test
// file's own, and `DOCKER_BUILDKIT=0 docker build` against its daemon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCKER, run, type RunResult, type TestDaemon } from './daemon.ts';

export function buildHelpers(d: TestDaemon, prefix: string) {
  const work = mkdtempSync(join(tmpdir(), prefix));
  test.after(() => rmSync(work, { recursive: true, force: true }));

  /** A context directory holding `files` (paths relative to it). */
  const context = (name: string, files: Record<string, string | Buffer>): string => {
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    return dir;
  };
  const build = (dir: string, args: string[] = []): Promise<RunResult> =>
    run(DOCKER, ['build', ...args, dir], { env: { ...d.env, DOCKER_BUILDKIT: '0' }, timeoutMs: 120_000 });
  const built = async (dir: string, args: string[] = []): Promise<string> => {
    const r = await build(dir, args);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    return r.stdout;
  };
  const docker = async (args: string[]): Promise<string> => {
    const r = await d.docker(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  return { work, context, build, built, docker };
}
