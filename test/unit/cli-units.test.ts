import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getTimestamp, goTimeString, parseDuration, rfc3339Local } from '../../src/cli/timeparse.ts';
import { bytesSize, humanDuration, humanSize, ramInBytes, timeAgo } from '../../src/cli/units.ts';

test('human sizes use decimal units and %g precision', () => {
  assert.equal(humanSize(0, 3), '0B');
  assert.equal(humanSize(999, 3), '999B');
  assert.equal(humanSize(1234, 3), '1.23kB');
  assert.equal(humanSize(4270000, 3), '4.27MB');
  assert.equal(humanSize(1234), '1.234kB');
  assert.equal(humanSize(999999, 3), '1e+03kB');
  assert.equal(humanSize(1.5e9), '1.5GB');
  assert.equal(bytesSize(8254181376), '7.687GiB');
  assert.equal(bytesSize(1024), '1KiB');
});

test('human durations', () => {
  const s = 1000;
  assert.equal(humanDuration(500), 'Less than a second');
  assert.equal(humanDuration(1 * s), '1 second');
  assert.equal(humanDuration(59 * s), '59 seconds');
  assert.equal(humanDuration(60 * s), 'About a minute');
  assert.equal(humanDuration(119 * s), 'About a minute');
  assert.equal(humanDuration(2 * 60 * s), '2 minutes');
  assert.equal(humanDuration(59 * 60 * s), '59 minutes');
  assert.equal(humanDuration(60 * 60 * s), 'About an hour');
  assert.equal(humanDuration(2 * 3600 * s), '2 hours');
  assert.equal(humanDuration(47 * 3600 * s), '47 hours');
  assert.equal(humanDuration(3 * 86400 * s), '3 days');
  assert.equal(humanDuration(20 * 86400 * s), '2 weeks');
  assert.equal(humanDuration(90 * 86400 * s), '3 months');
  assert.equal(humanDuration(3 * 365 * 86400 * s), '3 years');
  assert.equal(timeAgo(1000, 1000_000 + 125_000), '2 minutes ago');
});

test('RAMInBytes accepts docker size spellings', () => {
  assert.equal(ramInBytes('512'), 512);
  assert.equal(ramInBytes('512b'), 512);
  assert.equal(ramInBytes('1k'), 1024);
  assert.equal(ramInBytes('1KB'), 1024);
  assert.equal(ramInBytes('1KiB'), 1024);
  assert.equal(ramInBytes('512m'), 512 * 1024 ** 2);
  assert.equal(ramInBytes('1.5g'), 1.5 * 1024 ** 3);
  assert.equal(ramInBytes('2 GiB'), 2 * 1024 ** 3);
  assert.throws(() => ramInBytes('1z'), /invalid suffix: 'z'/);
  assert.throws(() => ramInBytes('m'), /invalid size: 'm'/);
  assert.throws(() => ramInBytes('1kx'), /invalid suffix: 'kx'/);
  assert.throws(() => ramInBytes('1..2k'), /strconv.ParseFloat/);
});

test('Go durations', () => {
  assert.equal(parseDuration('10m'), 600e9);
  assert.equal(parseDuration('1h30m'), 5400e9);
  assert.equal(parseDuration('1.5s'), 1.5e9);
  assert.equal(parseDuration('300ms'), 300e6);
  assert.equal(parseDuration('-2s'), -2e9);
  assert.equal(parseDuration('0'), 0);
  assert.throws(() => parseDuration('10'), /missing unit/);
  assert.throws(() => parseDuration('abc'), /invalid duration/);
});

test('GetTimestamp: durations, RFC 3339, dates and unix times', () => {
  const now = new Date(Date.UTC(2024, 0, 2, 12, 0, 0));
  assert.equal(getTimestamp('10m', now), String(now.getTime() / 1000 - 600));
  assert.equal(getTimestamp('2024-01-02T10:00:00Z', now), '1704189600.000000000');
  assert.equal(getTimestamp('2024-01-02T10:00:00.5Z', now), '1704189600.500000000');
  assert.equal(getTimestamp('2024-01-02T10:00:00+01:00', now), '1704186000.000000000');
  assert.equal(getTimestamp('1704189600', now), '1704189600');
  assert.equal(getTimestamp('1704189600.123', now), '1704189600.123');
  assert.throws(() => getTimestamp('yesterday', now), /failed to parse value as time or duration: "yesterday"/);
  assert.throws(() => getTimestamp('2024-13-99x', now), /cannot parse/);
});

test('local time formats', { skip: new Date().getTimezoneOffset() !== 0 && 'needs TZ=UTC' }, () => {
  assert.equal(goTimeString(1700000000), '2023-11-14 22:13:20 +0000 UTC');
  assert.equal(rfc3339Local(1700000000), '2023-11-14T22:13:20Z');
  assert.equal(rfc3339Local(1700000000, 123456789), '2023-11-14T22:13:20.123456789Z');
  assert.equal(rfc3339Local(1700000000, 5), '2023-11-14T22:13:20.000000005Z');
});
