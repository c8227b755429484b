// Network endpoints of the Engine API.
import { filtersQuery } from './client.ts';
import type { Client } from './client.ts';
import type { EndpointSettings, Filters, NetworkCreateRequest, NetworkSummary, PruneReport } from './types.ts';

const id = (name: string): string => encodeURIComponent(name);

export function listNetworks(c: Client, filters?: Filters): Promise<NetworkSummary[]> {
  return c.json('GET', '/networks', { query: { filters: filtersQuery(filters) } });
}

/** The daemon's JSON text is kept as well: inspect prints it as sent. */
export async function inspectNetwork(c: Client, name: string, verbose = false): Promise<{ value: NetworkSummary; raw: string }> {
  const raw = (await c.raw('GET', `/networks/${id(name)}`, { query: { verbose: verbose ? 'true' : undefined } })).toString();
  return { value: JSON.parse(raw) as NetworkSummary, raw };
}

export function createNetwork(c: Client, body: NetworkCreateRequest): Promise<{ Id: string; Warning?: string }> {
  return c.json('POST', '/networks/create', { body });
}

export function removeNetwork(c: Client, name: string): Promise<void> {
  return c.call('DELETE', `/networks/${id(name)}`);
}

export function pruneNetworks(c: Client, filters?: Filters): Promise<PruneReport> {
  return c.json('POST', '/networks/prune', { query: { filters: filtersQuery(filters) } });
}

export function connectNetwork(c: Client, network: string, container: string, endpoint: EndpointSettings): Promise<void> {
  return c.call('POST', `/networks/${id(network)}/connect`, { body: { Container: container, EndpointConfig: endpoint } });
}

export function disconnectNetwork(c: Client, network: string, container: string, force: boolean): Promise<void> {
  return c.call('POST', `/networks/${id(network)}/disconnect`, { body: { Container: container, Force: force } });
}
