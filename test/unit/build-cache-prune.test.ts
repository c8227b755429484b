import { test } from 'node:test';
import assert from 'node:assert/strict';
import { choosePrune, FilterError, type CacheRecord, type PruneOptions } from '../../src/build/cache-prune.ts';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const hoursAgo = (h: number): string => new Date(NOW - h * 3_600_000).toISOString();

function record(ID: string, over: Partial<CacheRecord> = {}): CacheRecord {
  return {
    ID, Parent: '', Parents: null, Type: 'regular', Description: `RUN ${ID}`, InUse: false, Shared: false, Size: 100,
    CreatedAt: hoursAgo(48), LastUsedAt: hoursAgo(1), UsageCount: 1, ...over,
  };
}

const RECORDS = [
  record('base', { Shared: true, Size: 1000, LastUsedAt: hoursAgo(30) }),
  record('old', { LastUsedAt: hoursAgo(30), Parent: 'base' }),
  record('new', { LastUsedAt: hoursAgo(1), Parent: 'old' }),
  record('busy', { Type: 'exec.cachemount', InUse: true, LastUsedAt: hoursAgo(50) }),
  record('mount', { Type: 'exec.cachemount', Description: 'cached mount /root/.npm with id "npm"', Size: 300, LastUsedAt: hoursAgo(5), UsageCount: 3 }),
];

/** The IDs chosen, a duration read back from NOW as Docker reads `until`. */
function ids(opts: Partial<PruneOptions>): string[] {
  const parseTime = (v: string): number => {
    const h = /^(\d+)h$/.exec(v);
    return h ? NOW - Number(h[1]) * 3_600_000 : Date.parse(v);
  };
  return choosePrune(RECORDS, { all: false, filters: {}, keepStorage: 0, ...opts }, parseTime).map((r) => r.ID);
}

test('without all only what no image shares goes (dangling); with all every record; never one in use', () => {
  assert.deepEqual(ids({}), ['old', 'new', 'mount']);
  assert.deepEqual(ids({ all: true }), ['base', 'old', 'new', 'mount']);
});

test('until (or unused-for) keeps what was used since', () => {
  assert.deepEqual(ids({ filters: { until: ['24h'] } }), ['old']);
  assert.deepEqual(ids({ all: true, filters: { 'unused-for': ['24h'] } }), ['base', 'old']);
  assert.deepEqual(ids({ filters: { until: ['2h'] } }), ['old', 'mount']);
  assert.throws(() => ids({ filters: { until: ['1h'], 'unused-for': ['1h'] } }), /conflicting filters: "until" and "unused-for"/);
  assert.throws(() => ids({ filters: { until: ['1h', '2h'] } }), FilterError);
});

test('id (a regular expression), parent, type, description, inuse, shared, private; other filters are not the cache\'s', () => {
  assert.deepEqual(ids({ filters: { id: ['^ne'] } }), ['new']);
  assert.deepEqual(ids({ filters: { parent: ['old'] } }), ['new']);
  assert.deepEqual(ids({ filters: { type: ['exec.cachemount'] } }), ['mount']);
  assert.deepEqual(ids({ filters: { description: ['RUN old'] } }), ['old']);
  assert.deepEqual(ids({ all: true, filters: { shared: ['true'] } }), ['base']);
  assert.deepEqual(ids({ all: true, filters: { private: [] } }), ['old', 'new', 'mount']);
  assert.deepEqual(ids({ filters: { inuse: ['true'] } }), []);
  assert.deepEqual(ids({ filters: { label: ['a=b'] } }), ['old', 'new', 'mount']);
  assert.throws(() => ids({ filters: { id: ['('] } }), /not a regular expression/);
  assert.throws(() => ids({ filters: { shared: ['maybe'] } }), /true or false/);
  assert.throws(() => ids({ filters: { type: ['a', 'b'] } }), /filters expect only one value/);
});

test('keep-storage: the least recently used go, one at a time, until the unshared records fit', () => {
  // Unshared: old 100 + new 100 + busy 100 + mount 300 = 600.
  assert.deepEqual(ids({ keepStorage: 600 }), []);
  assert.deepEqual(ids({ keepStorage: 500 }), ['old']);
  assert.deepEqual(ids({ keepStorage: 200 }), ['old', 'mount']);
  // What is in use counts but cannot go.
  assert.deepEqual(ids({ keepStorage: 1 }), ['old', 'mount', 'new']);
  // Shared records cost nothing here, but with all they may go once the rest has.
  assert.deepEqual(ids({ all: true, keepStorage: 250 }), ['base', 'old', 'mount']);
});
