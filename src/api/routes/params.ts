import { badRequest } from '../../util/errors.ts';

/** Docker's time parameters: unix seconds (with fraction) or RFC3339. Returns ms. */
export function parseTimeParam(v: string | null): number | undefined {
  if (v === null || v === '') return undefined;
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw badRequest(`invalid time value: ${v}`);
  return t;
}
