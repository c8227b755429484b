import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, missReason, NO_EARLIER_BUILD, stepKey, type CacheEntry, type StepInputs } from '../../src/build/cache-key.ts';

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

test('miss reasons: file, build arg, instruction, source, download, parent', () => {
  const copy: StepInputs = { parent: 'sha256:p', instruction: 'COPY app.c .', context: {}, files: { 'app.c': '1', 'x.h': '1' } };
  const cached = [entry(copy)];
  assert.equal(missReason({ ...copy, files: { 'app.c': '2', 'x.h': '1' } }, cached), 'file app.c changed');
  assert.equal(missReason({ ...copy, files: { 'app.c': '2', 'x.h': '2' } }, cached), 'file app.c changed (and 1 more)');
  assert.equal(missReason({ ...copy, files: { 'app.c': '1', 'x.h': '1', 'y.h': '1' } }, cached), 'file y.h added');
  assert.equal(missReason({ ...copy, files: { 'app.c': '1' } }, cached), 'file x.h removed');
  assert.equal(missReason({ ...copy, instruction: 'COPY other.c .' }, cached), 'instruction changed');
  assert.equal(missReason({ ...base, args: { V: '2' } }, [entry(base)]), 'build arg V changed (was 1, now 2)');
  assert.equal(missReason({ ...base, args: { V: '1', W: 'x' } }, [entry(base)]), 'build arg W added (x)');
  assert.equal(missReason({ ...base, args: {} }, [entry(base)]), 'build arg V removed (was 1)');
  assert.equal(missReason({ ...base, context: { other: 1 } }, [entry(base)]), 'config or flags changed');
});

test('miss reasons name the source stage or image', () => {
  const from: StepInputs = { parent: 'sha256:p', instruction: 'COPY --from=build /out .', context: {}, source: 'sha256:a', sourceName: 'stage build' };
  assert.equal(missReason({ ...from, source: 'sha256:b' }, [entry(from)]), 'source stage build changed');
  assert.equal(missReason({ ...from, source: 'sha256:b', sourceName: 'image alpine:3' }, [entry(from)]), 'source image alpine:3 changed');
  // The name only explains: it is neither kept nor in the key.
  assert.equal(stepKey(from), stepKey({ ...from, sourceName: 'stage other' }));
  assert.equal(entry(from).source, 'sha256:a');
});

test('miss reasons: an ADD URL whose content changed', () => {
  const add: StepInputs = { parent: 'sha256:p', instruction: 'ADD http://127.0.0.1/f /f', context: { fetched: [{ url: 'http://127.0.0.1/f', digest: '1' }] }, downloads: { 'http://127.0.0.1/f': '1' } };
  const now: StepInputs = { ...add, context: { fetched: [{ url: 'http://127.0.0.1/f', digest: '2' }] }, downloads: { 'http://127.0.0.1/f': '2' } };
  assert.notEqual(stepKey(add), stepKey(now));
  assert.equal(missReason(now, [{ ...entry(add), downloads: add.downloads! }]), 'downloaded content changed');
});

test('miss reasons when the parent is new: what made it so, or nothing cached like it', () => {
  const copy: StepInputs = { parent: 'sha256:p', instruction: 'COPY app.c .', context: {}, files: { 'app.c': '1' } };
  const cached = [entry(copy)];
  assert.equal(missReason({ ...copy, parent: 'sha256:new' }, cached, 'step 3/10 COPY app.c . missed'), 'parent changed: step 3/10 COPY app.c . missed');
  assert.equal(missReason({ ...copy, parent: 'sha256:new' }, cached, 'base image busybox changed'), 'parent changed: base image busybox changed');
  // A parent the build did not make new (a cached step whose children were pruned): nothing to blame.
  assert.equal(missReason({ ...copy, parent: 'sha256:new' }, cached), NO_EARLIER_BUILD);
  // Not cached on any parent: nothing to compare with.
  assert.equal(missReason({ ...copy, parent: 'sha256:new', instruction: 'COPY z .' }, cached, 'step 2/3 RUN x missed'), NO_EARLIER_BUILD);
  assert.equal(missReason(base, []), 'no earlier build of this step');
  // A step of another kind after a cached parent is a new step, not a changed one.
  assert.equal(missReason({ ...copy, instruction: 'RUN make' }, cached), NO_EARLIER_BUILD);
  assert.equal(missReason({ ...copy, instruction: '/bin/sh -c #(nop)  ENV A=1' }, cached), NO_EARLIER_BUILD);
});

test('the most recently used sibling is the one compared with', () => {
  const old = entry({ ...base, args: { V: '0' } }, '2024-01-01T00:00:00Z');
  const recent = entry({ ...base, args: { V: '1' } }, '2024-06-01T00:00:00Z');
  assert.equal(missReason({ ...base, args: { V: '2' } }, [old, recent]), 'build arg V changed (was 1, now 2)');
});
