// docker's network formatter: the fields `network ls --format` sees.
import type { NetworkSummary } from '../client/types.ts';
import { joinLabels, truncateId } from './context-container.ts';
import { TABLE } from './formatter.ts';
import { GO_TYPE } from './template.ts';
import { goTimeStringOf } from './timeparse.ts';

export const NETWORK_HEADERS: Record<string, string> = {
  ID: 'NETWORK ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  IPv4: 'IPV4',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  CreatedAt: 'CREATED AT',
};

const DEFAULT_FORMAT = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';
const RAW_FORMAT = 'network_id: {{.ID}}\\nname: {{.Name}}\\ndriver: {{.Driver}}\\nscope: {{.Scope}}\\n';

/** network's newFormat: -q turns only the table and raw formats into IDs; a custom format wins over it. */
export function networkFormat(format: string, quiet: boolean): string {
  const source = format || TABLE;
  if (source === TABLE) return quiet ? '{{.ID}}' : DEFAULT_FORMAT;
  if (source === 'raw') return quiet ? 'network_id: {{.ID}}' : RAW_FORMAT;
  return source;
}

export function networkContext(n: NetworkSummary, trunc: boolean): object {
  return {
    [GO_TYPE]: '*network.networkContext',
    ID: () => (trunc ? truncateId(n.Id) : n.Id),
    Name: () => n.Name,
    Driver: () => n.Driver ?? '',
    Scope: () => n.Scope ?? '',
    IPv4: () => String(n.EnableIPv4 ?? false),
    IPv6: () => String(n.EnableIPv6 ?? false),
    Internal: () => String(n.Internal ?? false),
    Labels: () => joinLabels(n.Labels),
    Label: (name: string) => n.Labels?.[name] ?? '',
    CreatedAt: () => goTimeStringOf(n.Created ?? '0001-01-01T00:00:00Z'),
  };
}
