// The container as the engine keeps it, in the Docker API's own field names
// so inspect output is the record itself, not a translation of it.
import type { ContainerDefaults, HealthConfig } from '../image/types.ts';
import type { ContainerNetworkState } from '../network/types.ts';

export interface RestartPolicy {
  Name: '' | 'no' | 'always' | 'on-failure' | 'unless-stopped';
  MaximumRetryCount?: number;
}

export interface HostConfig {
  Binds?: string[] | null;
  NetworkMode?: string;
  RestartPolicy?: RestartPolicy;
  AutoRemove?: boolean;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  Privileged?: boolean;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[] | null;
  Init?: boolean | null;
  LogConfig?: { Type: string; Config: Record<string, string> };
  Memory?: number;
  MemorySwap?: number;
  NanoCpus?: number;
  CpuShares?: number;
  CpuQuota?: number;
  CpuPeriod?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  PidsLimit?: number | null;
  /** The cgroup the container's own goes under (cgroupfs paths; relative ones are the runtime's to place). */
  CgroupParent?: string;
  Ulimits?: { Name: string; Soft: number; Hard: number }[] | null;
  ShmSize?: number;
  PidMode?: string;
  IpcMode?: string;
  UTSMode?: string;
  GroupAdd?: string[] | null;
  OomScoreAdj?: number;
  Sysctls?: Record<string, string> | null;
  ExtraHosts?: string[] | null;
  Dns?: string[] | null;
  DnsSearch?: string[] | null;
  DnsOptions?: string[] | null;
  PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null;
  PublishAllPorts?: boolean;
  Mounts?: object[] | null;
  Tmpfs?: Record<string, string> | null;
  VolumesFrom?: string[] | null;
  [extra: string]: unknown;
}

export interface ContainerConfig extends ContainerDefaults {
  Hostname?: string;
  Domainname?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Image?: string;
  NetworkDisabled?: boolean;
  StopTimeout?: number;
  Healthcheck?: HealthConfig;
  [extra: string]: unknown;
}

export type Status = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerState {
  Status: Status;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
}

/** A mount as docker's inspect shows it (`Mounts`); Source is a host path (empty for tmpfs). */
export interface MountPoint {
  Type: 'bind' | 'volume' | 'tmpfs';
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
  /** berth's own: a tmpfs mount's options. */
  TmpfsOptions?: string[];
  /** berth's own: a --tmpfs mount, which docker does not list in Mounts. */
  Unlisted?: boolean;
}

export interface ContainerRecord {
  Id: string;
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerState;
  Image: string;
  /** Chain IDs of the image's layers, kept so the rootfs survives `rmi -f`. */
  ImageChain: string[];
  RestartCount: number;
  Config: ContainerConfig;
  HostConfig: HostConfig;
  /** Set by an explicit stop, so `unless-stopped` and `always` know not to restart on daemon start. */
  ManuallyStopped: boolean;
  /** Set once a remove began, so a crash mid-remove is finished at start-up. */
  Removing?: boolean;
  /** The remove asked for the anonymous volumes to go too (`rm -v`, `--rm`). */
  RemoveVolumes?: boolean;
  ConmonPid?: number;
  /** The boot ConmonPid belongs to (see util/process.ts). */
  BootId?: string;
  /** Volumes, binds and tmpfs mounts, resolved at create. */
  MountPoints?: MountPoint[];
  /** Endpoints and held host ports; absent in records from before networks. */
  NetworkSettings?: ContainerNetworkState;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function initialState(): ContainerState {
  return {
    Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
    Pid: 0, ExitCode: 0, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME,
  };
}
