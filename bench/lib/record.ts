// What every part's measurement of one engine shares: a result to fill, a
// failure recorded against its metric instead of ending the part, and the
// busybox image every part starts from.
import type { DockerCli } from './docker.ts';
import { emptyResult, type EngineResult, type MetricKey } from './metrics.ts';

export type Log = (line: string) => void;

export const IMAGE = 'busybox:latest';
export const NONE = ['--network', 'none'];

export interface Recorder<K extends MetricKey> {
  r: EngineResult;
  /** Runs fn; a failure is recorded as the metric's error (its first lines) and logged, not thrown. */
  attempt(key: K, fn: () => Promise<void>): Promise<void>;
}

export function recorder<K extends MetricKey>(log: Log): Recorder<K> {
  const r = emptyResult();
  return {
    r,
    attempt: async (key, fn) => {
      try {
        await fn();
      } catch (err) {
        r.errors[key] = (err as Error).message.split('\n').slice(0, 4).join(' | ');
        log(`  ${key}: FAILED ${r.errors[key]}`);
      }
    },
  };
}

/** The engine's version, and busybox imported as IMAGE (the import's time kept as a note). */
export async function importBusybox(cli: DockerCli, r: EngineResult, rootfsTar: Buffer): Promise<void> {
  r.version = await cli.out(['version', '--format', '{{.Server.Version}}']);
  r.notes.importMs = Math.round((await cli.run(['import', '-c', 'CMD ["sh"]', '-', IMAGE], { input: rootfsTar })).ms);
}
