// Streams of fresh Buffers (a layer's blob, a cp's files) grow V8's external
// memory by hundreds of megabytes while their small JS objects barely touch
// the young generation, so nothing frees the dead buffers until V8 answers
// the external growth with full mark-compacts of the whole heap: 13 for one
// 200 MB commit, 60–100 ms of berthd's thread. A scavenge every so often
// frees them for a fraction of a millisecond instead (bin/berthd exposes gc;
// without it this does nothing).
const collect = (globalThis as { gc?: (opts: { type: 'minor' | 'major' }) => void }).gc;

export class Scavenger {
  readonly #every: number;
  #since = 0;

  constructor(everyBytes = 16 << 20) {
    this.#every = everyBytes;
  }

  /** `bytes` more went through. */
  passed(bytes: number): void {
    this.#since += bytes;
    if (this.#since < this.#every) return;
    this.#since = 0;
    collect?.({ type: 'minor' });
  }
}
