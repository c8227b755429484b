// Gives memory back to the system once berthd goes quiet. A burst of work
// (a hundred container starts, a build) leaves garbage in V8's heap and, for
// the buffers it owned, free memory in glibc's, which glibc returns only from
// the top of its heap. So a while after the last request began or ended: a
// full collection (bin/berthd exposes gc), then malloc_trim(0), which
// releases every free page. Some 10–50 ms of the main thread, once per quiet
// spell. Long-lived streams (events, logs -f) do not hold it off. The first
// quiet spell also ends start-up, whose pages of the node executable are
// dropped then (src/util/startup-pages.ts); later spells leave the working
// set mapped, so a request after one does not fault its code back in.
import { libc } from './libc.ts';
import { dropExecutablePages } from './startup-pages.ts';

const mallocTrim = libc.func('int malloc_trim(size_t pad)');
const collect = (globalThis as { gc?: () => void }).gc;

export class IdleTrimmer {
  readonly #quietMs: number;
  #timer: NodeJS.Timeout | undefined;
  #startedUp = false;

  constructor(quietMs: number) {
    this.#quietMs = quietMs;
  }

  /** Activity: the trim waits for `quietMs` without any. */
  touch(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      collect?.();
      mallocTrim(0);
      if (!this.#startedUp) dropExecutablePages();
      this.#startedUp = true;
    }, this.#quietMs).unref();
  }
}
