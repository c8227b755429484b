// -v and --mount as docker's CLI reads them: compose's ParseVolume for -v
// specs, opts.MountOpt for --mount, down to their error texts and the
// omitempty rules of the HostConfig.Mounts entries they send.
import { resolve } from 'node:path';
import { csvFields, parseBool } from './flags.ts';
import { ramInBytes } from './units.ts';

export interface BindOptions {
  Propagation?: string;
  NonRecursive?: boolean;
  ReadOnlyNonRecursive?: boolean;
  ReadOnlyForceRecursive?: boolean;
}

export interface VolumeOptions {
  NoCopy?: boolean;
  Labels?: Record<string, string>;
  Subpath?: string;
  DriverConfig: { Name?: string; Options?: Record<string, string> };
}

/** A HostConfig.Mounts entry. */
export interface Mount {
  Type: string;
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: BindOptions;
  VolumeOptions?: VolumeOptions;
  ImageOptions?: { Subpath?: string };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

/** Go's omitempty for scalars: zero values are left out (option structs are pointers, and stay even when empty). */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '' && v !== false && v !== 0)) as T;
}

/** omitempty for maps: an empty one is left out. */
const nonEmpty = (map: Record<string, string> | undefined): Record<string, string> | undefined => (map && Object.keys(map).length ? map : undefined);

function goBool(key: string, value: string): boolean {
  try {
    return parseBool(value);
  } catch {
    throw new Error(`invalid value for ${key}: ${value}`);
  }
}

/** strconv.ParseUint(value, 8, 32). */
function octalMode(value: string): number {
  const n = /^[0-7]+$/.test(value) ? parseInt(value, 8) : NaN;
  if (!(n <= 0xffffffff)) throw new Error(`invalid value for tmpfs-mode: ${value}`);
  return n;
}

/** "k=v" into a map; an empty key is dropped. */
function setKv(target: Record<string, string>, value: string): void {
  const eq = value.indexOf('=');
  const key = eq < 0 ? value : value.slice(0, eq);
  if (key !== '') target[key] = eq < 0 ? '' : value.slice(eq + 1);
}

/** opts.MountOpt.Set: one --mount value. A relative source (".", "./x", "..") is made absolute against cwd. */
export function parseMount(value: string, cwd: string): Mount {
  // encoding/csv reads nothing from an empty value.
  if (value === '') throw new Error('EOF');
  const m: Mount = { Type: 'volume', Source: '', Target: '', ReadOnly: false, Consistency: '' };
  // Options start with their fields in Go's order, the order docker's JSON has them in.
  const bind = (): BindOptions => (m.BindOptions ??= { Propagation: '', NonRecursive: false, ReadOnlyNonRecursive: false, ReadOnlyForceRecursive: false });
  const volume = (): VolumeOptions => (m.VolumeOptions ??= { NoCopy: false, Labels: {}, Subpath: '', DriverConfig: { Name: '' } });
  const image = (): { Subpath?: string } => (m.ImageOptions ??= {});
  const tmpfs = (): NonNullable<Mount['TmpfsOptions']> => (m.TmpfsOptions ??= { SizeBytes: 0, Mode: 0 });

  for (const field of csvFields(value)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const val = field.slice(eq + 1);
    if (eq < 0) {
      if (key === 'readonly' || key === 'ro') m.ReadOnly = true;
      else if (key === 'volume-nocopy') volume().NoCopy = true;
      else if (key === 'bind-nonrecursive') bind().NonRecursive = true;
      else throw new Error(`invalid field '${field}' must be a key=value pair`);
      continue;
    }
    switch (key) {
      case 'type':
        m.Type = val.toLowerCase();
        break;
      case 'source':
      case 'src':
        m.Source = val.startsWith('.') ? resolve(cwd, val) : val;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.Target = val;
        break;
      case 'readonly':
      case 'ro':
        m.ReadOnly = goBool(key, val);
        break;
      case 'consistency':
        m.Consistency = val.toLowerCase();
        break;
      case 'bind-propagation':
        bind().Propagation = val.toLowerCase();
        break;
      case 'bind-nonrecursive':
        bind().NonRecursive = goBool(key, val);
        break;
      case 'bind-recursive':
        if (val === 'disabled') bind().NonRecursive = true;
        else if (val === 'writable') bind().ReadOnlyNonRecursive = true;
        else if (val === 'readonly') bind().ReadOnlyForceRecursive = true;
        else if (val !== 'enabled') throw new Error(`invalid value for ${key}: ${val} (must be "enabled", "disabled", "writable", or "readonly")`);
        break;
      case 'volume-subpath':
        volume().Subpath = val;
        break;
      case 'volume-nocopy':
        volume().NoCopy = goBool(key, val);
        break;
      case 'volume-label':
        setKv(volume().Labels!, val);
        break;
      case 'volume-driver':
        volume().DriverConfig.Name = val;
        break;
      case 'volume-opt':
        setKv((volume().DriverConfig.Options ??= {}), val);
        break;
      case 'image-subpath':
        image().Subpath = val;
        break;
      case 'tmpfs-size':
        try {
          tmpfs().SizeBytes = ramInBytes(val);
        } catch {
          throw new Error(`invalid value for ${key}: ${val}`);
        }
        break;
      case 'tmpfs-mode':
        tmpfs().Mode = octalMode(val);
        break;
      default:
        throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }

  if (m.Type === '') throw new Error('type is required');
  if (m.Target === '') throw new Error('target is required');
  for (const [options, prefix] of [[m.VolumeOptions, 'volume'], [m.ImageOptions, 'image'], [m.BindOptions, 'bind'], [m.TmpfsOptions, 'tmpfs']] as const) {
    if (options && m.Type !== prefix) throw new Error(`cannot mix '${prefix}-*' options with mount type '${m.Type}'`);
  }
  if (m.BindOptions?.ReadOnlyNonRecursive && !m.ReadOnly) throw new Error("option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction");
  if (m.BindOptions?.ReadOnlyForceRecursive) {
    if (!m.ReadOnly) throw new Error("option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction");
    if (m.BindOptions.Propagation !== 'rprivate') throw new Error("option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction");
  }

  const v = m.VolumeOptions;
  return compact({
    Type: m.Type,
    Source: m.Source,
    Target: m.Target,
    ReadOnly: m.ReadOnly,
    Consistency: m.Consistency,
    BindOptions: m.BindOptions && compact(m.BindOptions),
    VolumeOptions: v && compact({ ...v, Labels: nonEmpty(v.Labels), DriverConfig: compact({ ...v.DriverConfig, Options: nonEmpty(v.DriverConfig.Options) }) }),
    ImageOptions: m.ImageOptions && compact(m.ImageOptions),
    TmpfsOptions: m.TmpfsOptions && compact(m.TmpfsOptions),
  });
}

const END = '\0';

/**
 * compose's loader.ParseVolume, as far as run's -v needs it: the source (empty
 * for an anonymous volume) and whether it names a host path. "c:" stays whole,
 * as a Windows drive letter.
 */
export function parseVolumeSpec(spec: string): { source: string; bind: boolean } {
  if (spec === '') throw new Error('invalid empty volume spec');
  if (Buffer.byteLength(spec) <= 2) return { source: '', bind: false };
  let source = '';
  let target = '';
  let buffer: string[] = [];
  const isDrive = (buf: readonly string[], ch: string): boolean => ch === ':' && buf.length === 1 && /^\p{L}$/u.test(buf[0]!);
  for (const ch of [...spec, END]) {
    if (isDrive(buffer, ch)) {
      buffer.push(ch);
      continue;
    }
    if (ch !== ':' && ch !== END) {
      buffer.push(ch);
      continue;
    }
    const section = buffer.join('');
    buffer = [];
    let problem = '';
    if (section === '') problem = 'empty section between colons';
    else if (source === '' && ch === END) target = section;
    else if (source === '') source = section;
    else if (target === '') target = section;
    else if (ch === ':') problem = 'too many colons';
    // What follows the target is the mode (ro, z, nocopy...), which the daemon reads.
    if (problem) throw new Error(`invalid spec: ${spec}: ${problem}`);
  }
  const first = [...source][0] ?? '';
  const bind = source !== '' && ('./~'.includes(first) || source.startsWith('\\\\') || isDrive([first], source.charAt(first.length)));
  return { source, bind };
}

/**
 * run's -v values: specs with a source become HostConfig.Binds (a relative
 * host path made absolute against cwd), the rest anonymous volumes
 * (Config.Volumes). Repeated specs count once, as in docker's map.
 */
export function splitVolumes(specs: readonly string[], cwd: string): { binds: string[]; volumes: Record<string, Record<string, never>> } {
  const binds: string[] = [];
  const volumes: Record<string, Record<string, never>> = {};
  for (const spec of new Set(specs)) {
    const { source, bind } = parseVolumeSpec(spec);
    if (source === '') volumes[spec] = {};
    else if (bind && spec.startsWith('.')) {
      const colon = spec.indexOf(':');
      binds.push(resolve(cwd, spec.slice(0, colon)) + spec.slice(colon));
    } else binds.push(spec);
  }
  return { binds, volumes };
}
