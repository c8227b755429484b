// berth save and export: a tar archive from the daemon, to a file (-o) or stdout.
import { createWriteStream, existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { exportContainer } from '../../client/containers.ts';
import { saveImages } from '../../client/images.ts';
import type { Command, Context } from '../command.ts';

const OUTPUT = { name: 'output', short: 'o', kind: 'string', usage: 'Write to a file, instead of STDOUT' } as const;

/** Refuses a terminal, checks -o's directory, then streams; files appear whole or not at all. */
async function writeArchive(ctx: Context, output: string, what: string, open: () => Promise<IncomingMessage>): Promise<void> {
  if (!output && ctx.stdout.isTTY) throw new Error('cowardly refusing to save to a terminal. Use the -o flag or redirect');
  if (output && !existsSync(dirname(output))) throw new Error(`failed to ${what}: invalid output path: directory ${JSON.stringify(dirname(output))} does not exist`);
  const res = await open();
  if (!output) {
    await pipeline(res, ctx.stdout, { end: false });
    return;
  }
  const tmp = join(dirname(output), `.${basename(output)}.tmp-${process.pid}`);
  try {
    await pipeline(res, createWriteStream(tmp));
    renameSync(tmp, output);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export const save: Command = {
  use: '[OPTIONS] IMAGE [IMAGE...]',
  args: { min: 1 },
  flags: [OUTPUT, { name: 'platform', kind: 'string', usage: 'Save only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")' }],
  run: (ctx, flags, names) => writeArchive(ctx, flags.string('output'), 'save image', () => saveImages(ctx.client, names)),
};

export const exportContainerCommand: Command = {
  use: '[OPTIONS] CONTAINER',
  args: { min: 1, max: 1 },
  flags: [OUTPUT],
  run: (ctx, flags, [name = '']) => writeArchive(ctx, flags.string('output'), 'export container', () => exportContainer(ctx.client, name)),
};
