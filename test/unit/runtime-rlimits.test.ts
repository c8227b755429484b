// Container ulimits are capped at the daemon's own hard limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { capRlimits, hostRlimits } from '../../src/runtime/rlimits.ts';

const host = new Map<string, number>([['nofile', 20000], ['nproc', 4096], ['core', Infinity], ['memlock', 65536]]);

test('capRlimits: limits under the host hard limit are kept, names become RLIMIT_*', () => {
  assert.deepEqual(capRlimits([{ Name: 'nofile', Soft: 1024, Hard: 4096 }], host), [{ type: 'RLIMIT_NOFILE', hard: 4096, soft: 1024 }]);
  assert.deepEqual(capRlimits([{ Name: 'nproc', Soft: 4096, Hard: 4096 }], host), [{ type: 'RLIMIT_NPROC', hard: 4096, soft: 4096 }]);
});

test('capRlimits: a hard limit above the host one is lowered, and the soft limit with it', () => {
  assert.deepEqual(capRlimits([{ Name: 'nofile', Soft: 65536, Hard: 1048576 }], host), [{ type: 'RLIMIT_NOFILE', hard: 20000, soft: 20000 }]);
  assert.deepEqual(capRlimits([{ Name: 'nofile', Soft: 1024, Hard: 1048576 }], host), [{ type: 'RLIMIT_NOFILE', hard: 20000, soft: 1024 }]);
  assert.deepEqual(capRlimits([{ Name: 'memlock', Soft: 131072, Hard: 131072 }], host), [{ type: 'RLIMIT_MEMLOCK', hard: 65536, soft: 65536 }]);
});

test('capRlimits: unlimited or unknown host limits leave the request alone', () => {
  assert.deepEqual(capRlimits([{ Name: 'core', Soft: 1 << 30, Hard: 1 << 30 }], host), [{ type: 'RLIMIT_CORE', hard: 1 << 30, soft: 1 << 30 }]);
  assert.deepEqual(capRlimits([{ Name: 'stack', Soft: 8388608, Hard: 16777216 }], new Map()), [{ type: 'RLIMIT_STACK', hard: 16777216, soft: 8388608 }]);
});

test('capRlimits keeps the order and handles several limits', () => {
  const out = capRlimits([{ Name: 'nproc', Soft: 10, Hard: 20 }, { Name: 'nofile', Soft: 30000, Hard: 30000 }], host);
  assert.deepEqual(out.map((l) => l.type), ['RLIMIT_NPROC', 'RLIMIT_NOFILE']);
  assert.deepEqual(out[1], { type: 'RLIMIT_NOFILE', hard: 20000, soft: 20000 });
  assert.deepEqual(capRlimits([], host), []);
});

test('hostRlimits reads every hard limit of this process by docker ulimit name', async () => {
  const names: Record<string, string> = {
    'Max cpu time': 'cpu', 'Max file size': 'fsize', 'Max data size': 'data', 'Max stack size': 'stack',
    'Max core file size': 'core', 'Max resident set': 'rss', 'Max processes': 'nproc', 'Max open files': 'nofile',
    'Max locked memory': 'memlock', 'Max address space': 'as', 'Max file locks': 'locks',
    'Max pending signals': 'sigpending', 'Max msgqueue size': 'msgqueue', 'Max nice priority': 'nice',
    'Max realtime priority': 'rtprio', 'Max realtime timeout': 'rttime',
  };
  const want = new Map<string, number>();
  for (const line of readFileSync('/proc/self/limits', 'utf8').split('\n')) {
    const m = /^(Max [a-z ]+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    if (!m || !names[m[1]!]) continue;
    want.set(names[m[1]!]!, m[3] === 'unlimited' ? Infinity : Number(m[3]));
  }
  const got = await hostRlimits();
  assert.equal(want.size, 16);
  assert.deepEqual(new Map([...got].sort()), new Map([...want].sort()));
  for (const v of got.values()) assert.ok(v === Infinity || (Number.isInteger(v) && v >= 0));
});

test('capRlimits: -1 (unlimited) becomes the host maximum; serializeSpec spells RLIM_INFINITY', async () => {
  const { serializeSpec } = await import('../../src/runtime/spec.ts');
  const host = new Map([['nofile', 20000], ['memlock', Infinity]]);
  assert.deepEqual(capRlimits([{ Name: 'nofile', Soft: 1024, Hard: -1 }], host), [{ type: 'RLIMIT_NOFILE', hard: 20000, soft: 1024 }]);
  const unlimited = capRlimits([{ Name: 'memlock', Soft: -1, Hard: -1 }], host);
  assert.equal(serializeSpec({ rlimits: unlimited }), '{"rlimits":[{"type":"RLIMIT_MEMLOCK","hard":18446744073709551615,"soft":18446744073709551615}]}');
});
