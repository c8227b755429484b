import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlagError, flagUsages, parseFlags, parseGoInt } from '../../src/cli/flags.ts';
import type { FlagSpec } from '../../src/cli/flags.ts';

const SPECS: FlagSpec[] = [
  { name: 'interactive', short: 'i', kind: 'bool', usage: 'Keep STDIN open' },
  { name: 'tty', short: 't', kind: 'bool', usage: 'Allocate a pseudo-TTY' },
  { name: 'env', short: 'e', kind: 'list', usage: 'Set environment variables' },
  { name: 'name', kind: 'string', usage: 'Assign a name' },
  { name: 'last', short: 'n', kind: 'int', usage: 'Show n last', default: -1 },
  { name: 'sig-proxy', kind: 'bool', usage: 'Proxy signals', default: true },
  { name: 'time', kind: 'int', usage: 'old', hidden: true, deprecated: 'use --timeout instead' },
];

function flagError(argv: string[], message: string, interspersed = true): void {
  assert.throws(() => parseFlags(SPECS, argv, interspersed), (e: unknown) => e instanceof FlagError && e.message === message);
}

test('short clusters, attached values and long forms', () => {
  const { flags, args } = parseFlags(SPECS, ['-it', '-eA=1', '-e=B=2', '-e', 'C=3', '--env=D=4', '--env', 'E=5', '--name', 'web', '-n3', 'img']);
  assert.equal(flags.bool('interactive'), true);
  assert.equal(flags.bool('tty'), true);
  assert.deepEqual(flags.list('env'), ['A=1', 'B=2', 'C=3', 'D=4', 'E=5']);
  assert.equal(flags.string('name'), 'web');
  assert.equal(flags.int('last'), 3);
  assert.deepEqual(args, ['img']);
});

test('defaults, changed and bool values', () => {
  const { flags } = parseFlags(SPECS, ['--sig-proxy=false', '-t=false']);
  assert.equal(flags.bool('sig-proxy'), false);
  assert.equal(flags.bool('tty'), false);
  assert.equal(flags.changed('tty'), true);
  assert.equal(flags.int('last'), -1);
  assert.equal(flags.changed('last'), false);
  assert.deepEqual(flags.list('env'), []);
});

test('non-interspersed commands stop at the first argument; -- always does', () => {
  const run = parseFlags(SPECS, ['-i', 'img', 'sh', '-c', '-t'], false);
  assert.deepEqual(run.args, ['img', 'sh', '-c', '-t']);
  assert.equal(run.flags.bool('tty'), false);
  const ps = parseFlags(SPECS, ['a', '-t', 'b'], true);
  assert.deepEqual(ps.args, ['a', 'b']);
  assert.equal(ps.flags.bool('tty'), true);
  assert.deepEqual(parseFlags(SPECS, ['--', '-t']).args, ['-t']);
  assert.deepEqual(parseFlags(SPECS, ['-']).args, ['-']);
});

test("pflag's error messages", () => {
  flagError(['--foo'], 'unknown flag: --foo');
  flagError(['-z'], "unknown shorthand flag: 'z' in -z");
  flagError(['-iz'], "unknown shorthand flag: 'z' in -iz");
  flagError(['-e'], "flag needs an argument: 'e' in -e");
  flagError(['--name'], 'flag needs an argument: --name');
  flagError(['-n', 'x'], 'invalid argument "x" for "-n, --last" flag: strconv.ParseInt: parsing "x": invalid syntax');
  flagError(['--sig-proxy=maybe'], 'invalid argument "maybe" for "--sig-proxy" flag: strconv.ParseBool: parsing "maybe": invalid syntax');
  flagError(['---x'], 'bad flag syntax: ---x');
});

test('validators reject values at parse time', () => {
  const specs: FlagSpec[] = [{ name: 'filter', short: 'f', kind: 'list', usage: '', validate: (v) => { if (!v.includes('=')) throw new Error('bad format of filter (expected name=value)'); return v; } }];
  assert.throws(() => parseFlags(specs, ['-f', 'x']), /invalid argument "x" for "-f, --filter" flag: bad format of filter \(expected name=value\)/);
});

test('help flag, its deprecated shorthand, and deprecation notes', () => {
  assert.equal(parseFlags(SPECS, ['--help']).help, true);
  const short = parseFlags(SPECS, ['-h']);
  assert.equal(short.help, true);
  assert.deepEqual(short.warnings, ['Flag shorthand -h has been deprecated, use --help']);
  assert.deepEqual(parseFlags(SPECS, ['--time', '3']).warnings, ['Flag --time has been deprecated, use --timeout instead']);
  // A command with its own -h (run's --hostname) keeps it.
  const run = parseFlags([{ name: 'hostname', short: 'h', kind: 'string', usage: '' }], ['-h', 'box']);
  assert.equal(run.flags.string('hostname'), 'box');
  assert.equal(run.help, false);
});

test('Go integer syntax', () => {
  assert.equal(parseGoInt('10'), 10);
  assert.equal(parseGoInt('-5'), -5);
  assert.equal(parseGoInt('0x1f'), 31);
  assert.equal(parseGoInt('0o17'), 15);
  assert.equal(parseGoInt('017'), 15);
  assert.equal(parseGoInt('1_000'), 1000);
  assert.throws(() => parseGoInt('1.5'), /invalid syntax/);
});

test("help text is laid out like pflag's, wrapped one column short of 80", () => {
  const out = flagUsages(
    [
      { name: 'all', short: 'a', kind: 'bool', usage: 'Show all containers (default shows just running)' },
      { name: 'latest', short: 'l', kind: 'bool', usage: 'Show the latest created container (includes all states)' },
      { name: 'format', kind: 'string', usage: 'Format output' },
      { name: 'last', short: 'n', kind: 'int', usage: 'Show n last created containers (includes all states)', default: -1 },
      { name: 'tail', kind: 'string', usage: 'Lines', default: 'all' },
      { name: 'secret', kind: 'bool', usage: 'hidden', hidden: true },
    ],
    79,
  );
  assert.equal(
    out,
    [
      '  -a, --all             Show all containers (default shows just running)',
      '      --format string   Format output',
      '  -n, --last int        Show n last created containers (includes all',
      '                        states) (default -1)',
      '  -l, --latest          Show the latest created container (includes all',
      '                        states)',
      '      --tail string     Lines (default "all")',
      '',
    ].join('\n'),
  );
});
