// The classic builder's --cache-from (docker-compose's cache_from): images,
// typically pulled or loaded, whose history stands for the steps that made
// them, as moby's image cache (image/cache) reads it. A step is taken from
// a source image when the step's parent is where the source's history
// began (the parent's history and layers are the start of the source's)
// and the source's next history line is the one the step would write.
// When that line is the source's last, the step's image is the source
// itself; otherwise an image is made of the parent plus that history line
// and its layer, and the rest of that chain follows the same source (moby
// narrows its sources to it). With sources given, a step the local cache
// holds is used only when its image is a source or one of a source's
// parents, so a build with --cache-from is made of the sources' steps.
import type { ImageService } from '../image/service.ts';
import type { ContainerDefaults, HistoryEntry, ImageConfig } from '../image/types.ts';

/** What matching needs of an image: its history and its layers' diff IDs. */
export interface ImageHistory {
  history: readonly HistoryEntry[];
  diffIds: readonly string[];
}

/** What `source` gives for the step after `parent` (null: an empty stage) writing a history line in `createdBy`. */
export interface SourceStep {
  /** The step is the source's last: the source is the step's image. */
  last: boolean;
  entry: HistoryEntry;
  /** The index, in the source's diff IDs, of the layer the step added (none for a config step). */
  layer?: number;
}

/** moby's isValidParent: the source goes on from `parent` (same history and layers so far, and more history). */
export function continuesFrom(source: ImageHistory, parent: ImageHistory | null): boolean {
  if (source.history.length === 0) return false;
  if (!parent || (parent.history.length === 0 && parent.diffIds.length === 0)) return true;
  if (parent.history.length >= source.history.length || parent.diffIds.length > source.diffIds.length) return false;
  return parent.history.every((h, i) => sameEntry(h, source.history[i]!)) && parent.diffIds.every((d, i) => d === source.diffIds[i]);
}

/** The source's next step after `parent` when its history line is one of `createdBy`. */
export function nextStep(source: ImageHistory, parent: ImageHistory | null, createdBy: readonly string[]): SourceStep | undefined {
  if (!continuesFrom(source, parent)) return undefined;
  const index = parent?.history.length ?? 0;
  const entry = source.history[index]!;
  if (!createdBy.includes(entry.created_by ?? '')) return undefined;
  const last = index === source.history.length - 1;
  if (entry.empty_layer) return { last, entry };
  // Every earlier line that added a layer comes first in the diff IDs.
  const layer = source.history.slice(0, index).filter((h) => !h.empty_layer).length;
  return layer < source.diffIds.length ? { last, entry, layer } : undefined;
}

/** History lines as Go's reflect.DeepEqual sees them (an absent field is its zero value). */
function sameEntry(a: HistoryEntry, b: HistoryEntry): boolean {
  return (a.created ?? '') === (b.created ?? '') && (a.created_by ?? '') === (b.created_by ?? '') && (a.author ?? '') === (b.author ?? '') &&
    (a.comment ?? '') === (b.comment ?? '') && !!a.empty_layer === !!b.empty_layer;
}

interface Source extends ImageHistory {
  id: string;
  config: ImageConfig;
}

export class CacheFrom {
  readonly #images: ImageService;
  readonly #sources: Source[];
  /** Images made from a source, by the source: the steps after them look only there. */
  readonly #followed = new Map<string, Source>();
  readonly #histories = new Map<string, Promise<ImageHistory>>();

  private constructor(images: ImageService, sources: Source[]) {
    this.#images = images;
    this.#sources = sources;
  }

  /** The sources `refs` name; one that is not here is skipped (`skipped` says which), as moby skips it. */
  static async open(images: ImageService, refs: readonly string[], skipped: (ref: string, err: unknown) => void): Promise<CacheFrom> {
    const sources: Source[] = [];
    for (const ref of refs) {
      try {
        const id = images.resolve(ref);
        const config = await images.config(id);
        sources.push({ id, config, history: config.history ?? [], diffIds: config.rootfs.diff_ids });
      } catch (err) {
        skipped(ref, err);
      }
    }
    return new CacheFrom(images, sources);
  }

  /** Whether a step the local cache holds may be used: its image is a source or a source's parent (through the build cache's parents). */
  allows(image: string): boolean {
    for (const source of this.#sources) {
      const seen = new Set<string>();
      for (let id: string | undefined = source.id; id !== undefined && !seen.has(id); id = this.#images.parentOf(id)) {
        if (id === image) return true;
        seen.add(id);
      }
    }
    return false;
  }

  /**
   * The image a source gives for the step after `parent` whose history line
   * would be one of `createdBy` (COPY's names its kind of source only once
   * the files are copied), with `config` the image's config after the step.
   */
  async find(parent: string | null, createdBy: readonly string[], config: ContainerDefaults): Promise<string | undefined> {
    if (this.#sources.length === 0) return undefined;
    const before = parent ? await this.#history(parent) : null;
    const followed = parent ? this.#followed.get(parent) : undefined;
    for (const source of followed ? [followed] : this.#sources) {
      const step = nextStep(source, before, createdBy);
      if (!step) continue;
      if (step.last) return source.id;
      const id = await this.#restore(parent, before, source, step, config);
      this.#followed.set(id, source);
      return id;
    }
    return undefined;
  }

  #history(id: string): Promise<ImageHistory> {
    let job = this.#histories.get(id);
    if (!job) {
      job = this.#images.config(id).then((c) => ({ history: c.history ?? [], diffIds: c.rootfs.diff_ids }));
      this.#histories.set(id, job);
    }
    return job;
  }

  /** moby's restoreCachedImage: the parent's layers and history plus the source's step, with the step's own config. */
  async #restore(parent: string | null, before: ImageHistory | null, source: Source, step: SourceStep, config: ContainerDefaults): Promise<string> {
    const parentLayers = parent ? this.#images.store.get(parent).layers : [];
    const sourceLayers = this.#images.store.get(source.id).layers;
    const added = step.layer !== undefined ? [sourceLayers[step.layer]!] : [];
    const layers = [...parentLayers, ...added];
    const image: ImageConfig = {
      architecture: source.config.architecture,
      os: source.config.os,
      ...(source.config.author ? { author: source.config.author } : {}),
      ...(step.entry.created ? { created: step.entry.created } : {}),
      config,
      rootfs: { type: 'layers', diff_ids: [...(before?.diffIds ?? []), ...added.map((l) => l.diffId)] },
      history: [...(before?.history ?? []), step.entry],
    };
    return this.#images.register(Buffer.from(JSON.stringify(image)), layers.map((l) => ({ blob: l.blob, mediaType: l.mediaType })), [], layers.map((l) => l.size));
  }
}
