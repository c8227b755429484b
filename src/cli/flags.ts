// Command-line flags the way docker's cobra/pflag parse them: clustered short
// flags (-it), -e=V and -eV forms, --flag=value, bool flags with optional
// =false, "--" and, for run/exec, no flags after the first argument. The
// error texts are pflag's, since scripts and users see them.

export type FlagValue = boolean | string | number | string[];

export interface FlagSpec {
  name: string;
  short?: string;
  kind: 'bool' | 'string' | 'int' | 'list';
  /** Type name shown in help (defaults to the kind; bool shows none). */
  type?: string;
  usage: string;
  default?: FlagValue;
  hidden?: boolean;
  /** pflag's deprecation note, printed when the flag is used. */
  deprecated?: string;
  /** Checks or normalises one value; throws with the reason shown after "invalid argument". */
  validate?: (value: string) => string;
  /** pflag's StringSlice: each value of a list flag is a CSV record of several ("--subnet a,b"). */
  csv?: boolean;
}

export class FlagError extends Error {}

export class ParsedFlags {
  private readonly values = new Map<string, FlagValue>();
  private readonly set = new Set<string>();
  private readonly specs: Map<string, FlagSpec>;

  constructor(specs: FlagSpec[]) {
    this.specs = new Map(specs.map((s) => [s.name, s]));
  }

  private spec(name: string): FlagSpec {
    const s = this.specs.get(name);
    if (!s) throw new Error(`no such flag --${name}`);
    return s;
  }

  store(spec: FlagSpec, value: FlagValue): void {
    this.set.add(spec.name);
    if (spec.kind === 'list') {
      const prev = (this.values.get(spec.name) as string[] | undefined) ?? [];
      this.values.set(spec.name, prev.concat(value as string | string[]));
    } else {
      this.values.set(spec.name, value);
    }
  }

  changed(name: string): boolean {
    this.spec(name);
    return this.set.has(name);
  }

  bool(name: string): boolean {
    return (this.values.get(name) ?? this.spec(name).default ?? false) as boolean;
  }

  string(name: string): string {
    return (this.values.get(name) ?? this.spec(name).default ?? '') as string;
  }

  int(name: string): number {
    return (this.values.get(name) ?? this.spec(name).default ?? 0) as number;
  }

  list(name: string): string[] {
    return (this.values.get(name) ?? this.spec(name).default ?? []) as string[];
  }
}

export interface ParseResult {
  flags: ParsedFlags;
  args: string[];
  help: boolean;
  /** Deprecation notes pflag prints while parsing. */
  warnings: string[];
}

/** Flag every command has unless it defines its own -h (run's --hostname). */
const HELP: FlagSpec = { name: 'help', short: 'h', kind: 'bool', usage: 'Print usage', hidden: true };

function withHelp(specs: FlagSpec[]): FlagSpec[] {
  if (specs.some((s) => s.name === 'help')) return specs;
  const shortTaken = specs.some((s) => s.short === 'h');
  return [...specs, shortTaken ? { ...HELP, short: undefined } : HELP];
}

/** strconv.ParseBool. */
export function parseBool(s: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  throw new Error(`strconv.ParseBool: parsing ${JSON.stringify(s)}: invalid syntax`);
}

/** strconv.ParseInt(s, 0, 64). */
export function parseGoInt(s: string): number {
  const m = /^([+-]?)(0[xX][0-9a-fA-F](_?[0-9a-fA-F])*|0[bB][01](_?[01])*|0[oO]?[0-7](_?[0-7])*|[1-9](_?\d)*|0)$/.exec(s);
  if (!m) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
  let digits = m[2]!.replace(/_/g, '');
  if (/^0[0-7]/.test(digits)) digits = '0o' + digits.slice(1);
  const n = Number(digits.replace(/^0O/, '0o').replace(/^0B/, '0b').replace(/^0X/, '0x'));
  if (!Number.isSafeInteger(n)) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range`);
  return m[1] === '-' ? -n : n;
}

function flagLabel(spec: FlagSpec): string {
  return spec.short ? `-${spec.short}, --${spec.name}` : `--${spec.name}`;
}

/** encoding/csv's reading of one record, as pflag splits StringSlice values. */
export function csvFields(s: string): string[] {
  // pflag reads an empty value as no values at all.
  if (s === '') return [];
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (s[i] === '"') {
      for (i++; ; i++) {
        if (i >= s.length) throw new Error(`parse error on line 1, column ${s.length + 1}: extraneous or missing " in quoted-field`);
        if (s[i] !== '"') field += s[i];
        else if (s[i + 1] === '"') field += s[i++];
        else break;
      }
      i++;
      if (i < s.length && s[i] !== ',') throw new Error(`parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`);
    } else {
      const end = s.indexOf(',', i);
      field = s.slice(i, end < 0 ? s.length : end);
      const quote = field.indexOf('"');
      if (quote >= 0) throw new Error(`parse error on line 1, column ${i + quote + 1}: bare " in non-quoted-field`);
      i += field.length;
    }
    fields.push(field);
    if (i >= s.length) return fields;
    i++;
  }
}

function convert(spec: FlagSpec, raw: string): FlagValue {
  try {
    if (spec.csv) return csvFields(raw).map((v) => (spec.validate ? spec.validate(v) : v));
    const v = spec.validate ? spec.validate(raw) : raw;
    if (spec.kind === 'bool') return parseBool(v);
    if (spec.kind === 'int') return parseGoInt(v);
    return v;
  } catch (e) {
    throw new FlagError(`invalid argument ${JSON.stringify(raw)} for "${flagLabel(spec)}" flag: ${(e as Error).message}`);
  }
}

export function parseFlags(specs: FlagSpec[], argv: readonly string[], interspersed = true): ParseResult {
  const all = withHelp(specs);
  const byLong = new Map(all.map((s) => [s.name, s]));
  const byShort = new Map(all.filter((s) => s.short).map((s) => [s.short!, s]));
  const flags = new ParsedFlags(all);
  const args: string[] = [];
  const warnings: string[] = [];
  const use = (spec: FlagSpec, value: FlagValue): void => {
    if (spec.deprecated) warnings.push(`Flag --${spec.name} has been deprecated, ${spec.deprecated}`);
    flags.store(spec, value);
  };

  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      if (!interspersed) {
        args.push(...argv.slice(i));
        break;
      }
      args.push(a);
      continue;
    }
    if (a.startsWith('--')) {
      const body = a.slice(2);
      if (body === '' || body.startsWith('-') || body.startsWith('=')) throw new FlagError(`bad flag syntax: ${a}`);
      const eq = body.indexOf('=');
      const name = eq < 0 ? body : body.slice(0, eq);
      const spec = byLong.get(name);
      if (!spec) throw new FlagError(`unknown flag: --${name}`);
      if (eq >= 0) use(spec, convert(spec, body.slice(eq + 1)));
      else if (spec.kind === 'bool') use(spec, true);
      else if (i + 1 < argv.length) use(spec, convert(spec, argv[++i]!));
      else throw new FlagError(`flag needs an argument: --${name}`);
      continue;
    }
    // A cluster of shorthands: -it, -e=X, -eX, -e X.
    const cluster = a.slice(1);
    for (let j = 0; j < cluster.length; j++) {
      const c = cluster[j]!;
      const spec = byShort.get(c);
      if (!spec) throw new FlagError(`unknown shorthand flag: '${c}' in ${a}`);
      if (spec === HELP) warnings.push('Flag shorthand -h has been deprecated, use --help');
      const rest = cluster.slice(j + 1);
      if (spec.kind === 'bool') {
        if (rest.startsWith('=')) {
          use(spec, convert(spec, rest.slice(1)));
          break;
        }
        use(spec, true);
        continue;
      }
      if (rest) use(spec, convert(spec, rest.startsWith('=') ? rest.slice(1) : rest));
      else if (i + 1 < argv.length) use(spec, convert(spec, argv[++i]!));
      else throw new FlagError(`flag needs an argument: '${c}' in -${c}`);
      break;
    }
  }
  return { flags, args, help: flags.bool('help'), warnings };
}

// ---------------------------------------------------------------- help

/** pflag's wrapN/wrap: word-wraps usage text into the space right of the flag names. */
function wrap(indent: number, cols: number, s: string): string {
  if (cols === 0) return s.replaceAll('\n', '\n' + ' '.repeat(indent));
  let width = cols - indent;
  let r = '';
  if (width < 24) {
    indent = 16;
    width = cols - indent;
    r += '\n' + ' '.repeat(indent);
  }
  if (width < 24) return s.replaceAll('\n', r);
  const slop = 5;
  width -= slop;
  const wrapN = (text: string): [string, string] => {
    if (width + slop > text.length) return [text, ''];
    const w = Math.max(text.lastIndexOf(' ', width - 1), text.lastIndexOf('\t', width - 1), text.lastIndexOf('\n', width - 1));
    if (w <= 0) return [text, ''];
    const nl = text.lastIndexOf('\n', width - 1);
    if (nl > 0 && nl < w) return [text.slice(0, nl), text.slice(nl + 1)];
    return [text.slice(0, w), text.slice(w + 1)];
  };
  const pad = '\n' + ' '.repeat(indent);
  let [line, rest] = wrapN(s);
  r += line.replaceAll('\n', pad);
  while (rest !== '') {
    [line, rest] = wrapN(rest);
    r += pad + line.replaceAll('\n', pad);
  }
  return r;
}

function defaultText(spec: FlagSpec): string {
  // pflag shows a map option's empty default, which is not its zero text.
  if (spec.type === 'map') return ' (default map[])';
  const d = spec.default;
  if (d === undefined || d === false || d === '' || d === 0 || (Array.isArray(d) && d.length === 0)) return '';
  if (typeof d === 'string' && (spec.type ?? spec.kind) === 'string') return ` (default ${JSON.stringify(d)})`;
  return ` (default ${Array.isArray(d) ? `[${d.join(',')}]` : String(d)})`;
}

/** pflag's FlagUsagesWrapped. */
export function flagUsages(specs: FlagSpec[], cols: number): string {
  const visible = specs.filter((s) => !s.hidden).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const lines = visible.map((s) => {
    let left = s.short ? `  -${s.short}, --${s.name}` : `      --${s.name}`;
    const type = s.kind === 'bool' ? '' : (s.type ?? s.kind);
    if (type) left += ' ' + type;
    return { left, usage: s.usage + defaultText(s) };
  });
  const max = Math.max(0, ...lines.map((l) => l.left.length));
  return lines.map((l) => `${l.left.padEnd(max + 3)}${wrap(max + 3, cols, l.usage)}\n`).join('');
}
