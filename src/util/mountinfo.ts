// What is mounted where, read from /proc/self/mountinfo (its mount-point
// field, with the kernel's octal escapes for space, tab, newline and
// backslash decoded).
import { readFile } from 'node:fs/promises';

export async function mountPoints(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  return text.split('\n').map((l) => l.split(' ')[4]).filter((p): p is string => !!p).map((p) => p.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))));
}
