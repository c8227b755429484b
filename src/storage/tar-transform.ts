// Rewriting a tar stream entry by entry (renaming, dropping) without
// unpacking it; contents pass through untouched, PAX records (xattrs) kept.
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import './tar-pax.ts';

export type TarHeader = tar.Header;

/** The tar `input` with each header replaced by `map`'s answer; null drops the entry. */
export function mapTar(input: Readable, map: (header: TarHeader) => TarHeader | null): Readable {
  const extract = tar.extract();
  const pack = tar.pack();
  const out = new PassThrough();
  const fail = (err: Error): void => {
    out.destroy(err);
    input.destroy();
  };
  pack.on('error', fail);
  pack.pipe(out);
  pipeline(input, extract).catch(fail);
  (async () => {
    for await (const entry of extract) {
      const header = map(entry.header);
      if (header === null) {
        entry.resume();
        continue;
      }
      await new Promise<void>((resolve, reject) => entry.pipe(pack.entry(header, (err) => (err ? reject(err) : resolve()))));
    }
    pack.finalize();
  })().catch(fail);
  return out;
}
