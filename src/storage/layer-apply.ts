// Writing a layer tar into a directory. The tar is untrusted: every entry is
// placed through safe-path's chroot-style resolution, the final component is
// replaced rather than written through (O_EXCL/O_NOFOLLOW, link(2) and
// symlink(2) fail on an existing name instead of following it), and
// metadata is only ever applied to what this code just created or checked.
// The same writer extracts plain archives (docker cp), which differ only in
// options: no whiteouts, owners chosen by the caller, and a container's
// mounts below the root reached through `locate`.
//
// File system calls are synchronous on purpose: each is a short syscall on a
// local disk, and a thread-pool round trip per call would cost more than the
// call itself. The event loop still gets control between tar chunks.
import {
  chmodSync, closeSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, rmSync, statSync,
  symlinkSync, unlinkSync, writevSync, constants, type Stats,
} from 'node:fs';
import { writev } from 'node:fs';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { messageOf } from '../util/errors.ts';
import { Scavenger } from '../util/young-gc.ts';
import { copyEntry } from './copy.ts';
import { decompress } from './decompress.ts';
import { applyMeta, setTimes, type Meta } from './meta.ts';
import { lsetxattr, makedev, mknod, S_IFBLK, S_IFCHR, S_IFIFO } from './native.ts';
import { lookupLower } from './overlay-lower.ts';
import { cleanEntryPath, resolveDir, type PathNode } from './safe-path.ts';
import { xattrsFromPax } from './tar-pax.ts';
import { isWhiteoutDevice, OPAQUE_MARKER, OPAQUE_XATTR, WHITEOUT_PREFIX } from './whiteout.ts';

export interface ApplyOptions {
  /**
   * 'overlay': `root` is the layer's own diff dir; deletions become overlayfs
   * whiteouts and opaque xattrs. 'delete': `root` is a full copy of the parent
   * (vfs); deletions delete. 'none': not a layer but a plain archive, under
   * docker's untar rules (docker cp): `.wh.` names are ordinary files, an
   * entry for the root itself leaves the target directory as it was, and a
   * relative symlink may not point above the root.
   */
  whiteouts: 'overlay' | 'delete' | 'none';
  /** Overlay: the parent layers' diff dirs, top first, where a hardlink's target may live. */
  lowers?: readonly string[];
  /** Owner of every entry instead of the archive's; false leaves ownership to the caller (nothing is chowned). */
  owner?: { uid: number; gid: number } | false;
  /** Refuses to replace a directory with a non-directory or the reverse (docker's NoOverwriteDirNonDir). */
  noOverwriteDirNonDir?: boolean;
  /** Where root-relative path `rel` lives ('' is the root): a container's mounts below the root. Default: under root. */
  locate?: (rel: string) => Location;
}

/** A place on disk for a root-relative path. */
export interface Location {
  path: string;
  /** Nothing may be written there (a read-only mount). */
  readonly?: boolean;
  /** A mount point: used as it is (a host symlink there is followed) and never removed or replaced. */
  mountRoot?: boolean;
}

type Header = Omit<tar.Header, 'pax'> & { pax?: Record<string, string> | null };

const WRITE_BATCH = 1 << 20;
const writevAsync = promisify(writev);
const FILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const DEVICE_TYPES: Record<string, number> = {
  'character-device': S_IFCHR,
  'block-device': S_IFBLK,
  fifo: S_IFIFO,
};

/** Extracts the (optionally gzipped) layer tar `input` into `root`; returns the bytes of file content written. */
export async function applyLayer(root: string, input: Readable, opts: ApplyOptions): Promise<number> {
  const extract = tar.extract();
  const done = pipeline(input, decompress, extract);
  // The same failure also ends the loop below; this only keeps it from
  // counting as unhandled while the loop is busy with an entry.
  done.catch(() => {});
  const writer = new LayerWriter(root, opts);
  try {
    for await (const entry of extract) await writer.entry(entry.header as Header, entry as AsyncIterable<Buffer>);
    await done;
  } catch (err) {
    extract.destroy();
    const streamErr = await done.then(() => undefined, (e: unknown) => e);
    // A truncated tar shows first inside an entry's content; it is still the tar's fault.
    if (err instanceof EntryError && err.cause !== streamErr) throw err;
    throw new Error(`malformed layer tar: ${messageOf(streamErr ?? err)}`, { cause: streamErr ?? err });
  }
  writer.finish();
  return writer.bytes;
}

class EntryError extends Error {}

class LayerWriter {
  bytes = 0;
  private readonly root: string;
  private readonly opts: ApplyOptions;
  /**
   * Cleaned entry directory → its resolved absolute path, and root-relative
   * paths known to be real directories; both dropped whenever a directory or
   * symlink is removed, as resolutions may have gone through it.
   */
  private readonly dirs = new Map<string, string>();
  private readonly realDirs = new Set<string>();
  /** Directory mtimes, set last because writing into a directory moves its mtime. */
  private dirTimes: { path: string; mtime: number }[] = [];
  /** 'delete' mode: what this layer wrote, which an opaque marker must keep. */
  private readonly written = new Set<string>();
  /** Mount points met so far, which are never removed. */
  private readonly mountRoots = new Set<string>();
  private readonly scavenger = new Scavenger();

  constructor(root: string, opts: ApplyOptions) {
    this.root = root;
    this.opts = opts;
  }

  async entry(h: Header, content: AsyncIterable<Buffer>): Promise<void> {
    try {
      await this.place(h, content);
      // Whatever the entry carried that was not file content (a body on a
      // symlink or a whiteout) must still be read for the next entry to come.
      if ((h.size ?? 0) > 0) for await (const _ of content);
    } catch (err) {
      throw new EntryError(`layer entry ${JSON.stringify(h.name)}: ${messageOf(err)}`, { cause: err });
    }
  }

  finish(): void {
    for (const { path, mtime } of this.dirTimes) setTimes(path, mtime);
  }

  private async place(h: Header, content: AsyncIterable<Buffer>): Promise<void> {
    const parts = cleanEntryPath(h.name);
    const base = parts.pop();
    if (base === undefined) return this.rootEntry(h);
    if (this.opts.whiteouts !== 'none' && base.startsWith(WHITEOUT_PREFIX)) return this.whiteout(parts, base, h);

    const dir = this.dir(parts);
    const path = this.writable(dir === '' ? base : `${dir}/${base}`);
    if (this.opts.noOverwriteDirNonDir) refuseDirNonDir(path, h.type === 'directory', h.name);
    const meta = this.metaOf(h);
    switch (h.type) {
      case 'directory':
        this.mkdir(path);
        applyMeta({ path }, meta, false);
        this.dirTimes.push({ path, mtime: meta.mtime });
        break;
      case 'file':
      case 'contiguous-file':
        await this.writeFile(path, content, meta);
        this.bytes += h.size ?? 0;
        break;
      case 'symlink':
        if (!h.linkname) throw new Error('symlink without a target');
        if (this.opts.whiteouts === 'none') refuseEscapingSymlink(parts, h.name, h.linkname);
        this.create(path, () => symlinkSync(h.linkname!, path));
        applyMeta({ path, symlink: true }, meta);
        break;
      case 'link':
        await this.hardlink(path, h.linkname ?? '');
        break;
      default: {
        const type = DEVICE_TYPES[h.type ?? ''];
        if (type === undefined) throw new Error(`unsupported tar entry type ${h.type ?? 'unknown'}`);
        const dev = type === S_IFIFO ? 0n : makedev(h.devmajor ?? 0, h.devminor ?? 0);
        this.create(path, () => mknod(path, type | meta.mode, dev));
        applyMeta({ path }, meta);
      }
    }
    if (this.opts.whiteouts === 'delete') this.written.add(path);
  }

  private rootEntry(h: Header): void {
    if (h.type !== 'directory') throw new Error('only a directory can stand for the layer root');
    if (this.opts.whiteouts === 'none') return;
    const meta = this.metaOf(h);
    applyMeta({ path: this.root }, meta, false);
    this.dirTimes.push({ path: this.root, mtime: meta.mtime });
  }

  private metaOf(h: Header): Meta {
    const meta = metaOf(h);
    const owner = this.opts.owner;
    // -1 is chown's "leave as it is".
    if (owner === false) return { ...meta, uid: -1, gid: -1 };
    return owner ? { ...meta, ...owner } : meta;
  }

  private at(rel: string): Location {
    if (this.opts.locate) return this.opts.locate(rel);
    return { path: rel === '' ? this.root : `${this.root}/${rel}` };
  }

  /** Where entry `rel` goes, refused when that place is read-only. */
  private writable(rel: string): string {
    const loc = this.at(rel);
    if (loc.readonly) throw new Error(`/${rel}: read-only file system`);
    if (loc.mountRoot) this.mountRoots.add(loc.path);
    return loc.path;
  }

  /** The root-relative path of entry directory `parts`, created (0755) where missing. */
  private dir(parts: string[]): string {
    const key = parts.join('/');
    const cached = this.dirs.get(key);
    if (cached !== undefined) return cached;
    const resolved = resolveDir(parts, (rel) => this.node(rel));
    for (let i = resolved.existing; i < resolved.parts.length; i++) {
      const rel = resolved.parts.slice(0, i + 1).join('/');
      const path = this.writable(rel);
      mkdirSync(path);
      chmodSync(path, 0o755); // exact, whatever the umask
      this.realDirs.add(rel);
      if (this.opts.whiteouts === 'delete') this.written.add(path);
    }
    const rel = resolved.parts.join('/');
    this.dirs.set(key, rel);
    return rel;
  }

  private node(rel: string): PathNode {
    if (this.realDirs.has(rel)) return { kind: 'dir' };
    const loc = this.at(rel);
    const st = loc.mountRoot ? statSync(loc.path, { throwIfNoEntry: false }) : lstatSync(loc.path, { throwIfNoEntry: false });
    if (st === undefined) return { kind: 'missing' };
    if (st.isDirectory()) {
      this.realDirs.add(rel);
      return { kind: 'dir' };
    }
    if (st.isSymbolicLink()) return { kind: 'symlink', target: readlinkSync(loc.path) };
    return { kind: 'other' };
  }

  /** Runs `make`, which creates `path`; whatever already was at `path` is removed first. */
  private create<T>(path: string, make: () => T): T {
    try {
      return make();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    this.remove(path);
    return make();
  }

  /** Removes `path` itself, never what a symlink there points to; returns what was there. */
  private remove(path: string): Stats | undefined {
    if (this.mountRoots.has(path)) throw new Error('a mount point cannot be replaced');
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (st === undefined) return undefined;
    if (st.isDirectory()) {
      rmSync(path, { recursive: true, force: true });
      const below = `${path}/`;
      this.dirTimes = this.dirTimes.filter((d) => d.path !== path && !d.path.startsWith(below));
    } else {
      unlinkSync(path);
    }
    if (st.isDirectory() || st.isSymbolicLink()) {
      this.dirs.clear();
      this.realDirs.clear();
    }
    return st;
  }

  private mkdir(path: string): void {
    try {
      mkdirSync(path, 0o755);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (lstatSync(path).isDirectory()) return; // kept, as tar does: only its metadata changes
    const old = this.remove(path);
    mkdirSync(path, 0o755);
    // A directory that replaces a deleted one must not show the old one's contents from below.
    if (this.opts.whiteouts === 'overlay' && old !== undefined && isWhiteoutDevice(old)) {
      lsetxattr(path, OPAQUE_XATTR, Buffer.from('y'));
    }
  }

  private async writeFile(path: string, content: AsyncIterable<Buffer>, meta: Meta): Promise<void> {
    const fd = this.create(path, () => openSync(path, FILE_FLAGS, 0o600));
    try {
      // The tar arrives in socket-sized chunks (16–64 kB). They are gathered
      // into batches written by the thread pool with one writev each, one
      // batch in flight while the next is parsed, so the copies into the page
      // cache overlap the parsing and hashing left on this thread. A small
      // file is one write from here: a pool round trip would cost more.
      let batch: Buffer[] = [];
      let size = 0;
      let writing: Promise<void> | undefined;
      for await (const chunk of content) {
        batch.push(chunk);
        size += chunk.length;
        this.scavenger.passed(chunk.length);
        if (size < WRITE_BATCH) continue;
        await writing;
        writing = writevAll(fd, batch);
        batch = [];
        size = 0;
      }
      await writing;
      if (writing) await writevAll(fd, batch);
      else for (let left = batch; left.length > 0; ) left = afterWrite(left, writevSync(fd, left));
      applyMeta({ path, fd }, meta);
    } finally {
      closeSync(fd);
    }
  }

  private async hardlink(path: string, linkname: string): Promise<void> {
    const parts = cleanEntryPath(linkname);
    const base = parts.pop();
    if (base === undefined) throw new Error('hardlink to the layer root');
    const dir = this.dir(parts);
    const rel = dir === '' ? base : `${dir}/${base}`;
    const target = this.at(rel).path;
    let st = lstatSync(target, { throwIfNoEntry: false });
    if (st !== undefined && this.opts.whiteouts === 'overlay' && isWhiteoutDevice(st)) {
      throw new Error(`hardlink target ${JSON.stringify(linkname)} was deleted by this layer`);
    }
    if (st === undefined && this.opts.lowers) {
      // The target is in a parent layer: copy it up so both names share one inode here.
      const lower = lookupLower(this.opts.lowers, rel);
      if (lower !== null && !lower.st.isDirectory()) {
        await copyEntry(lower.path, target, lower.st);
        st = lower.st;
      }
    }
    if (st === undefined) throw new Error(`hardlink target ${JSON.stringify(linkname)} not found`);
    if (st.isDirectory()) throw new Error(`hardlink target ${JSON.stringify(linkname)} is a directory`);
    if (target === path) return;
    this.create(path, () => linkSync(target, path));
  }

  private whiteout(parts: string[], base: string, h: Header): void {
    const dirRel = this.dir(parts);
    const dir = this.at(dirRel).path;
    if (base === OPAQUE_MARKER) {
      if (this.opts.whiteouts === 'overlay') lsetxattr(dir, OPAQUE_XATTR, Buffer.from('y'));
      else this.removeUnwritten(dir);
      return;
    }
    const name = base.slice(WHITEOUT_PREFIX.length);
    // `.wh..wh.*` other than the opaque marker is AUFS bookkeeping (hardlink dirs): nothing to do.
    if (name.startsWith(WHITEOUT_PREFIX)) return;
    if (name === '' || name === '.' || name === '..') throw new Error('whiteout names no entry');
    const path = `${dir}/${name}`;
    if (this.opts.whiteouts === 'delete') {
      this.remove(path);
      return;
    }
    this.create(path, () => mknod(path, S_IFCHR, 0n));
    const meta = metaOf(h);
    applyMeta({ path }, { ...meta, mode: 0, xattrs: [] });
  }

  /** An opaque marker on a full copy: everything in `dir` that this layer did not write goes. */
  private removeUnwritten(dir: string): void {
    for (const name of readdirSync(dir)) {
      const path = `${dir}/${name}`;
      if (!this.written.has(path)) this.remove(path);
      else if (lstatSync(path).isDirectory()) this.removeUnwritten(path);
    }
  }
}

/**
 * docker's untar refuses a relative symlink that climbs above the root
 * (`dir` being the entry's directory): harmless to this writer, which never
 * follows one out, but a trap left for whoever uses the tree next.
 */
function refuseEscapingSymlink(dir: string[], name: string, target: string): void {
  if (target.startsWith('/')) return;
  try {
    cleanEntryPath([...dir, target].join('/'));
  } catch {
    throw new Error(`invalid symlink ${JSON.stringify(name)} -> ${JSON.stringify(target)}`);
  }
}

/** docker's NoOverwriteDirNonDir: a directory stays a directory, a non-directory a non-directory. */
function refuseDirNonDir(path: string, isDir: boolean, name: string): void {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st === undefined || st.isDirectory() === isDir) return;
  if (st.isDirectory()) throw new Error(`cannot overwrite directory with non-directory ${JSON.stringify(name)}`);
  throw new Error(`cannot overwrite non-directory with directory ${JSON.stringify(name)}`);
}

/** The entry's metadata; PAX records, where present, override the ustar fields (large ids, sub-second times). */
function metaOf(h: Header): Meta {
  const pax = h.pax ?? {};
  return {
    uid: paxNumber(pax.uid) ?? h.uid ?? 0,
    gid: paxNumber(pax.gid) ?? h.gid ?? 0,
    mode: (h.mode ?? 0) & 0o7777,
    mtime: paxNumber(pax.mtime) ?? (h.mtime?.getTime() ?? 0) / 1000,
    xattrs: xattrsFromPax(h.pax),
  };
}

function paxNumber(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

async function writevAll(fd: number, chunks: Buffer[]): Promise<void> {
  for (let left = chunks; left.length > 0; ) left = afterWrite(left, (await writevAsync(fd, left)).bytesWritten);
}

/** What is left of `chunks` after a write of `n` bytes: a short write stops anywhere. */
export function afterWrite(chunks: Buffer[], n: number): Buffer[] {
  let i = 0;
  while (i < chunks.length && n >= chunks[i]!.length) n -= chunks[i++]!.length;
  return i < chunks.length && n > 0 ? [chunks[i]!.subarray(n), ...chunks.slice(i + 1)] : chunks.slice(i);
}
