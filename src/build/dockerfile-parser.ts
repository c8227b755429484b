// Dockerfile text → instruction nodes, as BuildKit's
// frontend/dockerfile/parser does it: parser directives, line continuations,
// comments, builder flags, per-instruction argument splitting (JSON or
// shell form, key=value pairs, whitespace lists) and heredocs. Nothing is
// validated per instruction here (that is instructions.ts) and nothing is
// expanded (shell-words.ts): a node keeps quotes and `$VAR`s as written.

import { DockerfileError } from './dockerfile-error.ts';
import { goQuote, isSpace, ShellError, ShellLex } from './shell-words.ts';

export interface Heredoc {
  /** The terminator word, quotes removed. */
  readonly name: string;
  /** The n of `n<<EOF`, 0 when absent. */
  readonly fileDescriptor: number;
  /** False when any part of the terminator was quoted (`<<'EOF'`). */
  readonly expand: boolean;
  /** `<<-`: leading tabs are stripped from the body when it is used. */
  readonly chomp: boolean;
  /** The body as written, line endings included, tabs not yet stripped. */
  readonly content: string;
}

export interface Node {
  /** The instruction word as written ("run", "RUN"). */
  readonly instruction: string;
  /** The instruction word lower-cased, what the builder dispatches on. */
  readonly keyword: string;
  /** Leading `--name[=value]` words, quotes and backslashes removed. */
  readonly flags: string[];
  /**
   * The arguments as the instruction's rule splits them: one string for
   * the shell form of RUN/CMD/ENTRYPOINT/SHELL and for USER, WORKDIR,
   * STOPSIGNAL, MAINTAINER; the JSON strings for the exec form;
   * whitespace-separated words for FROM, EXPOSE and the shell form of
   * COPY/ADD/VOLUME; quote-aware words for ARG; (key, value, "=" or "")
   * triples for ENV and LABEL, "" marking the legacy `ENV key value` form;
   * for HEALTHCHECK the type word then its command.
   */
  readonly args: string[];
  /** The arguments came from a JSON array (exec form). */
  readonly json: boolean;
  readonly heredocs: Heredoc[];
  /** ONBUILD's trigger instruction. */
  readonly trigger?: Node;
  /** The logical line: continuations joined, comment lines dropped. */
  readonly original: string;
  /** 1-based first and last physical lines, heredoc bodies included. */
  readonly startLine: number;
  readonly endLine: number;
  /** The `#` comment lines right above the instruction, `#` removed. */
  readonly comments: string[];
}

export interface Directive {
  readonly name: string;
  readonly value: string;
  readonly line: number;
}

export interface ParseWarning {
  readonly line: number;
  readonly message: string;
}

export interface ParseResult {
  readonly nodes: Node[];
  readonly escapeToken: string;
  /** `# syntax=`, `# escape=` and `# check=` lines, in file order. */
  readonly directives: Directive[];
  readonly warnings: ParseWarning[];
}

const DIRECTIVE = /^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$/;
const KNOWN_DIRECTIVES = new Set(['syntax', 'escape', 'check']);
const WHITESPACE = /[\t\v\f\r ]+/;
const HEREDOC = /^(\d*)<<(-?)[\t\n\f\r ]*([^<]*)$/;
/** bufio.Scanner's token limit: BuildKit cannot read longer lines either. */
const MAX_LINE_BYTES = 64 * 1024;
const HEREDOC_KEYWORDS = new Set(['add', 'copy', 'run']);

class ParseFailure extends Error {
  readonly startLine: number;
  readonly endLine: number;
  constructor(problem: string, startLine: number, endLine = startLine) {
    super(problem);
    this.startLine = startLine;
    this.endLine = endLine;
  }
}

/** The parser directives at the top of the file; the first line that is
 * not one (blank lines and plain comments included) ends them. */
class Directives {
  escapeToken = '\\';
  continuation = continuationRegex('\\');
  readonly found: Directive[] = [];
  private done = false;

  /** Returns whether `line` (leading blanks already removed) was a directive. */
  consider(line: string, lineNumber: number): boolean {
    if (this.done) return false;
    const match = line.startsWith('#') ? DIRECTIVE.exec(trimLeftSpace(line.slice(1))) : null;
    const name = match?.[1].toLowerCase();
    if (!match || !name || !KNOWN_DIRECTIVES.has(name)) {
      this.done = true;
      return false;
    }
    if (this.found.some((d) => d.name === name)) {
      throw new ParseFailure(`only one ${name} parser directive can be used`, lineNumber);
    }
    const value = match[2];
    if (name === 'escape') {
      if (value !== '`' && value !== '\\') {
        throw new ParseFailure(`invalid escape token '${value}' does not match \` or \\`, lineNumber);
      }
      this.escapeToken = value;
      this.continuation = continuationRegex(value);
    }
    this.found.push({ name, value, line: lineNumber });
    return true;
  }
}

/**
 * A line continues when it ends in the escape token (trailing blanks
 * allowed) that is not itself escaped: `\\` at the end is a literal
 * backslash. The token alone on a line also continues.
 */
function continuationRegex(token: string): RegExp {
  const t = '\\' + token;
  return new RegExp(`([^${t}])${t}[ \\t]*$|^${t}[ \\t]*$`);
}

function trimLeftSpace(s: string): string {
  let i = 0;
  while (i < s.length && isSpace(s[i])) i++;
  return s.slice(i);
}

function trimSpace(s: string): string {
  let end = s.length;
  while (end > 0 && isSpace(s[end - 1])) end--;
  return trimLeftSpace(s.slice(0, end));
}

function trimNewline(s: string): string {
  return s.replace(/[\r\n]+$/, '');
}

function isComment(line: string): boolean {
  return trimLeftSpace(line).startsWith('#');
}

/** Physical lines with their line endings, as BuildKit's scanner yields them. */
function physicalLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
    lines.push(text.slice(start, nl + 1));
    start = nl + 1;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

export function parseDockerfile(text: string, file = 'Dockerfile'): ParseResult {
  try {
    return parseLines(physicalLines(text.replace(/^\ufeff/, '')));
  } catch (err) {
    if (err instanceof ParseFailure) throw new DockerfileError(file, err.startLine, err.endLine, err.message);
    throw err;
  }
}

function parseLines(lines: string[]): ParseResult {
  const d = new Directives();
  const nodes: Node[] = [];
  const warnings: ParseWarning[] = [];
  let comments: string[] = [];
  let current = 0;
  let next = 0;

  const take = (): string => {
    const raw = lines[next++];
    if (Buffer.byteLength(trimNewline(raw)) >= MAX_LINE_BYTES) {
      throw new ParseFailure(`dockerfile line greater than max allowed size of ${MAX_LINE_BYTES - 1}`, next);
    }
    return raw;
  };

  while (next < lines.length) {
    const raw = take();
    if (isComment(raw)) {
      // BuildKit drops the first character, not the '#', so an indented
      // comment keeps its '#' in the text it records.
      const comment = trimSpace(raw.slice(1));
      if (comment === '') comments = [];
      else comments.push(comment);
    }
    const first = trimLeftSpace(trimNewline(raw));
    current++;
    // A directive is not a comment documenting the next instruction.
    if (d.consider(first, current)) comments.pop();
    const startLine = current;
    let [line, ended] = trimContinuation(isComment(first) ? '' : first, d);
    if (ended && line === '') continue;

    let emptyContinuation = false;
    while (!ended && next < lines.length) {
      const rawNext = take();
      const text = trimNewline(rawNext);
      current++;
      d.consider(text, current);
      // Comment lines inside a continued instruction are skipped, and so
      // are blank ones (BuildKit warns that those will become errors).
      if (isComment(rawNext)) continue;
      if (trimLeftSpace(text) === '') {
        emptyContinuation = true;
        continue;
      }
      let part: string;
      [part, ended] = trimContinuation(text, d);
      line += part;
    }
    if (emptyContinuation) {
      warnings.push({ line: current, message: `Empty continuation line found in: ${line}` });
    }

    let node = nodeFromLine(line, d, comments, startLine, current);
    if (canContainHeredoc(node) && line.includes('<<')) {
      const heredocs: Heredoc[] = [];
      for (const doc of heredocsFromLine(line, startLine, current)) {
        let content = '';
        let terminated = false;
        while (next < lines.length) {
          const body = take();
          current++;
          let candidate = trimNewline(body);
          if (doc.chomp) candidate = candidate.replace(/^\t+/, '');
          if (candidate === doc.name) {
            terminated = true;
            break;
          }
          content += body;
        }
        if (!terminated) throw new ParseFailure('unterminated heredoc', startLine, current);
        heredocs.push({ ...doc, content });
      }
      node = { ...node, heredocs, endLine: current };
    }
    nodes.push(node);
    comments = [];
  }

  if (nodes.length === 0) throw new ParseFailure('file with no instructions', current);
  return { nodes, escapeToken: d.escapeToken, directives: d.found, warnings };
}

function trimContinuation(line: string, d: Directives): [string, boolean] {
  if (d.continuation.test(line)) return [line.replace(d.continuation, '$1'), false];
  return [line, true];
}

function canContainHeredoc(node: Node): boolean {
  const target = node.trigger ?? node;
  return HEREDOC_KEYWORDS.has(target.keyword) && !target.json;
}

/** Splits off the instruction word and the leading flags (BuildKit's
 * splitCommand), then splits the rest by the instruction's rule. */
function nodeFromLine(line: string, d: Directives, comments: string[], startLine: number, endLine: number): Node {
  const trimmed = trimSpace(line);
  const ws = WHITESPACE.exec(trimmed);
  const instruction = ws ? trimmed.slice(0, ws.index) : trimmed;
  const [rest, flags] = ws ? extractBuilderFlags(trimmed.slice(ws.index + ws[0].length)) : ['', []];
  const keyword = instruction.toLowerCase();
  const args = trimSpace(rest);
  const base = { instruction, keyword, flags, original: line, startLine, endLine, comments, heredocs: [] };
  try {
    if (keyword === 'onbuild') {
      if (args === '') return { ...base, args: [], json: false };
      const trigger = nodeFromLine(args, d, [], startLine, endLine);
      return { ...base, args: [trigger.instruction, ...trigger.args], json: false, trigger };
    }
    return { ...base, ...splitArgs(keyword, args, d) };
  } catch (err) {
    if (err instanceof ParseFailure) throw err;
    if (err instanceof Error) throw new ParseFailure(err.message, startLine, endLine);
    throw err;
  }
}

interface SplitArgs {
  args: string[];
  json: boolean;
}

function splitArgs(keyword: string, rest: string, d: Directives): SplitArgs {
  switch (keyword) {
    case 'add': case 'copy': case 'volume':
      return parseJSON(rest) ?? { args: splitWhitespace(rest), json: false };
    case 'cmd': case 'entrypoint': case 'run': case 'shell':
      return parseMaybeJSON(rest);
    case 'expose': case 'from':
      return { args: splitWhitespace(rest), json: false };
    case 'maintainer': case 'stopsignal': case 'user': case 'workdir':
      return { args: rest === '' ? [] : [rest], json: false };
    case 'arg':
      return { args: parseWords(rest, d.escapeToken), json: false };
    case 'env':
      return { args: parseNameValue(rest, 'ENV', d.escapeToken), json: false };
    case 'label':
      return { args: parseNameValue(rest, 'LABEL', d.escapeToken), json: false };
    case 'healthcheck':
      return parseHealthcheck(rest);
    default:
      // Unknown instructions parse; instructions.ts rejects them.
      return { args: [], json: false };
  }
}

function splitWhitespace(rest: string): string[] {
  return rest === '' ? [] : rest.split(WHITESPACE);
}

class NotStringArray extends Error {
  constructor() {
    super('when using JSON array syntax, arrays must be comprised of strings only');
  }
}

/** The exec form: a JSON array of strings. Anything that is not valid JSON
 * falls back to the shell form; an array of non-strings is an error. */
function parseJSON(rest: string): SplitArgs | undefined {
  const text = trimLeftSpace(rest);
  if (!text.startsWith('[')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  if (!value.every((v): v is string => typeof v === 'string')) throw new NotStringArray();
  return { args: value, json: true };
}

function parseMaybeJSON(rest: string): SplitArgs {
  if (rest === '') return { args: [], json: false };
  return parseJSON(rest) ?? { args: [rest], json: false };
}

/** HEALTHCHECK's first word is the type (CMD, NONE); the rest is a
 * command in either form. */
function parseHealthcheck(rest: string): SplitArgs {
  let sep = 0;
  while (sep < rest.length && !isSpace(rest[sep])) sep++;
  if (sep === 0) return { args: [], json: false };
  const command = parseMaybeJSON(trimLeftSpace(rest.slice(sep)));
  return { args: [rest.slice(0, sep), ...command.args], json: command.json };
}

/**
 * ENV and LABEL: `key=value ...` pairs, or the legacy `key value` form when
 * the first word has no '='. Values keep their quotes; they come off when
 * the builder expands the value.
 */
function parseNameValue(rest: string, name: string, escape: string): string[] {
  const words = parseWords(rest, escape);
  if (words.length === 0) return [];
  if (!words[0].includes('=')) {
    const ws = WHITESPACE.exec(rest);
    if (!ws) throw new Error(`${name} must have two arguments`);
    return [rest.slice(0, ws.index), rest.slice(ws.index + ws[0].length), ''];
  }
  const out: string[] = [];
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq < 0) {
      throw new Error(`Syntax error - can't find = in ${goQuote(word)}. Must be of the form: name=value`);
    }
    out.push(word.slice(0, eq), word.slice(eq + 1), '=');
  }
  return out;
}

/**
 * Splits on unquoted whitespace keeping quotes and escapes in the words
 * (BuildKit's parseWords); an escape token before a quote keeps it from
 * opening a quoted part, and an escape token at the very end is dropped.
 */
function parseWords(rest: string, escape: string): string[] {
  const chars = Array.from(rest);
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let quote = '';
  let blankOK = false;
  let word = '';
  for (let pos = 0; pos <= chars.length; pos++) {
    const atEnd = pos === chars.length;
    let ch = chars[pos];
    if (phase === 'spaces') {
      if (atEnd) break;
      if (isSpace(ch)) continue;
      phase = 'word';
    }
    if (atEnd) {
      if (blankOK || word.length > 0) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (isSpace(ch)) {
        phase = 'spaces';
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
      }
      if (ch === escape) {
        if (pos + 1 === chars.length) continue;
        word += ch;
        ch = chars[++pos];
      }
      word += ch;
      continue;
    }
    if (ch === quote) phase = 'word';
    if (ch === escape && quote !== "'") {
      if (pos + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      word += ch;
      ch = chars[++pos];
    }
    word += ch;
  }
  return words;
}

/**
 * Takes the leading words that start with `--` off an instruction's
 * arguments (BuildKit's extractBuilderFlags): quotes and backslashes are
 * removed inside flags, and a bare `--` ends the flags.
 */
function extractBuilderFlags(line: string): [string, string[]] {
  const flags: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let quote = '';
  let blankOK = false;
  for (let pos = 0; pos <= line.length; pos++) {
    const atEnd = pos === line.length;
    let ch = line[pos];
    if (phase === 'spaces') {
      if (atEnd) break;
      if (isSpace(ch)) continue;
      if (ch !== '-' || line[pos + 1] !== '-') return [line.slice(pos), flags];
      phase = 'word';
    }
    if (atEnd) {
      if (word !== '--' && (blankOK || word.length > 0)) flags.push(word);
      break;
    }
    if (phase === 'word') {
      if (isSpace(ch)) {
        phase = 'spaces';
        if (word === '--') return [line.slice(pos), flags];
        if (blankOK || word.length > 0) flags.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
        continue;
      }
      if (ch === '\\') {
        if (pos + 1 === line.length) continue;
        ch = line[++pos];
      }
      word += ch;
      continue;
    }
    if (ch === quote) {
      phase = 'word';
      continue;
    }
    if (ch === '\\') {
      if (pos + 1 === line.length) {
        phase = 'word';
        continue;
      }
      ch = line[++pos];
    }
    word += ch;
  }
  return ['', flags];
}

type HeredocHead = Omit<Heredoc, 'content'>;

/**
 * The heredocs a line opens, in order. The line is split with quotes and
 * escapes kept, so `"<<EOF"` is not a heredoc; then each `[n]<<[-]WORD`
 * word is one.
 */
function heredocsFromLine(line: string, startLine: number, endLine: number): HeredocHead[] {
  let words: string[];
  try {
    words = new ShellLex('\\', { rawQuotes: true, rawEscapes: true, skipUnsetEnv: true }).processWords(line, new Map());
  } catch {
    return [];
  }
  const docs: HeredocHead[] = [];
  for (const word of words) {
    try {
      const doc = parseHeredoc(word);
      if (doc) docs.push(doc);
    } catch (err) {
      if (err instanceof ShellError) throw new ParseFailure(err.message, startLine, endLine);
      throw err;
    }
  }
  return docs;
}

/**
 * Parses one `[n]<<[-]WORD` word, or returns undefined when the word is not
 * a heredoc. The terminator is lexed with and without quotes: when the
 * quote counts differ, part of it was quoted and the body is not expanded
 * (escaped quotes count the same both ways).
 */
export function parseHeredoc(word: string): HeredocHead | undefined {
  const match = HEREDOC.exec(word);
  if (!match || match[3] === '') return undefined;
  const rest = match[3];
  const words = new ShellLex('\\', { skipUnsetEnv: true }).processWords(rest, new Map());
  if (words.length !== 1) return undefined;
  const raw = new ShellLex('\\', { skipUnsetEnv: true, rawQuotes: true }).processWords(rest, new Map());
  if (raw.length !== words.length) {
    throw new ShellError(`internal lexing of heredoc produced inconsistent results: ${rest}`);
  }
  const quotes = (s: string): number => s.split(/['"]/).length - 1;
  return {
    name: words[0],
    fileDescriptor: match[1] === '' ? 0 : Number(match[1]),
    expand: quotes(words[0]) === quotes(raw[0]),
    chomp: match[2] === '-',
  };
}

/** The body with leading tabs removed from every line, for `<<-`. */
export function chompHeredoc(content: string): string {
  return content.replace(/^\t+/gm, '');
}
