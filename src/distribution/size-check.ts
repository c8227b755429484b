// A stream that must carry exactly the number of bytes a descriptor gives:
// more is cut off at once, fewer fails at the end; each chunk is reported
// as it passes (for progress bars).
import { Transform, type TransformCallback } from 'node:stream';
import { RegistryError } from './errors.ts';

/** Passes exactly `expected` bytes through, reporting each chunk; more or fewer is an error. */
export class SizeCheck extends Transform {
  readonly #expected: number;
  readonly #onBytes: (n: number) => void;
  #seen = 0;

  constructor(expected: number, onBytes: (n: number) => void) {
    super();
    this.#expected = expected;
    this.#onBytes = onBytes;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.#expected) return cb(new RegistryError(`blob is larger than the ${this.#expected} bytes its descriptor gives`, 0));
    this.#onBytes(chunk.length);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    cb(this.#seen === this.#expected ? null : new RegistryError('unexpected EOF', 0));
  }
}
