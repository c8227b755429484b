// Layers and imports arrive compressed or not; sniff the magic bytes rather
// than trusting media types, as docker does.
import { createGunzip } from 'node:zlib';
import { PassThrough, type Readable } from 'node:stream';

export type Compression = 'none' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

export function sniffCompression(head: Buffer): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) return 'bzip2';
  if (head[0] === 0xfd && head.subarray(1, 6).toString('latin1') === '7zXZ\0') return 'xz';
  if (head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

/** Returns a stream of the decompressed bytes of `input`, whatever its (supported) compression. */
export function decompress(input: Readable): Readable {
  const out = new PassThrough();
  let decided = false;
  let buffered: Buffer[] = [];
  let total = 0;
  const decide = (): void => {
    decided = true;
    const head = Buffer.concat(buffered);
    const kind = head.length >= 6 ? sniffCompression(head) : 'none';
    input.off('data', onData);
    input.off('end', onEnd);
    if (kind === 'bzip2' || kind === 'xz' || kind === 'zstd') {
      out.destroy(new Error(`unsupported compression: ${kind} (use gzip or an uncompressed tar)`));
      input.destroy();
      return;
    }
    const sink = kind === 'gzip' ? createGunzip() : new PassThrough();
    sink.on('error', (err) => out.destroy(err));
    input.on('error', (err) => out.destroy(err));
    sink.pipe(out);
    sink.write(head);
    input.pipe(sink);
    input.resume();
  };
  const onData = (chunk: Buffer): void => {
    buffered.push(chunk);
    total += chunk.length;
    if (total >= 6) {
      input.pause();
      decide();
    }
  };
  const onEnd = (): void => {
    if (!decided) {
      decide();
    }
  };
  input.on('data', onData);
  input.on('end', onEnd);
  input.on('error', (err) => {
    if (!decided) out.destroy(err);
  });
  return out;
}
