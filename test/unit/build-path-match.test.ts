// COPY/ADD wildcards against Go's filepath.Match rules (the cases of Go's
// own match tests that apply on Linux, plus the dotfile rule moby relies on).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadPattern, checkPattern, matchPath } from '../../src/build/path-match.ts';

test('a leading dot is an ordinary character', () => {
  for (const name of ['.env', '.b.txt', 'a.txt']) assert.equal(matchPath('*', name), true, name);
  assert.equal(matchPath('*.txt', '.b.txt'), true);
  assert.equal(matchPath('?env', '.env'), true);
  assert.equal(matchPath('[.]*', '.env'), true);
  assert.equal(matchPath('.*', 'a.txt'), false);
});

test("filepath.Match's table", () => {
  const cases: [string, string, boolean][] = [
    ['abc', 'abc', true], ['*', 'abc', true], ['*c', 'abc', true], ['a*', 'a', true], ['a*', 'abc', true],
    ['a*', 'ab/c', false], ['a*/b', 'abc/b', true], ['a*/b', 'a/c/b', false],
    ['a*b*c*d*e*/f', 'axbxcxdxe/f', true], ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false], ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
    ['a*b?c*x', 'abxbbxdbxebxczzx', true], ['a*b?c*x', 'abxbbxdbxebxczzy', false],
    ['ab[c]', 'abc', true], ['ab[b-d]', 'abc', true], ['ab[e-g]', 'abc', false], ['ab[^c]', 'abc', false],
    ['ab[^b-d]', 'abc', false], ['ab[^e-g]', 'abc', true], ['a\\*b', 'a*b', true], ['a\\*b', 'ab', false],
    ['a?b', 'a☺b', true], ['a[^a]b', 'a☺b', true], ['a???b', 'a☺b', false], ['a[^a][^a][^a]b', 'a☺b', false],
    ['[a-ζ]*', 'α', true], ['*[a-ζ]', 'A', false], ['a?b', 'a/b', false], ['a*b', 'a/b', false],
    ['[\\]a]', ']', true], ['[\\-]', '-', true], ['[x\\-]', 'x', true], ['[x\\-]', '-', true], ['[x\\-]', 'z', false],
    ['[\\-x]', 'x', true], ['[\\-x]', '-', true], ['[\\-x]', 'a', false], ['*x', 'xxx', true],
    // A class is not kept from the separator, unlike * and ?.
    ['a[/]b', 'a/b', true],
    ['', '', true], ['', 'a', false], ['*', '', true],
  ];
  for (const [pattern, name, want] of cases) assert.equal(matchPath(pattern, name), want, `${pattern} ~ ${name}`);
});

test('malformed patterns are errors, checked whole even when the name cannot match', () => {
  for (const pattern of ['[]a]', '[-]', '[x-]', '[a-b-c]', '[', '[^', '[^bc', 'a[', 'ab[^-]', '\\', 'a\\', '[\\', 'a*[', 'x*[]']) {
    assert.throws(() => matchPath(pattern, 'zzz'), BadPattern, pattern);
    assert.throws(() => checkPattern(pattern), BadPattern, pattern);
  }
  assert.doesNotThrow(() => checkPattern('a[b-c]*\\*'));
});

test('no braces, no extglobs, no globstar', () => {
  assert.equal(matchPath('{a,b}.txt', 'a.txt'), false);
  assert.equal(matchPath('{a,b}.txt', '{a,b}.txt'), true);
  assert.equal(matchPath('+(a).txt', 'a.txt'), false);
  assert.equal(matchPath('**', 'a/b'), false);
  assert.equal(matchPath('**', 'ab'), true);
});
