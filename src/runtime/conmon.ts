// conmon: the per-container monitor that owns the container's stdio, writes
// its log, and records its exit code in a file, so containers outlive berthd.
// It reports the container's PID (or runc's error) on a sync pipe.
import type { Readable } from 'node:stream';
import { spawnProcess, type SpawnedProcess } from '../util/spawn.ts';
import { cleanRuncError, type Runc } from './runc.ts';

export interface ConmonOptions {
  id: string;
  bundle: string;
  logPath: string;
  logSizeMax: number;
  exitDir: string;
  socketDir: string;
  pidFile: string;
  conmonPidFile: string;
  stdin: boolean;
  terminal: boolean;
}

export class ConmonError extends Error {}

export class Conmon {
  readonly path: string;
  readonly runc: Runc;
  constructor(path: string, runc: Runc) {
    this.path = path;
    this.runc = runc;
  }

  /** Runs `runc create` under a new conmon; resolves with the container's init PID. */
  create(opts: ConmonOptions): Promise<number> {
    const args = [
      '--api-version', '1',
      // A short cuuid keeps the attach socket path under the 108-byte limit.
      '-c', opts.id, '-u', opts.id.slice(0, 12), '-n', opts.id,
      '-r', this.runc.path,
      ...this.runc.globalArgs().flatMap((a) => ['--runtime-arg', a]),
      '-b', opts.bundle,
      '-p', opts.pidFile,
      '-P', opts.conmonPidFile,
      '-l', `k8s-file:${opts.logPath}`,
      '--log-size-max', String(opts.logSizeMax),
      '--exit-dir', opts.exitDir,
      '--socket-dir-path', opts.socketDir,
      '--log-level', 'error',
      ...(opts.stdin ? ['-i'] : []),
      ...(opts.terminal ? ['-t'] : []),
    ];
    return new Promise((resolve, reject) => {
      let child: SpawnedProcess;
      try {
        child = spawnProcess(this.path, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], env: { ...process.env, _OCI_SYNCPIPE: '3' }, detached: true });
      } catch (err) {
        reject(new ConmonError(`conmon: ${(err as Error).message}`));
        return;
      }
      const sync = child.stdio[3] as Readable;
      let stderr = '';
      let buf = '';
      let settled = false;
      const finish = (err: Error | null, pid?: number): void => {
        if (settled) return;
        settled = true;
        // conmon keeps the pipe's write end for the container's lifetime; we are done with it.
        sync.destroy();
        child.stderr?.destroy();
        if (err) reject(err);
        else resolve(pid!);
      };
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      sync.on('data', (d: Buffer) => {
        buf += d.toString();
        // One JSON object per line; a runc error inside it may hold any character.
        const nl = buf.indexOf('\n');
        if (nl < 0) return;
        try {
          const msg = JSON.parse(buf.slice(0, nl)) as { data: number; message?: string };
          if (msg.data < 0) finish(new ConmonError(cleanRuncError(msg.message ?? 'container create failed')));
          else finish(null, msg.data);
        } catch (err) {
          finish(new ConmonError(`conmon: bad sync message: ${(err as Error).message}`));
        }
      });
      sync.on('end', () => finish(new ConmonError(cleanRuncError(stderr || 'conmon exited before the container was created'))));
      sync.on('error', () => {});
    });
  }
}
