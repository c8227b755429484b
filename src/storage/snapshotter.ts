// The snapshotter contract (after containerd's): the engine and the builder
// see only this. Committed snapshots are read-only layers named by chain ID;
// active snapshots are writable (container roots, build steps) on top of one.
import type { Readable } from 'node:stream';

export interface Snapshotter {
  /** Docker's name for the driver, shown by `info` ("overlay2" or "vfs"). */
  readonly driver: string;
  /** Creates an empty active snapshot `key` on top of committed `parent` (null: empty base). */
  prepare(key: string, parent: string | null): Promise<void>;
  /** Applies a layer tar (uncompressed; whiteouts in the `.wh.` form) into active `key`; returns bytes applied. */
  apply(key: string, layer: Readable): Promise<number>;
  /** Turns active `key` into committed snapshot `name`; atomic, so a crash leaves either. */
  commit(key: string, name: string): Promise<void>;
  /** Whether committed snapshot `name` exists. */
  has(name: string): Promise<boolean>;
  /** Mounts active `key` (with its parents) read-write at `target`. */
  mount(key: string, target: string): Promise<void>;
  /** Unmounts `target` (no error when it is not mounted). */
  unmount(target: string): Promise<void>;
  /**
   * Tar stream of what active `key` changed relative to its parent, whiteouts
   * as `.wh.` entries; `skip` leaves out the entries for container paths it
   * names ("/etc/hosts"; a whiteout stands for the path it deletes).
   */
  diff(key: string, skip?: (path: string) => boolean): Readable;
  /** The changes of active `key` as Docker's `diff` kinds: 0 modified, 1 added, 2 deleted. */
  changes(key: string): Promise<{ Path: string; Kind: 0 | 1 | 2 }[]>;
  /** Bytes used by the snapshot's own layer (not its parents). */
  usage(keyOrName: string): Promise<number>;
  /** Removes an active or committed snapshot (a committed one must have no children in use: the caller refcounts). */
  remove(keyOrName: string): Promise<void>;
  /**
   * Deletes what a crash left half-made (prepare/commit in progress); called
   * once at start-up. With `keepActive`, also every active snapshot not named
   * there (an unpack or a container create that a crash cut short).
   */
  cleanup(keepActive?: string[]): Promise<void>;
}
