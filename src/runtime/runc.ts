// The OCI runtime (runc) as a command-line tool. Each daemon gives runc its
// own state root, so two daemons (tests, benches) never see each other's
// containers.
import { execFile } from 'node:child_process';
import { open, unlink } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';

export interface RuncState {
  id: string;
  pid: number;
  status: 'created' | 'running' | 'stopped' | 'paused' | 'creating';
}

export class Runc {
  readonly path: string;
  readonly root: string;
  constructor(path: string, root: string) {
    this.path = path;
    this.root = root;
  }

  /** Global flags that must precede any runc subcommand. */
  globalArgs(): string[] {
    return ['--root', this.root];
  }

  run(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(this.path, [...this.globalArgs(), ...args], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) reject(new Error(cleanRuncError(stderr || err.message)));
        else resolve(stdout);
      });
    });
  }

  /**
   * Starts a created container. runc's init waits on `exec.fifo` in the state
   * dir until someone reads it, which is all `runc start` does; reading it here
   * saves spawning runc (~8 ms of every `docker run`). Runtimes without the
   * fifo get `start`.
   */
  async start(id: string): Promise<void> {
    const fifo = join(this.root, id, 'exec.fifo');
    let fh;
    try {
      fh = await open(fifo, constants.O_RDONLY);
    } catch {
      await this.run(['start', id]);
      return;
    }
    try {
      const { bytesRead } = await fh.read(Buffer.alloc(1), 0, 1, null);
      if (bytesRead !== 1) throw new Error(`container ${id} is not waiting to start`);
    } finally {
      await fh.close();
    }
    // runc reads "created" off the fifo's presence, as after its own start.
    await unlink(fifo).catch(() => {});
  }

  async delete(id: string): Promise<void> {
    await this.run(['delete', '--force', id]).catch((err: Error) => {
      if (!/does not exist|not found/.test(err.message)) throw err;
    });
  }

  async list(): Promise<RuncState[]> {
    const out = await this.run(['list', '--format', 'json']);
    return (JSON.parse(out || 'null') as RuncState[] | null) ?? [];
  }

  async pause(id: string): Promise<void> {
    await this.run(['pause', id]);
  }

  async resume(id: string): Promise<void> {
    await this.run(['resume', id]);
  }
}

/** runc prints logrus lines (`time=… level=error msg="…"`); users want the message. */
export function cleanRuncError(text: string): string {
  const msgs = [...text.matchAll(/msg="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\"/g, '"').replace(/\\\\/g, '\\'));
  const msg = msgs.length ? msgs[msgs.length - 1]! : text.trim();
  return msg.replace(/^runc (create|run|exec) failed: /, '');
}
