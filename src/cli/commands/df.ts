// berth system df: space used by images, containers, volumes and build cache.
import { diskUsage } from '../../client/system.ts';
import type { BuildCacheRecord, ContainerSummary, DiskUsage, ImageSummary } from '../../client/types.ts';
import type { Command } from '../command.ts';
import { CONTAINER_HEADERS, containerContext, truncateId } from '../context-container.ts';
import { IMAGE_HEADERS, imageContext } from '../context-image.ts';
import { VOLUME_HEADERS, volumeContext } from '../context-volume.ts';
import { FORMAT_HELP } from '../format-help.ts';
import { isTable, parseFormat, renderItems, TABLE, templateOf } from '../formatter.ts';
import { parseReference } from '../../image/reference.ts';
import { execute, GO_TYPE } from '../template.ts';
import { humanSize, timeAgo } from '../units.ts';

const SUMMARY_FORMAT = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
const SUMMARY_HEADERS = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };
const RAW_SUMMARY = 'type: {{.Type}}\ntotal: {{.TotalCount}}\nactive: {{.Active}}\nsize: {{.Size}}\nreclaimable: {{.Reclaimable}}\n';

function withPercent(reclaimable: number, total: number): string {
  return total > 0 ? `${humanSize(reclaimable)} (${Math.trunc((reclaimable * 100) / total)}%)` : humanSize(reclaimable);
}

function summary(type: string, total: number, active: number, size: string, reclaimable: string): object {
  return {
    [GO_TYPE]: '*formatter.diskUsageContext',
    Type: () => type,
    TotalCount: () => String(total),
    Active: () => String(active),
    Size: () => size,
    Reclaimable: () => reclaimable,
  };
}

const isActive = (c: ContainerSummary): boolean => /running|paused|restarting/.test(c.State);

/** The four summary rows, totals computed as docker's v28 formatter does. */
export function summaryRows(du: DiskUsage): object[] {
  const images = du.Images ?? [];
  const layers = du.LayersSize ?? 0;
  const usedByContainers = images.filter((i) => (i.Containers ?? 0) !== 0 && i.Size !== -1 && (i.SharedSize ?? -1) !== -1).reduce((n, i) => n + i.Size - (i.SharedSize ?? 0), 0);
  const containers = du.Containers ?? [];
  const rw = containers.reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const idleRw = containers.filter((c) => !isActive(c)).reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const volumes = du.Volumes ?? [];
  const sized = volumes.filter((v) => v.UsageData && v.UsageData.Size !== -1);
  const volSize = sized.reduce((n, v) => n + v.UsageData!.Size, 0);
  const volFree = sized.filter((v) => v.UsageData!.RefCount === 0).reduce((n, v) => n + v.UsageData!.Size, 0);
  const cache = du.BuildCache ?? [];
  const cacheSize = cache.filter((b) => !b.Shared).reduce((n, b) => n + b.Size, 0);
  const cacheFree = cache.filter((b) => !b.Shared && !b.InUse).reduce((n, b) => n + b.Size, 0);
  return [
    summary('Images', images.length, images.filter((i) => (i.Containers ?? 0) > 0).length, humanSize(layers), withPercent(layers - usedByContainers, layers)),
    summary('Containers', containers.length, containers.filter(isActive).length, humanSize(rw), withPercent(idleRw, rw)),
    summary('Local Volumes', volumes.length, volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length, humanSize(volSize), withPercent(volFree, volSize)),
    summary('Build Cache', cache.length, cache.filter((b) => b.InUse).length, humanSize(cacheSize), humanSize(cacheFree)),
  ];
}

const seconds = (iso: string | null | undefined): number => (iso ? Date.parse(iso) / 1000 : 0);

function buildCacheContext(b: BuildCacheRecord, trunc: boolean): object {
  return {
    [GO_TYPE]: '*formatter.buildCacheContext',
    ID: () => (trunc ? truncateId(b.ID) : b.ID) + (b.InUse ? '*' : ''),
    CacheType: () => b.Type ?? '',
    Description: () => b.Description ?? '',
    Size: () => humanSize(b.Size, 3),
    CreatedSince: () => timeAgo(seconds(b.CreatedAt)),
    LastUsedSince: () => (b.LastUsedAt ? timeAgo(seconds(b.LastUsedAt)) : ''),
    UsageCount: () => String(b.UsageCount ?? 0),
    InUse: () => String(Boolean(b.InUse)),
    Shared: () => String(Boolean(b.Shared)),
  };
}

/** The first tag of each image, as the verbose listing shows it. */
function imageRow(i: ImageSummary): { image: ImageSummary; repo: string; tag: string; digest: string } {
  const first = (i.RepoTags ?? [])[0];
  if (first && first !== '<none>:<none>') {
    try {
      const ref = parseReference(first);
      if (ref.tag !== undefined) return { image: i, repo: ref.repo, tag: ref.tag, digest: '' };
    } catch {
      // shown as <none>
    }
  }
  return { image: i, repo: '<none>', tag: '<none>', digest: '' };
}

function byLastUse(cache: BuildCacheRecord[]): BuildCacheRecord[] {
  return cache.map((b, i) => ({ b, i })).sort((x, y) => {
    const a = x.b.LastUsedAt ? Date.parse(x.b.LastUsedAt) : null;
    const c = y.b.LastUsedAt ? Date.parse(y.b.LastUsedAt) : null;
    if (a === null || c === null || a === c) return a === c ? x.i - y.i : a === null ? -1 : 1;
    return a - c;
  }).map(({ b }) => b);
}

function verboseContexts(du: DiskUsage, trunc: boolean): { Images: object[]; Containers: object[]; Volumes: object[]; BuildCache: object[] } {
  return {
    Images: (du.Images ?? []).map((i) => imageContext(imageRow(i), trunc)),
    // The verbose listing leaves out the virtual size.
    Containers: (du.Containers ?? []).map((c) => containerContext({ ...c, SizeRootFs: 0 }, { trunc })),
    Volumes: (du.Volumes ?? []).map(volumeContext),
    BuildCache: byLastUse(du.BuildCache ?? []).map((b) => buildCacheContext(b, trunc)),
  };
}

function verboseTable(du: DiskUsage): string {
  const v = verboseContexts(du, true);
  const cacheSize = (du.BuildCache ?? []).filter((b) => !b.Shared).reduce((n, b) => n + b.Size, 0);
  return (
    'Images space usage:\n\n' +
    renderItems('table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}', v.Images, IMAGE_HEADERS) +
    '\nContainers space usage:\n\n' +
    renderItems('table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}', v.Containers, CONTAINER_HEADERS) +
    '\nLocal Volumes space usage:\n\n' +
    renderItems('table {{.Name}}\t{{.Links}}\t{{.Size}}', v.Volumes, VOLUME_HEADERS) +
    `\nBuild cache usage: ${humanSize(cacheSize)}\n\n` +
    renderItems('table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}', v.BuildCache, {
      ID: 'CACHE ID', CacheType: 'CACHE TYPE', Size: 'SIZE', CreatedSince: 'CREATED', LastUsedSince: 'LAST USED', UsageCount: 'USAGE', Shared: 'SHARED',
    })
  );
}

export const df: Command = {
  use: '[OPTIONS]',
  args: { max: 0 },
  flags: [
    { name: 'format', kind: 'string', usage: FORMAT_HELP.table },
    { name: 'verbose', short: 'v', kind: 'bool', usage: 'Show detailed information on space usage' },
  ],
  async run(ctx, flags) {
    const du = await diskUsage(ctx.client);
    const format = flags.string('format') || TABLE;
    if (!flags.bool('verbose')) {
      const f = format === TABLE ? SUMMARY_FORMAT : format === 'raw' ? RAW_SUMMARY : format;
      ctx.stdout.write(renderItems(f, summaryRows(du), SUMMARY_HEADERS));
      return;
    }
    if (format === TABLE) {
      ctx.stdout.write(verboseTable(du));
      return;
    }
    // A custom verbose template sees the four lists at once.
    const tmpl = parseFormat(templateOf(format));
    ctx.stdout.write(execute(tmpl, verboseContexts(du, isTable(format))));
  },
};
