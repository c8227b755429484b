// The list and inspect shapes of a container, as the Docker API returns them.
import type { Engine } from '../../engine/engine.ts';
import type { Container } from '../../engine/container.ts';
import { humanDuration } from '../../util/human.ts';
import { shortId } from '../../util/ids.ts';

export function statusText(c: Container, now = Date.now()): string {
  const s = c.record.State;
  if (c.record.Removing) return 'Removal In Progress';
  if (s.Restarting) return `Restarting (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
  if (s.Running) return `Up ${humanDuration(now - Date.parse(s.StartedAt))}${s.Paused ? ' (Paused)' : ''}`;
  if (s.Status === 'dead') return 'Dead';
  if (s.FinishedAt === '0001-01-01T00:00:00Z' || s.Status === 'created') return 'Created';
  return `Exited (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
}

function quoteArg(a: string): string {
  return /[\s"']/.test(a) ? JSON.stringify(a) : a;
}

function networkMode(c: Container): string {
  const m = c.record.HostConfig.NetworkMode;
  return !m || m === 'default' ? 'bridge' : m;
}

function networks(c: Container): object {
  const mode = networkMode(c);
  return mode.startsWith('container:') ? {} : { [mode]: { IPAMConfig: null, Links: null, Aliases: null, NetworkID: '', EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, MacAddress: '', DriverOpts: null } };
}

export function networkSettings(c: Container): object {
  const mode = networkMode(c);
  return {
    Bridge: '', SandboxID: '', HairpinMode: false, LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0,
    Ports: {}, SandboxKey: c.running && mode !== 'host' ? `/proc/${c.record.State.Pid}/ns/net` : '',
    SecondaryIPAddresses: null, SecondaryIPv6Addresses: null, EndpointID: '', Gateway: '', GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0, IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', MacAddress: '', Networks: networks(c),
  };
}

/** One row of GET /containers/json. */
export function containerJson(engine: Engine, c: Container): Record<string, unknown> {
  const r = c.record;
  const imageName = r.Config.Image ?? '';
  // docker shows the image ID when the name no longer points at the container's image.
  const current = engine.images.store.lookup(imageName);
  return {
    Id: r.Id,
    Names: [`/${c.name}`],
    Image: current === r.Image ? imageName : shortId(r.Image),
    ImageID: r.Image,
    Command: [r.Path, ...r.Args].map(quoteArg).join(' '),
    Created: Math.floor(Date.parse(r.Created) / 1000),
    Ports: [],
    Labels: r.Config.Labels ?? {},
    State: r.Removing ? 'removing' : r.State.Status,
    Status: statusText(c),
    HostConfig: { NetworkMode: networkMode(c) },
    NetworkSettings: { Networks: networks(c) },
    Mounts: [],
  };
}

/** GET /containers/{id}/json. */
export function inspectJson(engine: Engine, c: Container): Record<string, unknown> {
  const r = c.record;
  return {
    Id: r.Id,
    Created: r.Created,
    Path: r.Path,
    Args: r.Args,
    State: { ...r.State, Status: r.Removing ? 'removing' : r.State.Status },
    Image: r.Image,
    ResolvConfPath: `${c.dataDir}/resolv.conf`,
    HostnamePath: `${c.dataDir}/hostname`,
    HostsPath: `${c.dataDir}/hosts`,
    LogPath: c.logPath,
    Name: r.Name,
    RestartCount: r.RestartCount,
    Driver: engine.snapshots.driver,
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: c.execIds.size ? [...c.execIds] : null,
    HostConfig: r.HostConfig,
    GraphDriver: { Name: engine.snapshots.driver, Data: null },
    Mounts: [],
    Config: r.Config,
    NetworkSettings: networkSettings(c),
  };
}
