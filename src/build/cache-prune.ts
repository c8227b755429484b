// Which build cache records `builder prune` removes, as BuildKit's cache
// manager chooses them behind moby's POST /build/prune. Without `all` only
// the records no image shares go ("dangling": for berth, steps whose layers
// are in no named image and no container's image, and the cache mounts);
// with it every record. Records in use always stay. `until` keeps what was
// used since; the other filters (id as a regular expression, parent, type,
// description exactly, and inuse, shared, private) select among the rest;
// `keepStorage` removes the least recently used of those, one at a time,
// only until what the unshared records take is at most that many bytes.
// Pure.

/** A filter that cannot be applied (the request's fault). */
export class FilterError extends Error {}

/** A record as `system df` lists it (BuildKit's UsageInfo). */
export interface CacheRecord {
  ID: string;
  Parent: string;
  /** Always null: BuildKit's list of parents came with API 1.42. */
  Parents: null;
  Type: string;
  Description: string;
  InUse: boolean;
  Shared: boolean;
  Size: number;
  CreatedAt: string;
  LastUsedAt: string;
  UsageCount: number;
}

export interface PruneOptions {
  all: boolean;
  /** The `filters` parameter, as lists of values. */
  filters: Record<string, string[]>;
  /** Bytes the cache may keep (0: no limit). */
  keepStorage: number;
}

/** A filter's check, by moby's names for the fields (cacheFields); other names are not the build cache's and count for nothing. */
const FIELDS: Record<string, (value: string | undefined) => (r: CacheRecord) => boolean> = {
  id: (v) => {
    const re = v === undefined ? undefined : regexp(v);
    return (r) => !re || re.test(r.ID);
  },
  parent: (v) => (r) => (v === undefined ? r.Parent !== '' : r.Parent === v),
  type: (v) => (r) => (v === undefined ? r.Type !== '' : r.Type === v),
  description: (v) => (r) => (v === undefined ? r.Description !== '' : r.Description === v),
  inuse: (v) => {
    const want = truth(v);
    return (r) => r.InUse === want;
  },
  shared: (v) => {
    const want = truth(v);
    return (r) => r.Shared === want;
  },
  private: (v) => {
    const want = truth(v);
    return (r) => r.Shared !== want;
  },
};

/** BuildKit's id filter is `~=`, a regular expression. */
function regexp(value: string): RegExp {
  try {
    return new RegExp(value);
  } catch {
    throw new FilterError(`invalid filter value for id: ${JSON.stringify(value)} is not a regular expression`);
  }
}

function truth(value: string | undefined): boolean {
  if (value === undefined || value === '' || value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new FilterError(`invalid filter value ${JSON.stringify(value)}: true or false`);
}

/** The records to remove, in the order they go; `parseTime` reads `until` (Docker's time values) as ms since the epoch. */
export function choosePrune(records: readonly CacheRecord[], opts: PruneOptions, parseTime: (value: string) => number): CacheRecord[] {
  const { filters } = opts;
  if (filters.until && filters['unused-for']) throw new FilterError('conflicting filters: "until" and "unused-for"');
  const untilKey = filters.until ? 'until' : 'unused-for';
  const until = filters[untilKey] ?? [];
  if (until.length > 1) throw new FilterError('filters expect only one value');
  const cutoff = until.length === 1 ? parseTime(until[0]!) : undefined;
  const checks: ((r: CacheRecord) => boolean)[] = [];
  for (const [name, values] of Object.entries(filters)) {
    const check = FIELDS[name];
    if (!check) continue;
    if (values.length > 1) throw new FilterError('filters expect only one value');
    checks.push(check(values[0]));
  }
  const chosen = records.filter((r) =>
    !r.InUse && (opts.all || !r.Shared) && (cutoff === undefined || Date.parse(r.LastUsedAt) <= cutoff) && checks.every((c) => c(r)));
  if (opts.keepStorage <= 0) return chosen;
  let total = records.reduce((n, r) => n + (r.Shared ? 0 : r.Size), 0);
  const out: CacheRecord[] = [];
  for (const r of [...chosen].sort(leastRecentlyUsed)) {
    if (total <= opts.keepStorage) break;
    out.push(r);
    if (!r.Shared) total -= r.Size;
  }
  return out;
}

function leastRecentlyUsed(a: CacheRecord, b: CacheRecord): number {
  return Date.parse(a.LastUsedAt) - Date.parse(b.LastUsedAt) || a.UsageCount - b.UsageCount;
}
