// The lexer against the tables of BuildKit's frontend/dockerfile/shell
// tests: envVarTest (TestShellParser4EnvVars), wordsTest
// (TestShellParser4Words), TestProcessWithMatches and
// TestShellParserMandatoryEnvVars. A row is [input, expected].
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envFromList, EXPANSION, isSpace, ShellError, ShellLex } from '../../src/build/shell-words.ts';
import { PROXY_ARGS, platformArgs } from '../../src/build/build-args.ts';

const ERROR = Symbol('error');

// envVarTest, rows tagged A (all) or U (unix), with its environment.
const ENV_VAR_ROWS: [string, string | typeof ERROR][] = [
  ['$1', ''],
  ["hello", "hello"],
  ["he'll'o", "hello"],
  ["he'llo", ERROR],
  ["he\\'llo", "he'llo"],
  ["he\\\\'llo", ERROR],
  ["abc\\tdef", "abctdef"],
  ["\"abc\\tdef\"", "abc\\tdef"],
  ["\"abc\\\\tdef\"", "abc\\tdef"],
  ["'abc\\tdef'", "abc\\tdef"],
  ["hello\\", "hello"],
  ["hello\\\\", "hello\\"],
  ["\"hello", ERROR],
  ["\"hello\\\"", ERROR],
  ["\"hel'lo\"", "hel'lo"],
  ["'hello", ERROR],
  ["'hello\\'", "hello\\"],
  ["'hello\\there'", "hello\\there"],
  ["'hello\\\\there'", "hello\\\\there"],
  ["\"''\"", "''"],
  ["$.", "$."],
  ["he$1x", "hex"],
  ["he$.x", "he$.x"],
  ["he$pwd.", "he."],
  ["he$PWD", "he/home"],
  ["he\\$PWD", "he$PWD"],
  ["he\\\\$PWD", "he\\/home"],
  ["\"he\\$PWD\"", "he$PWD"],
  ["\"he\\\\$PWD\"", "he\\/home"],
  ["\\${}", "${}"],
  ["\\${}aaa", "${}aaa"],
  ["he\\${}", "he${}"],
  ["he\\${}xx", "he${}xx"],
  ["${}", ERROR],
  ["${}aaa", ERROR],
  ["he${}", ERROR],
  ["he${}xx", ERROR],
  ["he${hi}", "he"],
  ["he${hi}xx", "hexx"],
  ["he${PWD}", "he/home"],
  ["he${.}", ERROR],
  ["he${XXX:-000}xx", "he000xx"],
  ["he${PWD:-000}xx", "he/homexx"],
  ["he${XXX:-$PWD}xx", "he/homexx"],
  ["he${XXX:-${PWD:-yyy}}xx", "he/homexx"],
  ["he${XXX:-${YYY:-yyy}}xx", "heyyyxx"],
  ["he${XXX:YYY}", ERROR],
  ["he${XXX:+${PWD}}xx", "hexx"],
  ["he${PWD:+${XXX}}xx", "hexx"],
  ["he${PWD:+${SHELL}}xx", "hebashxx"],
  ["he${XXX:+000}xx", "hexx"],
  ["he${PWD:+000}xx", "he000xx"],
  ["'he${XX}'", "he${XX}"],
  ["\"he${PWD}\"", "he/home"],
  ["\"he'$PWD'\"", "he'/home'"],
  ["\"$PWD\"", "/home"],
  ["'$PWD'", "$PWD"],
  ["'\\$PWD'", "\\$PWD"],
  ["'\"hello\"'", "\"hello\""],
  ["he\\$PWD", "he$PWD"],
  ["\"he\\$PWD\"", "he$PWD"],
  ["'he\\$PWD'", "he\\$PWD"],
  ["he${PWD", ERROR],
  ["he${PWD:=000}xx", ERROR],
  ["he${PWD:+${PWD}:}xx", "he/home:xx"],
  ["he${XXX:-\\$PWD:}xx", "he$PWD:xx"],
  ["he${XXX:-\\${PWD}z}xx", "he${PWDz}xx"],
  ["안녕하세요", "안녕하세요"],
  ["안'녕'하세요", "안녕하세요"],
  ["안'녕하세요", ERROR],
  ["안녕\\'하세요", "안녕'하세요"],
  ["안\\\\'녕하세요", ERROR],
  ["안녕\\t하세요", "안녕t하세요"],
  ["\"안녕\\t하세요\"", "안녕\\t하세요"],
  ["'안녕\\t하세요", ERROR],
  ["안녕하세요\\", "안녕하세요"],
  ["안녕하세요\\\\", "안녕하세요\\"],
  ["\"안녕하세요", ERROR],
  ["\"안녕하세요\\\"", ERROR],
  ["\"안녕'하세요\"", "안녕'하세요"],
  ["'안녕하세요", ERROR],
  ["'안녕하세요\\'", "안녕하세요\\"],
  ["안녕$1x", "안녕x"],
  ["안녕$.x", "안녕$.x"],
  ["안녕$pwd.", "안녕."],
  ["안녕$PWD", "안녕/home"],
  ["안녕\\$PWD", "안녕$PWD"],
  ["안녕\\\\$PWD", "안녕\\/home"],
  ["안녕\\${}", "안녕${}"],
  ["안녕\\${}xx", "안녕${}xx"],
  ["안녕${}", ERROR],
  ["안녕${}xx", ERROR],
  ["안녕${hi}", "안녕"],
  ["안녕${hi}xx", "안녕xx"],
  ["안녕${PWD}", "안녕/home"],
  ["안녕${.}", ERROR],
  ["안녕${XXX:-000}xx", "안녕000xx"],
  ["안녕${PWD:-000}xx", "안녕/homexx"],
  ["안녕${XXX:-$PWD}xx", "안녕/homexx"],
  ["안녕${XXX:-${PWD:-yyy}}xx", "안녕/homexx"],
  ["안녕${XXX:-${YYY:-yyy}}xx", "안녕yyyxx"],
  ["안녕${XXX:YYY}", ERROR],
  ["안녕${XXX:+${PWD}}xx", "안녕xx"],
  ["안녕${PWD:+${XXX}}xx", "안녕xx"],
  ["안녕${PWD:+${SHELL}}xx", "안녕bashxx"],
  ["안녕${XXX:+000}xx", "안녕xx"],
  ["안녕${PWD:+000}xx", "안녕000xx"],
  ["'안녕${XX}'", "안녕${XX}"],
  ["\"안녕${PWD}\"", "안녕/home"],
  ["\"안녕'$PWD'\"", "안녕'/home'"],
  ["'\"안녕\"'", "\"안녕\""],
  ["안녕\\$PWD", "안녕$PWD"],
  ["\"안녕\\$PWD\"", "안녕$PWD"],
  ["'안녕\\$PWD'", "안녕\\$PWD"],
  ["안녕${PWD", ERROR],
  ["안녕${PWD:=000}xx", ERROR],
  ["안녕${PWD:+${PWD}:}xx", "안녕/home:xx"],
  ["안녕${XXX:-\\$PWD:}xx", "안녕$PWD:xx"],
  ["안녕${XXX:-\\${PWD}z}xx", "안녕${PWDz}xx"],
  ["$KOREAN", "한국어"],
  ["안녕$KOREAN", "안녕한국어"],
  ["${{aaa}", ERROR],
  ["${aaa}}", "}"],
  ["${aaa", ERROR],
  ["${{aaa:-bbb}", ERROR],
  ["${aaa:-bbb}}", "bbb}"],
  ["${aaa:-bbb", ERROR],
  ["${aaa:-bbb}", "bbb"],
  ["${aaa:-${bbb:-ccc}}", "ccc"],
  ["${aaa:-bbb ${foo}", ERROR],
  ["${aaa:-bbb {foo}", "bbb {foo"],
  ["${:}", ERROR],
  ["${:-bbb}", ERROR],
  ["${:+bbb}", ERROR],
];

test('processWord: envVarTest rows', () => {
  const lex = new ShellLex('\\');
  const env = envFromList(['PWD=/home', 'SHELL=bash', 'KOREAN=한국어', 'NULL=']);
  for (const [input, expected] of ENV_VAR_ROWS) {
    if (expected === ERROR) {
      assert.throws(() => lex.processWord(input, env), ShellError, input);
    } else {
      assert.equal(lex.processWord(input, env), expected, input);
    }
  }
});

test('processWords: wordsTest rows (quotes keep spaces, expansions split)', () => {
  const lex = new ShellLex('\\');
  const env = new Map<string, string>();
  const cases: [string, string[] | typeof ERROR, [string, string]?][] = [
    ['hello', ['hello']],
    ['hello${hi}bye', ['hellobye']],
    ['hello${hi}bye', ['hellohibye'], ['hi', 'hi']],
    ['hello${space}bye', ['helloabc', 'defbye'], ['space', 'abc  def']],
    ['hello"${space}"bye', ['helloabc  defbye']],
    ['hello "${space}"bye', ['hello', 'abc  defbye']],
    ['hello${leading}def', ['hello', 'ab', 'cdef'], ['leading', '  ab c']],
    ['hello"${leading}" def', ['hello  ab c', 'def']],
    ['hello"${leading}"', ['hello  ab c']],
    ['hello${leading}', ['hello', 'ab', 'c']],
    ['hello${trailing}', ['helloab', 'c'], ['trailing', 'ab c   ']],
    ['hello${trailing}d', ['helloab', 'c', 'd']],
    ['hello"${trailing}"d', ['helloab c   d']],
    ['hel"lo${trailing}"', ['helloab c   ']],
    ['hello" there  "', ['hello there  ']],
    ['hello there     ', ['hello', 'there']],
    ['hello\\ there', ['hello there']],
    ['hello" there', ERROR],
    ['hello\\" there', ['hello"', 'there']],
    ['hello"\\\\there"', ['hello\\there']],
    ['hello"\\there"', ['hello\\there']],
    ["hello'\\\\there'", ['hello\\\\there']],
    ["hello'\\there'", ['hello\\there']],
    ["hello'$there'", ['hello$there']],
  ];
  for (const [input, expected, set] of cases) {
    if (set) env.set(set[0], set[1]);
    if (expected === ERROR) assert.throws(() => lex.processWords(input, env), ShellError, input);
    else assert.deepEqual(lex.processWords(input, env), expected, input);
  }
});

test('processWords: empty quotes make no word; words split on Go whitespace only', () => {
  const lex = new ShellLex('\\');
  const none = new Map<string, string>();
  assert.deepEqual(lex.processWords('a "" b', none), ['a', 'b']);
  assert.deepEqual(lex.processWords("''", none), []);
  assert.deepEqual(lex.processWords('a\u00a0b\u0085c\ufeffd', none), ['a', 'b', 'c\ufeffd']);
  assert.deepEqual(lex.processWords('  ', none), []);
  assert.equal(isSpace('\u2003'), true);
  assert.equal(isSpace('\ufeff'), false);
});

// TestProcessWithMatches: result plus which names were found and not found.
test('process: results and matched / unmatched names (TestProcessWithMatches)', () => {
  const lex = new ShellLex('\\');
  const cases: [string, Record<string, string>, string | typeof ERROR, string[], string[]][] = [
    ['x', { DUMMY: 'dummy' }, 'x', [], []],
    ['x ${UNUSED}', { DUMMY: 'dummy' }, 'x ', [], ['UNUSED']],
    ['x ${FOO}', { FOO: 'y' }, 'x y', ['FOO'], []],
    ['${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}', { FOO: 'xxx', BAR: '' }, 'xxx  ccc', ['FOO', 'BAR'], ['BAZ']],
    ['${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}', { FOO: 'xxx', BAR: '' }, 'xxx bbb ccc', ['FOO', 'BAR'], ['BAZ']],
    ['${FOO:-}', { FOO: 'xxx', BAR: '' }, 'xxx', ['FOO'], []],
    ['${FOO:-}', {}, '', [], ['FOO']],
    ['${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}', { FOO: 'xxx', BAR: '' }, 'aaa bbb ', ['FOO', 'BAR'], ['BAZ']],
    ['${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}', { FOO: 'xxx', BAR: '' }, 'aaa  ', ['FOO', 'BAR'], ['BAZ']],
    ['${FOO?aaa}', { FOO: 'xxx', BAR: '' }, 'xxx', ['FOO'], []],
    ['${BAR?bbb}', { FOO: 'xxx', BAR: '' }, '', ['BAR'], []],
    ['${BAZ?ccc}', { FOO: 'xxx', BAR: '' }, ERROR, [], []],
    ['${FOO:?aaa}', { FOO: 'xxx', BAR: '' }, 'xxx', ['FOO'], []],
    ['${BAR:?bbb}', { FOO: 'xxx', BAR: '' }, ERROR, [], []],
    ['${BAZ:?ccc}', { FOO: 'xxx', BAR: '' }, ERROR, [], []],
    ['${BAZ:?}', { FOO: 'xxx', BAR: '' }, ERROR, [], []],
    ['${FOO=aaa}', { FOO: 'xxx', BAR: '' }, ERROR, [], []],
    ['${FOO=:aaa}', { FOO: 'xxx', BAR: '' }, ERROR, [], []],
    ['${FOO=}', {}, ERROR, [], []],
    ['${FOO#()[]{\\}^$.\\*\\?|\\\\}', { FOO: '()[]{}^$.*?|\\x' }, 'x', ['FOO'], []],
    ['${FOO%%\\**}', { FOO: 'xx**' }, 'xx', ['FOO'], []],
    ['${FOO#*x*y}', { FOO: 'xxyy' }, 'y', ['FOO'], []],
    ['${FOO#*}', { FOO: 'xxyy' }, 'xxyy', ['FOO'], []],
    ['${FOO#$BAR}', { FOO: 'xxyy', BAR: 'x' }, 'xyy', ['FOO', 'BAR'], []],
    ['${FOO#$BAR}', { FOO: 'xxyy', BAR: '' }, 'xxyy', ['FOO', 'BAR'], []],
    ['${FOO#}', { FOO: 'xxyy' }, 'xxyy', ['FOO'], []],
    ['${FOO##*x}', { FOO: 'xxyy' }, 'yy', ['FOO'], []],
    ['${FOO##}', { FOO: 'xxyy' }, 'xxyy', ['FOO'], []],
    ['${FOO#?\\?}', { FOO: '???y' }, '?y', ['FOO'], []],
    ['${ABC:-.}${FOO%x}${ABC:-.}', { FOO: 'xxyy' }, '.xxyy.', ['FOO'], ['ABC']],
    ['${FOO%%\\**\\*}', { FOO: 'a***yy*' }, 'a', ['FOO'], []],
    ['${FOO%}', { FOO: 'xxyy' }, 'xxyy', ['FOO'], []],
    ['${FOO%%$BAR}', { FOO: 'xxyy', BAR: '' }, 'xxyy', ['FOO', 'BAR'], []],
    ['${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}', { FOO: '/foo*/*/*.txt', NEEDLE: '\\*/' }, '/foo.*/*.txt - /foo..*.txt', ['FOO', 'NEEDLE'], []],
    ['${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}', { FOO: '/tmp/tmp/bar.txt', NEEDLE: '/tmp' }, '/tmp/bar.txt - /bar.txt', ['FOO', 'NEEDLE'], []],
    ['${FOO/$NEEDLE/$REPLACEMENT} - ${FOO//$NEEDLE/$REPLACEMENT}', { FOO: '/a/foo/b/c.txt', NEEDLE: '/?/', REPLACEMENT: '/' }, '/foo/b/c.txt - /foo/c.txt', ['FOO', 'NEEDLE', 'REPLACEMENT'], []],
    ['${FOO/$NEEDLE/$REPLACEMENT}', { FOO: 'http://google.de', NEEDLE: 'http://', REPLACEMENT: 'https://' }, 'https://google.de', ['FOO', 'NEEDLE', 'REPLACEMENT'], []],
    ['${FOO//\\//\\/}', { FOO: '/tmp/foo.txt' }, '\\/tmp\\/foo.txt', ['FOO'], []],
    ['${FOO/$BAR/ww}', { FOO: 'xxyy', BAR: '' }, 'wwxxyy', ['FOO', 'BAR'], []],
    ['${FOO//ww}', { FOO: 'xxyy' }, ERROR, [], []],
    ['${FOO//}', { FOO: 'xxyy' }, ERROR, [], []],
    ['${FOO///}', { FOO: 'xxyy' }, 'xxyy', ['FOO'], []],
    ['${FOO///}', {}, '', [], ['FOO']],
  ];
  for (const [input, vars, expected, matched, unmatched] of cases) {
    const env = new Map(Object.entries(vars));
    if (expected === ERROR) {
      assert.throws(() => lex.process(input, env), ShellError, input);
      continue;
    }
    const r = lex.process(input, env);
    assert.equal(r.result, expected, input);
    assert.deepEqual([...r.matched].sort(), [...matched].sort(), `${input} matched`);
    assert.deepEqual([...r.unmatched].sort(), [...unmatched].sort(), `${input} unmatched`);
  }
});

// TestProcessWithMatchesPlatform: the release-file naming BuildKit documents.
test('process: ${VAR:+-${VAR}} for optional platform variants', () => {
  const lex = new ShellLex('\\');
  const word = 'something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz';
  const base = { VERSION: 'v1.2.3', TARGETOS: 'linux' };
  const run = (vars: Record<string, string>) => lex.processWord(word, new Map(Object.entries({ ...base, ...vars })));
  assert.equal(run({ TARGETARCH: 'arm', TARGETVARIANT: 'v7' }), 'something-v1.2.3.linux-arm-v7.tar.gz');
  assert.equal(run({ TARGETARCH: 'arm64', TARGETVARIANT: '' }), 'something-v1.2.3.linux-arm64.tar.gz');
  assert.equal(run({ TARGETARCH: 'arm64' }), 'something-v1.2.3.linux-arm64.tar.gz');
});

// TestShellParserMandatoryEnvVars.
test('processWord: ${VAR:?msg} and ${VAR?msg} messages', () => {
  const lex = new ShellLex('\\');
  const set = envFromList(['VAR=plain', 'ARG=x']);
  const empty = envFromList(['VAR=', 'ARG=x']);
  const unset = envFromList(['ARG=x']);
  assert.equal(lex.processWord('${VAR:?message here$ARG}', set), 'plain');
  assert.throws(() => lex.processWord('${VAR:?message here$ARG}', empty), /message herex/);
  assert.throws(() => lex.processWord('${VAR:?message here$ARG}', unset), /message herex/);
  assert.equal(lex.processWord('${VAR?message here$ARG}', set), 'plain');
  assert.equal(lex.processWord('${VAR?message here$ARG}', empty), '');
  assert.throws(() => lex.processWord('${VAR?message here$ARG}', unset), /message herex/);
  assert.throws(() => lex.processWord('${VAR:?}', unset), {
    message: 'failed to process "${VAR:?}": VAR: is not allowed to be unset',
  });
  assert.throws(() => lex.processWord('${VAR:?}', empty), {
    message: 'failed to process "${VAR:?}": VAR: is not allowed to be empty',
  });
});

test('processWord: error messages are BuildKit\'s', () => {
  const lex = new ShellLex('\\');
  const env = new Map([['FOO', 'x']]);
  const cases: [string, string][] = [
    ['${}', 'syntax error: bad substitution'],
    ['${', "syntax error: missing '}'"],
    ['${FOO:-x', "syntax error: missing '}'"],
    ['${FOO//x', "syntax error: missing '/' in ${}"],
    ['${FOO=x}', 'unsupported modifier (=) in substitution'],
    ['${FOO:=x}', 'unsupported modifier (:=) in substitution'],
    ['"abc', 'unexpected end of statement while looking for matching double-quote'],
    ["'abc", 'unexpected end of statement while looking for matching single-quote'],
    ['${FOO#\\x}', 'invalid pattern (\\x) in substitution: invalid escape \'\\x\''],
  ];
  for (const [input, problem] of cases) {
    assert.throws(() => lex.processWord(input, env), { message: `failed to process ${JSON.stringify(input)}: ${problem}` });
  }
});

test('processWord: special parameters and digits are names that are never set', () => {
  const lex = new ShellLex('\\');
  const env = new Map([['A', 'a']]);
  assert.equal(lex.processWord('[$@][$*][$#][$?][$-][$$][$!][$0]', env), '[][][][][][][][]');
  assert.equal(lex.processWord('$12a', env), 'a');
  assert.equal(lex.processWord('$A_1 ${A}_1 $A-1', env), ' a_1 a-1');
  assert.equal(lex.processWord('$', env), '$');
  assert.equal(lex.processWord('a$ b', env), 'a$ b');
});

test('processWord: the backtick escape token', () => {
  const lex = new ShellLex('`');
  const env = new Map([['P', '/home']]);
  assert.equal(lex.processWord('c:\\path\\$P', env), 'c:\\path\\/home');
  assert.equal(lex.processWord('`$P', env), '$P');
  assert.equal(lex.processWord('"a`"b"', env), 'a"b');
  assert.equal(lex.processWord('"a\\"', env), 'a\\');
  assert.deepEqual(lex.processWords('a` b c', env), ['a b', 'c']);
});

test('options: skipUnsetEnv keeps unset references, rawQuotes and rawEscapes keep syntax', () => {
  const none = new Map<string, string>();
  const skip = new ShellLex('\\', { skipUnsetEnv: true });
  assert.equal(skip.processWord('$X ${X} ${X:-d} ${X##*/} ${X/a/b}', none), '$X ${X} ${X:-d} ${X##*/} ${X/a/b}');
  assert.equal(skip.processWord('$Y', new Map([['Y', 'y']])), 'y');
  const raw = new ShellLex('\\', { rawQuotes: true, rawEscapes: true });
  assert.deepEqual(raw.processWords(`a "b c" 'd' \\e`, none), ['a', '"b c"', "'d'", '\\e']);
  const noQuotes = new ShellLex('\\', { skipProcessQuotes: true });
  assert.equal(noQuotes.processWord(`echo "$A" '$A'`, new Map([['A', '1']])), `echo "1" '1'`);
});

test('processWords: "<<" keeps the blanks after it in its word', () => {
  const lex = new ShellLex('\\');
  const none = new Map<string, string>();
  assert.deepEqual(lex.processWords('cat <<  EOF > f', none), ['cat', '<<  EOF', '>', 'f']);
  assert.deepEqual(lex.processWords('a < b', none), ['a', '<', 'b']);
});

test('envFromList: later entries win and a bare name is empty', () => {
  const env = envFromList(['foo=bar', 'car=hat', 'car=bike', 'solo', 'eq=a=b']);
  assert.equal(env.get('foo'), 'bar');
  assert.equal(env.get('car'), 'bike');
  assert.equal(env.get('solo'), '');
  assert.equal(env.get('eq'), 'a=b');
});

test('EXPANSION: which instructions BuildKit expands, and how', () => {
  for (const k of ['add', 'copy', 'env', 'label', 'arg', 'workdir', 'user', 'volume', 'stopsignal']) {
    assert.equal(EXPANSION[k], 'word', k);
  }
  assert.equal(EXPANSION.expose, 'words');
  assert.equal(EXPANSION.from, 'global');
  assert.equal(EXPANSION.run, 'mounts');
  for (const k of ['cmd', 'entrypoint', 'shell', 'healthcheck', 'maintainer', 'onbuild']) {
    assert.equal(EXPANSION[k], undefined, k);
  }
});

test('predefined args: proxies and linux/amd64 platform args', () => {
  assert.deepEqual([...PROXY_ARGS].sort(), [
    'ALL_PROXY', 'FTP_PROXY', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY',
    'all_proxy', 'ftp_proxy', 'http_proxy', 'https_proxy', 'no_proxy',
  ]);
  assert.deepEqual(Object.fromEntries(platformArgs()), {
    BUILDPLATFORM: 'linux/amd64', BUILDOS: 'linux', BUILDARCH: 'amd64', BUILDVARIANT: '',
    TARGETPLATFORM: 'linux/amd64', TARGETOS: 'linux', TARGETARCH: 'amd64', TARGETVARIANT: '',
  });
  const arm = platformArgs({ os: 'linux', architecture: 'arm', variant: 'v7' }, undefined, new Map([['BUILDOS', 'x'], ['OTHER', 'y']]));
  assert.equal(arm.get('TARGETPLATFORM'), 'linux/arm/v7');
  assert.equal(arm.get('TARGETVARIANT'), 'v7');
  assert.equal(arm.get('BUILDOS'), 'x');
  assert.equal(arm.has('OTHER'), false);
});
