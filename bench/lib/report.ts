// The results side by side: a table for people, JSON for tools and history.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { run } from './proc.ts';
import { METRICS, type EngineResult, type MetricDef, type Peer, type Plan } from './metrics.ts';

export interface BenchResults {
  date: string;
  machine: { cpus: number; cpuModel: string; memGiB: number; kernel: string };
  /** berth's revision; "dirty" when src/ had uncommitted changes, which the figures then include */
  source: string;
  /** 1-minute load average before and after: other work on the machine makes every figure noisier */
  loadAvg: { start: number; end?: number };
  plan: Plan;
  engines: Partial<Record<Peer, EngineResult>>;
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
  target: { peer: Exclude<Peer, 'berth'>; ratio: number };
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

export function summarize(res: BenchResults): SummaryRow[] {
  return METRICS.map((m) => {
    const v = (p: Peer): number | undefined => res.engines[p]?.metrics[m.key];
    const ratio = (peer: Peer): number | undefined => {
      const b = v('berth');
      const o = v(peer);
      return b !== undefined && o ? b / o : undefined;
    };
    const targetRatio = ratio(m.target.peer);
    return {
      key: m.key,
      label: m.label(res.plan),
      unit: m.unit,
      berth: v('berth'),
      moby: v('moby'),
      podman: v('podman'),
      runc: m.floor ? res.runcFloor.run : undefined,
      berthOverMoby: ratio('moby'),
      berthOverPodman: ratio('podman'),
      target: m.target,
      verdict: targetRatio === undefined ? 'n/a' : targetRatio <= m.target.ratio ? 'PASS' : 'MISS',
    };
  });
}

function fmt(x: number | undefined, unit: MetricDef['unit']): string {
  if (x === undefined) return '—';
  if (unit === 'ms') return `${x.toFixed(0)} ms`;
  if (unit === 's') return `${(x / 1000).toFixed(2)} s`;
  return `${(x / 2 ** 20).toFixed(1)} MB`;
}

/** Two decimals, or three where two would round a MISS onto its target (0.7504 → "0.750×", not "0.75×"). */
function fmtRatio(x: number | undefined, target: number): string {
  if (x === undefined) return '—';
  const two = x.toFixed(2);
  return `${Number(two) === target && x !== target ? x.toFixed(3) : two}×`;
}

export function table(rows: SummaryRow[]): string {
  const head = ['metric', 'berth', 'moby', 'podman', 'runc floor', 'berth/moby', 'berth/podman', 'target', ''];
  const body = rows.map((r) => {
    const ratioFor = (peer: Peer, x: number | undefined): string => fmtRatio(x, r.target.peer === peer ? r.target.ratio : NaN);
    return [r.label, fmt(r.berth, r.unit), fmt(r.moby, r.unit), fmt(r.podman, r.unit), fmt(r.runc, r.unit),
      ratioFor('moby', r.berthOverMoby), ratioFor('podman', r.berthOverPodman), `≤ ${r.target.ratio}× ${r.target.peer}`, r.verdict];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  // Numbers right-aligned so magnitudes line up; names left-aligned.
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 || i >= 7 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function writeJson(path: string, res: BenchResults): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify({ ...res, summary: summarize(res) }, null, 2) + '\n');
}
