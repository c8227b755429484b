// `import --change` / `commit --change`: the Dockerfile instructions that only
// touch the image config. The builder's full parser covers the rest of the
// language; these few need no build context.
import type { ContainerDefaults } from './types.ts';
import { badRequest } from '../util/errors.ts';

function words(s: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]!));
  return out;
}

function jsonOrShell(arg: string, shell: string[]): string[] {
  const t = arg.trim();
  if (t.startsWith('[')) {
    try {
      const v = JSON.parse(t) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
    } catch {
      // not JSON: docker treats it as shell form
    }
  }
  return [...shell, t];
}

function keyValues(arg: string, what: string): [string, string][] {
  const parts = words(arg);
  if (parts.length === 0) throw badRequest(`${what} requires at least one argument`);
  if (!parts[0]!.includes('=')) return [[parts[0]!, arg.trim().slice(arg.trim().indexOf(parts[0]!) + parts[0]!.length).trim()]];
  return parts.map((p) => {
    const i = p.indexOf('=');
    if (i <= 0) throw badRequest(`${what} names can not be blank`);
    return [p.slice(0, i), p.slice(i + 1)];
  });
}

/** Applies changes such as `CMD ["sh"]`, `ENV A=1`, `EXPOSE 80` to a copy of `cfg`. */
export function applyChanges(cfg: ContainerDefaults, changes: string[]): ContainerDefaults {
  const out: ContainerDefaults = structuredClone(cfg);
  for (const change of changes) {
    const m = /^\s*(\w+)\s*(.*)$/s.exec(change);
    if (!m) throw badRequest(`invalid change: ${change}`);
    const op = m[1]!.toUpperCase();
    const arg = m[2]!;
    const shell = out.Shell ?? ['/bin/sh', '-c'];
    switch (op) {
      case 'CMD':
        out.Cmd = jsonOrShell(arg, shell);
        break;
      case 'ENTRYPOINT':
        out.Entrypoint = jsonOrShell(arg, shell);
        break;
      case 'ENV': {
        const env = new Map((out.Env ?? []).map((e) => [e.split('=')[0]!, e] as const));
        for (const [k, v] of keyValues(arg, 'ENV')) env.set(k, `${k}=${v}`);
        out.Env = [...env.values()];
        break;
      }
      case 'LABEL':
        out.Labels = { ...(out.Labels ?? {}), ...Object.fromEntries(keyValues(arg, 'LABEL')) };
        break;
      case 'EXPOSE':
        out.ExposedPorts = { ...(out.ExposedPorts ?? {}) };
        for (const p of words(arg)) out.ExposedPorts[p.includes('/') ? p : `${p}/tcp`] = {};
        break;
      case 'VOLUME':
        out.Volumes = { ...(out.Volumes ?? {}) };
        for (const v of jsonOrShell(arg, []).flatMap((x) => words(x))) out.Volumes[v] = {};
        break;
      case 'USER':
        out.User = arg.trim();
        break;
      case 'WORKDIR':
        out.WorkingDir = arg.trim();
        break;
      case 'STOPSIGNAL':
        out.StopSignal = arg.trim();
        break;
      case 'ONBUILD':
        out.OnBuild = [...(out.OnBuild ?? []), arg.trim()];
        break;
      default:
        throw badRequest(`${op} is not a valid change command`);
    }
  }
  return out;
}
