// What this daemon has learnt about where blobs are, as moby's v2 metadata
// does: which repositories of a registry hold a blob (a push mounts it from
// one of them instead of uploading it), and the gzip blob an uncompressed
// local layer became when it was last pushed (a push asks the registry for
// it before compressing the layer again). Hints only: each is checked with
// the registry before it is relied on. Kept in memory, bounded.

const MAX_ENTRIES = 10_000;

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_ENTRIES) map.delete(map.keys().next().value!);
}

export class BlobSources {
  /** digest → "domain/path" of repositories known to hold it. */
  readonly #repos = new Map<string, Set<string>>();
  /** diff ID → the gzip blob pushed for it. */
  readonly #compressed = new Map<string, { digest: string; size: number }>();

  seen(digest: string, domain: string, path: string): void {
    const set = this.#repos.get(digest) ?? new Set<string>();
    set.add(`${domain}/${path}`);
    remember(this.#repos, digest, set);
  }

  /** Repositories of `domain`, other than `except`, known to hold `digest` (most recent last). */
  repositoriesWith(digest: string, domain: string, except: string): string[] {
    const out: string[] = [];
    for (const r of this.#repos.get(digest) ?? []) {
      if (r.startsWith(`${domain}/`) && r !== `${domain}/${except}`) out.push(r.slice(domain.length + 1));
    }
    return out;
  }

  compressedOf(diffId: string): { digest: string; size: number } | undefined {
    return this.#compressed.get(diffId);
  }

  setCompressed(diffId: string, blob: { digest: string; size: number }): void {
    remember(this.#compressed, diffId, blob);
  }
}
