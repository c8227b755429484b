// The filesystem measurements (issue 4), identical for every engine, all
// through the docker CLI and every container with --network none: the
// copy-up of an image's many small files into a new named volume, docker cp
// of a tree into a created container and back out, and docker commit of a
// container that wrote a large file. Each is timed alone, with `sync` before
// it so no engine pays for the writeback of what came before; what each
// leaves (volumes, containers, images, host trees) is removed untimed.
//
// On ext4 without a journal (this machine's root) an inode freed less than
// dirty_expire_centisecs ago (30 s, 35 while its table block is dirty) is
// not reused, and every inode allocation walks past each such inode with a
// buffer lookup: for half a minute after a mass deletion, creating a file
// costs time in proportion to what was deleted (50k files: from 2 s to 17 s
// of system time in `cp -a`). So the many-file measurements keep what they
// create until all their samples are taken, and start only once that window
// has passed since the last large removal (the previous engine's root, an
// import's temporary tree, the copy-up's volumes).
import { createHash, randomFillSync } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busyboxTar, type ExtraFile } from '../../test/helpers/busybox.ts';
import type { Daemon } from './daemon.ts';
import type { DockerCli } from './docker.ts';
import type { EngineResult, FsKey, Plan } from './metrics.ts';
import { run, sleep } from './proc.ts';
import { IMAGE, importBusybox, NONE, recorder, type Log } from './record.ts';
import { load1 } from './report.ts';
import { median } from './stats.ts';

/** busybox with FILES_PER_DIR small files in each of /data/dNNN: the image whose /data a new volume is filled from. */
const FILES_IMAGE = 'benchfiles:latest';
const FILES_PER_DIR = 500;
const SMALL_FILE = 256;
/** The docker cp tree: 80% of its bytes in 10 MB files, the rest in 100 kB files spread over 10 directories. */
const BIG_FILE = 10_000_000;
const MID_FILE = 100_000;
const MID_DIRS = 10;
const COMMIT_IMAGE = 'benchcommit';
const LONG = { timeoutMs: 900_000 };

/** How long ext4 keeps a freed inode from reuse (see above), with a second to spare. */
function reuseWindowMs(): number {
  try {
    return Number(readFileSync('/proc/sys/vm/dirty_expire_centisecs', 'utf8')) * 10 + 6000;
  } catch {
    return 36_000;
  }
}

export async function measureFs(d: Daemon, plan: Plan, rootfsTar: Buffer, log: Log): Promise<EngineResult> {
  const { r, attempt } = recorder<FsKey>(log);
  const cli = d.cli;
  r.notes.load1 = load1();
  const seconds = (key: FsKey, xs: number[]): void => {
    r.samples[key] = xs.map(Math.round);
    r.metrics[key] = median(xs);
    log(`  ${key}: median ${(median(xs) / 1000).toFixed(2)} s of ${xs.length} (${xs.map((t) => (t / 1000).toFixed(2)).join(', ')})`);
  };
  /** The time of one command, after a sync that leaves no dirty pages for it to wait on. */
  const timed = async (cmd: () => Promise<{ ms: number }>): Promise<number> => {
    await run('sync', []);
    return (await cmd()).ms;
  };
  const docker = (args: string[]) => () => cli.run(args, LONG);

  // The engine's start follows the removal of the previous engine's root.
  let removedAt = performance.now();
  /** Waits out ext4's inode-reuse window since the last large removal (not in a quick run, whose figures are a smoke test). */
  const afterRemovals = async (): Promise<void> => {
    const wait = plan.quick ? 0 : removedAt + reuseWindowMs() - performance.now();
    if (wait > 0) await sleep(wait);
  };

  await importBusybox(cli, r, rootfsTar);
  // The host's trees live in the daemon's directory: the filesystem the engine's root is on, removed with it.
  const work = join(d.dir, 'fs');
  mkdirSync(work);
  try {
    await attempt('copyUp', async () => {
      const tar = await filesTar(plan.fsFiles);
      r.notes.filesImportMs = Math.round((await cli.run(['import', '-c', 'CMD ["sh"]', '-', FILES_IMAGE], { input: tar, ...LONG })).ms);
      // The same files on the host, for the floor: what `cp -a` of them costs on this filesystem at that moment.
      const floorSrc = join(work, 'files');
      mkdirSync(floorSrc);
      await run('tar', ['-x', '-C', floorSrc, 'data'], { input: tar, ...LONG });
      removedAt = performance.now(); // whatever the import unpacked by way of a temporary tree
      // Untimed warm-ups that also give the same run without a volume, to read the copy-up's share against.
      const bare = async (): Promise<number> => (await cli.run(['run', '--rm', ...NONE, FILES_IMAGE, 'true'])).ms;
      await bare();
      const bareMs: number[] = [];
      for (let i = 0; i < plan.fsRuns; i++) bareMs.push(await bare());
      r.notes.runWithoutVolumeMs = Math.round(median(bareMs));
      const xs: number[] = [];
      const floor: number[] = [];
      const vols: string[] = [];
      try {
        await afterRemovals();
        for (let i = 0; i < plan.fsRuns; i++) {
          floor.push(await timed(() => run('cp', ['-a', join(floorSrc, 'data'), join(work, `floor${i}`)], LONG)));
          const vol = `benchvol${i}`;
          vols.push(vol);
          xs.push(await timed(docker(['run', '--rm', ...NONE, '-v', `${vol}:/data`, FILES_IMAGE, 'true'])));
          const n = await cli.out(['run', '--rm', ...NONE, '-v', `${vol}:/data`, FILES_IMAGE, 'sh', '-c', 'find /data -type f | wc -l']);
          if (Number(n) !== plan.fsFiles) throw new Error(`the new volume holds ${n} files, not the image's ${plan.fsFiles}`);
        }
      } finally {
        await cli.run(['volume', 'rm', '-f', ...vols], { allowFail: true, ...LONG });
        for (const f of ['files', ...floor.map((_, i) => `floor${i}`)]) rmSync(join(work, f), { recursive: true, force: true });
        removedAt = performance.now();
      }
      // What the engine adds to what creating the files costs at that moment: steadier than either figure.
      r.notes.copyUpFloorMs = floor.map(Math.round);
      r.notes.copyUpOverFloorMs = Math.round(median(xs.map((x, i) => x - floor[i]!)));
      log(`  copyUp floor, host cp -a of the same files just before each: ${floor.map((t) => (t / 1000).toFixed(2)).join(', ')} s`);
      seconds('copyUp', xs);
    });

    const ctrs: string[] = [];
    try {
      const src = join(work, 'src');
      let want: Digest | undefined;
      await attempt('cpIn', async () => {
        want = writeTree(src, plan.fsTreeBytes);
        r.notes.cpTree = { files: want.files, bytes: want.bytes };
        await afterRemovals();
        const xs: number[] = [];
        for (let i = 0; i < plan.fsRuns; i++) {
          // Started only afterwards, untimed, to count in the container what arrived.
          const id = await cli.out(['create', ...NONE, IMAGE, 'sh', '-c', 'find /dst -type f | wc -l; find /dst -type f | xargs cat | wc -c']);
          ctrs.push(id);
          xs.push(await timed(docker(['cp', src, `${id}:/dst`])));
          const [files, bytes] = (await cli.out(['start', '-a', id], LONG)).split(/\s+/).map(Number);
          if (files !== want.files || bytes !== want.bytes) {
            throw new Error(`the container holds ${files} files, ${bytes} bytes; ${want.files} files, ${want.bytes} bytes were copied in`);
          }
        }
        seconds('cpIn', xs);
      });
      rmSync(src, { recursive: true, force: true });
      await attempt('cpOut', async () => {
        if (!want || ctrs.length < plan.fsRuns) throw new Error('skipped: the copies into containers failed');
        const xs: number[] = [];
        for (const id of ctrs) {
          const out = join(work, 'out');
          try {
            xs.push(await timed(docker(['cp', `${id}:/dst`, out])));
            const got = treeDigest(out);
            if (got.files !== want.files || got.bytes !== want.bytes || got.sha256 !== want.sha256) {
              throw new Error(`came back as ${got.files} files, ${got.bytes} bytes (sha256 ${got.sha256.slice(0, 12)}); went in as ${want.files} files, ${want.bytes} bytes (${want.sha256.slice(0, 12)})`);
            }
          } finally {
            rmSync(out, { recursive: true, force: true });
          }
        }
        seconds('cpOut', xs);
      });
    } finally {
      await removeContainers(cli, ctrs);
    }

    await attempt('commit', async () => {
      const xs: number[] = [];
      for (let i = 0; i < plan.fsRuns; i++) {
        const img = `${COMMIT_IMAGE}:${i}`;
        const writer: string[] = [];
        try {
          // Random bytes: nothing on the way can make them smaller.
          const id = await cli.out(['run', '-d', ...NONE, IMAGE, 'dd', 'if=/dev/urandom', 'of=/big', 'bs=1000000', `count=${plan.fsCommitBytes / 1e6}`]);
          writer.push(id);
          const code = await cli.out(['wait', id], LONG);
          if (code !== '0') throw new Error(`the writer exited ${code}`);
          xs.push(await timed(docker(['commit', id, img])));
          const size = await cli.out(['run', '--rm', ...NONE, img, 'wc', '-c', '/big']);
          if (Number(size.split(/\s+/)[0]) !== plan.fsCommitBytes) throw new Error(`the committed image's /big: ${size}`);
        } finally {
          await removeContainers(cli, writer);
          await cli.run(['rmi', img], { allowFail: true, ...LONG });
        }
      }
      seconds('commit', xs);
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return r;
}

async function removeContainers(cli: DockerCli, ids: string[]): Promise<void> {
  if (ids.length) await cli.run(['rm', '-f', ...ids], { allowFail: true, ...LONG });
}

const filesTars = new Map<number, Promise<Buffer>>();
/** The busybox rootfs with `files` small files under /data, made once per run. */
function filesTar(files: number): Promise<Buffer> {
  let tar = filesTars.get(files);
  if (!tar) {
    const extra: ExtraFile[] = [{ name: 'data', mode: 0o755 }];
    for (let i = 0; i < files; i++) {
      const dir = `data/d${String(Math.floor(i / FILES_PER_DIR)).padStart(3, '0')}`;
      if (i % FILES_PER_DIR === 0) extra.push({ name: dir, mode: 0o755 });
      extra.push({ name: `${dir}/f${i}`, mode: 0o644, data: Buffer.alloc(SMALL_FILE, `file ${i}\n`) });
    }
    tar = busyboxTar(extra);
    filesTars.set(files, tar);
  }
  return tar;
}

interface Digest {
  files: number;
  bytes: number;
  /** over every file's path (relative, in sorted order) and content */
  sha256: string;
}

/** Writes the docker cp tree of `bytes` random bytes at `dir` and returns its digest. */
function writeTree(dir: string, bytes: number): Digest {
  const big = Math.round((bytes * 0.8) / BIG_FILE);
  const mid = Math.floor((bytes - big * BIG_FILE) / MID_FILE);
  const buf = Buffer.alloc(BIG_FILE);
  // Never recursive: after a Ctrl-C has removed the daemon's directory, nothing is made again under it.
  for (const sub of ['', 'big', 'mid']) mkdirSync(join(dir, sub));
  for (let i = 0; i < big; i++) writeFileSync(join(dir, 'big', `f${i}`), randomFillSync(buf));
  for (let i = 0; i < mid; i++) {
    const sub = join(dir, 'mid', `d${i % MID_DIRS}`);
    if (i < MID_DIRS) mkdirSync(sub);
    writeFileSync(join(sub, `f${i}`), randomFillSync(buf, 0, MID_FILE).subarray(0, MID_FILE));
  }
  return treeDigest(dir);
}

function treeDigest(dir: string): Digest {
  const h = createHash('sha256');
  const d: Digest = { files: 0, bytes: 0, sha256: '' };
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(rel, e.name);
      if (e.isDirectory()) {
        walk(p);
        continue;
      }
      const data = readFileSync(join(dir, p));
      d.files++;
      d.bytes += data.length;
      h.update(`${p}\0${data.length}\0`).update(data);
    }
  };
  walk('.');
  d.sha256 = h.digest('hex');
  return d;
}
