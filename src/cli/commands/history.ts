// berth history: an image's layers, newest first.
import { imageHistory } from '../../client/images.ts';
import type { HistoryItem } from '../../client/types.ts';
import type { Command } from '../command.ts';
import { truncateId } from '../context-container.ts';
import { FORMAT_HELP } from '../format-help.ts';
import { renderItems, TABLE } from '../formatter.ts';
import { ellipsis } from '../tabwriter.ts';
import { GO_TYPE } from '../template.ts';
import { rfc3339Local } from '../timeparse.ts';
import { humanSize, timeAgo } from '../units.ts';

const HEADERS: Record<string, string> = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};

function historyContext(h: HistoryItem, trunc: boolean, human: boolean): object {
  const createdAt = (): string => rfc3339Local(h.Created);
  return {
    [GO_TYPE]: '*formatter.historyContext',
    ID: () => (trunc ? truncateId(h.Id) : h.Id),
    CreatedAt: createdAt,
    CreatedSince: () => (human ? timeAgo(h.Created) : createdAt()),
    CreatedBy: () => {
      const by = h.CreatedBy.replaceAll('\t', ' ');
      return trunc ? ellipsis(by, 45) : by;
    },
    Size: () => (human ? humanSize(h.Size, 3) : String(h.Size)),
    Comment: () => h.Comment,
  };
}

export const history: Command = {
  use: '[OPTIONS] IMAGE',
  args: { min: 1, max: 1 },
  flags: [
    { name: 'format', kind: 'string', usage: FORMAT_HELP.table },
    { name: 'human', short: 'H', kind: 'bool', usage: 'Print sizes and dates in human readable format', default: true },
    { name: 'no-trunc', kind: 'bool', usage: "Don't truncate output" },
    { name: 'platform', kind: 'string', usage: 'Show history for the given platform. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")' },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only show image IDs' },
  ],
  async run(ctx, flags, [name = '']) {
    const items = await imageHistory(ctx.client, name);
    const human = flags.bool('human');
    let format = flags.string('format') || TABLE;
    if (format === TABLE) {
      if (flags.bool('quiet')) format = '{{.ID}}';
      else format = `table {{.ID}}\t{{.${human ? 'CreatedSince' : 'CreatedAt'}}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}`;
    }
    const trunc = !flags.bool('no-trunc');
    ctx.stdout.write(renderItems(format, items.map((h) => historyContext(h, trunc, human)), HEADERS));
  },
};
