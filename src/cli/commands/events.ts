// berth events: the daemon's event stream, pretty-printed or templated.
import { jsonObjects } from '../../client/jsonstream.ts';
import { events as eventStream } from '../../client/system.ts';
import type { EventMessage } from '../../client/types.ts';
import { StatusError } from '../command.ts';
import type { Command } from '../command.ts';
import { filterFlag, toFilters } from '../filters.ts';
import { FORMAT_HELP } from '../format-help.ts';
import { GoNil } from '../gofmt.ts';
import { execute, GO_JSON, GO_TYPE, parseTemplate } from '../template.ts';
import type { Template } from '../template.ts';
import { getTimestamp, rfc3339Local } from '../timeparse.ts';

/** prettyPrintEvent: "<time> <type> <action> <id> (k=v, ...)". */
export function prettyEvent(e: EventMessage): string {
  let out = '';
  const ns = BigInt(e.timeNano ?? 0);
  if (ns) out += rfc3339Local(Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)) + ' ';
  else if (e.time) out += rfc3339Local(e.time, 0) + ' ';
  out += `${e.Type} ${e.Action} ${e.Actor?.ID ?? ''}`;
  const attrs = Object.keys(e.Actor?.Attributes ?? {}).sort();
  if (attrs.length) out += ` (${attrs.map((k) => `${k}=${e.Actor.Attributes![k]}`).join(', ')})`;
  return out + '\n';
}

/** events.Message as templates see it: Go field names, JSON names for {{json}}. */
export function eventView(e: Partial<EventMessage>): object {
  return {
    [GO_TYPE]: '*events.Message',
    Status: e.status ?? '',
    ID: e.id ?? '',
    From: e.from ?? '',
    Type: e.Type ?? '',
    Action: e.Action ?? '',
    Actor: { [GO_TYPE]: 'events.Actor', ID: e.Actor?.ID ?? '', Attributes: e.Actor?.Attributes ?? new GoNil('map') },
    Scope: e.scope ?? '',
    Time: e.time ?? 0,
    TimeNano: e.timeNano ?? 0,
    [GO_JSON]: () => ({
      status: e.status || undefined,
      id: e.id || undefined,
      from: e.from || undefined,
      Type: e.Type ?? '',
      Action: e.Action ?? '',
      Actor: { ID: e.Actor?.ID ?? '', Attributes: e.Actor?.Attributes ?? null },
      scope: e.scope ?? '',
      time: e.time ?? 0,
      timeNano: e.timeNano ?? 0,
    }),
  };
}

function timeOption(value: string): string {
  if (!value) return '';
  return getTimestamp(value);
}

export const events: Command = {
  use: '[OPTIONS]',
  args: { max: 0 },
  flags: [
    filterFlag(),
    { name: 'format', kind: 'string', usage: FORMAT_HELP.json },
    { name: 'since', kind: 'string', usage: 'Show all events created since timestamp' },
    { name: 'until', kind: 'string', usage: 'Stream events until this timestamp' },
  ],
  async run(ctx, flags) {
    let tmpl: Template | null = null;
    const format = flags.string('format');
    if (format) {
      try {
        tmpl = parseTemplate(format === 'json' ? '{{json .}}' : format);
        // An empty message shows unknown fields before any event arrives.
        execute(tmpl, eventView({}));
      } catch (e) {
        throw new StatusError(64, `Error parsing format: ${(e as Error).message}`);
      }
    }
    const res = await eventStream(ctx.client, { since: timeOption(flags.string('since')), until: timeOption(flags.string('until')), filters: toFilters(flags.list('filter')) });
    const exactNanos = (key: string, value: unknown, c: { source?: string }): unknown => (key === 'timeNano' && c.source ? BigInt(c.source) : value);
    for await (const e of jsonObjects<EventMessage>(res, exactNanos)) {
      ctx.stdout.write(tmpl ? execute(tmpl, eventView(e)) + '\n' : prettyEvent(e));
    }
  },
};
