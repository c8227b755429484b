// -p/--publish and --expose values (go-connections/nat): "[ip:][hostPort:]containerPort[/proto]"
// with ranges, plus the "published=8080,target=80" long form.
import type { PortBinding } from '../client/types.ts';
import { parseIp } from './ipaddr.ts';

export interface PortMaps {
  exposed: Record<string, Record<string, never>>;
  bindings: Record<string, PortBinding[]>;
}

function parseUint16(s: string): number {
  if (!/^\d+$/.test(s) || Number(s) > 65535) throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax`);
  return Number(s);
}

function parsePortRange(ports: string): [number, number] {
  if (ports === '') throw new Error('empty string specified for ports');
  if (!ports.includes('-')) {
    const p = parseUint16(ports);
    return [p, p];
  }
  const [a = '', b = ''] = ports.split('-');
  const start = parseUint16(a);
  const end = parseUint16(b);
  if (end < start) throw new Error(`invalid range specified for port: ${ports}`);
  return [start, end];
}

function splitProtoPort(raw: string): [proto: string, port: string] {
  const parts = raw.split('/');
  if (raw === '' || parts[0] === '') return ['', ''];
  if (parts.length === 1 || parts[1] === '') return ['tcp', parts[0]!];
  return [parts[1]!, parts[0]!];
}

function splitParts(raw: string): [ip: string, hostPort: string, containerPort: string] {
  const parts = raw.split(':');
  const n = parts.length;
  const containerPort = parts[n - 1]!;
  if (n === 1) return ['', '', containerPort];
  if (n === 2) return ['', parts[0]!, containerPort];
  return [parts.slice(0, n - 2).join(':'), parts[n - 2]!, containerPort];
}

/** nat.ParsePortSpec: one spec may stand for a range of mappings. */
export function parsePortSpec(raw: string): { port: string; binding: PortBinding }[] {
  let [ip, hostPort, containerPart] = splitParts(raw);
  const [proto, containerPort] = splitProtoPort(containerPart);
  if (ip.startsWith('[')) ip = ip.replace(/^\[|\]$/g, '');
  if (ip && !parseIp(ip)) throw new Error(`invalid IP address: ${ip}`);
  if (containerPort === '') throw new Error(`no port specified: ${raw}<empty>`);
  let start: number, end: number;
  try {
    [start, end] = parsePortRange(containerPort);
  } catch {
    throw new Error(`invalid containerPort: ${containerPort}`);
  }
  let hostStart = 0;
  let hostEnd = 0;
  if (hostPort) {
    try {
      [hostStart, hostEnd] = parsePortRange(hostPort);
    } catch {
      throw new Error(`invalid hostPort: ${hostPort}`);
    }
    // A host range with a single container port is the range to pick a free port from.
    if (end - start !== hostEnd - hostStart && end !== start) {
      throw new Error(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
    }
  }
  const lower = proto.toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(lower)) throw new Error(`invalid proto: ${proto}`);
  const out: { port: string; binding: PortBinding }[] = [];
  for (let i = 0; i <= end - start; i++) {
    let hp = hostPort ? String(hostStart + i) : '';
    if (start === end && hostStart !== hostEnd) hp = `${hostStart}-${hostEnd}`;
    out.push({ port: `${start + i}/${lower}`, binding: { HostIp: ip, HostPort: hp } });
  }
  return out;
}

/** "published=8080,target=80,protocol=udp" → "8080:80/udp". */
function standardNotation(spec: string): string {
  if (!spec.includes('=')) return spec;
  const params: Record<string, string> = { protocol: 'tcp' };
  for (const param of spec.split(',')) {
    const [k, v] = param.split('=');
    if (v === undefined) throw new Error(`invalid publish opts format (should be name=value but got '${param}')`);
    params[k!] = v;
  }
  return `${params.published ?? ''}:${params.target ?? ''}/${params.protocol}`;
}

export function parsePorts(publish: readonly string[], expose: readonly string[]): PortMaps {
  const maps: PortMaps = { exposed: {}, bindings: {} };
  for (const spec of publish) {
    for (const { port, binding } of parsePortSpec(standardNotation(spec))) {
      maps.exposed[port] = {};
      (maps.bindings[port] ??= []).push(binding);
    }
  }
  for (const e of expose) {
    if (e.includes(':')) throw new Error(`invalid port format for --expose: ${e}`);
    const [proto, port] = splitProtoPort(e);
    let start: number, end: number;
    try {
      [start, end] = parsePortRange(port);
    } catch (err) {
      throw new Error(`invalid range format for --expose: ${e}, error: ${(err as Error).message}`);
    }
    for (let p = start; p <= end; p++) maps.exposed[`${p}/${proto}`] ??= {};
  }
  return maps;
}
