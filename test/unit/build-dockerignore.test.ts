// .dockerignore matching against moby/patternmatcher's tests
// (patternmatcher_test.go, ignorefile_test.go) and the directory pruning
// rule of tonistiigi/fsutil's filter.go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanPath, DockerIgnore, ignoreFileFor, parseDockerignore } from '../../src/build/dockerignore.ts';

const matches = (path: string, patterns: string[]): boolean => new DockerIgnore(patterns).matches(path);

// TestWildcardMatches, TestPatternMatches, TestExclusionPattern*,
// TestPatternMatchesFolder*, TestMatchesWithNoPatterns.
test('matches: single and exception patterns', () => {
  assert.equal(matches('fileutils.go', ['*']), true);
  assert.equal(matches('fileutils.go', ['*.go']), true);
  assert.equal(matches('fileutils.go', ['!fileutils.go', '*.go']), true);
  assert.equal(matches('docs/README.md', ['docs', '!docs/README.md']), false);
  assert.equal(matches('docs/README.md', ['docs/', '!docs/README.md']), false);
  assert.equal(matches('docs/README.md', ['docs/*', '!docs/README.md']), false);
  assert.equal(matches('fileutils.go', ['*.go', '!fileutils.go']), false);
  assert.equal(matches('.', ['*.go']), false);
  assert.equal(matches('/any/path/there', []), false);
});

// TestMatches: every row under MatchesOrParentMatches, where "inexact"
// rows (the pattern matches a parent directory) match too.
test('matches: the TestMatches table', () => {
  const rows: [string, string, boolean][] = [
    ['**', 'file', true],
    ['**', 'file/', true],
    ['**/', 'file', true],
    ['**/', 'file/', true],
    ['**', '/', true],
    ['**/', '/', true],
    ['**', 'dir/file', true],
    ['**/', 'dir/file', true],
    ['**', 'dir/file/', true],
    ['**/', 'dir/file/', true],
    ['**/**', 'dir/file', true],
    ['**/**', 'dir/file/', true],
    ['dir/**', 'dir/file', true],
    ['dir/**', 'dir/file/', true],
    ['dir/**', 'dir/dir2/file', true],
    ['dir/**', 'dir/dir2/file/', true],
    ['**/dir', 'dir', true],
    ['**/dir', 'dir/file', true],
    ['**/dir2/*', 'dir/dir2/file', true],
    ['**/dir2/*', 'dir/dir2/file/', true],
    ['**/dir2/**', 'dir/dir2/dir3/file', true],
    ['**/dir2/**', 'dir/dir2/dir3/file/', true],
    ['**file', 'file', true],
    ['**file', 'dir/file', true],
    ['**/file', 'dir/file', true],
    ['**file', 'dir/dir/file', true],
    ['**/file', 'dir/dir/file', true],
    ['**/file*', 'dir/dir/file', true],
    ['**/file*', 'dir/dir/file.txt', true],
    ['**/file*txt', 'dir/dir/file.txt', true],
    ['**/file*.txt', 'dir/dir/file.txt', true],
    ['**/file*.txt*', 'dir/dir/file.txt', true],
    ['**/**/*.txt', 'dir/dir/file.txt', true],
    ['**/**/*.txt2', 'dir/dir/file.txt', false],
    ['**/*.txt', 'file.txt', true],
    ['**/**/*.txt', 'file.txt', true],
    ['a**/*.txt', 'a/file.txt', true],
    ['a**/*.txt', 'a/dir/file.txt', true],
    ['a**/*.txt', 'a/dir/dir/file.txt', true],
    ['a/*.txt', 'a/dir/file.txt', false],
    ['a/*.txt', 'a/file.txt', true],
    ['a/*.txt**', 'a/file.txt', true],
    ['a[b-d]e', 'ae', false],
    ['a[b-d]e', 'ace', true],
    ['a[b-d]e', 'aae', false],
    ['a[^b-d]e', 'aze', true],
    ['.*', '.foo', true],
    ['.*', 'foo', false],
    ['abc.def', 'abcdef', false],
    ['abc.def', 'abc.def', true],
    ['abc.def', 'abcZdef', false],
    ['abc?def', 'abcZdef', true],
    ['abc?def', 'abcdef', false],
    ['**/foo/bar', 'foo/bar', true],
    ['**/foo/bar', 'dir/foo/bar', true],
    ['**/foo/bar', 'dir/dir2/foo/bar', true],
    ['abc/**', 'abc', false],
    ['abc/**', 'abc/def', true],
    ['abc/**', 'abc/def/ghi', true],
    ['**/.foo', '.foo', true],
    ['**/.foo', 'bar.foo', false],
    ['a(b)c/def', 'a(b)c/def', true],
    ['a(b)c/def', 'a(b)c/xyz', false],
    ['a.|)$(}+{bc', 'a.|)$(}+{bc', true],
    ['dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', true],
    ['dist/*.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', true],
    ['a\\\\', 'a\\', true],
    ['a\\*b', 'a*b', true],
  ];
  for (const [pattern, path, expected] of rows) {
    assert.equal(matches(path, [pattern]), expected, `${pattern} vs ${path}`);
  }
});

// TestMatches' multiPatternTests: the last matching pattern wins.
test('matches: later patterns win', () => {
  const whl = 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl';
  assert.equal(matches('util/docker/web/foo', ['**', '!util/docker/web']), false);
  assert.equal(matches('util/docker/web/foo', ['**', '!util/docker/web', 'util/docker/web/foo']), true);
  assert.equal(matches(whl, ['**', `!${whl}`]), false);
  assert.equal(matches(whl, ['**', '!dist/*.whl']), false);
  assert.equal(matches('a/b/c', ['a', '!a/b', 'a/b/c']), true);
  assert.equal(matches('a/b/d', ['a', '!a/b', 'a/b/c']), false);
});

// TestMatch: Go's filepath.Match table, through Matches with one pattern.
test('matches: filepath.Match semantics and bad patterns', () => {
  const rows: [string, string, boolean | 'error'][] = [
    ['abc', 'abc', true],
    ['*', 'abc', true],
    ['*c', 'abc', true],
    ['a*', 'a', true],
    ['a*', 'abc', true],
    ['a*', 'ab/c', true],
    ['a*/b', 'abc/b', true],
    ['a*/b', 'a/c/b', false],
    ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
    ['a*b?c*x', 'abxbbxdbxebxczzx', true],
    ['a*b?c*x', 'abxbbxdbxebxczzy', false],
    ['ab[c]', 'abc', true],
    ['ab[b-d]', 'abc', true],
    ['ab[e-g]', 'abc', false],
    ['ab[^c]', 'abc', false],
    ['ab[^b-d]', 'abc', false],
    ['ab[^e-g]', 'abc', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'ab', false],
    ['a?b', 'a☺b', true],
    ['a[^a]b', 'a☺b', true],
    ['a???b', 'a☺b', false],
    ['a[^a][^a][^a]b', 'a☺b', false],
    ['[a-ζ]*', 'α', true],
    ['*[a-ζ]', 'A', false],
    ['a?b', 'a/b', false],
    ['a*b', 'a/b', false],
    ['[\\]a]', ']', true],
    ['[\\-]', '-', true],
    ['[x\\-]', 'x', true],
    ['[x\\-]', '-', true],
    ['[x\\-]', 'z', false],
    ['[\\-x]', 'x', true],
    ['[\\-x]', '-', true],
    ['[\\-x]', 'a', false],
    ['[]a]', ']', 'error'],
    ['[-]', '-', 'error'],
    ['[x-]', 'x', 'error'],
    ['[x-]', '-', 'error'],
    ['[x-]', 'z', 'error'],
    ['[-x]', 'x', 'error'],
    ['[-x]', '-', 'error'],
    ['[-x]', 'a', 'error'],
    ['\\', 'a', 'error'],
    ['[a-b-c]', 'a', 'error'],
    ['[', 'a', 'error'],
    ['[^', 'a', 'error'],
    ['[^bc', 'a', 'error'],
    ['a[', 'a', 'error'],
    ['a[', 'ab', 'error'],
    ['*x', 'xxx', true],
  ];
  for (const [pattern, path, expected] of rows) {
    if (expected === 'error') {
      assert.throws(() => new DockerIgnore([pattern]), /syntax error in pattern/, pattern);
    } else {
      assert.equal(matches(path, [pattern]), expected, `${pattern} vs ${path}`);
    }
  }
  // A ']' outside a class is an ordinary character.
  assert.equal(matches('a]b', ['a]b']), true);
  assert.equal(matches('a]b', ['a]?']), true);
  assert.equal(matches('a-z', ['a[x\\-y]z']), true);
  assert.equal(matches('ayz', ['a[x\\-y]z']), true);
  assert.equal(matches('abz', ['a[x\\-y]z']), false);
});

// TestSingleExclamationError, TestCleanPatterns*.
test('patterns: cleaned, trimmed, empty ones dropped, "!" alone refused', () => {
  assert.throws(() => new DockerIgnore(['!']), { message: 'illegal exclusion pattern: "!"' });
  assert.equal(new DockerIgnore(['docs', 'config', '']).patterns.length, 2);
  const ignore = new DockerIgnore(['docs', '  !docs/README.md  ', './a/../b/']);
  assert.equal(ignore.exclusions, true);
  assert.deepEqual(ignore.patterns.map((p) => [p.text, p.exclusion]), [['docs', false], ['docs/README.md', true], ['b', false]]);
  assert.equal(new DockerIgnore(['a', 'b']).exclusions, false);
  assert.equal(matches('b/x', ['./a/../b/']), true);
});

// ignorefile TestReadAll.
test('parseDockerignore: comments, blanks, leading slashes, exceptions', () => {
  const content = 'test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! ';
  assert.deepEqual(parseDockerignore(content), ['test1', 'test2', 'a/file/here', 'lastfile', '!inverted/abs/path', '!', '!']);
  assert.deepEqual(parseDockerignore(''), []);
  assert.deepEqual(parseDockerignore('\ufeff# c\r\n  # not a comment\r\n./x/../y/\r\n/\r\n'), ['# not a comment', 'y', '/']);
  assert.throws(() => DockerIgnore.parse('!\n'), /illegal exclusion pattern/);
  const ignore = DockerIgnore.parse('*.log\n!keep.log\nnode_modules\n');
  assert.equal(ignore.matches('a.log'), true);
  assert.equal(ignore.matches('keep.log'), false);
  assert.equal(ignore.matches('node_modules/x/y.js'), true);
  assert.equal(ignore.matches('sub/a.log'), false);
});

test('matches: paths are cleaned first and the root is never excluded', () => {
  const ignore = new DockerIgnore(['**', '!keep']);
  assert.equal(ignore.matches('.'), false);
  assert.equal(ignore.matches(''), false);
  assert.equal(ignore.matches('./keep'), false);
  assert.equal(ignore.matches('x/../keep'), false);
  assert.equal(ignore.matches('keep/inner'), false);
  assert.equal(ignore.matches('other'), true);
  assert.equal(new DockerIgnore(['Dockerfile', '.dockerignore']).matches('./Dockerfile'), true);
});

// fsutil filter.go: when an excluded directory must still be walked.
test('shouldDescend: exceptions that could re-include something below', () => {
  const plain = new DockerIgnore(['docs', '!docs/README.md']);
  assert.equal(plain.shouldDescend('docs'), true);
  assert.equal(plain.shouldDescend('src'), true);
  assert.equal(plain.matches('docs'), true);
  assert.equal(plain.matches('docs/README.md'), false);
  assert.equal(plain.matches('docs/other.md'), true);

  const noExceptions = new DockerIgnore(['node_modules', 'build/']);
  assert.equal(noExceptions.shouldDescend('node_modules'), false);
  assert.equal(noExceptions.shouldDescend('build'), false);
  assert.equal(noExceptions.shouldDescend('src'), true);

  // A plain exception elsewhere does not open unrelated directories.
  const elsewhere = new DockerIgnore(['*', '!src/main', '!lib/**']);
  assert.equal(elsewhere.shouldDescend('src'), true);
  assert.equal(elsewhere.shouldDescend('lib'), true);
  assert.equal(elsewhere.shouldDescend('test'), false);
  assert.equal(elsewhere.shouldDescend('srcx'), false);
  assert.equal(new DockerIgnore(['a', '!a/b/c']).shouldDescend('a/b'), true);
  assert.equal(new DockerIgnore(['a', '!a/b/c']).shouldDescend('a/x'), false);

  // An exception with a wildcard could match anywhere: walk everything.
  const wild = new DockerIgnore(['data', '!**/*.keep']);
  assert.equal(wild.shouldDescend('data'), true);
  assert.equal(wild.matches('data/x.keep'), false);
  assert.equal(wild.matches('data/x.tmp'), true);
  assert.equal(new DockerIgnore(['data', '!data/*/x']).shouldDescend('data'), true);
});

test('ignoreFileFor: <Dockerfile>.dockerignore first, then the context root', () => {
  const files = (...names: string[]) => (p: string) => names.includes(p);
  assert.equal(ignoreFileFor('docker/app.Dockerfile', files('docker/app.Dockerfile.dockerignore', '.dockerignore')), 'docker/app.Dockerfile.dockerignore');
  assert.equal(ignoreFileFor('docker/app.Dockerfile', files('.dockerignore')), '.dockerignore');
  assert.equal(ignoreFileFor('/ctx/Dockerfile', files('/ctx/.dockerignore'), '/ctx'), '/ctx/.dockerignore');
  assert.equal(ignoreFileFor('/ctx/Dockerfile', files('/ctx/Dockerfile.dockerignore', '/ctx/.dockerignore'), '/ctx'), '/ctx/Dockerfile.dockerignore');
  assert.equal(ignoreFileFor('Dockerfile', files()), undefined);
});

test('cleanPath: Go path.Clean', () => {
  const rows: [string, string][] = [
    ['', '.'], ['.', '.'], ['/', '/'], ['a/', 'a'], ['a//b', 'a/b'], ['./a', 'a'], ['a/./b', 'a/b'],
    ['a/../b', 'b'], ['../a', '../a'], ['a/../..', '..'], ['/../a', '/a'], ['/a/b/../../..', '/'], ['**/', '**'],
  ];
  for (const [input, expected] of rows) assert.equal(cleanPath(input), expected, input);
});
