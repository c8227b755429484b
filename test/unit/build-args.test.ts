// The automatic platform args and FROM --platform's judgement of an image
// that is here (containerd's platforms.Only, as docker's GetImage uses it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { platformMatches, type Platform } from '../../src/build/build-args.ts';

const p = (os: string, architecture: string, variant?: string): Platform => ({ os, architecture, ...(variant ? { variant } : {}) });

test('an image is of the wanted platform when OS and architecture match, and the variant when one is wanted', () => {
  assert.equal(platformMatches(p('linux', 'amd64'), p('linux', 'amd64')), true);
  assert.equal(platformMatches(p('linux', 'amd64'), p('linux', 'arm64')), false);
  assert.equal(platformMatches(p('linux', 'amd64'), p('windows', 'amd64')), false);
  assert.equal(platformMatches(p('linux', 'arm', 'v7'), p('linux', 'arm', 'v6')), false);
  assert.equal(platformMatches(p('linux', 'arm', 'v7'), p('linux', 'arm', 'v7')), true);
  assert.equal(platformMatches(p('linux', 'arm'), p('linux', 'arm', 'v6')), true);
  // arm64's v8 is arm64 itself.
  assert.equal(platformMatches(p('linux', 'arm64', 'v8'), p('linux', 'arm64')), true);
  assert.equal(platformMatches(p('linux', 'arm64'), p('linux', 'arm64', 'v8')), true);
});
