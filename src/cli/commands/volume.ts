// berth volume create, ls, inspect and rm (prune lives with the other prunes).
import { createVolume, inspectVolume, listVolumes, removeVolume } from '../../client/volumes.ts';
import type { VolumeCreateRequest } from '../../client/types.ts';
import { joinErrors } from '../command.ts';
import type { Command } from '../command.ts';
import { VOLUME_HEADERS, volumeContext, volumeFormat, volumeStruct } from '../context-volume.ts';
import { filterFlag, toFilters } from '../filters.ts';
import type { ParsedFlags } from '../flags.ts';
import { FORMAT_HELP } from '../format-help.ts';
import { renderItems } from '../formatter.ts';
import { kvToMap, validateLabel } from '../kvfile.ts';
import { naturalCompare } from '../sortorder.ts';
import { FORMAT_FLAG, inspectAll } from './inspect.ts';

/** The POST /volumes/create body docker's CLI sends: empty fields are left out. */
export function volumeCreateRequest(flags: ParsedFlags, name: string): VolumeCreateRequest {
  const driverOpts = kvToMap(flags.list('opt'));
  const labels = kvToMap(flags.list('label'));
  return {
    ...(flags.string('driver') && { Driver: flags.string('driver') }),
    ...(Object.keys(driverOpts).length && { DriverOpts: driverOpts }),
    ...(Object.keys(labels).length && { Labels: labels }),
    ...(name && { Name: name }),
  };
}

export const volumeCreate: Command = {
  use: '[OPTIONS] [VOLUME]',
  args: { max: 1 },
  flags: [
    { name: 'driver', short: 'd', kind: 'string', usage: 'Specify volume driver name', default: 'local' },
    { name: 'label', kind: 'list', usage: 'Set metadata for a volume', validate: validateLabel },
    // Kept from before the name became an argument.
    { name: 'name', kind: 'string', usage: 'Specify volume name', hidden: true },
    { name: 'opt', short: 'o', kind: 'list', type: 'map', usage: 'Set driver specific options' },
  ],
  async run(ctx, flags, [arg]) {
    let name = flags.string('name');
    if (arg !== undefined) {
      if (name !== '') throw new Error('conflicting options: cannot specify a volume-name through both --name and as a positional arg');
      name = arg;
    }
    const volume = await createVolume(ctx.client, volumeCreateRequest(flags, name));
    ctx.stdout.write(volume.Name + '\n');
  },
};

export const volumeLs: Command = {
  use: '[OPTIONS]',
  args: { max: 0 },
  flags: [
    filterFlag('Provide filter values (e.g. "dangling=true")'),
    { name: 'format', kind: 'string', usage: FORMAT_HELP.table },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only display volume names' },
  ],
  async run(ctx, flags) {
    // docker does not show the list's warnings.
    const list = (await listVolumes(ctx.client, toFilters(flags.list('filter')))).Volumes ?? [];
    list.sort((a, b) => naturalCompare(a.Name, b.Name));
    const format = volumeFormat(flags.string('format'), flags.bool('quiet'));
    ctx.stdout.write(renderItems(format, list.map(volumeContext), VOLUME_HEADERS));
  },
};

export const volumeInspect: Command = {
  use: '[OPTIONS] VOLUME [VOLUME...]',
  args: { min: 1 },
  flags: [FORMAT_FLAG],
  run: (ctx, flags, names) => inspectAll(ctx, names, flags.string('format'), async (name) => volumeStruct(await inspectVolume(ctx.client, name))),
};

export const volumeRm: Command = {
  use: '[OPTIONS] VOLUME [VOLUME...]',
  long: 'Remove one or more volumes. You cannot remove a volume that is in use by a container.',
  args: { min: 1 },
  flags: [{ name: 'force', short: 'f', kind: 'bool', usage: 'Force the removal of one or more volumes' }],
  async run(ctx, flags, names) {
    const errors: unknown[] = [];
    for (const name of names) {
      try {
        await removeVolume(ctx.client, name, flags.bool('force'));
        ctx.stdout.write(name + '\n');
      } catch (e) {
        errors.push(e);
      }
    }
    const err = joinErrors(errors);
    if (err) throw err;
  },
};
