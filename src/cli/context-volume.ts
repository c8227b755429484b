// docker's volume formatter (the fields `volume ls --format` and
// `system df -v` see) and the volume struct `volume inspect` decodes into.
import type { VolumeSummary } from '../client/types.ts';
import { joinLabels } from './context-container.ts';
import { listFormat } from './formatter.ts';
import { GoNil } from './gofmt.ts';
import { GO_JSON, GO_TYPE, goJson } from './template.ts';
import { humanSize } from './units.ts';

export const VOLUME_HEADERS: Record<string, string> = {
  ID: 'ID',
  Name: 'VOLUME NAME',
  Group: 'GROUP',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  Availability: 'AVAILABILITY',
  Mountpoint: 'MOUNTPOINT',
  Labels: 'LABELS',
  Links: 'LINKS',
  Size: 'SIZE',
  Status: 'STATUS',
};

const FORMATS = {
  table: 'table {{.Driver}}\t{{.Name}}',
  raw: 'name: {{.Name}}\\ndriver: {{.Driver}}\\n',
  quietTable: '{{.Name}}',
  quietRaw: 'name: {{.Name}}',
};

/** formatter.NewVolumeFormat. */
export const volumeFormat = (format: string, quiet: boolean): string => listFormat(format, quiet, FORMATS);

/** berth has no cluster volumes, so their fields read N/A as docker's do for local ones. */
export function volumeContext(v: VolumeSummary): object {
  return {
    [GO_TYPE]: '*formatter.volumeContext',
    Name: () => v.Name,
    Driver: () => v.Driver ?? '',
    Scope: () => v.Scope ?? '',
    Mountpoint: () => v.Mountpoint ?? '',
    Labels: () => joinLabels(v.Labels),
    Label: (name: string) => v.Labels?.[name] ?? '',
    Links: () => (v.UsageData ? String(v.UsageData.RefCount) : 'N/A'),
    Size: () => (v.UsageData ? humanSize(v.UsageData.Size) : 'N/A'),
    Group: () => 'N/A',
    Availability: () => 'N/A',
    Status: () => 'N/A',
  };
}

const goMap = (m: Record<string, unknown> | null | undefined): Map<string, unknown> | GoNil => (m ? new Map(Object.entries(m)) : new GoNil('map'));
const isEmpty = (m: object | null | undefined): boolean => !m || Object.keys(m).length === 0;

/**
 * volume.Volume as docker's CLI decodes it for `volume inspect`: templates
 * see its Go fields (unknown ones are errors), and the JSON it prints is that
 * struct encoded again, in Go's field order with its omitempty rules.
 */
export function volumeStruct(v: VolumeSummary): { value: object; raw: string } {
  const usage = v.UsageData ? { RefCount: v.UsageData.RefCount, Size: v.UsageData.Size } : null;
  const json = {
    CreatedAt: v.CreatedAt || undefined,
    Driver: v.Driver ?? '',
    Labels: v.Labels ?? null,
    Mountpoint: v.Mountpoint ?? '',
    Name: v.Name,
    Options: v.Options ?? null,
    Scope: v.Scope ?? '',
    Status: isEmpty(v.Status) ? undefined : v.Status,
    UsageData: usage ?? undefined,
  };
  const value = {
    [GO_TYPE]: 'volume.Volume',
    ClusterVolume: null,
    CreatedAt: v.CreatedAt ?? '',
    Driver: json.Driver,
    Labels: goMap(v.Labels),
    Mountpoint: json.Mountpoint,
    Name: v.Name,
    Options: goMap(v.Options),
    Scope: json.Scope,
    Status: goMap(v.Status),
    UsageData: usage,
    [GO_JSON]: () => json,
  };
  // json.MarshalIndent escapes HTML, unlike the template's json function.
  const raw = goJson(value).replace(/[<>&]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  return { value, raw };
}
