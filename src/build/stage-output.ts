// Stages that build at once still print as if they had built one after
// another: the first unfinished stage (in build order) writes through, the
// ones after it are held until every stage before them has finished. The
// classic builder's output stays one readable sequence of steps.
export class StageOutput {
  readonly #write: (text: string) => void;
  readonly #held: string[][];
  readonly #finished: boolean[];
  #live = 0;

  constructor(stages: number, write: (text: string) => void) {
    this.#write = write;
    this.#held = Array.from({ length: stages }, () => []);
    this.#finished = new Array<boolean>(stages).fill(false);
  }

  /** Where stage number `i` (its place in build order) writes. */
  writer(i: number): (text: string) => void {
    return (text) => {
      if (i === this.#live) this.#write(text);
      else this.#held[i]!.push(text);
    };
  }

  /** Stage `i` wrote all it will; the stages after it may show what they held. */
  finish(i: number): void {
    this.#finished[i] = true;
    while (this.#live < this.#held.length && this.#finished[this.#live]) {
      this.#live++;
      const held = this.#held[this.#live];
      if (held) for (const text of held.splice(0)) this.#write(text);
    }
  }
}
