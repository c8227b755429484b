// Installs the peers (moby from Debian's docker.io, podman) when missing.
// Package scripts must not start a system dockerd/containerd: there is no
// systemd here, but invoke-rc.d would fall back to /etc/init.d, so a
// policy-rc.d that denies service starts is in place for the install.
import { existsSync, writeFileSync, rmSync } from 'node:fs';
import { run } from './proc.ts';
import { processes } from './procfs.ts';

const NEEDS: Array<{ bin: string; pkg: string }> = [
  { bin: '/usr/sbin/dockerd', pkg: 'docker.io' },
  { bin: '/usr/bin/containerd', pkg: 'containerd' },
  { bin: '/usr/bin/podman', pkg: 'podman' },
  { bin: '/usr/sbin/runc', pkg: 'runc' },
  { bin: '/usr/bin/conmon', pkg: 'conmon' },
  { bin: '/bin/busybox', pkg: 'busybox-static' },
];

const POLICY = '/usr/sbin/policy-rc.d';

export async function ensurePackages(log: (s: string) => void): Promise<void> {
  const missing = [...new Set(NEEDS.filter((n) => !existsSync(n.bin)).map((n) => n.pkg))];
  if (missing.length === 0) return;
  log(`installing ${missing.join(' ')} with apt-get`);
  const ownPolicy = !existsSync(POLICY);
  if (ownPolicy) writeFileSync(POLICY, '#!/bin/sh\n# written by berth bench for the duration of an install\nexit 101\n', { mode: 0o755 });
  try {
    await run('apt-get', ['update', '-qq'], { timeoutMs: 300_000 });
    // Recommends (apparmor, cgroupfs-mount, slirp4netns...) are not needed to run the peers.
    await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeoutMs: 600_000,
    });
  } finally {
    if (ownPolicy) rmSync(POLICY, { force: true });
  }
  const stray = processes().filter((p) => p.comm === 'dockerd' || p.comm === 'containerd');
  for (const p of stray) log(`warning: a ${p.comm} (pid ${p.pid}) is running outside the bench: ${p.cmdline.join(' ')}`);
}
