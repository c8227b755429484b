// Child processes for the bench: one way to run a command, time it, and fail
// with the command's own stderr, so every measurement pays the same spawn cost.
import { spawn, type StdioOptions } from 'node:child_process';

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: Buffer | string;
  /** 'discard' sends stdout to /dev/null (what `> /dev/null` does in a shell); 'count' only counts bytes. */
  stdout?: 'capture' | 'discard' | 'count';
  timeoutMs?: number;
  /** Resolve on a non-zero exit instead of throwing. */
  allowFail?: boolean;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  stdoutBytes: number;
  ms: number;
}

export class CommandError extends Error {}

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const mode = opts.stdout ?? 'capture';
  const stdio: StdioOptions = [opts.input === undefined ? 'ignore' : 'pipe', mode === 'discard' ? 'ignore' : 'pipe', 'pipe'];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio });
    const out: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let timedOut = false;
    child.stdout?.on('data', (b: Buffer) => {
      stdoutBytes += b.length;
      if (mode === 'capture') out.push(b);
    });
    child.stderr!.on('data', (b: Buffer) => {
      // Only the tail matters for error messages; a chatty command must not grow memory.
      stderr = (stderr + b.toString()).slice(-8192);
    });
    const timer = opts.timeoutMs ? setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, opts.timeoutMs) : undefined;
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = performance.now() - t0;
      const res: RunResult = { code: code ?? 128, stdout: Buffer.concat(out).toString(), stderr, stdoutBytes, ms };
      const what = `${cmd} ${args.join(' ').slice(0, 200)}`;
      if (timedOut) reject(new CommandError(`timed out after ${opts.timeoutMs} ms: ${what}`));
      else if (res.code !== 0 && !opts.allowFail) reject(new CommandError(`exit ${code ?? signal}: ${what}\n${stderr.trim()}`));
      else resolve(res);
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
