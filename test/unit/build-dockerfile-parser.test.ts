// The Dockerfile parser and the typed instructions against BuildKit's
// frontend/dockerfile/parser and instructions tests. dump() prints nodes the
// way BuildKit's Node.Dump does, so the testfiles/*/result expectations can
// be compared as they are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chompHeredoc, type Node, parseDockerfile, parseHeredoc } from '../../src/build/dockerfile-parser.ts';
import { DockerfileError } from '../../src/build/dockerfile-error.ts';
import { type Instruction, parseInstruction, parseInstructions } from '../../src/build/instructions.ts';

function dump(node: Node): string {
  let out = node.keyword;
  if (node.flags.length > 0) out += ` [${node.flags.map((f) => JSON.stringify(f)).join(' ')}]`;
  if (node.trigger) return `(${out} ${dump(node.trigger)})`;
  for (const arg of node.args) out += ' ' + JSON.stringify(arg);
  return `(${out})`;
}

const dumpAll = (text: string): string[] => parseDockerfile(text).nodes.map(dump);

function instructions(text: string): Instruction[] {
  return parseInstructions(parseDockerfile(text));
}

function problem(text: string): string {
  try {
    instructions(text);
  } catch (err) {
    if (err instanceof DockerfileError) return err.problem;
    throw err;
  }
  assert.fail(`no error for ${JSON.stringify(text)}`);
}

// testfiles/ADD-COPY-with-JSON
test('parse: ADD/COPY shell and JSON forms, tabs as separators', () => {
  const text = 'FROM\tubuntu:14.04\nMAINTAINER\tSeongyeol Lim <seongyeol37@gmail.com>\n\nCOPY\t.\t/go/src/github.com/docker/docker\n'
    + 'ADD\t\t.\t/\nADD\t\tnull /\nCOPY\tnullfile /tmp\nADD\t\t[ "vimrc", "/tmp" ]\nCOPY\t[ "bashrc", "/tmp" ]\n'
    + 'COPY\t[ "test file", "/tmp" ]\nADD\t\t[ "test file", "/tmp/test file" ]\n';
  assert.deepEqual(dumpAll(text), [
    '(from "ubuntu:14.04")',
    '(maintainer "Seongyeol Lim <seongyeol37@gmail.com>")',
    '(copy "." "/go/src/github.com/docker/docker")',
    '(add "." "/")',
    '(add "null" "/")',
    '(copy "nullfile" "/tmp")',
    '(add "vimrc" "/tmp")',
    '(copy "bashrc" "/tmp")',
    '(copy "test file" "/tmp")',
    '(add "test file" "/tmp/test file")',
  ]);
});

// testfiles/health
test('parse: HEALTHCHECK type word, flags and command', () => {
  const text = 'FROM debian\nADD check.sh main.sh /app/\nCMD /app/main.sh\nHEALTHCHECK\n'
    + 'HEALTHCHECK --interval=5s --timeout=3s --retries=3 \\\n  CMD /app/check.sh --quiet\nHEALTHCHECK CMD\n'
    + 'HEALTHCHECK   CMD   a b\nHEALTHCHECK --timeout=3s CMD ["foo"]\nHEALTHCHECK CONNECT TCP 7000\n'
    + 'HEALTHCHECK --start-period=0s --interval=5s --timeout=0s --retries=0 CMD ["foo"]\n';
  assert.deepEqual(dumpAll(text), [
    '(from "debian")',
    '(add "check.sh" "main.sh" "/app/")',
    '(cmd "/app/main.sh")',
    '(healthcheck)',
    '(healthcheck ["--interval=5s" "--timeout=3s" "--retries=3"] "CMD" "/app/check.sh --quiet")',
    '(healthcheck "CMD")',
    '(healthcheck "CMD" "a b")',
    '(healthcheck ["--timeout=3s"] "CMD" "foo")',
    '(healthcheck "CONNECT" "TCP 7000")',
    '(healthcheck ["--start-period=0s" "--interval=5s" "--timeout=0s" "--retries=0"] "CMD" "foo")',
  ]);
});

// testfiles/continueIndent, with BuildKit's handling of the last case: a
// comment line inside a continuation is dropped, it does not end it.
test('parse: line continuations keep the spaces before the escape', () => {
  const text = 'FROM ubuntu:14.04\n\nRUN echo hello\\\n  world\\\n  goodnight  \\\n  moon\\\n  light\\\nning\n'
    + 'RUN echo hello  \\\n  world\nRUN echo hello  \\\nworld\nRUN echo hello \\\ngoodbye\\\nfrog\n'
    + 'RUN echo hi \\\n \\\n world \\\n\\\n good\\\n\\\nnight\nRUN echo goodbye\\\nfrog\nRUN echo good\\\nbye\\\nfrog\n\n'
    + 'RUN echo hello \\\n# this is a comment that breaks escape continuation\nRUN echo this is some more useful stuff\n';
  assert.deepEqual(dumpAll(text), [
    '(from "ubuntu:14.04")',
    '(run "echo hello  world  goodnight    moon  lightning")',
    '(run "echo hello    world")',
    '(run "echo hello  world")',
    '(run "echo hello goodbyefrog")',
    '(run "echo hi   world  goodnight")',
    '(run "echo goodbyefrog")',
    '(run "echo goodbyefrog")',
    '(run "echo hello RUN echo this is some more useful stuff")',
  ]);
});

// TestParseWarnsOnEmptyContinutationLine
test('parse: empty continuation lines are skipped with a warning', () => {
  const text = '\nFROM alpine:3.6\n\nRUN valid \\\n    continuation\n\nRUN something \\\n\n    following \\\n\n    more\n\n'
    + 'RUN another \\\n\n    thing\n\nRUN non-indented \\\n# this is a comment\n   after-comment\n\n'
    + 'RUN indented \\\n    # this is an indented comment\n    comment\n\t';
  const result = parseDockerfile(text);
  assert.equal(result.warnings.length, 2);
  assert.match(result.warnings[0].message, /Empty continuation line found in: RUN something {5}following {5}more/);
  assert.match(result.warnings[1].message, /RUN another {5}thing/);
  assert.deepEqual(result.nodes.map(dump).slice(3), [
    '(run "another     thing")',
    '(run "non-indented    after-comment")',
    '(run "indented     comment")',
  ]);
  // testfiles/empty-line-after-escape: BuildKit joins across the blank line.
  assert.deepEqual(dumpAll('FROM busybox\nRUN foo \\\n\nbar\n'), ['(from "busybox")', '(run "foo bar")']);
});

// TestParseIncludesLineNumbers, on a file of the same shape.
test('parse: nodes keep their first and last physical line', () => {
  const text = '# comment\n\n\n\nFROM image\n\n# comment\n# another\n\n\nRUN echo \\\n  hello\n\n\n\n\nENV a=1 \\\n  b=2\n\n'
    + 'COPY <<EOF /x\nbody\nEOF\n';
  const nodes = parseDockerfile(text).nodes;
  assert.deepEqual(nodes.map((n) => [n.startLine, n.endLine]), [[5, 5], [11, 12], [17, 18], [20, 22]]);
  // Blank lines do not separate comments from the instruction below.
  assert.deepEqual(nodes[0].comments, ['comment']);
  assert.deepEqual(nodes[1].comments, ['comment', 'another']);
  assert.equal(nodes[2].original, 'ENV a=1   b=2');
});

test('parse: comments above an instruction are kept, a bare # resets them', () => {
  const nodes = parseDockerfile('# syntax=docker/dockerfile:1\n# a\n# b\nFROM x\n# c\n#\n# d\n  # e\nRUN y\n').nodes;
  assert.deepEqual(nodes[0].comments, ['a', 'b']);
  // BuildKit drops the first character of an indented comment, not its '#'.
  assert.deepEqual(nodes[1].comments, ['d', '# e']);
});

// TestParseWords, through ARG, whose arguments are parseWords' words.
test('parse: ARG words keep quotes and escapes', () => {
  const cases: [string, string[]][] = [
    ['foo', ['foo']],
    ['foo bar', ['foo', 'bar']],
    ['foo\\ bar', ['foo\\ bar']],
    ['foo=bar', ['foo=bar']],
    ["foo bar 'abc xyz'", ['foo', 'bar', "'abc xyz'"]],
    ['foo bar "abc xyz"', ['foo', 'bar', '"abc xyz"']],
    ['àöû', ['àöû']],
    ['föo bàr "âbc xÿz"', ['föo', 'bàr', '"âbc xÿz"']],
    ['a="b c" d=\'\'', ['a="b c"', "d=''"]],
    ['a=\\"b c', ['a=\\"b', 'c']],
  ];
  for (const [input, args] of cases) {
    assert.deepEqual(parseDockerfile(`ARG ${input}`).nodes[0].args, args, input);
  }
});

test('parse: ENV and LABEL pairs, legacy form, quotes kept for expansion', () => {
  const text = 'FROM x\nENV a=1 b="two words" c=\nENV legacy value with  spaces\nLABEL "com.x"="y" z=\'q\'\nENV k=v\\ w';
  const nodes = parseDockerfile(text).nodes;
  assert.deepEqual(nodes[1].args, ['a', '1', '=', 'b', '"two words"', '=', 'c', '', '=']);
  assert.deepEqual(nodes[2].args, ['legacy', 'value with  spaces', '']);
  assert.deepEqual(nodes[3].args, ['"com.x"', '"y"', '=', 'z', "'q'", '=']);
  assert.deepEqual(nodes[4].args, ['k', 'v\\ w', '=']);
  const env = parseInstruction(nodes[2]);
  assert.equal(env.keyword, 'env');
  assert.deepEqual(env.keyword === 'env' && env.pairs, [{ key: 'legacy', value: 'value with  spaces', legacy: true }]);
});

test('parse: instruction words are case-insensitive and kept as written', () => {
  const nodes = parseDockerfile('from x AS Builder\nrUn echo\nCopy a b').nodes;
  assert.deepEqual(nodes.map((n) => [n.instruction, n.keyword]), [['from', 'from'], ['rUn', 'run'], ['Copy', 'copy']]);
  const from = parseInstruction(nodes[0]);
  assert.equal(from.keyword === 'from' && from.name, 'builder');
});

test('parse: exec form vs shell form', () => {
  const nodes = parseDockerfile([
    'FROM x',
    'RUN ["echo", "a b"]',
    'RUN [ "echo", "a" ] extra',
    'CMD ["a", \'b\']',
    'ENTRYPOINT []',
    'SHELL ["/bin/bash", "-c"]',
    'VOLUME ["/a", "/b"]',
    'VOLUME /c /d',
    'RUN   echo  "x"  ',
  ].join('\n')).nodes;
  assert.deepEqual(nodes.slice(1).map((n) => [n.args, n.json]), [
    [['echo', 'a b'], true],
    [['[ "echo", "a" ] extra'], false],
    [['["a", \'b\']'], false],
    [[], true],
    [['/bin/bash', '-c'], true],
    [['/a', '/b'], true],
    [['/c', '/d'], false],
    [['echo  "x"'], false],
  ]);
});

test('parse: builder flags come off the front', () => {
  const nodes = parseDockerfile([
    'FROM --platform=$BUILDPLATFORM golang AS build',
    'COPY --from=build --chown=1:1 --chmod=755 --link a b',
    'RUN --mount=type=cache,target=/root/.cache --network=none go build',
    'COPY --chown="a b" -- --weird /dst',
    'RUN --mount=type=bind,"source=a b" echo \\--not-a-flag',
    'RUN echo --not-a-flag',
  ].join('\n')).nodes;
  assert.deepEqual(nodes.map((n) => n.flags), [
    ['--platform=$BUILDPLATFORM'],
    ['--from=build', '--chown=1:1', '--chmod=755', '--link'],
    ['--mount=type=cache,target=/root/.cache', '--network=none'],
    ['--chown=a b'],
    ['--mount=type=bind,source=a b'],
    [],
  ]);
  assert.deepEqual(nodes[3].args, ['--weird', '/dst']);
  assert.deepEqual(nodes[4].args, ['echo \\--not-a-flag']);
});

test('parse: ONBUILD wraps another instruction', () => {
  const node = parseDockerfile('FROM x\nONBUILD RUN --mount=type=cache,target=/c echo hi\nONBUILD').nodes[1];
  assert.equal(dump(node), '(onbuild (run ["--mount=type=cache,target=/c"] "echo hi"))');
  const ins = instructions('FROM x\nonbuild   ADD . /app/src\n')[1];
  assert.equal(ins.keyword === 'onbuild' && ins.expression, 'ADD . /app/src');
});

// directives_test.go and the escape testfiles.
test('directives: escape and syntax at the top only', () => {
  const escape = (text: string): string => parseDockerfile(text).escapeToken;
  assert.equal(escape('# escape=`\nFROM x'), '`');
  assert.equal(escape('#escape=`\nFROM x'), '`');
  assert.equal(escape('# ESCAPE = `  \nFROM x'), '`');
  assert.equal(escape('  # escape=`\nFROM x'), '`');
  assert.equal(escape('# syntax=docker/dockerfile:1\n# escape=`\nFROM x'), '`');
  assert.equal(escape('# escape=\\\nFROM x'), '\\');
  // A plain comment, a blank line, an unknown directive or an instruction ends them.
  assert.equal(escape('# comment\n# escape=`\nFROM x'), '\\');
  assert.equal(escape('\n# escape=`\nFROM x'), '\\');
  assert.equal(escape('# foo=bar\n# escape=`\nFROM x'), '\\');
  assert.equal(escape('FROM x\n# escape=`\nRUN y'), '\\');
  const result = parseDockerfile('# syntax = docker/dockerfile:1.7\n# check=skip=all\nFROM x');
  assert.deepEqual(result.directives, [
    { name: 'syntax', value: 'docker/dockerfile:1.7', line: 1 },
    { name: 'check', value: 'skip=all', line: 2 },
  ]);
  assert.deepEqual(result.nodes[0].comments, []);
  assert.throws(() => parseDockerfile('# escape=`\n# escape=\\\nFROM x'), {
    name: 'DockerfileError', message: 'dockerfile parse error line 2: only one escape parser directive can be used',
  });
  assert.throws(() => parseDockerfile('# escape=x\nFROM x'), {
    message: "dockerfile parse error line 1: invalid escape token 'x' does not match ` or \\",
  });
});

test('directives: the backtick escape continues lines and escapes words', () => {
  const text = '# escape=`\nFROM windows\nRUN dir c:\\ `\n  /s\nCOPY a` b c:\\dst\\\nARG x=a` b';
  assert.deepEqual(dumpAll(text), [
    '(from "windows")',
    '(run "dir c:\\\\   /s")',
    '(copy "a`" "b" "c:\\\\dst\\\\")',
    '(arg "x=a` b")',
  ]);
  // An escaped escape token at the end does not continue the line.
  assert.deepEqual(dumpAll('FROM x\nRUN echo \\\\\nRUN y'), ['(from "x")', '(run "echo \\\\\\\\")', '(run "y")']);
});

test('parse: a byte order mark and CRLF line endings', () => {
  assert.deepEqual(dumpAll('\ufeffFROM x\r\nRUN a \\\r\n  b\r\n'), ['(from "x")', '(run "a   b")']);
});

// TestParseExtractsHeredoc
test('heredocs: bodies, terminators, quoting and chomping', () => {
  const text = `
FROM alpine:3.6

ENV NAME=me

RUN ls

USER <<INVALID
INVALID

RUN <<EMPTY
EMPTY

RUN 3<<EMPTY2
EMPTY2

RUN "<<NOHEREDOC"

RUN <<INDENT
\tfoo
\tbar
INDENT

RUN <<-UNINDENT
\tbaz
\tquux
UNINDENT

RUN <<-UNINDENT2
\tbaz
\tquux
\tUNINDENT2

RUN <<-EXPAND
\texpand $NAME
EXPAND

RUN <<-'NOEXPAND'
\tdon't expand $NAME
NOEXPAND

RUN <<COPY
echo hello world
echo foo bar
COPY

RUN <<COMMENT
# internal comment
echo hello world
echo foo bar # trailing comment
COMMENT

RUN --mount=type=cache,target=/foo <<MOUNT
echo hello
MOUNT

COPY <<FILE1 <<FILE2 /dest
content 1
FILE1
content 2
FILE2

COPY <<EOF /quotes
"foo"
'bar'
EOF

COPY <<X <<Y /dest
Y
X
X
Y

RUN <<COMPLEX python3
print('hello world')
COMPLEX

COPY <<file.txt /dest
hello world
file.txt

RUN <<eo'f'
echo foo
eof

RUN <<eo\\'f
echo foo
eo'f

RUN <<'e'o\\'f
echo foo
eo'f

RUN <<'one two'
echo bar
one two

RUN <<$EOF
$EOF

RUN <<  EOF
EOF

RUN <<  EOF  > foo
EOF
\t`;
  const doc = (name: string, content: string, expand = true, chomp = false, fileDescriptor = 0) =>
    ({ name, content, expand, chomp, fileDescriptor });
  const expected = [
    [], [], [], [],
    [doc('EMPTY', '')],
    [doc('EMPTY2', '', true, false, 3)],
    [],
    [doc('INDENT', '\tfoo\n\tbar\n')],
    [doc('UNINDENT', '\tbaz\n\tquux\n', true, true)],
    [doc('UNINDENT2', '\tbaz\n\tquux\n', true, true)],
    [doc('EXPAND', '\texpand $NAME\n', true, true)],
    [doc('NOEXPAND', "\tdon't expand $NAME\n", false, true)],
    [doc('COPY', 'echo hello world\necho foo bar\n')],
    [doc('COMMENT', '# internal comment\necho hello world\necho foo bar # trailing comment\n')],
    [doc('MOUNT', 'echo hello\n')],
    [doc('FILE1', 'content 1\n'), doc('FILE2', 'content 2\n')],
    [doc('EOF', '"foo"\n\'bar\'\n')],
    [doc('X', 'Y\n'), doc('Y', 'X\n')],
    [doc('COMPLEX', "print('hello world')\n")],
    [doc('file.txt', 'hello world\n')],
    [doc('eof', 'echo foo\n', false)],
    [doc("eo'f", 'echo foo\n')],
    [doc("eo'f", 'echo foo\n', false)],
    [doc('one two', 'echo bar\n', false)],
    [doc('$EOF', '')],
    [doc('EOF', '')],
    [doc('EOF', '')],
  ];
  const nodes = parseDockerfile(text).nodes;
  expected.forEach((docs, i) => assert.deepEqual(nodes[i + 1].heredocs, docs, `node ${i + 1}: ${nodes[i + 1].original}`));
});

// TestParseJSONHeredoc
test('heredocs: not in JSON form', () => {
  const nodes = parseDockerfile('FROM alpine:3.6\n\nRUN ["whoami"]\nRUN ["<<EOF"]\nRUN ["<<\'EOF\'"]\n').nodes;
  for (const node of nodes.slice(1)) assert.deepEqual(node.heredocs, []);
});

// TestParseHeredocHelpers and TestHeredocChomp
test('heredocs: which words open one', () => {
  for (const word of ['<<EOF', "<<'EOF'", '<<"EOF"', '<<-EOF', "<<-'EOF'", '<<-"EOF"', '<<EO"F"', '<< EOF', '<<- EOF']) {
    assert.equal(parseHeredoc(word)?.name, 'EOF', word);
  }
  for (const word of ["<<'EOF", '<<"EOF', "<<EOF'", '<<EOF"']) {
    assert.throws(() => parseHeredoc(word), word);
  }
  for (const word of ['', 'EOF', '<<', '<<-', '<EOF', '<<<EOF', '<<EOF sh']) {
    assert.equal(parseHeredoc(word), undefined, word);
  }
  assert.equal(chompHeredoc('\thello\n\tworld\n'), 'hello\nworld\n');
});

// TestHeredocsFromLine, through whole instructions.
test('heredocs: names found on a line', () => {
  const names = (line: string): string[] => {
    const nodes = parseDockerfile(`FROM x\n${line}\nEOF\nEOF2\n-EOF\n`).nodes;
    return nodes[1].heredocs.map((h) => h.name);
  };
  assert.deepEqual(names('RUN <<EOF'), ['EOF']);
  assert.deepEqual(names('RUN <<-EOF'), ['EOF']);
  assert.deepEqual(names('RUN <<- EOF'), ['EOF']);
  assert.deepEqual(names('RUN 4<<EOF'), ['EOF']);
  assert.deepEqual(names('RUN <<EOF <<EOF2'), ['EOF', 'EOF2']);
  assert.deepEqual(names("RUN '<<EOF'"), []);
  assert.deepEqual(names('RUN "<<EOF"'), []);
  assert.deepEqual(parseDockerfile('FROM x\nRUN << -EOF\n-EOF\n').nodes[1].heredocs.map((h) => h.name), ['-EOF']);
  // ONBUILD carries its trigger's heredocs; other instructions have none.
  const onbuild = parseDockerfile('FROM x\nONBUILD RUN <<EOF\nhi\nEOF\nLABEL a=<<EOF\n').nodes;
  assert.deepEqual(onbuild[1].heredocs.map((h) => h.content), ['hi\n']);
  assert.equal(onbuild[1].endLine, 4);
  assert.deepEqual(onbuild[2].heredocs, []);
});

test('heredocs: typed instructions', () => {
  const [, run, copy, onbuild] = instructions('FROM x\nRUN <<EOF\necho $A\nEOF\nCOPY --chmod=644 <<-\'A\' b.txt <<B /dst/\n\tone\nA\ntwo\nB\nONBUILD RUN <<EOF\nhi\nEOF\n');
  assert.equal(run.keyword, 'run');
  assert.deepEqual(run.keyword === 'run' && [run.command, run.shell, run.heredocs.map((h) => h.content)], [['<<EOF'], true, ['echo $A\n']]);
  assert.equal(copy.keyword, 'copy');
  if (copy.keyword === 'copy') {
    assert.deepEqual(copy.sources, ['b.txt']);
    assert.deepEqual(copy.inline, [
      { path: 'A', data: 'one\n', expand: false },
      { path: 'B', data: 'two\n', expand: true },
    ]);
    assert.equal(copy.dest, '/dst/');
    assert.equal(copy.chmod, '644');
  }
  assert.equal(onbuild.keyword === 'onbuild' && onbuild.expression, 'RUN <<EOF\nhi\nEOF');
});

test('typed: FROM, COPY, RUN, CMD, HEALTHCHECK', () => {
  const list = instructions([
    'FROM --platform=linux/arm64 golang:1.22 AS Build',
    'COPY --from=0 --chown=app --link --parents --exclude=*.md --exclude=tmp src/ ./',
    'ADD --keep-git-dir=false --checksum=sha256:abc https://x/y.tar /y',
    'RUN --mount=type=cache,target=/c --mount=from=build,source=/out,target=/in --network=host make',
    'CMD ["run", "--fast"]',
    'ENTRYPOINT exec app',
    'HEALTHCHECK --interval=1m30s --timeout=500ms --start-period=0s --start-interval=2s --retries=3 CMD curl -f http://localhost/',
    'HEALTHCHECK cmd ["true"]',
    'HEALTHCHECK NONE',
    'EXPOSE 8080/tcp 443 80',
    'STOPSIGNAL SIGTERM',
    'MAINTAINER someone',
  ].join('\n'));
  const [from, copy, add, run, cmd, entrypoint, health, health2, none, expose] = list;
  assert.deepEqual(from, {
    keyword: 'from', image: 'golang:1.22', name: 'build', platform: 'linux/arm64',
    startLine: 1, endLine: 1, original: 'FROM --platform=linux/arm64 golang:1.22 AS Build', comments: [],
  });
  assert.equal(copy.keyword, 'copy');
  if (copy.keyword === 'copy') {
    assert.deepEqual([copy.from, copy.chown, copy.chmod, copy.link, copy.parents, copy.excludes, copy.sources, copy.dest],
      ['0', 'app', undefined, true, true, ['*.md', 'tmp'], ['src/'], './']);
  }
  assert.deepEqual(add.keyword === 'add' && [add.checksum, add.link], ['sha256:abc', false]);
  assert.deepEqual(run.keyword === 'run' && [run.mounts, run.network, run.command], [[
    { spec: 'type=cache,target=/c' },
    { spec: 'from=build,source=/out,target=/in', from: 'build' },
  ], 'host', ['make']]);
  assert.deepEqual(cmd.keyword === 'cmd' && [cmd.command, cmd.shell], [['run', '--fast'], false]);
  assert.deepEqual(entrypoint.keyword === 'entrypoint' && [entrypoint.command, entrypoint.shell], [['exec app'], true]);
  assert.deepEqual(health.keyword === 'healthcheck' && health, {
    ...health, test: ['CMD-SHELL', 'curl -f http://localhost/'],
    interval: 90e9, timeout: 500e6, startPeriod: 0, startInterval: 2e9, retries: 3,
  });
  assert.deepEqual(health2.keyword === 'healthcheck' && health2.test, ['CMD', 'true']);
  assert.deepEqual(none.keyword === 'healthcheck' && none.test, ['NONE']);
  // BuildKit sorts EXPOSE's ports.
  assert.deepEqual(expose.keyword === 'expose' && expose.values, ['443', '80', '8080/tcp']);
});

test('typed: RUN --mount from= quoting follows CSV', () => {
  const mounts = (spec: string) => {
    const run = instructions(`FROM x\nRUN --mount=${spec} true`)[1];
    return run.keyword === 'run' ? run.mounts : [];
  };
  assert.deepEqual(mounts('"from=a,b",target=/t'), [{ spec: 'from=a,b,target=/t', from: 'a' }]);
  assert.deepEqual(mounts("'from=stage',target=/t"), [{ spec: 'from=stage,target=/t', from: 'stage' }]);
  assert.deepEqual(mounts('FROM=Up,ro'), [{ spec: 'FROM=Up,ro', from: 'Up' }]);
});

// instructions/parse_test.go TestCommandsExactlyOneArgument,
// TestCommandsAtLeastOneArgument, TestCommandsNoDestinationArgument,
// TestErrorCases, plus the error paths of parse.go and bflag.go.
test('errors: BuildKit\'s wording', () => {
  const cases: [string, string][] = [
    ['MAINTAINER', 'MAINTAINER requires exactly one argument'],
    ['WORKDIR', 'WORKDIR requires exactly one argument'],
    ['USER', 'USER requires exactly one argument'],
    ['STOPSIGNAL', 'STOPSIGNAL requires exactly one argument'],
    ['ENV', 'ENV requires at least one argument'],
    ['LABEL', 'LABEL requires at least one argument'],
    ['ONBUILD', 'ONBUILD requires at least one argument'],
    ['HEALTHCHECK', 'HEALTHCHECK requires at least one argument'],
    ['EXPOSE', 'EXPOSE requires at least one argument'],
    ['VOLUME', 'VOLUME requires at least one argument'],
    ['ARG', 'ARG requires at least one argument'],
    ['SHELL []', 'SHELL requires at least one argument'],
    ['SHELL /bin/sh -c', 'SHELL requires the arguments to be in JSON form'],
    ['ADD arg1', 'ADD requires at least two arguments, but only one was provided. Destination could not be determined'],
    ['COPY arg1', 'COPY requires at least two arguments, but only one was provided. Destination could not be determined'],
    ['COPY\t\n\t\tquux \\\n      bar', 'COPY requires at least two arguments, but only one was provided. Destination could not be determined'],
    ['COPY a <<EOF\nx\nEOF', 'COPY cannot accept a heredoc as a destination'],
    ['ONBUILD FROM scratch', "FROM isn't allowed as an ONBUILD trigger"],
    ['ONBUILD MAINTAINER me', "MAINTAINER isn't allowed as an ONBUILD trigger"],
    ['ONBUILD ONBUILD RUN touch foobar', 'Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed'],
    ['MAINTAINER --boo joe@example.com', 'unknown flag: --boo'],
    ['FOO bar', 'unknown instruction: FOO (did you mean FROM?)'],
    ['foo bar', 'unknown instruction: foo (did you mean from?)'],
    ['BOGUSWORD x', 'unknown instruction: BOGUSWORD'],
    ['RUNN echo', 'unknown instruction: RUNN (did you mean RUN?)'],
    ['cpy a b', 'unknown instruction: cpy (did you mean copy?)'],
    ['FROM', 'FROM requires either one or three arguments'],
    ['FROM a b', 'FROM requires either one or three arguments'],
    ['FROM a AS b c', 'FROM requires either one or three arguments'],
    ['FROM a AS 1st', 'invalid name for build stage: "1st", name can\'t start with a number or contain symbols'],
    ['FROM a AS b$c', 'invalid name for build stage: "b$c", name can\'t start with a number or contain symbols'],
    ['ENV =x', 'ENV names can not be blank'],
    ['LABEL =x', 'LABEL names can not be blank'],
    ['ARG =x', 'ARG names can not be blank'],
    ['ENV foo', 'ENV must have two arguments'],
    ['ENV a=1 x', 'Syntax error - can\'t find = in "x". Must be of the form: name=value'],
    ['LABEL a=1 "b c"', 'Syntax error - can\'t find = in "\\"b c\\"". Must be of the form: name=value'],
    ['CMD ["a", 1]', 'when using JSON array syntax, arrays must be comprised of strings only'],
    ['VOLUME ["/a", ""]', 'VOLUME specified can not be an empty string'],
    ['COPY --chwon=1 a b', 'unknown flag: --chwon (did you mean chown?)'],
    ['COPY --link --link a b', 'duplicate flag specified: --link'],
    ['COPY --from a b', 'missing a value on flag: --from'],
    ['COPY --link= a b', 'missing a value on flag: --link'],
    ['COPY --link=yes a b', 'expecting boolean value for flag --link, not: yes'],
    ['ADD --from=x a b', 'unknown flag: --from'],
    ['ADD --parents a b', 'unknown flag: --parents'],
    ['COPY --checksum=sha256:0 a b', 'unknown flag: --checksum'],
    ['ADD --keep-git-dir https://example.com/r.git /r', "ADD --keep-git-dir needs a git source, and berth's builder has no git sources"],
    ['RUN --network=bridge true', 'unsupported network mode "bridge"'],
    ['RUN --mount=from=$STAGE,target=/x true', "'from' doesn't support variable expansion, define alias stage instead"],
    ['RUN --mount=from=a\\"b true', 'failed to parse csv mounts: parse error on line 1, column 7: bare " in non-quoted-field'],
    ['RUN --mount=\'"from=a"b\' true', 'failed to parse csv mounts: parse error on line 1, column 9: extraneous or missing " in quoted-field'],
    ['HEALTHCHECK CONNECT TCP 7000', 'Unknown type "CONNECT" in HEALTHCHECK (try CMD)'],
    ['HEALTHCHECK CMD', 'Missing command after HEALTHCHECK CMD'],
    ['HEALTHCHECK NONE x', 'HEALTHCHECK NONE takes no arguments'],
    ['HEALTHCHECK --interval=50ns CMD x', 'Interval "interval" cannot be less than 1ms'],
    ['HEALTHCHECK --timeout=5 CMD x', 'time: missing unit in duration "5"'],
    ['HEALTHCHECK --timeout=5y CMD x', 'time: unknown unit "y" in duration "5y"'],
    ['HEALTHCHECK --retries=-1 CMD x', '--retries cannot be negative (-1)'],
    ['HEALTHCHECK --retries=x CMD x', 'strconv.ParseInt: parsing "x": invalid syntax'],
    ['HEALTHCHECK --foo=1 CMD x', 'unknown flag: --foo'],
    ['RUN <<EOF\nno end', 'unterminated heredoc'],
  ];
  for (const [line, expected] of cases) {
    assert.equal(problem(`FROM busybox\n${line}`), expected, line);
  }
});

test('errors: location and message', () => {
  try {
    instructions('FROM busybox\n\nRUNN echo \\\n  hi\n');
    assert.fail('expected an error');
  } catch (err) {
    assert.ok(err instanceof DockerfileError);
    assert.equal(err.message, 'dockerfile parse error line 3: unknown instruction: RUNN (did you mean RUN?)');
    assert.deepEqual([err.file, err.line, err.endLine], ['Dockerfile', 3, 4]);
  }
  assert.throws(() => parseDockerfile('# just a comment\n\n', 'x.Dockerfile'), {
    name: 'DockerfileError', message: 'dockerfile parse error line 2: file with no instructions',
  });
  assert.throws(() => parseDockerfile(`FROM x\nLABEL a=${'a'.repeat(65536)}\n`), {
    message: 'dockerfile parse error line 2: dockerfile line greater than max allowed size of 65535',
  });
  // HEALTHCHECK NONE and STOPSIGNAL do not look at their flags, as in BuildKit.
  assert.equal(instructions('FROM x\nHEALTHCHECK --bogus NONE\nSTOPSIGNAL --x 9').length, 3);
});
