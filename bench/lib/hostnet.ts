// The host's network state an engine with bridge networking changes, and its
// restoration. dockerd (and berthd, like it, so that containers survive a
// daemon restart) leaves its bridges, its iptables chains and the rules that
// jump to them behind when it stops, and dockerd sets the FORWARD policy to
// DROP. The bench puts all of that back as it found it, and only that: other
// work on the machine (another berthd under test, say) may have rules and
// bridges of its own at the same time, so nothing is restored by replaying a
// saved ruleset. What is the engine's is told by its footprint: chains named
// like its own, rules that jump to those or name its bridges or subnets, and
// bridges holding an address in its subnets.
import { readFileSync, writeFileSync } from 'node:fs';
import { run } from './proc.ts';

export interface NetFootprint {
  /** bridges the daemon creates whatever its networks (its default bridge) */
  bridges: string[];
  /** the daemon's subnets (default bridge and address pool): bridges with an address in them, and rules naming them, are its own */
  subnets: string[];
  /** chains that are the daemon's whenever they exist */
  chains: RegExp;
  /**
   * Chains the daemon's plug-ins create once and share with anyone else
   * using them (portmap's CNI-HOSTPORT-*): removed only when they did not
   * exist before the daemon started and no other chain uses them.
   */
  sharedChains?: RegExp;
}

const BINS = ['iptables', 'ip6tables'] as const;
const TABLES = ['filter', 'nat', 'mangle', 'raw'] as const;
const BUILTIN = new Set(['INPUT', 'FORWARD', 'OUTPUT', 'PREROUTING', 'POSTROUTING']);
/** Kernel settings dockerd turns on (and berthd may): put back if they changed. */
const SYSCTLS = [
  '/proc/sys/net/ipv4/ip_forward',
  '/proc/sys/net/bridge/bridge-nf-call-iptables',
  '/proc/sys/net/bridge/bridge-nf-call-ip6tables',
];

interface Rule {
  chain: string;
  /** the rule's arguments after `-A CHAIN`, unquoted, as iptables takes them for -D */
  args: string[];
  text: string;
}

interface Table {
  bin: (typeof BINS)[number];
  name: string;
  policies: Map<string, string>;
  chains: Set<string>;
  rules: Rule[];
}

/** What the host looked like before a daemon started: chains and policies per table, and sysctls. */
export interface NetSnapshot {
  tables: Map<string, { chains: Set<string>; policies: Map<string, string> }>;
  /** nftables tables ("ip6 nat"), where iptables is iptables-nft: the tables iptables' users create stay, empty, when their rules go */
  nftTables?: Set<string>;
  sysctls: Map<string, string>;
  links: Set<string>;
}

const tableKey = (bin: string, table: string): string => `${bin} -t ${table}`;

/** iptables -S quotes arguments with spaces ("name: \"x\""); this splits a line back into arguments. */
export function splitRule(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuote = false;
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (inQuote) {
      if (c === '\\' && i + 1 < line.length) cur += line[++i];
      else if (c === '"') inQuote = false;
      else cur += c;
    } else if (c === '"') {
      inQuote = true;
      has = true;
    } else if (c === ' ') {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
    }
  }
  if (has || cur) out.push(cur);
  return out;
}

async function readTable(bin: Table['bin'], name: string): Promise<Table | undefined> {
  const r = await run(bin, ['-w', '5', '-t', name, '-S'], { allowFail: true, timeoutMs: 30_000 });
  if (r.code !== 0) return undefined; // no such table (module not loaded), or no ip6tables
  const t: Table = { bin, name, policies: new Map(), chains: new Set(), rules: [] };
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const a = splitRule(line);
    if (a[0] === '-P') t.policies.set(a[1]!, a[2]!);
    else if (a[0] === '-N') t.chains.add(a[1]!);
    else if (a[0] === '-A') t.rules.push({ chain: a[1]!, args: a.slice(2), text: line });
  }
  return t;
}

async function readTables(): Promise<Table[]> {
  const out: Table[] = [];
  for (const bin of BINS) for (const name of TABLES) {
    const t = await readTable(bin, name);
    if (t) out.push(t);
  }
  return out;
}

async function links(): Promise<Set<string>> {
  const r = await run('ip', ['-o', 'link', 'show'], { allowFail: true });
  return new Set(r.stdout.split('\n').filter(Boolean).map((l) => l.split(': ')[1]!.split('@')[0]!));
}

function readSysctl(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export async function snapshotNet(): Promise<NetSnapshot> {
  const tables = new Map<string, { chains: Set<string>; policies: Map<string, string> }>();
  for (const t of await readTables()) tables.set(tableKey(t.bin, t.name), { chains: t.chains, policies: t.policies });
  const sysctls = new Map<string, string>();
  for (const p of SYSCTLS) {
    const v = readSysctl(p);
    if (v !== undefined) sysctls.set(p, v);
  }
  return { tables, sysctls, links: await links(), nftTables: await nftTables() };
}

const NFT_FAMILY: Record<Table['bin'], string> = { iptables: 'ip', ip6tables: 'ip6' };

/** nftables' tables, when iptables is the nf_tables variant; undefined for the legacy one or without nft. */
async function nftTables(): Promise<Set<string> | undefined> {
  const v = await run('iptables', ['--version'], { allowFail: true });
  if (!v.stdout.includes('nf_tables')) return undefined;
  const r = await run('nft', ['list', 'tables'], { allowFail: true });
  if (r.code !== 0) return undefined;
  return new Set(r.stdout.split('\n').filter((l) => l.startsWith('table ')).map((l) => l.slice(6).trim()));
}

// ---- addresses

function ipv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

function cidr(s: string): { base: number; mask: number; len: number } {
  const [addr, bits] = s.split('/');
  const a = ipv4(addr!);
  const len = Number(bits ?? 32);
  if (a === undefined || !Number.isInteger(len) || len < 0 || len > 32) throw new Error(`not an IPv4 CIDR: ${s}`);
  const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
  return { base: (a & mask) >>> 0, mask, len };
}

/**
 * Whether a text (a rule, an address) names an IPv4 address or network inside
 * one of the subnets: 10.214.3.0/24 is inside 10.214.0.0/16, 10.0.0.0/8 is not.
 */
export function namesSubnet(text: string, subnets: string[]): boolean {
  const nets = subnets.map(cidr);
  for (const m of text.matchAll(/(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?:\/(\d{1,2}))?(?![\d.])/g)) {
    const a = ipv4(m[1]!);
    if (a === undefined) continue;
    const len = m[2] === undefined ? 32 : Number(m[2]);
    if (nets.some((n) => ((a & n.mask) >>> 0) === n.base && len >= n.len)) return true;
  }
  return false;
}

/** Whether a rule matches on one of the interfaces (-i/-o, negated or not). */
function namesInterface(args: string[], ifaces: Set<string>): boolean {
  for (let i = 0; i < args.length - 1; i++) {
    if (args[i] !== '-i' && args[i] !== '-o' && args[i] !== '--in-interface' && args[i] !== '--out-interface') continue;
    if (ifaces.has(args[i + 1]!)) return true;
  }
  return false;
}

function jumpTarget(args: string[]): string | undefined {
  for (let i = 0; i < args.length - 1; i++) if (args[i] === '-j' || args[i] === '-g') return args[i + 1];
  return undefined;
}

/** Bridges on the host now, with their IPv4 addresses. */
async function bridges(): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const r = await run('ip', ['-o', 'link', 'show', 'type', 'bridge'], { allowFail: true });
  for (const l of r.stdout.split('\n').filter(Boolean)) out.set(l.split(': ')[1]!.split('@')[0]!, []);
  const a = await run('ip', ['-o', '-4', 'addr', 'show'], { allowFail: true });
  for (const l of a.stdout.split('\n').filter(Boolean)) {
    const f = l.split(/\s+/);
    const addr = f[f.indexOf('inet') + 1];
    if (addr) out.get(f[1]!)?.push(addr);
  }
  return out;
}

/**
 * Removes what a daemon with this footprint left on the host: its iptables
 * rules and chains, its bridges, changed policies and sysctls. Returns what
 * it did, one line each; throws, after trying everything, if something would not go.
 */
export async function restoreNet(fp: NetFootprint, before: NetSnapshot): Promise<string[]> {
  const done: string[] = [];
  const failed: string[] = [];
  const ipt = async (t: Table, args: string[]): Promise<boolean> => {
    const r = await run(t.bin, ['-w', '5', '-t', t.name, ...args], { allowFail: true, timeoutMs: 30_000 });
    if (r.code !== 0) failed.push(`${t.bin} -t ${t.name} ${args.join(' ')}: ${r.stderr.trim()}`);
    return r.code === 0;
  };

  const allBridges = await bridges();
  const ifaces = new Set(fp.bridges);
  for (const [name, addrs] of allBridges) if (addrs.some((a) => namesSubnet(a, fp.subnets))) ifaces.add(name);

  for (const t of await readTables()) {
    const prior = before.tables.get(tableKey(t.bin, t.name));
    const isNew = (c: string): boolean => !prior?.chains.has(c);
    const mentionsUs = (r: Rule): boolean => namesInterface(r.args, ifaces) || namesSubnet(r.text, fp.subnets);
    const ours = new Set<string>();
    for (const c of t.chains) {
      if (fp.chains.test(c)) ours.add(c);
      // a chain that appeared with the daemon and names its bridges or addresses (the CNI plugins' per-container chains)
      else if (isNew(c) && !fp.sharedChains?.test(c) && t.rules.some((r) => r.chain === c && mentionsUs(r))) ours.add(c);
    }
    // Shared chains go as a group, when none of them is used by a chain that is not ours.
    const shared = new Set([...t.chains].filter((c) => fp.sharedChains?.test(c) && isNew(c) && !ours.has(c)));
    if (shared.size) {
      const foreign = (c: string): boolean => t.chains.has(c) && !ours.has(c) && !shared.has(c);
      const used = t.rules.some((r) => {
        const to = jumpTarget(r.args);
        return (foreign(r.chain) && to !== undefined && shared.has(to)) || (shared.has(r.chain) && to !== undefined && foreign(to));
      });
      if (!used) for (const c of shared) ours.add(c);
    }
    // Rules in other chains (the built-in ones above all) that lead to ours or name our bridges and subnets.
    for (const r of t.rules) {
      if (ours.has(r.chain)) continue;
      const to = jumpTarget(r.args);
      if ((to !== undefined && ours.has(to)) || mentionsUs(r)) {
        if (await ipt(t, ['-D', r.chain, ...r.args])) done.push(`${t.bin} -t ${t.name}: deleted ${r.text}`);
      }
    }
    for (const c of ours) await ipt(t, ['-F', c]);
    for (const c of ours) if (await ipt(t, ['-X', c])) done.push(`${t.bin} -t ${t.name}: deleted chain ${c}`);
    for (const [chain, policy] of prior?.policies ?? []) {
      const now = t.policies.get(chain);
      if (now !== undefined && now !== policy && BUILTIN.has(chain) && (await ipt(t, ['-P', chain, policy]))) {
        done.push(`${t.bin} -t ${t.name}: policy ${chain} ${now} → ${policy}`);
      }
    }
  }

  // iptables-nft creates a table the first time anything touches it (a
  // CNI plug-in's teardown that deletes chains which were never there, say)
  // and nothing deletes it: one that appeared and holds nothing goes.
  const nftBefore = before.nftTables;
  const nftNow = nftBefore && (await nftTables());
  for (const t of nftNow ? await readTables() : []) {
    const name = `${NFT_FAMILY[t.bin]} ${t.name}`;
    if (!nftNow!.has(name) || nftBefore!.has(name) || t.chains.size || t.rules.length) continue;
    if ([...t.policies.values()].some((p) => p !== 'ACCEPT')) continue;
    const r = await run('nft', ['delete', 'table', ...name.split(' ')], { allowFail: true });
    if (r.code === 0) done.push(`deleted the empty nftables table ${name}`);
    else failed.push(`nft delete table ${name}: ${r.stderr.trim()}`);
  }

  for (const name of ifaces) {
    if (!allBridges.has(name)) continue;
    const r = await run('ip', ['link', 'delete', name], { allowFail: true });
    if (r.code === 0) done.push(`deleted bridge ${name}`);
    // Gone meanwhile (its last user took it): nothing left to restore.
    else if (!/Cannot find device/.test(r.stderr)) failed.push(`ip link delete ${name}: ${r.stderr.trim()}`);
  }

  for (const [path, value] of before.sysctls) {
    if (readSysctl(path) === value) continue;
    try {
      writeFileSync(path, value);
      done.push(`${path} = ${value}`);
    } catch (err) {
      failed.push(`${path}: ${(err as Error).message}`);
    }
  }
  if (failed.length) throw new Error(`the host's network could not be restored:\n  ${failed.join('\n  ')}`);
  return done;
}

/** The host's firewall and links as text, to compare before and after (iptables-save's dates and counters left out). */
export async function hostNetText(): Promise<string> {
  const parts: string[] = [];
  for (const cmd of ['iptables-save', 'ip6tables-save']) {
    const r = await run(cmd, [], { allowFail: true });
    // Each line carries its table, so that a set difference tells "*nat" of one table from another's.
    let table = '';
    for (const l of r.stdout.split('\n')) {
      if (!l || l.startsWith('#')) continue;
      if (l.startsWith('*')) table = l.slice(1);
      parts.push(`${cmd} ${table}: ${l.replace(/ \[\d+:\d+\]$/, '')}`);
    }
  }
  const l = await run('ip', ['-o', 'link', 'show'], { allowFail: true });
  parts.push(...l.stdout.split('\n').filter(Boolean).map((x) => `ip -o link: ${x}`));
  return parts.join('\n') + '\n';
}

/** Lines only in a, prefixed "-", and only in b, prefixed "+": enough to tell what changed. */
export function lineDiff(a: string, b: string): string {
  const as = a.split('\n');
  const bs = b.split('\n');
  const aset = new Set(as);
  const bset = new Set(bs);
  return [...as.filter((l) => !bset.has(l)).map((l) => `- ${l}`), ...bs.filter((l) => !aset.has(l)).map((l) => `+ ${l}`)].join('\n');
}
