// What each config-only instruction does to the image config, and the
// history line moby's classic builder writes for it; the builder and
// `--change` (src/image/changes.ts) both go through it. Pure: words are
// expanded by the lexer and against the environment the caller hands in.
import type { ContainerDefaults, HealthConfig } from '../image/types.ts';
import type { HealthcheckInstruction, Instruction } from './instructions.ts';
import { goQuote, type Env, type ShellLex } from './shell-words.ts';
import { parseSignal } from '../engine/signals.ts';

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

/** Go's %q of a []string, as moby writes CMD and ENTRYPOINT into history. */
export function goQuoteList(list: readonly string[]): string {
  return `[${list.map(goQuote).join(' ')}]`;
}

/** Go's %v of a []string, as moby writes VOLUME and SHELL into history: `[a b]`, unquoted. */
export function goList(list: readonly string[]): string {
  return `[${list.join(' ')}]`;
}

/** Go's time.Duration.String(): `0s`, `1.5ms`, `30s`, `1m30s`, `1h0m0s`. */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  const u = BigInt(Math.abs(Math.trunc(ns)));
  const frac = (v: bigint, unit: bigint, digits: number): string => {
    const rest = v % unit;
    return rest === 0n ? `${v / unit}` : `${v / unit}.${rest.toString().padStart(digits, '0').replace(/0+$/, '')}`;
  };
  if (u < 1000n) return `${sign}${u}ns`;
  if (u < 1_000_000n) return `${sign}${frac(u, 1000n, 3)}µs`;
  if (u < 1_000_000_000n) return `${sign}${frac(u, 1_000_000n, 6)}ms`;
  const h = u / 3_600_000_000_000n;
  const m = (u / 60_000_000_000n) % 60n;
  const s = frac(u % 60_000_000_000n, 1_000_000_000n, 9);
  return `${sign}${h > 0n ? `${h}h${m}m` : m > 0n ? `${m}m` : ''}${s}s`;
}

/** Go's %q of an int (strconv.QuoteRune): `'\x03'`, `'A'`. */
export function goQuoteRune(n: number): string {
  const named: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 39: "\\'", 92: '\\\\' };
  if (named[n] !== undefined) return `'${named[n]}'`;
  if (n >= 0x20 && n < 0x7f) return `'${String.fromCharCode(n)}'`;
  if (n >= 0 && n < 0x100) return `'\\x${n.toString(16).padStart(2, '0')}'`;
  return `'${String.fromCodePoint(n)}'`;
}

/**
 * moby's history text for HEALTHCHECK: Go's %q of the *HealthConfig of
 * moby 20.10 (the API 1.41 daemon), `&{["CMD-SHELL" "…"] "30s" "3s" "0s" '\x03'}`;
 * its struct has no StartInterval, so the history leaves it out (the config keeps it).
 */
export function healthcheckText(h: HealthConfig): string {
  return `&{${goQuoteList(h.Test ?? [])} "${goDuration(h.Interval ?? 0)}" "${goDuration(h.Timeout ?? 0)}" "${goDuration(h.StartPeriod ?? 0)}" ${goQuoteRune(h.Retries ?? 0)}}`;
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
  // moby makes the steps that write files (withCmdCommentString) with one
  // space after `#(nop)`, and config steps (withCmdComment) with two.
  const writes = /^(WORKDIR|COPY|ADD) /.test(comment);
  return [...shellOf(config), writes ? `#(nop) ${comment}` : `#(nop)  ${comment}`].join(' ');
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

/**
 * The step of an instruction that only changes the config, its words
 * expanded as moby's dispatchers expand them; undefined for the others
 * (FROM, RUN, COPY, ADD, ARG), which need more than the config.
 */
export function configStep(ins: Instruction, lex: ShellLex, env: Env): ConfigStep | undefined {
  const word = (w: string): string => lex.processWord(w, env);
  switch (ins.keyword) {
    case 'env':
    case 'label':
      return { kind: ins.keyword, pairs: ins.pairs.map((p) => ({ key: word(p.key), value: word(p.value) })) };
    case 'cmd':
    case 'entrypoint':
      return { kind: ins.keyword, command: ins.command, shell: ins.shell };
    case 'workdir':
    case 'user':
    case 'stopsignal':
      return { kind: ins.keyword, value: word(ins.value) };
    case 'maintainer':
      return { kind: ins.keyword, value: ins.value };
    case 'expose':
      return { kind: 'expose', ports: ins.values.flatMap((v) => lex.processWords(v, env)) };
    case 'volume':
      return { kind: 'volume', paths: ins.values.map(word) };
    case 'shell':
      return { kind: 'shell', shell: ins.shell };
    case 'healthcheck':
      return { kind: 'healthcheck', check: ins };
    case 'onbuild':
      return { kind: 'onbuild', expression: ins.expression };
    default:
      return undefined;
  }
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
      // `CMD []` does not count: a later ENTRYPOINT still resets it.
      if (step.command.length > 0) cmdSet = true;
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
      try {
        parseSignal(step.value);
      } catch {
        throw new Error(`Invalid signal: ${step.value}`);
      }
      comment = `STOPSIGNAL ${step.value}`;
      break;
    case 'maintainer':
      comment = `MAINTAINER ${step.value}`;
      break;
    case 'expose': {
      const ports = exposedPorts(step.ports);
      config.ExposedPorts = { ...(config.ExposedPorts ?? {}), ...Object.fromEntries(ports.map((p) => [p, {}])) };
      // moby writes the words as given (expanded), not the config keys.
      comment = `EXPOSE ${step.ports.join(' ')}`;
      break;
    }
    case 'volume':
      config.Volumes = { ...(config.Volumes ?? {}), ...Object.fromEntries(step.paths.map((p) => [p, {}])) };
      comment = `VOLUME ${goList(step.paths)}`;
      break;
    case 'shell':
      config.Shell = [...step.shell];
      comment = `SHELL ${goList(step.shell)}`;
      break;
    case 'healthcheck': {
      const c = step.check;
      // Zero durations and retries are left out, as the config's JSON omits them.
      const h: HealthConfig = { Test: [...c.test] };
      if (c.interval) h.Interval = c.interval;
      if (c.timeout) h.Timeout = c.timeout;
      if (c.startPeriod) h.StartPeriod = c.startPeriod;
      if (c.startInterval) h.StartInterval = c.startInterval;
      if (c.retries) h.Retries = c.retries;
      config.Healthcheck = h;
      comment = `HEALTHCHECK ${healthcheckText(h)}`;
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
 * effect (`|1 V=x /bin/sh -c …`, `KEY=value` sorted) so that a different
 * argument is a different step. `args` is null when no build arg reached
 * the step; an empty list still writes `|0` (only undeclared proxy args
 * did, and they never appear).
 */
export function runCreatedBy(cmd: readonly string[], args: readonly string[] | null): string {
  return [...(args ? [`|${args.length}`, ...args] : []), ...cmd].join(' ');
}
