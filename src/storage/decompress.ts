// Layers arrive compressed or not depending on where they come from
// (registry blobs are usually gzip, `docker save` tars are plain), so the
// format is read from the magic bytes rather than trusted from a media type.
// Build contexts and ADD's archives may also be bzip2 or xz (docker's
// DecompressStream): those go through pure-JS/WASM decoders, no native code.
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import unbzip2 from 'unbzip2-stream';
import xz from 'xz-decompress';

const MAGIC: [string, number[]][] = [
  ['gzip', [0x1f, 0x8b]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];
const MAGIC_LEN = 6;

function compressionOf(head: Uint8Array): string | null {
  for (const [name, magic] of MAGIC) {
    if (head.length >= magic.length && magic.every((b, i) => head[i] === b)) return name;
  }
  return null;
}

/** `decompress` as a Node stream, for pipes into hashers and the content store. */
export function decompressStream(source: AsyncIterable<Buffer>): Readable {
  return Readable.from(decompress(source));
}

/** The uncompressed bytes of `source`: gzip, bzip2 and xz are undone, plain data passes through, zstd is refused. */
export async function* decompress(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  while (head.length < MAGIC_LEN) {
    const r = await it.next();
    if (r.done) break;
    head = Buffer.concat([head, r.value]);
  }
  const all = (async function* () {
    if (head.length > 0) yield head;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  })();
  const kind = compressionOf(head);
  if (kind === null) {
    yield* all;
  } else if (kind === 'gzip') {
    const gunzip = createGunzip();
    // Its failures surface through iterating `gunzip`, which pipeline destroys.
    pipeline(Readable.from(all), gunzip).catch(() => {});
    yield* gunzip;
  } else if (kind === 'bzip2') {
    // unbzip2-stream is a classic through stream (data/end/error events);
    // a PassThrough carries its output, end and errors as a Readable.
    const bz = unbzip2();
    const out = new PassThrough();
    bz.on('data', (chunk: Buffer) => {
      if (!out.write(chunk)) bz.pause();
    });
    out.on('drain', () => bz.resume());
    bz.on('end', () => out.end());
    bz.on('error', (err: Error) => out.destroy(err));
    const input = Readable.from(all);
    input.on('error', (err) => out.destroy(err));
    input.pipe(bz);
    try {
      yield* out;
    } finally {
      input.destroy();
    }
  } else if (kind === 'xz') {
    const input = Readable.toWeb(Readable.from(all)) as ReadableStream<Uint8Array>;
    for await (const chunk of new xz.XzReadableStream(input)) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  } else {
    throw new Error(`data is ${kind}-compressed; only gzip, bzip2, xz and uncompressed data are supported`);
  }
}
