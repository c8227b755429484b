// The list and inspect shapes of a container, as the Docker API returns them.
import type { Engine } from '../../engine/engine.ts';
import type { Container } from '../../engine/container.ts';
import { humanDuration } from '../../util/human.ts';
import { shortId } from '../../util/ids.ts';
import { portsView } from '../../network/ports.ts';

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

/** The endpoints without berth's own bookkeeping fields. */
function networks(c: Container): Record<string, object> {
  const out: Record<string, object> = {};
  for (const [name, ep] of Object.entries(c.record.NetworkSettings?.Networks ?? {})) {
    const { IfName: _i, RequestedMac: requested, ...view } = ep;
    // docker shows the MAC asked for until the container runs.
    out[name] = { ...view, MacAddress: view.MacAddress || requested || '' };
  }
  return out;
}

export function networkSettings(c: Container): object {
  const r = c.record;
  const mode = networkMode(c);
  // The top-level address fields are the default bridge's, as in docker.
  const bridge = r.NetworkSettings?.Networks.bridge;
  return {
    Bridge: '', SandboxID: '', HairpinMode: false, LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0,
    Ports: mode.startsWith('container:') || mode === 'host' ? {} : portsView(r.Config.ExposedPorts as Record<string, unknown> | undefined, r.HostConfig.PortBindings ?? undefined, r.NetworkSettings?.Ports ?? []),
    SandboxKey: c.running && mode !== 'host' ? `/proc/${r.State.Pid}/ns/net` : '',
    SecondaryIPAddresses: null, SecondaryIPv6Addresses: null, EndpointID: bridge?.EndpointID ?? '', Gateway: bridge?.Gateway ?? '', GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0, IPAddress: bridge?.IPAddress ?? '', IPPrefixLen: bridge?.IPPrefixLen ?? 0, IPv6Gateway: '', MacAddress: bridge?.MacAddress ?? '', Networks: networks(c),
  };
}

/** docker's Mounts: binds, volumes and --mount tmpfs (berth's own fields left out). */
function mountsView(c: Container): object[] {
  return (c.record.MountPoints ?? []).filter((m) => !m.Unlisted).map(({ TmpfsOptions: _t, Unlisted: _u, ...m }) => m);
}

/** GET /containers/json's Ports: one entry per binding, and exposed ports alone. */
function listPorts(c: Container): object[] {
  // docker lists ports of running containers only.
  if (!c.running) return [];
  const view = portsView(c.record.Config.ExposedPorts as Record<string, unknown> | undefined, c.record.HostConfig.PortBindings ?? undefined, c.record.NetworkSettings?.Ports ?? []);
  return Object.entries(view).flatMap(([key, bindings]) => {
    const [port, type] = key.split('/');
    if (!bindings) return [{ PrivatePort: Number(port), Type: type }];
    return bindings.map((b) => ({ IP: b.HostIp, PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: type }));
  });
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
    Ports: listPorts(c),
    Labels: r.Config.Labels ?? {},
    State: r.Removing ? 'removing' : r.State.Status,
    Status: statusText(c),
    HostConfig: { NetworkMode: networkMode(c) },
    NetworkSettings: { Networks: networks(c) },
    Mounts: mountsView(c),
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
    Mounts: mountsView(c),
    Config: r.Config,
    NetworkSettings: networkSettings(c),
  };
}
