import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, missReason, stepKey, type CacheEntry, type StepInputs } from '../../src/build/cache-key.ts';

const base: StepInputs = { parent: 'sha256:p', instruction: 'RUN make', context: { config: { Env: ['A=1'] }, cmd: ['/bin/sh', '-c', 'make'] }, args: { V: '1' } };
const entry = (inputs: StepInputs, lastUsed = '2024-01-01T00:00:00Z'): CacheEntry => ({
  key: stepKey(inputs), image: 'sha256:i', parent: inputs.parent, instruction: inputs.instruction,
  ...(inputs.args ? { args: inputs.args } : {}), ...(inputs.files ? { files: inputs.files } : {}), ...(inputs.source ? { source: inputs.source } : {}),
  size: 0, created: lastUsed, lastUsed, usageCount: 0,
});

test('canonical JSON sorts object keys at every depth', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } }), '{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}');
});

test('the key is stable and changes with every input', () => {
  assert.equal(stepKey(base), stepKey({ ...base, context: { cmd: ['/bin/sh', '-c', 'make'], config: { Env: ['A=1'] } } }));
  const variants: StepInputs[] = [
    { ...base, parent: 'sha256:q' },
    { ...base, parent: null },
    { ...base, instruction: 'RUN make all' },
    { ...base, context: { config: { Env: ['A=2'] }, cmd: ['/bin/sh', '-c', 'make'] } },
    { ...base, context: { config: { Env: ['A=1'], Shell: ['/bin/bash', '-c'] }, cmd: ['/bin/bash', '-c', 'make'] } },
    { ...base, args: { V: '2' } },
    { ...base, args: {} },
    { ...base, args: undefined },
    { ...base, files: { 'a.c': 'x' } },
    { ...base, source: 'sha256:s' },
  ];
  const keys = new Set([stepKey(base), ...variants.map(stepKey)]);
  assert.equal(keys.size, variants.length + 1);
  assert.match(stepKey(base), /^sha256:[0-9a-f]{64}$/);
});

test('a file digest map changes the key per file', () => {
  const a = { ...base, files: { 'a.c': '1', 'b.c': '2' } };
  assert.equal(stepKey(a), stepKey({ ...base, files: { 'b.c': '2', 'a.c': '1' } }));
  assert.notEqual(stepKey(a), stepKey({ ...base, files: { 'a.c': '1', 'b.c': '3' } }));
});

test('miss reasons: file, build arg, instruction, source, parent', () => {
  const copy: StepInputs = { parent: 'sha256:p', instruction: 'COPY app.c .', context: {}, files: { 'app.c': '1', 'x.h': '1' } };
  const cached = [entry(copy)];
  assert.equal(missReason({ ...copy, files: { 'app.c': '2', 'x.h': '1' } }, cached), 'file app.c changed');
  assert.equal(missReason({ ...copy, files: { 'app.c': '2', 'x.h': '2' } }, cached), 'file app.c changed (and 1 more)');
  assert.equal(missReason({ ...copy, files: { 'app.c': '1', 'x.h': '1', 'y.h': '1' } }, cached), 'file y.h added');
  assert.equal(missReason({ ...copy, files: { 'app.c': '1' } }, cached), 'file x.h removed');
  assert.equal(missReason({ ...copy, instruction: 'COPY other.c .' }, cached), 'instruction changed');
  // Another kind of step after the same parent is not a changed line (another stage, a new step): nothing to say.
  assert.equal(missReason({ ...copy, instruction: 'RUN make' }, cached), undefined);
  assert.equal(missReason({ ...copy, instruction: '/bin/sh -c #(nop)  ENV A=1' }, cached), undefined);
  assert.equal(missReason({ ...copy, parent: 'sha256:new' }, cached), 'parent changed');
  assert.equal(missReason({ ...copy, parent: 'sha256:new', instruction: 'COPY z .' }, cached), undefined);
  assert.equal(missReason(base, []), undefined);
  assert.equal(missReason({ ...base, args: { V: '2' } }, [entry(base)]), 'build arg V changed (was 1, now 2)');
  assert.equal(missReason({ ...base, args: { V: '1', W: 'x' } }, [entry(base)]), 'build arg W added (x)');
  const from: StepInputs = { parent: 'sha256:p', instruction: 'COPY --from=build /out .', context: {}, source: 'sha256:a' };
  assert.equal(missReason({ ...from, source: 'sha256:b' }, [entry(from)]), 'source stage changed');
  assert.equal(missReason({ ...base, context: { other: 1 } }, [entry(base)]), 'config or flags changed');
});

test('the most recently used sibling is the one compared with', () => {
  const old = entry({ ...base, args: { V: '0' } }, '2024-01-01T00:00:00Z');
  const recent = entry({ ...base, args: { V: '1' } }, '2024-06-01T00:00:00Z');
  assert.equal(missReason({ ...base, args: { V: '2' } }, [old, recent]), 'build arg V changed (was 1, now 2)');
});
