// The build cache's keys and its explanations, pure. A step's key is a
// digest of everything its result depends on: the parent image ID (the base
// image's for a stage's first step), the instruction after expansion, the
// config the step starts from, and the digests of its inputs (the files a
// COPY/ADD selects, the build args a RUN sees, a --from source's image ID).
// Two steps with the same key make the same image, so a hit can reuse it.
// When a step misses, `missReason` compares it with what the cache holds
// for the same parent and says in one line what changed, or that the parent
// itself is new (and what made it so), or that nothing like it was built.
import { createHash } from 'node:crypto';

/**
 * Bumped whenever a step's result can change for the same inputs (a new
 * builder behaviour, e.g. ADD unpacking archives), so older entries never hit.
 */
export const CACHE_VERSION = 1;

/** What a step's result depends on. */
export interface StepInputs {
  /** The image the step starts from; null for an empty (scratch) stage. */
  parent: string | null;
  /** The instruction after expansion, as one line (the history line for config steps). */
  instruction: string;
  /** Everything else the result depends on (config before and after, flags, source image). */
  context: unknown;
  /** RUN: the build args in its environment. */
  args?: Record<string, string>;
  /** COPY/ADD from the build context: per selected path, a digest of its mode, owner, link target and content. */
  files?: Record<string, string>;
  /** COPY --from: the source stage's or image's ID ('scratch' for an empty stage). */
  source?: string;
  /** ADD's downloads: URL → content digest. Only explains a miss: the key has them in `context`. */
  downloads?: Record<string, string>;
  /** What `source` is (`stage build`, `image alpine:3`). Only explains a miss; never in the key. */
  sourceName?: string;
}

/** A cached step as the index keeps it (inputs kept only as far as the explanations need them). */
export interface CacheEntry {
  key: string;
  image: string;
  parent: string | null;
  instruction: string;
  args?: Record<string, string>;
  files?: Record<string, string>;
  source?: string;
  downloads?: Record<string, string>;
  /** The size of the layer the step added (0 for config steps). */
  size: number;
  created: string;
  lastUsed: string;
  usageCount: number;
}

/** JSON with object keys sorted, so equal values always serialize the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

export function stepKey(inputs: StepInputs): string {
  const { parent, instruction, context, args, files, source } = inputs;
  const text = canonicalJson({ v: CACHE_VERSION, parent, instruction, context, args: args ?? null, files: files ?? null, source: source ?? null });
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/** A file's digest for the key: its path's metadata, link target and content digest (hex). */
export function fileDigest(meta: { mode: number; uid: number; gid: number; link?: string; content?: string }): string {
  return createHash('sha256').update(canonicalJson(meta)).digest('hex');
}

/** What a miss with nothing comparable cached says. */
export const NO_EARLIER_BUILD = 'no earlier build of this step';

/**
 * Why `inputs` missed, given the entries the cache holds: compared with the
 * most recently used entry for the same parent (a changed file, source,
 * download, build arg or instruction); `parent changed: <parentCause>` when
 * the parent is new to the build (`parentCause` says what made it so) and
 * the same instruction is cached after other parents; otherwise there is
 * nothing like it to compare with.
 */
export function missReason(inputs: StepInputs, entries: readonly CacheEntry[], parentCause?: string): string {
  const siblings = entries.filter((e) => e.parent === inputs.parent).sort((a, b) => (a.lastUsed < b.lastUsed ? 1 : -1));
  if (siblings.length === 0) {
    // Cached after other parents: this parent is new, if the build knows what made it so.
    return parentCause && entries.some((e) => e.instruction === inputs.instruction) ? `parent changed: ${parentCause}` : NO_EARLIER_BUILD;
  }
  const same = siblings.find((e) => e.instruction === inputs.instruction);
  // A step after the same parent with the same kind of instruction is the line as it was; any other is a new step.
  if (!same) return siblings.some((e) => keywordOf(e.instruction) === keywordOf(inputs.instruction)) ? 'instruction changed' : NO_EARLIER_BUILD;
  const files = diffMaps(same.files ?? {}, inputs.files ?? {});
  if (files.length > 0) {
    const [name, was] = files[0]!;
    const what = was === undefined ? 'added' : inputs.files?.[name] === undefined ? 'removed' : 'changed';
    return `file ${name} ${what}${files.length > 1 ? ` (and ${files.length - 1} more)` : ''}`;
  }
  if ((same.source ?? null) !== (inputs.source ?? null)) return `source ${inputs.sourceName ?? 'stage'} changed`;
  if (diffMaps(same.downloads ?? {}, inputs.downloads ?? {}).length > 0) return 'downloaded content changed';
  const args = diffMaps(same.args ?? {}, inputs.args ?? {});
  if (args.length > 0) {
    const [name, was] = args[0]!;
    const now = inputs.args?.[name];
    const what = was === undefined ? `added (${now})` : now === undefined ? `removed (was ${was})` : `changed (was ${was}, now ${now})`;
    return `build arg ${name} ${what}${args.length > 1 ? ` (and ${args.length - 1} more)` : ''}`;
  }
  return 'config or flags changed';
}

/** RUN, COPY, ENV…: the word after `#(nop)` in a config step's history line, else the first. */
function keywordOf(instruction: string): string {
  return (/#\(nop\)\s+(\S+)/.exec(instruction)?.[1] ?? instruction.split(' ', 1)[0]!).toUpperCase();
}

/** The names whose values differ between two maps, sorted, each with its old value. */
function diffMaps(was: Record<string, string>, now: Record<string, string>): [string, string | undefined][] {
  const names = [...new Set([...Object.keys(was), ...Object.keys(now)])].sort();
  return names.filter((n) => was[n] !== now[n]).map((n) => [n, was[n]]);
}
