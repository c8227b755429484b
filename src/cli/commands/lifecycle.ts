// Commands that apply one operation to each named container and print the
// names that succeeded: stop, restart, kill, rm, pause, unpause, plus wait
// and rename.
import { ApiError } from '../../client/client.ts';
import {
  killContainer, pauseContainer, removeContainer, renameContainer, restartContainer, stopContainer, unpauseContainer, waitContainer,
} from '../../client/containers.ts';
import { describeError, joinErrors } from '../command.ts';
import type { Command, Context } from '../command.ts';
import type { FlagSpec, ParsedFlags } from '../flags.ts';

/**
 * docker's parallelOperation: operations run concurrently, results are
 * reported in argument order, and failures end the command together.
 */
async function forEach(ctx: Context, names: string[], op: (name: string) => Promise<unknown>, opts: { sequential?: boolean; ignore?: (e: unknown) => boolean } = {}): Promise<void> {
  const results: PromiseSettledResult<unknown>[] = [];
  if (opts.sequential) {
    for (const n of names) results.push(await op(n).then((value) => ({ status: 'fulfilled' as const, value }), (reason: unknown) => ({ status: 'rejected' as const, reason })));
  } else {
    results.push(...(await Promise.allSettled(names.map(op))));
  }
  const errors: unknown[] = [];
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') ctx.stdout.write(names[i] + '\n');
    else if (opts.ignore?.(r.reason)) ctx.stderr.write(describeError(r.reason) + '\n');
    else errors.push(r.reason);
  });
  const err = joinErrors(errors);
  if (err) throw err;
}

const STOP_FLAGS: FlagSpec[] = [
  { name: 'signal', short: 's', kind: 'string', usage: 'Signal to send to the container' },
  { name: 'timeout', short: 't', kind: 'int', usage: 'Seconds to wait before killing the container' },
  { name: 'time', kind: 'int', usage: 'Seconds to wait before killing the container (deprecated: use --timeout)', hidden: true, deprecated: 'use --timeout instead' },
];

function stopOptions(flags: ParsedFlags): { timeout?: number; signal: string } {
  const timeout = flags.changed('timeout') ? flags.int('timeout') : flags.changed('time') ? flags.int('time') : undefined;
  return { timeout, signal: flags.string('signal') };
}

export const stop: Command = {
  use: '[OPTIONS] CONTAINER [CONTAINER...]',
  args: { min: 1 },
  flags: STOP_FLAGS,
  run: (ctx, flags, names) => forEach(ctx, names, (n) => stopContainer(ctx.client, n, stopOptions(flags))),
};

export const restart: Command = {
  use: '[OPTIONS] CONTAINER [CONTAINER...]',
  args: { min: 1 },
  flags: STOP_FLAGS,
  run: (ctx, flags, names) => forEach(ctx, names, (n) => restartContainer(ctx.client, n, stopOptions(flags)), { sequential: true }),
};

export const kill: Command = {
  use: '[OPTIONS] CONTAINER [CONTAINER...]',
  args: { min: 1 },
  flags: [{ name: 'signal', short: 's', kind: 'string', usage: 'Signal to send to the container' }],
  run: (ctx, flags, names) => forEach(ctx, names, (n) => killContainer(ctx.client, n, flags.string('signal'))),
};

export const rm: Command = {
  use: '[OPTIONS] CONTAINER [CONTAINER...]',
  args: { min: 1 },
  flags: [
    { name: 'force', short: 'f', kind: 'bool', usage: 'Force the removal of a running container (uses SIGKILL)' },
    { name: 'link', short: 'l', kind: 'bool', usage: 'Remove the specified link' },
    { name: 'volumes', short: 'v', kind: 'bool', usage: 'Remove anonymous volumes associated with the container' },
  ],
  run: (ctx, flags, names) =>
    forEach(
      ctx,
      names,
      async (n) => {
        const name = n.replace(/^\/+|\/+$/g, '');
        if (name === '') throw new Error('container name cannot be empty');
        await removeContainer(ctx.client, name, { force: flags.bool('force'), volumes: flags.bool('volumes'), link: flags.bool('link') });
      },
      // With -f, containers that are already gone are reported but do not fail the command.
      { ignore: (e) => flags.bool('force') && e instanceof ApiError && e.status === 404 },
    ),
};

export const pause: Command = {
  use: 'CONTAINER [CONTAINER...]',
  args: { min: 1 },
  flags: [],
  run: (ctx, _flags, names) => forEach(ctx, names, (n) => pauseContainer(ctx.client, n)),
};

export const unpause: Command = {
  use: 'CONTAINER [CONTAINER...]',
  args: { min: 1 },
  flags: [],
  run: (ctx, _flags, names) => forEach(ctx, names, (n) => unpauseContainer(ctx.client, n)),
};

export const wait: Command = {
  use: 'CONTAINER [CONTAINER...]',
  args: { min: 1 },
  flags: [],
  async run(ctx, _flags, names) {
    const errors: unknown[] = [];
    for (const n of names) {
      try {
        const res = await (await waitContainer(ctx.client, n)).result;
        ctx.stdout.write(`${res.StatusCode}\n`);
      } catch (e) {
        errors.push(e);
      }
    }
    const err = joinErrors(errors);
    if (err) throw err;
  },
};

export const rename: Command = {
  use: 'CONTAINER NEW_NAME',
  args: { min: 2, max: 2 },
  flags: [],
  async run(ctx, _flags, [oldName = '', newName = '']) {
    const from = oldName.trim();
    const to = newName.trim();
    if (!from || !to) throw new Error('Error: Neither old nor new names may be empty');
    try {
      await renameContainer(ctx.client, from, to);
    } catch (e) {
      ctx.stderr.write(describeError(e) + '\n');
      throw new Error(`Error: failed to rename container named ${from}`);
    }
  },
};
