// Named and anonymous volumes with docker's `local` driver: a directory per
// volume under <data-root>/volumes/<name>/_data, or, with options, a tmpfs
// or a bind of another path mounted there on first use and unmounted when
// the volume is removed. Which containers use a volume is the engine's to
// say (`users`); a volume in use is never removed.
import { mkdir, readdir, rm } from 'node:fs/promises';
import { mountPoints } from '../util/mountinfo.ts';
import { join } from 'node:path';
import { randomId } from '../util/ids.ts';
import { treeSize } from '../storage/tree.ts';
import { ensureDir, readJson, sweepTemps, writeJsonAtomic } from '../util/fs-atomic.ts';
import { ApiError, badRequest, conflict, notFound } from '../util/errors.ts';
import { MNT_DETACH, MS_BIND, mount, umount2 } from '../storage/native.ts';
import { VOLUME_NAME } from './mount-plan.ts';

export interface VolumeRecord {
  Name: string;
  Driver: 'local';
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string> | null;
  Options: Record<string, string> | null;
  Scope: 'local';
  /** berth's own: made for one container (`-v /path`, VOLUME), removed with it by `rm -v`. */
  Anonymous?: boolean;
}

export interface CreateVolumeRequest {
  Name?: unknown;
  Driver?: unknown;
  DriverOpts?: unknown;
  Labels?: unknown;
}

const LOCAL_OPTS = new Set(['type', 'o', 'device']);

function stringMap(v: unknown, what: string): Record<string, string> | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) throw badRequest(`${what} must be a map of strings`);
  return Object.keys(v).length ? { ...(v as Record<string, string>) } : null;
}

export class VolumeService {
  readonly root: string;
  /** IDs of the containers whose mounts name a volume. */
  users: (name: string) => string[] = () => [];
  onEvent: (action: string, name: string) => void = () => {};
  #volumes = new Map<string, VolumeRecord>();

  constructor(root: string) {
    this.root = root;
  }

  async init(): Promise<void> {
    await ensureDir(this.root, 0o701);
    for (const name of await readdir(this.root)) {
      const dir = join(this.root, name);
      await sweepTemps(dir);
      try {
        this.#volumes.set(name, await readJson<VolumeRecord>(join(dir, 'volume.json')));
      } catch {
        // A create cut short before its record: nothing can refer to it.
        if (VOLUME_NAME.test(name)) await rm(dir, { recursive: true, force: true });
      }
    }
  }

  list(): VolumeRecord[] {
    return [...this.#volumes.values()];
  }

  get(name: string): VolumeRecord {
    const v = this.#volumes.get(name);
    if (!v) throw notFound(`get ${name}: no such volume`);
    return v;
  }

  find(name: string): VolumeRecord | undefined {
    return this.#volumes.get(name);
  }

  /** Creates a volume, or returns the existing one of that name as docker does. */
  async create(req: CreateVolumeRequest, anonymous = false, name?: string): Promise<VolumeRecord> {
    const wanted = name ?? (typeof req.Name === 'string' ? req.Name : '');
    if (req.Name !== undefined && typeof req.Name !== 'string') throw badRequest('Name must be a string');
    const volName = wanted || randomId();
    if (!VOLUME_NAME.test(volName)) throw badRequest(`create ${volName}: "${volName}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
    const driver = req.Driver ?? 'local';
    if (driver !== 'local' && driver !== '') throw notFound(`plugin "${String(driver)}" not found`);
    const options = stringMap(req.DriverOpts, 'DriverOpts');
    const labels = stringMap(req.Labels, 'Labels');
    for (const k of Object.keys(options ?? {})) if (!LOCAL_OPTS.has(k)) throw badRequest(`create ${volName}: invalid option key: "${k}"`);
    if (options && (options.type || options.device) && !(options.type && options.device)) {
      throw badRequest(`create ${volName}: missing required option: "${options.type ? 'device' : 'type'}"`);
    }
    const existing = this.#volumes.get(volName);
    if (existing) return existing;
    const dir = join(this.root, volName);
    const record: VolumeRecord = {
      Name: volName, Driver: 'local', Mountpoint: join(dir, '_data'), CreatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      Labels: labels, Options: options, Scope: 'local', ...(anonymous ? { Anonymous: true } : {}),
    };
    await mkdir(record.Mountpoint, { recursive: true, mode: 0o755 });
    await writeJsonAtomic(join(dir, 'volume.json'), record);
    this.#volumes.set(volName, record);
    this.onEvent('create', volName);
    return record;
  }

  /**
   * The host path a container mounts for this volume. A tmpfs or bind
   * volume is mounted on its _data now if it is not yet.
   */
  async mountSource(name: string): Promise<string> {
    const v = this.get(name);
    const o = v.Options;
    if (!o?.type) return v.Mountpoint;
    if (await isMountPoint(v.Mountpoint)) return v.Mountpoint;
    const flags = o.type === 'none' && (o.o ?? '').split(',').includes('bind') ? MS_BIND : 0;
    const data = (o.o ?? '').split(',').filter((x) => x && x !== 'bind').join(',') || null;
    try {
      if (flags === MS_BIND) mount(o.device!, v.Mountpoint, null, MS_BIND, null);
      else mount(o.device!, v.Mountpoint, o.type, 0, data);
    } catch (err) {
      throw new ApiError(500, `error while mounting volume '${v.Mountpoint}': ${(err as Error).message}`);
    }
    return v.Mountpoint;
  }

  /** `leaving`: a container being removed, which no longer counts as a user. */
  async remove(name: string, force = false, leaving?: string): Promise<void> {
    const v = this.#volumes.get(name);
    if (!v) {
      if (force) return;
      throw notFound(`get ${name}: no such volume`);
    }
    const users = this.users(name).filter((id) => id !== leaving);
    if (users.length) throw conflict(`remove ${name}: volume is in use - [${users.join(', ')}]`);
    await this.#destroy(v);
  }

  async #destroy(v: VolumeRecord): Promise<void> {
    this.#volumes.delete(v.Name);
    const dir = join(this.root, v.Name);
    // The record goes first: a crash after leaves a directory init sweeps.
    await rm(join(dir, 'volume.json'), { force: true });
    if (v.Options?.type && (await isMountPoint(v.Mountpoint))) umount2(v.Mountpoint, MNT_DETACH);
    await rm(dir, { recursive: true, force: true });
    this.onEvent('destroy', v.Name);
  }

  /** Removes the unused volumes `keep` accepts; returns their names and the space freed. */
  async prune(keep: (v: VolumeRecord) => boolean): Promise<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }> {
    const gone: string[] = [];
    let space = 0;
    for (const v of this.list()) {
      if (this.users(v.Name).length || !keep(v)) continue;
      space += await this.usage(v.Name);
      await this.#destroy(v);
      gone.push(v.Name);
    }
    return { VolumesDeleted: gone.length ? gone : null, SpaceReclaimed: space };
  }

  /** Bytes used under the volume's directory (docker's UsageData.Size). */
  async usage(name: string): Promise<number> {
    const v = this.#volumes.get(name);
    return v ? treeSize(v.Mountpoint).catch(() => 0) : 0;
  }

  /** Whether the volume holds no files (docker copies image content only into empty volumes). */
  async isEmpty(name: string): Promise<boolean> {
    return (await readdir(this.get(name).Mountpoint).catch(() => [])).length === 0;
  }

  /** The API view, without berth's own fields. */
  view(v: VolumeRecord): Omit<VolumeRecord, 'Anonymous'> {
    const { Anonymous: _a, ...rest } = v;
    return rest;
  }
}

async function isMountPoint(path: string): Promise<boolean> {
  return (await mountPoints()).includes(path);
}
