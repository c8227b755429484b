// `docker save`: writes images as both a docker-save tarball (manifest.json)
// and an OCI image layout (index.json), as docker 25+ does, so either kind of
// reader loads it. Layers are written uncompressed (their digest is then the
// diff_id), which is what manifest.json readers expect.
import type { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import type { ContentStore } from './content-store.ts';
import { decompressStream } from '../storage/decompress.ts';
import { sha256 } from '../util/ids.ts';
import { MEDIA, type ImageRecord } from './types.ts';
import { parseReference } from './reference.ts';

export interface SaveItem {
  record: ImageRecord;
  configBytes: Buffer;
  tags: string[];
}

function dockerHubName(tag: string): string {
  const ref = parseReference(tag);
  const repo = ref.repo.includes('/') ? ref.repo : `library/${ref.repo}`;
  const full = /^[^/]+[.:]/.test(repo) || repo.startsWith('localhost/') ? repo : `docker.io/${repo}`;
  return `${full}:${ref.tag ?? 'latest'}`;
}

/** A file written into the archive after the images (readers of images skip it). */
export interface ExtraFile {
  name: string;
  size: number;
  open: () => Readable;
}

export function saveImages(items: SaveItem[], content: ContentStore, extra: ExtraFile[] = []): Readable {
  const out = pack();
  const write = (name: string, data: Buffer): Promise<void> =>
    new Promise((resolve, reject) => out.entry({ name, size: data.length, mode: 0o644, mtime: new Date(0) }, data, (err) => (err ? reject(err) : resolve())));
  const writeStream = (name: string, size: number, src: Readable): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const entry = out.entry({ name, size, mode: 0o644, mtime: new Date(0) }, (err) => (err ? reject(err) : resolve()));
      // The callback hears of a failure; as an 'error' event nobody listens to it would end the daemon.
      entry.on('error', () => {});
      src.on('error', reject);
      src.pipe(entry);
    });
  const written = new Set<string>();

  const run = async (): Promise<void> => {
    // Directories of their own, so that a plain `tar -x` (or berth's cache import) can make the layout's tree.
    for (const dir of ['blobs/', 'blobs/sha256/']) {
      await new Promise<void>((resolve, reject) => out.entry({ name: dir, type: 'directory', mode: 0o755, mtime: new Date(0) }, (err) => (err ? reject(err) : resolve())));
    }
    const manifestJson: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
    const indexEntries: object[] = [];
    for (const item of items) {
      const cfgDigest = item.record.id;
      const layerDescs = [];
      for (const layer of item.record.layers) {
        const path = `blobs/sha256/${layer.diffId.slice(7)}`;
        if (!written.has(path)) {
          written.add(path);
          await writeStream(path, layer.size, decompressStream(content.get(layer.blob)));
        }
        layerDescs.push({ mediaType: MEDIA.ociLayer, digest: layer.diffId, size: layer.size });
      }
      const cfgPath = `blobs/sha256/${cfgDigest.slice(7)}`;
      if (!written.has(cfgPath)) {
        written.add(cfgPath);
        await write(cfgPath, item.configBytes);
      }
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MEDIA.ociManifest,
          config: { mediaType: MEDIA.ociConfig, digest: cfgDigest, size: item.configBytes.length },
          layers: layerDescs,
        }),
      );
      const manifestDigest = sha256(manifest);
      const mPath = `blobs/sha256/${manifestDigest.slice(7)}`;
      if (!written.has(mPath)) {
        written.add(mPath);
        await write(mPath, manifest);
      }
      const desc = { mediaType: MEDIA.ociManifest, digest: manifestDigest, size: manifest.length };
      if (item.tags.length === 0) indexEntries.push(desc);
      for (const tag of item.tags) {
        const full = dockerHubName(tag);
        indexEntries.push({
          ...desc,
          annotations: { 'io.containerd.image.name': full, 'org.opencontainers.image.ref.name': parseReference(tag).tag ?? 'latest' },
        });
      }
      manifestJson.push({ Config: cfgPath, RepoTags: item.tags, Layers: item.record.layers.map((l) => `blobs/sha256/${l.diffId.slice(7)}`) });
    }
    await write('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
    await write('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: indexEntries })));
    await write('manifest.json', Buffer.from(JSON.stringify(manifestJson)));
    for (const f of extra) await writeStream(f.name, f.size, f.open());
    out.finalize();
  };
  run().catch((err: Error) => out.destroy(err));
  return out as unknown as Readable;
}
