// What docker prepares inside a container's root before it runs: the
// identity files (/etc/hostname, /etc/hosts, /etc/resolv.conf, bind-mounted
// from the container's own directory), the user lookup, the working dir.
// All paths into the rootfs are resolved without following symlinks out.
import { readFile, writeFile, lstat, mkdir, chown, open } from 'node:fs/promises';
import { resolveInContainer } from './container-path.ts';
import { constants } from 'node:fs';
import { join } from 'node:path';
import type { OciMount } from '../runtime/spec.ts';
import type { ExtraHost } from '../network/extra-hosts.ts';

/**
 * Resolves `path` inside `root` as if root were `/`, never leaving it: `..`
 * stops at the root, symlinks are expanded against the root, and once a
 * component is missing the rest is taken lexically (still clamped).
 */
export async function resolveInRoot(root: string, path: string): Promise<string> {
  const view = { root, realRoot: root, mounts: [] };
  return (await resolveInContainer(view, path, { followFinal: true, lexicalMissing: true })).host;
}

const MAX_ID_FILE = 1024 * 1024;

/**
 * Reads a small regular file of the container (/etc/passwd, /etc/group). The
 * container may be running and own that path: a FIFO, a device or a symlink
 * swapped in after resolution is refused rather than followed or read forever.
 */
export async function readInRoot(root: string, path: string): Promise<string> {
  let fh;
  try {
    fh = await open(await resolveInRoot(root, path), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return '';
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size > MAX_ID_FILE) return '';
    const buf = Buffer.alloc(st.size);
    const { bytesRead } = await fh.read(buf, 0, st.size, 0);
    return buf.toString('utf8', 0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Creates the working directory like docker: owned by the container's user when new. */
export async function ensureWorkdir(root: string, dir: string, uid: number, gid: number): Promise<void> {
  const target = await resolveInRoot(root, dir);
  try {
    await lstat(target);
  } catch {
    await mkdir(target, { recursive: true, mode: 0o755 });
    await chown(target, uid, gid);
  }
}

/** docker's /etc/hosts: the usual names, --add-host entries, then the container's own address. */
export function hostsFile(hostname: string, extra: ExtraHost[], address?: string): string {
  return [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    ...extra.map((h) => `${h.address}\t${h.name}`),
    // Without an address of its own (--network none) the name still resolves, as on docker.
    `${address ?? '127.0.1.1'}\t${hostname}`,
    '',
  ].join('\n');
}

/** The host's resolver config, minus loopback servers a private netns cannot reach. */
export async function resolvConf(hostNetwork: boolean, dns: string[], search: string[], options: string[]): Promise<string> {
  const host = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  const lines = host.split('\n');
  let servers = dns.length ? dns : lines.filter((l) => /^\s*nameserver\s/.test(l)).map((l) => l.trim().split(/\s+/)[1]!);
  if (!hostNetwork) servers = servers.filter((s) => !s.startsWith('127.') && s !== '::1');
  const searchLine = search.length ? search : lines.filter((l) => /^\s*search\s/.test(l)).flatMap((l) => l.trim().split(/\s+/).slice(1));
  const optLine = options.length ? options : lines.filter((l) => /^\s*options\s/.test(l)).flatMap((l) => l.trim().split(/\s+/).slice(1));
  return [
    ...servers.map((s) => `nameserver ${s}`),
    ...(searchLine.length ? [`search ${searchLine.join(' ')}`] : []),
    ...(optLine.length ? [`options ${optLine.join(' ')}`] : []),
    '',
  ].join('\n');
}

export interface IdentityFiles {
  hostname: string;
  hostsEntries: ExtraHost[];
  address?: string;
  hostNetwork: boolean;
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  readonly: boolean;
}

/** The identity files: kept in the container's directory, bind-mounted at /etc/<name>. */
export const IDENTITY_FILES = ['hostname', 'hosts', 'resolv.conf'] as const;

/** Writes the container's identity files and returns the bind mounts for them. */
export async function writeIdentityFiles(dir: string, f: IdentityFiles): Promise<OciMount[]> {
  const content: Record<(typeof IDENTITY_FILES)[number], string> = {
    hostname: `${f.hostname}\n`,
    hosts: f.hostNetwork ? await readFile('/etc/hosts', 'utf8').catch(() => hostsFile(f.hostname, f.hostsEntries)) : hostsFile(f.hostname, f.hostsEntries, f.address),
    'resolv.conf': await resolvConf(f.hostNetwork, f.dns, f.dnsSearch, f.dnsOptions),
  };
  const mounts: OciMount[] = [];
  for (const name of IDENTITY_FILES) {
    await writeFile(join(dir, name), content[name], { mode: 0o644 });
    mounts.push({ destination: `/etc/${name}`, type: 'bind', source: join(dir, name), options: ['rbind', 'rprivate', f.readonly ? 'ro' : 'rw'] });
  }
  return mounts;
}
