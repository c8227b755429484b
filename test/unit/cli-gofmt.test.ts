import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFloat, formatValue, GoNil, goQuote, sprint, sprintf, sprintln } from '../../src/cli/gofmt.ts';

test('%v prints JSON values the way Go prints decoded or typed data', () => {
  assert.equal(formatValue('x'), 'x');
  assert.equal(formatValue(42), '42');
  assert.equal(formatValue(1.5), '1.5');
  assert.equal(formatValue(true), 'true');
  assert.equal(formatValue(null), '<nil>');
  assert.equal(formatValue(undefined), '<no value>');
  assert.equal(formatValue(['a', 1, null]), '[a 1 <nil>]');
  // Maps print sorted; structs (capitalised fields) print their values in order.
  assert.equal(formatValue({ b: '2', a: '1' }), 'map[a:1 b:2]');
  assert.equal(formatValue({ Status: 'running', Pid: 7, Health: null }), '{running 7 <nil>}');
  assert.equal(formatValue({ '80/tcp': [{ HostIp: '', HostPort: '8080' }] }), 'map[80/tcp:[{ 8080}]]');
  assert.equal(formatValue(new Map([['z', 1], ['a', 2]])), 'map[a:2 z:1]');
  assert.equal(formatValue(new GoNil('map')), 'map[]');
  assert.equal(formatValue(new GoNil('slice')), '[]');
  assert.equal(formatValue(12345678901234567890n), '12345678901234567890');
});

test('shortest %g switches to exponent form like strconv', () => {
  assert.equal(formatValue(0.000012), '1.2e-05');
  assert.equal(formatValue(1234567.5), '1.2345675e+06');
  assert.equal(formatValue(123456.5), '123456.5');
});

test('%.3g as used for human sizes', () => {
  assert.equal(formatFloat(4.27, 'g', 3), '4.27');
  assert.equal(formatFloat(4.2, 'g', 3), '4.2');
  assert.equal(formatFloat(100, 'g', 3), '100');
  assert.equal(formatFloat(999.9, 'g', 3), '1e+03');
  assert.equal(formatFloat(1.234, 'g', 3), '1.23');
  assert.equal(formatFloat(0, 'g', 3), '0');
  assert.equal(formatFloat(1.5, 'f', 2), '1.50');
  assert.equal(formatFloat(1e6, 'e', 6), '1.000000e+06');
});

test('strconv.Quote escapes like Go', () => {
  assert.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(goQuote('tab\there\nnl'), '"tab\\there\\nnl"');
  assert.equal(goQuote('\x1b[0m'), '"\\x1b[0m"');
  assert.equal(goQuote('héllo…'), '"héllo…"');
  assert.equal(goQuote("sh -c 'x'"), `"sh -c 'x'"`);
});

test('Sprintf verbs, widths and flags', () => {
  assert.equal(sprintf('%s|%5s|%-5s|', ['a', 'b', 'c']), 'a|    b|c    |');
  assert.equal(sprintf('%d %05d %+d %x %X %o %b', [42, 42, 42, 255, 255, 8, 5]), '42 00042 +42 ff FF 10 101');
  assert.equal(sprintf('%q %v %t %c', ['q', [1, 2], true, 65]), '"q" [1 2] true A');
  assert.equal(sprintf('%.2f %e %g', [3.14159, 1234.5, 0.5]), '3.14 1.234500e+03 0.5');
  assert.equal(sprintf('%.3s', ['abcdef']), 'abc');
  assert.equal(sprintf('%*d', [4, 7]), '   7');
  assert.equal(sprintf('100%%', []), '100%');
  assert.equal(sprintf('%x', ['hi']), '6869');
});

test('Sprintf reports bad verbs, missing and extra arguments as Go does', () => {
  assert.equal(sprintf('%d', ['x']), '%!d(string=x)');
  assert.equal(sprintf('%s %s', ['a']), 'a %!s(MISSING)');
  assert.equal(sprintf('%s', ['a', 1]), 'a%!(EXTRA int=1)');
  assert.equal(sprintf('%z', [1]), '%!z(int=1)');
});

test('Sprint and Sprintln spacing rules', () => {
  assert.equal(sprint(['a', 'b']), 'ab');
  assert.equal(sprint([1, 2]), '1 2');
  assert.equal(sprint(['a', 1, 2, 'b']), 'a1 2b');
  assert.equal(sprintln(['a', 1]), 'a 1\n');
});
