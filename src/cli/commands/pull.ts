// berth pull, and the pull run/create do when an image is missing.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pullImage } from '../../client/images.ts';
import { parseReference, type Reference } from '../../image/reference.ts';
import { DOCKER_HUB_AUTH_KEY, DOCKER_HUB_DOMAIN, registryDomainOf, splitRepository } from '../../distribution/endpoint.ts';
import type { Command, Context } from '../command.ts';
import type { FlagSpec, ParsedFlags } from '../flags.ts';
import { displayJsonMessages } from '../jsonmessage.ts';

const discard = (): Writable => new Writable({ write: (_chunk, _enc, cb) => cb() });

/** "busybox" → "docker.io/library/busybox", as docker prints pulled references. */
export function fullyQualified(repo: string): string {
  const first = repo.split('/')[0]!;
  if (repo.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return repo;
  return `docker.io/${repo.includes('/') ? '' : 'library/'}${repo}`;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; identitytoken?: string; username?: string; password?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** `docker-credential-<helper> get`: {Username, Secret}, or nothing when the helper fails. */
function credentialHelper(helper: string, server: string): Promise<{ Username?: string; Secret?: string } | undefined> {
  return new Promise((resolve) => {
    const child = spawn(`docker-credential-${helper}`, ['get'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', () => resolve(undefined));
    child.on('close', (code) => {
      try {
        resolve(code === 0 ? (JSON.parse(out) as { Username?: string; Secret?: string }) : undefined);
      } catch {
        resolve(undefined);
      }
    });
    child.stdin.on('error', () => {});
    child.stdin.end(server);
  });
}

/**
 * The X-Registry-Auth header for `repo`'s registry, from docker's config
 * file ($DOCKER_CONFIG/config.json or ~/.docker/config.json, as `docker
 * login` writes it): a credential helper's answer, else the "auths" entry.
 * "e30=" ({}) when there are none.
 */
export async function registryAuth(env: NodeJS.ProcessEnv, repo: string): Promise<string> {
  const domain = splitRepository(repo).domain;
  const key = domain === DOCKER_HUB_DOMAIN ? DOCKER_HUB_AUTH_KEY : domain;
  let config: DockerConfig;
  try {
    config = JSON.parse(await readFile(join(env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker'), 'config.json'), 'utf8')) as DockerConfig;
  } catch {
    return 'e30=';
  }
  const auth: Record<string, string> = { serveraddress: key };
  const helper = config.credHelpers?.[key] ?? config.credsStore;
  const fromHelper = helper ? await credentialHelper(helper, key) : undefined;
  if (fromHelper?.Secret) {
    if (fromHelper.Username === '<token>') auth.identitytoken = fromHelper.Secret;
    else Object.assign(auth, { username: fromHelper.Username ?? '', password: fromHelper.Secret });
  } else {
    // Keys may be written with a scheme or a path ("https://index.docker.io/v1/", "http://host:5000").
    const entry = Object.entries(config.auths ?? {}).find(([k]) => k === key || registryDomainOf(k) === domain)?.[1];
    if (!entry) return 'e30=';
    for (const f of ['auth', 'identitytoken', 'username', 'password'] as const) if (entry[f]) auth[f] = entry[f];
  }
  return Buffer.from(JSON.stringify(auth)).toString('base64url');
}

/** Pulls ref, showing progress on out; null discards it (errors still surface). An empty tag (`all`) pulls every tag. */
export async function pullWithProgress(ctx: Context, ref: string, out: Context['stdout'] | null, platform = '', all = false): Promise<void> {
  const parsed = parseReference(ref);
  const tag = all ? '' : (parsed.digest ?? parsed.tag ?? 'latest');
  const res = await pullImage(ctx.client, parsed.repo, tag, platform, await registryAuth(ctx.env, parsed.repo));
  await displayJsonMessages(res, out ?? discard(), { tty: Boolean(out?.isTTY), width: out?.columns });
}

/** pull's and push's flags: -a, the hidden content-trust switch, -q, and what else one has. */
export function registryFlags(allTags: string, trust: string, extra: FlagSpec[] = []): FlagSpec[] {
  return [
    { name: 'all-tags', short: 'a', kind: 'bool', usage: allTags },
    { name: 'disable-content-trust', kind: 'bool', usage: trust, default: true, hidden: true },
    ...extra,
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Suppress verbose output' },
  ];
}

/** docker's rules for pull's and push's argument: -a wants a bare name; without it a bare name means :latest, which is said unless -q. */
export function registryArgument(ctx: Context, flags: ParsedFlags, ref: string): { parsed: Reference; all: boolean; quiet: boolean } {
  const parsed = parseReference(ref);
  const all = flags.bool('all-tags');
  const quiet = flags.bool('quiet');
  if (all && (parsed.tag || parsed.digest)) throw new Error("tag can't be used with --all-tags/-a");
  if (!parsed.tag && !parsed.digest && !all && !quiet) ctx.stdout.write('Using default tag: latest\n');
  return { parsed, all, quiet };
}

export const pull: Command = {
  use: '[OPTIONS] NAME[:TAG|@DIGEST]',
  args: { min: 1, max: 1 },
  flags: registryFlags('Download all tagged images in the repository', 'Skip image verification', [
    { name: 'platform', kind: 'string', usage: 'Set platform if server is multi-platform capable' },
  ]),
  async run(ctx, flags, [ref = '']) {
    const { parsed, all, quiet } = registryArgument(ctx, flags, ref);
    await pullWithProgress(ctx, ref, quiet ? null : ctx.stdout, flags.string('platform'), all);
    const suffix = parsed.digest ? `@${parsed.digest}` : all ? '' : `:${parsed.tag ?? 'latest'}`;
    ctx.stdout.write(`${fullyQualified(parsed.repo)}${suffix}\n`);
  },
};
