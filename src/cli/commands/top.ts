// berth top CONTAINER [ps OPTIONS].
import { topContainer } from '../../client/containers.ts';
import type { Command } from '../command.ts';
import { tabwrite } from '../tabwriter.ts';

export const top: Command = {
  use: 'CONTAINER [ps OPTIONS]',
  args: { min: 1 },
  interspersed: false,
  flags: [],
  async run(ctx, _flags, [name = '', ...psArgs]) {
    const res = await topContainer(ctx.client, name, psArgs.join(' '));
    const lines = [res.Titles, ...res.Processes].map((cells) => cells.join('\t') + '\n').join('');
    ctx.stdout.write(tabwrite(lines, { minWidth: 20, padding: 3 }));
  },
};
