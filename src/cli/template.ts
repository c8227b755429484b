// Go's text/template, as docker's --format exposes it: actions, pipelines,
// variables, if/else/range/with/break/continue, trim markers, comments, the
// builtin functions and docker's own (json, join, split, upper, ...). Error
// texts follow Go's so that scripts matching on them keep working.
import { formatValue, goKeys, GoNil, isMapLike, sprint, sprintf, sprintln, typedNil } from './gofmt.ts';

/** Marks objects that stand for a Go struct with methods (docker's formatter contexts). */
export const GO_TYPE = Symbol('goType');

/** On objects whose Go field names differ from their JSON names: gives the value {{json}} encodes. */
export const GO_JSON = Symbol('goJson');

export class TemplateError extends Error {
  /** What had been written before an execution error; docker prints it for table headers. */
  partial = '';
}

export type TemplateFunc = (...args: unknown[]) => unknown;
export type FuncMap = Record<string, TemplateFunc>;

// ---------------------------------------------------------------- lexer

type TokKind =
  | 'text' | 'open' | 'close' | 'field' | 'var' | 'dot' | 'ident' | 'string' | 'number' | 'char'
  | 'pipe' | 'lparen' | 'rparen' | 'declare' | 'assign' | 'comma' | 'eof';

interface Token {
  kind: TokKind;
  pos: number;
  text: string;
  /** Whether whitespace preceded the token inside an action (separates arguments). */
  spaced: boolean;
}

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';

function lex(src: string): Token[] {
  const toks: Token[] = [];
  let pos = 0;
  let trimNext = false;
  for (;;) {
    const open = src.indexOf('{{', pos);
    let text = src.slice(pos, open < 0 ? undefined : open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    if (open < 0) {
      if (text) toks.push({ kind: 'text', pos, text, spaced: false });
      break;
    }
    let p = open + 2;
    if (src[p] === '-' && isSpace(src[p + 1])) {
      text = text.replace(/[ \t\r\n]+$/, '');
      p += 2;
    }
    if (text) toks.push({ kind: 'text', pos, text, spaced: false });
    let close: { end: number; trim: boolean } | null;
    if (src.startsWith('/*', p)) {
      const end = src.indexOf('*/', p + 2);
      if (end < 0) throw parseError(src, open, 'unclosed comment');
      close = matchClose(src, end + 2);
      if (!close) throw parseError(src, open, 'comment ends before closing delimiter');
    } else {
      toks.push({ kind: 'open', pos: open, text: '{{', spaced: false });
      close = lexAction(src, p, toks);
    }
    trimNext = close.trim;
    pos = close.end;
  }
  toks.push({ kind: 'eof', pos: src.length, text: '', spaced: false });
  return toks;
}

function matchClose(src: string, p: number): { end: number; trim: boolean } | null {
  if (isSpace(src[p]) && src[p + 1] === '-' && src.startsWith('}}', p + 2)) return { end: p + 4, trim: true };
  if (src.startsWith('}}', p)) return { end: p + 2, trim: false };
  return null;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*/;
const FIELDS = /^(\.[A-Za-z_][A-Za-z0-9_]*)+/;
const VARIABLE = /^\$[A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/;
const NUMBER = /^[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(\d[\d_]*)?\.?\d*([eE][+-]?\d+)?)/;

function lexAction(src: string, p: number, toks: Token[]): { end: number; trim: boolean } {
  const start = p;
  let spaced = false;
  let parens = 0;
  for (;;) {
    const close = matchClose(src, p);
    if (close && parens === 0) {
      toks.push({ kind: 'close', pos: p, text: '}}', spaced });
      return close;
    }
    const c = src[p];
    if (c === undefined) throw parseError(src, start, 'unclosed action');
    // Actions may span lines (Go 1.16 and later).
    if (isSpace(c)) {
      spaced = true;
      p++;
      continue;
    }
    const push = (kind: TokKind, text: string): void => {
      toks.push({ kind, pos: p, text, spaced });
      p += text.length;
      spaced = false;
    };
    const rest = src.slice(p);
    let m: RegExpExecArray | null;
    if (c === '|') push('pipe', '|');
    else if (c === '(') {
      parens++;
      push('lparen', '(');
    } else if (c === ')') {
      if (--parens < 0) throw parseError(src, p, 'unexpected right paren');
      push('rparen', ')');
    } else if (rest.startsWith(':=')) push('declare', ':=');
    else if (c === '=') push('assign', '=');
    else if (c === ',') push('comma', ',');
    else if (c === '"') push('string', quoted(src, p, '"'));
    else if (c === '`') {
      const end = src.indexOf('`', p + 1);
      if (end < 0) throw parseError(src, p, 'unterminated raw quoted string');
      push('string', src.slice(p, end + 1));
    } else if (c === "'") push('char', quoted(src, p, "'"));
    else if ((m = VARIABLE.exec(rest))) push('var', m[0]);
    else if ((m = FIELDS.exec(rest))) push('field', m[0]);
    else if (c === '.' && !/[0-9]/.test(src[p + 1] ?? '')) push('dot', '.');
    else if ((m = IDENT.exec(rest))) push('ident', m[0]);
    else if ((m = NUMBER.exec(rest)) && m[0] !== '' && /\d/.test(m[0])) push('number', m[0]);
    else throw parseError(src, p, `bad character U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} '${c}'`);
  }
}

function quoted(src: string, p: number, q: string): string {
  let i = p + 1;
  while (i < src.length && src[i] !== q) {
    if (src[i] === '\\') i++;
    if (src[i] === '\n') break;
    i++;
  }
  if (src[i] !== q) throw parseError(src, p, q === '"' ? 'unterminated quoted string' : 'unterminated character constant');
  return src.slice(p, i + 1);
}

function unquote(s: string): string {
  if (s.startsWith('`')) return s.slice(1, -1);
  const body = s.slice(1, -1);
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g, (_, e: string) => {
    switch (e[0]) {
      case 'x': case 'u': case 'U': return String.fromCodePoint(parseInt(e.slice(1), 16));
      case 'a': return '\x07';
      case 'b': return '\b';
      case 'f': return '\f';
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case 'v': return '\v';
      default: return /^[0-7]{3}$/.test(e) ? String.fromCharCode(parseInt(e, 8)) : e;
    }
  });
}

function lineOf(src: string, pos: number): number {
  return src.slice(0, pos).split('\n').length;
}

function parseError(src: string, pos: number, msg: string): TemplateError {
  return new TemplateError(`template: :${lineOf(src, pos)}: ${msg}`);
}

// ---------------------------------------------------------------- parser

type Arg =
  | { t: 'field'; pos: number; end: number; fields: string[] }
  | { t: 'var'; pos: number; end: number; name: string; fields: string[] }
  | { t: 'dot' | 'nil'; pos: number; end: number }
  | { t: 'literal'; pos: number; end: number; value: unknown }
  | { t: 'ident'; pos: number; end: number; name: string }
  | { t: 'pipe'; pos: number; end: number; pipe: Pipe; fields: string[] };

interface Cmd {
  pos: number;
  end: number;
  args: Arg[];
}

interface Pipe {
  decl: string[];
  isAssign: boolean;
  cmds: Cmd[];
}

interface Control {
  t: 'if' | 'with' | 'range';
  pos: number;
  pipe: Pipe;
  list: Node[];
  elseList: Node[] | null;
}

type Node =
  | { t: 'text'; text: string }
  | { t: 'action'; pos: number; pipe: Pipe }
  | Control
  | { t: 'break' | 'continue'; pos: number };

export interface Template {
  name: string;
  src: string;
  root: Node[];
}

const BUILTINS = [
  'and', 'or', 'not', 'len', 'index', 'slice', 'print', 'printf', 'println',
  'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'html', 'js', 'urlquery', 'call',
];

class Parser {
  private i = 0;
  private vars: string[][] = [['$']];
  private rangeDepth = 0;
  private readonly src: string;
  private readonly toks: Token[];
  private readonly funcs: Set<string>;

  constructor(src: string, toks: Token[], funcs: Set<string>) {
    this.src = src;
    this.toks = toks;
    this.funcs = funcs;
  }

  private peek(): Token {
    return this.toks[this.i]!;
  }

  private next(): Token {
    return this.toks[this.i++]!;
  }

  private fail(tok: Token, msg: string): never {
    throw parseError(this.src, tok.pos, msg);
  }

  private expect(kind: TokKind, context: string): Token {
    const t = this.next();
    if (t.kind !== kind) this.fail(t, `unexpected ${describe(t)} in ${context}`);
    return t;
  }

  /** Parses nodes until one of the stop keywords; returns the list and the keyword seen. */
  list(stops: string[]): { nodes: Node[]; stop: string } {
    const nodes: Node[] = [];
    for (;;) {
      const t = this.next();
      if (t.kind === 'eof') {
        if (stops.length) this.fail(t, 'unexpected EOF');
        return { nodes, stop: '' };
      }
      if (t.kind === 'text') {
        nodes.push({ t: 'text', text: t.text });
        continue;
      }
      const kw = this.peek();
      const word = kw.kind === 'ident' ? kw.text : '';
      if (word === 'end' || word === 'else') {
        if (!stops.includes(word)) this.fail(kw, `unexpected {{${word}}}`);
        this.next();
        return { nodes, stop: word };
      }
      nodes.push(this.action(t));
    }
  }

  private action(open: Token): Node {
    const kw = this.peek();
    const word = kw.kind === 'ident' ? kw.text : '';
    switch (word) {
      case 'if':
      case 'with':
      case 'range':
        this.next();
        return this.control(word, open.pos);
      case 'break':
      case 'continue':
        this.next();
        if (this.rangeDepth === 0) this.fail(kw, `{{${word}}} outside {{range}}`);
        this.expect('close', word);
        return { t: word, pos: kw.pos };
      case 'define':
      case 'template':
      case 'block':
        this.fail(kw, `{{${word}}} is not supported`);
    }
    const pipe = this.pipeline('command', 'close');
    return { t: 'action', pos: kw.pos, pipe };
  }

  private control(kind: 'if' | 'with' | 'range', pos: number): Node {
    this.vars.push([]);
    const pipe = this.pipeline(kind, 'close', kind === 'range');
    if (kind === 'range') this.rangeDepth++;
    const body = this.list(['end', 'else']);
    if (kind === 'range') this.rangeDepth--;
    let elseList: Node[] | null = null;
    if (body.stop === 'else') {
      const chained = this.peek();
      if (kind !== 'range' && chained.kind === 'ident' && chained.text === kind) {
        // {{else if ...}} / {{else with ...}}: a nested control sharing our {{end}}.
        this.next();
        elseList = [this.control(kind, chained.pos)];
      } else {
        this.expect('close', 'else');
        elseList = this.list(['end']).nodes;
        this.expect('close', 'end');
      }
    } else {
      this.expect('close', 'end');
    }
    this.vars.pop();
    return { t: kind, pos, pipe, list: body.nodes, elseList };
  }

  private declared(name: string): boolean {
    return this.vars.some((scope) => scope.includes(name));
  }

  private pipeline(context: string, end: 'close' | 'rparen', allowTwo = false): Pipe {
    const pipe: Pipe = { decl: [], isAssign: false, cmds: [] };
    // Variable declarations: $x := ..., $x = ..., and range's $i, $v := ...
    const save = this.i;
    const first = this.peek();
    if (first.kind === 'var' && !first.text.includes('.')) {
      this.next();
      const op = this.peek();
      if (op.kind === 'declare' || op.kind === 'assign') {
        this.next();
        pipe.decl.push(first.text);
        pipe.isAssign = op.kind === 'assign';
      } else if (op.kind === 'comma' && allowTwo) {
        this.next();
        const second = this.expect('var', 'range');
        const op2 = this.next();
        if (op2.kind !== 'declare' && op2.kind !== 'assign') this.fail(op2, `expected := or = in range`);
        pipe.decl.push(first.text, second.text);
        pipe.isAssign = op2.kind === 'assign';
      } else {
        this.i = save;
      }
    }
    if (pipe.isAssign) for (const v of pipe.decl) if (!this.declared(v)) this.fail(first, `undefined variable "${v}"`);
    for (;;) {
      const t = this.peek();
      if (t.kind === end) {
        this.next();
        break;
      }
      if (t.kind === 'eof' || t.kind === 'close' || t.kind === 'rparen') this.fail(t, `unexpected ${describe(t)} in ${context}`);
      if (pipe.cmds.length > 0) this.expect('pipe', context);
      pipe.cmds.push(this.command());
    }
    if (pipe.cmds.length === 0) this.fail(this.toks[this.i - 1]!, `missing value for ${context}`);
    if (!pipe.isAssign) this.vars[this.vars.length - 1]!.push(...pipe.decl);
    return pipe;
  }

  private command(): Cmd {
    const args: Arg[] = [];
    const pos = this.peek().pos;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'close' || t.kind === 'rparen' || t.kind === 'pipe' || t.kind === 'eof') break;
      if (args.length > 0 && !t.spaced) this.fail(t, `missing space?`);
      args.push(this.operand());
    }
    if (args.length === 0) this.fail(this.peek(), `empty command`);
    const last = this.toks[this.i - 1]!;
    return { pos, end: last.pos + last.text.length, args };
  }

  private operand(): Arg {
    const t = this.next();
    const end = t.pos + t.text.length;
    switch (t.kind) {
      case 'field':
        return { t: 'field', pos: t.pos, end, fields: t.text.slice(1).split('.') };
      case 'var': {
        const [name, ...fields] = t.text.split('.');
        if (!this.declared(name!)) this.fail(t, `undefined variable "${name}"`);
        return { t: 'var', pos: t.pos, end, name: name!, fields };
      }
      case 'dot':
        return { t: 'dot', pos: t.pos, end };
      case 'string':
        return { t: 'literal', pos: t.pos, end, value: unquote(t.text) };
      case 'char':
        return { t: 'literal', pos: t.pos, end, value: unquote(t.text).codePointAt(0) ?? 0 };
      case 'number': {
        const negative = t.text.startsWith('-');
        const digits = t.text.replace(/^[+-]/, '').replace(/_/g, '').replace(/^0[oO]/, '0o');
        const n = (negative ? -1 : 1) * Number(digits);
        if (Number.isNaN(n)) this.fail(t, `bad number syntax: "${t.text}"`);
        return { t: 'literal', pos: t.pos, end, value: n };
      }
      case 'ident':
        if (t.text === 'true' || t.text === 'false') return { t: 'literal', pos: t.pos, end, value: t.text === 'true' };
        if (t.text === 'nil') return { t: 'nil', pos: t.pos, end };
        if (!this.funcs.has(t.text)) this.fail(t, `function "${t.text}" not defined`);
        return { t: 'ident', pos: t.pos, end, name: t.text };
      case 'lparen': {
        const pipe = this.pipeline('parenthesized pipeline', 'rparen');
        const after = this.peek();
        let fields: string[] = [];
        let stop = this.toks[this.i - 1]!.pos + 1;
        if (after.kind === 'field' && !after.spaced) {
          this.next();
          fields = after.text.slice(1).split('.');
          stop = after.pos + after.text.length;
        }
        return { t: 'pipe', pos: t.pos, end: stop, pipe, fields };
      }
      default:
        return this.fail(t, `unexpected ${describe(t)} in operand`);
    }
  }
}

function describe(t: Token): string {
  if (t.kind === 'eof') return 'EOF';
  if (t.kind === 'close') return '"}}"';
  if (t.kind === 'rparen') return '")"';
  return `"${t.text}"`;
}

/** Parses a template; functions must be known at parse time, as in Go. */
export function parseTemplate(src: string, funcs: FuncMap = dockerFuncs, name = ''): Template {
  const names = new Set([...BUILTINS, ...Object.keys(funcs)]);
  try {
    const parser = new Parser(src, lex(src), names);
    return { name, src, root: parser.list([]).nodes };
  } catch (e) {
    if (e instanceof TemplateError && name) e.message = e.message.replace(/^template: :/, `template: ${name}:`);
    throw e;
  }
}

// ---------------------------------------------------------------- execution

const NO_FINAL = Symbol('noFinal');
class Break {}
class Continue {}

class ExecError extends Error {}

interface Scope {
  name: string;
  value: unknown;
}

type Located = Arg | Cmd | { pos: number; end: number };

/** Where Go reports a node: chains (.A.B, $x.A) are placed at their second element. */
function errorPos(node: Located): number {
  if ('t' in node && node.t === 'field' && node.fields.length > 1) return node.pos + node.fields[0]!.length + 1;
  if ('t' in node && node.t === 'var' && node.fields.length > 0) return node.pos + node.name.length;
  return node.pos;
}

class State {
  out = '';
  vars: Scope[];
  private readonly tmpl: Template;
  private readonly funcs: FuncMap;

  constructor(tmpl: Template, data: unknown, funcs: FuncMap) {
    this.tmpl = tmpl;
    this.funcs = funcs;
    this.vars = [{ name: '$', value: data }];
  }

  fail(node: Located, msg: string): never {
    const src = this.tmpl.src;
    const pos = errorPos(node);
    const before = src.slice(0, pos);
    const nl = before.lastIndexOf('\n');
    const col = nl < 0 ? pos : pos - nl - 1;
    const line = before.split('\n').length;
    const name = this.tmpl.name;
    throw new ExecError(`template: ${name}:${line}:${col}: executing "${name}" at <${src.slice(node.pos, node.end).trim()}>: ${msg}`);
  }

  walk(dot: unknown, nodes: Node[]): void {
    for (const n of nodes) this.walkNode(dot, n);
  }

  private walkNode(dot: unknown, n: Node): void {
    switch (n.t) {
      case 'text':
        this.out += n.text;
        return;
      case 'action': {
        const v = this.pipeline(dot, n.pipe);
        if (n.pipe.decl.length === 0) this.out += formatValue(v);
        return;
      }
      case 'if':
      case 'with': {
        const mark = this.vars.length;
        const v = this.pipeline(dot, n.pipe);
        if (truth(v)) this.walk(n.t === 'with' ? v : dot, n.list);
        else if (n.elseList) this.walk(dot, n.elseList);
        this.vars.length = mark;
        return;
      }
      case 'range':
        this.range(dot, n);
        return;
      case 'break':
        throw new Break();
      case 'continue':
        throw new Continue();
    }
  }

  private range(dot: unknown, n: Control): void {
    const mark = this.vars.length;
    const decl = n.pipe.decl;
    const v = this.pipeline(dot, { ...n.pipe, decl: [] });
    let entries: [unknown, unknown][];
    if (v === undefined || v === null || v instanceof GoNil) entries = [];
    else if (Array.isArray(v)) entries = v.map((e, i) => [i, e]);
    else if (v instanceof Map) entries = goKeys(v).map((k) => [k, v.get(k)]);
    else if (typeof v === 'number' && Number.isInteger(v)) entries = Array.from({ length: Math.max(v, 0) }, (_, i) => [i, i]);
    else if (typeof v === 'object' && !(GO_TYPE in v)) entries = Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]);
    else this.fail({ pos: n.pos, end: n.pos }, `range can't iterate over ${formatValue(v)}`);
    if (entries.length === 0) {
      if (n.elseList) this.walk(dot, n.elseList);
      this.vars.length = mark;
      return;
    }
    for (const [key, elem] of entries) {
      const iter = this.vars.length;
      const set = (name: string, value: unknown): void => {
        if (n.pipe.isAssign) this.assign(name, value);
        else this.vars.push({ name, value });
      };
      if (decl.length === 1) set(decl[0]!, elem);
      if (decl.length === 2) {
        set(decl[0]!, key);
        set(decl[1]!, elem);
      }
      try {
        this.walk(elem, n.list);
      } catch (e) {
        if (e instanceof Break) break;
        if (!(e instanceof Continue)) throw e;
      } finally {
        this.vars.length = iter;
      }
    }
    this.vars.length = mark;
  }

  private assign(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
  }

  private lookup(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]!.name === name) return this.vars[i]!.value;
    return undefined;
  }

  pipeline(dot: unknown, pipe: Pipe): unknown {
    let value: unknown = NO_FINAL;
    for (const cmd of pipe.cmds) value = this.command(dot, cmd, value);
    if (pipe.isAssign) this.assign(pipe.decl[0]!, value);
    else for (const d of pipe.decl) this.vars.push({ name: d, value });
    return value;
  }

  private command(dot: unknown, cmd: Cmd, final: unknown): unknown {
    const first = cmd.args[0]!;
    const hasArgs = cmd.args.length > 1 || final !== NO_FINAL;
    switch (first.t) {
      case 'field':
        return this.fieldChain(dot, dot, first, first.fields, cmd, final);
      case 'var': {
        const v = this.lookup(first.name);
        if (first.fields.length) return this.fieldChain(dot, v, first, first.fields, cmd, final);
        if (hasArgs) this.fail(cmd, `can't give argument to non-function ${first.name}`);
        return v;
      }
      case 'pipe': {
        const v = this.pipeline(dot, first.pipe);
        if (first.fields.length) return this.fieldChain(dot, v, first, first.fields, cmd, final);
        if (hasArgs) this.fail(cmd, `can't give argument to non-function ${this.tmpl.src.slice(first.pos, first.end)}`);
        return v;
      }
      case 'ident':
        return this.call(dot, first.name, cmd, cmd.args.slice(1), final);
      case 'nil':
        return this.fail(cmd, 'nil is not a command');
      case 'dot':
      case 'literal':
        if (hasArgs) this.fail(cmd, `can't give argument to non-function ${this.tmpl.src.slice(first.pos, first.end)}`);
        return this.arg(dot, first);
    }
  }

  private arg(dot: unknown, a: Arg): unknown {
    switch (a.t) {
      case 'field':
        return this.fieldChain(dot, dot, a, a.fields, null, NO_FINAL);
      case 'var': {
        const v = this.lookup(a.name);
        return a.fields.length ? this.fieldChain(dot, v, a, a.fields, null, NO_FINAL) : v;
      }
      case 'pipe': {
        const v = this.pipeline(dot, a.pipe);
        return a.fields.length ? this.fieldChain(dot, v, a, a.fields, null, NO_FINAL) : v;
      }
      case 'ident':
        return this.call(dot, a.name, a, [], NO_FINAL);
      case 'dot':
        return dot;
      case 'nil':
        return null;
      case 'literal':
        return a.value;
    }
  }

  private fieldChain(dot: unknown, receiver: unknown, node: Arg, fields: string[], cmd: Cmd | null, final: unknown): unknown {
    let v = receiver;
    fields.forEach((name, i) => {
      const last = i === fields.length - 1;
      const args = last && cmd ? cmd.args.slice(1).map((a) => this.arg(dot, a)) : [];
      if (last && final !== NO_FINAL) args.push(final);
      v = this.field(node, name, v, args, last && cmd !== null && (cmd.args.length > 1 || final !== NO_FINAL));
    });
    return v;
  }

  private field(node: Arg, name: string, receiver: unknown, args: unknown[], hasArgs: boolean): unknown {
    if (receiver === undefined || (receiver instanceof GoNil && receiver.kind === 'map')) return undefined;
    if (receiver === null) this.fail(node, `nil pointer evaluating interface {}.${name}`);
    if (typeof receiver === 'object' && GO_TYPE in receiver) {
      const member = (receiver as Record<string, unknown>)[name];
      const type = (receiver as Record<symbol, string>)[GO_TYPE];
      if (member === undefined) this.fail(node, `can't evaluate field ${name} in type ${type}`);
      if (typeof member === 'function') {
        if (args.length !== member.length) this.fail(node, `wrong number of args for ${name}: want ${member.length} got ${args.length}`);
        return member.apply(receiver, args);
      }
      if (hasArgs) this.fail(node, `${name} has arguments but cannot be invoked as function`);
      return member;
    }
    if (receiver instanceof Map) {
      // A map type's own methods come before its keys, as in Go (formatter.SubHeaderContext.Label).
      const method: unknown = Object.hasOwn(receiver, name) ? (receiver as unknown as Record<string, unknown>)[name] : undefined;
      if (typeof method === 'function') {
        if (args.length !== method.length) this.fail(node, `wrong number of args for ${name}: want ${method.length} got ${args.length}`);
        return method.apply(receiver, args);
      }
      if (hasArgs) this.fail(node, `${name} is not a method but has arguments`);
      return receiver.get(name);
    }
    if (typeof receiver === 'object' && !Array.isArray(receiver)) {
      if (hasArgs) this.fail(node, `${name} is not a method but has arguments`);
      const obj = receiver as Record<string, unknown>;
      if (Object.hasOwn(obj, name)) return obj[name] === null ? (typedNil(name) ?? null) : obj[name];
      if (isMapLike(obj)) return undefined;
      // The daemon leaves out empty omitempty fields (HostConfig.Mounts); docker's typed structs still have them.
      const nil = typedNil(name);
      if (nil) return nil;
      return this.fail(node, `map has no entry for key "${name}"`);
    }
    return this.fail(node, `can't evaluate field ${name} in type ${goTypeOf(receiver)}`);
  }

  private call(dot: unknown, name: string, node: { pos: number; end: number }, argNodes: Arg[], final: unknown): unknown {
    const withFinal = (vals: unknown[]): unknown[] => (final === NO_FINAL ? vals : [...vals, final]);
    // and/or evaluate lazily, like Go since 1.18.
    if (name === 'and' || name === 'or') {
      const thunks: (() => unknown)[] = argNodes.map((a) => () => this.arg(dot, a));
      if (final !== NO_FINAL) thunks.push(() => final);
      if (thunks.length === 0) this.fail(node, `wrong number of args for ${name}: want at least 1 got 0`);
      let v: unknown;
      for (const th of thunks) {
        v = th();
        if (truth(v) === (name === 'or')) return v;
      }
      return v;
    }
    const args = withFinal(argNodes.map((a) => this.arg(dot, a)));
    const fn = this.funcs[name] ?? builtins[name];
    if (!fn) return this.fail(node, `"${name}" is not a defined function`);
    try {
      return fn(...args);
    } catch (e) {
      if (e instanceof ExecError) throw e;
      const msg = (e as Error).message;
      if (e instanceof ArgError) this.fail(node, msg.replace('$NAME', name));
      return this.fail(node, `error calling ${name}: ${msg}`);
    }
  }
}

function goTypeOf(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  return 'interface {}';
}

/** Go's truth: false, 0, nil and empty strings, slices and maps are false. */
export function truth(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '' || v instanceof GoNil) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  if (typeof v === 'object' && !(GO_TYPE in v) && isMapLike(v)) return Object.keys(v).length > 0;
  return true;
}

/** Executes a parsed template against data. funcs replaces docker's function set (headers). */
export function execute(tmpl: Template, data: unknown, funcs: FuncMap = dockerFuncs): string {
  const state = new State(tmpl, data, funcs);
  try {
    state.walk(data, tmpl.root);
  } catch (e) {
    if (e instanceof ExecError) {
      const err = new TemplateError(e.message);
      err.partial = state.out;
      throw err;
    }
    throw e;
  }
  return state.out;
}

// ---------------------------------------------------------------- functions

/** Argument errors Go reports without the "error calling" prefix. */
class ArgError extends Error {}

function arity(args: unknown[], n: number): void {
  if (args.length !== n) throw new ArgError(`wrong number of args for $NAME: want ${n} got ${args.length}`);
}

function str(v: unknown): string {
  if (typeof v === 'string') return v;
  throw new ArgError(`wrong type for value; expected string; got ${goTypeOf(v)}`);
}

function int(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  throw new ArgError(`wrong type for value; expected int; got ${goTypeOf(v)}`);
}

function compare(op: string, a: unknown, b: unknown): number {
  const equality = op === 'eq' || op === 'ne';
  const kind = (v: unknown): string => (typeof v === 'number' ? 'number' : typeof v === 'string' ? 'string' : typeof v === 'boolean' ? 'bool' : v === null || v === undefined ? 'nil' : 'other');
  const ka = kind(a);
  const kb = kind(b);
  // Anything may be compared with nil for equality; it is equal only to nil.
  if (equality && (ka === 'nil' || kb === 'nil')) return ka === kb ? 0 : 1;
  if (ka === 'other' || kb === 'other') throw new Error(equality ? 'non-comparable type' : 'invalid type for comparison');
  if (ka !== kb) throw new Error('incompatible types for comparison');
  if ((ka === 'bool' || ka === 'nil') && !equality) throw new Error('invalid type for comparison');
  return a === b ? 0 : (a as number) < (b as number) ? -1 : 1;
}

function eq(...args: unknown[]): boolean {
  if (args.length < 2) throw new ArgError('missing argument for comparison');
  return args.slice(1).some((b) => compare('eq', args[0], b) === 0);
}

function lengthOf(v: unknown): number {
  if (v instanceof GoNil) return 0;
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (v instanceof Map) return v.size;
  if (v && typeof v === 'object') return Object.keys(v).length;
  throw new Error(`len of type ${goTypeOf(v)}`);
}

function indexOf(item: unknown, ...keys: unknown[]): unknown {
  let v = item;
  for (const k of keys) {
    if (v === null || v === undefined || (v instanceof GoNil && v.kind === 'map')) return '';
    if (v instanceof GoNil) throw new Error(`index out of range: ${String(k)}`);
    if (Array.isArray(v) || typeof v === 'string') {
      if (typeof k !== 'number' || !Number.isInteger(k)) throw new Error(`cannot index slice/array with type ${goTypeOf(k)}`);
      if (k < 0 || k >= v.length) throw new Error(`index out of range: ${k}`);
      v = typeof v === 'string' ? Buffer.from(v)[k] : v[k];
    } else if (v instanceof Map) {
      v = v.get(k);
    } else if (typeof v === 'object') {
      const obj = v as Record<string, unknown>;
      const key = String(k);
      // Missing keys give the map's zero value; docker's label maps hold strings.
      if (!Object.hasOwn(obj, key)) v = Object.values(obj).every((x) => typeof x === 'string') ? '' : null;
      else v = obj[key];
    } else {
      throw new Error(`can't index item of type ${goTypeOf(v)}`);
    }
  }
  return v;
}

function sliceOf(item: unknown, ...idx: unknown[]): unknown {
  if (typeof item !== 'string' && !Array.isArray(item)) throw new Error(`can't slice item of type ${goTypeOf(item)}`);
  const len = typeof item === 'string' ? Buffer.byteLength(item) : item.length;
  const [i = 0, j = len] = idx.map(int);
  if (i < 0 || j < i || j > len) throw new Error(`index out of range: ${j > len ? j : i}`);
  return typeof item === 'string' ? Buffer.from(item).subarray(i, j).toString() : item.slice(i, j);
}

const HTML_ESCAPES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&#34;', '\0': '\uFFFD' };

const builtins: FuncMap = {
  not: (...a) => (arity(a, 1), !truth(a[0])),
  len: (...a) => (arity(a, 1), lengthOf(a[0])),
  index: (...a) => {
    if (a.length < 1) throw new ArgError('wrong number of args for $NAME: want at least 1 got 0');
    return indexOf(a[0], ...a.slice(1));
  },
  slice: (...a) => sliceOf(a[0], ...a.slice(1)),
  print: (...a) => sprint(a),
  printf: (...a) => sprintf(str(a[0]), a.slice(1)),
  println: (...a) => sprintln(a),
  eq: (...a) => eq(...a),
  ne: (...a) => (arity(a, 2), compare('ne', a[0], a[1]) !== 0),
  lt: (...a) => (arity(a, 2), compare('lt', a[0], a[1]) < 0),
  le: (...a) => (arity(a, 2), compare('le', a[0], a[1]) <= 0),
  gt: (...a) => (arity(a, 2), compare('gt', a[0], a[1]) > 0),
  ge: (...a) => (arity(a, 2), compare('ge', a[0], a[1]) >= 0),
  html: (...a) => sprint(a).replace(/[<>&'"\0]/g, (c) => HTML_ESCAPES[c]!),
  js: (...a) =>
    sprint(a).replace(/[\\'"<>&=\n\r\t]|[\x00-\x1f]/g, (c) =>
      c === '\\' || c === "'" || c === '"' ? '\\' + c : '\\u' + c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0'),
    ),
  urlquery: (...a) => encodeURIComponent(sprint(a)).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()),
  call: (...a) => {
    if (typeof a[0] !== 'function') throw new Error(`non-function of type ${goTypeOf(a[0])}`);
    return (a[0] as TemplateFunc)(...a.slice(1));
  },
};

/** A formatter context as Go's json.Marshal sees it: its zero-argument methods. */
function contextFields(ctx: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(ctx).sort()) {
    const v = ctx[k];
    if (typeof v !== 'function') out[k] = v;
    else if (v.length === 0) out[k] = v.call(ctx);
  }
  return out;
}

// ES2025's JSON.rawJSON (Node >= 21) lets int64 values beyond 2^53 through unrounded; TypeScript's lib lacks it.
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

/** The plain JSON value Go would encode; maps get sorted keys, structs (asStruct) keep theirs. */
function jsonValue(v: unknown, asStruct = false): unknown {
  if (v === undefined || v instanceof GoNil) return null;
  if (typeof v === 'bigint') return rawJSON(String(v));
  if (v === null || typeof v !== 'object') return v;
  if (GO_JSON in v) return jsonValue((v as { [GO_JSON]: () => unknown })[GO_JSON](), true);
  if (Array.isArray(v)) return v.map((e) => jsonValue(e));
  if (v instanceof Map) v = Object.fromEntries(v);
  const obj = v as Record<string, unknown>;
  const keys = isMapLike(obj) && !asStruct ? Object.keys(obj).sort() : Object.keys(obj);
  const out: Record<string, unknown> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = jsonValue(obj[k]);
  return out;
}

/** encoding/json with SetEscapeHTML(false); formatter contexts keep Go's HTML escaping from their own MarshalJSON. */
export function goJson(v: unknown): string {
  if (v && typeof v === 'object' && GO_TYPE in v && !(GO_JSON in v)) {
    return JSON.stringify(contextFields(v as Record<string, unknown>)).replace(/[<>&]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  }
  return JSON.stringify(jsonValue(v)).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function title(s: string): string {
  return s.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_, sep: string, ch: string) => sep + ch.toUpperCase());
}

/** docker's template functions (templates.basicFunctions). */
export const dockerFuncs: FuncMap = {
  json: (...a) => (arity(a, 1), goJson(a[0])),
  split: (...a) => {
    arity(a, 2);
    const s = str(a[0]);
    const sep = str(a[1]);
    return sep === '' ? [...s] : s.split(sep);
  },
  join: (...a) => {
    arity(a, 2);
    if (!Array.isArray(a[0])) throw new ArgError(`wrong type for value; expected []string; got ${goTypeOf(a[0])}`);
    return a[0].map((e) => formatValue(e)).join(str(a[1]));
  },
  title: (...a) => (arity(a, 1), title(str(a[0]))),
  lower: (...a) => (arity(a, 1), str(a[0]).toLowerCase()),
  upper: (...a) => (arity(a, 1), str(a[0]).toUpperCase()),
  pad: (...a) => {
    arity(a, 3);
    const s = str(a[0]);
    return s === '' ? s : ' '.repeat(int(a[1])) + s + ' '.repeat(int(a[2]));
  },
  truncate: (...a) => {
    arity(a, 2);
    const s = str(a[0]);
    const n = int(a[1]);
    return Buffer.byteLength(s) < n ? s : Buffer.from(s).subarray(0, n).toString();
  },
};

const identity: TemplateFunc = (...a) => a[0];

/** docker's templates.HeaderFunctions: table headers pass through formatting functions untouched. */
export const headerFuncs: FuncMap = {
  ...dockerFuncs,
  json: identity,
  split: identity,
  join: identity,
  title: identity,
  lower: identity,
  upper: identity,
  truncate: identity,
};
