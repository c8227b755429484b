import { constants } from 'node:os';
import { badRequest } from '../util/errors.ts';

const SIGNALS = constants.signals as Record<string, number>;

/** Accepts "SIGTERM", "TERM", "term" or "15", as docker does. */
export function parseSignal(sig: string | undefined, fallback = 'SIGTERM'): number {
  const s = (sig || fallback).trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n < 1 || n > 64) throw badRequest(`Invalid signal: ${s}`);
    return n;
  }
  const name = s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : `SIG${s.toUpperCase()}`;
  const n = SIGNALS[name];
  if (n === undefined) throw badRequest(`Invalid signal: ${s}`);
  return n;
}
