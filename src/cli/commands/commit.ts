// berth commit / container commit: a new image from a container's changes.
import { commitContainer } from '../../client/container-fs.ts';
import { parseReference } from '../../image/reference.ts';
import type { Command } from '../command.ts';
import { CHANGE_FLAG } from './load.ts';

export const commit: Command = {
  use: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  args: { min: 1, max: 2 },
  flags: [
    { name: 'author', short: 'a', kind: 'string', usage: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
    CHANGE_FLAG,
    { name: 'message', short: 'm', kind: 'string', usage: 'Commit message' },
    { name: 'pause', short: 'p', kind: 'bool', usage: 'Pause container during commit', default: true },
  ],
  async run(ctx, flags, [name = '', reference]) {
    let ref;
    if (reference) {
      const parsed = parseReference(reference);
      if (parsed.digest) throw new Error('refusing to create a tag with a digest reference');
      // As docker's client: a reference without a tag means latest.
      ref = { repo: parsed.repo, tag: parsed.tag ?? 'latest' };
    }
    const id = await commitContainer(ctx.client, name, {
      reference: ref,
      comment: flags.string('message'),
      author: flags.string('author'),
      changes: flags.list('change'),
      pause: flags.bool('pause'),
    });
    ctx.stdout.write(`${id}\n`);
  },
};
