// The builder measurements (the builder issue): one fixed multi-stage build
// (bench/fixtures/build: two independent stages, then a final one taking from
// both) through `DOCKER_BUILDKIT=0 docker build`, moby's classic builder being
// the peer. Three figures: a cold build (no image, no build cache), a fully
// cached rebuild, and a rebuild after one source file changed. Every build is
// checked, untimed: the final image must print what the fixed build makes
// (every artifact unpacked and summed again inside it), a cold build must
// have used no cache, a cached one must give the same image back.
import { cpSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Daemon } from './daemon.ts';
import { DOCKER } from './docker.ts';
import type { BuildKey, EngineResult, MetricKey, Plan } from './metrics.ts';
import { run } from './proc.ts';
import { IMAGE, importBusybox, NONE, recorder, type Log } from './record.ts';
import { load1 } from './report.ts';
import { median } from './stats.ts';

const FIXTURE = new URL('../fixtures/build/', import.meta.url).pathname;
/** The file the one-file change rewrites: read only by the last steps of the `table` stage. */
const CHANGED = 'table/banner.txt';
const TAG = 'benchbuild:latest';
const LONG = { timeoutMs: 600_000 };

export async function measureBuild(d: Daemon, plan: Plan, rootfsTar: Buffer, log: Log): Promise<EngineResult> {
  const { r, attempt } = recorder<MetricKey>(log);
  const cli = d.cli;
  const runs = plan.buildRuns;
  r.notes.load1 = load1();
  await importBusybox(cli, r, rootfsTar);
  const busyboxId = await cli.out(['image', 'inspect', '-f', '{{.Id}}', IMAGE]);

  // The context is a copy in the daemon's directory, so the one-file change never touches the checkout.
  const ctx = join(d.dir, 'build');
  cpSync(FIXTURE, ctx, { recursive: true });
  const changed = join(ctx, CHANGED);
  const original = readFileSync(changed);
  const { atime, mtime } = statSync(changed);
  const expected = readFileSync(join(FIXTURE, 'expected-output.txt'), 'utf8');

  /** One `docker build` with the classic builder, after a sync so it waits on no earlier writeback: its time, cache hits and image. */
  const build = async (): Promise<{ ms: number; hits: number; id: string }> => {
    await run('sync', []);
    const res = await run(DOCKER, ['build', ...NONE, '-t', TAG, ctx], { env: { ...cli.env, DOCKER_BUILDKIT: '0' }, ...LONG });
    const hits = res.stdout.match(/Using cache/g)?.length ?? 0;
    return { ms: res.ms, hits, id: await cli.out(['image', 'inspect', '-f', '{{.Id}}', TAG]) };
  };
  /** The final image must print the fixed build's figures and the banner now in the context. */
  const check = async (what: string): Promise<void> => {
    const out = await cli.out(['run', '--rm', ...NONE, TAG], LONG);
    const want = `${expected}# ${readFileSync(changed, 'utf8')}`.trim();
    if (out !== want) throw new Error(`${what}: the image printed\n${out}\ninstead of\n${want}`);
  };
  /** No image of the build and no build cache left: for moby's classic builder the cache is the intermediate images. */
  const reset = async (): Promise<void> => {
    await cli.run(['rmi', '-f', TAG], { allowFail: true });
    await cli.run(['builder', 'prune', '-af'], { allowFail: true, ...LONG });
    await cli.run(['image', 'prune', '-f'], { allowFail: true, ...LONG });
    const left = (await cli.out(['images', '-aq', '--no-trunc'])).split('\n').filter((id) => id && id !== busyboxId);
    if (left.length) await cli.run(['rmi', '-f', ...new Set(left)], { allowFail: true, ...LONG });
  };
  const seconds = (k: BuildKey, xs: number[]): void => {
    r.samples[k] = xs.map(Math.round);
    r.metrics[k] = median(xs);
    log(`  ${k}: median ${(median(xs) / 1000).toFixed(3)} s of ${xs.length} (${xs.map((t) => (t / 1000).toFixed(3)).join(', ')})`);
  };

  let coldId: string | undefined;
  let cachedHits = 0;
  await attempt('buildCold', async () => {
    // An untimed first build warms the page cache (busybox, the context) for every cold sample alike.
    await reset();
    r.notes.warmupBuildMs = Math.round((await build()).ms);
    const xs: number[] = [];
    for (let i = 0; i < runs; i++) {
      await reset();
      const b = await build();
      if (b.hits !== 0) throw new Error(`the cold build used the cache for ${b.hits} steps`);
      coldId = b.id;
      await check('cold build');
      xs.push(b.ms);
    }
    seconds('buildCold', xs);
  });

  await attempt('buildCached', async () => {
    if (!coldId) throw new Error('skipped: the cold build failed');
    const xs: number[] = [];
    for (let i = 0; i < runs; i++) {
      const b = await build();
      if (b.id !== coldId) throw new Error(`the cached rebuild made ${b.id}, not the cold build's ${coldId}`);
      cachedHits = b.hits;
      xs.push(b.ms);
    }
    r.notes.cachedHits = cachedHits;
    seconds('buildCached', xs);
  });

  await attempt('buildOneFile', async () => {
    if (!coldId || !cachedHits) throw new Error('skipped: the cold or the cached build failed');
    const xs: number[] = [];
    const hits: number[] = [];
    try {
      for (let i = 0; i < runs; i++) {
        // New content each time, so no repetition finds the previous one's steps in the cache.
        writeFileSync(changed, `berth bench build, change ${i + 1} at ${Date.now()}\n`);
        const b = await build();
        if (b.id === coldId || b.hits === 0 || b.hits >= cachedHits) {
          throw new Error(`the rebuild used the cache for ${b.hits} of ${cachedHits} steps and made ${b.id === coldId ? 'the unchanged image' : b.id}`);
        }
        await check('one-file rebuild');
        xs.push(b.ms);
        hits.push(b.hits);
        // Back to the original file (content and times): the next repetition starts from the same cached state.
        writeFileSync(changed, original);
        utimesSync(changed, atime, mtime);
        const back = await build();
        if (back.id !== coldId) throw new Error(`with the file restored the build made ${back.id}, not the cached ${coldId}`);
      }
    } finally {
      writeFileSync(changed, original);
    }
    r.notes.oneFileHits = hits;
    seconds('buildOneFile', xs);
  });
  return r;
}
