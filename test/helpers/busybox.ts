// The test base image: Debian's busybox-static as a root filesystem tarball
// (busybox plus a symlink per applet, passwd/group files, the usual dirs).
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { pack } from 'tar-stream';
import { collect } from './streams.ts';

export const BUSYBOX = '/bin/busybox';

/** An extra entry: a file with `data`, a directory without. */
export interface ExtraFile {
  name: string;
  data?: Buffer | string;
  mode: number;
  uid?: number;
  gid?: number;
}

export function busyboxTar(extra: ExtraFile[] = []): Promise<Buffer> {
  const applets = execFileSync(BUSYBOX, ['--list-full'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  const p = pack();
  const mtime = new Date(statSync(BUSYBOX).mtimeMs);
  const dirs = ['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'etc', 'root', 'home', 'var', 'var/www', 'dev', 'proc', 'sys'];
  for (const d of dirs) p.entry({ name: `${d}/`, type: 'directory', mode: d === 'root' ? 0o700 : 0o755, mtime });
  p.entry({ name: 'tmp/', type: 'directory', mode: 0o1777, mtime });
  p.entry({ name: 'bin/busybox', mode: 0o755, mtime }, readFileSync(BUSYBOX));
  for (const a of applets) {
    if (a === 'bin/busybox') continue;
    p.entry({ name: a, type: 'symlink', linkname: '/bin/busybox', mtime });
  }
  p.entry({ name: 'etc/passwd', mode: 0o644, mtime }, 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nwww-data:x:33:33:www-data:/var/www:/bin/false\nnobody:x:65534:65534:nobody:/home:/bin/false\n');
  p.entry({ name: 'etc/group', mode: 0o644, mtime }, 'root:x:0:\ndaemon:x:1:\nwww-data:x:33:\nusers:x:100:www-data\nnogroup:x:65534:\n');
  for (const f of extra) {
    const owner = { uid: f.uid ?? 0, gid: f.gid ?? 0 };
    if (f.data === undefined) p.entry({ name: `${f.name}/`, type: 'directory', mode: f.mode, mtime, ...owner });
    else p.entry({ name: f.name, mode: f.mode, mtime, ...owner }, f.data);
  }
  p.finalize();
  return collect(p);
}
