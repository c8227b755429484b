import { test } from 'node:test';
import assert from 'node:assert/strict';
import { continuesFrom, nextStep, type ImageHistory } from '../../src/build/cache-from.ts';

const base: ImageHistory = {
  history: [{ created: '2024-01-01T00:00:00Z', created_by: '/bin/sh -c #(nop) ADD file:abc in / ' }],
  diffIds: ['sha256:base'],
};

/** An image built on base: ENV (no layer), RUN (a layer), CMD (no layer). */
const app: ImageHistory = {
  history: [
    ...base.history,
    { created: '2024-02-01T00:00:00Z', created_by: '/bin/sh -c #(nop)  ENV A=1', empty_layer: true },
    { created: '2024-02-01T00:00:01Z', created_by: '/bin/sh -c make' },
    { created: '2024-02-01T00:00:02Z', created_by: '/bin/sh -c #(nop)  CMD ["app"]', empty_layer: true },
  ],
  diffIds: ['sha256:base', 'sha256:make'],
};

/** What a step restored from `source` leaves as the next step's parent. */
const after = (parent: ImageHistory, source: ImageHistory, layer?: number): ImageHistory => ({
  history: source.history.slice(0, parent.history.length + 1),
  diffIds: [...parent.diffIds, ...(layer !== undefined ? [source.diffIds[layer]!] : [])],
});

test('a source goes on from a parent whose history and layers it starts with (moby\'s isValidParent)', () => {
  assert.equal(continuesFrom(app, base), true);
  assert.equal(continuesFrom(app, null), true);
  assert.equal(continuesFrom(app, { history: [], diffIds: [] }), true);
  // Another base: the same line written at another time is another history.
  assert.equal(continuesFrom(app, { ...base, history: [{ ...base.history[0]!, created: '2024-01-02T00:00:00Z' }] }), false);
  assert.equal(continuesFrom(app, { ...base, diffIds: ['sha256:other'] }), false);
  // Nothing after the parent, or more layers than the source has.
  assert.equal(continuesFrom(app, app), false);
  assert.equal(continuesFrom(app, { history: app.history.slice(0, 2), diffIds: ['sha256:base', 'sha256:x', 'sha256:y'] }), false);
  assert.equal(continuesFrom({ history: [], diffIds: [] }, null), false);
  // Absent fields are Go's zero values.
  assert.equal(continuesFrom(app, { history: [{ ...base.history[0]!, comment: '', empty_layer: false }], diffIds: base.diffIds }), true);
});

test('each step is taken when its history line is the source\'s next, with the layer it added; the last is the source itself', () => {
  const env = nextStep(app, base, ['/bin/sh -c #(nop)  ENV A=1']);
  assert.deepEqual(env, { last: false, entry: app.history[1] });
  const afterEnv = after(base, app);
  const run = nextStep(app, afterEnv, ['/bin/sh -c make']);
  assert.deepEqual(run, { last: false, entry: app.history[2], layer: 1 });
  const afterRun = after(afterEnv, app, 1);
  assert.deepEqual(nextStep(app, afterRun, ['/bin/sh -c #(nop)  CMD ["app"]']), { last: true, entry: app.history[3] });
  // Another instruction, or a step after a parent the source does not go on from, misses.
  assert.equal(nextStep(app, base, ['/bin/sh -c #(nop)  ENV A=2']), undefined);
  assert.equal(nextStep(app, afterEnv, ['/bin/sh -c make install']), undefined);
  assert.equal(nextStep(app, { history: [...afterEnv.history], diffIds: ['sha256:other'] }, ['/bin/sh -c make']), undefined);
  // Any of several lines will do (COPY names its kind of source only once it has copied).
  assert.equal(nextStep(app, afterEnv, ['/bin/sh -c x', '/bin/sh -c make'])?.layer, 1);
  // A history that claims a layer the image does not have is not followed.
  assert.equal(nextStep({ history: app.history, diffIds: ['sha256:base'] }, afterEnv, ['/bin/sh -c make']), undefined);
});
