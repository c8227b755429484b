// Help and usage texts in docker's layout (its cobra usage template).
import type { ArgsRule, Command } from './command.ts';
import { flagUsages } from './flags.ts';
import type { FlagSpec } from './flags.ts';
import { COMMON, commands, groups, listed } from './registry.ts';
import type { Entry, Group } from './registry.ts';

export const BIN = 'berth';

/** docker wraps flag help one column short of the terminal (80 when there is none). */
export function helpWidth(stdout: { isTTY?: boolean; columns?: number }): number {
  return (stdout.isTTY && stdout.columns ? stdout.columns : 80) - 1;
}

function table(rows: [string, string][]): string {
  const width = Math.max(11, ...rows.map(([n]) => n.length + 1));
  return rows.map(([n, s]) => `  ${n.padEnd(width)} ${s}\n`).join('');
}

export function commandHelp(path: string, short: string, cmd: Command, aliases: string[], cols: number): string {
  let out = `Usage:  ${path} ${cmd.use}\n\n${cmd.long ?? short}\n`;
  if (aliases.length > 1) out += `\nAliases:\n  ${aliases.map((a) => `${BIN} ${a}`).join(', ')}\n`;
  if (cmd.flags.some((f) => !f.hidden)) out += `\nOptions:\n${flagUsages(cmd.flags, cols).trimEnd()}\n`;
  return out;
}

export function groupHelp(name: string, group: Group): string {
  const rows = listed(group).map(([n, e]): [string, string] => [n, e.short]);
  return `Usage:  ${BIN} ${name} COMMAND\n\n${group.short}\n\nCommands:\n${table(rows)}\nRun '${BIN} ${name} COMMAND --help' for more information on a command.\n`;
}

export function rootHelp(globalFlags: FlagSpec[], cols: number): string {
  const rows = (names: [string, Entry | Group][]): string => table(names.map(([n, e]) => [n, e.short]));
  const common = COMMON.map((n): [string, Entry] => [n, commands[n]!]);
  const others = Object.entries(commands).filter(([n]) => !COMMON.includes(n)).sort(([a], [b]) => a.localeCompare(b));
  return (
    `Usage:  ${BIN} [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers\n\n` +
    `Common Commands:\n${rows(common)}\n` +
    `Management Commands:\n${rows(Object.entries(groups))}\n` +
    `Commands:\n${rows(others)}\n` +
    `Global Options:\n${flagUsages(globalFlags, cols)}\n` +
    `Run '${BIN} COMMAND --help' for more information on a command.\n`
  );
}

function plural(n: number): string {
  return n === 1 ? 'argument' : 'arguments';
}

/** cli.RequiresMinArgs and friends; null when the count is fine. */
export function argsError(path: string, cmd: Command, count: number): string | null {
  const rule: ArgsRule = cmd.args ?? {};
  const { min = 0, max = Infinity } = rule;
  if (count >= min && count <= max) return null;
  const usage = `\n\nUsage:  ${path} ${cmd.use}\n\n`;
  let what: string;
  let hint = 'Run';
  if (max === 0) what = 'accepts no arguments';
  else if (min === max) what = `requires ${min} ${plural(min)}`;
  else if (max === Infinity) {
    what = `requires at least ${min} ${plural(min)}`;
    hint = 'See';
  } else if (min === 0) {
    what = `requires at most ${max} ${plural(max)}`;
    // docker 28's cli.RequiresMaxArgs has this typo; scripts match its text.
    hint = 'SRun';
  } else what = `requires at least ${min} and at most ${max} ${plural(max)}`;
  return `${BIN}: '${path}' ${what}${usage}${hint} '${path} --help' for more information`;
}

export function flagErrorText(path: string, cmd: Command, message: string): string {
  return `${message}\n\nUsage:  ${path} ${cmd.use}\n\nRun '${path} --help' for more information`;
}
