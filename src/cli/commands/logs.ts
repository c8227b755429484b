// berth logs: the container's output, demultiplexed unless it has a TTY.
import { containerLogs, inspectContainer } from '../../client/containers.ts';
import { Demuxer, STDERR } from '../../client/stdcopy.ts';
import type { Command } from '../command.ts';
import { getTimestamp } from '../timeparse.ts';

function timestampOption(name: string, value: string): string {
  if (!value) return '';
  try {
    return getTimestamp(value);
  } catch (e) {
    throw new Error(`invalid value for "${name}": ${(e as Error).message}`);
  }
}

export const logs: Command = {
  use: '[OPTIONS] CONTAINER',
  args: { min: 1, max: 1 },
  flags: [
    { name: 'details', kind: 'bool', usage: 'Show extra details provided to logs' },
    { name: 'follow', short: 'f', kind: 'bool', usage: 'Follow log output' },
    { name: 'since', kind: 'string', usage: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
    { name: 'tail', short: 'n', kind: 'string', usage: 'Number of lines to show from the end of the logs', default: 'all' },
    { name: 'timestamps', short: 't', kind: 'bool', usage: 'Show timestamps' },
    { name: 'until', kind: 'string', usage: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
  ],
  async run(ctx, flags, [name = '']) {
    const { value: c } = await inspectContainer(ctx.client, name);
    const res = await containerLogs(ctx.client, c.Id, {
      follow: flags.bool('follow'),
      since: timestampOption('since', flags.string('since')),
      until: timestampOption('until', flags.string('until')),
      timestamps: flags.bool('timestamps'),
      tail: flags.string('tail'),
      details: flags.bool('details'),
    });
    const demux = c.Config.Tty ? null : new Demuxer((stream, payload) => (stream === STDERR ? ctx.stderr : ctx.stdout).write(payload));
    for await (const chunk of res) {
      if (demux) demux.push(chunk as Buffer);
      else ctx.stdout.write(chunk as Buffer);
    }
  },
};
