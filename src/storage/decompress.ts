// Layers arrive compressed or not depending on where they come from
// (registry blobs are usually gzip, `docker save` tars are plain), so the
// format is read from the magic bytes rather than trusted from a media type.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

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

/** The uncompressed bytes of `source`: gzip is undone, plain tar passes through, other compressions are refused. */
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
  } else {
    throw new Error(`layer is ${kind}-compressed; only gzip and uncompressed tars are supported`);
  }
}
