// Signal names and numbers as docker accepts them (moby/sys/signal ParseSignal).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSignal } from '../../src/engine/signals.ts';
import { ApiError } from '../../src/util/errors.ts';

const badRequest = (re?: RegExp) => (err: unknown): boolean => {
  assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
  assert.equal(err.status, 400);
  if (re) assert.match(err.message, re);
  return true;
};

test('parseSignal: names with or without SIG, any case, and numbers', () => {
  for (const s of ['SIGTERM', 'TERM', 'term', 'sigterm', 'SigTerm', '15']) assert.equal(parseSignal(s), 15, s);
  assert.equal(parseSignal('KILL'), 9);
  assert.equal(parseSignal('SIGHUP'), 1);
  assert.equal(parseSignal('INT'), 2);
  assert.equal(parseSignal('QUIT'), 3);
  assert.equal(parseSignal('USR1'), 10);
  assert.equal(parseSignal('SIGUSR2'), 12);
  assert.equal(parseSignal('SIGWINCH'), 28);
  assert.equal(parseSignal('SIGSTOP'), 19);
  assert.equal(parseSignal('9'), 9);
  assert.equal(parseSignal('64'), 64);
});

test('parseSignal: empty or missing uses the fallback (SIGTERM unless given)', () => {
  assert.equal(parseSignal(undefined), 15);
  assert.equal(parseSignal(''), 15);
  assert.equal(parseSignal(undefined, 'SIGKILL'), 9);
  assert.equal(parseSignal('', 'SIGQUIT'), 3);
  assert.equal(parseSignal('HUP', 'SIGKILL'), 1);
});

test('parseSignal: unknown names and signal 0 are a 400 "Invalid signal"', () => {
  assert.throws(() => parseSignal('SIGFOO'), badRequest(/^Invalid signal: SIGFOO$/));
  assert.throws(() => parseSignal('0'), badRequest(/^Invalid signal: 0$/));
  // Out-of-range numbers are refused too (docker: "the linux daemon does not support signal …").
  assert.throws(() => parseSignal('65'), badRequest());
  assert.throws(() => parseSignal('-9'), badRequest());
  assert.throws(() => parseSignal('SIG'), badRequest(/Invalid signal/));
});

test('parseSignal: real-time signals (systemd images use STOPSIGNAL SIGRTMIN+3)', () => {
  assert.equal(parseSignal('SIGRTMIN'), 34);
  assert.equal(parseSignal('SIGRTMIN+3'), 37);
  assert.equal(parseSignal('RTMIN+3'), 37);
  assert.equal(parseSignal('SIGRTMAX'), 64);
  assert.equal(parseSignal('SIGRTMAX-1'), 63);
});
