// berth attach: connect local stdio to a running container until it exits.
import { attachContainer, inspectContainer, killContainer, resizeContainer, waitContainer } from '../../client/containers.ts';
import type { Command, Context } from '../command.ts';
import { DetachedError, forwardSignals, monitorTtySize, streamHijacked } from '../hijack.ts';
import { waitStatus } from '../session.ts';

async function runningContainer(ctx: Context, name: string): Promise<Awaited<ReturnType<typeof inspectContainer>>['value']> {
  const { value: c } = await inspectContainer(ctx.client, name);
  if (!c.State.Running) throw new Error('You cannot attach to a stopped container, start it first');
  if (c.State.Paused) throw new Error('You cannot attach to a paused container, unpause it first');
  if (c.State.Restarting) throw new Error('You cannot attach to a restarting container, wait until it is running');
  return c;
}

export const attach: Command = {
  use: '[OPTIONS] CONTAINER',
  args: { min: 1, max: 1 },
  flags: [
    { name: 'detach-keys', kind: 'string', usage: 'Override the key sequence for detaching a container' },
    { name: 'no-stdin', kind: 'bool', usage: 'Do not attach STDIN' },
    { name: 'sig-proxy', kind: 'bool', usage: 'Proxy all received signals to the process', default: true },
  ],
  async run(ctx, flags, [name = '']) {
    const waiter = await waitContainer(ctx.client, name);
    const c = await runningContainer(ctx, name);
    const tty = Boolean(c.Config.Tty);
    if (!flags.bool('no-stdin') && tty && !ctx.stdin.isTTY) throw new Error('the input device is not a TTY');
    const stdin = !flags.bool('no-stdin') && Boolean(c.Config.OpenStdin);
    const stopForwarding = flags.bool('sig-proxy') && !tty ? forwardSignals((sig) => killContainer(ctx.client, c.Id, sig)) : () => {};
    try {
      const h = await attachContainer(ctx.client, name, { stdin, stdout: true, stderr: true, detachKeys: flags.string('detach-keys') });
      // It may have stopped between the check and the attach; do not hang on a dead container.
      await runningContainer(ctx, name);
      if (tty) monitorTtySize(ctx.stdout, (rows, cols) => resizeContainer(ctx.client, c.Id, rows, cols));
      try {
        await streamHijacked(h, { tty, stdin: stdin ? ctx.stdin : null, stdout: ctx.stdout, stderr: tty ? ctx.stdout : ctx.stderr, detachKeys: flags.string('detach-keys') });
      } catch (e) {
        if (e instanceof DetachedError) return 0;
        throw e;
      }
      return await waitStatus(ctx, waiter.result);
    } finally {
      stopForwarding();
    }
  },
};
