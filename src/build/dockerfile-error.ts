// The one error type the Dockerfile front end throws, so the CLI and the
// API can point at the offending lines the way docker build does, and the
// place in the Dockerfile any build error came from.

export class DockerfileError extends Error {
  readonly file: string;
  /** 1-based line where the offending instruction starts. */
  readonly line: number;
  /** 1-based last line of the offending instruction (heredocs included). */
  readonly endLine: number;
  /** The problem alone, in BuildKit's wording, e.g. "unknown instruction: RUNN". */
  readonly problem: string;

  constructor(file: string, line: number, endLine: number, problem: string) {
    // moby 20.10's classic builder (BuildKit 0.8's instructions.Parse) words it so, and docker shows it as is.
    super(`dockerfile parse error line ${line}: ${problem}`);
    this.name = 'DockerfileError';
    this.file = file;
    this.line = line;
    this.endLine = Math.max(line, endLine);
    this.problem = problem;
  }
}

/**
 * Where in which Dockerfile an error comes from, for a display of its own
 * (BuildKit prints `Dockerfile.dev:2` and the lines): the instruction's
 * lines `line`..`endLine`, and the file's lines from `start` to `endLine`
 * (a few before it, for context). The classic stream has no place for it,
 * so the API sends it beside the message, which stays moby's.
 */
export interface DockerfileLocation {
  readonly file: string;
  readonly line: number;
  readonly endLine: number;
  readonly start: number;
  readonly lines: string[];
}

/** Lines shown before the offending instruction, as BuildKit's display does. */
const CONTEXT_LINES = 4;

const locations = new WeakMap<object, DockerfileLocation>();

/** Records where `err` comes from, unless something closer to it already did; returns `err`. */
export function locate(err: unknown, file: string, text: string, line: number, endLine: number): unknown {
  if (typeof err !== 'object' || err === null || locations.has(err)) return err;
  const all = text.replace(/^\ufeff/, '').split(/\r?\n/);
  const start = Math.max(1, line - CONTEXT_LINES);
  const end = Math.min(Math.max(line, endLine), all.length);
  locations.set(err, { file, line, endLine: end, start, lines: all.slice(start - 1, end) });
  return err;
}

/** Where `err` comes from, as locate() recorded it. */
export function locationOf(err: unknown): DockerfileLocation | undefined {
  return typeof err === 'object' && err !== null ? locations.get(err) : undefined;
}

/** What the API sends beside an error's message: `{ dockerfile: location }`, or nothing. */
export function dockerfileDetail(err: unknown): { dockerfile?: DockerfileLocation } {
  const where = locationOf(err);
  return where ? { dockerfile: where } : {};
}

/** Levenshtein distance, for BuildKit's "(did you mean X?)" hints. */
function distance(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[y.length];
}

/**
 * BuildKit's suggest.WrapError: appends " (did you mean X?)" when an option
 * is within edit distance 2 of the value; an exact match means the value was
 * not the problem, so nothing is suggested. Case-insensitive matching answers
 * in the value's case when the value is all lower or all upper case.
 */
export function withSuggestion(problem: string, value: string, options: Iterable<string>, caseSensitive: boolean): string {
  const wanted = caseSensitive ? value : value.toLowerCase();
  let best = '';
  let min = 3;
  for (const option of options) {
    const candidate = caseSensitive ? option : option.toLowerCase();
    if (candidate === wanted) return problem;
    const d = distance(wanted, candidate);
    if (d < min) {
      min = d;
      best = caseSensitive ? candidate : matchCase(candidate, value);
    }
  }
  return best === '' ? problem : `${problem} (did you mean ${best}?)`;
}

function matchCase(option: string, original: string): string {
  if (original === original.toLowerCase()) return option.toLowerCase();
  if (original === original.toUpperCase()) return option.toUpperCase();
  return option;
}
