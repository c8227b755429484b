// The command tree. Implementations load on demand so that a command only
// pays for the modules it uses (berth ps must answer fast).
import type { Command } from './command.ts';

export interface Entry {
  short: string;
  load: () => Promise<Command>;
}

export interface Group {
  short: string;
  /** What an unknown subcommand's usage line shows after the group's name (docker's cobra Use). */
  usage?: string;
  commands: Record<string, Entry>;
}

const entry = (short: string, load: () => Promise<Command>): Entry => ({ short, load });

const attach = entry('Attach local standard input, output, and error streams to a running container', async () => (await import('./commands/attach.ts')).attach);
const build = entry('Build an image from a Dockerfile', async () => (await import('./commands/build.ts')).build);
const commit = entry("Create a new image from a container's changes", async () => (await import('./commands/commit.ts')).commit);
const cp = entry('Copy files/folders between a container and the local filesystem', async () => (await import('./commands/cp.ts')).cp);
const create = entry('Create a new container', async () => (await import('./commands/create.ts')).create);
const diff = entry("Inspect changes to files or directories on a container's filesystem", async () => (await import('./commands/diff.ts')).diff);
const events = entry('Get real time events from the server', async () => (await import('./commands/events.ts')).events);
const exec = entry('Execute a command in a running container', async () => (await import('./commands/exec.ts')).exec);
const exportCmd = entry("Export a container's filesystem as a tar archive", async () => (await import('./commands/save.ts')).exportContainerCommand);
const history = entry('Show the history of an image', async () => (await import('./commands/history.ts')).history);
const images = entry('List images', async () => (await import('./commands/images.ts')).images);
const importCmd = entry('Import the contents from a tarball to create a filesystem image', async () => (await import('./commands/load.ts')).importImageCommand);
const info = entry('Display system-wide information', async () => (await import('./commands/info.ts')).info);
const kill = entry('Kill one or more running containers', async () => (await import('./commands/lifecycle.ts')).kill);
const load = entry('Load an image from a tar archive or STDIN', async () => (await import('./commands/load.ts')).load);
const logs = entry('Fetch the logs of a container', async () => (await import('./commands/logs.ts')).logs);
const networkLs = entry('List networks', async () => (await import('./commands/network.ts')).networkLs);
const networkRm = entry('Remove one or more networks', async () => (await import('./commands/network.ts')).networkRm);
const pause = entry('Pause all processes within one or more containers', async () => (await import('./commands/lifecycle.ts')).pause);
const port = entry('List port mappings or a specific mapping for the container', async () => (await import('./commands/port.ts')).port);
const ps = entry('List containers', async () => (await import('./commands/ps.ts')).ps);
const pull = entry('Download an image from a registry', async () => (await import('./commands/pull.ts')).pull);
const push = entry('Upload an image to a registry', async () => (await import('./commands/push.ts')).push);
const rename = entry('Rename a container', async () => (await import('./commands/lifecycle.ts')).rename);
const restart = entry('Restart one or more containers', async () => (await import('./commands/lifecycle.ts')).restart);
const rm = entry('Remove one or more containers', async () => (await import('./commands/lifecycle.ts')).rm);
const rmi = entry('Remove one or more images', async () => (await import('./commands/rmi.ts')).rmi);
const run = entry('Create and run a new container from an image', async () => (await import('./commands/run.ts')).run);
const save = entry('Save one or more images to a tar archive (streamed to STDOUT by default)', async () => (await import('./commands/save.ts')).save);
const start = entry('Start one or more stopped containers', async () => (await import('./commands/start.ts')).start);
const stop = entry('Stop one or more running containers', async () => (await import('./commands/lifecycle.ts')).stop);
const tag = entry('Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', async () => (await import('./commands/tag.ts')).tag);
const top = entry('Display the running processes of a container', async () => (await import('./commands/top.ts')).top);
const unpause = entry('Unpause all processes within one or more containers', async () => (await import('./commands/lifecycle.ts')).unpause);
const version = entry('Show the berth version information', async () => (await import('./commands/version.ts')).version);
const volumeLs = entry('List volumes', async () => (await import('./commands/volume.ts')).volumeLs);
const volumeRm = entry('Remove one or more volumes', async () => (await import('./commands/volume.ts')).volumeRm);
const wait = entry('Block until one or more containers stop, then print their exit codes', async () => (await import('./commands/lifecycle.ts')).wait);

/** Top-level commands; the first block is docker's "Common Commands". */
export const commands: Record<string, Entry> = {
  run, exec, ps, build, pull, push, images, version, info,
  attach, commit, cp, create, diff, events, export: exportCmd, history, import: importCmd,
  inspect: entry('Return low-level information on berth objects', async () => (await import('./commands/inspect.ts')).inspect),
  kill, load, logs, pause, port, rename, restart, rm, rmi, save, start, stop, tag, top, unpause, wait,
};

export const COMMON = ['run', 'exec', 'ps', 'build', 'pull', 'push', 'images', 'version', 'info'];

export const groups: Record<string, Group> = {
  builder: {
    short: 'Manage builds',
    commands: { build, prune: entry('Remove build cache', async () => (await import('./commands/prune.ts')).builderPrune) },
  },
  container: {
    short: 'Manage containers',
    commands: {
      attach, commit, cp, create, diff, exec, export: exportCmd,
      inspect: entry('Display detailed information on one or more containers', async () => (await import('./commands/inspect.ts')).containerInspect),
      kill, logs, ls: ps, list: ps, ps, pause, port,
      prune: entry('Remove all stopped containers', async () => (await import('./commands/prune.ts')).containerPrune),
      rename, restart, rm, remove: rm, run, start, stop, top, unpause, wait,
    },
  },
  image: {
    short: 'Manage images',
    commands: {
      build, history, import: importCmd,
      inspect: entry('Display detailed information on one or more images', async () => (await import('./commands/inspect.ts')).imageInspect),
      load, ls: images, list: images,
      prune: entry('Remove unused images', async () => (await import('./commands/prune.ts')).imagePrune),
      pull, push, rm: rmi, remove: rmi, save, tag,
    },
  },
  network: {
    short: 'Manage networks',
    commands: {
      connect: entry('Connect a container to a network', async () => (await import('./commands/network.ts')).networkConnect),
      create: entry('Create a network', async () => (await import('./commands/network.ts')).networkCreate),
      disconnect: entry('Disconnect a container from a network', async () => (await import('./commands/network.ts')).networkDisconnect),
      inspect: entry('Display detailed information on one or more networks', async () => (await import('./commands/network.ts')).networkInspect),
      ls: networkLs, list: networkLs,
      prune: entry('Remove all unused networks', async () => (await import('./commands/prune.ts')).networkPrune),
      rm: networkRm, remove: networkRm,
    },
  },
  system: {
    short: 'Manage berth',
    commands: {
      df: entry('Show berth disk usage', async () => (await import('./commands/df.ts')).df),
      events, info,
      prune: entry('Remove unused data', async () => (await import('./commands/prune.ts')).systemPrune),
    },
  },
  volume: {
    short: 'Manage volumes',
    usage: 'COMMAND',
    commands: {
      create: entry('Create a volume', async () => (await import('./commands/volume.ts')).volumeCreate),
      inspect: entry('Display detailed information on one or more volumes', async () => (await import('./commands/volume.ts')).volumeInspect),
      ls: volumeLs, list: volumeLs,
      prune: entry('Remove unused local volumes', async () => (await import('./commands/prune.ts')).volumePrune),
      rm: volumeRm, remove: volumeRm,
    },
  },
};

/** Names that hide in listings because another name says the same (container list vs ls). */
const HIDDEN_ALIASES = new Set(['list', 'remove', 'ps']);

export function listed(group: Group): [string, Entry][] {
  return Object.entries(group.commands).filter(([name, e]) => !HIDDEN_ALIASES.has(name) || Object.values(group.commands).filter((x) => x === e).length === 1);
}

/** Every path that runs the same entry, as docker's "Aliases:" line lists them. */
export function aliasesOf(e: Entry): string[] {
  const paths: string[] = [];
  for (const [g, group] of Object.entries(groups)) {
    for (const [name, x] of Object.entries(group.commands)) if (x === e) paths.push(`${g} ${name}`);
  }
  for (const [name, x] of Object.entries(commands)) if (x === e) paths.push(name);
  return paths;
}
