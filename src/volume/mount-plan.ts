// Pure planning of a container's mounts from docker's many ways of asking
// (-v binds and anonymous paths, --mount, --tmpfs, --volumes-from, the
// image's VOLUME), with docker's precedence and error messages. The plan
// names volumes and host paths; the engine makes them exist.
import { posix } from 'node:path';
import type { MountPoint } from '../engine/types.ts';

export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const PROPAGATIONS = new Set(['shared', 'slave', 'private', 'rshared', 'rslave', 'rprivate']);

export class MountError extends Error {}

export type PlannedMount =
  | { type: 'bind'; source: string; destination: string; rw: boolean; propagation: string; mode: string; create: boolean }
  /** name undefined: an anonymous volume the engine names. */
  | { type: 'volume'; name?: string; destination: string; rw: boolean; mode: string; nocopy: boolean; labels?: Record<string, string>; driverOpts?: Record<string, string> }
  /** listed: false for --tmpfs, which docker leaves out of a container's Mounts. */
  | { type: 'tmpfs'; destination: string; options: string[]; listed: boolean };

export interface MountRequest {
  binds?: string[] | null;
  mounts?: unknown[] | null;
  tmpfs?: Record<string, string> | null;
  /** Config.Volumes of the create request merged with the image's. */
  volumes?: Record<string, unknown> | null;
  /** The mounts of each --volumes-from container, already looked up, with the mode asked for. */
  volumesFrom?: Array<{ mounts: MountPoint[]; mode: string }>;
}

function cleanTarget(dst: string, what: string): string {
  if (!dst) throw new MountError(`invalid mount config for type "${what}": field Target must not be empty`);
  if (!dst.startsWith('/')) throw new MountError(`invalid mount config for type "${what}": invalid mount path: '${dst}' mount path must be absolute`);
  const clean = posix.normalize(dst).replace(/(.)\/$/, '$1');
  if (clean === '/') throw new MountError(`invalid specification: destination can't be '/'`);
  return clean;
}

/** Splits `-v src:dst[:opts]`, `-v name:dst` or `-v /anon`. */
function parseBind(spec: string): PlannedMount {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) throw new MountError(`invalid volume specification: '${spec}'`);
  const [src = '', dstRaw = '', optText = ''] = parts;
  const dst = cleanTarget(dstRaw, 'bind');
  let rw = true;
  let propagation = '';
  let nocopy = false;
  for (const opt of optText ? optText.split(',') : []) {
    if (opt === 'ro' || opt === 'rw') rw = opt === 'rw';
    else if (opt === 'nocopy') nocopy = true;
    else if (PROPAGATIONS.has(opt)) propagation = opt;
    // SELinux relabelling: nothing to do without SELinux, but docker accepts it.
    else if (opt !== 'z' && opt !== 'Z') throw new MountError(`invalid mode: ${opt}`);
  }
  const mode = optText;
  if (src.startsWith('/')) {
    if (nocopy) throw new MountError(`invalid mode: nocopy`);
    return { type: 'bind', source: posix.normalize(src), destination: dst, rw, propagation: propagation || 'rprivate', mode, create: true };
  }
  if (!VOLUME_NAME.test(src)) {
    throw new MountError(`create ${src}: "${src}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
  if (propagation) throw new MountError(`invalid mode: ${propagation}`);
  return { type: 'volume', name: src, destination: dst, rw, mode, nocopy };
}

function stringMap(v: unknown): Record<string, string> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, string>) : undefined;
}

/** One HostConfig.Mounts entry (`--mount`). */
function parseMountEntry(raw: unknown): PlannedMount {
  if (!raw || typeof raw !== 'object') throw new MountError('invalid mount config: must be an object');
  const m = raw as Record<string, unknown>;
  const type = String(m.Type ?? '');
  const readOnly = m.ReadOnly === true;
  const source = typeof m.Source === 'string' ? m.Source : '';
  if (type === 'bind') {
    const dst = cleanTarget(String(m.Target ?? ''), type);
    if (!source) throw new MountError('invalid mount config for type "bind": field Source must not be empty');
    if (!source.startsWith('/')) throw new MountError(`invalid mount config for type "bind": invalid mount path: '${source}' mount path must be absolute`);
    const propagation = String((m.BindOptions as Record<string, unknown> | undefined)?.Propagation ?? '') || 'rprivate';
    if (!PROPAGATIONS.has(propagation)) throw new MountError(`invalid mount config for type "bind": invalid propagation mode: ${propagation}`);
    return { type: 'bind', source: posix.normalize(source), destination: dst, rw: !readOnly, propagation, mode: '', create: false };
  }
  if (type === 'volume') {
    const dst = cleanTarget(String(m.Target ?? ''), type);
    if (source && !VOLUME_NAME.test(source)) throw new MountError(`invalid mount config for type "volume": invalid volume name "${source}"`);
    const opts = (m.VolumeOptions ?? {}) as Record<string, unknown>;
    const driverConfig = (opts.DriverConfig ?? {}) as Record<string, unknown>;
    if (driverConfig.Name && driverConfig.Name !== 'local') throw new MountError(`plugin "${driverConfig.Name}" not found`);
    return {
      type: 'volume', name: source || undefined, destination: dst, rw: !readOnly, mode: '', nocopy: opts.NoCopy === true,
      labels: stringMap(opts.Labels), driverOpts: stringMap(driverConfig.Options),
    };
  }
  if (type === 'tmpfs') {
    const dst = cleanTarget(String(m.Target ?? ''), type);
    if (source) throw new MountError('invalid mount config for type "tmpfs": field Source must not be specified');
    const t = (m.TmpfsOptions ?? {}) as Record<string, unknown>;
    const options = ['nosuid', 'nodev', 'noexec'];
    if (readOnly) options.push('ro');
    if (typeof t.SizeBytes === 'number' && t.SizeBytes > 0) options.push(`size=${t.SizeBytes}`);
    if (typeof t.Mode === 'number' && t.Mode > 0) options.push(`mode=${t.Mode.toString(8)}`);
    return { type: 'tmpfs', destination: dst, options, listed: true };
  }
  throw new MountError(`mount type unknown: "${type}"`);
}

/** `--tmpfs /run:rw,size=64m`: docker's defaults (noexec, nosuid, nodev) unless the options say otherwise. */
function parseTmpfs(dst: string, opts: string): PlannedMount {
  const given = opts ? opts.split(',').filter(Boolean) : [];
  const defaults = ['noexec', 'nosuid', 'nodev'].filter((d) => !given.includes(d.replace(/^no/, '')) && !given.includes(d));
  return { type: 'tmpfs', destination: cleanTarget(dst, 'tmpfs'), options: [...defaults, ...given], listed: false };
}

/**
 * Every mount of a new container, one per destination. As in docker, binds
 * and --mount come first, then --tmpfs, then --volumes-from, then anonymous
 * volumes for the remaining VOLUME paths; a destination given twice by the
 * user is an error.
 */
export function planMounts(req: MountRequest): PlannedMount[] {
  const out = new Map<string, PlannedMount>();
  const user = (m: PlannedMount): void => {
    if (out.has(m.destination)) throw new MountError(`Duplicate mount point: ${m.destination}`);
    out.set(m.destination, m);
  };
  for (const b of req.binds ?? []) user(parseBind(b));
  for (const m of req.mounts ?? []) user(parseMountEntry(m));
  for (const [dst, opts] of Object.entries(req.tmpfs ?? {})) user(parseTmpfs(dst, opts));
  for (const from of req.volumesFrom ?? []) {
    for (const mp of from.mounts) {
      if (out.has(mp.Destination) || mp.Type === 'tmpfs') continue;
      const rw = from.mode === 'ro' ? false : from.mode === 'rw' ? true : mp.RW;
      out.set(mp.Destination, mp.Type === 'bind'
        ? { type: 'bind', source: mp.Source, destination: mp.Destination, rw, propagation: mp.Propagation || 'rprivate', mode: mp.Mode, create: false }
        : { type: 'volume', name: mp.Name, destination: mp.Destination, rw, mode: mp.Mode, nocopy: true });
    }
  }
  for (const dst of Object.keys(req.volumes ?? {})) {
    const clean = cleanTarget(dst, 'volume');
    if (!out.has(clean)) out.set(clean, { type: 'volume', destination: clean, rw: true, mode: '', nocopy: false });
  }
  return [...out.values()];
}

/** `--volumes-from ctr[:ro|rw]` → the container reference and the mode. */
export function parseVolumesFrom(spec: string): { ref: string; mode: string } {
  const i = spec.lastIndexOf(':');
  if (i < 0) return { ref: spec, mode: '' };
  const mode = spec.slice(i + 1);
  if (mode !== 'ro' && mode !== 'rw') throw new MountError(`invalid mode: ${mode}`);
  return { ref: spec.slice(0, i), mode };
}
