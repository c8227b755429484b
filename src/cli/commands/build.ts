// berth build (image build, builder build): docker's classic build client.
// The context goes up as a tar with the upload's size reported as docker
// does, the daemon's JSON stream comes back through the jsonmessage display,
// -q keeps everything but the image ID (or, on failure, prints it all to
// stderr), and -o exports the built image's files afterwards.
import { createGzip } from 'node:zlib';
import { rm, writeFile } from 'node:fs/promises';
import { Transform, Writable, type Readable } from 'node:stream';
import { buildImage, type BuildRequest } from '../../client/build.ts';
import { StatusError, type Command, type Context } from '../command.ts';
import { checkPlatform } from '../../build/build-params.ts';
import { normalizeExtraHost } from '../../network/extra-hosts.ts';
import { parseOutputs, readSecrets, validateTag } from '../build-options.ts';
import { parseUlimit } from '../container-opts.ts';
import type { FlagSpec, ParsedFlags } from '../flags.ts';
import { displayJsonMessages, JsonMessageError } from '../jsonmessage.ts';
import { BuildProgress, displayBuildProgress } from '../build-progress.ts';
import { kvToMap, resolveEnv, validateEnv, validateLabel } from '../kvfile.ts';
import { humanSize, ramInBytes } from '../units.ts';

const bytes = (v: string): string => String(ramInBytes(v));

const FLAGS: FlagSpec[] = [
  { name: 'add-host', kind: 'list', usage: 'Add a custom host-to-IP mapping ("host:ip")', validate: normalizeExtraHost },
  { name: 'build-arg', kind: 'list', usage: 'Set build-time variables', validate: validateEnv },
  // Also berth's exported caches ("type=local,src=path"), which is why its values are not split at commas here.
  { name: 'cache-from', kind: 'list', type: 'strings', usage: 'Images to consider as cache sources' },
  { name: 'cache-to', kind: 'list', usage: 'Cache export destination (format: "type=local,dest=path" or "type=registry,ref=name[,mode=min|max]")' },
  { name: 'cgroup-parent', kind: 'string', usage: 'Set the parent cgroup for the "RUN" instructions during build' },
  { name: 'compress', kind: 'bool', usage: 'Compress the build context using gzip' },
  { name: 'cpu-period', kind: 'int', usage: 'Limit the CPU CFS (Completely Fair Scheduler) period' },
  { name: 'cpu-quota', kind: 'int', usage: 'Limit the CPU CFS (Completely Fair Scheduler) quota' },
  { name: 'cpu-shares', short: 'c', kind: 'int', usage: 'CPU shares (relative weight)' },
  { name: 'cpuset-cpus', kind: 'string', usage: 'CPUs in which to allow execution (0-3, 0,1)' },
  { name: 'cpuset-mems', kind: 'string', usage: 'MEMs in which to allow execution (0-3, 0,1)' },
  { name: 'disable-content-trust', kind: 'bool', usage: 'Skip image verification', default: true },
  { name: 'file', short: 'f', kind: 'string', usage: 'Name of the Dockerfile (Default is "PATH/Dockerfile")' },
  { name: 'force-rm', kind: 'bool', usage: 'Always remove intermediate containers' },
  { name: 'iidfile', kind: 'string', usage: 'Write the image ID to the file' },
  { name: 'isolation', kind: 'string', usage: 'Container isolation technology' },
  { name: 'label', kind: 'list', usage: 'Set metadata for an image', validate: validateLabel },
  { name: 'memory', short: 'm', kind: 'string', type: 'bytes', usage: 'Memory limit', validate: bytes },
  {
    name: 'memory-swap', kind: 'string', type: 'bytes', usage: 'Swap limit equal to memory plus swap: -1 to enable unlimited swap',
    validate: (v) => (v === '-1' ? v : bytes(v)),
  },
  { name: 'network', kind: 'string', usage: 'Set the networking mode for the RUN instructions during build', default: 'default' },
  { name: 'no-cache', kind: 'bool', usage: 'Do not use cache when building the image' },
  // berth's additions, after buildx's: stages built without the cache, secrets for RUN --mount=type=secret, exports.
  { name: 'no-cache-filter', kind: 'list', usage: 'Do not cache specified stages' },
  { name: 'output', short: 'o', kind: 'list', usage: 'Output destination (format: "type=local,dest=path")' },
  { name: 'platform', kind: 'string', usage: 'Set platform if server is multi-platform capable' },
  { name: 'progress', kind: 'string', usage: 'Set type of progress output ("auto", "plain", "tty"). Use plain to show container output', default: 'auto' },
  { name: 'pull', kind: 'bool', usage: 'Always attempt to pull a newer version of the image' },
  { name: 'quiet', short: 'q', kind: 'bool', usage: 'Suppress the build output and print image ID on success' },
  { name: 'rm', kind: 'bool', usage: 'Remove intermediate containers after a successful build', default: true },
  { name: 'secret', kind: 'list', usage: 'Secret to expose to the build (format: "id=mysecret[,src=/local/secret]")' },
  { name: 'security-opt', kind: 'list', type: 'strings', csv: true, usage: 'Security options' },
  { name: 'shm-size', kind: 'string', type: 'bytes', usage: 'Size of "/dev/shm"', validate: bytes },
  // Experimental in docker, which hides it from daemons that are not (as berthd is not).
  { name: 'squash', kind: 'bool', usage: 'Squash newly built layers into a single new layer', hidden: true },
  { name: 'tag', short: 't', kind: 'list', usage: 'Name and optionally a tag in the "name:tag" format', validate: validateTag },
  { name: 'target', kind: 'string', usage: 'Set the target build stage to build.' },
  // pflag shows the ulimit option's empty default as "[]".
  { name: 'ulimit', kind: 'list', type: 'ulimit', usage: 'Ulimit options (default [])', validate: (v) => (parseUlimit(v), v) },
];

export const build: Command = {
  use: '[OPTIONS] PATH | -',
  args: { min: 1, max: 1 },
  flags: FLAGS,
  run: runBuild,
};

/** What docker's progress output says while the context goes up. */
export const UPLOAD_ACTION = 'Sending build context to berth daemon';

/** A sink that keeps what -q holds back. */
class Held extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** `body` as it is read, telling `done` its size and how long it took once it has all gone. */
function countContext(body: Readable, done: (bytes: number, ms: number) => void): Readable {
  const started = performance.now();
  let sent = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, next) {
      sent += chunk.length;
      next(null, chunk);
    },
    flush(next) {
      done(sent, performance.now() - started);
      next();
    },
  });
  body.on('error', (err) => counter.destroy(new Error(`error sending build context: ${err.message}`)));
  return body.pipe(counter);
}

/** docker's progress reader reports every 512 kB, ten times a second at the most. */
const UPDATE_BYTES = 512 * 1024;
const UPDATE_MS = 100;

/**
 * `body` as it is read, reporting the bytes sent as docker's progress
 * reader does: on a terminal as it goes, always once at the end
 * ("<action>  3.072kB\r\r\n").
 */
export function countUpload(body: Readable, out: Writable, tty: boolean): Readable {
  let sent = 0;
  let counted = 0;
  let shownAt = 0;
  const line = (): string => `${UPLOAD_ACTION} ${humanSize(sent).padStart(8)}\r`;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sent += chunk.length;
      if (tty && sent - counted > UPDATE_BYTES) {
        counted = sent;
        if (Date.now() - shownAt >= UPDATE_MS) {
          shownAt = Date.now();
          out.write(line());
        }
      }
      done(null, chunk);
    },
    flush(done) {
      out.write(`${line()}\r\n`);
      done();
    },
  });
  // Not the file system's error itself: its code (ENOENT) would read as a daemon that cannot be reached.
  body.on('error', (err) => counter.destroy(new Error(`error sending build context: ${err.message}`)));
  return body.pipe(counter);
}

function request(ctx: Context, flags: ParsedFlags, dockerfile: string, platform: string, secrets: Map<string, Buffer>, cacheFrom: string[]): BuildRequest {
  const buildArgs: Record<string, string | null> = {};
  for (const arg of flags.list('build-arg').map((a) => resolveEnv(a, ctx.env))) {
    const eq = arg.indexOf('=');
    if (eq < 0) buildArgs[arg] = null;
    else buildArgs[arg.slice(0, eq)] = arg.slice(eq + 1);
  }
  const num = (name: string): number => Number(flags.string(name) || 0);
  return {
    tags: flags.list('tag'),
    dockerfile,
    buildArgs,
    labels: kvToMap(flags.list('label')),
    target: flags.string('target'),
    quiet: flags.bool('quiet'),
    noCache: flags.bool('no-cache'),
    noCacheFilter: flags.list('no-cache-filter'),
    pull: flags.bool('pull'),
    remove: flags.bool('rm'),
    forceRemove: flags.bool('force-rm'),
    networkMode: flags.string('network'),
    platform,
    extraHosts: flags.list('add-host'),
    securityOpt: flags.list('security-opt'),
    cacheFrom,
    isolation: flags.string('isolation'),
    squash: flags.bool('squash'),
    cgroupParent: flags.string('cgroup-parent'),
    cpuSetCpus: flags.string('cpuset-cpus'),
    cpuSetMems: flags.string('cpuset-mems'),
    cpuShares: flags.int('cpu-shares'),
    cpuQuota: flags.int('cpu-quota'),
    cpuPeriod: flags.int('cpu-period'),
    memory: num('memory'),
    memorySwap: num('memory-swap'),
    shmSize: num('shm-size'),
    ulimits: flags.list('ulimit').map(parseUlimit).map((u) => ({ Name: u.Name, Hard: u.Hard, Soft: u.Soft })),
    secrets,
  };
}

async function runBuild(ctx: Context, flags: ParsedFlags, [spec = '']: string[]): Promise<void> {
  const platformFlag = flags.changed('platform') ? flags.string('platform') : (ctx.env.DOCKER_DEFAULT_PLATFORM ?? '');
  const platform = platformFlag ? checkPlatform(platformFlag) : '';
  const output = parseOutputs(flags.list('output'));
  const tarToStdout = output?.type === 'tar' && output.dest === '-';
  if (tarToStdout && ctx.stdout.isTTY) throw new Error('dest file is required for tar exporter. refusing to write to console');
  const secrets = await readSecrets(flags.list('secret'), ctx.env);
  // The cache archive code loads only when a cache is exported or imported.
  const cacheFlags = flags.list('cache-to').length > 0 || flags.list('cache-from').some((v) => /(^|,)type=/.test(v));
  const caches = cacheFlags ? await import('../build-cache.ts') : undefined;
  const cacheTo = caches ? flags.list('cache-to').map(caches.parseCacheTo) : [];
  const cacheFrom = caches ? caches.parseCacheFrom(flags.list('cache-from')) : { imports: [], images: flags.list('cache-from').flatMap((v) => v.split(',')) };
  const quiet = flags.bool('quiet');
  // With the image's tar on stdout, everything else goes to stderr.
  const out = tarToStdout ? ctx.stderr : ctx.stdout;
  const tty = !tarToStdout && Boolean(ctx.stdout.isTTY);
  const progress = quiet ? new Held() : out;
  const shown = quiet ? new Held() : out;
  // As docker: BuildKit's step display unless DOCKER_BUILDKIT=0 asks for the legacy builder's output.
  const mode = flags.string('progress');
  if (!['auto', 'plain', 'tty'].includes(mode)) throw new Error(`invalid progress mode ${JSON.stringify(mode)}: auto, plain or tty`);
  const legacy = ['0', 'false'].includes((ctx.env.DOCKER_BUILDKIT ?? '').toLowerCase());
  const steps = legacy || quiet ? undefined : new BuildProgress(shown, mode === 'tty' || (mode === 'auto' && tty));
  const held = (): string => (progress instanceof Held ? progress.text : '') + (shown instanceof Held ? shown.text : '');

  const iidfile = flags.string('iidfile');
  // No stale file if the build fails.
  if (iidfile) {
    await rm(iidfile, { force: true }).catch((err: Error) => {
      throw new Error(`Removing image ID file: ${err.message}`);
    });
  }

  // The archive code loads only for a build: --help and flag errors stay quick.
  const { openBuildContext } = await import('../build-context.ts');
  const context = await openBuildContext(spec, flags.string('file'), ctx.stdin);
  if (caches) await caches.importCaches(ctx.client, cacheFrom.imports, ctx.env, progress);
  let imageId = '';
  try {
    const body = flags.bool('compress') ? context.body.pipe(createGzip()) : context.body;
    const sent = steps ? countContext(body, (bytes, ms) => steps.context(humanSize(bytes), ms)) : countUpload(body, progress, tty);
    const res = await buildImage(ctx.client, sent, { ...request(ctx, flags, context.dockerfile, platform, secrets, cacheFrom.images), stepTimes: steps !== undefined }).catch((err: unknown) => {
      if (quiet) ctx.stderr.write(held());
      throw err;
    });
    const onAux = (aux: unknown): void => {
      const id = (aux as { ID?: unknown } | null)?.ID;
      if (typeof id === 'string') imageId = id;
    };
    try {
      if (steps) await displayBuildProgress(res, steps, onAux);
      else await displayJsonMessages(res, shown, { tty, width: ctx.stdout.columns, onAux });
    } catch (err) {
      if (!(err instanceof JsonMessageError)) throw err;
      if (quiet) ctx.stderr.write(held());
      throw new StatusError(1, err.message);
    }
  } finally {
    await context.cleanup();
  }

  // -q: the daemon's quiet stream is the ID, which is what gets printed (and written to --iidfile).
  const printed = shown instanceof Held ? shown.text : imageId;
  if (quiet) out.write(printed);
  if (iidfile) {
    if (!printed) throw new Error(`Server did not provide an image ID. Cannot write ${iidfile}`);
    await writeFile(iidfile, printed, { mode: 0o666 });
  }
  for (const to of cacheTo) await caches!.exportCache(ctx.client, imageId || printed.trim(), to, ctx.env, progress);
  if (output) await (await import('../build-output.ts')).exportImage(ctx.client, imageId || printed.trim(), output, ctx.stdout);
}
