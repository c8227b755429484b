// Instructions → build stages and the graph between them, following
// BuildKit's dockerfile2llb: each FROM opens a stage; the ARGs before the
// first FROM are the global scope that FROM lines (and only they) can use;
// a stage depends on its base when the base names an earlier stage, on the
// stages its COPY --from and RUN --mount from= name, and needs nothing
// else. Building a target needs only the stages it reaches. Its base
// image's ONBUILD triggers may name stages too (triggerSources); those are
// known once the base is, and join what the build needs.

import { DockerfileError, withSuggestion } from './dockerfile-error.ts';
import { type Platform, platformArgs } from './build-args.ts';
import type { ArgInstruction, FromInstruction, Instruction } from './instructions.ts';
import { type ProcessResult, ShellError, ShellLex } from './shell-words.ts';

export type StageBase =
  | { readonly kind: 'scratch' }
  | { readonly kind: 'stage'; readonly index: number }
  | { readonly kind: 'image'; readonly ref: string };

/** What a COPY --from or RUN --mount from= reads from. */
export type StageSource =
  | { readonly kind: 'stage'; readonly index: number }
  | { readonly kind: 'image'; readonly ref: string };

export interface Stage {
  readonly index: number;
  /** The AS name, lower-cased. */
  readonly name?: string;
  /** The name BuildKit shows in progress and errors: the AS name or stage-N. */
  readonly displayName: string;
  readonly from: FromInstruction;
  /** FROM's base after global ARG expansion. */
  readonly baseName: string;
  readonly base: StageBase;
  /** --platform after global ARG expansion. */
  readonly platform?: string;
  /** The global args FROM's base and platform used (for the cache key). */
  readonly usedArgs: ReadonlySet<string>;
  readonly instructions: Instruction[];
  /** Per instruction index, the source of a COPY --from / RUN --mount from=. */
  readonly sources: ReadonlyMap<number, StageSource[]>;
  /** The stages this one needs first: its base and its sources, ascending. */
  readonly dependsOn: number[];
}

export interface GraphOptions {
  readonly file?: string;
  /** The Dockerfile's escape token (ParseResult.escapeToken). */
  readonly escapeToken?: string;
  /** --build-arg values; they override ARG defaults and platform args. */
  readonly buildArgs?: ReadonlyMap<string, string>;
  readonly targetPlatform?: Platform;
  readonly buildPlatform?: Platform;
}

/** A --target that names no stage. */
export class TargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

export class StageGraph {
  readonly stages: Stage[];
  /** The ARGs declared before the first FROM. */
  readonly metaArgs: ArgInstruction[];
  /** Platform args plus the global ARGs that have a value. */
  readonly globalArgs: ReadonlyMap<string, string>;
  private readonly file: string;
  private readonly expand: Expand;

  constructor(stages: Stage[], metaArgs: ArgInstruction[], globalArgs: ReadonlyMap<string, string>, file: string, expand: Expand) {
    this.stages = stages;
    this.metaArgs = metaArgs;
    this.globalArgs = globalArgs;
    this.file = file;
    this.expand = expand;
  }

  /** The stage a --target names (case-insensitive); the last one without. */
  target(name?: string): Stage {
    if (name === undefined || name === '') return this.stages[this.stages.length - 1];
    const stage = findByName(this.stages, name);
    if (stage) return stage;
    const names = this.stages.flatMap((s) => (s.name ? [s.name] : []));
    throw new TargetError(withSuggestion(`target stage "${name}" could not be found`, name, names, true));
  }

  /** The stages building `target` needs, in file order, which is a
   * dependency order: BuildKit dispatches stages in file order and refuses
   * to read a stage that has not been built yet. */
  stagesFor(target?: string): Stage[] {
    const order = this.closure(this.target(target).index);
    for (const stage of order) this.checkSourcesBuiltBefore(stage);
    return order;
  }

  /** Stage `index` and every stage it needs, ascending. */
  closure(index: number): Stage[] {
    const needed = new Set<number>();
    const visit = (i: number): void => {
      if (needed.has(i)) return;
      needed.add(i);
      for (const dep of this.stages[i].dependsOn) visit(dep);
    };
    visit(index);
    return [...needed].sort((a, b) => a - b).map((i) => this.stages[i]);
  }

  /**
   * What the ONBUILD triggers `triggers` (run at the start of `stage`) read
   * through COPY --from and RUN --mount from=, per trigger index: stages
   * resolve by name or index as in the Dockerfile (moby's classic builder
   * finds them among the stages built so far, BuildKit adds them to the
   * graph), so only a stage defined before `stage` can be named. Errors
   * point at the stage's FROM, where the triggers run.
   */
  triggerSources(stage: Stage, triggers: readonly Instruction[]): Map<number, StageSource[]> {
    const fail: Fail = (_ins, problem) => {
      throw new DockerfileError(this.file, stage.from.startLine, stage.from.endLine, problem);
    };
    const out = new Map<number, StageSource[]>();
    for (const [i, ins] of triggers.entries()) {
      const found = sourcesOf(ins, this.stages, this.expand, fail);
      for (const source of found) {
        const problem = this.notBuiltYet(stage, ins, source);
        if (problem) fail(ins, problem);
      }
      if (found.length > 0) out.set(i, found);
    }
    return out;
  }

  /** BuildKit's refusal when `ins` of `stage` reads a stage that is not defined (so not built) before it. */
  private notBuiltYet(stage: Stage, ins: Instruction, source: StageSource): string | undefined {
    if (source.kind !== 'stage' || source.index < stage.index) return undefined;
    const from = ins.keyword === 'copy' ? ins.from : this.stages[source.index].displayName;
    return `cannot copy from stage "${from}", it needs to be defined before current stage "${stage.displayName}"`;
  }

  /**
   * The needed stages grouped so that each group depends only on earlier
   * groups: the stages of one group can be built in parallel.
   */
  levels(target?: string): Stage[][] {
    const level = new Map<number, number>();
    const groups: Stage[][] = [];
    for (const stage of this.stagesFor(target)) {
      const l = Math.max(-1, ...stage.dependsOn.map((d) => level.get(d) ?? -1)) + 1;
      level.set(stage.index, l);
      (groups[l] ??= []).push(stage);
    }
    return groups;
  }

  private checkSourcesBuiltBefore(stage: Stage): void {
    for (const [i, sources] of stage.sources) {
      const ins = stage.instructions[i];
      for (const source of sources) {
        const problem = this.notBuiltYet(stage, ins, source);
        if (problem) throw new DockerfileError(this.file, ins.startLine, ins.endLine, problem);
      }
    }
  }
}

function findByName(stages: readonly Stage[], name: string): Stage | undefined {
  const lower = name.toLowerCase();
  // A repeated name refers to its last stage, as in BuildKit.
  for (let i = stages.length - 1; i >= 0; i--) {
    if (stages[i].name === lower) return stages[i];
  }
  return undefined;
}

interface Draft {
  from: FromInstruction;
  instructions: Instruction[];
}

export function buildStageGraph(instructions: readonly Instruction[], options: GraphOptions = {}): StageGraph {
  const file = options.file ?? 'Dockerfile';
  const fail = (ins: { startLine: number; endLine: number }, problem: string): never => {
    throw new DockerfileError(file, ins.startLine, ins.endLine, problem);
  };

  const metaArgs: ArgInstruction[] = [];
  const drafts: Draft[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'from') drafts.push({ from: ins, instructions: [] });
    else if (drafts.length > 0) drafts[drafts.length - 1].instructions.push(ins);
    else if (ins.keyword === 'arg') metaArgs.push(ins);
    else fail(ins, 'no build stage in current context');
  }
  if (drafts.length === 0) {
    throw new DockerfileError(file, 1, 1, 'dockerfile contains no stages to build');
  }

  const lex = new ShellLex(options.escapeToken ?? '\\');
  const expand: Expand = (ins, word, env, context = '') => {
    try {
      return lex.process(word, env);
    } catch (err) {
      if (err instanceof ShellError) fail(ins, context + err.message);
      throw err;
    }
  };

  const buildArgs = options.buildArgs ?? new Map<string, string>();
  const globalArgs = platformArgs(options.targetPlatform, options.buildPlatform, buildArgs);
  for (const arg of metaArgs) {
    for (const { key, value } of arg.args) {
      const given = buildArgs.get(key);
      if (given !== undefined) globalArgs.set(key, given);
      else if (value !== undefined) globalArgs.set(key, expand(arg, value, globalArgs).result);
    }
  }

  // Bases resolve against the stages named so far only: a FROM can never
  // refer to a later stage (it is then an image name).
  const stages: Stage[] = [];
  const named = new Map<string, number>();
  for (const [index, draft] of drafts.entries()) {
    const from = draft.from;
    const used = new Set<string>();
    const baseName = expand(from, from.image, globalArgs);
    if (baseName.result === '') fail(from, `base name (${from.image}) should not be blank`);
    baseName.matched.forEach((k) => used.add(k));
    let platform: string | undefined;
    if (from.platform !== undefined) {
      const p = expand(from, from.platform, globalArgs, 'failed to process arguments for platform : ');
      if (p.result === '') fail(from, `empty platform value from expression ${from.platform}`);
      p.matched.forEach((k) => used.add(k));
      platform = p.result;
    }
    const baseIndex = named.get(baseName.result);
    const base: StageBase = baseIndex !== undefined ? { kind: 'stage', index: baseIndex }
      : baseName.result === 'scratch' ? { kind: 'scratch' }
      : { kind: 'image', ref: baseName.result };
    stages.push({
      index, name: from.name, displayName: from.name ?? `stage-${index}`, from,
      baseName: baseName.result, base, platform, usedArgs: used,
      instructions: draft.instructions, sources: new Map(), dependsOn: [],
    });
    if (from.name) named.set(from.name, index);
  }

  const withSources = stages.map((stage) => {
    const sources = new Map<number, StageSource[]>();
    for (const [i, ins] of stage.instructions.entries()) {
      const found = sourcesOf(ins, stages, expand, fail);
      if (found.length > 0) sources.set(i, found);
    }
    const deps = new Set<number>();
    if (stage.base.kind === 'stage') deps.add(stage.base.index);
    for (const list of sources.values()) {
      for (const s of list) if (s.kind === 'stage') deps.add(s.index);
    }
    return { ...stage, sources, dependsOn: [...deps].sort((a, b) => a - b) };
  });
  checkCycles(withSources, fail);
  return new StageGraph(withSources, metaArgs, globalArgs, file, expand);
}

type Fail = (ins: { startLine: number; endLine: number }, problem: string) => never;
type Expand = (ins: Instruction, word: string, env: ReadonlyMap<string, string>, context?: string) => ProcessResult;

function sourcesOf(ins: Instruction, stages: readonly Stage[], expand: Expand, fail: Fail): StageSource[] {
  if (ins.keyword === 'copy' && ins.from !== undefined && ins.from !== '') {
    // BuildKit expands --from with no variables at all, to reject any use.
    if (expand(ins, ins.from, new Map()).result !== ins.from) {
      fail(ins, 'variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround');
    }
    // Go's strconv.Atoi: an optional sign and decimal digits.
    if (/^[+-]?\d+$/.test(ins.from)) {
      const index = Number(ins.from);
      if (index < 0 || index >= stages.length) fail(ins, `invalid stage index ${index}`);
      return [{ kind: 'stage', index }];
    }
    return [sourceNamed(ins.from, stages)];
  }
  if (ins.keyword === 'run') {
    // Mounts name stages by name only, never by index.
    return ins.mounts.flatMap((m) => (m.from ? [sourceNamed(m.from, stages)] : []));
  }
  return [];
}

function sourceNamed(name: string, stages: readonly Stage[]): StageSource {
  const stage = findByName(stages, name);
  return stage ? { kind: 'stage', index: stage.index } : { kind: 'image', ref: name };
}

/** COPY --from and mounts may point anywhere, so they can form a cycle
 * (a stage reading itself is one); BuildKit rejects the whole file even
 * when the target does not need the stages involved. */
function checkCycles(stages: readonly Stage[], fail: Fail): void {
  const visited = new Set<number>();
  const path = new Set<number>();
  const visit = (stage: Stage): void => {
    if (visited.has(stage.index)) return;
    visited.add(stage.index);
    path.add(stage.index);
    for (const [i, sources] of stage.sources) {
      for (const source of sources) {
        if (source.kind !== 'stage') continue;
        if (path.has(source.index)) {
          const ins = stage.instructions[i];
          fail(ins, `circular dependency detected on stage: ${stage.displayName}`);
        }
        visit(stages[source.index]);
      }
    }
    path.delete(stage.index);
  };
  for (const stage of stages) visit(stage);
}
