// berth port / container port.
import { inspectContainer } from '../../client/containers.ts';
import type { PortBinding } from '../../client/types.ts';
import type { Command } from '../command.ts';
import { goQuote } from '../gofmt.ts';
import { joinHostPort } from '../ipaddr.ts';
import { naturalCompare } from '../sortorder.ts';

type PortMap = Record<string, PortBinding[] | null> | null | undefined;

/** runPort's lines: every mapping, or the host addresses of one private port; null when that port is not published. */
export function portLines(ports: PortMap, privatePort?: string): string[] | null {
  let out: string[];
  if (privatePort === undefined) {
    out = Object.entries(ports ?? {}).flatMap(([from, frontends]) => (frontends ?? []).map((f) => `${from} -> ${joinHostPort(f.HostIp, f.HostPort)}`));
  } else {
    const slash = privatePort.indexOf('/');
    const port = slash < 0 ? privatePort : privatePort.slice(0, slash);
    const proto = (slash < 0 ? '' : privatePort.slice(slash + 1)) || 'tcp';
    if (!/^\d+$/.test(port)) throw new Error(`Error: invalid port (${port}): strconv.ParseUint: parsing ${goQuote(port)}: invalid syntax`);
    if (Number(port) > 65535) throw new Error(`Error: invalid port (${port}): strconv.ParseUint: parsing ${goQuote(port)}: value out of range`);
    const frontends = ports?.[`${port}/${proto}`];
    if (!frontends?.length) return null;
    out = frontends.map((f) => joinHostPort(f.HostIp, f.HostPort));
  }
  return out.sort(naturalCompare);
}

export const port: Command = {
  use: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  args: { min: 1, max: 2 },
  flags: [],
  async run(ctx, _flags, [name, privatePort]) {
    const { value } = await inspectContainer(ctx.client, name!);
    const lines = portLines(value.NetworkSettings?.Ports, privatePort);
    // docker names the port as it was typed: '81' stays '81', not '81/tcp'.
    if (!lines) throw new Error(`Error: No public port '${privatePort}' published for ${name}`);
    if (lines.length) ctx.stdout.write(lines.join('\n') + '\n');
  },
};
