// `import --change` / `commit --change`: the Dockerfile instructions that only
// touch the image config. The builder's full parser covers the rest of the
// language; these few need no build context.
import type { ContainerDefaults } from './types.ts';
import { posix } from 'node:path';
import { badRequest } from '../util/errors.ts';
import { parseSignal } from '../engine/signals.ts';

/** Shell-like words: quotes may open and close inside a word (A="x y"), backslash escapes. */
function words(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw badRequest(`unterminated quote in: ${s}`);
  if (inWord) out.push(cur);
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
  if (!parts[0]!.includes('=')) {
    // The legacy "KEY value" form: everything after the first word is the value.
    if (parts.length < 2) throw badRequest(`${what} must have two arguments`);
    return [[parts[0]!, parts.slice(1).join(' ')]];
  }
  return parts.map((p) => {
    const i = p.indexOf('=');
    if (i <= 0) throw badRequest(`${what} names can not be blank`);
    return [p.slice(0, i), p.slice(i + 1)];
  });
}

/** "80", "80/udp", "8000-8002/tcp" → the exposed-port keys docker stores. */
function expandPorts(spec: string): string[] {
  const [range = '', proto = 'tcp'] = spec.split('/');
  const m = /^(\d+)(?:-(\d+))?$/.exec(range);
  if (!m) throw badRequest(`invalid port: ${spec}`);
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (end < start || end > 65535) throw badRequest(`invalid port range: ${spec}`);
  return Array.from({ length: end - start + 1 }, (_v, i) => `${start + i}/${proto}`);
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
        for (const p of words(arg)) for (const port of expandPorts(p)) out.ExposedPorts[port] = {};
        break;
      case 'VOLUME':
        out.Volumes = { ...(out.Volumes ?? {}) };
        for (const v of arg.trim().startsWith('[') ? jsonOrShell(arg, []) : words(arg)) out.Volumes[v] = {};
        break;
      case 'USER':
        out.User = arg.trim();
        break;
      case 'WORKDIR':
        out.WorkingDir = posix.resolve(out.WorkingDir || '/', arg.trim());
        break;
      case 'STOPSIGNAL':
        parseSignal(arg.trim());
        out.StopSignal = arg.trim();
        break;
      case 'ONBUILD':
        out.OnBuild = [...(out.OnBuild ?? []), arg.trim()];
        break;
      default:
        throw badRequest(`${op.toLowerCase()} is not a valid change command`);
    }
  }
  return out;
}
