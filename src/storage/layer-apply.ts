// Writing a layer tar into a directory. The tar is untrusted: every entry is
// placed through safe-path's chroot-style resolution, the final component is
// replaced rather than written through (O_EXCL/O_NOFOLLOW, link(2) and
// symlink(2) fail on an existing name instead of following it), and
// metadata is only ever applied to what this code just created or checked.
//
// File system calls are synchronous on purpose: each is a short syscall on a
// local disk, and a thread-pool round trip per call would cost more than the
// call itself. The event loop still gets control between tar chunks.
import {
  chmodSync, closeSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, rmSync, symlinkSync,
  unlinkSync, writeSync, constants, type Stats,
} from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { messageOf } from '../util/errors.ts';
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
   * (vfs); deletions delete.
   */
  whiteouts: 'overlay' | 'delete';
  /** Overlay: the parent layers' diff dirs, top first, where a hardlink's target may live. */
  lowers?: readonly string[];
}

type Header = Omit<tar.Header, 'pax'> & { pax?: Record<string, string> | null };

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
    if (base.startsWith(WHITEOUT_PREFIX)) return this.whiteout(parts, base, h);

    const path = `${this.dir(parts)}/${base}`;
    const meta = metaOf(h);
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
    const meta = metaOf(h);
    applyMeta({ path: this.root }, meta, false);
    this.dirTimes.push({ path: this.root, mtime: meta.mtime });
  }

  /** The absolute path of entry directory `parts`, created (0755) where missing. */
  private dir(parts: string[]): string {
    const key = parts.join('/');
    const cached = this.dirs.get(key);
    if (cached !== undefined) return cached;
    const resolved = resolveDir(parts, (rel) => this.node(rel));
    let path = this.root;
    resolved.parts.forEach((part, i) => {
      path += `/${part}`;
      if (i < resolved.existing) return;
      mkdirSync(path);
      chmodSync(path, 0o755); // exact, whatever the umask
      this.realDirs.add(resolved.parts.slice(0, i + 1).join('/'));
      if (this.opts.whiteouts === 'delete') this.written.add(path);
    });
    this.dirs.set(key, path);
    return path;
  }

  private node(rel: string): PathNode {
    if (this.realDirs.has(rel)) return { kind: 'dir' };
    const path = `${this.root}/${rel}`;
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (st === undefined) return { kind: 'missing' };
    if (st.isDirectory()) {
      this.realDirs.add(rel);
      return { kind: 'dir' };
    }
    if (st.isSymbolicLink()) return { kind: 'symlink', target: readlinkSync(path) };
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
      for await (const chunk of content) {
        for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
      }
      applyMeta({ path, fd }, meta);
    } finally {
      closeSync(fd);
    }
  }

  private async hardlink(path: string, linkname: string): Promise<void> {
    const parts = cleanEntryPath(linkname);
    const base = parts.pop();
    if (base === undefined) throw new Error('hardlink to the layer root');
    const target = `${this.dir(parts)}/${base}`;
    let st = lstatSync(target, { throwIfNoEntry: false });
    if (st !== undefined && this.opts.whiteouts === 'overlay' && isWhiteoutDevice(st)) {
      throw new Error(`hardlink target ${JSON.stringify(linkname)} was deleted by this layer`);
    }
    if (st === undefined && this.opts.lowers) {
      // The target is in a parent layer: copy it up so both names share one inode here.
      const lower = lookupLower(this.opts.lowers, target.slice(this.root.length + 1));
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
    const dir = this.dir(parts);
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
