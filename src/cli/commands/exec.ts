// berth exec: run a command in a running container; exits with its code.
import { readFileSync } from 'node:fs';
import { ConnectionError } from '../../client/client.ts';
import { execAttach, execCreate, execInspect, execResize, execStartDetached, inspectContainer } from '../../client/containers.ts';
import { StatusError } from '../command.ts';
import type { Command } from '../command.ts';
import { monitorTtySize, streamHijacked } from '../hijack.ts';
import { readKvFiles, resolveEnv, validateEnv } from '../kvfile.ts';

export const exec: Command = {
  use: '[OPTIONS] CONTAINER COMMAND [ARG...]',
  args: { min: 2 },
  interspersed: false,
  flags: [
    { name: 'detach', short: 'd', kind: 'bool', usage: 'Detached mode: run command in the background' },
    { name: 'detach-keys', kind: 'string', usage: 'Override the key sequence for detaching a container' },
    { name: 'env', short: 'e', kind: 'list', usage: 'Set environment variables', validate: validateEnv },
    { name: 'env-file', kind: 'list', usage: 'Read in a file of environment variables' },
    { name: 'interactive', short: 'i', kind: 'bool', usage: 'Keep STDIN open even if not attached' },
    { name: 'privileged', kind: 'bool', usage: 'Give extended privileges to the command' },
    { name: 'tty', short: 't', kind: 'bool', usage: 'Allocate a pseudo-TTY' },
    { name: 'user', short: 'u', kind: 'string', usage: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
    { name: 'workdir', short: 'w', kind: 'string', usage: 'Working directory inside the container' },
  ],
  async run(ctx, flags, [name = '', ...cmd]) {
    const detach = flags.bool('detach');
    const tty = flags.bool('tty');
    const env = readKvFiles(flags.list('env-file'), flags.list('env').map((e) => resolveEnv(e, ctx.env)), (f) => readFileSync(f, 'utf8'), (k) => ctx.env[k]);
    const attachStdin = !detach && flags.bool('interactive');
    // Inspect first so that "no such container" wins over other complaints.
    await inspectContainer(ctx.client, name);
    if (!detach && tty && attachStdin && !ctx.stdin.isTTY) throw new Error('the input device is not a TTY');
    const consoleSize: [number, number] | undefined = tty && ctx.stdout.rows && ctx.stdout.columns ? [ctx.stdout.rows, ctx.stdout.columns] : undefined;
    const { Id: execId } = await execCreate(ctx.client, name, {
      AttachStdin: attachStdin,
      AttachStdout: !detach,
      AttachStderr: !detach,
      Tty: tty,
      Env: env.length ? env : null,
      Cmd: cmd,
      User: flags.string('user'),
      WorkingDir: flags.string('workdir'),
      Privileged: flags.bool('privileged'),
      DetachKeys: flags.string('detach-keys'),
      ConsoleSize: consoleSize ?? null,
    });
    if (!execId) throw new Error('exec ID empty');
    if (detach) return execStartDetached(ctx.client, execId, tty);
    const h = await execAttach(ctx.client, execId, tty, consoleSize);
    if (tty && ctx.stdin.isTTY) monitorTtySize(ctx.stdout, (rows, cols) => execResize(ctx.client, execId, rows, cols));
    await streamHijacked(h, {
      tty,
      stdin: attachStdin ? ctx.stdin : null,
      stdout: ctx.stdout,
      stderr: tty ? ctx.stdout : ctx.stderr,
      detachKeys: flags.string('detach-keys'),
    });
    try {
      return (await execInspect(ctx.client, execId)).ExitCode ?? 0;
    } catch (e) {
      // The daemon went away: docker exits with -1.
      if (e instanceof ConnectionError) throw new StatusError(255);
      throw e;
    }
  },
};
