// berth pull, and the pull run/create do when an image is missing.
import { Writable } from 'node:stream';
import { pullImage } from '../../client/images.ts';
import { parseReference } from '../../image/reference.ts';
import type { Command, Context } from '../command.ts';
import { displayJsonMessages } from '../jsonmessage.ts';

const discard = (): Writable => new Writable({ write: (_chunk, _enc, cb) => cb() });

/** "busybox" → "docker.io/library/busybox", as docker prints pulled references. */
export function fullyQualified(repo: string): string {
  const first = repo.split('/')[0]!;
  if (repo.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return repo;
  return `docker.io/${repo.includes('/') ? '' : 'library/'}${repo}`;
}

/** Pulls ref, showing progress on out; null discards it (errors still surface). */
export async function pullWithProgress(ctx: Context, ref: string, out: Context['stdout'] | null, platform = ''): Promise<void> {
  const parsed = parseReference(ref);
  const res = await pullImage(ctx.client, parsed.repo, parsed.digest ?? parsed.tag ?? 'latest', platform);
  await displayJsonMessages(res, out ?? discard(), { tty: Boolean(out?.isTTY), width: out?.columns });
}

export const pull: Command = {
  use: '[OPTIONS] NAME[:TAG|@DIGEST]',
  args: { min: 1, max: 1 },
  flags: [
    { name: 'all-tags', short: 'a', kind: 'bool', usage: 'Download all tagged images in the repository' },
    { name: 'disable-content-trust', kind: 'bool', usage: 'Skip image verification', default: true, hidden: true },
    { name: 'platform', kind: 'string', usage: 'Set platform if server is multi-platform capable' },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Suppress verbose output' },
  ],
  async run(ctx, flags, [ref = '']) {
    const parsed = parseReference(ref);
    if (!parsed.tag && !parsed.digest && !flags.bool('all-tags')) ctx.stdout.write('Using default tag: latest\n');
    await pullWithProgress(ctx, ref, flags.bool('quiet') ? null : ctx.stdout, flags.string('platform'));
    const suffix = parsed.digest ? `@${parsed.digest}` : `:${parsed.tag ?? 'latest'}`;
    ctx.stdout.write(`${fullyQualified(parsed.repo)}${suffix}\n`);
  },
};
