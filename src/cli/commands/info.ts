// berth info: client and daemon facts, in docker's layout or a template.
import { info as serverInfo } from '../../client/system.ts';
import { describeError, StatusError } from '../command.ts';
import type { Command, Context } from '../command.ts';
import { FORMAT_HELP } from '../format-help.ts';
import { formatValue } from '../gofmt.ts';
import { execute, parseTemplate } from '../template.ts';
import type { Template } from '../template.ts';
import { bytesSize } from '../units.ts';
import { berthVersion } from '../version-info.ts';

type Info = Record<string, unknown>;

function clientInfo(debug: boolean): Info {
  return { Debug: debug, Version: berthVersion().version, Context: 'default', Plugins: [], Warnings: null };
}

const get = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Info)[k] : undefined), o);
const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** Go's fmt.Println of the operands: space separated. */
function line(...parts: unknown[]): string {
  return parts.map((p) => formatValue(p ?? '')).join(' ') + '\n';
}

function lineNonEmpty(label: string, value: unknown): string {
  return value === undefined || value === null || value === '' ? '' : line(label, value);
}

function securityOptions(opts: string[]): string {
  let out = ' Security Options:\n';
  for (const opt of opts) {
    if (!opt.includes('=')) {
      out += `  ${opt}\n`;
      continue;
    }
    const fields = Object.fromEntries(opt.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    out += `  ${fields.name ?? ''}\n`;
    if (fields.profile) out += `   Profile: ${fields.profile}\n`;
  }
  return out;
}

/** prettyPrintServerInfo, for the fields a berth daemon reports. */
export function serverText(i: Info, clientDebug: boolean): string {
  let o = '';
  o += line(' Containers:', i.Containers ?? 0);
  o += line('  Running:', i.ContainersRunning ?? 0);
  o += line('  Paused:', i.ContainersPaused ?? 0);
  o += line('  Stopped:', i.ContainersStopped ?? 0);
  o += line(' Images:', i.Images ?? 0);
  o += lineNonEmpty(' Server Version:', i.ServerVersion);
  o += lineNonEmpty(' Storage Driver:', i.Driver);
  for (const [k, v] of (i.DriverStatus as [string, string][] | null) ?? []) o += `  ${k}: ${v}\n`;
  for (const [k, v] of (i.SystemStatus as [string, string][] | null) ?? []) o += ` ${k}: ${v}\n`;
  o += lineNonEmpty(' Logging Driver:', i.LoggingDriver);
  o += lineNonEmpty(' Cgroup Driver:', i.CgroupDriver);
  o += lineNonEmpty(' Cgroup Version:', i.CgroupVersion);
  o += ' Plugins:\n';
  o += line('  Volume:', list(get(i, 'Plugins', 'Volume')).join(' '));
  o += line('  Network:', list(get(i, 'Plugins', 'Network')).join(' '));
  const authz = list(get(i, 'Plugins', 'Authorization'));
  if (authz.length) o += line('  Authorization:', authz.join(' '));
  o += line('  Log:', list(get(i, 'Plugins', 'Log')).join(' '));
  const cdi = list(i.CDISpecDirs);
  if (cdi.length) o += ' CDI spec directories:\n' + cdi.map((d) => `  ${d}\n`).join('');
  o += line(' Swarm:', get(i, 'Swarm', 'LocalNodeState') ?? '');
  const runtimes = Object.keys((i.Runtimes as Info | null) ?? {}).sort();
  if (runtimes.length) {
    o += line(' Runtimes:', runtimes.join(' '));
    o += line(' Default Runtime:', i.DefaultRuntime ?? '');
  }
  if (i.OSType === 'linux') {
    o += line(' Init Binary:', i.InitBinary ?? '');
    o += line(' containerd version:', get(i, 'ContainerdCommit', 'ID') ?? '');
    o += line(' runc version:', get(i, 'RuncCommit', 'ID') ?? '');
    o += line(' init version:', get(i, 'InitCommit', 'ID') ?? '');
    const so = list(i.SecurityOptions);
    if (so.length) o += securityOptions(so);
  }
  o += lineNonEmpty(' Kernel Version:', i.KernelVersion);
  o += lineNonEmpty(' Operating System:', i.OperatingSystem);
  o += lineNonEmpty(' OSType:', i.OSType);
  o += lineNonEmpty(' Architecture:', i.Architecture);
  o += line(' CPUs:', i.NCPU ?? 0);
  o += line(' Total Memory:', bytesSize(Number(i.MemTotal ?? 0)));
  o += lineNonEmpty(' Name:', i.Name);
  o += lineNonEmpty(' ID:', i.ID);
  o += line(' Docker Root Dir:', i.DockerRootDir ?? '');
  o += line(' Debug Mode:', Boolean(i.Debug));
  if (i.Debug || clientDebug) {
    o += line('  File Descriptors:', i.NFd ?? 0);
    o += line('  Goroutines:', i.NGoroutines ?? 0);
    o += line('  System Time:', i.SystemTime ?? '');
    o += line('  EventsListeners:', i.NEventsListener ?? 0);
  }
  o += lineNonEmpty(' HTTP Proxy:', i.HttpProxy);
  o += lineNonEmpty(' HTTPS Proxy:', i.HttpsProxy);
  o += lineNonEmpty(' No Proxy:', i.NoProxy);
  const labels = list(i.Labels);
  if (labels.length) o += ' Labels:\n' + labels.map((l) => `  ${l}\n`).join('');
  o += line(' Experimental:', Boolean(i.ExperimentalBuild));
  const mirrors = list(get(i, 'RegistryConfig', 'Mirrors'));
  if (mirrors.length) o += ' Registry Mirrors:\n' + mirrors.map((m) => `  ${m}\n`).join('');
  o += line(' Live Restore Enabled:', Boolean(i.LiveRestoreEnabled));
  if (i.ProductLicense) o += line(' Product License:', i.ProductLicense);
  return o + '\n';
}

async function pretty(ctx: Context, debug: boolean): Promise<void> {
  const client = clientInfo(debug);
  ctx.stdout.write(`Client:\n${line(' Version:   ', client.Version)}${line(' Context:   ', client.Context)}${line(' Debug Mode:', client.Debug)}\nServer:\n`);
  let info: Info;
  try {
    info = await serverInfo(ctx.client);
  } catch (e) {
    ctx.stderr.write(`ERROR: ${describeError(e)}\n`);
    throw new Error('errors pretty printing info');
  }
  ctx.stdout.write(serverText(info, debug));
  for (const w of list(info.Warnings)) ctx.stderr.write(w + '\n');
}

export const info: Command = {
  use: '[OPTIONS]',
  args: { max: 0 },
  flags: [{ name: 'format', short: 'f', kind: 'string', usage: FORMAT_HELP.json }],
  async run(ctx, flags) {
    const format = flags.string('format');
    const debug = ctx.debug;
    if (!format) return pretty(ctx, debug);
    let tmpl: Template;
    try {
      tmpl = parseTemplate(format === 'json' ? '{{json .}}' : format);
    } catch (e) {
      throw new StatusError(64, `template parsing error: ${(e as Error).message}`);
    }
    let data: Info = { ClientInfo: clientInfo(debug) };
    try {
      data = { ...(await serverInfo(ctx.client)), ...data };
    } catch (e) {
      ctx.stderr.write(describeError(e) + '\n');
      data.ServerErrors = [describeError(e)];
    }
    let out: string;
    try {
      out = execute(tmpl, data);
    } catch (e) {
      ctx.stdout.write(((e as { partial?: string }).partial ?? '') + '\n');
      throw e;
    }
    ctx.stdout.write(out + '\n');
  },
};
