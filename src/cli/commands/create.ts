// berth create, and the create-with-pull step run shares with it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { ApiError } from '../../client/client.ts';
import { createContainer } from '../../client/containers.ts';
import { normalizeTagged } from '../../image/reference.ts';
import { StatusError, describeError } from '../command.ts';
import type { Command, Context } from '../command.ts';
import { buildContainerOptions, CONTAINER_FLAGS } from '../container-opts.ts';
import type { ContainerOptions } from '../container-opts.ts';
import type { ParsedFlags } from '../flags.ts';
import { BIN } from '../help.ts';
import { isLoopback, parseIp } from '../ipaddr.ts';
import { pullWithProgress } from './pull.ts';

/** docker's withHelp + toStatusError: run/create failures exit 125, or 126/127 when the command cannot run. */
export function runError(err: unknown, command: string): StatusError {
  const msg = describeError(err);
  let code = 125;
  if (/executable file not found|no such file or directory|system cannot find the file specified/.test(msg)) code = 127;
  else if (/permission denied|is a directory/.test(msg)) code = 126;
  return new StatusError(code, `${BIN}: ${msg}\n\nRun '${BIN} ${command} --help' for more information`);
}

/** Flags and arguments to create options; invalid combinations exit 125 like docker's parse(). */
export function parseOptions(ctx: Context, flags: ParsedFlags, args: string[], command: string): ContainerOptions {
  try {
    return buildContainerOptions(flags, args, { readFile: (p) => readFileSync(p, 'utf8'), env: ctx.env, cwd: process.cwd() });
  } catch (e) {
    throw runError(e, command);
  }
}

/** docker's createContainer: pulls when the image is missing (or always), reports warnings, writes --cidfile. */
export async function createWithPull(ctx: Context, opts: ContainerOptions): Promise<string> {
  if (opts.cidfile && existsSync(opts.cidfile)) {
    throw new Error(`container ID file found, make sure the other container isn't running or delete ${opts.cidfile}`);
  }
  const image = opts.body.Image;
  const progress = opts.quiet ? null : ctx.stderr;
  if (opts.pull === 'always') await pullWithProgress(ctx, image, progress, opts.platform);
  const create = (): ReturnType<typeof createContainer> => {
    // docker's API client refuses what API 1.41 cannot carry, when it creates.
    if (opts.body.HostConfig.Mounts?.some((m) => m.BindOptions?.ReadOnlyForceRecursive)) throw new Error('bind-recursive=readonly requires API v1.44 or later');
    return createContainer(ctx.client, opts.body, { name: opts.name, platform: opts.platform });
  };
  let res;
  try {
    res = await create();
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404 && opts.pull === 'missing')) throw e;
    if (!opts.quiet) ctx.stderr.write(`Unable to find image '${normalizeTagged(image)}' locally\n`);
    await pullWithProgress(ctx, image, progress, opts.platform);
    res = await create();
  }
  const warnings = [...(res.Warnings ?? [])];
  const localDns = opts.body.HostConfig.Dns.find((d) => {
    const ip = parseIp(d);
    return ip !== null && isLoopback(ip);
  });
  if (localDns) warnings.push(`Localhost DNS (${localDns}) may fail in containers.`);
  for (const w of warnings) ctx.stderr.write(`WARNING: ${w}\n`);
  if (opts.cidfile) writeFileSync(opts.cidfile, res.Id);
  return res.Id;
}

export const create: Command = {
  use: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  args: { min: 1 },
  interspersed: false,
  flags: CONTAINER_FLAGS,
  async run(ctx, flags, args) {
    const id = await createWithPull(ctx, parseOptions(ctx, flags, args, 'create'));
    ctx.stdout.write(id + '\n');
  },
};
