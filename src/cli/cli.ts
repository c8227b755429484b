// Global flags, command lookup, flag parsing and docker's exit-code rules.
import { Client, resolveHost } from '../client/client.ts';
import { describeError, StatusError } from './command.ts';
import type { Command, Context } from './command.ts';
import { FlagError, parseFlags } from './flags.ts';
import type { FlagSpec } from './flags.ts';
import { argsError, BIN, commandHelp, flagErrorText, groupHelp, helpWidth, rootHelp } from './help.ts';
import { aliasesOf, commands, groups } from './registry.ts';
import type { Entry } from './registry.ts';
import { berthVersion } from './version-info.ts';

const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'config', kind: 'string', usage: 'Location of client config files', default: '~/.berth' },
  { name: 'debug', short: 'D', kind: 'bool', usage: 'Enable debug mode' },
  { name: 'host', short: 'H', kind: 'list', usage: 'Daemon socket to connect to' },
  { name: 'log-level', short: 'l', kind: 'string', usage: 'Set the logging level ("debug", "info", "warn", "error", "fatal")', default: 'info' },
  { name: 'version', short: 'v', kind: 'bool', usage: 'Print version information and quit' },
];

export interface Io {
  stdin: Context['stdin'];
  stdout: Context['stdout'];
  stderr: Context['stderr'];
  env: NodeJS.ProcessEnv;
}

const processIo = (): Io => ({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });

function fail(io: Io, message: string, code: number): number {
  if (message) io.stderr.write(message + '\n');
  return code;
}

/** Runs one berth invocation and returns its exit code. */
export async function cli(argv: string[], io: Io = processIo()): Promise<number> {
  let global;
  try {
    global = parseFlags(GLOBAL_FLAGS, argv, false);
  } catch (e) {
    if (e instanceof FlagError) return fail(io, `${e.message}\n\nUsage:  ${BIN} [OPTIONS] COMMAND [ARG...]\n\nRun '${BIN} --help' for more information`, 125);
    throw e;
  }
  const cols = helpWidth(io.stdout);
  if (global.flags.bool('version')) {
    const v = berthVersion();
    io.stdout.write(`${BIN} version ${v.version}, build ${v.commit}\n`);
    return 0;
  }
  const hosts = global.flags.list('host');
  if (hosts.length > 1) return fail(io, 'Specify only one -H', 1);
  const [name, ...rest] = global.args;
  if (name === undefined || global.help) {
    (global.help ? io.stdout : io.stderr).write(rootHelp(GLOBAL_FLAGS, cols));
    return 0;
  }

  let path = `${BIN} ${name}`;
  let found: Entry | undefined;
  let args = rest;
  const group = groups[name];
  if (group) {
    const [sub, ...subArgs] = rest;
    if (sub === undefined || sub === '--help' || sub === '-h') {
      // Asked-for help goes to stdout; a bare group name gets it on stderr, as docker does.
      if (sub === '-h') io.stdout.write('Flag shorthand -h has been deprecated, use --help\n');
      (sub === undefined ? io.stderr : io.stdout).write(groupHelp(name, group));
      return 0;
    }
    found = group.commands[sub];
    if (!found) {
      return fail(io, `${BIN}: unknown command: ${path} ${sub}\n\nUsage:  ${[path, group.usage].filter(Boolean).join(' ')}\n\nRun '${path} --help' for more information`, 1);
    }
    // An alias (list, remove) goes by its command's own name, as cobra's paths do.
    path += ` ${Object.keys(group.commands).find((n) => group.commands[n] === found)}`;
    args = subArgs;
  } else {
    found = commands[name];
    if (!found) return fail(io, `${BIN}: unknown command: ${BIN} ${name}\n\nRun '${BIN} --help' for more information`, 1);
  }

  const cmd: Command = await found.load();
  let parsed;
  try {
    parsed = parseFlags(cmd.flags, args, cmd.interspersed !== false);
  } catch (e) {
    if (e instanceof FlagError) return fail(io, flagErrorText(path, cmd, e.message), 125);
    throw e;
  }
  for (const w of parsed.warnings) io.stdout.write(w + '\n');
  if (parsed.help) {
    io.stdout.write(commandHelp(path, found.short, cmd, aliasesOf(found), cols));
    return 0;
  }
  const argsProblem = argsError(path, cmd, parsed.args.length);
  if (argsProblem) return fail(io, argsProblem, 1);

  let client: Client;
  try {
    client = new Client(resolveHost(hosts[0], io.env));
  } catch (e) {
    return fail(io, (e as Error).message, 1);
  }
  const ctx: Context = { path, client, stdin: io.stdin, stdout: io.stdout, stderr: io.stderr, env: io.env, debug: global.flags.bool('debug') };
  try {
    return (await cmd.run(ctx, parsed.flags, parsed.args)) ?? 0;
  } catch (e) {
    if (e instanceof StatusError) return fail(io, e.message, e.status || 1);
    return fail(io, describeError(e), 1);
  }
}
