// Docker's variable substitution and word splitting, as BuildKit's
// frontend/dockerfile/shell Lex does it. It is not a shell: no command
// substitution, no globbing, no arithmetic; only quotes, the escape token and
// the ${} forms below. Every behaviour here, including the odd ones, is
// BuildKit's, because the builder's cache keys and the image's env depend on
// getting exactly the same strings.

/** Variables visible to an expansion: build args and the stage's env. */
export type Env = ReadonlyMap<string, string>;

export interface LexOptions {
  /** Keep quote characters in the result (the heredoc detector needs them). */
  readonly rawQuotes?: boolean;
  /** Keep escape tokens in the result. */
  readonly rawEscapes?: boolean;
  /** Leave `$X`, `${X}`, `${X:-w}` untouched when X is unset. */
  readonly skipUnsetEnv?: boolean;
  /** Treat quotes as ordinary characters (heredoc bodies). */
  readonly skipProcessQuotes?: boolean;
}

export interface ProcessResult {
  /** The expanded text with quotes removed, spaces kept. */
  readonly result: string;
  /** The text split into words after expansion, quoted spaces kept. */
  readonly words: string[];
  /** Names looked up and found: the build args an instruction depends on. */
  readonly matched: Set<string>;
  /** Names looked up and not found. */
  readonly unmatched: Set<string>;
}

export class ShellError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShellError';
  }
}

/** Go's unicode.IsSpace, which differs from JavaScript's \s (U+0085, U+FEFF). */
export function isSpace(ch: string): boolean {
  switch (ch) {
    case ' ': case '\t': case '\n': case '\v': case '\f': case '\r':
    case '\u0085': case '\u00a0': case '\u1680': case '\u2028': case '\u2029':
    case '\u202f': case '\u205f': case '\u3000':
      return true;
  }
  return ch >= '\u2000' && ch <= '\u200a';
}

/** BuildKit's BuildEnvs: "K=V" entries, later ones winning; "K" alone is empty. */
export function envFromList(list: readonly string[]): Map<string, string> {
  const env = new Map<string, string>();
  for (const entry of list) {
    const eq = entry.indexOf('=');
    if (eq < 0) env.set(entry, '');
    else env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return env;
}

/**
 * How each instruction's arguments go through the lexer in BuildKit:
 * - word: each argument, as the parser split it, is one processWord call
 *   (so `COPY $FILES /d` with FILES="a b" names one source "a b");
 * - words: each argument goes through processWords and may become several
 *   (only EXPOSE);
 * - global: only the ARGs declared before the first FROM are visible;
 * - mounts: only the values inside RUN --mount flags are expanded.
 * Instructions not listed (CMD, ENTRYPOINT, SHELL, HEALTHCHECK, MAINTAINER,
 * ONBUILD) are never expanded by the builder; RUN's command is expanded by
 * the shell at run time, and an ONBUILD trigger when a child build runs it.
 */
export type Expansion = 'word' | 'words' | 'global' | 'mounts';

export const EXPANSION: Readonly<Record<string, Expansion>> = {
  add: 'word',
  arg: 'word',
  copy: 'word',
  env: 'word',
  label: 'word',
  stopsignal: 'word',
  user: 'word',
  volume: 'word',
  workdir: 'word',
  expose: 'words',
  from: 'global',
  run: 'mounts',
};

const EOF = undefined;
type Char = string | typeof EOF;

/** A rune scanner with Go text/scanner's Peek/Next over code points. */
class Scanner {
  private readonly chars: string[];
  private pos = 0;

  constructor(source: string) {
    this.chars = Array.from(source);
  }

  peek(): Char {
    return this.chars[this.pos];
  }

  next(): Char {
    const ch = this.chars[this.pos];
    if (ch !== EOF) this.pos++;
    return ch;
  }
}

/** Go prints the EOF rune (-1) as U+FFFD in error messages. */
function show(ch: Char): string {
  return ch === EOF ? '\ufffd' : ch;
}

/** Collects words the way BuildKit does: quoted text never splits, and an
 * empty quoted string alone does not make a word. */
class Words {
  private word = '';
  private inWord = false;
  private readonly words: string[] = [];

  addChar(ch: string): void {
    if (isSpace(ch)) {
      if (this.inWord && this.word.length > 0) {
        this.words.push(this.word);
        this.word = '';
        this.inWord = false;
      }
    } else {
      this.addRawChar(ch);
    }
  }

  addRawChar(ch: string): void {
    this.word += ch;
    this.inWord = true;
  }

  addString(text: string): void {
    for (const ch of text) this.addChar(ch);
  }

  addRawString(text: string): void {
    this.word += text;
    this.inWord = true;
  }

  finish(): string[] {
    if (this.word.length > 0) this.words.push(this.word);
    return this.words;
  }
}

const LETTER = /^\p{L}$/u;
const DIGIT = /^\p{Nd}$/u;
const SPECIAL_PARAMS = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);
const HEREDOC_SPACE = new Set([' ', '\t', '\r', '\n']);

export class ShellLex {
  readonly escapeToken: string;
  readonly options: LexOptions;

  constructor(escapeToken = '\\', options: LexOptions = {}) {
    this.escapeToken = escapeToken;
    this.options = options;
  }

  /** Expands `source`, returning the text, its words and the names used. */
  process(source: string, env: Env): ProcessResult {
    const run = new WordScan(this, env, source);
    try {
      const [result, words] = run.processStopOn(EOF, this.options.rawEscapes ?? false);
      return { result, words, matched: run.matched, unmatched: run.unmatched };
    } catch (err) {
      if (err instanceof ShellError) {
        throw new ShellError(`failed to process ${goQuote(source)}: ${err.message}`);
      }
      throw err;
    }
  }

  processWord(source: string, env: Env): string {
    return this.process(source, env).result;
  }

  processWords(source: string, env: Env): string[] {
    return this.process(source, env).words;
  }
}

/** One expansion of one source string (BuildKit's shellWord). */
class WordScan {
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();
  private readonly lex: ShellLex;
  private readonly env: Env;
  private readonly scanner: Scanner;
  private rawEscapes: boolean;

  constructor(lex: ShellLex, env: Env, source: string) {
    this.lex = lex;
    this.env = env;
    this.scanner = new Scanner(source);
    this.rawEscapes = lex.options.rawEscapes ?? false;
  }

  processStopOn(stop: Char, rawEscapes: boolean): [string, string[]] {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      return this.scanUntil(stop);
    } finally {
      this.rawEscapes = saved;
    }
  }

  private scanUntil(stop: Char): [string, string[]] {
    const words = new Words();
    const quotes = !this.lex.options.skipProcessQuotes;
    let result = '';
    for (let ch = this.scanner.peek(); ch !== EOF; ch = this.scanner.peek()) {
      if (stop !== EOF && ch === stop) {
        this.scanner.next();
        return [result, words.finish()];
      }
      if (ch === '$') {
        const value = this.processDollar();
        result += value;
        words.addString(value);
        continue;
      }
      if (ch === '<' || (quotes && (ch === "'" || ch === '"'))) {
        const value = ch === '<' ? this.processPossibleHeredoc()
          : ch === "'" ? this.processSingleQuote() : this.processDoubleQuote();
        result += value;
        words.addRawString(value);
        continue;
      }
      let c = this.scanner.next() as string;
      if (c === this.lex.escapeToken) {
        if (this.rawEscapes) {
          words.addRawChar(c);
          result += c;
        }
        const escaped = this.scanner.next();
        // An escape token at the very end is dropped.
        if (escaped === EOF) break;
        c = escaped;
        words.addRawChar(c);
      } else {
        words.addChar(c);
      }
      result += c;
    }
    if (stop !== EOF) {
      throw new ShellError(`unexpected end of statement while looking for matching ${stop}`);
    }
    return [result, words.finish()];
  }

  private processSingleQuote(): string {
    const raw = this.lex.options.rawQuotes ?? false;
    this.scanner.next();
    let result = raw ? "'" : '';
    for (;;) {
      const ch = this.scanner.next();
      if (ch === EOF) {
        throw new ShellError('unexpected end of statement while looking for matching single-quote');
      }
      if (ch === "'") return raw ? result + ch : result;
      result += ch;
    }
  }

  private processDoubleQuote(): string {
    const raw = this.lex.options.rawQuotes ?? false;
    this.scanner.next();
    let result = raw ? '"' : '';
    for (;;) {
      const peek = this.scanner.peek();
      if (peek === EOF) {
        throw new ShellError('unexpected end of statement while looking for matching double-quote');
      }
      if (peek === '"') {
        this.scanner.next();
        return raw ? result + '"' : result;
      }
      if (peek === '$') {
        result += this.processDollar();
        continue;
      }
      let ch = this.scanner.next() as string;
      if (ch === this.lex.escapeToken) {
        if (this.rawEscapes) result += ch;
        const after = this.scanner.peek();
        // Inside double quotes the escape only escapes ", $ and itself; an
        // escape right before the end is dropped (and the quote is unclosed).
        if (after === EOF) continue;
        if (after === '"' || after === '$' || after === this.lex.escapeToken) {
          ch = this.scanner.next() as string;
        }
      }
      result += ch;
    }
  }

  /** `<<` and `<<-` keep the blanks after them in the same word, so
   * `<< EOF` stays one word for the heredoc detector. */
  private processPossibleHeredoc(): string {
    this.scanner.next();
    if (this.scanner.peek() !== '<') return '<';
    this.scanner.next();
    let result = '<<';
    if (this.scanner.peek() === '-') result += this.scanner.next();
    for (let ch = this.scanner.peek(); ch !== EOF && HEREDOC_SPACE.has(ch); ch = this.scanner.peek()) {
      result += this.scanner.next();
    }
    return result;
  }

  private processDollar(): string {
    this.scanner.next();
    const skipUnset = this.lex.options.skipUnsetEnv ?? false;
    if (this.scanner.peek() !== '{') {
      const name = this.processName();
      if (name === '') return '$';
      const [value, found] = this.getEnv(name);
      if (!found && skipUnset) return '$' + name;
      return value;
    }
    this.scanner.next();
    const first = this.scanner.peek();
    if (first === EOF) throw new ShellError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') {
      throw new ShellError('syntax error: bad substitution');
    }
    const name = this.processName();
    let ch = this.scanner.next();
    let modifier = show(ch);
    let nullIsUnset = false;
    if (ch === '}') {
      const [value, found] = this.getEnv(name);
      if (!found && skipUnset) return `\${${name}}`;
      return value;
    }
    if (ch === '/') return this.processReplace(name);
    if (ch === ':') {
      nullIsUnset = true;
      ch = this.scanner.next();
      modifier += show(ch);
    } else if (ch !== '+' && ch !== '-' && ch !== '?' && ch !== '#' && ch !== '%') {
      throw new ShellError(`unsupported modifier (${modifier}) in substitution`);
    }

    let word = this.wordUntil('}', ch === '#' || ch === '%', "syntax error: missing '}'");
    const [value, set] = this.getEnv(name);
    if (skipUnset && !set) return `\${${name}${modifier}${word}}`;
    const unsetOrNull = !set || (nullIsUnset && value === '');
    switch (ch) {
      case '-':
        return unsetOrNull ? word : value;
      case '+':
        return unsetOrNull ? '' : word;
      case '?':
        if (!set) throw new ShellError(`${name}: ${word || 'is not allowed to be unset'}`);
        if (nullIsUnset && value === '') {
          throw new ShellError(`${name}: ${word || 'is not allowed to be empty'}`);
        }
        return value;
      case '#':
      case '%': {
        // One # or % removes the shortest match, two the longest.
        const greedy = word.startsWith(ch);
        if (greedy) word = word.slice(1);
        return ch === '%' ? trimSuffix(word, value, greedy) : trimPrefix(word, value, greedy);
      }
      default:
        throw new ShellError(`unsupported modifier (${modifier}) in substitution`);
    }
  }

  /** ${VAR/pattern/replacement} and ${VAR//pattern/replacement}. */
  private processReplace(name: string): string {
    const all = this.scanner.peek() === '/';
    if (all) this.scanner.next();
    const pattern = this.wordUntil('/', true, "syntax error: missing '/' in ${}");
    const replacement = this.wordUntil('}', true, "syntax error: missing '}'");
    const [value, set] = this.getEnv(name);
    if ((this.lex.options.skipUnsetEnv ?? false) && !set) {
      return `\${${name}/${pattern}/${replacement}}`;
    }
    const re = shellPatternToRegex(pattern, true, false, all);
    return value.replace(re, () => replacement);
  }

  private wordUntil(stop: string, rawEscapes: boolean, missing: string): string {
    try {
      return this.processStopOn(stop, rawEscapes)[0];
    } catch (err) {
      if (err instanceof ShellError && this.scanner.peek() === EOF) throw new ShellError(missing);
      throw err;
    }
  }

  /** A name is letters, digits and _, a run of digits, or one special
   * parameter; special parameters are never set, so they expand to "". */
  private processName(): string {
    let name = '';
    for (let ch = this.scanner.peek(); ch !== EOF; ch = this.scanner.peek()) {
      if (name === '' && DIGIT.test(ch)) {
        while (this.scanner.peek() !== EOF && DIGIT.test(this.scanner.peek() as string)) {
          name += this.scanner.next();
        }
        return name;
      }
      if (name === '' && SPECIAL_PARAMS.has(ch)) return this.scanner.next() as string;
      if (!LETTER.test(ch) && !DIGIT.test(ch) && ch !== '_') break;
      name += this.scanner.next();
    }
    return name;
  }

  private getEnv(name: string): [string, boolean] {
    const value = this.env.get(name);
    if (value === undefined) {
      this.unmatched.add(name);
      return ['', false];
    }
    this.matched.add(name);
    return [value, true];
  }
}

/**
 * A ${} glob (`*` any string, `?` one character, `\` escaping `*`, `?`, `\`,
 * and silently `}` or `/`) as a regular expression; bracket expressions are
 * not supported, as in BuildKit.
 */
function shellPatternToRegex(pattern: string, greedy: boolean, anchored: boolean, global = false): RegExp {
  const chars = Array.from(pattern);
  let out = anchored ? '^' : '';
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === '*') {
      out += greedy ? '.*' : '.*?';
    } else if (ch === '?') {
      out += '.';
    } else if (ch === '\\') {
      const next = chars[i + 1];
      if (next === '}' || next === '/') continue;
      if (next !== '*' && next !== '?' && next !== '\\') {
        throw new ShellError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${show(next)}'`);
      }
      out += '\\' + next;
      i++;
    } else if ('[]{}.+()|^$'.includes(ch)) {
      out += '\\' + ch;
    } else {
      out += ch;
    }
  }
  return new RegExp(out, global ? 'gu' : 'u');
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const match = shellPatternToRegex(pattern, greedy, true).exec(value);
  return match ? value.slice(match[0].length) : value;
}

/** Reverses a pattern keeping each escape in front of the character it
 * escapes: a\*c becomes c\*a. */
function reversePattern(pattern: string): string {
  const chars = Array.from(pattern);
  const out = new Array<string>(chars.length);
  const last = chars.length - 1;
  for (let i = 0; i <= last;) {
    if (chars[i] === '\\' && i !== last) {
      out[last - i - 1] = '\\';
      out[last - i] = chars[i + 1];
      i += 2;
    } else {
      out[last - i] = chars[i];
      i++;
    }
  }
  return out.join('');
}

/** Regular expressions find leftmost matches only, so the shortest suffix
 * is found as the shortest prefix of the reversed value. */
function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  const reversed = Array.from(value).reverse().join('');
  const trimmed = trimPrefix(reversePattern(pattern), reversed, greedy);
  return Array.from(trimmed).reverse().join('');
}

/** Go's %q for the strings that reach error messages. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}
