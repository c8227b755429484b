// What the bench measures, how it is shown, and the target each berth figure
// is held to (from the performance and networking issues). Times are kept in
// ms, memory in bytes, throughput in bytes per second; the unit here only
// decides how they are printed.

export type Peer = 'berth' | 'moby' | 'podman';
export type CoreKey = 'run' | 'start' | 'pss' | 'exec' | 'ps' | 'rm' | 'logs';
export type NetKey = 'netRun' | 'netStart' | 'published' | 'c2c';
export type FsKey = 'copyUp' | 'cpIn' | 'cpOut' | 'commit';
export type BuildKey = 'buildCold' | 'buildCached' | 'buildOneFile';
export type MetricKey = CoreKey | NetKey | FsKey | BuildKey;

/** The parts of a run: the engines as they are, the same engines with bridge networking, filesystem work, the builder. */
export type Part = 'core' | 'net' | 'fs' | 'build';
const PARTS: Part[] = ['core', 'net', 'fs', 'build'];

export interface Plan {
  quick: boolean;
  parts: Part[];
  /** repetitions of each latency (run, exec, ps); the median is reported */
  runs: number;
  /** containers in the fleet: started, measured with, then removed */
  fleet: number;
  /** bytes the log container writes */
  logBytes: number;
  logRuns: number;
  /** containers started on one user network */
  netFleet: number;
  /** bytes of each transfer, host→container and container→container */
  netBytes: number;
  /** transfers of each kind; the median is reported */
  netRuns: number;
  /** small files in the image's /data, copied up into a new volume */
  fsFiles: number;
  /** bytes of the tree copied into a container and back with docker cp */
  fsTreeBytes: number;
  /** bytes a container writes before it is committed */
  fsCommitBytes: number;
  /** repetitions of each filesystem measurement; the median is reported */
  fsRuns: number;
  /** repetitions of each build; the median is reported */
  buildRuns: number;
}

export function planFromEnv(env: NodeJS.ProcessEnv): Plan {
  const quick = env.BENCH_QUICK === '1';
  const parts = (env.BENCH_PARTS ?? PARTS.join(',')).split(',').map((s) => s.trim()).filter((s): s is Part => (PARTS as string[]).includes(s));
  if (parts.length === 0) throw new Error(`BENCH_PARTS=${env.BENCH_PARTS}: expected some of ${PARTS.join(', ')}`);
  return quick
    ? { quick, parts, runs: 3, fleet: 10, logBytes: 20_000_000, logRuns: 1, netFleet: 10, netBytes: 100_000_000, netRuns: 1,
      fsFiles: 5_000, fsTreeBytes: 50_000_000, fsCommitBytes: 20_000_000, fsRuns: 2, buildRuns: 2 }
    : { quick, parts, runs: 21, fleet: 100, logBytes: 200_000_000, logRuns: 3, netFleet: 50, netBytes: 1_000_000_000, netRuns: 3,
      fsFiles: 50_000, fsTreeBytes: 500_000_000, fsCommitBytes: 200_000_000, fsRuns: 3, buildRuns: 3 };
}

export interface MetricDef {
  key: MetricKey;
  label: (p: Plan) => string;
  unit: 'ms' | 's' | 'MB' | 'MB/s';
  /** throughput: more is better, so a target is a floor (berth ≥ ratio × peer) */
  higherIsBetter?: boolean;
  /** berth ≤ ratio × peer (≥ for higher-is-better figures) is a PASS; no target: the ratio is shown only */
  target?: { peer: Exclude<Peer, 'berth'>; ratio: number };
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

const size = (bytes: number): string => (bytes >= 1e9 ? `${bytes / 1e9} GB` : `${bytes / 1e6} MB`);

/** Bridge networking (issue 3): only berth and moby, each with its own bridge, subnet and firewall rules. */
export const NET_METRICS: MetricDef[] = [
  { key: 'netRun', label: () => 'run --rm true, default bridge (median)', unit: 'ms', target: { peer: 'moby', ratio: 0.5 } },
  { key: 'netStart', label: (p) => `start ${p.netFleet} on a user network (total)`, unit: 's' },
  { key: 'published', label: (p) => `${size(p.netBytes)} host→container, 127.0.0.1 port (median)`, unit: 'MB/s', higherIsBetter: true, target: { peer: 'moby', ratio: 1 } },
  { key: 'c2c', label: (p) => `${size(p.netBytes)} container→container (median)`, unit: 'MB/s', higherIsBetter: true },
];

/** Volumes and container filesystems (issue 4): berth against moby. */
export const FS_METRICS: MetricDef[] = [
  { key: 'copyUp', label: (p) => `run -v <new volume> over ${p.fsFiles / 1000}k files (median)`, unit: 's', target: { peer: 'moby', ratio: 1 } },
  { key: 'cpIn', label: (p) => `cp ${size(p.fsTreeBytes)} tree host→container (median)`, unit: 's', target: { peer: 'moby', ratio: 1 } },
  { key: 'cpOut', label: (p) => `cp ${size(p.fsTreeBytes)} tree container→host (median)`, unit: 's', target: { peer: 'moby', ratio: 1 } },
  { key: 'commit', label: (p) => `commit of ${size(p.fsCommitBytes)} written (median)`, unit: 's', target: { peer: 'moby', ratio: 0.5 } },
];

/** The builder (issue 5): cold ≤ 0.7× moby with the stages in parallel, fully cached ≤ 1×, one file changed ≤ 0.5×. */
export const BUILD_METRICS: MetricDef[] = [
  { key: 'buildCold', label: () => 'cold build, 2 stages + final (median)', unit: 's', target: { peer: 'moby', ratio: 0.7 } },
  { key: 'buildCached', label: () => 'fully cached rebuild (median)', unit: 'ms', target: { peer: 'moby', ratio: 1 } },
  { key: 'buildOneFile', label: () => 'rebuild, one source file changed (median)', unit: 's', target: { peer: 'moby', ratio: 0.5 } },
];

export interface EngineResult {
  version?: string;
  /** the reported figure per metric (ms, bytes or bytes/s) */
  metrics: Partial<Record<MetricKey, number>>;
  /** every measurement behind a median */
  samples: Partial<Record<MetricKey, number[]>>;
  errors: Partial<Record<MetricKey | 'engine', string>>;
  /** supporting facts: what the PSS summed, whether logs came back whole, set-up times */
  notes: Record<string, unknown>;
}

export const emptyResult = (): EngineResult => ({ metrics: {}, samples: {}, errors: {}, notes: {} });
