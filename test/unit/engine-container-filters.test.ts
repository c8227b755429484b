// `docker ps --filter`, checked against moby's daemon/list.go semantics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerFilter, labelMatches, type FilterContext } from '../../src/engine/container-filters.ts';
import { initialState, type ContainerRecord, type Status } from '../../src/engine/types.ts';
import { ApiError } from '../../src/util/errors.ts';

interface Opts { status?: Status; exitCode?: number; labels?: Record<string, string> | null; image?: string; created?: string; removing?: boolean }

function rec(id: string, name: string, o: Opts = {}): ContainerRecord {
  const state = initialState();
  state.Status = o.status ?? 'running';
  state.Running = state.Status === 'running' || state.Status === 'paused';
  state.Paused = state.Status === 'paused';
  state.ExitCode = o.exitCode ?? 0;
  if (state.Status !== 'created') state.StartedAt = '2026-01-01T00:00:00Z';
  return {
    Id: id.padEnd(64, '0'),
    Name: `/${name}`,
    Created: o.created ?? '2026-01-01T00:00:00.000000000Z',
    Path: 'sh',
    Args: [],
    State: state,
    Image: o.image ?? 'sha256:' + 'i'.repeat(64),
    ImageChain: [],
    RestartCount: 0,
    Config: { Labels: o.labels === undefined ? {} : o.labels },
    HostConfig: {},
    ManuallyStopped: false,
    ...(o.removing ? { Removing: true } : {}),
  };
}

const ctx: FilterContext = { ancestorIds: () => new Set(), createdOf: () => undefined };

function names(filters: Record<string, string[]>, records: ContainerRecord[], c: FilterContext = ctx): string[] {
  const keep = containerFilter(filters, c);
  return records.filter(keep).map((r) => r.Name.slice(1));
}

const apiError = (status: number, re?: RegExp) => (err: unknown): boolean => {
  assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
  assert.equal(err.status, status);
  if (re) assert.match(err.message, re);
  return true;
};

const all = [
  rec('aaa1', 'web', { status: 'running', labels: { env: 'prod', tier: 'front' } }),
  rec('aaa2', 'web-2', { status: 'exited', exitCode: 0, labels: { env: 'dev' } }),
  rec('bbb1', 'myweb', { status: 'exited', exitCode: 137, labels: null }),
  rec('bbb2', 'db', { status: 'paused', labels: { env: 'prod' } }),
  rec('ccc1', 'fresh', { status: 'created' }),
  rec('ccc2', 'going', { status: 'exited', exitCode: 2, removing: true }),
];

test('no filters keep everything', () => {
  assert.deepEqual(names({}, all), ['web', 'web-2', 'myweb', 'db', 'fresh', 'going']);
});

test('status: one or several values (OR), removing wins over the state', () => {
  assert.deepEqual(names({ status: ['running'] }, all), ['web']);
  assert.deepEqual(names({ status: ['exited'] }, all), ['web-2', 'myweb']);
  assert.deepEqual(names({ status: ['paused', 'created'] }, all), ['db', 'fresh']);
  assert.deepEqual(names({ status: ['removing'] }, all), ['going']);
  assert.deepEqual(names({ status: ['dead'] }, all), []);
});

test('status: an unknown value is a 400', () => {
  assert.throws(() => containerFilter({ status: ['sleeping'] }, ctx), apiError(400, /sleeping/));
});

test('an unknown filter key is a 400 "invalid filter"', () => {
  assert.throws(() => containerFilter({ colour: ['red'] }, ctx), apiError(400, /^invalid filter 'colour'$/));
});

test('the accepted keys do not throw', () => {
  for (const k of ['status', 'name', 'label', 'id', 'exited', 'network', 'volume', 'publish', 'expose', 'isolation']) {
    const v = k === 'status' ? 'running' : k === 'exited' ? '0' : 'x';
    assert.doesNotThrow(() => containerFilter({ [k]: [v] }, ctx), k);
  }
});

test('name: a regular expression matched against the name without its slash', () => {
  assert.deepEqual(names({ name: ['web'] }, all), ['web', 'web-2', 'myweb']);
  assert.deepEqual(names({ name: ['^web$'] }, all), ['web']);
  assert.deepEqual(names({ name: ['^web'] }, all), ['web', 'web-2']);
  assert.deepEqual(names({ name: ['/db'] }, all), ['db']);
  assert.deepEqual(names({ name: ['^db$', '^fresh$'] }, all), ['db', 'fresh']);
  assert.deepEqual(names({ name: ['nomatch'] }, all), []);
});

test('name: patterns written against the slash-prefixed name also match', () => {
  assert.deepEqual(names({ name: ['^/web$'] }, all), ['web']);
});

test('name: an invalid regular expression matches nothing instead of failing', () => {
  assert.deepEqual(names({ name: ['['] }, all), []);
  assert.deepEqual(names({ name: ['[', '^db$'] }, all), ['db']);
});

test('id: prefixes of the full ID', () => {
  assert.deepEqual(names({ id: ['aaa'] }, all), ['web', 'web-2']);
  assert.deepEqual(names({ id: ['aaa2'] }, all), ['web-2']);
  assert.deepEqual(names({ id: ['bbb1', 'ccc1'] }, all), ['myweb', 'fresh']);
  // Not a prefix: no match.
  assert.deepEqual(names({ id: ['aa2'] }, all), []);
});

test('label: a key, or key=value; several labels must all match', () => {
  assert.deepEqual(names({ label: ['env'] }, all), ['web', 'web-2', 'db']);
  assert.deepEqual(names({ label: ['env=prod'] }, all), ['web', 'db']);
  assert.deepEqual(names({ label: ['env=prod', 'tier=front'] }, all), ['web']);
  assert.deepEqual(names({ label: ['env=prod', 'tier'] }, all), ['web']);
  assert.deepEqual(names({ label: ['env=staging'] }, all), []);
  assert.deepEqual(names({ label: ['nope'] }, all), []);
});

test('labelMatches', () => {
  assert.equal(labelMatches({ a: '1', b: '' }, 'a'), true);
  assert.equal(labelMatches({ a: '1', b: '' }, 'a=1'), true);
  assert.equal(labelMatches({ a: '1', b: '' }, 'a=2'), false);
  assert.equal(labelMatches({ a: '1', b: '' }, 'b='), true);
  assert.equal(labelMatches({ a: 'x=y' }, 'a=x=y'), true);
  assert.equal(labelMatches(null, 'a'), false);
  assert.equal(labelMatches(undefined, 'a'), false);
  assert.equal(labelMatches({}, 'a'), false);
});

test('exited: stopped containers with one of the exit codes', () => {
  assert.deepEqual(names({ exited: ['0'] }, all), ['web-2']);
  assert.deepEqual(names({ exited: ['137'] }, all), ['myweb']);
  assert.deepEqual(names({ exited: ['0', '137'] }, all), ['web-2', 'myweb']);
  // The running container also has ExitCode 0 but is not exited; neither is the never-started one.
  assert.ok(!names({ exited: ['0'] }, all).includes('web'));
  assert.ok(!names({ exited: ['0'] }, all).includes('fresh'));
});

test('exited: a non-number is a 400', () => {
  assert.throws(() => containerFilter({ exited: ['zero'] }, ctx), apiError(400));
});

test('ancestor: the caller resolves each value to image IDs', () => {
  const img1 = 'sha256:' + '1'.repeat(64);
  const img2 = 'sha256:' + '2'.repeat(64);
  const recs = [rec('d1', 'one', { image: img1 }), rec('d2', 'two', { image: img2 }), rec('d3', 'three')];
  const asked: string[] = [];
  const c: FilterContext = {
    ...ctx,
    ancestorIds: (v) => {
      asked.push(v);
      return new Set(v === 'busybox' ? [img1] : v === 'alpine' ? [img2] : []);
    },
  };
  assert.deepEqual(names({ ancestor: ['busybox'] }, recs, c), ['one']);
  assert.deepEqual(names({ ancestor: ['busybox', 'alpine'] }, recs, c), ['one', 'two']);
  assert.deepEqual(names({ ancestor: ['unknown'] }, recs, c), []);
  assert.ok(asked.includes('busybox') && asked.includes('alpine') && asked.includes('unknown'));
});

test('before and since compare creation times with the named container', () => {
  const recs = [
    rec('e1', 'first', { created: '2026-01-01T00:00:01.000000000Z' }),
    rec('e2', 'second', { created: '2026-01-01T00:00:02.000000000Z' }),
    rec('e3', 'third', { created: '2026-01-01T00:00:03.000000000Z' }),
  ];
  const c: FilterContext = { ...ctx, createdOf: (ref) => recs.find((r) => r.Name === `/${ref}`)?.Created };
  assert.deepEqual(names({ before: ['second'] }, recs, c), ['first']);
  assert.deepEqual(names({ since: ['second'] }, recs, c), ['third']);
  assert.deepEqual(names({ since: ['first'], before: ['third'] }, recs, c), ['second']);
  assert.deepEqual(names({ before: ['first'] }, recs, c), []);
});

test('before/since naming an unknown container are refused', () => {
  assert.throws(() => containerFilter({ before: ['ghost'] }, ctx), (err: unknown) => err instanceof ApiError && /No such container: ghost/.test(err.message));
  assert.throws(() => containerFilter({ since: ['ghost'] }, ctx), (err: unknown) => err instanceof ApiError && /No such container: ghost/.test(err.message));
});

test('before/since naming an unknown container answer 404 like docker', () => {
  assert.throws(() => containerFilter({ before: ['ghost'] }, ctx), apiError(404, /No such container: ghost/));
});

test('health: containers without a healthcheck are "none", never "healthy"', () => {
  assert.deepEqual(names({ health: ['healthy'] }, all), []);
  assert.deepEqual(names({ health: ['none'] }, all), names({}, all));
});

test('health: an unknown value is a 400', () => {
  assert.throws(() => containerFilter({ health: ['great'] }, ctx), apiError(400));
});

test('filters on different keys combine with AND', () => {
  assert.deepEqual(names({ status: ['exited'], name: ['web'] }, all), ['web-2', 'myweb']);
  assert.deepEqual(names({ status: ['exited'], label: ['env'] }, all), ['web-2']);
  assert.deepEqual(names({ id: ['aaa'], status: ['running'] }, all), ['web']);
});
