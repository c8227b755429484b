// Container rlimits may not exceed the host's hard limits: raising a hard
// limit needs CAP_SYS_RESOURCE, which the daemon may not have, and runc then
// fails the whole start.
import { readFile } from 'node:fs/promises';

const NAMES: Record<string, string> = {
  'Max cpu time': 'cpu', 'Max file size': 'fsize', 'Max data size': 'data', 'Max stack size': 'stack',
  'Max core file size': 'core', 'Max resident set': 'rss', 'Max processes': 'nproc', 'Max open files': 'nofile',
  'Max locked memory': 'memlock', 'Max address space': 'as', 'Max file locks': 'locks',
  'Max pending signals': 'sigpending', 'Max msgqueue size': 'msgqueue', 'Max nice priority': 'nice',
  'Max realtime priority': 'rtprio', 'Max realtime timeout': 'rttime',
};

/** Hard limits of this process, by docker's ulimit names; Infinity for unlimited. */
export async function hostRlimits(): Promise<Map<string, number>> {
  const text = await readFile('/proc/self/limits', 'utf8');
  const out = new Map<string, number>();
  for (const line of text.split('\n').slice(1)) {
    const name = Object.keys(NAMES).find((n) => line.startsWith(n));
    if (!name) continue;
    const hard = line.slice(26).trim().split(/\s+/)[1];
    out.set(NAMES[name]!, hard === 'unlimited' || hard === undefined ? Infinity : Number(hard));
  }
  return out;
}

/** Requested limits within the host's; -1 (docker's "unlimited") is the host's maximum. Infinity means RLIM_INFINITY. */
export function capRlimits(requested: { Name: string; Soft: number; Hard: number }[], host: Map<string, number>): { type: string; hard: number; soft: number }[] {
  return requested.map((u) => {
    const max = host.get(u.Name) ?? Infinity;
    const hard = u.Hard < 0 ? max : Math.min(u.Hard, max);
    const soft = u.Soft < 0 ? hard : Math.min(u.Soft, hard);
    return { type: `RLIMIT_${u.Name.toUpperCase()}`, hard, soft };
  });
}
