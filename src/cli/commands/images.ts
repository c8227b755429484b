// berth images / image ls.
import { listImages } from '../../client/images.ts';
import type { Command } from '../command.ts';
import { DEFAULT_IMAGE_FORMAT, DIGEST_IMAGE_FORMAT, IMAGE_HEADERS, imageContext, imageRows } from '../context-image.ts';
import { filterFlag, toFilters } from '../filters.ts';
import { FORMAT_HELP } from '../format-help.ts';
import { isTable, renderItems, TABLE } from '../formatter.ts';

const RAW = `repository: {{ .Repository }}
tag: {{.Tag}}
image_id: {{.ID}}
created_at: {{.CreatedAt}}
virtual_size: {{.Size}}
`;

/** formatter.NewImageFormat. */
function imageFormat(source: string, quiet: boolean, digests: boolean): string {
  if (source === TABLE) return quiet ? '{{.ID}}' : digests ? DIGEST_IMAGE_FORMAT : DEFAULT_IMAGE_FORMAT;
  if (source === 'raw') return quiet ? 'image_id: {{.ID}}' : digests ? RAW.replace('image_id', 'digest: {{.Digest}}\nimage_id') : RAW;
  if (isTable(source) && digests && !source.includes('{{.Digest}}')) return source + '\t{{.Digest}}';
  return source;
}

export const images: Command = {
  use: '[OPTIONS] [REPOSITORY[:TAG]]',
  args: { max: 1 },
  flags: [
    { name: 'all', short: 'a', kind: 'bool', usage: 'Show all images (default hides intermediate images)' },
    { name: 'digests', kind: 'bool', usage: 'Show digests' },
    filterFlag(),
    { name: 'format', kind: 'string', usage: FORMAT_HELP.table },
    { name: 'no-trunc', kind: 'bool', usage: "Don't truncate output" },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only show image IDs' },
    { name: 'tree', kind: 'bool', usage: 'List multi-platform images as a tree (EXPERIMENTAL)', hidden: true },
  ],
  async run(ctx, flags, [match]) {
    const filters = toFilters(flags.list('filter'));
    if (match) (filters.reference ??= {})[match] = true;
    const list = await listImages(ctx.client, { all: flags.bool('all'), filters });
    const digests = flags.bool('digests');
    const format = imageFormat(flags.string('format') || TABLE, flags.bool('quiet'), digests);
    const rows = imageRows(list, digests, digests || format.includes('{{.Digest}}'));
    const trunc = !flags.bool('no-trunc');
    ctx.stdout.write(renderItems(format, rows.map((r) => imageContext(r, trunc)), IMAGE_HEADERS));
  },
};
