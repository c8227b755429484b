// berth run: create, then either print the ID (-d) or attach, start and
// exit with the container's exit code.
import { startContainer } from '../../client/containers.ts';
import type { Command } from '../command.ts';
import { CONTAINER_FLAGS } from '../container-opts.ts';
import { attachAndStart } from '../session.ts';
import { createWithPull, parseOptions, runError } from './create.ts';

export const run: Command = {
  use: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  args: { min: 1 },
  interspersed: false,
  flags: [
    ...CONTAINER_FLAGS,
    { name: 'detach', short: 'd', kind: 'bool', usage: 'Run container in background and print container ID' },
    { name: 'detach-keys', kind: 'string', usage: 'Override the key sequence for detaching a container' },
    { name: 'sig-proxy', kind: 'bool', usage: 'Proxy received signals to the process', default: true },
  ],
  async run(ctx, flags, args) {
    const opts = parseOptions(ctx, flags, args, 'run');
    const body = opts.body;
    const detach = flags.bool('detach');
    if (detach) {
      if (flags.list('attach').length) throw new Error('conflicting options: cannot specify both --attach and --detach');
      body.AttachStdin = body.AttachStdout = body.AttachStderr = body.StdinOnce = false;
    } else if (body.Tty && body.AttachStdin && !ctx.stdin.isTTY) {
      throw new Error('the input device is not a TTY');
    }
    let id: string;
    try {
      id = await createWithPull(ctx, opts);
    } catch (e) {
      throw runError(e, 'run');
    }
    if (detach) {
      ctx.stdout.write(id + '\n');
      try {
        await startContainer(ctx.client, id);
      } catch (e) {
        throw runError(e, 'run');
      }
      return 0;
    }
    return attachAndStart(ctx, {
      id,
      tty: body.Tty,
      stdin: body.AttachStdin,
      stdout: body.AttachStdout,
      stderr: body.AttachStderr,
      autoRemove: body.HostConfig.AutoRemove,
      detachKeys: flags.string('detach-keys'),
      sigProxy: flags.bool('sig-proxy'),
      startError: (e) => runError(e, 'run'),
    });
  },
};
