// Restart decisions and back-off, as moby's restartmanager and daemon restore do them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextDelay, restartsOnBoot, shouldRestart } from '../../src/engine/restart-policy.ts';

test('shouldRestart: no policy, "" and "no" never restart', () => {
  for (const p of [undefined, { Name: '' as const }, { Name: 'no' as const }]) {
    assert.equal(shouldRestart(p, 1, 0, false), false, JSON.stringify(p));
    assert.equal(shouldRestart(p, 0, 0, false), false, JSON.stringify(p));
  }
});

test('shouldRestart: always and unless-stopped restart on any exit code', () => {
  for (const Name of ['always', 'unless-stopped'] as const) {
    assert.equal(shouldRestart({ Name }, 0, 0, false), true, Name);
    assert.equal(shouldRestart({ Name }, 137, 0, false), true, Name);
    assert.equal(shouldRestart({ Name }, 1, 1000, false), true, Name);
  }
});

test('shouldRestart: a manual stop is never followed by a restart', () => {
  for (const Name of ['always', 'unless-stopped', 'on-failure'] as const) {
    assert.equal(shouldRestart({ Name }, 1, 0, true), false, Name);
  }
});

test('shouldRestart: on-failure restarts only on non-zero exits', () => {
  assert.equal(shouldRestart({ Name: 'on-failure' }, 0, 0, false), false);
  assert.equal(shouldRestart({ Name: 'on-failure' }, 1, 0, false), true);
  assert.equal(shouldRestart({ Name: 'on-failure' }, 143, 0, false), true);
});

test('shouldRestart: on-failure stops after MaximumRetryCount restarts; 0 means no limit', () => {
  const p = { Name: 'on-failure' as const, MaximumRetryCount: 3 };
  assert.equal(shouldRestart(p, 1, 0, false), true);
  assert.equal(shouldRestart(p, 1, 2, false), true);
  assert.equal(shouldRestart(p, 1, 3, false), false);
  assert.equal(shouldRestart(p, 1, 4, false), false);
  assert.equal(shouldRestart({ Name: 'on-failure', MaximumRetryCount: 0 }, 1, 500, false), true);
});

test('nextDelay: 100 ms first, doubling on quick failures, capped at one minute', () => {
  let d = nextDelay(0, 50);
  assert.equal(d, 100);
  const seen = [d];
  for (let i = 0; i < 12; i++) {
    d = nextDelay(d, 50);
    seen.push(d);
  }
  assert.deepEqual(seen.slice(0, 11), [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000]);
  assert.equal(seen[seen.length - 1], 60000);
});

test('nextDelay: a run of 10 s or more resets the back-off', () => {
  assert.equal(nextDelay(51200, 10_000), 100);
  assert.equal(nextDelay(60000, 3_600_000), 100);
  assert.equal(nextDelay(800, 9_999), 1600);
});

test('restartsOnBoot: always (even after a manual stop) and unless-stopped unless stopped by hand', () => {
  assert.equal(restartsOnBoot({ Name: 'always' }, false), true);
  assert.equal(restartsOnBoot({ Name: 'always' }, true), true);
  assert.equal(restartsOnBoot({ Name: 'unless-stopped' }, false), true);
  assert.equal(restartsOnBoot({ Name: 'unless-stopped' }, true), false);
  assert.equal(restartsOnBoot({ Name: 'no' }, false), false);
  assert.equal(restartsOnBoot({ Name: '' }, false), false);
  assert.equal(restartsOnBoot(undefined, false), false);
});
