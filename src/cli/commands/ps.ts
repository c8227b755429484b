// berth ps / container ls.
import { listContainers } from '../../client/containers.ts';
import type { Command } from '../command.ts';
import { CONTAINER_HEADERS, containerContext, DEFAULT_PS_FORMAT } from '../context-container.ts';
import { filterFlag, toFilters } from '../filters.ts';
import { parseFormat, renderItems, TABLE } from '../formatter.ts';
import { FORMAT_HELP } from '../format-help.ts';
import { execute, TemplateError } from '../template.ts';

const RAW_FORMAT = `container_id: {{.ID}}
image: {{.Image}}
command: {{.Command}}
created_at: {{.CreatedAt}}
state: {{- pad .State 1 0}}
status: {{- pad .Status 1 0}}
names: {{.Names}}
labels: {{- pad .Labels 1 0}}
ports: {{- pad .Ports 1 0}}
`;

/** Whether a custom template reads .Size (docker then asks the daemon for sizes); also validates it. */
function templateUsesSize(format: string): boolean {
  let used = false;
  let tmpl;
  try {
    tmpl = parseFormat(format);
  } catch (e) {
    throw new Error(`failed to parse template: ${(e as Error).message.replace(/^template parsing error: /, '')}`);
  }
  try {
    execute(tmpl, containerContext({ Id: '', Names: null, Image: '', ImageID: '', Command: '', Created: 0, Ports: null, Labels: null, State: '', Status: '' }, { trunc: true, onSize: () => (used = true) }));
  } catch (e) {
    if (e instanceof TemplateError) throw new Error(`failed to execute template: ${e.message}`);
    throw e;
  }
  return used;
}

function psFormat(format: string, quiet: boolean, size: boolean): string {
  if (quiet) return '{{.ID}}';
  if (format === '' || format === TABLE) return DEFAULT_PS_FORMAT + (size ? '\t{{.Size}}' : '');
  if (format === 'raw') return RAW_FORMAT + (size ? 'size: {{.Size}}\\n' : '');
  return format;
}

export const ps: Command = {
  use: '[OPTIONS]',
  args: { max: 0 },
  flags: [
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only display container IDs' },
    { name: 'size', short: 's', kind: 'bool', usage: 'Display total file sizes' },
    { name: 'all', short: 'a', kind: 'bool', usage: 'Show all containers (default shows just running)' },
    { name: 'no-trunc', kind: 'bool', usage: "Don't truncate output" },
    { name: 'latest', short: 'l', kind: 'bool', usage: 'Show the latest created container (includes all states)' },
    { name: 'last', short: 'n', kind: 'int', usage: 'Show n last created containers (includes all states)', default: -1 },
    { name: 'format', kind: 'string', usage: FORMAT_HELP.table },
    filterFlag(),
  ],
  async run(ctx, flags) {
    const format = flags.string('format');
    const quiet = flags.bool('quiet');
    if (format && quiet) ctx.stderr.write('WARNING: Ignoring custom format, because both --format and --quiet are set.\n');
    let size = flags.bool('size');
    let limit = flags.int('last');
    if (flags.bool('latest') && limit === -1) limit = 1;
    if (format && templateUsesSize(format) && !quiet && !size && !flags.changed('size')) size = true;
    const list = await listContainers(ctx.client, { all: flags.bool('all'), limit, size, filters: toFilters(flags.list('filter')) });
    const trunc = !flags.bool('no-trunc');
    const fmt = psFormat(format, quiet, size);
    ctx.stdout.write(renderItems(fmt, list.map((c) => containerContext(c, { trunc })), CONTAINER_HEADERS));
  },
};
