// A Debian bookworm root filesystem with gcc and libc6-dev, made with
// mmdebstrap from the machine's own apt mirror, for build tests that need a
// real distribution. Making it takes a while, so the tarball is cached on
// the host outside any test root and made once: under a flock, written to a
// temporary name and renamed into place.
import { readdirSync, readFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { run, type TestDaemon } from './daemon.ts';

export const DEBIAN_CACHE_DIR = '/var/cache/berth-test';
export const DEBIAN_TAR = join(DEBIAN_CACHE_DIR, 'debian-bookworm-gcc.tar');
const SUITE = 'bookworm';
const PACKAGES = ['gcc', 'libc6-dev'];
const FALLBACK_MIRROR = 'http://deb.debian.org/debian';

interface AptSource {
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
}

/** The entries of a one-line sources.list: `deb [options] URI SUITE COMPONENT...`. */
function oneLineSources(text: string): AptSource[] {
  return text.split('\n').flatMap((raw) => {
    const line = raw.replace(/#.*/, '').replace(/\[[^\]]*\]/, ' ').trim();
    const [type = '', uri = '', suite = '', ...components] = line.split(/\s+/);
    return type && uri && suite ? [{ types: [type], uris: [uri], suites: [suite], components }] : [];
  });
}

/** The stanzas of a deb822 .sources file (Enabled: no ones left out). */
function deb822Sources(text: string): AptSource[] {
  return text.split(/\n\s*\n/).flatMap((stanza) => {
    const fields = new Map<string, string>();
    let last = '';
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#')) continue;
      if (/^\s/.test(line) && last) fields.set(last, `${fields.get(last)} ${line.trim()}`);
      else {
        const m = /^([\w-]+):\s*(.*)$/.exec(line);
        if (m) fields.set((last = m[1]!.toLowerCase()), m[2]!.trim());
      }
    }
    if (fields.get('enabled')?.toLowerCase() === 'no') return [];
    const words = (k: string): string[] => (fields.get(k) ?? '').split(/\s+/).filter(Boolean);
    return [{ types: words('types'), uris: words('uris'), suites: words('suites'), components: words('components') }];
  });
}

/** The machine's configured mirror for bookworm main (the one it can reach). */
export function debianMirror(): string {
  const sources: AptSource[] = [];
  if (existsSync('/etc/apt/sources.list')) sources.push(...oneLineSources(readFileSync('/etc/apt/sources.list', 'utf8')));
  const dir = '/etc/apt/sources.list.d';
  for (const name of existsSync(dir) ? readdirSync(dir).sort() : []) {
    if (name.endsWith('.list')) sources.push(...oneLineSources(readFileSync(join(dir, name), 'utf8')));
    else if (name.endsWith('.sources')) sources.push(...deb822Sources(readFileSync(join(dir, name), 'utf8')));
  }
  const main = sources.find((s) => s.types.includes('deb') && s.suites.includes(SUITE) && s.components.includes('main'));
  return main?.uris[0]?.replace(/\/+$/, '') ?? FALLBACK_MIRROR;
}

/** The cached tarball; `madeInSeconds` is how long mmdebstrap took when this call had to make it. */
export interface DebianTar {
  path: string;
  madeInSeconds: number | null;
}

/**
 * The cached rootfs tarball, made first when missing. Only one process makes
 * it (flock on a lock file beside it); the others wait and find it made.
 */
export async function debianTar(): Promise<DebianTar> {
  if (existsSync(DEBIAN_TAR)) return { path: DEBIAN_TAR, madeInSeconds: null };
  mkdirSync(DEBIAN_CACHE_DIR, { recursive: true });
  const script = [
    'set -e', 'tar=$1', 'tmp=$1.tmp',
    '[ -e "$tar" ] && exit 0',
    'rm -f "$tmp"',
    `mmdebstrap --mode=root --format=tar --variant=apt --include=${PACKAGES.join(',')} ${SUITE} "$tmp" "$2" >&2`,
    'mv "$tmp" "$tar"',
    'echo made',
  ].join('\n');
  const started = Date.now();
  const r = await run('flock', [`${DEBIAN_TAR}.lock`, 'sh', '-c', script, 'sh', DEBIAN_TAR, `deb ${debianMirror()} ${SUITE} main`], { timeoutMs: 30 * 60_000 });
  if (r.code !== 0 || !existsSync(DEBIAN_TAR)) throw new Error(`mmdebstrap failed (${r.code}):\n${r.stderr.slice(-4000)}`);
  return { path: DEBIAN_TAR, madeInSeconds: r.stdout.includes('made') ? (Date.now() - started) / 1000 : null };
}

/** Imports the Debian rootfs into `d` as `ref`, with the config of Debian's own image (PATH, `bash`). */
export async function importDebian(d: TestDaemon, ref = 'debian:bookworm'): Promise<DebianTar> {
  const tar = await debianTar();
  const changes = ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'CMD ["bash"]'];
  const r = await d.docker(['import', ...changes.flatMap((c) => ['-c', c]), tar.path, ref], { timeoutMs: 10 * 60_000 });
  if (r.code !== 0) throw new Error(`docker import ${tar.path} failed: ${r.stderr}`);
  return tar;
}
