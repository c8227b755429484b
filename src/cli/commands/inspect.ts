// berth inspect, container inspect and image inspect: the daemon's JSON,
// indented, compacted (-f json) or run through a template.
import { ApiError } from '../../client/client.ts';
import type { Client } from '../../client/client.ts';
import { inspectContainer } from '../../client/containers.ts';
import { inspectImage } from '../../client/images.ts';
import { describeError, StatusError } from '../command.ts';
import type { Command, Context } from '../command.ts';
import type { FlagSpec } from '../flags.ts';
import { FORMAT_HELP } from '../format-help.ts';
import { compactJson, indentJson } from '../jsonindent.ts';
import { execute, parseTemplate, TemplateError } from '../template.ts';
import type { Template } from '../template.ts';

interface Found {
  value: unknown;
  raw: string;
}

type Getter = (ref: string) => Promise<Found>;

/** inspect.Inspect: output first, then every failure, one per line. */
export async function inspectAll(ctx: Context, refs: string[], format: string, get: Getter): Promise<void> {
  let tmpl: Template | null = null;
  if (format !== '' && format !== 'json') {
    try {
      tmpl = parseTemplate(format);
    } catch (e) {
      throw new StatusError(64, `template parsing error: ${(e as Error).message}`);
    }
  }
  const raws: string[] = [];
  let rendered = '';
  const errors: string[] = [];
  for (const ref of refs) {
    let found: Found;
    try {
      found = await get(ref);
    } catch (e) {
      errors.push(describeError(e));
      continue;
    }
    if (!tmpl) {
      raws.push(found.raw.trim());
      continue;
    }
    try {
      rendered += execute(tmpl, found.value) + '\n';
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      errors.push(`template parsing error: ${e.message}`);
    }
  }
  if (tmpl) ctx.stdout.write(rendered || '\n');
  else if (raws.length === 0) ctx.stdout.write('[]\n');
  else {
    const list = `[${raws.join(',')}]`;
    ctx.stdout.write((format === 'json' ? compactJson(list) : indentJson(list)) + '\n');
  }
  if (errors.length) throw new StatusError(1, errors.join('\n'));
}

async function getRaw(c: Client, path: string): Promise<Found> {
  const raw = (await c.raw('GET', path)).toString();
  return { value: JSON.parse(raw), raw };
}

const TYPES = ['config', 'container', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'task', 'volume'];

function getterFor(c: Client, type: string, size: boolean): Getter {
  const e = encodeURIComponent;
  switch (type) {
    case 'container':
      return (ref) => inspectContainer(c, ref, size);
    case 'image':
      return (ref) => inspectImage(c, ref);
    case 'network':
    case 'volume':
    case 'node':
    case 'service':
    case 'task':
    case 'secret':
    case 'config':
      return (ref) => getRaw(c, `/${type}s/${e(ref)}`);
    default:
      return (ref) => getRaw(c, `/plugins/${e(ref)}/json`);
  }
}

/** Objects `inspect` looks for without --type; berth has no swarm, so no swarm kinds. */
const AUTODETECT = ['container', 'image', 'network', 'volume', 'plugin'];

function skippable(e: unknown): boolean {
  const msg = describeError(e);
  return (e instanceof ApiError && e.status === 404) || msg.includes('not supported') || msg.includes('invalid reference format');
}

export const FORMAT_FLAG: FlagSpec = { name: 'format', short: 'f', kind: 'string', usage: FORMAT_HELP.json };

export const inspect: Command = {
  use: '[OPTIONS] NAME|ID [NAME|ID...]',
  args: { min: 1 },
  flags: [
    FORMAT_FLAG,
    { name: 'size', short: 's', kind: 'bool', usage: 'Display total file sizes if the type is container' },
    { name: 'type', kind: 'string', usage: 'Only inspect objects of the given type' },
  ],
  async run(ctx, flags, refs) {
    const type = flags.string('type');
    const must = `must be one of "${TYPES.join('", "')}"`;
    if (flags.changed('type') && type === '') throw new Error(`type is empty: ${must}`);
    if (type !== '' && !TYPES.includes(type)) throw new Error(`unknown type: ${JSON.stringify(type)}: ${must}`);
    const size = flags.bool('size');
    const get: Getter = async (ref) => {
      for (const t of type ? [type] : AUTODETECT) {
        try {
          const found = await getterFor(ctx.client, t, size)(ref);
          if (size && t !== 'container') ctx.stderr.write(`WARNING: --size ignored for ${t}\n`);
          return found;
        } catch (e) {
          if (type || !skippable(e)) throw e;
        }
      }
      throw new Error(`Error: No such object: ${ref}`);
    };
    await inspectAll(ctx, refs, flags.string('format'), get);
  },
};

export const containerInspect: Command = {
  use: '[OPTIONS] CONTAINER [CONTAINER...]',
  args: { min: 1 },
  flags: [FORMAT_FLAG, { name: 'size', short: 's', kind: 'bool', usage: 'Display total file sizes' }],
  run: (ctx, flags, refs) => inspectAll(ctx, refs, flags.string('format'), (ref) => inspectContainer(ctx.client, ref, flags.bool('size'))),
};

export const imageInspect: Command = {
  use: '[OPTIONS] IMAGE [IMAGE...]',
  args: { min: 1 },
  flags: [FORMAT_FLAG, { name: 'platform', kind: 'string', usage: 'Inspect a specific platform of the multi-platform image.' }],
  run: (ctx, flags, refs) => inspectAll(ctx, refs, flags.string('format'), (ref) => inspectImage(ctx.client, ref)),
};
