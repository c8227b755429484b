import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayWidth, ellipsis, tabwrite } from '../../src/cli/tabwriter.ts';

test("docker's table padding: minimum width 10, three spaces between columns", () => {
  const out = tabwrite('CONTAINER ID\tIMAGE\tNAMES\naaaaaaaaaaaa\tbusybox\tweb\n');
  assert.equal(out, 'CONTAINER ID   IMAGE     NAMES\naaaaaaaaaaaa   busybox   web\n');
});

test('the last cell of a line is not padded and empty cells still align', () => {
  const out = tabwrite('A\tB\tC\n\t\tx\nlonger-value-here\t\t\n');
  assert.equal(out, 'A                   B         C\n                              x\nlonger-value-here             \n');
});

test('column blocks end where a line has fewer cells (elastic tabstops)', () => {
  const out = tabwrite('aaaa\tbbb\td\naa\tb\tdd\na\t\naa\tcccc\teee\n');
  assert.equal(out, ['aaaa      bbb       d', 'aa        b         dd', 'a         ', 'aa        cccc      eee', ''].join('\n'));
});

test('other settings, as docker top uses them', () => {
  assert.equal(tabwrite('UID\tPID\nroot\t1\n', { minWidth: 20, padding: 3 }), `UID${' '.repeat(17)}PID\nroot${' '.repeat(16)}1\n`);
});

test('wide characters count twice', () => {
  assert.equal(displayWidth('日本'), 4);
  assert.equal(tabwrite('日本\tx\nab\ty\n'), '日本      x\nab        y\n');
});

test('ellipsis cuts to display width', () => {
  assert.equal(ellipsis("sh -c 'echo hello world; sleep 1000'", 20), "sh -c 'echo hello w…");
  assert.equal(ellipsis('short', 20), 'short');
  assert.equal(ellipsis('abc', 1), 'a');
  assert.equal(ellipsis('abc', 0), '');
  assert.equal(ellipsis('日本語のテキスト', 7), '日本語…');
});
