// berth start: start containers, or with -a/-i attach to one and exit with its code.
import { inspectContainer, startContainer } from '../../client/containers.ts';
import { describeError } from '../command.ts';
import type { Command } from '../command.ts';
import { attachAndStart } from '../session.ts';

export const start: Command = {
  use: '[OPTIONS] CONTAINER [CONTAINER...]',
  args: { min: 1 },
  flags: [
    { name: 'attach', short: 'a', kind: 'bool', usage: 'Attach STDOUT/STDERR and forward signals' },
    { name: 'detach-keys', kind: 'string', usage: 'Override the key sequence for detaching a container' },
    { name: 'interactive', short: 'i', kind: 'bool', usage: "Attach container's STDIN" },
  ],
  async run(ctx, flags, names) {
    if (flags.bool('attach') || flags.bool('interactive')) {
      if (names.length > 1) throw new Error('you cannot start and attach multiple containers at once');
      const { value: c } = await inspectContainer(ctx.client, names[0]!);
      return attachAndStart(ctx, {
        id: c.Id,
        tty: Boolean(c.Config.Tty),
        stdin: flags.bool('interactive') && Boolean(c.Config.OpenStdin),
        stdout: true,
        stderr: true,
        autoRemove: Boolean(c.HostConfig.AutoRemove),
        detachKeys: flags.string('detach-keys'),
        sigProxy: true,
        startError: (e) => (e instanceof Error ? e : new Error(String(e))),
      });
    }
    const failed: string[] = [];
    for (const n of names) {
      try {
        await startContainer(ctx.client, n);
        ctx.stdout.write(n + '\n');
      } catch (e) {
        ctx.stderr.write(describeError(e) + '\n');
        failed.push(n);
      }
    }
    if (failed.length) throw new Error(`Error: failed to start containers: ${failed.join(', ')}`);
  },
};
