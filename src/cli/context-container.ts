// docker's ContainerContext: the fields `ps --format` sees, computed from
// the API's container summary the way docker/cli computes them.
import type { ContainerSummary, Port } from '../client/types.ts';
import { parseReference } from '../image/reference.ts';
import { goQuote } from './gofmt.ts';
import { joinHostPort } from './ipaddr.ts';
import { ellipsis } from './tabwriter.ts';
import { GO_TYPE } from './template.ts';
import { goTimeString } from './timeparse.ts';
import { humanSize, timeAgo } from './units.ts';

export const CONTAINER_HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID',
  Names: 'NAMES',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
  Platform: 'PLATFORM',
};

export const DEFAULT_PS_FORMAT = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

/** stringid.TruncateID: drops an algorithm prefix, keeps 12 characters. */
export function truncateId(id: string): string {
  const i = id.indexOf(':');
  return (i >= 0 ? id.slice(i + 1) : id).slice(0, 12);
}

export function joinLabels(labels: Record<string, string> | null | undefined): string {
  if (!labels) return '';
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).sort().join(',');
}

function familiarImage(image: string): string {
  try {
    const ref = parseReference(image);
    return ref.tag !== undefined ? `${ref.repo}:${ref.tag}` : ref.repo;
  } catch {
    return image;
  }
}

/** formatter.DisplayablePorts: "0.0.0.0:8080->80/tcp, 443/tcp", consecutive ports grouped. */
export function displayablePorts(ports: readonly Port[] | null | undefined): string {
  // Go compares strings by bytes: "0.0.0.0" sorts before "::".
  const byBytes = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  const sorted = [...(ports ?? [])].sort(
    (a, b) => a.PrivatePort - b.PrivatePort || byBytes(a.IP ?? '', b.IP ?? '') || (a.PublicPort ?? 0) - (b.PublicPort ?? 0) || byBytes(a.Type, b.Type),
  );
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  const formGroup = (key: string, first: number, last: number): string => {
    const [a, b] = key.split('/') as [string, string | undefined];
    const ip = b === undefined ? '' : a;
    const type = b ?? a;
    let group = first === last ? String(first) : `${first}-${last}`;
    if (ip) group = `${joinHostPort(ip, group)}->${group}`;
    return `${group}/${type}`;
  };
  for (const p of sorted) {
    let key = p.Type;
    if (p.IP) {
      if (p.PublicPort !== p.PrivatePort) {
        hostMappings.push(`${joinHostPort(p.IP, String(p.PublicPort ?? 0))}->${p.PrivatePort}/${p.Type}`);
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const g = groups.get(key);
    if (!g) groups.set(key, { first: p.PrivatePort, last: p.PrivatePort });
    else if (p.PrivatePort === g.last + 1) g.last = p.PrivatePort;
    else {
      result.push(formGroup(key, g.first, g.last));
      groups.set(key, { first: p.PrivatePort, last: p.PrivatePort });
    }
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  return [...result, ...hostMappings].join(', ');
}

export interface ContainerContextOptions {
  trunc: boolean;
  now?: number;
  /** Called when a template reads .Size, so ps can ask the daemon for sizes. */
  onSize?: () => void;
}

export function containerContext(c: ContainerSummary, opts: ContainerContextOptions): object {
  const { trunc } = opts;
  return {
    [GO_TYPE]: '*formatter.ContainerContext',
    ID: () => (trunc ? truncateId(c.Id) : c.Id),
    Names: () => {
      const names = (c.Names ?? []).map((n) => n.replace(/^\//, ''));
      // Truncated output shows one name, skipping legacy link names ("/other/alias").
      return trunc ? (names.find((n) => !n.includes('/')) ?? '') : names.join(',');
    },
    Image: () => {
      if (!c.Image) return '<no image>';
      if (!trunc) return c.Image;
      if (truncateId(c.ImageID ?? '') === truncateId(c.Image)) return truncateId(c.Image);
      return familiarImage(c.Image);
    },
    Command: () => goQuote(trunc ? ellipsis(c.Command ?? '', 20) : (c.Command ?? '')),
    CreatedAt: () => goTimeString(c.Created),
    RunningFor: () => timeAgo(c.Created, opts.now),
    Ports: () => displayablePorts(c.Ports),
    State: () => c.State,
    Status: () => c.Status,
    Size: () => {
      opts.onSize?.();
      const rw = humanSize(c.SizeRw ?? 0, 3);
      return c.SizeRootFs ? `${rw} (virtual ${humanSize(c.SizeRootFs, 3)})` : rw;
    },
    Labels: () => joinLabels(c.Labels),
    Label: (name: string) => c.Labels?.[name] ?? '',
    Mounts: () => (c.Mounts ?? []).map((m) => (trunc ? ellipsis(m.Name || m.Source, 15) : m.Name || m.Source)).join(','),
    LocalVolumes: () => String((c.Mounts ?? []).filter((m) => m.Driver === 'local').length),
    Networks: () => Object.keys(c.NetworkSettings?.Networks ?? {}).join(','),
    Platform: () => null,
  };
}
