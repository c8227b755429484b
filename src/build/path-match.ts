// Go's filepath.Match on Linux, which moby's classic builder uses for
// COPY/ADD wildcards: `*` is any run of characters but `/`, `?` one
// character but `/`, `[...]` a class (`^` negates, `a-z` ranges, which may
// match `/`), `\` escapes the next character. A leading dot is an ordinary
// character (`*` matches `.env`), and there are no braces or extglobs.
// A malformed pattern is an error whether or not the name would match,
// because Go checks the whole pattern.

export class BadPattern extends Error {
  constructor() {
    super('syntax error in pattern');
    this.name = 'BadPattern';
  }
}

type Token =
  | { readonly kind: 'star' }
  | { readonly kind: 'any' }
  | { readonly kind: 'char'; readonly ch: string }
  | { readonly kind: 'class'; readonly negated: boolean; readonly ranges: readonly (readonly [number, number])[] };

/** The pattern as tokens; throws BadPattern for a trailing `\` or a class that is empty, unclosed or has a bare `-`/`]` where a character belongs. */
function tokenize(pattern: string): Token[] {
  const chars = Array.from(pattern);
  const tokens: Token[] = [];
  // One class character (possibly escaped); something must follow it, at least the closing `]`.
  const classChar = (i: number): [number, number] => {
    if (i >= chars.length || chars[i] === '-' || chars[i] === ']') throw new BadPattern();
    if (chars[i] === '\\') i++;
    if (i >= chars.length - 1) throw new BadPattern();
    return [chars[i]!.codePointAt(0)!, i + 1];
  };
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '*') tokens.push({ kind: 'star' });
    else if (ch === '?') tokens.push({ kind: 'any' });
    else if (ch === '\\') {
      if (++i >= chars.length) throw new BadPattern();
      tokens.push({ kind: 'char', ch: chars[i]! });
    } else if (ch === '[') {
      i++;
      const negated = chars[i] === '^';
      if (negated) i++;
      const ranges: [number, number][] = [];
      while (!(chars[i] === ']' && ranges.length > 0)) {
        let lo: number;
        let hi: number;
        [lo, i] = classChar(i);
        hi = lo;
        if (chars[i] === '-') [hi, i] = classChar(i + 1);
        ranges.push([lo, hi]);
      }
      tokens.push({ kind: 'class', negated, ranges });
    } else tokens.push({ kind: 'char', ch });
  }
  return tokens;
}

/** Throws BadPattern when filepath.Match would call `pattern` malformed. */
export function checkPattern(pattern: string): void {
  tokenize(pattern);
}

/** Whether `name` matches `pattern` as a whole; throws BadPattern for a malformed pattern. */
export function matchPath(pattern: string, name: string): boolean {
  const tokens = tokenize(pattern);
  const chars = Array.from(name);
  const failed = new Set<number>();
  const at = (t: number, c: number): boolean => {
    if (t === tokens.length) return c === chars.length;
    const memo = t * (chars.length + 1) + c;
    if (failed.has(memo)) return false;
    const token = tokens[t]!;
    let ok: boolean;
    if (token.kind === 'star') {
      // The star takes nothing, or one more character that is not a separator.
      ok = at(t + 1, c) || (c < chars.length && chars[c] !== '/' && at(t, c + 1));
    } else if (c >= chars.length) {
      ok = false;
    } else {
      const ch = chars[c]!;
      const code = ch.codePointAt(0)!;
      ok = (token.kind === 'any' ? ch !== '/'
        : token.kind === 'char' ? ch === token.ch
        : token.ranges.some(([lo, hi]) => lo <= code && code <= hi) !== token.negated) && at(t + 1, c + 1);
    }
    if (!ok) failed.add(memo);
    return ok;
  };
  return at(0, 0);
}
