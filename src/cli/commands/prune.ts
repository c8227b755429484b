// berth system prune, container prune, image prune, network prune and volume prune.
import { API_VERSION } from '../../client/client.ts';
import { pruneContainers } from '../../client/containers.ts';
import { pruneImages } from '../../client/images.ts';
import { pruneNetworks } from '../../client/networks.ts';
import { pruneBuildCache } from '../../client/system.ts';
import { pruneVolumes } from '../../client/volumes.ts';
import type { Filters, PruneReport } from '../../client/types.ts';
import type { Command, Context } from '../command.ts';
import { filterFlag, toFilters } from '../filters.ts';
import type { FlagSpec } from '../flags.ts';
import { BIN } from '../help.ts';
import { humanSize, ramInBytes } from '../units.ts';

const FORCE: FlagSpec = { name: 'force', short: 'f', kind: 'bool', usage: 'Do not prompt for confirmation' };

/** command.PromptForConfirmation: true only for an answer of "y". */
async function confirm(ctx: Context, message: string): Promise<boolean> {
  ctx.stdout.write(`${message} [y/N] `);
  let input = '';
  for await (const chunk of ctx.stdin) {
    input += chunk.toString();
    if (input.includes('\n')) break;
  }
  ctx.stdin.pause();
  return input.split('\n')[0]!.trim().toLowerCase() === 'y';
}

type Pruner = (ctx: Context, all: boolean, filters: Filters) => Promise<[space: number, output: string]>;

function listing(title: string, ids: readonly string[] | null | undefined): string {
  return ids?.length ? `${title}:\n${ids.map((id) => id + '\n').join('')}` : '';
}

const containersPruner: Pruner = async (ctx, _all, filters) => {
  const r = await pruneContainers(ctx.client, filters);
  return r.ContainersDeleted?.length ? [r.SpaceReclaimed ?? 0, listing('Deleted Containers', r.ContainersDeleted)] : [0, ''];
};

const networksPruner: Pruner = async (ctx, _all, filters) => [0, listing('Deleted Networks', (await pruneNetworks(ctx.client, filters)).NetworksDeleted)];

const volumesPruner: Pruner = async (ctx, _all, filters) => {
  const r = await pruneVolumes(ctx.client, filters);
  return r.VolumesDeleted?.length ? [r.SpaceReclaimed ?? 0, listing('Deleted Volumes', r.VolumesDeleted)] : [0, ''];
};

function imagesListing(r: PruneReport): string {
  return 'Deleted Images:\n' + (r.ImagesDeleted ?? []).map((d) => (d.Untagged ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted}\n`)).join('');
}

const imagesPruner: Pruner = async (ctx, all, filters) => {
  const r = await pruneImages(ctx.client, { ...filters, dangling: { [String(!all)]: true } });
  if (!r.ImagesDeleted?.length && !r.SpaceReclaimed) return [0, ''];
  return [r.SpaceReclaimed ?? 0, imagesListing(r)];
};

/** `keepStorage`: bytes the cache may keep (builder prune --keep-storage). */
const buildCachePruner = (keepStorage = 0): Pruner => async (ctx, all, filters) => {
  const r = await pruneBuildCache(ctx.client, { all, filters, keepStorage });
  return [r.SpaceReclaimed ?? 0, listing('Deleted build cache objects', r.CachesDeleted)];
};

/** Confirms unless -f, runs the pruners in order and reports what they freed. */
async function prune(ctx: Context, force: boolean, warning: string, pruners: Pruner[], all: boolean, filters: Filters): Promise<void> {
  // A "no" ends the command quietly and successfully, as docker's cancellation does.
  if (!force && !(await confirm(ctx, warning))) return;
  let space = 0;
  for (const p of pruners) {
    const [freed, output] = await p(ctx, all, filters);
    space += freed;
    if (output) ctx.stdout.write(output + '\n');
  }
  ctx.stdout.write(`Total reclaimed space: ${humanSize(space)}\n`);
}

export const containerPrune: Command = {
  use: '[OPTIONS]',
  args: { max: 0 },
  flags: [filterFlag('Provide filter values (e.g. "until=<timestamp>")', false), FORCE],
  run: (ctx, flags) =>
    prune(ctx, flags.bool('force'), 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue?', [containersPruner], false, toFilters(flags.list('filter'))),
};

export const networkPrune: Command = {
  use: '[OPTIONS]',
  args: { max: 0 },
  flags: [filterFlag('Provide filter values (e.g. "until=<timestamp>")', false), FORCE],
  async run(ctx, flags) {
    if (!flags.bool('force') && !(await confirm(ctx, 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?'))) return;
    // Networks free no space, so docker prints no total here.
    const [, output] = await networksPruner(ctx, false, toFilters(flags.list('filter')));
    if (output) ctx.stdout.write(output + '\n');
  },
};

export const imagePrune: Command = {
  use: '[OPTIONS]',
  args: { max: 0 },
  flags: [{ name: 'all', short: 'a', kind: 'bool', usage: 'Remove all unused images, not just dangling ones' }, filterFlag('Provide filter values (e.g. "until=<timestamp>")', false), FORCE],
  run(ctx, flags) {
    const all = flags.bool('all');
    const warning = all
      ? 'WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue?'
      : 'WARNING! This will remove all dangling images.\nAre you sure you want to continue?';
    return prune(ctx, flags.bool('force'), warning, [imagesPruner], all, toFilters(flags.list('filter')));
  },
};

export const volumePrune: Command = {
  use: '[OPTIONS]',
  args: { max: 0 },
  flags: [
    // docker hides --all from daemons before API 1.42 and refuses it there: they prune named volumes anyway.
    { name: 'all', short: 'a', kind: 'bool', usage: 'Remove all unused volumes, not just anonymous ones', hidden: true },
    filterFlag('Provide filter values (e.g. "label=<label>")', false),
    FORCE,
  ],
  run(ctx, flags) {
    if (flags.changed('all')) throw new Error(`"--all" requires API version 1.42, but the ${BIN} daemon API version is ${API_VERSION}`);
    const warning = 'WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue?';
    return prune(ctx, flags.bool('force'), warning, [volumesPruner], false, toFilters(flags.list('filter')));
  },
};

export const builderPrune: Command = {
  use: '[OPTIONS]',
  args: { max: 0 },
  flags: [
    { name: 'all', short: 'a', kind: 'bool', usage: 'Remove all unused build cache, not just dangling ones' },
    filterFlag('Provide filter values (e.g. "until=24h")', false),
    FORCE,
    { name: 'keep-storage', kind: 'string', type: 'bytes', usage: 'Amount of disk space to keep for cache', validate: (v) => String(ramInBytes(v)) },
  ],
  run(ctx, flags) {
    const all = flags.bool('all');
    const warning = `WARNING! This will remove all ${all ? '' : 'dangling '}build cache. Are you sure you want to continue?`;
    const keep = Number(flags.string('keep-storage') || 0);
    return prune(ctx, flags.bool('force'), warning, [buildCachePruner(keep)], all, toFilters(flags.list('filter')));
  },
};

/** The filters worth echoing in the warning, as docker lists them. */
function shownFilters(filters: Filters): string[] {
  return ['label', 'label!', 'until'].flatMap((name) => Object.keys(filters[name] ?? {}).map((v) => `${name}=${v}`)).sort();
}

export const systemPrune: Command = {
  use: '[OPTIONS]',
  args: { max: 0 },
  flags: [
    { name: 'all', short: 'a', kind: 'bool', usage: 'Remove all unused images not just dangling ones' },
    filterFlag('Provide filter values (e.g. "label=<key>=<value>")', false),
    FORCE,
    { name: 'volumes', kind: 'bool', usage: 'Prune anonymous volumes' },
  ],
  run(ctx, flags) {
    const all = flags.bool('all');
    const volumes = flags.bool('volumes');
    const filters = toFilters(flags.list('filter'));
    if (volumes && filters.until) throw new Error('ERROR: The "until" filter is not supported with "--volumes"');
    const warnings = ['all stopped containers', 'all networks not used by at least one container'];
    if (volumes) warnings.push('all anonymous volumes not used by at least one container');
    warnings.push(all ? 'all images without at least one container associated to them' : 'all dangling images');
    warnings.push(all ? 'all build cache' : 'unused build cache');
    const shown = shownFilters(filters);
    const filterText = shown.length ? `\n  Items to be pruned will be filtered with:${shown.map((f) => `\n  - ${f}`).join('')}\n` : '';
    const warning = `WARNING! This will remove:${warnings.map((w) => `\n  - ${w}`).join('')}\n${filterText}\nAre you sure you want to continue?`;
    const pruners = [containersPruner, networksPruner, ...(volumes ? [volumesPruner] : []), imagesPruner, buildCachePruner()];
    return prune(ctx, flags.bool('force'), warning, pruners, all, filters);
  },
};
