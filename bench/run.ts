// berth's benchmark: berthd next to moby (dockerd + containerd) and podman
// (its Docker-compatible service), all driven by the same docker CLI, plus
// bare runc as the floor. One engine runs at a time, on its own temporary
// roots, so the others neither compete for the 2 CPUs nor share state.
// Then the networking half: berthd and moby again, each with a bridge, subnet
// and firewall rules of its own, which are removed after it (podman runs with
// netns none here and is not a peer there). Then the filesystem part, berthd
// and moby as in the first half: copy-up into a new volume, docker cp both ways,
// commit. Then the builder part, every engine again: a fixed multi-stage
// build cold, fully cached and after one file changed. BENCH_QUICK=1 shrinks
// every count for a smoke run; BENCH_ENGINES=berth,moby measures only the
// engines named; BENCH_PARTS=core, net, fs or build (or a list of them) runs
// only the parts named.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxTar } from '../test/helpers/busybox.ts';
import { ensurePackages } from './lib/deps.ts';
import { Daemon, describeFootprint, type Footprint, type SpecFor } from './lib/daemon.ts';
import { measure } from './lib/measure.ts';
import { BUILD_METRICS, emptyResult, FS_METRICS, METRICS, NET_METRICS, planFromEnv, type EngineResult, type Peer, type Plan } from './lib/metrics.ts';
import { measureNet } from './lib/net-measure.ts';
import { measureFs } from './lib/fs-measure.ts';
import { measureBuild } from './lib/build-measure.ts';
import { hostNetText, lineDiff } from './lib/hostnet.ts';
import { load1, machine, sourceRevision, summarize, table, writeJson, type BenchResults } from './lib/report.ts';
import { RuncFloor } from './lib/runc-floor.ts';
import { median } from './lib/stats.ts';
import { run } from './lib/proc.ts';
import { berthHasNetworking, berthSpec } from './engines/berth.ts';
import { mobyNetSpec, mobySpec } from './engines/moby.ts';
import { podmanSpec } from './engines/podman.ts';

const ALL_ENGINES: Array<[Peer, SpecFor]> = [['berth', berthSpec], ['moby', mobySpec], ['podman', podmanSpec]];
const wanted = process.env.BENCH_ENGINES?.split(',').map((s) => s.trim());
const ENGINES = ALL_ENGINES.filter(([name]) => !wanted || wanted.includes(name));
const NET_ENGINES = ([['berth', berthSpec], ['moby', mobyNetSpec]] as Array<[Peer, SpecFor]>).filter(([name]) => !wanted || wanted.includes(name));
// podman 4.3's compat `commit` answers docker's CLI with "Decode(): EOF", so the filesystem part is berth against moby.
const FS_ENGINES = ENGINES.filter(([name]) => name !== 'podman');
const RESULTS = new URL('./results/latest.json', import.meta.url).pathname;

// A 1-minute load average above this on an idle start means another job shares the CPUs.
const BUSY_LOAD = 0.5;

const log = (line: string): void => console.log(line);
const errorText = (err: unknown): string => (err as Error).message ?? String(err);

/** The one thing that is running (an engine or the runc floor), so any exit path can stop it. */
let active: { stop(): Promise<void> } | undefined;
let stopping: Promise<void> | undefined;
/** Stops what is running; a second caller (Ctrl-C during a stop) waits for the same stop instead of cutting it short. */
function stopActive(): Promise<void> {
  if (!stopping) {
    const a = active;
    active = undefined;
    stopping = (a ? a.stop() : Promise.resolve()).finally(() => { stopping = undefined; });
  }
  return stopping;
}

/** One engine: started, measured, stopped; a failure is recorded, not thrown. */
async function bench(name: Peer, specFor: SpecFor, cliConfig: string, what: (d: Daemon) => Promise<EngineResult>): Promise<EngineResult> {
  const d = new Daemon(name, specFor, cliConfig);
  active = d;
  let r: EngineResult;
  try {
    await d.start();
    r = await what(d);
  } catch (err) {
    r = { ...emptyResult(), errors: { engine: errorText(err) } };
    log(`  ${name} FAILED: ${errorText(err)}\n  daemon log tail:\n${d.logTail()}`);
  }
  try {
    await stopActive();
    if (d.restored.length) log(`  host restored: ${d.restored.length} changes undone (${d.restored.join('; ')})`);
  } catch (err) {
    r.errors.engine = `${r.errors.engine ? r.errors.engine + '; ' : ''}stop: ${errorText(err)}`;
    log(`  ${name} STOP FAILED: ${errorText(err)}`);
  }
  return r;
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
    plan, engines: {}, network: { engines: {} }, fs: { engines: {} }, build: { engines: {} }, runcFloor: {},
  };
  if (plan.quick) log('BENCH_QUICK=1: small counts, a smoke run; figures are not comparable with the targets');
  if (res.loadAvg.start > BUSY_LOAD) log(`load average ${res.loadAvg.start}: something else is running, figures will be noisy`);
  const core = plan.parts.includes('core');
  const net = plan.parts.includes('net') && NET_ENGINES.length > 0;
  const fs = plan.parts.includes('fs') && FS_ENGINES.length > 0;
  const build = plan.parts.includes('build') && ENGINES.length > 0;
  const hostBefore = net ? await hostNetText() : '';
  try {
    if (core) {
      for (const [name, specFor] of ENGINES) {
        log(`== ${name}`);
        res.engines[name] = await bench(name, specFor, cliConfig, (d) => measure(d, plan, rootfs, log));
      }
      await runcFloor(res, plan, rootfs);
    }
    if (net) {
      for (const [name, specFor] of NET_ENGINES) {
        log(`== ${name}, bridge networking`);
        if (name === 'berth' && !berthHasNetworking()) {
          res.network.engines[name] = { ...emptyResult(), errors: { engine: 'skipped: this berthd has no bridge networking (no --bip flag)' } };
          log('  skipped: this berthd has no bridge networking (no --bip flag)');
          continue;
        }
        res.network.engines[name] = await bench(name, specFor, cliConfig, (d) => measureNet(d, plan, rootfs, log));
      }
    }
    if (fs) {
      for (const [name, specFor] of FS_ENGINES) {
        log(`== ${name}, volumes and container filesystems`);
        res.fs.engines[name] = await bench(name, specFor, cliConfig, (d) => measureFs(d, plan, rootfs, log));
      }
    }
    if (build) {
      for (const [name, specFor] of ENGINES) {
        log(`== ${name}, builder`);
        res.build.engines[name] = await bench(name, specFor, cliConfig, (d) => measureBuild(d, plan, rootfs, log));
      }
    }
  } finally {
    rmSync(cliConfig, { recursive: true, force: true });
  }
  if (net) {
    const diff = lineDiff(hostBefore, await hostNetText());
    res.network.hostRestored = diff === '';
    if (diff) {
      res.network.hostDiff = diff;
      const lines = diff.split('\n');
      const shown = lines.slice(0, 40).join('\n') + (lines.length > 40 ? `\n  … ${lines.length - 40} more lines in ${RESULTS}` : '');
      log(`\nWARNING: the host's iptables rules or links differ from before the bench (other work on the machine may have changed them):\n${shown}`);
    }
  }
  res.durationS = Math.round((performance.now() - t0) / 1000);
  res.loadAvg.end = load1();

  const parts = [res.engines, res.network.engines, res.fs.engines, res.build.engines];
  const ran = (name: Peer): boolean => parts.some((p) => p[name] !== undefined);
  const version = (name: Peer): string => parts.map((p) => p[name]?.version).find(Boolean) ?? '?';
  log(`\nberth bench, ${res.date}, berth ${res.source}, ${res.machine.cpus} CPUs (${res.machine.cpuModel}), ${res.machine.memGiB} GiB, kernel ${res.machine.kernel}, load ${res.loadAvg.start} → ${res.loadAvg.end}`);
  log(`versions: ${ALL_ENGINES.filter(([n]) => ran(n)).map(([n]) => `${n} ${version(n)}`).join(', ')}${core ? `, ${res.runcFloor.version ?? 'runc ?'}` : ''}\n`);
  if (core) {
    log(table(summarize(METRICS, res.engines, plan, res.runcFloor.run)));
    log('');
  }
  if (net) {
    log('bridge networking (each engine on its own bridge and subnet; moby with iptables and docker-proxy)');
    log(table(summarize(NET_METRICS, res.network.engines, plan), ['berth', 'moby']));
    log(`host's iptables rules and links after the bench: ${res.network.hostRestored ? 'as before' : 'CHANGED (see above)'}`);
    log('');
  }
  if (fs) {
    log('volumes and container filesystems (each figure after a sync; caches warm)');
    log(table(summarize(FS_METRICS, res.fs.engines, plan), ['berth', 'moby']));
    const floors = FS_ENGINES.flatMap(([n]) => {
      const notes = res.fs.engines[n]?.notes;
      const ms = notes?.copyUpFloorMs as number[] | undefined;
      if (!ms?.length || notes?.copyUpOverFloorMs === undefined) return [];
      return [`${n} ${((notes.copyUpOverFloorMs as number) / 1000).toFixed(2)} s over ${ms.map((t) => (t / 1000).toFixed(2)).join(', ')} s`];
    });
    if (floors.length) log(`copy-up above its floor (median of sample − host cp -a of the same files just before): ${floors.join('; ')}`);
    log('');
  }
  if (build) {
    log(`builder (DOCKER_BUILDKIT=0 docker build of bench/fixtures/build, median of ${plan.buildRuns})`);
    log(table(summarize(BUILD_METRICS, res.build.engines, plan), ['berth', 'moby', ...(res.build.engines.podman ? ['podman' as const] : [])]));
    log('');
  }
  for (const [name] of ALL_ENGINES) {
    const e = res.engines[name];
    if (e?.notes.pss) log(`${name} PSS: ${describeFootprint(e.notes.pss as Footprint)}`);
    for (const [k, msg] of Object.entries(e?.errors ?? {})) log(`${name} ${k}: ${msg}`);
    for (const [k, msg] of Object.entries(res.network.engines[name]?.errors ?? {})) log(`${name} (network) ${k}: ${msg}`);
    for (const [k, msg] of Object.entries(res.fs.engines[name]?.errors ?? {})) log(`${name} (fs) ${k}: ${msg}`);
    for (const [k, msg] of Object.entries(res.build.engines[name]?.errors ?? {})) log(`${name} (build) ${k}: ${msg}`);
  }
  writeJson(RESULTS, res);
  log(`\nresults: ${RESULTS} (${res.durationS} s in all)`);
}

async function runcFloor(res: BenchResults, plan: Plan, rootfs: Buffer): Promise<void> {
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
}

main().catch(async (err) => {
  log(`bench failed: ${(err as Error).stack ?? err}`);
  await stopActive().catch(() => {});
  process.exit(1);
});
