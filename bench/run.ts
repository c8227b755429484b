// berth's benchmark: berthd next to moby (dockerd + containerd) and podman
// (its Docker-compatible service), all driven by the same docker CLI, plus
// bare runc as the floor. One engine runs at a time, on its own temporary
// roots, so the others neither compete for the 2 CPUs nor share state.
// BENCH_QUICK=1 shrinks every count for a smoke run; BENCH_ENGINES=berth,moby
// measures only the engines named.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxTar } from '../test/helpers/busybox.ts';
import { ensurePackages } from './lib/deps.ts';
import { Daemon, describeFootprint, type Footprint, type SpecFor } from './lib/daemon.ts';
import { measure } from './lib/measure.ts';
import { emptyResult, planFromEnv, type Peer } from './lib/metrics.ts';
import { load1, machine, sourceRevision, summarize, table, writeJson, type BenchResults } from './lib/report.ts';
import { RuncFloor } from './lib/runc-floor.ts';
import { median } from './lib/stats.ts';
import { run } from './lib/proc.ts';
import { berthSpec } from './engines/berth.ts';
import { mobySpec } from './engines/moby.ts';
import { podmanSpec } from './engines/podman.ts';

const ALL_ENGINES: Array<[Peer, SpecFor]> = [['berth', berthSpec], ['moby', mobySpec], ['podman', podmanSpec]];
const wanted = process.env.BENCH_ENGINES?.split(',').map((s) => s.trim());
const ENGINES = ALL_ENGINES.filter(([name]) => !wanted || wanted.includes(name));
const RESULTS = new URL('./results/latest.json', import.meta.url).pathname;

// A 1-minute load average above this on an idle start means another job shares the CPUs.
const BUSY_LOAD = 0.5;

const log = (line: string): void => console.log(line);
const errorText = (err: unknown): string => (err as Error).message ?? String(err);

/** The one thing that is running (an engine or the runc floor), so any exit path can stop it. */
let active: { stop(): Promise<void> } | undefined;
async function stopActive(): Promise<void> {
  const a = active;
  active = undefined;
  await a?.stop();
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the bench starts container engines and must run as root');
  const plan = planFromEnv(process.env);
  const t0 = performance.now();
  await ensurePackages(log);
  const rootfs = await busyboxTar();
  const cliConfig = mkdtempSync(join(tmpdir(), 'berth-bench-cli-'));
  let interrupted = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (interrupted) return;
      interrupted = true;
      log(`\n${sig}: stopping the engine under test and removing its files`);
      stopActive().catch((err) => log(`cleanup failed: ${errorText(err)}`)).finally(() => {
        rmSync(cliConfig, { recursive: true, force: true });
        process.exit(130);
      });
    });
  }

  const res: BenchResults = {
    date: new Date().toISOString(), machine: machine(), source: await sourceRevision(), loadAvg: { start: load1() },
    plan, engines: {}, runcFloor: {},
  };
  if (plan.quick) log('BENCH_QUICK=1: small counts, a smoke run; figures are not comparable with the targets');
  if (res.loadAvg.start > BUSY_LOAD) log(`load average ${res.loadAvg.start}: something else is running, figures will be noisy`);
  try {
    for (const [name, specFor] of ENGINES) {
      log(`== ${name}`);
      const d = new Daemon(name, specFor, cliConfig);
      active = d;
      try {
        await d.start();
        res.engines[name] = await measure(d, plan, rootfs, log);
      } catch (err) {
        res.engines[name] = { ...emptyResult(), errors: { engine: errorText(err) } };
        log(`  ${name} FAILED: ${errorText(err)}\n  daemon log tail:\n${d.logTail()}`);
      } finally {
        await stopActive();
      }
    }
    log('== runc floor');
    const floor = new RuncFloor();
    active = floor;
    try {
      await floor.prepare(rootfs);
      const warm = 2;
      const xs = (await floor.latencies(plan.runs + warm)).slice(warm);
      res.runcFloor = { run: median(xs), samples: xs.map(Math.round), version: (await run('/usr/sbin/runc', ['--version'])).stdout.split('\n')[0] };
      log(`  run: median ${median(xs).toFixed(0)} ms of ${xs.length}`);
    } catch (err) {
      res.runcFloor = { error: errorText(err) };
      log(`  runc floor FAILED: ${errorText(err)}`);
    } finally {
      await stopActive();
    }
  } finally {
    rmSync(cliConfig, { recursive: true, force: true });
  }
  res.durationS = Math.round((performance.now() - t0) / 1000);
  res.loadAvg.end = load1();

  log(`\nberth bench, ${res.date}, berth ${res.source}, ${res.machine.cpus} CPUs (${res.machine.cpuModel}), ${res.machine.memGiB} GiB, kernel ${res.machine.kernel}, load ${res.loadAvg.start} → ${res.loadAvg.end}`);
  log(`versions: ${ENGINES.map(([n]) => `${n} ${res.engines[n]?.version ?? '?'}`).join(', ')}, ${res.runcFloor.version ?? 'runc ?'}\n`);
  log(table(summarize(res)));
  log('');
  for (const [name] of ENGINES) {
    const e = res.engines[name];
    if (!e) continue;
    if (e.notes.pss) log(`${name} PSS: ${describeFootprint(e.notes.pss as Footprint)}`);
    for (const [k, msg] of Object.entries(e.errors)) log(`${name} ${k}: ${msg}`);
  }
  writeJson(RESULTS, res);
  log(`\nresults: ${RESULTS} (${res.durationS} s in all)`);
}

main().catch(async (err) => {
  log(`bench failed: ${(err as Error).stack ?? err}`);
  await stopActive().catch(() => {});
  process.exit(1);
});
