// berth rmi / image rm.
import { ApiError } from '../../client/client.ts';
import { removeImage } from '../../client/images.ts';
import { joinErrors } from '../command.ts';
import type { Command } from '../command.ts';

export const rmi: Command = {
  use: '[OPTIONS] IMAGE [IMAGE...]',
  args: { min: 1 },
  flags: [
    { name: 'force', short: 'f', kind: 'bool', usage: 'Force removal of the image' },
    { name: 'no-prune', kind: 'bool', usage: 'Do not delete untagged parents' },
    { name: 'platform', kind: 'list', type: 'strings', usage: 'Remove only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")' },
  ],
  async run(ctx, flags, names) {
    const force = flags.bool('force');
    const errors: unknown[] = [];
    let fatal = false;
    for (const name of names) {
      try {
        for (const d of await removeImage(ctx.client, name, { force, noprune: flags.bool('no-prune') })) {
          ctx.stdout.write(d.Deleted ? `Deleted: ${d.Deleted}\n` : `Untagged: ${d.Untagged}\n`);
        }
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404)) fatal = true;
        errors.push(e);
      }
    }
    const err = joinErrors(errors);
    if (!err) return;
    // With -f, images that do not exist are reported without failing.
    if (!force || fatal) throw err;
    ctx.stderr.write(err.message + '\n');
  },
};
