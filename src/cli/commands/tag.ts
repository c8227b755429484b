// berth tag SOURCE TARGET.
import { tagImage } from '../../client/images.ts';
import { parseReference } from '../../image/reference.ts';
import type { Command } from '../command.ts';
import { fullyQualified } from './pull.ts';

function parse(ref: string): ReturnType<typeof parseReference> {
  try {
    return parseReference(ref);
  } catch (e) {
    throw new Error(`Error parsing reference: ${JSON.stringify(ref)} is not a valid repository/tag: ${(e as Error).message}`);
  }
}

export const tag: Command = {
  use: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  args: { min: 2, max: 2 },
  flags: [],
  async run(ctx, _flags, [source = '', target = '']) {
    // sha256 IDs are valid sources even though they are not references.
    if (!/^(sha256:)?[a-f0-9]{12,64}$/.test(source)) parse(source);
    const ref = parse(target);
    if (ref.digest) throw new Error('refusing to create a tag with a digest reference');
    await tagImage(ctx.client, source, fullyQualified(ref.repo), ref.tag ?? '');
  },
};
