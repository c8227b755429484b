// .dockerignore: which context paths the builder may read, with the rules
// of moby/patternmatcher (matching) and tonistiigi/fsutil (walking).
//
// The Dockerfile and the .dockerignore themselves are read by the builder
// directly, whatever the patterns say, as BuildKit reads them through a
// separate source; the patterns still apply to them as context files, so an
// excluded Dockerfile cannot be COPYed, exactly as with BuildKit.

import { posix } from 'node:path';
import { checkPattern } from './path-match.ts';

/**
 * The patterns of a .dockerignore (moby/patternmatcher ignorefile.ReadAll):
 * lines starting with '#' are comments (an indented '#' is a pattern), blank
 * lines are skipped, each pattern is trimmed and cleaned, and a leading '/'
 * is dropped because patterns are relative to the context root anyway.
 */
export function parseDockerignore(text: string): string[] {
  const patterns: string[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    let line = raw.replace(/\r$/, '');
    if (i === 0) line = line.replace(/^\ufeff/, '');
    if (line.startsWith('#')) continue;
    let pattern = line.trim();
    if (pattern === '') continue;
    const invert = pattern.startsWith('!');
    if (invert) pattern = pattern.slice(1).trim();
    if (pattern.length > 0) {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    patterns.push(invert ? '!' + pattern : pattern);
  }
  return patterns;
}

/**
 * Picks the ignore file for a build: `<Dockerfile>.dockerignore` next to the
 * Dockerfile wins over `.dockerignore` at the context root (BuildKit's
 * per-Dockerfile ignore files); undefined when neither exists.
 */
export function ignoreFileFor(dockerfilePath: string, exists: (path: string) => boolean, contextDir = '.'): string | undefined {
  return [`${dockerfilePath}.dockerignore`, posix.join(contextDir, '.dockerignore')].find(exists);
}

/** Go's path.Clean. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return '/' + joined;
  return joined === '' ? '.' : joined;
}

/** Go's path.Dir. */
function dirOf(p: string): string {
  return cleanPath(p.slice(0, p.lastIndexOf('/') + 1));
}

type MatchKind = 'exact' | 'prefix' | 'suffix' | 'regexp';

export interface Pattern {
  /** The cleaned pattern, without its '!'. */
  readonly text: string;
  /** A '!' pattern: re-includes what earlier patterns excluded. */
  readonly exclusion: boolean;
}

class CompiledPattern implements Pattern {
  readonly text: string;
  readonly exclusion: boolean;
  private readonly kind: MatchKind;
  private readonly regexp?: RegExp;

  constructor(text: string, exclusion: boolean) {
    this.text = text;
    this.exclusion = exclusion;
    [this.kind, this.regexp] = compile(text);
  }

  match(path: string): boolean {
    switch (this.kind) {
      case 'exact':
        return path === this.text;
      case 'prefix':
        return path.startsWith(this.text.slice(0, -2));
      case 'suffix': {
        // **/foo also matches foo itself.
        const suffix = this.text.slice(2);
        return path.endsWith(suffix) || (suffix.startsWith('/') && path === suffix.slice(1));
      }
      case 'regexp':
        return (this.regexp as RegExp).test(path);
    }
  }
}

/** Characters patternmatcher escapes because they mean nothing to
 * filepath.Match but something to a regular expression. */
const REGEXP_ONLY = new Set(['.', '+', '(', ')', '|', '{', '}', '$']);

/**
 * patternmatcher's compile: `*` is any run without '/', `?` one character
 * but '/', `**` any number of directories, `[...]` a class; a pattern
 * without wildcards is compared as a string, `dir/**` as a prefix and
 * `**...` as a suffix.
 */
function compile(pattern: string): [MatchKind, RegExp?] {
  const chars = Array.from(pattern);
  let re = '^';
  let kind: MatchKind = 'exact';
  let inClass = false;
  for (let i = 0, step = 0; i < chars.length; i++, step++) {
    const ch = chars[i];
    if (ch === '*' && !inClass) {
      if (chars[i + 1] === '*') {
        i++;
        // "**/" is "**".
        if (chars[i + 1] === '/') i++;
        if (i + 1 >= chars.length) {
          // A trailing ** takes everything, as in .gitignore.
          if (kind === 'exact') kind = 'prefix';
          else {
            re += '.*';
            kind = 'regexp';
          }
        } else {
          re += '(.*/)?';
          kind = 'regexp';
        }
        if (step === 0) kind = 'suffix';
      } else {
        re += '[^/]*';
        kind = 'regexp';
      }
    } else if (ch === '?' && !inClass) {
      re += '[^/]';
      kind = 'regexp';
    } else if (REGEXP_ONLY.has(ch)) {
      re += '\\' + ch;
    } else if (ch === '\\') {
      if (i + 1 < chars.length) {
        re += escapeForRegExp(chars[++i], inClass);
        kind = 'regexp';
      }
    } else if (ch === '[' || ch === ']') {
      // Go's regexp takes a lone ']' literally; JavaScript's does not.
      re += ch === ']' && !inClass ? '\\]' : ch;
      if (ch === '[' && !inClass) {
        inClass = true;
        if (chars[i + 1] === '^') re += chars[++i];
      } else if (ch === ']') {
        inClass = false;
      }
      kind = 'regexp';
    } else {
      re += ch;
    }
  }
  return kind === 'regexp' ? [kind, new RegExp(re + '$', 'u')] : [kind];
}

/** `\x` in a pattern: Go's regexp keeps `\d`, `\w` and friends as classes,
 * every other escaped character is itself. */
function escapeForRegExp(ch: string, inClass: boolean): string {
  if (/^[bBdDsSwW]$/.test(ch)) return '\\' + ch;
  if (ch === '-') return inClass ? '\\-' : '-';
  return /^[\^$\\.*+?()[\]{}|/]$/.test(ch) ? '\\' + ch : ch;
}

/** Characters that make an exception pattern more than a plain path prefix. */
const WILDCARDS = /[*[\]?^\\]/;

export class DockerIgnore {
  readonly patterns: readonly Pattern[];
  /** Some pattern is an exception ('!'). */
  readonly exclusions: boolean;
  private readonly compiled: CompiledPattern[];
  /** Every exception is a plain path (fsutil's onlyPrefixExcludeExceptions),
   * so an excluded directory needs walking only above those paths. */
  private readonly onlyPrefixExceptions: boolean;

  constructor(patterns: readonly string[]) {
    this.compiled = [];
    for (const raw of patterns) {
      let p = raw.trim();
      if (p === '') continue;
      p = cleanPath(p);
      const exclusion = p.startsWith('!');
      if (exclusion) {
        if (p.length === 1) throw new Error('illegal exclusion pattern: "!"');
        p = p.slice(1);
      }
      // patternmatcher calls filepath.Match only for its syntax error.
      checkPattern(p);
      this.compiled.push(new CompiledPattern(p, exclusion));
    }
    this.patterns = this.compiled;
    this.exclusions = this.compiled.some((p) => p.exclusion);
    this.onlyPrefixExceptions = this.compiled.every((p) => !p.exclusion || !WILDCARDS.test(withoutTrailingGlob(p.text)));
  }

  static parse(text: string): DockerIgnore {
    return new DockerIgnore(parseDockerignore(text));
  }

  /**
   * Whether a context path (slash-separated, relative to the context root)
   * is excluded. The last pattern that matches the path or one of its parent
   * directories decides, so `docs` excludes `docs/a.md` unless a later
   * `!docs/a.md` re-includes it (patternmatcher's MatchesOrParentMatches).
   * The context root itself is never excluded.
   */
  matches(path: string): boolean {
    const file = cleanPath(path);
    if (file === '.') return false;
    const parent = dirOf(file);
    const parents = parent === '.' ? [] : parent.split('/');
    let matched = false;
    for (const pattern of this.compiled) {
      // An inclusion cannot change a match, an exception cannot undo a non-match.
      if (pattern.exclusion !== matched) continue;
      let match = pattern.match(file);
      for (let i = 0; !match && i < parents.length; i++) {
        match = pattern.match(parents.slice(0, i + 1).join('/'));
      }
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }

  /**
   * Whether a walker must look inside directory `dir`: always when the
   * directory is not excluded; when it is, only if an exception could
   * re-include something below it (fsutil's rule: any exception with a
   * wildcard forces the walk, a plain one only when it lies under `dir`).
   * Files found there are still checked with matches(); a re-included
   * file brings its excluded parent directories along.
   */
  shouldDescend(dir: string): boolean {
    if (!this.matches(dir)) return true;
    if (!this.exclusions) return false;
    if (!this.onlyPrefixExceptions) return true;
    const prefix = cleanPath(dir) + '/';
    return this.compiled.some((p) => p.exclusion && (withoutTrailingGlob(p.text) + '/').startsWith(prefix));
  }
}

function withoutTrailingGlob(pattern: string): string {
  let p = pattern;
  if (p.endsWith('/**')) p = p.slice(0, -3);
  if (p.endsWith('/*')) p = p.slice(0, -2);
  return p;
}
