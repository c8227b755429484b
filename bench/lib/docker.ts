// The docker CLI pointed at one engine's socket: every number in the bench is
// what a docker user would wait for, CLI start-up included, on every engine alike.
import { run, type RunOptions, type RunResult } from './proc.ts';

export const DOCKER = '/usr/local/bin/docker';

export class DockerCli {
  readonly socket: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(socket: string, configDir: string) {
    this.socket = socket;
    // An empty config dir: no user contexts, credential helpers or plugins in the timings.
    this.env = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: configDir, DOCKER_CLI_HINTS: 'false' };
  }

  run(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return run(DOCKER, args, { timeoutMs: 300_000, ...opts, env: this.env });
  }

  async out(args: string[], opts: RunOptions = {}): Promise<string> {
    return (await this.run(args, opts)).stdout.trim();
  }
}
