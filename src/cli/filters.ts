// --filter values: "key=value" pairs collected into the API's filters map.
import type { Filters } from '../client/types.ts';
import type { FlagSpec } from './flags.ts';

/** filters.ParseFlag's check, run as each -f value is parsed. */
function validateFilter(arg: string): string {
  if (arg !== '' && !arg.includes('=')) throw new Error('bad format of filter (expected name=value)');
  return arg;
}

export function toFilters(args: readonly string[]): Filters {
  const out: Filters = {};
  for (const arg of args) {
    if (arg === '') continue;
    const eq = arg.indexOf('=');
    const name = arg.slice(0, eq).trim().toLowerCase();
    const value = arg.slice(eq + 1).trim();
    (out[name] ??= {})[value] = true;
  }
  return out;
}

/** --filter, with -f unless the command uses -f for --force (prune). */
export function filterFlag(usage = 'Filter output based on conditions provided', withShort = true): FlagSpec {
  return { name: 'filter', short: withShort ? 'f' : undefined, kind: 'list', type: 'filter', usage, validate: validateFilter };
}
