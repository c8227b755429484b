// What a build's options say about its RUN step containers (resources,
// /etc/hosts, ulimits, /dev/shm, whether they are removed), and the checks
// the daemon and berth build's client share. Pure.

/** The HostConfig fields of a RUN step's container that the build's parameters set. */
export interface RunHostConfig {
  ExtraHosts?: string[];
  ShmSize?: number;
  Memory?: number;
  MemorySwap?: number;
  CpuShares?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  Ulimits?: { Name: string; Soft: number; Hard: number }[];
  CgroupParent?: string;
}

/** What happens to a RUN step's container once the step is over (moby's rm and forcerm). */
export interface RemovePolicy {
  /** After a step that succeeded (rm, the default). */
  success: boolean;
  /** After a step that failed (forcerm only). */
  failure: boolean;
}

const AMD64 = new Set(['amd64', 'x86_64', 'x86-64']);

/**
 * A platform as containerd's platforms.Parse reads it (os[/arch[/variant]],
 * an arch alone meaning linux/arch), accepted only when it names the one
 * platform berth builds for. Returns the normalised "linux/amd64".
 */
export function checkPlatform(value: string): string {
  const parts = value.toLowerCase().split('/');
  const [first = '', arch = '', variant = ''] = parts;
  const ok =
    parts.length <= 3 &&
    (parts.length === 1 ? first === 'linux' || AMD64.has(first) : first === 'linux' && AMD64.has(arch) && (variant === '' || variant === 'v1'));
  if (!ok) throw new Error(`platform ${JSON.stringify(value)} is not supported: berth builds linux/amd64 images only`);
  return 'linux/amd64';
}

