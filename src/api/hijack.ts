// Hijacked connections (attach, exec): after a 101 the socket carries raw
// stdin upward and (framed) output downward.
import type { Duplex } from 'node:stream';
import type { Ctx } from './router.ts';
import { badRequest } from '../util/errors.ts';

/** Reads a JSON body sent ahead of an upgrade; returns it and any bytes after it. */
export async function readUpgradeBody<T>(ctx: Ctx, fallback: T): Promise<T> {
  const socket = ctx.socket!;
  const length = Number(ctx.req.headers['content-length'] ?? 0);
  let buf = ctx.head ?? Buffer.alloc(0);
  while (buf.length < length) {
    const chunk = await new Promise<Buffer | null>((resolve) => {
      const onData = (d: Buffer): void => {
        cleanup();
        resolve(d);
      };
      const onEnd = (): void => {
        cleanup();
        resolve(null);
      };
      const cleanup = (): void => {
        socket.off('data', onData);
        socket.off('end', onEnd);
        socket.pause();
      };
      socket.on('data', onData);
      socket.on('end', onEnd);
      socket.resume();
    });
    if (!chunk) break;
    buf = Buffer.concat([buf, chunk]);
  }
  ctx.head = buf.subarray(length);
  const text = buf.subarray(0, length).toString('utf8').trim();
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw badRequest(`invalid JSON: ${(err as Error).message}`);
  }
}

/** Answers 101 and hands back the raw socket; stdin bytes already read are put back. */
export function hijack(ctx: Ctx, multiplexed: boolean): Duplex {
  const socket = ctx.socket!;
  const type = multiplexed ? 'application/vnd.docker.multiplexed-stream' : 'application/vnd.docker.raw-stream';
  socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${type}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
  if (ctx.head && ctx.head.length) socket.unshift(ctx.head);
  ctx.head = undefined;
  return socket;
}
