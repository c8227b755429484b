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
  { names: ['add_key', 'keyctl', 'request_key', 'userfaultfd', 'uselib', '_sysctl', 'vm86', 'vm86old', 'ustat', 'sysfs'] },
];

export function defaultSeccomp(caps: string[]): object {
  const denied = DENIED.filter((d) => !d.unlessCap || !caps.includes(d.unlessCap)).flatMap((d) => d.names);
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [{ names: denied, action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
  };
}
