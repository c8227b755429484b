// docker's network formatter: the fields `network ls --format` sees.
import type { NetworkSummary } from '../client/types.ts';
import { joinLabels, truncateId } from './context-container.ts';
import { listFormat } from './formatter.ts';
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

const FORMATS = {
  table: 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}',
  raw: 'network_id: {{.ID}}\\nname: {{.Name}}\\ndriver: {{.Driver}}\\nscope: {{.Scope}}\\n',
  quietTable: '{{.ID}}',
  quietRaw: 'network_id: {{.ID}}',
};

/** network's newFormat. */
export const networkFormat = (format: string, quiet: boolean): string => listFormat(format, quiet, FORMATS);

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
