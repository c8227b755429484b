import { constants } from 'node:os';
import { badRequest } from '../util/errors.ts';

const SIGNALS = constants.signals as Record<string, number>;

// Linux real-time signals as docker names them: RTMIN=34 … RTMIN+15, RTMAX-14 … RTMAX=64.
function realtime(name: string): number | undefined {
  const m = /^SIGRT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name);
  if (!m) return undefined;
  const off = m[3] === undefined ? 0 : Number(m[3]);
  if (m[1] === 'MIN' && (m[2] ?? '+') === '+' && off <= 15) return 34 + off;
  if (m[1] === 'MAX' && (m[2] ?? '-') === '-' && off <= 14) return 64 - off;
  return undefined;
}

/** Accepts "SIGTERM", "TERM", "term" or "15", as docker does. */
export function parseSignal(sig: string | undefined, fallback = 'SIGTERM'): number {
  const s = (sig || fallback).trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n < 1 || n > 64) throw badRequest(`Invalid signal: ${s}`);
    return n;
  }
  const name = s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : `SIG${s.toUpperCase()}`;
  const n = SIGNALS[name] ?? realtime(name);
  if (n === undefined) throw badRequest(`Invalid signal: ${s}`);
  return n;
}
