// Docker's change list (`docker diff`, GET /containers/{id}/changes): paths
// from '/', in walk order, and every directory above a change listed as
// modified before it (Docker does this so ownership and modes of parent
// directories survive into a commit).

export type ChangeKind = 0 | 1 | 2;
export const MODIFIED: ChangeKind = 0;
export const ADDED: ChangeKind = 1;
export const DELETED: ChangeKind = 2;

export interface Change {
  Path: string;
  Kind: ChangeKind;
}

/** Collects changes during a depth-first walk; the walker brackets each directory with enter/leave. */
export class ChangeCollector {
  readonly changes: Change[] = [];
  /** Directories being walked, below the root. */
  private readonly stack: string[] = [];
  /** How many of `stack` are already in `changes`. */
  private listed = 0;

  /** `listed`: whether add() was already called for `dir` itself. */
  enter(dir: string, listed: boolean): void {
    this.stack.push(dir);
    if (listed) this.listed = this.stack.length;
  }

  leave(): void {
    this.stack.pop();
    this.listed = Math.min(this.listed, this.stack.length);
  }

  add(path: string, kind: ChangeKind): void {
    for (; this.listed < this.stack.length; this.listed++) {
      this.changes.push({ Path: this.stack[this.listed]!, Kind: MODIFIED });
    }
    this.changes.push({ Path: path, Kind: kind });
  }
}
