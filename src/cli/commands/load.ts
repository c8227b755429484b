// berth load and import: a tar archive up to the daemon, its progress back.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { importImage, loadImages } from '../../client/images.ts';
import { parseReference } from '../../image/reference.ts';
import type { Command, Context } from '../command.ts';
import { displayJsonMessages } from '../jsonmessage.ts';
import { fullyQualified } from './pull.ts';

/** Opens a file for upload, failing early with Go's wording when it is missing. */
async function openFile(path: string): Promise<Readable> {
  const stream = createReadStream(path);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? new Error(`open ${path}: no such file or directory`) : e));
  });
  return stream;
}

function show(ctx: Context, res: Readable): Promise<void> {
  return displayJsonMessages(res, ctx.stdout, { tty: Boolean(ctx.stdout.isTTY), width: ctx.stdout.columns });
}

export const load: Command = {
  use: '[OPTIONS]',
  args: { max: 0 },
  flags: [
    { name: 'input', short: 'i', kind: 'string', usage: 'Read from tar archive file, instead of STDIN' },
    { name: 'platform', kind: 'string', usage: 'Load only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")' },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Suppress the load output' },
  ],
  async run(ctx, flags) {
    const file = flags.string('input');
    if (!file && ctx.stdin.isTTY) throw new Error('requested load from stdin, but stdin is empty');
    const input = file ? await openFile(file) : ctx.stdin;
    // Progress bars only make sense on a terminal; elsewhere the daemon is asked for the summary only.
    const quiet = flags.bool('quiet') || !ctx.stdout.isTTY;
    await show(ctx, await loadImages(ctx.client, input, quiet));
  },
};

/** import's and commit's -c. */
export const CHANGE_FLAG = { name: 'change', short: 'c', kind: 'list', usage: 'Apply Dockerfile instruction to the created image' } as const;

export const importImageCommand: Command = {
  use: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
  args: { min: 1, max: 2 },
  flags: [
    CHANGE_FLAG,
    { name: 'message', short: 'm', kind: 'string', usage: 'Set commit message for imported image' },
    { name: 'platform', kind: 'string', usage: 'Set platform if server is multi-platform capable' },
  ],
  async run(ctx, flags, [source = '', reference]) {
    let repo = '';
    let tag = '';
    if (reference) {
      const ref = parseReference(reference);
      if (ref.digest) throw new Error('import reference cannot contain a digest');
      repo = fullyQualified(ref.repo);
      tag = ref.tag ?? '';
    }
    const remote = /^https?:\/\//.test(source);
    const input = source === '-' ? ctx.stdin : remote ? undefined : await openFile(source);
    const res = await importImage(ctx.client, {
      source: remote ? source : '-',
      input,
      repo,
      tag,
      message: flags.string('message'),
      changes: flags.list('change'),
      platform: flags.string('platform'),
    });
    await show(ctx, res);
  },
};
