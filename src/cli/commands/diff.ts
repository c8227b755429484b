// berth diff / container diff: what changed in a container's filesystem.
import { containerChanges } from '../../client/container-fs.ts';
import type { Command } from '../command.ts';

const KIND = ['C', 'A', 'D'] as const;

export const diff: Command = {
  use: 'CONTAINER',
  args: { min: 1, max: 1 },
  flags: [],
  async run(ctx, _flags, [name = '']) {
    const changes = await containerChanges(ctx.client, name);
    ctx.stdout.write(changes.map((c) => `${KIND[c.Kind]} ${c.Path}\n`).join(''));
  },
};
