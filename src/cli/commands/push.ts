// berth push: docker's flags and output; the daemon does the upload.
import { Writable } from 'node:stream';
import { pushImage } from '../../client/images.ts';
import type { Command } from '../command.ts';
import { displayJsonMessages } from '../jsonmessage.ts';
import { fullyQualified, registryArgument, registryAuth, registryFlags } from './pull.ts';

export const push: Command = {
  use: '[OPTIONS] NAME[:TAG]',
  args: { min: 1, max: 1 },
  flags: registryFlags('Push all tags of an image to the repository', 'Skip image signing'),
  async run(ctx, flags, [ref = '']) {
    const { parsed, all, quiet } = registryArgument(ctx, flags, ref);
    const tag = parsed.tag ?? (all || parsed.digest ? '' : 'latest');
    const name = parsed.digest ? `${parsed.repo}@${parsed.digest}` : parsed.repo;
    const res = await pushImage(ctx.client, name, tag, await registryAuth(ctx.env, parsed.repo));
    const out = quiet ? new Writable({ write: (_chunk, _enc, cb) => cb() }) : ctx.stdout;
    await displayJsonMessages(res, out, { tty: Boolean(ctx.stdout.isTTY) && !quiet, width: ctx.stdout.columns });
    if (quiet) ctx.stdout.write(`${fullyQualified(parsed.repo)}${tag ? `:${tag}` : ''}\n`);
  },
};
