// The default seccomp filter. Docker's profile is an allow-list of ~350
// syscalls; berth keeps the same protection as a short deny-list of the calls
// that profile refuses to unprivileged containers, each re-allowed when the
// capability that makes it legitimate is granted, as docker does.

const DENIED: { names: string[]; unlessCap?: string }[] = [
  { names: ['kexec_load', 'kexec_file_load', 'reboot'], unlessCap: 'CAP_SYS_BOOT' },
  { names: ['init_module', 'finit_module', 'delete_module', 'create_module', 'get_kernel_syms', 'query_module'], unlessCap: 'CAP_SYS_MODULE' },
  { names: ['mount', 'umount2', 'pivot_root', 'unshare', 'setns', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'move_mount', 'open_tree', 'mount_setattr', 'quotactl', 'lookup_dcookie', 'bpf', 'perf_event_open', 'fanotify_init', 'name_to_handle_at', 'swapon', 'swapoff', 'vhangup', 'nfsservctl', 'syslog'], unlessCap: 'CAP_SYS_ADMIN' },
  { names: ['open_by_handle_at'], unlessCap: 'CAP_DAC_READ_SEARCH' },
  { names: ['acct'], unlessCap: 'CAP_SYS_PACCT' },
  { names: ['clock_settime', 'clock_adjtime', 'settimeofday', 'adjtimex'], unlessCap: 'CAP_SYS_TIME' },
  { names: ['iopl', 'ioperm'], unlessCap: 'CAP_SYS_RAWIO' },
  { names: ['process_vm_readv', 'process_vm_writev', 'kcmp'], unlessCap: 'CAP_SYS_PTRACE' },
  // io_uring left docker's profile (moby 25) for the kernel bugs it kept exposing.
  { names: ['add_key', 'keyctl', 'request_key', 'userfaultfd', 'uselib', '_sysctl', 'vm86', 'vm86old', 'ustat', 'sysfs', 'io_uring_setup', 'io_uring_enter', 'io_uring_register'] },
];

// clone's namespace flags. A new user namespace needs no capability, and
// inside one a process holds every capability over what it then creates
// (mounts, namespaces): the kernel's widest attack surface, which docker's
// profile closes by allowing clone only without these flags.
const CLONE_NS_FLAGS = {
  CLONE_NEWNS: 0x00020000,
  CLONE_NEWCGROUP: 0x02000000,
  CLONE_NEWUTS: 0x04000000,
  CLONE_NEWIPC: 0x08000000,
  CLONE_NEWUSER: 0x10000000,
  CLONE_NEWPID: 0x20000000,
  CLONE_NEWNET: 0x40000000,
};
const EPERM = 1;
const ENOSYS = 38;

export function defaultSeccomp(caps: string[]): object {
  const denied = DENIED.filter((d) => !d.unlessCap || !caps.includes(d.unlessCap)).flatMap((d) => d.names);
  const syscalls: object[] = [{ names: denied, action: 'SCMP_ACT_ERRNO', errnoRet: EPERM }];
  if (!caps.includes('CAP_SYS_ADMIN')) {
    // A deny rule matches one flag: entries for one call are OR'ed, an entry's conditions AND'ed.
    for (const flag of Object.values(CLONE_NS_FLAGS)) {
      syscalls.push({ names: ['clone'], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM, args: [{ index: 0, value: flag, valueTwo: flag, op: 'SCMP_CMP_MASKED_EQ' }] });
    }
    // clone3 passes its flags in memory a filter cannot read; ENOSYS makes
    // libc fall back to clone, where the rules above apply (docker's answer too).
    syscalls.push({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS });
  }
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls,
  };
}
