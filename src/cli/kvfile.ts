// --env-file and --label-file contents (docker's pkg/kvfile), and the -e/-l
// checks that run as each value is parsed.

const WHITESPACE = /[ \t]/;

/**
 * One KEY=VALUE per line; blank lines and # comments skipped, leading space
 * trimmed, values kept verbatim. A bare KEY takes its value from lookup, and
 * is dropped when lookup has none (or there is no lookup, as for labels).
 */
export function parseKeyValueFile(content: string, lookup?: (key: string) => string | undefined): string[] {
  const out: string[] = [];
  const lines = content.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((raw, i) => {
    if (raw.includes('\uFFFD')) throw new Error(`invalid utf8 bytes at line ${i + 1}`);
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    if (key === '') throw new Error(`no variable name on line '${line}'`);
    if (WHITESPACE.test(key)) throw new Error(`variable '${key}' contains whitespaces`);
    if (eq >= 0) out.push(line);
    else {
      const value = lookup?.(key);
      if (value !== undefined) out.push(`${key}=${value}`);
    }
  });
  return out;
}

/** opts.ReadKVStrings: the files' entries, then the flags' (which win, coming later). */
export function readKvFiles(files: readonly string[], overrides: readonly string[], readFile: (path: string) => string, lookup?: (key: string) => string | undefined): string[] {
  const out: string[] = [];
  for (const f of files) {
    let content: string;
    try {
      content = readFile(f);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(code === 'ENOENT' ? `open ${f}: no such file or directory` : (e as Error).message);
    }
    out.push(...parseKeyValueFile(content, lookup));
  }
  return [...out, ...overrides];
}

/** opts.ValidateEnv's check, run as each -e value is parsed. */
export function validateEnv(value: string): string {
  if (value.startsWith('=') || value === '') throw new Error(`invalid environment variable: ${value}`);
  return value;
}

/** A bare -e NAME takes the caller's value when it has one, and stays bare otherwise. */
export function resolveEnv(value: string, env: NodeJS.ProcessEnv): string {
  if (value.includes('=')) return value;
  const found = env[value];
  return found !== undefined ? `${value}=${found}` : value;
}

/** opts.ValidateLabel. */
export function validateLabel(value: string): string {
  const key = value.split('=')[0]!.trim();
  if (key === '') throw new Error(`invalid label '${value}': empty name`);
  if (WHITESPACE.test(key)) throw new Error(`label '${key}' contains whitespaces`);
  return value;
}

/** ["k=v", "k2"] → {k: "v", k2: ""}; later keys win. */
export function kvToMap(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    out[eq < 0 ? v : v.slice(0, eq)] = eq < 0 ? '' : v.slice(eq + 1);
  }
  return out;
}
