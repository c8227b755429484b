// Parser nodes → typed instructions, with BuildKit's per-instruction checks
// (frontend/dockerfile/instructions): argument counts, known flags and
// their types, FROM's `AS name`, HEALTHCHECK options, ONBUILD triggers.
// Words stay unexpanded: the builder expands them per stage (EXPANSION in
// shell-words.ts says which), because values depend on ARG and ENV.

import { DockerfileError, withSuggestion } from './dockerfile-error.ts';
import { chompHeredoc, parseHeredoc, type Heredoc, type Node, type ParseResult } from './dockerfile-parser.ts';
import { goQuote } from './shell-words.ts';

interface Base {
  /** 1-based line range, heredoc bodies included. */
  readonly startLine: number;
  readonly endLine: number;
  /** The logical line as written, continuations joined. */
  readonly original: string;
  /** `#` lines right above the instruction. */
  readonly comments: string[];
}

export interface FromInstruction extends Base {
  readonly keyword: 'from';
  /** The base as written: an image reference, a stage name, `scratch`,
   * possibly with `$ARG`s from the global scope. */
  readonly image: string;
  /** The `AS` name, lower-cased. */
  readonly name?: string;
  readonly platform?: string;
}

/** A command in shell form (one string, run through SHELL) or exec form. */
export interface CommandLine {
  readonly command: string[];
  readonly shell: boolean;
}

export interface RunInstruction extends Base, CommandLine {
  readonly keyword: 'run';
  /** The heredoc bodies the command line refers to. */
  readonly heredocs: Heredoc[];
  /** Raw --mount values (CSV), expanded and parsed when the step runs. */
  readonly mounts: RunMount[];
  readonly network?: string;
}

export interface RunMount {
  readonly spec: string;
  /** The `from=` stage or image, which cannot use variables. */
  readonly from?: string;
}

export interface CmdInstruction extends Base, CommandLine {
  readonly keyword: 'cmd' | 'entrypoint';
}

export interface ShellInstruction extends Base {
  readonly keyword: 'shell';
  readonly shell: string[];
}

export interface KeyValue {
  readonly key: string;
  readonly value: string;
  /** Written as `ENV key value`, which BuildKit lints as legacy. */
  readonly legacy: boolean;
}

export interface EnvInstruction extends Base {
  readonly keyword: 'env' | 'label';
  readonly pairs: KeyValue[];
}

export interface ArgInstruction extends Base {
  readonly keyword: 'arg';
  readonly args: { readonly key: string; readonly value?: string }[];
}

/** A heredoc used as a COPY/ADD source: a file with this content. */
export interface InlineSource {
  readonly path: string;
  readonly data: string;
  readonly expand: boolean;
}

export interface CopyInstruction extends Base {
  readonly keyword: 'copy' | 'add';
  readonly sources: string[];
  readonly inline: InlineSource[];
  readonly dest: string;
  /** COPY --from: a stage name or index, or an image. */
  readonly from?: string;
  readonly chown?: string;
  readonly chmod?: string;
  readonly link: boolean;
  readonly parents: boolean;
  readonly excludes: string[];
  /** ADD only: the digest a download must have (expanded when the step runs). */
  readonly checksum?: string;
}

export interface ValueInstruction extends Base {
  readonly keyword: 'workdir' | 'user' | 'stopsignal' | 'maintainer';
  readonly value: string;
}

export interface ListInstruction extends Base {
  readonly keyword: 'expose' | 'volume';
  /** EXPOSE ports are sorted, as BuildKit sorts them. */
  readonly values: string[];
}

export interface HealthcheckInstruction extends Base {
  readonly keyword: 'healthcheck';
  /** ["NONE"], ["CMD", exec...] or ["CMD-SHELL", command]: the image's Healthcheck.Test. */
  readonly test: string[];
  /** Durations in nanoseconds, as the image config stores them; 0 when unset. */
  readonly interval: number;
  readonly timeout: number;
  readonly startPeriod: number;
  readonly startInterval: number;
  readonly retries: number;
}

export interface OnbuildInstruction extends Base {
  readonly keyword: 'onbuild';
  /** The trigger as stored in the image's OnBuild list; a child build
   * parses it when it uses this image. */
  readonly expression: string;
}

export type Instruction =
  | FromInstruction | RunInstruction | CmdInstruction | ShellInstruction
  | EnvInstruction | ArgInstruction | CopyInstruction | ValueInstruction
  | ListInstruction | HealthcheckInstruction | OnbuildInstruction;

export const INSTRUCTIONS: readonly string[] = [
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK',
  'LABEL', 'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
];

/** Parses every node, failing on the first bad instruction. */
export function parseInstructions(parsed: ParseResult, file = 'Dockerfile'): Instruction[] {
  return parsed.nodes.map((node) => parseInstruction(node, file));
}

export function parseInstruction(node: Node, file = 'Dockerfile'): Instruction {
  try {
    return toInstruction(node);
  } catch (err) {
    if (err instanceof Error && !(err instanceof DockerfileError)) {
      throw new DockerfileError(file, node.startLine, node.endLine, err.message);
    }
    throw err;
  }
}

function toInstruction(node: Node): Instruction {
  const base: Base = { startLine: node.startLine, endLine: node.endLine, original: node.original, comments: node.comments };
  const flags = new Flags(node.flags);
  const args = node.args;
  switch (node.keyword) {
    case 'from': {
      const name = stageName(args);
      const platform = flags.string('platform');
      flags.parse();
      return { ...base, keyword: 'from', image: args[0], name, platform: platform.value };
    }
    case 'run': {
      const mount = flags.strings('mount');
      const network = flags.string('network');
      flags.parse();
      checkNetwork(network.value);
      return {
        ...base, keyword: 'run', ...commandLine(node), heredocs: node.heredocs,
        mounts: mount.values.map(parseRunMount), network: network.value,
      };
    }
    case 'cmd':
    case 'entrypoint':
      flags.parse();
      return { ...base, keyword: node.keyword, ...commandLine(node) };
    case 'shell': {
      flags.parse();
      if (args.length === 0) throw new Error('SHELL requires at least one argument');
      if (!node.json) throw new Error('SHELL requires the arguments to be in JSON form');
      return { ...base, keyword: 'shell', shell: args };
    }
    case 'env':
    case 'label':
      flags.parse();
      return { ...base, keyword: node.keyword, pairs: keyValues(args, node.keyword.toUpperCase()) };
    case 'arg':
      return { ...base, keyword: 'arg', args: argPairs(args) };
    case 'copy':
    case 'add':
      return copyInstruction(node, base, flags);
    case 'workdir':
    case 'user':
    case 'maintainer':
      if (args.length !== 1) throw new Error(`${node.keyword.toUpperCase()} requires exactly one argument`);
      flags.parse();
      return { ...base, keyword: node.keyword, value: args[0] };
    case 'stopsignal':
      // BuildKit never checks STOPSIGNAL's flags.
      if (args.length !== 1) throw new Error('STOPSIGNAL requires exactly one argument');
      return { ...base, keyword: 'stopsignal', value: args[0] };
    case 'expose':
      if (args.length === 0) throw new Error('EXPOSE requires at least one argument');
      flags.parse();
      return { ...base, keyword: 'expose', values: [...args].sort() };
    case 'volume': {
      if (args.length === 0) throw new Error('VOLUME requires at least one argument');
      flags.parse();
      const values = args.map((v) => v.trim());
      if (values.includes('')) throw new Error('VOLUME specified can not be an empty string');
      return { ...base, keyword: 'volume', values };
    }
    case 'healthcheck':
      return healthcheck(node, base, flags);
    case 'onbuild':
      return onbuild(node, base, flags);
  }
  throw new Error(withSuggestion(`unknown instruction: ${node.instruction}`, node.instruction, INSTRUCTIONS, false));
}

const VALID_STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

function stageName(args: string[]): string | undefined {
  if (args.length === 3 && args[1].toLowerCase() === 'as') {
    const name = args[2].toLowerCase();
    if (!VALID_STAGE_NAME.test(name)) {
      throw new Error(`invalid name for build stage: ${goQuote(args[2])}, name can't start with a number or contain symbols`);
    }
    return name;
  }
  if (args.length !== 1) throw new Error('FROM requires either one or three arguments');
  return undefined;
}

function commandLine(node: Node): CommandLine {
  // The shell form is one string already; exec form is used as is.
  return { command: node.args, shell: !node.json };
}

function checkNetwork(mode: string | undefined): void {
  if (mode !== undefined && mode !== 'default' && mode !== 'none' && mode !== 'host') {
    throw new Error(`unsupported network mode ${goQuote(mode)}`);
  }
}

/**
 * At parse time BuildKit only reads `from=` out of a mount (the rest is
 * expanded and checked when the step runs), because the stage graph needs
 * it before any variable is known.
 */
function parseRunMount(spec: string): RunMount {
  let from: string | undefined;
  for (const field of csvRecord(spec)) {
    const eq = field.indexOf('=');
    if (eq < 0 || field.slice(0, eq).toLowerCase() !== 'from') continue;
    from = field.slice(eq + 1);
    if (/\$./.test(from)) throw new Error("'from' doesn't support variable expansion, define alias stage instead");
  }
  return from === undefined ? { spec } : { spec, from };
}

/** The first record of Go's encoding/csv reader (fields may be quoted,
 * with "" for a quote). */
export function csvRecord(text: string): string[] {
  const line = text.split('\n')[0].replace(/\r$/, '');
  if (text === '') throw new Error('failed to parse csv mounts: EOF');
  const fields: string[] = [];
  let pos = 0;
  for (;;) {
    let field = '';
    if (line[pos] === '"') {
      pos++;
      for (;;) {
        const q = line.indexOf('"', pos);
        if (q < 0) throw new Error(`failed to parse csv mounts: parse error on line 1, column ${line.length + 1}: extraneous or missing " in quoted-field`);
        field += line.slice(pos, q);
        pos = q + 1;
        if (line[pos] === '"') {
          field += '"';
          pos++;
          continue;
        }
        if (pos < line.length && line[pos] !== ',') {
          throw new Error(`failed to parse csv mounts: parse error on line 1, column ${pos + 1}: extraneous or missing " in quoted-field`);
        }
        break;
      }
    } else {
      const comma = line.indexOf(',', pos);
      field = line.slice(pos, comma < 0 ? line.length : comma);
      const quote = field.indexOf('"');
      if (quote >= 0) {
        throw new Error(`failed to parse csv mounts: parse error on line 1, column ${pos + quote + 1}: bare " in non-quoted-field`);
      }
      pos += field.length;
    }
    fields.push(field);
    if (pos >= line.length) return fields;
    pos++;
  }
}

function keyValues(args: string[], name: string): KeyValue[] {
  if (args.length === 0) throw new Error(`${name} requires at least one argument`);
  const pairs: KeyValue[] = [];
  for (let i = 0; i < args.length; i += 3) {
    if (args[i] === '') throw new Error(`${name} names can not be blank`);
    pairs.push({ key: args[i], value: args[i + 1], legacy: args[i + 2] === '' });
  }
  return pairs;
}

function argPairs(args: string[]): ArgInstruction['args'] {
  if (args.length === 0) throw new Error('ARG requires at least one argument');
  return args.map((arg) => {
    const eq = arg.indexOf('=');
    if (eq < 0) return { key: arg };
    if (eq === 0) throw new Error('ARG names can not be blank');
    return { key: arg.slice(0, eq), value: arg.slice(eq + 1) };
  });
}

function copyInstruction(node: Node, base: Base, flags: Flags): CopyInstruction {
  const command = node.keyword.toUpperCase();
  if (node.args.length < 2) {
    throw new Error(`${command} requires at least two arguments, but only one was provided. Destination could not be determined`);
  }
  const isAdd = node.keyword === 'add';
  const excludes = flags.strings('exclude');
  const chown = flags.string('chown');
  const chmod = flags.string('chmod');
  const link = flags.bool('link');
  const from = isAdd ? undefined : flags.string('from');
  const parents = isAdd ? undefined : flags.bool('parents');
  const keepGitDir = isAdd ? flags.bool('keep-git-dir') : undefined;
  const checksum = isAdd ? flags.string('checksum') : undefined;
  flags.parse();
  // BuildKit keeps a git source's .git with it; berth has no git sources, so the flag could only be ignored.
  if (keepGitDir?.value === true) throw new Error('ADD --keep-git-dir needs a git source, and berth\'s builder has no git sources');

  const dest = node.args[node.args.length - 1];
  if (parseHeredoc(dest)) throw new Error(`${command} cannot accept a heredoc as a destination`);
  const bodies = new Map(node.heredocs.map((h) => [h.name, h]));
  const sources: string[] = [];
  const inline: InlineSource[] = [];
  for (const src of node.args.slice(0, -1)) {
    const doc = parseHeredoc(src);
    if (!doc) {
      sources.push(src);
      continue;
    }
    const content = bodies.get(doc.name)?.content ?? '';
    inline.push({ path: doc.name, data: doc.chomp ? chompHeredoc(content) : content, expand: doc.expand });
  }
  return {
    ...base, keyword: isAdd ? 'add' : 'copy', sources, inline, dest,
    from: from?.value, chown: chown.value, chmod: chmod.value, link: link.value === true,
    parents: parents?.value === true, excludes: excludes.values, checksum: checksum?.value,
  };
}

/** Docker's minimum for healthcheck durations (container.MinimumDuration). */
const MIN_DURATION_NS = 1_000_000;

function healthcheck(node: Node, base: Base, flags: Flags): HealthcheckInstruction {
  if (node.args.length === 0) throw new Error('HEALTHCHECK requires at least one argument');
  const type = node.args[0].toUpperCase();
  const rest = node.args.slice(1);
  const none = { ...base, keyword: 'healthcheck' as const, interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 };
  if (type === 'NONE') {
    // BuildKit does not look at the flags of HEALTHCHECK NONE.
    if (rest.length !== 0) throw new Error('HEALTHCHECK NONE takes no arguments');
    return { ...none, test: ['NONE'] };
  }
  const interval = flags.string('interval');
  const timeout = flags.string('timeout');
  const startPeriod = flags.string('start-period');
  const startInterval = flags.string('start-interval');
  const retries = flags.string('retries');
  flags.parse();
  if (type !== 'CMD') throw new Error(`Unknown type ${goQuote(type)} in HEALTHCHECK (try CMD)`);
  if (rest.length === 0) throw new Error('Missing command after HEALTHCHECK CMD');
  return {
    ...none,
    test: node.json ? ['CMD', ...rest] : ['CMD-SHELL', rest.join(' ')],
    interval: optionalInterval('interval', interval.value),
    timeout: optionalInterval('timeout', timeout.value),
    startPeriod: optionalInterval('start-period', startPeriod.value),
    startInterval: optionalInterval('start-interval', startInterval.value),
    retries: parseRetries(retries.value),
  };
}

function optionalInterval(name: string, value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  const ns = parseGoDuration(value);
  if (ns !== 0 && ns < MIN_DURATION_NS) throw new Error(`Interval ${goQuote(name)} cannot be less than 1ms`);
  return ns;
}

function parseRetries(value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  const retries = Number(value);
  if (!/^[+-]?\d+$/.test(value)) throw new Error(`strconv.ParseInt: parsing ${goQuote(value)}: invalid syntax`);
  if (retries < -(2 ** 31) || retries > 2 ** 31 - 1) {
    throw new Error(`strconv.ParseInt: parsing ${goQuote(value)}: value out of range`);
  }
  if (retries < 0) throw new Error(`--retries cannot be negative (${retries})`);
  return retries;
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9,
};

/** Go's time.ParseDuration, in nanoseconds. */
export function parseGoDuration(text: string): number {
  const invalid = (): Error => new Error(`time: invalid duration ${goQuote(text)}`);
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    sign = s[0] === '-' ? -1 : 1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let total = 0;
  while (s !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s);
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) throw invalid();
    s = s.slice(m[0].length);
    const unit = /^[^\d.]+/.exec(s)?.[0];
    if (unit === undefined) throw new Error(`time: missing unit in duration ${goQuote(text)}`);
    const scale = DURATION_UNITS[unit];
    if (scale === undefined) throw new Error(`time: unknown unit ${goQuote(unit)} in duration ${goQuote(text)}`);
    s = s.slice(unit.length);
    total += Number(m[1] || '0') * scale + (m[2] ? Number(`0.${m[2]}`) * scale : 0);
  }
  return sign * Math.floor(total);
}

function onbuild(node: Node, base: Base, flags: Flags): OnbuildInstruction {
  if (node.args.length === 0) throw new Error('ONBUILD requires at least one argument');
  flags.parse();
  const trigger = node.args[0].trim().toUpperCase();
  if (trigger === 'ONBUILD') throw new Error('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
  if (trigger === 'MAINTAINER' || trigger === 'FROM') throw new Error(`${trigger} isn't allowed as an ONBUILD trigger`);
  let expression = node.original.replace(/^\s*ONBUILD\s*/i, '');
  for (const doc of node.heredocs) expression += '\n' + doc.content + doc.name;
  return { ...base, keyword: 'onbuild', expression };
}

interface Flag<T> {
  readonly kind: 'bool' | 'string' | 'strings';
  value: T;
  values: string[];
}

/**
 * BuildKit's BFlags: an instruction declares the flags it knows, then
 * parse() checks the node's flags against them. A flag may be given once,
 * except list flags (--mount, --exclude); a bool flag takes no value or
 * true/false; a string flag needs `=`.
 */
class Flags {
  private readonly given: string[];
  private readonly known = new Map<string, Flag<unknown>>();

  constructor(given: string[]) {
    this.given = given;
  }

  bool(name: string): Flag<boolean | undefined> {
    return this.add<boolean | undefined>(name, 'bool');
  }

  string(name: string): Flag<string | undefined> {
    return this.add<string | undefined>(name, 'string');
  }

  strings(name: string): Flag<undefined> {
    return this.add<undefined>(name, 'strings');
  }

  private add<T>(name: string, kind: Flag<T>['kind']): Flag<T> {
    const flag: Flag<T> = { kind, value: undefined as T, values: [] };
    this.known.set(name, flag);
    return flag;
  }

  parse(): void {
    const used = new Set<string>();
    for (const arg of this.given) {
      // "--" ends the flags (POSIX); extractBuilderFlags already stops there.
      if (arg === '--') return;
      if (!arg.startsWith('--')) throw new Error(`arg should start with -- : ${arg}`);
      const eq = arg.indexOf('=');
      const flagName = eq < 0 ? arg : arg.slice(0, eq);
      const name = flagName.slice(2);
      const value = eq < 0 ? '' : arg.slice(eq + 1);
      const flag = this.known.get(name);
      if (!flag) {
        throw new Error(withSuggestion(`unknown flag: ${flagName}`, name, this.known.keys(), true));
      }
      if (used.has(name) && flag.kind !== 'strings') throw new Error(`duplicate flag specified: ${flagName}`);
      used.add(name);
      if (flag.kind === 'bool') {
        if (eq >= 0 && value === '') throw new Error(`missing a value on flag: ${flagName}`);
        const lower = value.toLowerCase();
        if (lower !== '' && lower !== 'true' && lower !== 'false') {
          throw new Error(`expecting boolean value for flag ${flagName}, not: ${value}`);
        }
        flag.value = lower !== 'false';
      } else {
        if (eq < 0) throw new Error(`missing a value on flag: ${flagName}`);
        if (flag.kind === 'string') flag.value = value;
        else flag.values.push(value);
      }
    }
  }
}
