// Runs a Dockerfile the way moby's classic builder does: each stage the
// target needs, once the stages it needs are built (independent stages
// build at once, their output kept in file order), one step per instruction, each step
// an image (config-only steps have an empty layer), with moby's progress
// lines. Steps that write files do so in a build filesystem (COPY, ADD,
// WORKDIR) or a container (RUN) and commit its upper layer. RUN --mount and
// --network (run-mounts.ts plans, run-step.ts makes them) are BuildKit's.
//
// Every step is keyed (src/build/cache-key.ts: parent image, expanded
// instruction, config, input digests) and a key the cache holds reuses its
// image (` ---> Using cache`), so a rebuild yields the same image IDs; a
// miss with a cached sibling says why. Step images the cache points at stay,
// untagged, as moby's intermediate images do; the final image keeps their
// layers and history, and nothing from a stage reaches it except what COPY
// --from copied.
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Engine } from '../engine/engine.ts';
import type { ContainerDefaults } from '../image/types.ts';
import { readInRoot, ensureWorkdir } from '../engine/rootfs-setup.ts';
import { LINUX_AMD64, PROXY_ARGS, formatPlatform, platformMatches, type Platform } from './build-args.ts';
import { BuildFs } from './build-fs.ts';
import type { RemovePolicy, RunHostConfig } from './build-params.ts';
import type { BuildCache } from './cache.ts';
import type { CacheFrom } from './cache-from.ts';
import { contextDigests, mountDigests } from './context-digests.ts';
import { stepKey, type StepInputs } from './cache-key.ts';
import { copyFiles, type Selection } from './copy-step.ts';
import { DockerfileError, locate } from './dockerfile-error.ts';
import { heredocRun, inlineFiles, type InlineFile } from './heredoc.ts';
import { parseDockerfile } from './dockerfile-parser.ts';
import { applyConfigStep, commandOf, configStep, nopCreatedBy, runCreatedBy, type ConfigStep, type StageConfig } from './image-config.ts';
import { parseInstructions, type CopyInstruction, type Instruction, type RunInstruction } from './instructions.ts';
import { fetchRemote, isGitSource, isRemoteSource, parseChecksum, type Checksum, type RemoteFile } from './remote-source.ts';
import { describeMount, planMounts } from './run-mounts.ts';
import { runStep, type RunMountRequest } from './run-step.ts';
import { randomId } from '../util/ids.ts';
import { ShellLex } from './shell-words.ts';
import { StageOutput } from './stage-output.ts';
import { buildStageGraph, type Stage, type StageGraph, type StageSource } from './stages.ts';
import { parsePlatform } from '../distribution/manifest.ts';

export interface BuildOptions {
  contextDir: string;
  dockerfile: string;
  dockerfileName: string;
  buildArgs: ReadonlyMap<string, string>;
  target?: string;
  labels: Record<string, string>;
  networkMode: string;
  /** Where build filesystems are mounted while a step writes them. */
  mountDir: string;
  /** Where a step keeps files of its own for a while (ADD's downloads). */
  tmpDir: string;
  cache: BuildCache;
  /** --no-cache: every step runs (and its result replaces the cached one). */
  noCache: boolean;
  /** Pulls an image by reference for a platform (the host's when not given), its progress as text into `out`; `always` (--pull) even when it is here. */
  pull?: { always: boolean; image: (ref: string, out: (text: string) => void, platform?: Platform) => Promise<string> };
  /** berth's `steptimes`: each step's ` ---> <id>` line says how long it took, for a client that shows timings. */
  stepTimes?: boolean;
  /** --no-cache-filter: the stages (by name, lower-cased) whose steps all run. */
  noCacheStages?: ReadonlySet<string>;
  /** The secrets RUN --mount=type=secret can mount, by id. */
  secrets?: ReadonlyMap<string, Buffer>;
  /** RUN containers' settings (resources, ulimits, extra hosts) and which of them go after their step. */
  run?: { host: RunHostConfig; remove: RemovePolicy };
  /** --cache-from images: steps come from them, and from the cache only when a source's parents hold them. */
  cacheFrom?: CacheFrom;
}

/** One stage's state between steps. */
interface StageState extends StageConfig {
  imageId: string | null;
  /** The stage's ARGs that have a value. */
  args: Map<string, string>;
  /** Where the stage's progress goes. */
  out: (text: string) => void;
  /** The stage's steps run whatever the cache holds. */
  noCache: boolean;
  /** MAINTAINER's value: the author of the images committed after it. */
  author?: string;
  /** The step running now, as a miss caused by it names it (`step 3/10 COPY app.c .`). */
  step: string;
  /** What made the steps from here on new, once one missed (or the base changed): what their misses are blamed on. */
  cause?: string;
  missed: boolean;
}

/** The ONBUILD triggers a stage's base carries: parsed before the build, with the stages they read. */
interface Triggers {
  readonly count: number;
  readonly instructions: Instruction[];
  readonly sources: ReadonlyMap<number, StageSource[]>;
  /** A trigger that does not parse: the stage fails with it when the triggers run, as moby's does. */
  readonly error?: unknown;
}

const NO_TRIGGERS: Triggers = { count: 0, instructions: [], sources: new Map() };

/** The stages ONBUILD triggers read. */
function stagesRead(triggers: Triggers | undefined): number[] {
  return [...(triggers?.sources.values() ?? [])].flat().flatMap((s) => (s.kind === 'stage' ? [s.index] : []));
}

const shortId = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

export class Build {
  readonly #engine: Engine;
  readonly #opts: BuildOptions;
  readonly #out: (text: string) => void;
  readonly #lex: ShellLex;
  readonly #graph: StageGraph;
  /** Every image the build made, removed at the end unless it is the result or cached. */
  readonly #made: string[] = [];
  readonly #results = new Map<number, string | null>();
  /** Images named by reference (and platform), resolved or pulled once per build. */
  readonly #pulled = new Map<string, Promise<string>>();
  /** Pull progress for a stage's base, held from before the build until the stage's FROM step prints it. */
  readonly #early = new Map<number, string[]>();
  /** Per stage index, its base's ONBUILD triggers. */
  readonly #triggers = new Map<number, Triggers>();
  /** When the build began: what the cache held before it is what a miss is explained by. */
  readonly #started = new Date().toISOString();
  /** Steps being made now, by cache key: stages that reach the same step at once make it once. */
  readonly #making = new Map<string, Promise<string>>();
  #steps = 0;
  /** The ARGs declared so far (globally or in a built stage): --build-args for others are unused. */
  readonly #declared = new Set<string>();

  constructor(engine: Engine, opts: BuildOptions, out: (text: string) => void) {
    this.#engine = engine;
    this.#opts = opts;
    this.#out = out;
    try {
      const parsed = parseDockerfile(opts.dockerfile, opts.dockerfileName);
      this.#lex = new ShellLex(parsed.escapeToken);
      this.#graph = buildStageGraph(parseInstructions(parsed, opts.dockerfileName), {
        file: opts.dockerfileName, escapeToken: parsed.escapeToken, buildArgs: opts.buildArgs,
      });
    } catch (err) {
      throw this.#located(err);
    }
  }

  /** A DockerfileError located at its own line (anything else as it is). */
  #located(err: unknown): unknown {
    return err instanceof DockerfileError ? locate(err, err.file, this.#opts.dockerfile, err.line, err.endLine) : err;
  }

  /** Runs `work` for the instruction at `at`; what it throws is located there. */
  async #at<T>(at: { startLine: number; endLine: number }, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw locate(err, this.#opts.dockerfileName, this.#opts.dockerfile, at.startLine, at.endLine);
    }
  }

  /** Builds the target; returns its image ID. */
  async run(): Promise<string> {
    let result: string | undefined;
    try {
      const stages = await this.#plan().catch((err: unknown) => {
        throw this.#located(err);
      });
      this.#steps = stages.reduce((n, s) => n + 1 + s.instructions.length, 0);
      for (const ins of this.#graph.metaArgs) for (const { key } of ins.args) this.#declared.add(key);
      await this.#buildStages(stages);
      const unused = [...this.#opts.buildArgs.keys()].filter((k) => !this.#declared.has(k) && !PROXY_ARGS.includes(k)).sort(byteOrder);
      if (unused.length > 0) this.#out(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
      const last = stages[stages.length - 1]!;
      result = await this.#finish(this.#results.get(last.index) ?? null);
      return result;
    } finally {
      await this.#opts.cache.save().catch(() => {});
      for (const id of this.#made.reverse()) {
        if (id !== result && !this.#opts.cache.holds(id)) await this.#engine.images.remove(id, true, false).catch(() => {});
      }
    }
  }

  /**
   * The stages the target needs, in file order: those it reaches, and those
   * the ONBUILD triggers of their bases read (BuildKit's resolveStages),
   * which are known only once each base is: base images are resolved (or
   * pulled) here, their progress held for their FROM step.
   */
  async #plan(): Promise<Stage[]> {
    const needed = new Map<number, Stage>();
    const add = (stages: Stage[]): Stage[] => stages.filter((s) => !needed.has(s.index) && needed.set(s.index, s));
    let todo = add(this.#graph.stagesFor(this.#opts.target));
    while (todo.length > 0) {
      const found = await Promise.all(todo.map(async (stage) => {
        const triggers = await this.#triggersOf(stage);
        this.#triggers.set(stage.index, triggers);
        return stagesRead(triggers).flatMap((i) => this.#graph.closure(i));
      }));
      todo = add(found.flat());
    }
    return [...needed.values()].sort((a, b) => a.index - b.index);
  }

  /** The ONBUILD triggers `stage` runs: its base stage's ONBUILD lines, or its base image's OnBuild. */
  async #triggersOf(stage: Stage): Promise<Triggers> {
    let expressions: string[];
    if (stage.base.kind === 'scratch') return NO_TRIGGERS;
    if (stage.base.kind === 'stage') {
      expressions = this.#graph.stages[stage.base.index]!.instructions.flatMap((i) => (i.keyword === 'onbuild' ? [i.expression] : []));
    } else {
      const early: string[] = [];
      this.#early.set(stage.index, early);
      try {
        const id = await this.#image(stage.base.ref, (text) => early.push(text), this.#platformOf(stage));
        expressions = (await this.#engine.images.config(id)).config?.OnBuild ?? [];
      } catch {
        return NO_TRIGGERS; // the stage fails with this at its FROM step
      }
    }
    try {
      const instructions = expressions.flatMap((e) => parseInstructions(parseDockerfile(e), this.#opts.dockerfileName));
      return { count: expressions.length, instructions, sources: this.#graph.triggerSources(stage, instructions) };
    } catch (error) {
      return { ...NO_TRIGGERS, count: expressions.length, error };
    }
  }

  /** FROM --platform, parsed as containerd does (BuildKit's message when it cannot be); undefined without one. */
  #platformOf(stage: Stage): Platform | undefined {
    if (stage.platform === undefined) return undefined;
    try {
      return parsePlatform(stage.platform);
    } catch (err) {
      throw new DockerfileError(this.#opts.dockerfileName, stage.from.startLine, stage.from.endLine, `failed to parse platform ${stage.from.platform}: ${(err as Error).message}`);
    }
  }

  /**
   * Builds each stage as soon as the stages it needs are built, so
   * independent stages build at once. The first failure stops the others
   * at their next step; it is what the build fails with.
   */
  async #buildStages(stages: Stage[]): Promise<void> {
    const output = new StageOutput(stages.length, this.#out);
    const built = new Map<number, Promise<void>>();
    let failure: { err: unknown } | undefined;
    let step = 1;
    for (const [i, stage] of stages.entries()) {
      const first = step;
      step += 1 + stage.instructions.length;
      const job = (async () => {
        try {
          for (const dep of [...stage.dependsOn, ...stagesRead(this.#triggers.get(stage.index))]) await built.get(dep);
          const result = await this.#buildStage(stage, first, output.writer(i), () => failure !== undefined);
          this.#results.set(stage.index, result);
        } catch (err) {
          failure ??= { err };
          throw err;
        } finally {
          output.finish(i);
        }
      })();
      built.set(stage.index, job);
    }
    await Promise.allSettled(built.values());
    if (failure) throw failure.err;
  }

  async #buildStage(stage: Stage, firstStep: number, out: (text: string) => void, stopped: () => boolean): Promise<string | null> {
    let step = firstStep;
    let started = 0;
    const announce = (original: string): void => {
      if (stopped()) throw new Error('build stopped: another stage failed');
      out(`Step ${step++}/${this.#steps} : ${original}\n`);
      started = performance.now();
    };
    // A stage's output may be held while an earlier one runs, so a client cannot time its steps by when lines arrive.
    const done = (imageId: string | null): void => {
      const took = this.#opts.stepTimes ? ` [${((performance.now() - started) / 1000).toFixed(2)}s]` : '';
      out(` ---> ${imageId ? shortId(imageId) : 'scratch'}${took}\n`);
    };
    announce(stage.from.original);
    const state = await this.#at(stage.from, () => this.#base(stage, out));
    done(state.imageId);
    const triggers = this.#triggers.get(stage.index) ?? NO_TRIGGERS;
    if (triggers.count > 0) {
      // The triggers are the base image's; the child does not inherit them.
      state.config = { ...state.config, OnBuild: null };
      out(`# Executing ${triggers.count} build trigger${triggers.count > 1 ? 's' : ''}\n`);
      // They run in the FROM step, so that is where their errors point.
      await this.#at(stage.from, async () => {
        if (triggers.error) throw triggers.error;
        for (const [i, ins] of triggers.instructions.entries()) {
          state.step = `ONBUILD ${brief(ins.original)}`;
          await this.#execute(state, ins, triggers.sources.get(i) ?? []);
        }
      });
    }
    for (const [i, ins] of stage.instructions.entries()) {
      state.step = `step ${step}/${this.#steps} ${brief(ins.original)}`;
      announce(ins.original);
      await this.#at(ins, () => this.#execute(state, ins, stage.sources.get(i) ?? []));
      done(state.imageId);
    }
    return state.imageId;
  }

  /** The stage's state at its FROM: its base's image and config, and what a miss of its first step blames a new base on. */
  async #base(stage: Stage, out: (text: string) => void): Promise<StageState> {
    const noCache = this.#opts.noCache || (stage.name !== undefined && !!this.#opts.noCacheStages?.has(stage.name));
    const fresh = (imageId: string | null, config: ContainerDefaults, cause?: string): StageState => ({
      imageId, config: withDefaultPath(config), cmdSet: false, args: new Map(), out, noCache, step: '', missed: false, ...(cause ? { cause } : {}),
    });
    if (stage.base.kind === 'scratch') {
      // Its images take their platform from their parent; with none, they are the host's.
      const platform = this.#platformOf(stage);
      if (platform && !platformMatches(platform, LINUX_AMD64)) {
        throw new Error(`FROM --platform=${formatPlatform(platform)} scratch: berth's images of a scratch stage are ${formatPlatform(LINUX_AMD64)}, the host's platform`);
      }
      return fresh(null, {});
    }
    // As BuildKit: a stage built on another stage is of that stage's platform, whatever --platform says.
    let imageId: string | null;
    let cause: string;
    if (stage.base.kind === 'stage') {
      imageId = this.#results.get(stage.base.index) ?? null;
      cause = `stage ${this.#graph.stages[stage.base.index]!.displayName} changed`;
    } else {
      for (const text of this.#early.get(stage.index)?.splice(0) ?? []) out(text);
      imageId = await this.#image(stage.base.ref, out, this.#platformOf(stage));
      cause = `base image ${stage.base.ref} changed`;
    }
    return fresh(imageId, imageId ? (await this.#engine.images.config(imageId)).config ?? {} : {}, cause);
  }

  /**
   * The image a FROM, COPY --from or RUN --mount from= names: pulled when it
   * is not here, or every time with --pull, as the classic builder does
   * (once per build however many stages name it), its progress in `out`.
   * With FROM --platform, an image here of another platform does not count
   * (docker's GetImage): it is pulled for that platform, and when that
   * fails the build fails with docker's mismatch message.
   */
  #image(ref: string, out: (text: string) => void, platform?: Platform): Promise<string> {
    const memo = platform ? `${ref}\0${formatPlatform(platform)}` : ref;
    let job = this.#pulled.get(memo);
    if (!job) {
      job = this.#resolveImage(ref, out, platform);
      this.#pulled.set(memo, job);
    }
    return job;
  }

  async #resolveImage(ref: string, out: (text: string) => void, platform: Platform | undefined): Promise<string> {
    const pull = this.#opts.pull;
    let here: string | undefined;
    try {
      here = this.#engine.images.resolve(ref);
    } catch {
      here = undefined;
    }
    if (here === undefined || pull?.always) {
      if (!pull) throw new Error(`No such image: ${ref}`);
      return pull.image(ref, out, platform);
    }
    if (!platform) return here;
    const config = await this.#engine.images.config(here);
    const actual = { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) };
    let normalized: Platform | undefined;
    try {
      normalized = parsePlatform(formatPlatform(actual));
    } catch {
      normalized = undefined;
    }
    if (normalized && platformMatches(platform, normalized)) return here;
    const mismatch = new Error(`image with reference ${ref} was found but does not match the specified platform: wanted ${formatPlatform(platform)}, actual: ${formatPlatform(actual)}`);
    if (!pull) throw mismatch;
    return pull.image(ref, out, platform).catch(() => {
      throw mismatch;
    });
  }

  /** Runs one instruction; `sources` are the stages or images its --from / from= name, as the graph resolved them. */
  async #execute(state: StageState, ins: Instruction, sources: readonly StageSource[]): Promise<void> {
    const env = this.#env(state);
    const word = (w: string): string => this.#lex.processWord(w, env);
    switch (ins.keyword) {
      case 'from':
        throw new Error('FROM cannot be used in an ONBUILD trigger');
      case 'run': {
        const r = heredocRun(ins.command, ins.shell, ins.heredocs);
        return this.#run(state, ins, sources, r.command, r.shell, r.files);
      }
      case 'copy':
      case 'add':
        return this.#copy(state, ins, sources, word);
      case 'arg': {
        // The history shows the Dockerfile's default (expanded), never the --build-arg value.
        const declared = ins.args.map((a) => ({ key: a.key, value: a.value !== undefined ? word(a.value) : undefined }));
        for (const { key, value } of declared) {
          this.#declared.add(key);
          const v = this.#opts.buildArgs.get(key) ?? value ?? this.#graph.globalArgs.get(key);
          if (v !== undefined) state.args.set(key, v);
        }
        return this.#config(state, { kind: 'arg', args: declared });
      }
      case 'workdir':
        return this.#workdir(state, word(ins.value));
      case 'maintainer':
        state.author = ins.value;
        break;
    }
    return this.#config(state, configStep(ins, this.#lex, env)!);
  }

  /** What words expand against: the stage's args, overridden by its ENV. */
  #env(state: StageState): Map<string, string> {
    const env = new Map(state.args);
    for (const e of state.config.Env ?? []) {
      const eq = e.indexOf('=');
      env.set(eq < 0 ? e : e.slice(0, eq), eq < 0 ? '' : e.slice(eq + 1));
    }
    return env;
  }

  async #config(state: StageState, step: ConfigStep): Promise<void> {
    const before = { config: state.config, cmdSet: state.cmdSet };
    const next = applyConfigStep(state, step);
    Object.assign(state, next.state);
    const createdBy = nopCreatedBy(state.config, next.comment);
    await this.#cached(state, { parent: state.imageId, instruction: createdBy, context: { before, after: { config: state.config, cmdSet: state.cmdSet } } },
      () => this.#commit(state, null, createdBy), [createdBy]);
  }

  /**
   * Reuses the image the cache (or a --cache-from image whose next history
   * line is one of `createdBy`) holds for the step, or makes it (`make`
   * commits) and records it.
   */
  async #cached(state: StageState, inputs: StepInputs, make: () => Promise<void>, createdBy: readonly string[]): Promise<void> {
    const cache = this.#opts.cache;
    const key = stepKey(inputs);
    if (!state.noCache) {
      // Another stage making the same step right now: its image is this step's too, as if cached
      // already. Checked and claimed with no await between, so two stages cannot both miss it.
      const making = this.#making.get(key);
      const made = making ? await making.catch(() => undefined) : undefined;
      if (made) return reuse(state, made);
      const hit = cache.lookup(key);
      if (hit && (this.#opts.cacheFrom?.allows(hit) ?? true)) return reuse(state, hit);
      const why = this.#opts.cacheFrom ? undefined : cache.explain(inputs, this.#started, state.cause);
      if (why) state.out(` ---> Cache miss: ${why}\n`);
      // Every later step of the stage has a new parent: their misses are this one's doing, or the base's.
      if (!state.missed && !why?.startsWith('parent changed')) state.cause = `${state.step} missed`;
      state.missed = true;
    }
    const job = (async () => {
      const found = state.noCache ? undefined : await this.#opts.cacheFrom?.find(state.imageId, createdBy, state.config);
      if (found) {
        state.out(' ---> Using cache\n');
        state.imageId = found;
      } else await make();
      await cache.record(key, inputs, state.imageId!);
      return state.imageId!;
    })();
    this.#making.set(key, job);
    try {
      await job;
    } finally {
      if (this.#making.get(key) === job) this.#making.delete(key);
    }
  }

  async #commit(state: StageState, layer: Readable | null, createdBy: string): Promise<void> {
    const id = await this.#engine.images.commitLayer(state.imageId, layer, state.config, { created_by: createdBy, author: state.author }, []);
    this.#made.push(id);
    state.imageId = id;
  }

  async #run(state: StageState, ins: RunInstruction, from: readonly StageSource[], command: string[], shell: boolean, files: InlineFile[] = []): Promise<void> {
    const imageId = state.imageId;
    if (!imageId) throw new Error('RUN needs a filesystem with a shell: the stage is still empty (FROM scratch)');
    const cmd = commandOf(state.config, command, shell);
    // moby's FilterAllowed: the declared args with a value plus the proxy args given with
    // --build-arg, less what ENV sets; the history shows all but undeclared proxies.
    const inEnv = (k: string): boolean => !!state.config.Env?.some((e) => e === k || e.startsWith(`${k}=`));
    const proxies = PROXY_ARGS.filter((k) => !state.args.has(k) && this.#opts.buildArgs.has(k)).map((k): [string, string] => [k, this.#opts.buildArgs.get(k)!]);
    const declared = [...state.args].filter(([k]) => !inEnv(k));
    const args = [...declared, ...proxies.filter(([k]) => !inEnv(k))];
    const shown = declared.map(([k, v]) => `${k}=${v}`).sort(byteOrder);
    const mounts = await this.#mounts(state, ins, from);
    // --network=default is the build's own network mode.
    const network = ins.network === 'none' || ins.network === 'host' ? ins.network : undefined;
    // The key holds the config RUN starts from (Env, User, WorkingDir, Shell…), the argv and the build args it sees;
    // its mounts by their options, what a bind reads by the files' digests or the source image's ID.
    const flags = [...mounts.map((m) => describeMount(m.mount)), ...(network ? [`--network=${network}`] : [])];
    const fromContext = mounts.flatMap(({ mount: m }) => (m.type === 'bind' && m.from === undefined ? [m.source] : []));
    const fromImages = mounts.filter((m) => m.mount.type !== 'secret' && m.mount.type !== 'tmpfs' && m.mount.from !== undefined);
    // Undeclared proxy args reach the command but not the key, as moby's cache probe leaves them out: a proxy is not the build's input.
    const inputs: StepInputs = {
      parent: imageId, instruction: ['RUN', ...flags, ...cmd].join(' '),
      context: { config: state.config, cmd, ...(files.length > 0 ? { files } : {}), ...(flags.length > 0 ? { flags } : {}) },
      args: Object.fromEntries(declared),
      ...(fromContext.length > 0 ? { files: await mountDigests(this.#opts.contextDir, fromContext) } : {}),
      ...(fromImages.length > 0 ? { source: fromImages.map((m) => m.fromImage ?? 'scratch').join(','), sourceName: this.#sourceNames(ins, mounts, from, fromImages) } : {}),
    };
    const sources = {
      contextDir: this.#opts.contextDir, mountDir: this.#opts.mountDir, tmpDir: this.#opts.tmpDir,
      secrets: this.#opts.secrets ?? new Map<string, Buffer>(), cacheMounts: this.#opts.cache.mounts,
    };
    const createdBy = runCreatedBy(cmd, args.length > 0 ? shown : null);
    await this.#cached(state, inputs, () => runStep(this.#engine, {
      imageId, config: state.config, cmd, args, networkMode: network ?? this.#opts.networkMode, files, mounts, sources, ...this.#opts.run,
    }, state.out, (layer) => this.#commit(state, layer, createdBy)), [createdBy]);
  }

  /** How a miss names the stages and images `bound` (some of `mounts`) read: `from` resolved each from= in order. */
  #sourceNames(ins: RunInstruction, mounts: RunMountRequest[], from: readonly StageSource[], bound: RunMountRequest[]): string {
    const named = ins.mounts.flatMap((m, i) => (m.from === undefined ? [] : [{ mount: mounts[i]!, written: m.from }]));
    return named.flatMap(({ mount, written }, k) => (bound.includes(mount) ? [this.#sourceName(written, from[k])] : [])).join(', ');
  }

  /** How a miss names a --from or from= source: the stage it is, or the image as written. */
  #sourceName(written: string, source: StageSource | undefined): string {
    return source?.kind === 'stage' ? `stage ${this.#graph.stages[source.index]!.displayName}` : `image ${written}`;
  }

  /** RUN's --mount flags expanded with the stage's args and ENV, each with the image its from= names (`sources`: the graph's resolution of each from=, in order). */
  async #mounts(state: StageState, ins: RunInstruction, sources: readonly StageSource[]): Promise<RunMountRequest[]> {
    if (ins.mounts.length === 0) return [];
    const env = this.#env(state);
    const planned = planMounts(ins.mounts.map((m) => m.spec), (w) => this.#lex.processWord(w, env), state.config.WorkingDir ?? '/');
    let next = 0;
    return Promise.all(planned.map(async (mount, i) => {
      const from = ins.mounts[i]!.from;
      if (from === undefined) return { mount };
      const source = sources[next++];
      if (mount.type === 'tmpfs') return { mount };
      return { mount, fromImage: source?.kind === 'stage' ? this.#results.get(source.index) ?? null : await this.#image(from, state.out) };
    }));
  }

  /**
   * Opens a build filesystem on the current image (on nothing with `link`:
   * BuildKit's --link, a layer made without looking at what is below it),
   * lets `write` fill it and commits it as the next layer.
   */
  async #writeLayer(state: StageState, write: (root: string) => Promise<void>, createdBy: () => string, link = false): Promise<void> {
    const fs = await BuildFs.open(this.#engine.snapshots, link ? null : await this.#engine.images.snapshotOf(state.imageId), this.#opts.mountDir);
    try {
      await write(fs.root);
      await fs.unmount();
      await this.#commit(state, fs.diff(), createdBy());
    } finally {
      await fs.remove();
    }
  }

  async #workdir(state: StageState, value: string): Promise<void> {
    const before = state.config;
    const next = applyConfigStep(state, { kind: 'workdir', value });
    Object.assign(state, next.state);
    const createdBy = nopCreatedBy(state.config, next.comment);
    await this.#cached(state, { parent: state.imageId, instruction: createdBy, context: { before, after: state.config } },
      () => this.#writeLayer(state, (root) => ensureWorkdir(root, state.config.WorkingDir ?? '/', 0, 0), () => createdBy), [createdBy]);
  }

  /** COPY and ADD; `sources` is what --from names, as the graph resolved it. */
  async #copy(state: StageState, ins: CopyInstruction, sources: readonly StageSource[], word: (w: string) => string): Promise<void> {
    const inline = inlineFiles(ins.inline, this.#env(state));
    const command = ins.keyword === 'add' ? 'ADD' : 'COPY';
    const written = ins.sources.map(word);
    const checksum = checkSources(command, written, ins.checksum !== undefined ? word(ins.checksum) : '');
    const paths = written.filter((s) => !isRemoteSource(s));
    const dest = word(ins.dest);
    const mode = ins.chmod !== undefined ? parseMode(word(ins.chmod)) : undefined;
    const from = await this.#sourceOf(state, ins, sources[0]);
    const chown = ins.chown !== undefined ? word(ins.chown) : undefined;
    // BuildKit's --exclude patterns are taken as written, never expanded.
    const select: Selection = { exclude: ins.excludes, parents: ins.parents };
    // As BuildKit (its merge needs a mode it can keep), --chmod makes --link a plain copy.
    const link = ins.link && mode === undefined;
    const downloads = join(this.#opts.tmpDir, `add-${randomId()}`);
    try {
      // Downloaded on every build: what the server sends now decides the cache.
      const fetched: RemoteFile[] = [];
      for (const [i, url] of written.filter(isRemoteSource).entries()) fetched.push(await fetchRemote(url, join(downloads, String(i)), checksum));
      // Keyed by the files selected in the context, or by the --from image's ID (which names its content).
      const flags = [
        from !== undefined ? `--from=${ins.from}` : '', chown !== undefined ? `--chown=${chown}` : '', mode !== undefined ? `--chmod=${mode.toString(8)}` : '',
        ins.parents ? '--parents' : '', ...ins.excludes.map((e) => `--exclude=${e}`), link ? '--link' : '', checksum ? `--checksum=${checksum.algorithm}:${checksum.hex}` : '',
      ];
      const inputs: StepInputs = {
        parent: state.imageId,
        instruction: [command, ...flags.filter(Boolean), ...written, dest].join(' '),
        context: {
          config: state.config, sources: paths, dest, chown: chown ?? null, mode: mode ?? null,
          ...(inline.length > 0 ? { inline } : {}),
          ...(fetched.length > 0 ? { fetched: fetched.map((f) => ({ url: f.url, digest: f.digest })) } : {}),
        },
        ...(from !== undefined ? { source: from ?? 'scratch', sourceName: this.#sourceName(ins.from!, sources[0]) } : {}),
        ...(from === undefined ? { files: await contextDigests(this.#opts.contextDir, paths, command, select) } : {}),
        ...(fetched.length > 0 ? { downloads: Object.fromEntries(fetched.map((f) => [f.url, f.digest])) } : {}),
      };
      const content = contentHash(inputs, inline, fetched);
      // Its history names the kind of source, known once the sources are resolved: any of them matches a --cache-from image's.
      const createdBy = ['file', 'dir', 'multi'].map((kind) => nopCreatedBy(state.config, `${command} ${kind}:${content} in ${dest} `));
      await this.#cached(state, inputs, () => this.#copyFiles(state, ins, { command, sources: paths, dest, mode, from, inline, fetched, content, select, link }, word), createdBy);
    } finally {
      await rm(downloads, { recursive: true, force: true });
    }
  }

  async #copyFiles(state: StageState, ins: CopyInstruction, req: CopyFilesRequest, word: (w: string) => string): Promise<void> {
    const { command, sources, dest, mode, from, inline, fetched, select, link } = req;
    let kind = '';
    const write = async (sourceRoot: string, root: string): Promise<void> => {
      const owner = ins.chown ? await this.#ownerOf(state, root, word(ins.chown), link) : { uid: 0, gid: 0 };
      kind = await copyFiles(sourceRoot, root, { command, sources, dest, workdir: state.config.WorkingDir, owner, mode, inline, fetched, select });
    };
    // As moby's history: the kind of source and a hash naming its content.
    const createdBy = (): string => nopCreatedBy(state.config, `${command} ${kind}:${req.content} in ${dest} `);
    if (from === undefined) return this.#writeLayer(state, (root) => write(this.#opts.contextDir, root), createdBy, link);
    const source = await BuildFs.open(this.#engine.snapshots, await this.#engine.images.snapshotOf(from ?? null), this.#opts.mountDir);
    try {
      await this.#writeLayer(state, (root) => write(source.root, root), createdBy, link);
    } finally {
      await source.remove();
    }
  }

  /**
   * --chown's owner; names are looked up in the image being built, also for
   * --link, whose layer starts empty (`root` then has no /etc/passwd).
   */
  async #ownerOf(state: StageState, root: string, spec: string, link: boolean): Promise<{ uid: number; gid: number }> {
    if (!link || /^\d+(:\d+)?$/.test(spec)) return chownOf(root, spec);
    const image = await BuildFs.open(this.#engine.snapshots, await this.#engine.images.snapshotOf(state.imageId), this.#opts.mountDir);
    try {
      return await chownOf(image.root, spec);
    } finally {
      await image.remove();
    }
  }

  /** undefined: the context; otherwise the image (null: an empty stage) a --from names (`source`: the graph's resolution of it). */
  async #sourceOf(state: StageState, ins: CopyInstruction, source: StageSource | undefined): Promise<string | null | undefined> {
    if (ins.from === undefined || ins.from === '') return undefined;
    if (source?.kind === 'stage') return this.#results.get(source.index) ?? null;
    return this.#image(ins.from, state.out);
  }

  async #finish(id: string | null): Promise<string> {
    const labels = Object.entries(this.#opts.labels);
    if (!id && labels.length === 0) throw new Error('No image was generated. Is your Dockerfile empty?');
    const state: StageState = { imageId: id, config: id ? (await this.#engine.images.config(id)).config ?? {} : {}, cmdSet: true, args: new Map(), out: this.#out, noCache: this.#opts.noCache, step: '--label', missed: false };
    if (labels.length > 0) {
      await this.#config(state, { kind: 'label', pairs: labels.map(([key, value]) => ({ key, value })) });
      state.out(` ---> ${shortId(state.imageId!)}\n`);
    }
    return state.imageId!;
  }
}

/**
 * --chown's user and group as moby's parseChownFlag reads them: a missing
 * group is the user part again (`--chown=app` is app:app, `--chown=10` is
 * 10:10), names are looked up in the image being built, numbers are taken
 * as they are.
 */
export async function chownOf(root: string, spec: string): Promise<{ uid: number; gid: number }> {
  const parts = spec.split(':');
  if (parts.length > 2) throw new Error(`invalid chown string format: ${spec}`);
  const [user = '', group = user] = parts;
  const numeric = (s: string): number | undefined => (/^\d+$/.test(s) ? Number(s) : undefined);
  const lookup = async (file: string, name: string, field: number): Promise<number | undefined> => {
    const text = await readInRoot(root, file).catch(() => '');
    const entry = text.split('\n').map((l) => l.split(':')).find((f) => f[0] === name && f.length > field);
    return entry ? Number(entry[field]) : undefined;
  };
  const uid = numeric(user) ?? (await lookup('/etc/passwd', user, 2));
  if (uid === undefined) throw new Error(`can't find uid for user ${user}: no such user: ${user}`);
  const gid = numeric(group) ?? (await lookup('/etc/group', group, 2));
  if (gid === undefined) throw new Error(`can't find gid for group ${group}: no such group: ${group}`);
  return { uid, gid };
}

interface CopyFilesRequest {
  command: 'COPY' | 'ADD';
  sources: string[];
  dest: string;
  mode: number | undefined;
  from: string | null | undefined;
  inline: InlineFile[];
  fetched: RemoteFile[];
  content: string;
  select: Selection;
  link: boolean;
}

/**
 * Refuses what BuildKit refuses of COPY/ADD sources (URLs and git for COPY;
 * --checksum but for one http(s) source) and git sources, which BuildKit
 * would clone and berth's builder has not; returns --checksum parsed.
 */
function checkSources(command: 'COPY' | 'ADD', written: readonly string[], checksum: string): Checksum | undefined {
  const git = written.find(isGitSource);
  if (git !== undefined) throw new Error(command === 'COPY' ? 'source can\'t be a git ref for COPY' : `ADD of a git repository (${git}) is not supported: berth's builder has no git sources`);
  if (command === 'COPY' && written.some(isRemoteSource)) throw new Error('source can\'t be a URL for COPY');
  if (checksum === '') return undefined;
  if (written.length !== 1) throw new Error('checksum can\'t be specified for multiple sources');
  if (!isRemoteSource(written[0]!)) throw new Error('checksum requires HTTP(S) or Git sources');
  return parseChecksum(checksum);
}

/** An instruction line cut short for a miss reason that names it. */
function brief(line: string): string {
  const one = line.replace(/\s+/g, ' ').trim();
  return one.length > 40 ? `${one.slice(0, 39)}…` : one;
}

/** What a COPY or ADD's history names its content by: a digest of what its key has of the sources. */
function contentHash(inputs: StepInputs, inline: InlineFile[], fetched: RemoteFile[]): string {
  const sources = { files: inputs.files, source: inputs.source, inline, fetched: fetched.map((f) => f.digest) };
  return createHash('sha256').update(JSON.stringify(sources)).digest('hex');
}

/** A step taken from the cache: until one misses, the next step's parent is a cached image, so a base that changed explains nothing. */
function reuse(state: StageState, image: string): void {
  state.out(' ---> Using cache\n');
  state.imageId = image;
  if (!state.missed) delete state.cause;
}

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** moby's setDefaultPath: a stage whose base has no PATH starts with the default one in its Env (and so does its image). */
function withDefaultPath(config: ContainerDefaults): ContainerDefaults {
  if (config.Env?.some((e) => e.startsWith('PATH='))) return config;
  return { ...config, Env: [...(config.Env ?? []), DEFAULT_PATH] };
}

/** Go's sort.Strings: by UTF-16 code unit, which for these names is byte order. */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function parseMode(text: string): number {
  if (!/^[0-7]{1,4}$/.test(text)) throw new Error(`invalid chmod parameter: ${text}`);
  return parseInt(text, 8);
}
