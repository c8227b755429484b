// The one error type the Dockerfile front end throws, so the CLI and the
// API can point at the offending lines the way docker build does.

export class DockerfileError extends Error {
  readonly file: string;
  /** 1-based line where the offending instruction starts. */
  readonly line: number;
  /** 1-based last line of the offending instruction (heredocs included). */
  readonly endLine: number;
  /** The problem alone, in BuildKit's wording, e.g. "unknown instruction: RUNN". */
  readonly problem: string;

  constructor(file: string, line: number, endLine: number, problem: string) {
    super(`dockerfile parse error on line ${line}: ${problem}`);
    this.name = 'DockerfileError';
    this.file = file;
    this.line = line;
    this.endLine = Math.max(line, endLine);
    this.problem = problem;
  }
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
