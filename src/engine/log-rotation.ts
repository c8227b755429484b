// Bounded logs: when a container's log reaches max-size it becomes log.1
// (log.1 becomes log.2, …, up to max-file files) and conmon is told through
// its control FIFO to reopen the log. Unbounded logs filling disks is the
// complaint this answers, so a bound is on by default.
import { open, rename, rm, stat } from 'node:fs/promises';
import { constants } from 'node:fs';

export interface LogLimits {
  maxSize: number;
  maxFile: number;
}

export const DEFAULT_LOG_LIMITS: LogLimits = { maxSize: 20 * 1024 * 1024, maxFile: 5 };

/**
 * conmon's own limit truncates the log (it counts bytes since its last
 * truncation, not since a reopen, so it cannot serve as a backstop beside
 * rotation). With rotation conmon gets no limit, and a file can overshoot
 * max-size by what the container writes between two checks.
 */
export function conmonSizeLimit(l: LogLimits): number {
  return l.maxFile > 1 ? -1 : l.maxSize;
}

/** Rotates `path` if it has reached the limit; returns whether it did. */
export async function rotateIfFull(path: string, ctlFifo: string, l: LogLimits): Promise<boolean> {
  if (l.maxFile <= 1) return false;
  const size = await stat(path).then((s) => s.size, () => 0);
  if (size < l.maxSize) return false;
  await rm(`${path}.${l.maxFile - 1}`, { force: true });
  for (let i = l.maxFile - 2; i >= 1; i--) await rename(`${path}.${i}`, `${path}.${i + 1}`).catch(() => {});
  await rename(path, `${path}.1`);
  // Message type 2 asks conmon to reopen its log files.
  await conmonControl(ctlFifo, '2 0 0');
  return true;
}

/** Sends one message to conmon's control FIFO ("<type> <height> <width>"); a gone conmon is no error. */
export async function conmonControl(ctlFifo: string, message: string): Promise<void> {
  const fh = await open(ctlFifo, constants.O_WRONLY | constants.O_NONBLOCK).catch(() => undefined);
  if (!fh) return;
  await fh.write(`${message}\n`).catch(() => {});
  await fh.close();
}
