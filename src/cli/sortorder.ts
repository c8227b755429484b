// fvbommel/sortorder.NaturalLess, which docker sorts names and port lists
// with: runs of digits compare as numbers ("net9" before "net10").

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** Compares bytes of UTF-8, as Go's strings do. */
export function naturalCompare(a: string, b: string): number {
  const s1 = Buffer.from(a);
  const s2 = Buffer.from(b);
  let i = 0;
  let j = 0;
  while (i < s1.length && j < s2.length) {
    const c1 = s1[i]!;
    const c2 = s2[j]!;
    const d1 = isDigit(c1);
    const d2 = isDigit(c2);
    if (d1 !== d2) return d1 ? -1 : 1;
    if (!d1) {
      if (c1 !== c2) return c1 - c2;
      i++;
      j++;
      continue;
    }
    while (i < s1.length && s1[i] === 48) i++;
    while (j < s2.length && s2[j] === 48) j++;
    const start1 = i;
    const start2 = j;
    while (i < s1.length && isDigit(s1[i]!)) i++;
    while (j < s2.length && isDigit(s2[j]!)) j++;
    // A longer number without leading zeros is the larger one.
    if (i - start1 !== j - start2) return i - start1 - (j - start2);
    const cmp = Buffer.compare(s1.subarray(start1, i), s2.subarray(start2, j));
    if (cmp !== 0) return cmp;
    // Equal numbers: fewer leading zeros first.
    if (start1 !== start2) return start1 - start2;
  }
  return s1.length - s2.length;
}
