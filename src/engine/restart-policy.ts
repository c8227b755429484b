// Docker's restart decisions and back-off: the delay starts at 100 ms and
// doubles on each quick failure, back to 100 ms after a run of 10 s or more.
import type { RestartPolicy } from './types.ts';

export function shouldRestart(policy: RestartPolicy | undefined, exitCode: number, restartCount: number, manuallyStopped: boolean): boolean {
  if (manuallyStopped) return false;
  switch (policy?.Name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return exitCode !== 0 && (!policy.MaximumRetryCount || restartCount < policy.MaximumRetryCount);
    default:
      return false;
  }
}

const BASE_MS = 100;
const MAX_MS = 60_000;

export function nextDelay(previousMs: number, ranForMs: number): number {
  if (ranForMs >= 10_000 || previousMs === 0) return BASE_MS;
  return Math.min(previousMs * 2, MAX_MS);
}

/** Whether a container should come back up when the daemon starts. */
export function restartsOnBoot(policy: RestartPolicy | undefined, manuallyStopped: boolean): boolean {
  return policy?.Name === 'always' || (policy?.Name === 'unless-stopped' && !manuallyStopped);
}
