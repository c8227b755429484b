// The results side by side: a table for people, JSON for tools and history.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { run } from './proc.ts';
import { BUILD_METRICS, FS_METRICS, METRICS, NET_METRICS, type EngineResult, type MetricDef, type Peer, type Plan } from './metrics.ts';

export interface BenchResults {
  date: string;
  machine: { cpus: number; cpuModel: string; memGiB: number; kernel: string };
  /** berth's revision; "dirty" when src/ had uncommitted changes, which the figures then include */
  source: string;
  /** 1-minute load average before and after: other work on the machine makes every figure noisier */
  loadAvg: { start: number; end?: number };
  plan: Plan;
  engines: Partial<Record<Peer, EngineResult>>;
  /** the bridge-networking half: berth and moby, each restarted with a bridge of its own */
  network: {
    engines: Partial<Record<Peer, EngineResult>>;
    /** whether the host's iptables rules and links were the same after the bench as before it, and the difference if not */
    hostRestored?: boolean;
    hostDiff?: string;
  };
  /** the filesystem part: copy-up into a volume, docker cp both ways, commit */
  fs: { engines: Partial<Record<Peer, EngineResult>> };
  /** the builder part: a fixed multi-stage build, cold, fully cached, one file changed */
  build: { engines: Partial<Record<Peer, EngineResult>> };
  runcFloor: { run?: number; samples?: number[]; version?: string; error?: string };
  durationS?: number;
}

export interface SummaryRow {
  key: string;
  label: string;
  unit: MetricDef['unit'];
  berth?: number;
  moby?: number;
  podman?: number;
  runc?: number;
  berthOverMoby?: number;
  berthOverPodman?: number;
  higherIsBetter?: boolean;
  target?: { peer: Exclude<Peer, 'berth'>; ratio: number };
  verdict: 'PASS' | 'MISS' | 'n/a';
}

export function machine(): BenchResults['machine'] {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memGiB: Math.round(totalmem() / 2 ** 30), kernel: release() };
}

export const load1 = (): number => Math.round(loadavg()[0]! * 100) / 100;

export async function sourceRevision(): Promise<string> {
  const root = new URL('../..', import.meta.url).pathname;
  const head = await run('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { allowFail: true });
  if (head.code !== 0) return 'unknown';
  const dirty = (await run('git', ['-C', root, 'status', '--porcelain', '--', 'src', 'bin'], { allowFail: true })).stdout.trim() !== '';
  return head.stdout.trim() + (dirty ? '-dirty' : '');
}

/** One row per metric: each engine's figure, berth's ratios to its peers, and the verdict on the target. */
export function summarize(defs: MetricDef[], engines: BenchResults['engines'], plan: Plan, floor?: number): SummaryRow[] {
  return defs.map((m) => {
    const v = (p: Peer): number | undefined => engines[p]?.metrics[m.key];
    const ratio = (peer: Peer): number | undefined => {
      const b = v('berth');
      const o = v(peer);
      return b !== undefined && o ? b / o : undefined;
    };
    const targetRatio = m.target && ratio(m.target.peer);
    const met = (x: number, t: number): boolean => (m.higherIsBetter ? x >= t : x <= t);
    return {
      key: m.key,
      label: m.label(plan),
      unit: m.unit,
      berth: v('berth'),
      moby: v('moby'),
      podman: v('podman'),
      runc: m.floor ? floor : undefined,
      berthOverMoby: ratio('moby'),
      berthOverPodman: ratio('podman'),
      higherIsBetter: m.higherIsBetter,
      target: m.target,
      verdict: !m.target || targetRatio === undefined ? 'n/a' : met(targetRatio, m.target.ratio) ? 'PASS' : 'MISS',
    };
  });
}

function fmt(x: number | undefined, unit: MetricDef['unit']): string {
  if (x === undefined) return '—';
  if (unit === 'ms') return `${x.toFixed(0)} ms`;
  if (unit === 's') return `${(x / 1000).toFixed(2)} s`;
  if (unit === 'MB/s') return `${(x / 1e6).toFixed(0)} MB/s`;
  return `${(x / 2 ** 20).toFixed(1)} MB`;
}

/** Two decimals, or three where two would round a MISS onto its target (0.7504 → "0.750×", not "0.75×"). */
function fmtRatio(x: number | undefined, target: number): string {
  if (x === undefined) return '—';
  const two = x.toFixed(2);
  return `${Number(two) === target && x !== target ? x.toFixed(3) : two}×`;
}

type Column = 'berth' | 'moby' | 'podman' | 'runc';

/** The rows as a table with a column per engine in `columns`, a ratio column per peer among them, the target and verdict. */
export function table(rows: SummaryRow[], columns: Column[] = ['berth', 'moby', 'podman', 'runc']): string {
  const peers = (['moby', 'podman'] as const).filter((p) => columns.includes(p));
  const head = ['metric', ...columns.map((c) => (c === 'runc' ? 'runc floor' : c)), ...peers.map((p) => `berth/${p}`), 'target', ''];
  const body = rows.map((r) => {
    const ratioFor = (peer: 'moby' | 'podman'): string =>
      fmtRatio(peer === 'moby' ? r.berthOverMoby : r.berthOverPodman, r.target?.peer === peer ? r.target.ratio : NaN);
    const target = r.target ? `${r.higherIsBetter ? '≥' : '≤'} ${r.target.ratio}× ${r.target.peer}` : '';
    return [r.label, ...columns.map((c) => fmt(r[c], r.unit)), ...peers.map(ratioFor), target, r.target ? r.verdict : ''];
  });
  const firstText = 1 + columns.length + peers.length;
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  // Numbers right-aligned so magnitudes line up; names left-aligned.
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 || i >= firstText ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function writeJson(path: string, res: BenchResults): void {
  mkdirSync(dirname(path), { recursive: true });
  const summary = summarize(METRICS, res.engines, res.plan, res.runcFloor.run);
  const networkSummary = summarize(NET_METRICS, res.network.engines, res.plan);
  const fsSummary = summarize(FS_METRICS, res.fs.engines, res.plan);
  const buildSummary = summarize(BUILD_METRICS, res.build.engines, res.plan);
  writeFileSync(path, JSON.stringify({ ...res, summary, networkSummary, fsSummary, buildSummary }, null, 2) + '\n');
}
