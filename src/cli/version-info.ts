// The client's own version: package.json's, and the commit it was run from.
import { readFileSync } from 'node:fs';

const root = new URL('../../', import.meta.url);

function read(rel: string): string | null {
  try {
    return readFileSync(new URL(rel, root), 'utf8').trim();
  } catch {
    return null;
  }
}

export function berthVersion(): { version: string; commit: string } {
  const pkg = JSON.parse(read('package.json') ?? '{}') as { version?: string };
  const head = read('.git/HEAD') ?? '';
  const sha = head.startsWith('ref: ') ? read(`.git/${head.slice(5)}`) : head;
  return { version: pkg.version ?? 'unknown', commit: sha ? sha.slice(0, 7) : 'unknown' };
}
