// IP addresses as Go's net package reads and writes them, for both families:
// the CLI checks flags the way docker does before the daemon sees them.

/** 4 bytes for a dotted IPv4 address, 16 for anything written as IPv6. */
export type IpBytes = Uint8Array;

function parseV4(s: string): IpBytes | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    // Go rejects leading zeros: they read as octal elsewhere.
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p[0] === '0') || Number(p) > 255) return null;
    out[i] = Number(p);
  }
  return out;
}

/** netip's parseIPv6: groups of up to four hex digits, one "::", an optional IPv4 tail. */
function parseV6(text: string): IpBytes | null {
  const ip = new Uint8Array(16);
  let s = text;
  let ellipsis = -1;
  if (s.startsWith('::')) {
    ellipsis = 0;
    s = s.slice(2);
    if (s === '') return ip;
  }
  let i = 0;
  while (i < 16) {
    const digits = /^[0-9a-fA-F]{0,5}/.exec(s)![0];
    if (digits.length === 0 || digits.length > 4) return null;
    if (s[digits.length] === '.') {
      // An IPv4 tail takes the last four bytes.
      if ((ellipsis < 0 && i !== 12) || i + 4 > 16) return null;
      const v4 = parseV4(s);
      if (!v4) return null;
      ip.set(v4, i);
      s = '';
      i += 4;
      break;
    }
    const n = parseInt(digits, 16);
    ip[i] = n >> 8;
    ip[i + 1] = n & 255;
    i += 2;
    s = s.slice(digits.length);
    if (s === '') break;
    if (s[0] !== ':' || s.length === 1) return null;
    s = s.slice(1);
    if (s[0] === ':') {
      if (ellipsis >= 0) return null;
      ellipsis = i;
      s = s.slice(1);
      if (s === '') break;
    }
  }
  if (s !== '') return null;
  if (i < 16) {
    if (ellipsis < 0) return null;
    const n = 16 - i;
    ip.copyWithin(ellipsis + n, ellipsis, i);
    ip.fill(0, ellipsis, ellipsis + n);
  } else if (ellipsis >= 0) {
    // "::" must stand for at least one group.
    return null;
  }
  return ip;
}

/** net.ParseIP; null when s is not an address. */
export function parseIp(s: string): IpBytes | null {
  if (s.includes(':')) return parseV6(s);
  return parseV4(s);
}

/** ip.To4(): the IPv4 address an IPv4-mapped IPv6 address stands for. */
function to4(ip: IpBytes): IpBytes | null {
  if (ip.length === 4) return ip;
  const mapped = ip.slice(0, 10).every((b) => b === 0) && ip[10] === 255 && ip[11] === 255;
  return mapped ? ip.slice(12) : null;
}

/** netip.Addr.IsLoopback: 127.0.0.0/8 (mapped or not) or ::1. */
export function isLoopback(ip: IpBytes): boolean {
  const v4 = to4(ip);
  if (v4) return v4[0] === 127;
  return ip.slice(0, 15).every((b) => b === 0) && ip[15] === 1;
}

/** IP.String(): dotted IPv4, or IPv6 with the longest run of zero groups as "::". */
export function formatIp(ip: IpBytes): string {
  const v4 = to4(ip);
  if (v4) return v4.join('.');
  const groups = Array.from({ length: 8 }, (_, i) => (ip[i * 2]! << 8) | ip[i * 2 + 1]!);
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (best < 0) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}

export interface IpNet {
  ip: IpBytes;
  bits: number;
}

/** net.ParseCIDR's parsing; throws with Go's message. */
export function parseCidr(s: string): IpNet {
  const slash = s.indexOf('/');
  const ip = slash < 0 ? null : parseIp(s.slice(0, slash));
  const mask = s.slice(slash + 1);
  const width = ip && ip.length === 4 ? 32 : 128;
  if (!ip || !/^\d+$/.test(mask) || Number(mask) > width) throw new Error(`invalid CIDR address: ${s}`);
  return { ip, bits: Number(mask) };
}

/** IPNet.Contains. */
export function cidrContains(net: IpNet, address: IpBytes): boolean {
  const ip = to4(address) ?? address;
  if (ip.length !== net.ip.length) return false;
  for (let bit = 0; bit < net.bits; bit++) {
    const mask = 0x80 >> (bit % 8);
    if ((ip[bit >> 3]! & mask) !== (net.ip[bit >> 3]! & mask)) return false;
  }
  return true;
}

/** net.JoinHostPort. */
export function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
