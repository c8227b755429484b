// The foreground sequence of run and start -a: register the wait, attach,
// start, stream until the container is done, and return its exit code.
import type { Hijacked } from '../client/client.ts';
import { attachContainer, killContainer, resizeContainer, startContainer, waitContainer } from '../client/containers.ts';
import type { WaitCondition } from '../client/containers.ts';
import type { WaitResponse } from '../client/types.ts';
import { describeError } from './command.ts';
import type { Context } from './command.ts';
import { DetachedError, forwardSignals, monitorTtySize, streamHijacked } from './hijack.ts';

export interface SessionOptions {
  id: string;
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  autoRemove: boolean;
  detachKeys: string;
  sigProxy: boolean;
  /** How a failed start is reported (run and start word it differently). */
  startError: (err: unknown) => Error;
}

/** Output that is still in flight when the exit status arrives gets this long to drain. */
const DRAIN_MS = 2000;

/** docker's waitExitOrRemoved: the exit code, or 125 when waiting failed. */
export async function waitStatus(ctx: Context, result: Promise<WaitResponse>): Promise<number> {
  try {
    const r = await result;
    if (r.Error?.Message) {
      ctx.stderr.write(`Error waiting for container: ${r.Error.Message}\n`);
      return 125;
    }
    return r.StatusCode;
  } catch (e) {
    ctx.stderr.write(`error waiting for container: ${describeError(e)}\n`);
    return 125;
  }
}

/** Runs with at least one stream attached. */
export async function attachAndStart(ctx: Context, o: SessionOptions): Promise<number> {
  const condition: WaitCondition = o.autoRemove ? 'removed' : 'next-exit';
  const waiter = await waitContainer(ctx.client, o.id, condition);
  // Only reported when awaited: after a failed start nobody asks.
  waiter.result.catch(() => {});

  const h: Hijacked = await attachContainer(ctx.client, o.id, { stdin: o.stdin, stdout: o.stdout, stderr: o.stderr, detachKeys: o.detachKeys });
  const streaming = streamHijacked(h, {
    tty: o.tty,
    stdin: o.stdin ? ctx.stdin : null,
    stdout: o.stdout ? ctx.stdout : null,
    // With a TTY the container's stderr is already merged into its stdout.
    stderr: o.stderr ? (o.tty ? ctx.stdout : ctx.stderr) : null,
    detachKeys: o.detachKeys,
  });
  const stopForwarding = o.sigProxy && !o.tty ? forwardSignals((sig) => killContainer(ctx.client, o.id, sig)) : () => {};
  try {
    try {
      await startContainer(ctx.client, o.id);
    } catch (e) {
      h.close();
      await streaming.catch(() => {});
      if (o.autoRemove) await waiter.result.catch(() => {});
      throw o.startError(e);
    }
    if (o.tty) monitorTtySize(ctx.stdout, (rows, cols) => resizeContainer(ctx.client, o.id, rows, cols));

    const status = waitStatus(ctx, waiter.result);
    const first = await Promise.race([
      streaming.then(
        () => ({ streamDone: true as const }),
        (err: unknown) => ({ streamDone: true as const, err }),
      ),
      status.then((code) => ({ streamDone: false as const, code })),
    ]);
    if (first.streamDone) {
      if ('err' in first) {
        if (first.err instanceof DetachedError) return 0;
        throw first.err;
      }
      return await status;
    }
    // The container is done; let the last of its output arrive.
    const drained = await Promise.race([streaming.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), DRAIN_MS).unref())]);
    if (!drained) h.close();
    return first.code;
  } finally {
    stopForwarding();
  }
}
