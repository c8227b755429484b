// --add-host entries, as moby's ValidateExtraHost takes them. The client
// accepts `name:address` and `name=address` and unwraps a bracketed address;
// the API carries `name:address` only, split at the first colon since IPv6
// addresses have more. `host-gateway` stands for the default bridge's
// gateway. Pure.
import { isIP } from 'node:net';

export const HOST_GATEWAY = 'host-gateway';

export interface ExtraHost {
  name: string;
  /** An IP address, or HOST_GATEWAY. */
  address: string;
}

/** The daemon's check of an API entry (`name:address`); throws moby's messages. */
export function parseExtraHost(value: string): ExtraHost {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new Error(`bad format for add-host: ${JSON.stringify(value)}`);
  const address = value.slice(colon + 1);
  if (address !== HOST_GATEWAY && isIP(address) === 0) throw new Error(`invalid IP address in add-host: ${JSON.stringify(address)}`);
  return { name: value.slice(0, colon), address };
}

/** The daemon's check, returning the entry as given. */
export function checkExtraHost(value: string): string {
  parseExtraHost(value);
  return value;
}

/** The client's form of a --add-host value, turned into the API's `name:address`. */
export function normalizeExtraHost(value: string): string {
  const eq = value.indexOf('=');
  const sep = eq >= 0 ? eq : value.indexOf(':');
  const name = value.slice(0, Math.max(sep, 0));
  let address = sep >= 0 ? value.slice(sep + 1) : '';
  if (sep <= 0 || name.includes(':')) throw new Error(`bad format for add-host: ${JSON.stringify(value)}`);
  if (address.length > 2 && address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  return checkExtraHost(`${name}:${address}`);
}
