import type { Router } from '../router.ts';
import { readJsonBody, sendJson, COMMON_HEADERS } from '../router.ts';
import type { ApiDeps } from '../server.ts';
import { readUpgradeBody, hijack } from '../hijack.ts';
import type { ExecConfig } from '../../engine/exec.ts';
import { isRuncError } from '../../engine/exec.ts';
import { cleanRuncError } from '../../runtime/runc.ts';
import { frame, STDERR, STDOUT } from '../stdcopy.ts';
import { badRequest } from '../../util/errors.ts';
import type { Writable } from 'node:stream';

export function execRoutes(router: Router, { execs }: ApiDeps): void {
  router.add('POST', '/containers/{id}/exec', async ({ req, res, params }) => {
    const body = await readJsonBody<ExecConfig | null>(req, null);
    if (!body || typeof body !== 'object') throw badRequest('exec config is required');
    if (body.Tty) throw badRequest('exec with a TTY is not supported yet');
    sendJson(res!, 201, { Id: execs.create(params.id!, body) });
  });

  router.add('GET', '/exec/{id}/json', ({ res, params }) => sendJson(res!, 200, execs.inspect(params.id!)));

  router.add('POST', '/exec/{id}/start', async (ctx) => {
    const body = ctx.socket ? await readUpgradeBody<{ Detach?: boolean; Tty?: boolean }>(ctx, {}) : await readJsonBody<{ Detach?: boolean; Tty?: boolean }>(ctx.req, {});
    const session = execs.get(ctx.params.id!);
    if (body.Detach) {
      const child = await execs.start(session.id, true);
      await new Promise((r) => child.on('close', r));
      if (ctx.res) ctx.res.writeHead(200, COMMON_HEADERS).end();
      else ctx.socket!.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const child = await execs.start(session.id, false);
    let out: Writable;
    if (ctx.socket) out = hijack(ctx, true);
    else {
      ctx.res!.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
      out = ctx.res!;
    }
    if (child.stdin && ctx.socket) {
      ctx.socket.pipe(child.stdin);
      child.stdin.on('error', () => {});
    }
    // A slow client holds the process's output back instead of filling berthd's memory.
    const send = (stream: number, d: Buffer): void => {
      if (out.destroyed) return;
      if (!out.write(frame(stream, d))) {
        child.stdout!.pause();
        child.stderr!.pause();
        out.once('drain', () => {
          child.stdout!.resume();
          child.stderr!.resume();
        });
      }
    };
    if (session.config.AttachStdout !== false) child.stdout!.on('data', (d: Buffer) => send(STDOUT, d));
    else child.stdout!.resume();
    let runcErr = '';
    child.stderr!.on('data', (d: Buffer) => {
      const text = d.toString('latin1');
      if (isRuncError(text)) runcErr += text;
      else if (session.config.AttachStderr !== false) send(STDERR, d);
    });
    await new Promise((r) => child.on('close', r));
    // docker reports an exec that could not start on stdout, as its CLI prints it.
    if (runcErr) send(STDOUT, Buffer.from(`OCI runtime exec failed: ${cleanRuncError(runcErr)}\n`));
    out.end();
  });
}
