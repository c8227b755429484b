// Go's fmt package as far as docker's output depends on it: %v printing of
// decoded JSON values, Sprintf verbs used in --format templates, strconv.Quote
// and the %g float formatting behind human-readable sizes. Output that users
// script against must match docker byte for byte, so the Go rules are kept.

// JSON objects cannot say whether they were a Go struct or a map; the daemon's
// structs use exported (capitalised) field names, maps use anything else.
const GO_FIELD = /^[A-Z][A-Za-z0-9]*$/;

/**
 * A nil map or slice of a typed Go struct, which JSON can only send as null:
 * Go prints it as map[] or [], looks keys up in it without complaint, and
 * encodes it as null again.
 */
export class GoNil {
  readonly kind: 'map' | 'slice';
  constructor(kind: 'map' | 'slice') {
    this.kind = kind;
  }
}

const NIL_MAPS = new Set(['Labels', 'Attributes', 'Volumes', 'ExposedPorts', 'PortBindings', 'Networks', 'Options', 'DriverOpts', 'Sysctls', 'Tmpfs', 'StorageOpt', 'Details', 'Annotations', 'Ports']);
const NIL_SLICES = new Set(['Env', 'Cmd', 'Entrypoint', 'Args', 'Mounts', 'Binds', 'Links', 'CapAdd', 'CapDrop', 'Dns', 'DnsOptions', 'DnsSearch', 'ExtraHosts', 'SecurityOpt', 'RepoTags', 'RepoDigests', 'Layers', 'Aliases', 'VolumesFrom', 'OnBuild', 'Shell', 'Warnings', 'Names', 'Devices', 'Ulimits', 'GroupAdd']);

/** What a JSON null under a well-known daemon field stood for in Go. */
export function typedNil(field: string): GoNil | null {
  if (NIL_MAPS.has(field)) return new GoNil('map');
  if (NIL_SLICES.has(field)) return new GoNil('slice');
  return null;
}

export function isMapLike(obj: object): boolean {
  if (obj instanceof Map) return true;
  const keys = Object.keys(obj);
  return keys.length === 0 || keys.some((k) => !GO_FIELD.test(k));
}

/** Keys in the order Go prints them: sorted for maps, declaration order for structs. */
export function goKeys(obj: object): string[] {
  const keys = obj instanceof Map ? [...obj.keys()].map(String) : Object.keys(obj);
  return isMapLike(obj) ? keys.sort() : keys;
}

/** fmt's %v. */
export function formatValue(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'function') return formatValue(v.length === 0 ? v() : undefined);
  if (v instanceof GoNil) return v.kind === 'map' ? 'map[]' : '[]';
  if (Array.isArray(v)) return '[' + v.map(formatElem).join(' ') + ']';
  if (v instanceof Map) return 'map[' + goKeys(v).map((k) => `${k}:${formatElem(v.get(k))}`).join(' ') + ']';
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (isMapLike(o)) return 'map[' + goKeys(o).map((k) => `${k}:${formatElem(o[k])}`).join(' ') + ']';
    return '{' + Object.keys(o).map((k) => formatElem(o[k])).join(' ') + '}';
  }
  return String(v);
}

// Inside composites Go prints nil as <nil> even where a bare value would be missing.
function formatElem(v: unknown): string {
  return v === undefined ? '<nil>' : formatValue(v);
}

function formatNumber(n: number): string {
  if (Number.isInteger(n)) return Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
  return formatFloat(n, 'g', -1);
}

/** strconv.FormatFloat for the verbs e, f, g (prec -1 = shortest). */
export function formatFloat(n: number, verb: 'e' | 'f' | 'g', prec: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  if (verb === 'f') return prec < 0 ? shortestFixed(n) : n.toFixed(prec);
  if (verb === 'e') return goExp(prec < 0 ? n.toExponential() : n.toExponential(prec));
  const shortest = prec < 0;
  const p = prec === 0 ? 1 : prec;
  const [mant, e] = (shortest ? n.toExponential() : n.toExponential(p - 1)).split('e') as [string, string];
  const exp = Number(e);
  const trimmed = trimZeros(mant);
  // strconv picks %e when the exponent is below -4 or reaches the precision
  // (6 for the shortest representation).
  if (exp < -4 || exp >= (shortest ? 6 : p)) return goExp(`${trimmed}e${e}`);
  const digits = trimmed.replace(/[-.]/g, '').length;
  return n.toFixed(Math.max(digits - 1 - exp, 0));
}

function shortestFixed(n: number): string {
  const s = String(n);
  if (!s.includes('e')) return s;
  return n.toFixed(20).replace(/\.?0+$/, '');
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

// JS writes 1e+6, Go writes 1e+06.
function goExp(s: string): string {
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** strconv.Quote. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else if (ESCAPES[ch]) out += ESCAPES[ch];
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (isPrintable(c)) out += ch;
    else if (c < 0x10000) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += '\\U' + c.toString(16).padStart(8, '0');
  }
  return out + '"';
}

const ESCAPES: Record<string, string> = {
  '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v',
};

function isPrintable(c: number): boolean {
  return !(c >= 0x80 && c < 0xa0) && c !== 0xad && !(c >= 0x2028 && c <= 0x2029) && !(c >= 0xd800 && c < 0xe000) && c !== 0xfeff;
}

/** The Go type name fmt shows in %!verb(type=value) complaints. */
function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number;
  prec: number;
}

/** fmt.Sprintf for the verbs templates use (v s q d x X o b c t e f g %). */
export function sprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let argi = 0;
  let i = 0;
  while (i < format.length) {
    const ch = format[i]!;
    if (ch !== '%') {
      out += ch;
      i++;
      continue;
    }
    i++;
    const spec: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false, width: -1, prec: -1 };
    for (; i < format.length; i++) {
      const f = format[i];
      if (f === '-') spec.minus = true;
      else if (f === '+') spec.plus = true;
      else if (f === '#') spec.sharp = true;
      else if (f === ' ') spec.space = true;
      else if (f === '0') spec.zero = true;
      else break;
    }
    const num = (): number => {
      if (format[i] === '*') {
        i++;
        const a = args[argi++];
        return typeof a === 'number' ? a : -1;
      }
      const m = /^\d+/.exec(format.slice(i));
      if (!m) return -1;
      i += m[0].length;
      return Number(m[0]);
    };
    spec.width = num();
    if (format[i] === '.') {
      i++;
      const p = num();
      spec.prec = p < 0 ? 0 : p;
    }
    const verb = format[i];
    if (verb === undefined) {
      out += '%!(NOVERB)';
      break;
    }
    i++;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatArg(args[argi++], verb, spec);
  }
  if (argi < args.length) {
    out += '%!(EXTRA ' + args.slice(argi).map((a) => `${goTypeName(a)}=${formatValue(a)}`).join(', ') + ')';
  }
  return out;
}

function pad(s: string, spec: Spec, numeric = false): string {
  const len = [...s].length;
  if (spec.width <= len) return s;
  const fill = spec.width - len;
  if (spec.minus) return s + ' '.repeat(fill);
  if (spec.zero && numeric) {
    const sign = /^[-+ ]/.test(s) ? s[0] : '';
    return sign + '0'.repeat(fill) + s.slice(sign.length);
  }
  return ' '.repeat(fill) + s;
}

function bad(verb: string, v: unknown): string {
  return `%!${verb}(${goTypeName(v)}=${formatValue(v)})`;
}

function formatArg(v: unknown, verb: string, spec: Spec): string {
  if (Array.isArray(v) && verb !== 'v' && verb !== 's' && verb !== 'q') {
    return pad('[' + v.map((e) => formatArg(e, verb, { ...spec, width: -1 })).join(' ') + ']', spec);
  }
  switch (verb) {
    case 'v':
    case 's': {
      if (Array.isArray(v) && verb === 's') return pad('[' + v.map((e) => formatArg(e, 's', { ...spec, width: -1 })).join(' ') + ']', spec);
      let s = formatValue(v === undefined ? null : v);
      if (spec.prec >= 0) s = [...s].slice(0, spec.prec).join('');
      return pad(s, spec);
    }
    case 'q':
      if (Array.isArray(v)) return pad('[' + v.map((e) => formatArg(e, 'q', { ...spec, width: -1 })).join(' ') + ']', spec);
      if (typeof v === 'string') return pad(goQuote(v), spec);
      if (typeof v === 'number' && Number.isInteger(v)) return pad(`'${String.fromCodePoint(v)}'`, spec);
      return bad(verb, v);
    case 'd':
    case 'x':
    case 'X':
    case 'o':
    case 'b': {
      if (typeof v === 'string' && (verb === 'x' || verb === 'X')) {
        const hex = Buffer.from(v).toString('hex');
        return pad(verb === 'X' ? hex.toUpperCase() : hex, spec);
      }
      if (typeof v !== 'number' || !Number.isInteger(v)) return bad(verb, v);
      const radix = { d: 10, x: 16, X: 16, o: 8, b: 2 }[verb];
      let s = Math.abs(v).toString(radix);
      if (verb === 'X') s = s.toUpperCase();
      if (spec.sharp && verb === 'x') s = '0x' + s;
      if (spec.sharp && verb === 'X') s = '0X' + s;
      if (spec.sharp && verb === 'o') s = '0' + s;
      const sign = v < 0 ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
      return pad(sign + s, spec, true);
    }
    case 'c':
      if (typeof v !== 'number' || !Number.isInteger(v)) return bad(verb, v);
      return pad(String.fromCodePoint(v), spec);
    case 't':
      if (typeof v !== 'boolean') return bad(verb, v);
      return pad(String(v), spec);
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G': {
      if (typeof v !== 'number') return bad(verb, v);
      const lower = verb.toLowerCase() as 'e' | 'f' | 'g';
      const prec = spec.prec >= 0 ? spec.prec : lower === 'g' ? -1 : 6;
      let s = formatFloat(v, lower, prec);
      if (verb === 'E' || verb === 'G') s = s.toUpperCase();
      if (v >= 0 && spec.plus) s = '+' + s;
      else if (v >= 0 && spec.space) s = ' ' + s;
      return pad(s, spec, true);
    }
    default:
      return bad(verb, v);
  }
}

/** fmt.Sprint: spaces only between operands when neither is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(a === undefined ? null : a);
  });
  return out;
}

/** fmt.Sprintln: always spaces, and a newline. */
export function sprintln(args: readonly unknown[]): string {
  return args.map((a) => formatValue(a === undefined ? null : a)).join(' ') + '\n';
}
