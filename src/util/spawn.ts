// Starting processes with posix_spawn. Node's child_process forks berthd
// (libuv's uv_spawn: fork, then exec in the child, the parent blocked until
// the exec is done), which copies the page tables of a 100 MB process: 7–10 ms
// of berthd's only thread here for every conmon, runc exec or CNI plugin.
// glibc's posix_spawn starts the child in berthd's memory (clone with
// CLONE_VM|CLONE_VFORK) and costs ~0.5 ms. libuv reaps only the children it
// started, each by its PID, so these are reaped here, on SIGCHLD, by theirs.
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { libc, strerror } from './libc.ts';

const spawnp = libc.func('int posix_spawnp(_Out_ int *pid, const char *file, void *actions, void *attr, const char **argv, const char **envp)');
const actionsInit = libc.func('int posix_spawn_file_actions_init(void *actions)');
const actionsDestroy = libc.func('int posix_spawn_file_actions_destroy(void *actions)');
const addDup2 = libc.func('int posix_spawn_file_actions_adddup2(void *actions, int fd, int newfd)');
const addOpen = libc.func('int posix_spawn_file_actions_addopen(void *actions, int fd, const char *path, int oflag, uint32_t mode)');
const attrInit = libc.func('int posix_spawnattr_init(void *attr)');
const attrDestroy = libc.func('int posix_spawnattr_destroy(void *attr)');
const attrSetFlags = libc.func('int posix_spawnattr_setflags(void *attr, short flags)');
const attrSetSigDefault = libc.func('int posix_spawnattr_setsigdefault(void *attr, void *sigset)');
const attrSetSigMask = libc.func('int posix_spawnattr_setsigmask(void *attr, void *sigset)');
const sigFillSet = libc.func('int sigfillset(void *set)');
const sigEmptySet = libc.func('int sigemptyset(void *set)');
const pipe2 = libc.func('int pipe2(_Out_ int *fds, int flags)');
const closeFd = libc.func('int close(int fd)');
const waitpid = libc.func('int waitpid(int pid, _Out_ int *status, int options)');

// glibc's values (spawn.h, fcntl.h, wait.h).
const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80;
const O_RDWR = 0o2;
const O_CLOEXEC = 0o2000000;
const WNOHANG = 1;
// Opaque glibc structures, given more room than they take (80, 336 and 128 bytes).
const ACTIONS_SIZE = 256;
const ATTR_SIZE = 512;
const SIGSET_SIZE = 128;

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

/** Per child fd: a pipe to berthd, or /dev/null. */
export type StdioSpec = 'pipe' | 'ignore';

export interface SpawnOptions {
  /** The child's fds 0, 1, 2 and on; missing ones are /dev/null. */
  stdio?: StdioSpec[];
  /** The whole environment (default: berthd's). */
  env?: NodeJS.ProcessEnv;
  /** A session of its own (setsid), as child_process's `detached`. */
  detached?: boolean;
}

/**
 * A started process, shaped like child_process's ChildProcess where berthd
 * uses it: `exit` and then `close` (once its pipes are closed too) with
 * (code, signal name).
 */
export class SpawnedProcess extends EventEmitter {
  readonly pid: number;
  /** berthd's end of each piped fd, by the child's fd number. */
  readonly stdio: (Socket | null)[];
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  #exited = false;
  #openPipes: number;

  constructor(pid: number, stdio: (Socket | null)[]) {
    super();
    this.pid = pid;
    this.stdio = stdio;
    this.#openPipes = stdio.filter((s) => s).length;
    for (const s of stdio) s?.once('close', () => this.#pipeClosed());
  }

  get stdin(): Writable | null {
    return this.stdio[0] ?? null;
  }

  get stdout(): Readable | null {
    return this.stdio[1] ?? null;
  }

  get stderr(): Readable | null {
    return this.stdio[2] ?? null;
  }

  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    if (this.#exited) return false;
    try {
      process.kill(this.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** The reaper's report. */
  exited(status: number): void {
    const sig = status & 0x7f;
    this.exitCode = sig === 0 ? (status >> 8) & 0xff : null;
    this.signalCode = sig === 0 ? null : (SIGNAL_NAMES.get(sig) ?? null);
    this.#exited = true;
    this.emit('exit', this.exitCode, this.signalCode);
    this.#maybeClose();
  }

  #pipeClosed(): void {
    this.#openPipes--;
    this.#maybeClose();
  }

  #maybeClose(): void {
    if (this.#exited && this.#openPipes === 0) this.emit('close', this.exitCode, this.signalCode);
  }
}

const running = new Map<number, SpawnedProcess>();
let reaping = false;
// The SIGCHLD listener holds no reference on the event loop, so a child's
// exit alone would not keep berthd alive to see it: this timer does while
// children run, and would also catch a reap a signal could have missed.
let holding: NodeJS.Timeout | undefined;

function reap(): void {
  const status = [0];
  for (const [pid, child] of running) {
    if (waitpid(pid, status, WNOHANG) !== pid) continue;
    running.delete(pid);
    child.exited(status[0]!);
  }
  if (running.size === 0) {
    clearInterval(holding);
    holding = undefined;
  }
}

/** An Error like Node's system errors, from an error number posix_spawn returned. */
function spawnError(errno: number, file: string): NodeJS.ErrnoException {
  const code = Object.entries(constants.errno).find(([, n]) => n === errno)?.[0] ?? `E${errno}`;
  const err: NodeJS.ErrnoException = new Error(`spawn ${file} ${code}: ${strerror(errno)}`);
  Object.assign(err, { errno: -errno, code, syscall: `spawn ${file}`, path: file });
  return err;
}

/** Starts `file` (looked up in PATH when it has no slash); throws if it cannot be run. */
export function spawnProcess(file: string, args: string[], opts: SpawnOptions = {}): SpawnedProcess {
  if (!reaping) {
    process.on('SIGCHLD', reap);
    reaping = true;
  }
  const stdio = opts.stdio ?? [];
  const actions = Buffer.alloc(ACTIONS_SIZE);
  const attr = Buffer.alloc(ATTR_SIZE);
  const sigset = Buffer.alloc(SIGSET_SIZE);
  const ours: number[] = [];
  const theirs: number[] = [];
  actionsInit(actions);
  attrInit(attr);
  try {
    // Berthd's ends and the child's are close-on-exec; dup2 clears that for the child's copy.
    for (let fd = 0; fd < Math.max(3, stdio.length); fd++) {
      if (stdio[fd] === 'pipe') {
        const fds = new Int32Array(2);
        if (pipe2(fds, O_CLOEXEC) !== 0) throw new Error('pipe2 failed');
        const [readEnd, writeEnd] = [fds[0]!, fds[1]!];
        // The child reads fd 0 and writes the others.
        ours[fd] = fd === 0 ? writeEnd : readEnd;
        const child = fd === 0 ? readEnd : writeEnd;
        theirs.push(child);
        addDup2(actions, child, fd);
      } else {
        addOpen(actions, fd, '/dev/null', O_RDWR, 0);
      }
    }
    // Node ignores SIGPIPE, and an ignored signal stays ignored across exec.
    sigFillSet(sigset);
    attrSetSigDefault(attr, sigset);
    sigEmptySet(sigset);
    attrSetSigMask(attr, sigset);
    attrSetFlags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | (opts.detached ? POSIX_SPAWN_SETSID : 0));
    const env = Object.entries(opts.env ?? process.env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
    const pid = [0];
    const rc = spawnp(pid, file, actions, attr, [file, ...args, null], [...env, null]) as number;
    if (rc !== 0) throw spawnError(rc, file);
    const child = new SpawnedProcess(pid[0]!, stdio.map((spec, fd) => (spec === 'pipe' ? pipeSocket(ours[fd]!, fd === 0) : null)));
    ours.length = 0;
    running.set(child.pid, child);
    holding ??= setInterval(reap, 1000);
    return child;
  } finally {
    for (const fd of [...theirs, ...ours.filter((fd) => fd !== undefined)]) closeFd(fd);
    actionsDestroy(actions);
    attrDestroy(attr);
  }
}

function pipeSocket(fd: number, writable: boolean): Socket {
  const s = new Socket({ fd, readable: !writable, writable });
  // A child that exits early closes its end: berthd's writes then fail with EPIPE, which the exit explains.
  if (writable) s.on('error', () => {});
  return s;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
}

/** Runs a command to its end with `input` on its stdin; rejects only if it cannot be started. */
export function runProcess(file: string, args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    let child: SpawnedProcess;
    try {
      child = spawnProcess(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env });
    } catch (err) {
      reject(err);
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
    });
    child.stdin!.end(opts.input ?? '');
  });
}
