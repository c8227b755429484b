// Container Status strings ("Up 3 minutes", "Exited (0) 2 hours ago") use
// docker/go-units HumanDuration; its own test table is the reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration } from '../../src/util/human.ts';

const ms = 1;
const second = 1000 * ms;
const minute = 60 * second;
const hour = 60 * minute;
const day = 24 * hour;
const week = 7 * day;
const month = 30 * day;
const year = 365 * day;

test('humanDuration: go-units TestHumanDuration cases up to six weeks', () => {
  const cases: [number, string][] = [
    [450 * ms, 'Less than a second'],
    [1 * second, '1 second'],
    [45 * second, '45 seconds'],
    [46 * second, '46 seconds'],
    [59 * second, '59 seconds'],
    [60 * second, 'About a minute'],
    [3 * minute, '3 minutes'],
    [35 * minute, '35 minutes'],
    [35 * minute + 40 * second, '35 minutes'],
    [45 * minute + 40 * second, '45 minutes'],
    [59 * minute, '59 minutes'],
    [1 * hour, 'About an hour'],
    [1 * hour + 29 * minute, 'About an hour'],
    [1 * hour + 31 * minute, '2 hours'],
    [1 * hour + 59 * minute, '2 hours'],
    [3 * hour, '3 hours'],
    [3 * hour + 29 * minute, '3 hours'],
    [3 * hour + 31 * minute, '4 hours'],
    [3 * hour + 59 * minute, '4 hours'],
    [3 * hour + 60 * minute, '4 hours'],
    [24 * hour, '24 hours'],
    [1 * day + 12 * hour, '36 hours'],
    [2 * day, '2 days'],
    [7 * day, '7 days'],
    [13 * day + 5 * hour, '13 days'],
    [2 * week, '2 weeks'],
    [2 * week + 4 * day, '2 weeks'],
    [3 * week, '3 weeks'],
    [4 * week, '4 weeks'],
    [4 * week + 3 * day, '4 weeks'],
    [1 * month, '4 weeks'],
    [1 * month + 2 * week, '6 weeks'],
  ];
  for (const [d, want] of cases) assert.equal(humanDuration(d), want, `${d} ms`);
});

test('humanDuration: go-units cases from three months on', () => {
  const cases: [number, string][] = [
    [3 * month, '3 months'],
    [3 * month + 1 * week, '3 months'],
    [5 * month + 2 * week, '5 months'],
    [13 * month, '13 months'],
    [23 * month, '23 months'],
    [24 * month, '24 months'],
    [24 * month + 2 * week, '2 years'],
    [3 * year + 2 * month, '3 years'],
  ];
  for (const [d, want] of cases) assert.equal(humanDuration(d), want, `${d} ms`);
});

test('humanDuration: two months is "2 months", not weeks', () => {
  assert.equal(humanDuration(2 * month), '2 months');
  assert.equal(humanDuration(2 * month + 2 * week), '2 months');
});

test('humanDuration: seconds are truncated, not rounded', () => {
  assert.equal(humanDuration(600 * ms), 'Less than a second');
  assert.equal(humanDuration(1600 * ms), '1 second');
  assert.equal(humanDuration(59 * second + 600 * ms), '59 seconds');
});
