// podman's Docker-compatible service on its own storage, with the settings
// this machine needs: runc (crun fails on the v1/v2 hybrid cgroups), cgroupfs
// (no systemd), file events (no journald) and nofile/nproc limits within the
// hard limits (root here lacks CAP_SYS_RESOURCE, so podman's defaults, which
// raise them, make runc fail with "error setting rlimits").
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonSpec } from '../lib/daemon.ts';
import { hardLimit } from '../lib/procfs.ts';

const PODMAN_NPROC = 32768;

export function podmanSpec(dir: string): DaemonSpec {
  const socket = join(dir, 'podman.sock');
  const conf = join(dir, 'containers.conf');
  const limits: Record<string, number> = {
    nofile: hardLimit('Max open files'),
    // podman lowers its own nproc limit to 32768 at start-up, and conmon and runc inherit it.
    nproc: Math.min(hardLimit('Max processes'), PODMAN_NPROC),
  };
  return {
    cmd: '/usr/bin/podman',
    args: ['--root', join(dir, 'proot'), '--runroot', join(dir, 'prun'), '--storage-driver', 'overlay',
      'system', 'service', '--time=0', `unix://${socket}`],
    // TMPDIR: the compat image import spools the upload there (default /var/tmp) and may leave it.
    env: { ...process.env, CONTAINERS_CONF: conf, TMPDIR: join(dir, 'tmp') },
    socket,
    helpers: /^(podman|conmon)$/,
    prepare: () => {
      mkdirSync(join(dir, 'tmp'));
      writeFileSync(conf, `[containers]
netns = "none"
default_ulimits = [${['nofile', 'nproc'].map((k) => `"${k}=${limits[k]}:${limits[k]}"`).join(', ')}]
log_driver = "k8s-file"

[network]
network_config_dir = "${join(dir, 'cni')}"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "${join(dir, 'events.log')}"
tmp_dir = "${join(dir, 'ptmp')}"
`);
    },
    // The shm lock segment, the image blob-info cache and runc's default state root have fixed places.
    leavesBehind: ['/dev/shm/libpod_lock', '/var/lib/containers/cache/blob-info-cache-v1.boltdb', '/var/lib/containers/cache', '/var/lib/containers', '/run/runc'],
  };
}
