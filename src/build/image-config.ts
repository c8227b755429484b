// What each config-only instruction does to the image config, and the
// history line moby's classic builder writes for it. Pure: the executor
// expands the words first and hands in the values.
import type { ContainerDefaults } from '../image/types.ts';
import type { HealthcheckInstruction } from './instructions.ts';
import { goQuote } from './shell-words.ts';

export const DEFAULT_SHELL: readonly string[] = ['/bin/sh', '-c'];

/** The stage's config while it is being built. `cmdSet` is whether a CMD came since FROM: ENTRYPOINT resets the Cmd only if not. */
export interface StageConfig {
  config: ContainerDefaults;
  cmdSet: boolean;
}

/** An instruction that only changes the config, its words already expanded. */
export type ConfigStep =
  | { kind: 'env' | 'label'; pairs: { key: string; value: string }[] }
  | { kind: 'cmd' | 'entrypoint'; command: string[]; shell: boolean }
  | { kind: 'workdir' | 'user' | 'stopsignal' | 'maintainer'; value: string }
  | { kind: 'expose'; ports: string[] }
  | { kind: 'volume'; paths: string[] }
  | { kind: 'shell'; shell: string[] }
  | { kind: 'healthcheck'; check: HealthcheckInstruction }
  | { kind: 'onbuild'; expression: string }
  | { kind: 'arg'; args: { key: string; value?: string }[] };

/** Go's %q of a []string, as moby writes CMD, ENTRYPOINT, VOLUME and SHELL into history. */
export function goQuoteList(list: readonly string[]): string {
  return `[${list.map(goQuote).join(' ')}]`;
}

export function shellOf(config: ContainerDefaults): readonly string[] {
  return config.Shell?.length ? config.Shell : DEFAULT_SHELL;
}

/** A command line as the process runs it: the shell form through SHELL, the exec form as written. */
export function commandOf(config: ContainerDefaults, command: readonly string[], shell: boolean): string[] {
  return shell ? [...shellOf(config), command.join(' ')] : [...command];
}

/** moby's history line for a step that changes only the config: `/bin/sh -c #(nop)  CMD ["sh"]`. */
export function nopCreatedBy(config: ContainerDefaults, comment: string): string {
  return [...shellOf(config), '#(nop) ', comment].join(' ');
}

/** WORKDIR is relative to the previous one. */
export function workdirOf(current: string | undefined, value: string): string {
  const joined = value.startsWith('/') ? value : `${current || '/'}/${value}`;
  const parts: string[] = [];
  for (const p of joined.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return `/${parts.join('/')}`;
}

/** EXPOSE's ports as the config keys them: `80/tcp`, ranges expanded. */
export function exposedPorts(specs: readonly string[]): string[] {
  return specs.flatMap((spec) => {
    const [range = '', proto = 'tcp'] = spec.split('/', 2);
    const m = /^(\d+)(?:-(\d+))?$/.exec(range);
    if (!m) throw new Error(`invalid containerPort: ${range}`);
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (last < first) throw new Error(`invalid range specified for container port: ${range}`);
    return Array.from({ length: last - first + 1 }, (_, i) => `${first + i}/${proto.toLowerCase()}`);
  });
}

/** The config after `step`, and the comment its history entry carries. */
export function applyConfigStep(state: StageConfig, step: ConfigStep): { state: StageConfig; comment: string } {
  const config: ContainerDefaults = { ...state.config };
  let cmdSet = state.cmdSet;
  let comment: string;
  switch (step.kind) {
    case 'env': {
      const env = [...(config.Env ?? [])];
      for (const { key, value } of step.pairs) {
        const at = env.findIndex((e) => e.slice(0, e.indexOf('=') < 0 ? e.length : e.indexOf('=')) === key);
        if (at >= 0) env[at] = `${key}=${value}`;
        else env.push(`${key}=${value}`);
      }
      config.Env = env;
      comment = `ENV ${step.pairs.map((p) => `${p.key}=${p.value}`).join(' ')}`;
      break;
    }
    case 'label':
      config.Labels = { ...(config.Labels ?? {}), ...Object.fromEntries(step.pairs.map((p) => [p.key, p.value])) };
      comment = `LABEL ${step.pairs.map((p) => `${p.key}=${p.value}`).join(' ')}`;
      break;
    case 'cmd':
      config.Cmd = commandOf(config, step.command, step.shell);
      cmdSet = true;
      comment = `CMD ${goQuoteList(config.Cmd)}`;
      break;
    case 'entrypoint':
      config.Entrypoint = commandOf(config, step.command, step.shell);
      // An inherited CMD would be passed to the new entrypoint as arguments it never expected.
      if (!cmdSet) config.Cmd = null;
      comment = `ENTRYPOINT ${goQuoteList(config.Entrypoint)}`;
      break;
    case 'workdir':
      config.WorkingDir = workdirOf(config.WorkingDir, step.value);
      comment = `WORKDIR ${config.WorkingDir}`;
      break;
    case 'user':
      config.User = step.value;
      comment = `USER ${step.value}`;
      break;
    case 'stopsignal':
      config.StopSignal = step.value;
      comment = `STOPSIGNAL ${step.value}`;
      break;
    case 'maintainer':
      comment = `MAINTAINER ${step.value}`;
      break;
    case 'expose': {
      const ports = exposedPorts(step.ports);
      config.ExposedPorts = { ...(config.ExposedPorts ?? {}), ...Object.fromEntries(ports.map((p) => [p, {}])) };
      comment = `EXPOSE ${ports.join(' ')}`;
      break;
    }
    case 'volume':
      config.Volumes = { ...(config.Volumes ?? {}), ...Object.fromEntries(step.paths.map((p) => [p, {}])) };
      comment = `VOLUME ${goQuoteList(step.paths)}`;
      break;
    case 'shell':
      config.Shell = [...step.shell];
      comment = `SHELL ${goQuoteList(step.shell)}`;
      break;
    case 'healthcheck': {
      const c = step.check;
      config.Healthcheck = c.test[0] === 'NONE' ? { Test: ['NONE'] } : {
        Test: c.test, Interval: c.interval, Timeout: c.timeout, StartPeriod: c.startPeriod, Retries: c.retries,
      };
      comment = `HEALTHCHECK ${goQuoteList(c.test)}`;
      break;
    }
    case 'onbuild':
      config.OnBuild = [...(config.OnBuild ?? []), step.expression];
      comment = `ONBUILD ${step.expression}`;
      break;
    case 'arg':
      comment = `ARG ${step.args.map((a) => (a.value === undefined ? a.key : `${a.key}=${a.value}`)).join(' ')}`;
      break;
  }
  return { state: { config, cmdSet }, comment };
}

/**
 * moby's history line for RUN: the command, preceded by the build args in
 * effect (`|1 V=x /bin/sh -c …`) so that a different argument is a
 * different step. Proxy args never appear.
 */
export function runCreatedBy(cmd: readonly string[], args: readonly [string, string][]): string {
  const shown = args.map(([k, v]) => `${k}=${v}`);
  return [...(shown.length ? [`|${shown.length}`, ...shown] : []), ...cmd].join(' ');
}
