// berth version: client and server versions through docker's template.
import { API_VERSION } from '../../client/client.ts';
import { version as serverVersion } from '../../client/system.ts';
import type { VersionInfo } from '../../client/types.ts';
import { describeError, StatusError } from '../command.ts';
import type { Command } from '../command.ts';
import { FORMAT_HELP } from '../format-help.ts';
import { tabwrite } from '../tabwriter.ts';
import { dockerFuncs, execute, GO_JSON, parseTemplate } from '../template.ts';
import type { Template } from '../template.ts';
import { berthVersion } from '../version-info.ts';

const DEFAULT_TEMPLATE = `{{with .Client -}}
Client:{{if ne .Platform nil}}{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}{{end}}
 Version:\t{{.Version}}
 API version:\t{{.APIVersion}}{{if ne .APIVersion .DefaultAPIVersion}} (downgraded from {{.DefaultAPIVersion}}){{end}}
 Go version:\t{{.GoVersion}}
 Git commit:\t{{.GitCommit}}
 Built:\t{{.BuildTime}}
 OS/Arch:\t{{.Os}}/{{.Arch}}
 Context:\t{{.Context}}
{{- end}}

{{- if ne .Server nil}}{{with .Server}}

Server:{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}
 {{- range $component := .Components}}
 {{$component.Name}}:
  {{- if eq $component.Name "Engine" }}
  Version:\t{{.Version}}
  API version:\t{{index .Details "ApiVersion"}} (minimum version {{index .Details "MinAPIVersion"}})
  Go version:\t{{index .Details "GoVersion"}}
  Git commit:\t{{index .Details "GitCommit"}}
  Built:\t{{index .Details "BuildTime"}}
  OS/Arch:\t{{index .Details "Os"}}/{{index .Details "Arch"}}
  Experimental:\t{{index .Details "Experimental"}}
  {{- else }}
  Version:\t{{$component.Version}}
  {{- $detailsOrder := getDetailsOrder $component}}
  {{- range $key := $detailsOrder}}
  {{$key}}:\t{{index $component.Details $key}}
   {{- end}}
  {{- end}}
 {{- end}}
 {{- end}}{{- end}}`;

/** Go's time.ANSIC for an RFC 3339 time ("Mon Jan  2 15:04:05 2006"); other text is kept. */
export function reformatDate(s: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) return s;
  const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  const day = d.toUTCString().slice(0, 3);
  const month = d.toUTCString().slice(8, 11);
  return `${day} ${month} ${String(d.getUTCDate()).padStart(2)} ${m[4]}:${m[5]}:${m[6]} ${m[1]}`;
}

const ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' };

function clientView(): object {
  const v = berthVersion();
  const fields = {
    Version: v.version,
    ApiVersion: API_VERSION,
    DefaultAPIVersion: API_VERSION,
    GitCommit: v.commit,
    GoVersion: process.version,
    Os: process.platform,
    Arch: ARCH[process.arch] ?? process.arch,
    BuildTime: '',
    Context: 'default',
  };
  return { ...fields, Platform: null, APIVersion: fields.ApiVersion, [GO_JSON]: () => ({ ...fields, BuildTime: undefined }) };
}

/** types.Version with Go field names, and an Engine component when the daemon lists none. */
function serverView(sv: VersionInfo): object {
  const components = (sv.Components ?? []).map((c) => ({ Name: c.Name, Version: c.Version, Details: new Map(Object.entries({ ...c.Details, ...(c.Name === 'Engine' && c.Details?.BuildTime ? { BuildTime: reformatDate(c.Details.BuildTime) } : {}) })) }));
  if (!components.some((c) => c.Name === 'Engine')) {
    components.push({
      Name: 'Engine',
      Version: sv.Version,
      Details: new Map(Object.entries({
        ApiVersion: sv.ApiVersion,
        MinAPIVersion: sv.MinAPIVersion ?? '',
        GitCommit: sv.GitCommit ?? '',
        GoVersion: sv.GoVersion ?? '',
        Os: sv.Os,
        Arch: sv.Arch,
        BuildTime: reformatDate(sv.BuildTime ?? ''),
        Experimental: String(Boolean(sv.Experimental)),
      })),
    });
  }
  const json = { Platform: { Name: sv.Platform?.Name ?? '' }, Components: components, Version: sv.Version, ApiVersion: sv.ApiVersion, MinAPIVersion: sv.MinAPIVersion, GitCommit: sv.GitCommit, GoVersion: sv.GoVersion, Os: sv.Os, Arch: sv.Arch, KernelVersion: sv.KernelVersion, Experimental: sv.Experimental || undefined, BuildTime: sv.BuildTime };
  return { ...json, APIVersion: sv.ApiVersion, Experimental: Boolean(sv.Experimental), [GO_JSON]: () => json };
}

const getDetailsOrder = (c: unknown): string[] => [...((c as { Details: Map<string, string> }).Details?.keys() ?? [])].sort();

export const version: Command = {
  use: '[OPTIONS]',
  args: { max: 0 },
  flags: [{ name: 'format', short: 'f', kind: 'string', usage: FORMAT_HELP.json }],
  async run(ctx, flags) {
    const format = flags.string('format');
    const funcs = { ...dockerFuncs, getDetailsOrder };
    let tmpl: Template;
    try {
      tmpl = parseTemplate(format === '' ? DEFAULT_TEMPLATE : format === 'json' ? '{{json .}}' : format, funcs, 'version');
    } catch (e) {
      throw new StatusError(64, `template parsing error: ${(e as Error).message}`);
    }
    let server: object | null = null;
    let failure: unknown = null;
    try {
      server = serverView(await serverVersion(ctx.client));
    } catch (e) {
      failure = e;
    }
    let out = '';
    let templateError: unknown = null;
    try {
      out = execute(tmpl, { Client: clientView(), Server: server }, funcs);
    } catch (e) {
      templateError = e;
      out = (e as { partial?: string }).partial ?? '';
    }
    ctx.stdout.write(tabwrite(out + '\n', { minWidth: 20, padding: 1 }));
    if (failure) throw new Error(describeError(failure));
    if (templateError) throw templateError;
  },
};
