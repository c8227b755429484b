import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StageOutput } from '../../src/build/stage-output.ts';

test('stages that run at once print in build order, the first unfinished one live', () => {
  const printed: string[] = [];
  const out = new StageOutput(3, (t) => printed.push(t));
  const [a, b, c] = [out.writer(0), out.writer(1), out.writer(2)];
  c('c1');
  a('a1');
  b('b1');
  assert.deepEqual(printed, ['a1']);
  out.finish(2);
  a('a2');
  assert.deepEqual(printed, ['a1', 'a2']);
  out.finish(0);
  // b goes live with what it held; c finished already, so it follows at once.
  assert.deepEqual(printed, ['a1', 'a2', 'b1']);
  b('b2');
  out.finish(1);
  assert.deepEqual(printed, ['a1', 'a2', 'b1', 'b2', 'c1']);
});
