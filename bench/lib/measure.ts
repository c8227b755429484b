// The measurements, identical for every engine: all through the docker CLI,
// one operation at a time, every container with --network none.
import { describeFootprint, type Daemon } from './daemon.ts';
import type { CoreKey, EngineResult, Plan } from './metrics.ts';
import { repeat, median } from './stats.ts';
import { sleep } from './proc.ts';
import { IMAGE, importBusybox, NONE, recorder, type Log } from './record.ts';

// Every engine must keep the whole log, and each bounds one by default. The
// bound applies to the file on disk, and the formats add a timestamp and
// stream to each line (json-file about 70 bytes, k8s-file about 40), so 200 MB
// written is 300-350 MB stored: max-size=300m would rotate away the start.
const LOG_OPTS = ['--log-opt', 'max-size=1g'];
// 99 characters + newline: a typical log line, so per-line costs of the log format count.
const LOG_LINE = '0123456789abcdef'.repeat(7).slice(0, 99);
// Lets the engine finish what a start set in motion (events, state writes) before memory is read.
const SETTLE_MS = 3000;

export async function measure(d: Daemon, plan: Plan, rootfsTar: Buffer, log: Log): Promise<EngineResult> {
  const { r, attempt } = recorder<CoreKey>(log);
  const cli = d.cli;
  const medianOf = (key: CoreKey, xs: number[]): void => {
    r.samples[key] = xs.map(Math.round);
    r.metrics[key] = median(xs);
    log(`  ${key}: median ${median(xs).toFixed(0)} ms of ${xs.length}`);
  };

  await importBusybox(cli, r, rootfsTar);

  await attempt('run', async () => {
    const once = async (): Promise<number> => (await cli.run(['run', '--rm', ...NONE, IMAGE, 'true'])).ms;
    await repeat(2, once); // warm caches (image config, binaries) as a user's second run would find them
    medianOf('run', await repeat(plan.runs, once));
  });

  const fleet: string[] = [];
  await attempt('start', async () => {
    const t0 = performance.now();
    for (let i = 0; i < plan.fleet; i++) fleet.push(await cli.out(['run', '-d', ...NONE, IMAGE, 'sleep', '3600']));
    r.metrics.start = performance.now() - t0;
    log(`  start: ${plan.fleet} in ${(r.metrics.start / 1000).toFixed(1)} s`);
  });
  if (fleet.length === plan.fleet) {
    await attempt('pss', async () => {
      await sleep(SETTLE_MS);
      const fp = d.footprint();
      r.metrics.pss = fp.pss;
      r.notes.pss = fp;
      log(`  pss: ${(fp.pss / 2 ** 20).toFixed(1)} MB: ${describeFootprint(fp)}`);
    });
    await attempt('ps', async () => {
      medianOf('ps', await repeat(plan.runs, async () => (await cli.run(['ps'])).ms));
    });
    await attempt('exec', async () => {
      const once = async (): Promise<number> => (await cli.run(['exec', fleet[0]!, 'true'])).ms;
      await once();
      medianOf('exec', await repeat(plan.runs, once));
    });
    await attempt('rm', async () => {
      const t0 = performance.now();
      while (fleet.length) {
        await cli.run(['rm', '-f', fleet[0]!]);
        fleet.shift();
      }
      r.metrics.rm = performance.now() - t0;
      log(`  rm: ${plan.fleet} in ${(r.metrics.rm / 1000).toFixed(1)} s`);
    });
  } else {
    for (const k of ['pss', 'ps', 'exec', 'rm'] as const) r.errors[k] = 'skipped: the fleet did not start';
  }
  // Whatever a failure left of the fleet must not weigh on the log measurement.
  if (fleet.length) await cli.run(['rm', '-f', ...fleet], { allowFail: true });

  await attempt('logs', async () => {
    const t0 = performance.now();
    const id = await cli.out(['run', '-d', ...NONE, ...LOG_OPTS, IMAGE, 'sh', '-c', `yes ${LOG_LINE} | head -c ${plan.logBytes}`]);
    const code = await cli.out(['wait', id], { timeoutMs: 600_000 });
    r.notes.logWriteMs = Math.round(performance.now() - t0);
    if (code !== '0') throw new Error(`log writer exited ${code}`);
    // Untimed read first: checks the log came back whole (a shorter one is not the
    // same work) and warms the page cache for every engine alike.
    const got = (await cli.run(['logs', id], { stdout: 'count', timeoutMs: 600_000 })).stdoutBytes;
    r.notes.logBytesRead = got;
    if (got !== plan.logBytes) throw new Error(`docker logs returned ${got} of the ${plan.logBytes} bytes written`);
    medianOf('logs', await repeat(plan.logRuns, async () => (await cli.run(['logs', id], { stdout: 'discard', timeoutMs: 600_000 })).ms));
    await cli.run(['rm', '-f', id]);
  });
  return r;
}
