// berth cp / container cp: files between a container and the local
// filesystem, with docker's rules for names, symlinks and messages.
import { posix } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { copyFromContainer, copyToContainer, statContainerPath, type PathStat } from '../../client/container-fs.ts';
import type { Command, Context } from '../command.ts';
import {
  copyInfoSourcePath, copyTo, getRebaseName, goClean, goDir, goStat, prepareArchiveCopy, rebaseArchiveEntries,
  resolveLocalPath, splitPathDirEntry, tarResource, type CopyInfo,
} from '../copy-archive.ts';
import { goQuote } from '../gofmt.ts';
import { BIN } from '../help.ts';
import { humanSize } from '../units.ts';

interface CopyOptions {
  followLink: boolean;
  copyUIDGID: boolean;
  quiet: boolean;
}

// Go's os.FileMode bits, as the daemon's path stat carries them.
const MODE_DIR = 31;
const MODE_SYMLINK = 27;
const MODE_DEVICE = 26;
const MODE_IRREGULAR = 19;
const hasBit = (mode: number, bit: number): boolean => Math.floor(mode / 2 ** bit) % 2 === 1;

export const cp: Command = {
  use: `[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\t${BIN} cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH`,
  long: `Copy files/folders between a container and the local filesystem

Use '-' as the source to read a tar archive from stdin
and extract it to a directory destination in a container.
Use '-' as the destination to stream a tar archive of a
container source to stdout.`,
  args: { min: 2, max: 2 },
  flags: [
    { name: 'archive', short: 'a', kind: 'bool', usage: 'Archive mode (copy all uid/gid information)' },
    { name: 'follow-link', short: 'L', kind: 'bool', usage: 'Always follow symbol link in SRC_PATH' },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached' },
  ],
  async run(ctx, flags, [source = '', destination = '']) {
    if (source === '') throw new Error('source can not be empty');
    if (destination === '') throw new Error('destination can not be empty');
    const opts: CopyOptions = {
      followLink: flags.bool('follow-link'),
      copyUIDGID: flags.bool('archive'),
      quiet: flags.changed('quiet') ? flags.bool('quiet') : !ctx.stdout.isTTY,
    };
    const [srcContainer, srcPath] = splitCpArg(source);
    const [dstContainer, dstPath] = splitCpArg(destination);
    if (srcContainer && dstContainer) throw new Error('copying between containers is not supported');
    if (srcContainer) return fromContainer(ctx, srcContainer, srcPath, dstPath, opts);
    if (dstContainer) return toContainer(ctx, dstContainer, srcPath, dstPath, opts);
    throw new Error('must specify at least one container source');
  },
};

/**
 * CONTAINER:PATH or a local path. A local path with a colon in it must say
 * it is one: absolute, or starting with "." ("./file:name").
 */
export function splitCpArg(arg: string): [string, string] {
  if (arg.startsWith('/')) return ['', arg];
  const colon = arg.indexOf(':');
  if (colon < 0 || arg.startsWith('.')) return ['', arg];
  return [arg.slice(0, colon), arg.slice(colon + 1)];
}

async function fromContainer(ctx: Context, container: string, src: string, dst: string, opts: CopyOptions): Promise<void> {
  const dstPath = dst === '-' ? dst : resolveLocalPath(dst);
  await validateOutputPath(dstPath);
  let srcPath = src;
  let rebaseName: string | undefined;
  if (opts.followLink) {
    const stat = await statContainerPath(ctx.client, container, srcPath).catch(() => undefined);
    if (stat && hasBit(stat.mode, MODE_SYMLINK)) [srcPath, rebaseName] = getRebaseName(srcPath, linkTarget(stat, srcPath));
  }
  const { content, stat } = await copyFromContainer(ctx.client, container, srcPath);
  if (dstPath === '-') {
    await pipeline(content, ctx.stdout, { end: false });
    return;
  }
  const srcInfo: CopyInfo = { path: srcPath, exists: true, isDir: hasBit(stat.mode, MODE_DIR), rebaseName };
  const counted = counting(content);
  const archive = rebaseName ? rebaseArchiveEntries(counted.stream, splitPathDirEntry(srcPath)[1], rebaseName) : counted.stream;
  const failed = await copyTo(archive, srcInfo, dstPath).then(() => undefined, (err: unknown) => err);
  content.destroy();
  // docker 28 reports the bytes it read even when the copy failed.
  if (!opts.quiet) ctx.stderr.write(`Successfully copied ${humanSize(counted.bytes(), 3)} to ${dstPath}\n`);
  if (failed) throw failed;
}

async function toContainer(ctx: Context, container: string, src: string, dstPath: string, opts: CopyOptions): Promise<void> {
  const dstInfo: CopyInfo = { path: dstPath, exists: false, isDir: false };
  // What the destination is decides how the archive is named; a failed stat
  // means it does not exist yet, which is fine when its parent does.
  let stat = await statContainerPath(ctx.client, container, dstPath).catch(() => undefined);
  if (stat && hasBit(stat.mode, MODE_SYMLINK)) {
    dstInfo.path = linkTarget(stat, dstPath);
    stat = await statContainerPath(ctx.client, container, dstInfo.path).catch(() => undefined);
  }
  if (stat) {
    const problem = hasBit(stat.mode, MODE_DEVICE) ? 'got a device' : hasBit(stat.mode, MODE_IRREGULAR) ? 'got an irregular file' : '';
    if (problem) throw new Error(`destination "${container}:${dstPath}" must be a directory or a regular file: ${problem}`);
    dstInfo.exists = true;
    dstInfo.isDir = hasBit(stat.mode, MODE_DIR);
  }
  let content: Readable;
  let dir: string;
  let bytes = (): number => 0;
  if (src === '-') {
    if (!dstInfo.isDir) throw new Error(`destination "${container}:${dstPath}" must be a directory`);
    content = ctx.stdin;
    dir = dstInfo.path;
  } else {
    const srcInfo = await copyInfoSourcePath(resolveLocalPath(src), opts.followLink);
    const tar = tarResource(srcInfo);
    let prepared;
    try {
      prepared = prepareArchiveCopy(tar, srcInfo, dstInfo);
    } catch (err) {
      tar.destroy();
      throw err;
    }
    const counted = counting(prepared.content);
    content = counted.stream;
    bytes = counted.bytes;
    dir = prepared.dir;
  }
  const failed = await copyToContainer(ctx.client, container, dir, content, opts.copyUIDGID).then(() => undefined, (err: unknown) => err);
  if (!opts.quiet) ctx.stderr.write(`Successfully copied ${humanSize(bytes(), 3)} to ${container}:${dstInfo.path}\n`);
  if (failed) throw failed;
}

/** A symlink's target as the daemon resolved it; relative ones (older daemons) taken from the link's directory. */
function linkTarget(stat: PathStat, path: string): string {
  return stat.linkTarget.startsWith('/') ? stat.linkTarget : posix.join(splitPathDirEntry(path)[0], stat.linkTarget);
}

/** docker's ValidateOutputPath: the parent must exist, and what is there already must be a directory or a regular file. */
async function validateOutputPath(path: string): Promise<void> {
  const dir = goDir(goClean(path));
  if (dir !== '.' && !(await goStat('stat', dir, true))) throw new Error(`invalid output path: directory ${goQuote(dir)} does not exist`);
  const st = await goStat('stat', path, true);
  if (st && (st.isBlockDevice() || st.isCharacterDevice())) {
    throw new Error(`invalid output path: ${goQuote(path)} must be a directory or a regular file: got a device`);
  }
}

/** `input` passed through, counting the bytes that went by. */
function counting(input: Readable): { stream: Readable; bytes: () => number } {
  let n = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      n += chunk.length;
      done(null, chunk);
    },
  });
  input.on('error', (err) => stream.destroy(err));
  input.pipe(stream);
  return { stream, bytes: () => n };
}
