import { readFileSync } from 'node:fs';

/** Whether a process with this PID exists (EPERM still means it does). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let boot: string | undefined;

/**
 * This boot of the machine. PIDs saved on persistent disk are meaningless
 * after a reboot (another process may have the number), so they are saved
 * with the boot they belong to.
 */
export function bootId(): string {
  boot ??= readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  return boot;
}
