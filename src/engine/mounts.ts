// A container's mounts as the engine handles them: planned and made real at
// create (volumes created, -v bind sources made, image content copied into
// new empty volumes), turned into OCI mounts at each start, and their
// anonymous volumes removed with the container when asked.
import { lstat, mkdir } from 'node:fs/promises';
import type { VolumeService } from '../volume/service.ts';
import { MountError, parseVolumesFrom, planMounts, type PlannedMount } from '../volume/mount-plan.ts';
import { copyTree } from '../storage/copy.ts';
import type { OciMount } from '../runtime/spec.ts';
import type { Container } from './container.ts';
import { resolveInRoot } from './rootfs-setup.ts';
import type { ContainerConfig, HostConfig, MountPoint } from './types.ts';
import { badRequest } from '../util/errors.ts';

export class ContainerMounts {
  readonly volumes: VolumeService;
  readonly #lookup: (ref: string) => Container;

  constructor(volumes: VolumeService, lookup: (ref: string) => Container) {
    this.volumes = volumes;
    this.#lookup = lookup;
  }

  /** Checks a create's mount options: all of them, before anything is made. */
  plan(config: ContainerConfig, host: HostConfig): PlannedMount[] {
    try {
      const volumesFrom = (host.VolumesFrom ?? []).map((spec) => {
        const { ref, mode } = parseVolumesFrom(spec);
        return { mounts: this.#lookup(ref).record.MountPoints ?? [], mode };
      });
      return planMounts({ binds: host.Binds, mounts: host.Mounts, tmpfs: host.Tmpfs, volumes: config.Volumes, volumesFrom });
    } catch (err) {
      if (err instanceof MountError) throw badRequest(err.message);
      throw err;
    }
  }

  /**
   * Makes the planned mounts exist: volumes (named ones created if missing,
   * anonymous ones made), bind sources of -v made if missing (--mount's must
   * exist). Returns the mount points and the volumes that want the image's
   * content copied in. On failure the anonymous volumes made are removed.
   */
  async realize(plan: PlannedMount[]): Promise<{ points: MountPoint[]; copyUp: MountPoint[] }> {
    const points: MountPoint[] = [];
    const copyUp: MountPoint[] = [];
    const made: string[] = [];
    try {
      for (const m of plan) {
        if (m.type === 'tmpfs') {
          points.push({ Type: 'tmpfs', Source: '', Destination: m.destination, Mode: '', RW: !m.options.includes('ro'), Propagation: '', TmpfsOptions: m.options, ...(m.listed ? {} : { Unlisted: true }) });
        } else if (m.type === 'bind') {
          await this.#bindSource(m.source, m.create);
          points.push({ Type: 'bind', Source: m.source, Destination: m.destination, Mode: m.mode, RW: m.rw, Propagation: m.propagation });
        } else {
          const existed = m.name ? !!this.volumes.find(m.name) : false;
          const v = await this.volumes.create({ Labels: m.labels, DriverOpts: m.driverOpts }, !m.name, m.name);
          if (!existed) made.push(v.Name);
          const point: MountPoint = { Type: 'volume', Name: v.Name, Source: v.Mountpoint, Destination: m.destination, Driver: 'local', Mode: m.mode, RW: m.rw, Propagation: '' };
          points.push(point);
          if (!m.nocopy && !v.Options?.type && (await this.volumes.isEmpty(v.Name))) copyUp.push(point);
        }
      }
    } catch (err) {
      for (const name of made) await this.volumes.remove(name, true).catch(() => {});
      throw err;
    }
    return { points, copyUp };
  }

  async #bindSource(source: string, create: boolean): Promise<void> {
    try {
      await lstat(source);
    } catch {
      if (!create) throw badRequest(`invalid mount config for type "bind": bind source path does not exist: ${source}`);
      // docker creates a missing -v source as a directory.
      await mkdir(source, { recursive: true, mode: 0o755 });
    }
  }

  /** docker's copy-up: what the image has at a new, empty volume's path goes into the volume, ownership and modes kept. */
  async copyUp(rootfs: string, points: MountPoint[]): Promise<void> {
    for (const p of points) {
      const from = await resolveInRoot(rootfs, p.Destination);
      const st = await lstat(from).catch(() => undefined);
      if (st?.isDirectory()) await copyTree(from, p.Source);
    }
  }

  /** The OCI mounts for a start, parents before children. */
  async ociMounts(points: MountPoint[]): Promise<OciMount[]> {
    const out: OciMount[] = [];
    for (const p of [...points].sort((a, b) => a.Destination.split('/').length - b.Destination.split('/').length)) {
      if (p.Type === 'tmpfs') {
        out.push({ destination: p.Destination, type: 'tmpfs', source: 'tmpfs', options: p.TmpfsOptions ?? ['nosuid', 'nodev', 'noexec'] });
        continue;
      }
      const source = p.Type === 'volume' ? await this.volumes.mountSource(p.Name!) : p.Source;
      out.push({ destination: p.Destination, type: 'bind', source, options: ['rbind', p.RW ? 'rw' : 'ro', p.Propagation || 'rprivate'] });
    }
    return out;
  }

  /** Removes the anonymous volumes of container `owner`, being removed, that no other container uses. */
  async removeAnonymous(points: MountPoint[] | undefined, owner: string): Promise<void> {
    for (const p of points ?? []) {
      if (p.Type !== 'volume' || !p.Name || !this.volumes.find(p.Name)?.Anonymous) continue;
      await this.volumes.remove(p.Name, false, owner).catch(() => {});
    }
  }
}
