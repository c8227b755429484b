// What the bench measures, how it is shown, and the target each berth figure
// is held to (from the performance issue). Times are kept in ms, memory in
// bytes; the unit here only decides how they are printed.

export type Peer = 'berth' | 'moby' | 'podman';
export type MetricKey = 'run' | 'start' | 'pss' | 'exec' | 'ps' | 'rm' | 'logs';

export interface Plan {
  quick: boolean;
  /** repetitions of each latency (run, exec, ps); the median is reported */
  runs: number;
  /** containers in the fleet: started, measured with, then removed */
  fleet: number;
  /** bytes the log container writes */
  logBytes: number;
  logRuns: number;
}

export function planFromEnv(env: NodeJS.ProcessEnv): Plan {
  const quick = env.BENCH_QUICK === '1';
  return quick
    ? { quick, runs: 3, fleet: 10, logBytes: 20_000_000, logRuns: 1 }
    : { quick, runs: 21, fleet: 100, logBytes: 200_000_000, logRuns: 3 };
}

export interface MetricDef {
  key: MetricKey;
  label: (p: Plan) => string;
  unit: 'ms' | 's' | 'MB';
  /** berth ≤ ratio × peer is a PASS */
  target: { peer: Exclude<Peer, 'berth'>; ratio: number };
  /** the bare-runc floor is measured for this metric */
  floor?: boolean;
}

export const METRICS: MetricDef[] = [
  { key: 'run', label: () => 'run --rm true (median)', unit: 'ms', target: { peer: 'moby', ratio: 0.33 }, floor: true },
  { key: 'start', label: (p) => `start ${p.fleet} detached (total)`, unit: 's', target: { peer: 'podman', ratio: 0.5 } },
  { key: 'pss', label: (p) => `PSS with ${p.fleet} running`, unit: 'MB', target: { peer: 'podman', ratio: 1 } },
  { key: 'exec', label: () => 'exec true (median)', unit: 'ms', target: { peer: 'moby', ratio: 0.75 } },
  { key: 'ps', label: (p) => `ps, ${p.fleet} running (median)`, unit: 'ms', target: { peer: 'moby', ratio: 1 } },
  { key: 'rm', label: (p) => `rm -f ${p.fleet}, one by one (total)`, unit: 's', target: { peer: 'podman', ratio: 0.5 } },
  { key: 'logs', label: (p) => `logs of ${p.logBytes / 1e6} MB (median)`, unit: 's', target: { peer: 'moby', ratio: 0.3 } },
];

export interface EngineResult {
  version?: string;
  /** the reported figure per metric (ms or bytes) */
  metrics: Partial<Record<MetricKey, number>>;
  /** every timing behind a median */
  samples: Partial<Record<MetricKey, number[]>>;
  errors: Partial<Record<MetricKey | 'engine', string>>;
  /** supporting facts: what the PSS summed, whether logs came back whole, set-up times */
  notes: Record<string, unknown>;
}

export const emptyResult = (): EngineResult => ({ metrics: {}, samples: {}, errors: {}, notes: {} });
