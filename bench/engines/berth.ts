// berthd, the engine under test, straight from this checkout.
import { join } from 'node:path';
import type { DaemonSpec } from '../lib/daemon.ts';

const BERTHD = new URL('../../bin/berthd', import.meta.url).pathname;

export function berthSpec(dir: string): DaemonSpec {
  const socket = join(dir, 'berth.sock');
  return {
    cmd: BERTHD,
    args: ['--data-root', join(dir, 'root'), '--exec-root', join(dir, 'run'), '-H', `unix://${socket}`],
    socket,
    helpers: /^(node|conmon)$/,
  };
}
