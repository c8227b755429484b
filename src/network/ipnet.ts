// IPv4 address arithmetic for subnets, pools and addresses: pure functions,
// numbers as unsigned 32-bit integers.

export interface Cidr {
  /** The network address (host bits cleared). */
  base: number;
  bits: number;
}

export function parseIp(text: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) throw new Error(`invalid IPv4 address: ${text}`);
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) throw new Error(`invalid IPv4 address: ${text}`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function isIp(text: string): boolean {
  try {
    parseIp(text);
    return true;
  } catch {
    return false;
  }
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** Parses `a.b.c.d/n`; with `strict`, host bits must be zero (as docker requires of --subnet). */
export function parseCidr(text: string, strict = false): Cidr & { ip: number } {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  if (!m || Number(m[2]) > 32) throw new Error(`invalid CIDR address: ${text}`);
  const ip = parseIp(m[1]!);
  const bits = Number(m[2]);
  const base = (ip & mask(bits)) >>> 0;
  if (strict && base !== ip) throw new Error(`invalid subnet ${text}: it should be ${formatCidr({ base, bits })}`);
  return { base, bits, ip };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.bits}`;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.bits);
}

export function contains(c: Cidr, ip: number): boolean {
  return ((ip & mask(c.bits)) >>> 0) === c.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return contains(a, b.base) || contains(b, a.base);
}

/** The first usable host address (docker's default gateway). */
export function firstHost(c: Cidr): number {
  return c.bits >= 31 ? c.base : c.base + 1;
}

export function lastHost(c: Cidr): number {
  const broadcast = c.base + size(c) - 1;
  return c.bits >= 31 ? broadcast : broadcast - 1;
}

export interface Pool {
  base: Cidr;
  size: number;
}

/** docker's default address pools: 172.17–31/16, then 192.168.0.0/16 in /20s. */
export const DEFAULT_POOLS: Pool[] = [
  { base: parseCidr('172.17.0.0/16'), size: 16 },
  { base: parseCidr('172.18.0.0/16'), size: 16 },
  { base: parseCidr('172.19.0.0/16'), size: 16 },
  { base: parseCidr('172.20.0.0/14'), size: 16 },
  { base: parseCidr('172.24.0.0/14'), size: 16 },
  { base: parseCidr('172.28.0.0/14'), size: 16 },
  { base: parseCidr('192.168.0.0/16'), size: 20 },
];

/** Parses berthd's `--default-address-pool base=10.10.0.0/16,size=24`. */
export function parsePool(text: string): Pool {
  const fields = Object.fromEntries(text.split(',').map((kv) => {
    const i = kv.indexOf('=');
    return [kv.slice(0, i).trim(), kv.slice(i + 1).trim()];
  }));
  if (!fields.base) throw new Error(`address pool ${text}: base is required`);
  const base = parseCidr(fields.base, true);
  const bits = fields.size ? Number(fields.size) : base.bits;
  if (!Number.isInteger(bits) || bits < base.bits || bits > 30) throw new Error(`address pool ${text}: size must be between ${base.bits} and 30`);
  return { base, size: bits };
}

/** The first subnet from the pools that overlaps none of `taken`. */
export function allocateSubnet(pools: Pool[], taken: Cidr[]): Cidr | undefined {
  for (const pool of pools) {
    const step = 2 ** (32 - pool.size);
    for (let base = pool.base.base; contains(pool.base, base); base += step) {
      const candidate = { base: base >>> 0, bits: pool.size };
      if (!taken.some((t) => overlaps(t, candidate))) return candidate;
      if (base + step > 0xffffffff) break;
    }
  }
  return undefined;
}

/** The IPv4 routes of the host (/proc/net/route), so new subnets avoid them. */
export function parseProcRoutes(text: string): Array<Cidr & { iface: string }> {
  const little = (hex: string): number => Buffer.from(hex, 'hex').readUInt32LE(0);
  return text.split('\n').slice(1).filter((l) => l.trim()).flatMap((line) => {
    const [iface, dest, , , , , , maskHex] = line.trim().split(/\s+/);
    if (!iface || !dest || !maskHex || dest === '00000000') return [];
    return [{ iface, base: little(dest), bits: popcount(little(maskHex)) }];
  });
}

function popcount(n: number): number {
  let c = 0;
  for (let v = n >>> 0; v; v >>>= 1) c += v & 1;
  return c;
}

/** docker's MAC for an address: 02:42 followed by the four bytes of the IP. */
export function macForIp(ip: number): string {
  return ['02', '42', ...[ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}
