// One container: its persisted record, the paths it owns, and the waiters
// for its next exit or its removal. Start, exit handling, removal, rename and
// pause run under `locked` so they never interleave; stop and kill only send
// signals and wait for the exit that exit handling records.
import { join } from 'node:path';
import type { ContainerRecord } from './types.ts';
import { writeJsonAtomic } from '../util/fs-atomic.ts';

export interface ExitResult {
  StatusCode: number;
  Error: { Message: string } | null;
}

export class Container {
  record: ContainerRecord;
  readonly dataDir: string;
  readonly runDir: string;
  #lock: Promise<unknown> = Promise.resolve();
  #exitWaiters: ((r: ExitResult) => void)[] = [];
  #removeWaiters: ((r: ExitResult) => void)[] = [];
  /** Settles when the container next stops; replaced at each start. */
  stopped: Promise<void> = Promise.resolve();
  #markStopped: () => void = () => {};
  restartTimer?: NodeJS.Timeout;
  execIds = new Set<string>();
  /** Whether runc state or a rootfs mount may still exist (avoids a second `runc delete`). */
  needsTeardown = false;

  constructor(record: ContainerRecord, dataDir: string, runDir: string) {
    this.record = record;
    this.dataDir = dataDir;
    this.runDir = runDir;
  }

  get id(): string {
    return this.record.Id;
  }
  get name(): string {
    return this.record.Name.replace(/^\//, '');
  }
  get running(): boolean {
    return this.record.State.Running;
  }

  get logPath(): string {
    return join(this.dataDir, 'ctr.log');
  }
  get bundle(): string {
    return join(this.runDir, 'bundle');
  }
  get rootfs(): string {
    return join(this.runDir, 'bundle', 'rootfs');
  }

  /** Writes the record (or the one it is about to become). */
  async save(record: ContainerRecord = this.record): Promise<void> {
    await writeJsonAtomic(join(this.dataDir, 'config.v2.json'), record);
  }

  /** Runs fn with this container's state to itself. */
  locked<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#lock.then(fn, fn);
    this.#lock = next.catch(() => {});
    return next;
  }

  markStarted(): void {
    this.stopped = new Promise((r) => (this.#markStopped = r));
  }

  notifyExit(): void {
    const r = this.exitResult();
    this.#markStopped();
    for (const w of this.#exitWaiters.splice(0)) w(r);
  }

  notifyRemoved(): void {
    const r = this.exitResult();
    this.#markStopped();
    for (const w of this.#exitWaiters.splice(0)) w(r);
    for (const w of this.#removeWaiters.splice(0)) w(r);
  }

  exitResult(): ExitResult {
    // The start error reaches the client through the start call; wait reports only the code.
    return { StatusCode: this.record.State.ExitCode, Error: null };
  }

  waitExit(): Promise<ExitResult> {
    return new Promise((r) => this.#exitWaiters.push(r));
  }

  waitRemoved(): Promise<ExitResult> {
    return new Promise((r) => this.#removeWaiters.push(r));
  }
}
