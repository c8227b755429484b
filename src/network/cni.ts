// The CNI protocol: a plugin is an executable given its configuration as JSON
// on stdin and the operation in CNI_* variables; it answers with a result or
// an error as JSON on stdout. A network is a list of plugins run in order
// on ADD (each seeing the previous result) and in reverse on DEL.
import { runProcess } from '../util/spawn.ts';
import { join } from 'node:path';

export interface CniIp {
  address: string;
  gateway?: string;
  interface?: number;
}

export interface CniResult {
  cniVersion?: string;
  interfaces?: Array<{ name: string; mac?: string; sandbox?: string }>;
  ips?: CniIp[];
}

export interface CniRuntime {
  containerId: string;
  /** Path of the network namespace; empty on a DEL after the namespace is gone. */
  netns: string;
  ifname: string;
}

export type PluginConf = Record<string, unknown> & { type: string };

export interface NetworkConfList {
  cniVersion: string;
  name: string;
  plugins: PluginConf[];
}

export class CniError extends Error {
  readonly code: number;
  constructor(message: string, code: number) {
    super(message);
    this.code = code;
  }
}

export class Cni {
  readonly pluginDir: string;

  constructor(pluginDir: string) {
    this.pluginDir = pluginDir;
  }

  async add(list: NetworkConfList, rt: CniRuntime): Promise<CniResult> {
    let prev: CniResult | undefined;
    for (const plugin of list.plugins) {
      prev = await this.#exec('ADD', { ...plugin, cniVersion: list.cniVersion, name: list.name, ...(prev ? { prevResult: prev } : {}) }, rt);
    }
    return prev ?? {};
  }

  /** Runs every plugin's DEL even if one fails, so one broken step leaks no more than itself. */
  async del(list: NetworkConfList, rt: CniRuntime): Promise<void> {
    let first: Error | undefined;
    for (const plugin of [...list.plugins].reverse()) {
      await this.#exec('DEL', { ...plugin, cniVersion: list.cniVersion, name: list.name }, rt).catch((err: Error) => (first ??= err));
    }
    if (first) throw first;
  }

  async #exec(command: 'ADD' | 'DEL', conf: PluginConf, rt: CniRuntime): Promise<CniResult> {
    const env = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: command,
      CNI_CONTAINERID: rt.containerId,
      CNI_NETNS: rt.netns,
      CNI_IFNAME: rt.ifname,
      CNI_PATH: this.pluginDir,
    };
    const r = await runProcess(join(this.pluginDir, conf.type), [], { env, input: JSON.stringify(conf) }).catch((e: Error) => {
      throw new CniError(`CNI plugin ${conf.type}: ${e.message}`, 999);
    });
    const text = r.stdout.toString();
    let parsed: (CniResult & { code?: number; msg?: string; details?: string }) | undefined;
    try {
      parsed = text.trim() ? JSON.parse(text) : {};
    } catch {
      parsed = undefined;
    }
    if (r.code === 0 && parsed) return parsed;
    const why = parsed?.msg ? `${parsed.msg}${parsed.details ? `: ${parsed.details}` : ''}` : (r.stderr.toString().trim() || text.trim() || `exit status ${r.code}`);
    throw new CniError(`CNI plugin ${conf.type} ${command}: ${why}`, parsed?.code ?? 999);
  }
}
