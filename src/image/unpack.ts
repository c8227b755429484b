// Layers become snapshots once per chain ID, however many images share them.
// The uncompressed stream is hashed while it is applied, so a layer whose
// content does not match the config's diff_id is rejected and discarded.
import { randomBytes } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Snapshotter } from '../storage/snapshotter.ts';
import type { ContentStore } from './content-store.ts';
import { hashing, type BlobInfo, type Hasher } from './content-store.ts';
import { chainIds } from './chain.ts';
import { decompressStream } from '../storage/decompress.ts';
import type { LayerRecord } from './types.ts';

/** A layer stored but not unpacked: whether its blob may go depends on who else uses it, which the caller knows. */
export class LayerNotUnpacked extends Error {
  readonly blob: string;

  constructor(blob: string, cause: Error) {
    super(cause.message, { cause });
    this.blob = blob;
  }
}

export class Unpacker {
  readonly snapshots: Snapshotter;
  readonly content: ContentStore;
  #inflight = new Map<string, Promise<number>>();

  constructor(snapshots: Snapshotter, content: ContentStore) {
    this.snapshots = snapshots;
    this.content = content;
  }

  /** Resolves once no unpacking is under way. */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled(this.#inflight.values());
  }

  /** Ensures every layer is unpacked; fills in each layer's uncompressed size. */
  async unpack(layers: { diffId: string; blob: string }[]): Promise<number[]> {
    const chains = chainIds(layers.map((l) => l.diffId));
    const sizes: number[] = [];
    for (let i = 0; i < layers.length; i++) {
      const chain = chains[i]!;
      let job = this.#inflight.get(chain);
      if (!job) {
        job = this.#unpackOne(layers[i]!, chain, i > 0 ? chains[i - 1]! : null);
        this.#inflight.set(chain, job);
        job.finally(() => this.#inflight.delete(chain)).catch(() => {});
      }
      sizes.push(await job);
    }
    return sizes;
  }

  /**
   * Stores a layer made here (commit, build, import) and unpacks it from the
   * same read: the tar is written once to the content store and once as
   * files, instead of being read back from the store to be unpacked. The
   * snapshot is committed under the layer's chain ID on `parent`.
   */
  async storeAndUnpack(tar: Readable, parent: string | null): Promise<BlobInfo> {
    const key = `unpack-${randomBytes(6).toString('hex')}`;
    await this.snapshots.prepare(key, parent);
    try {
      const [toStore, toApply] = tee(tar);
      const [stored, applied] = await Promise.allSettled([
        this.content.put(toStore),
        // A tar ends before its trailing padding, which the store still needs.
        this.snapshots.apply(key, toApply).then(() => void toApply.resume(), (err: Error) => {
          tar.destroy(err);
          throw err;
        }),
      ]);
      // Both are waited for: the snapshot must not be removed under a running apply.
      if (applied.status === 'rejected') {
        throw stored.status === 'fulfilled' ? new LayerNotUnpacked(stored.value.digest, applied.reason as Error) : applied.reason;
      }
      if (stored.status === 'rejected') throw stored.reason;
      const blob = stored.value;
      const chain = chainIds(parent === null ? [blob.digest] : [parent, blob.digest]).at(-1)!;
      if (await this.snapshots.has(chain)) await this.snapshots.remove(key);
      else await this.snapshots.commit(key, chain);
      return blob;
    } catch (err) {
      await this.snapshots.remove(key).catch(() => {});
      throw err;
    }
  }

  async #unpackOne(layer: { diffId: string; blob: string }, chain: string, parent: string | null): Promise<number> {
    if (await this.snapshots.has(chain)) return this.#tarSize(layer);
    const key = `unpack-${randomBytes(6).toString('hex')}`;
    await this.snapshots.prepare(key, parent);
    try {
      const hasher = hashing(decompressStream(this.content.get(layer.blob)));
      await this.snapshots.apply(key, hasher);
      // A tar ends before its trailing padding; the diff_id covers every byte.
      await drained(hasher);
      const diffId = hasher.digest();
      if (diffId !== layer.diffId) throw new Error(`layer ${layer.blob}: content does not match diff_id ${layer.diffId} (got ${diffId})`);
      await this.snapshots.commit(key, chain);
      return hasher.size;
    } catch (err) {
      await this.snapshots.remove(key).catch(() => {});
      throw err;
    }
  }

  /**
   * The size of a layer unpacked already (for another image): still the
   * tar's, which a save writes the blob with, not what the snapshot's files
   * take. A blob stored uncompressed is that tar.
   */
  async #tarSize(layer: { diffId: string; blob: string }): Promise<number> {
    if (layer.blob === layer.diffId) return (await this.content.info(layer.blob)).size;
    return (await drained(hashing(decompressStream(this.content.get(layer.blob))))).size;
  }
}

/** Two readers of one stream, moving at the slower one's pace; an error reaches both. */
function tee(source: Readable): [PassThrough, PassThrough] {
  const out: [PassThrough, PassThrough] = [new PassThrough(), new PassThrough()];
  for (const o of out) source.pipe(o);
  source.on('error', (err) => {
    for (const o of out) o.destroy(err);
  });
  return out;
}

/** Reads what is left of `hasher`'s input, so that its digest and size cover all of it. */
async function drained(hasher: Hasher): Promise<Hasher> {
  hasher.resume();
  await finished(hasher);
  return hasher;
}

export function layerChain(layers: LayerRecord[]): string[] {
  return chainIds(layers.map((l) => l.diffId));
}
