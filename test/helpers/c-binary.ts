// Small static C programs for tests that need a syscall busybox cannot make,
// built with the machine's C compiler (static, so any rootfs runs them).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function staticBinary(name: string, source: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), `berth-${name}-`));
  try {
    writeFileSync(join(dir, `${name}.c`), source);
    execFileSync('cc', ['-static', '-O2', '-o', join(dir, name), join(dir, `${name}.c`)]);
    return readFileSync(join(dir, name));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
