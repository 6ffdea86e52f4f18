//! The worker's system call filter: an allow list. Every system call a worker makes (the
//! interpreter or jq, what a handler starts, the version managers' shims a lookup runs) must be
//! named here; everything else answers `EPERM`, but for
//! - the newer calls that have an older fallback, which answer `ENOSYS` so that the runtime
//!   falls back (glibc's `clone3` to `clone`, libuv's io_uring to its thread pool);
//! - changes of a file's mode, owner, times and extended attributes, which Landlock does not
//!   govern (they would reach every file the caller owns, and the system's own files as root:
//!   a set-user-ID bit on an interpreter): they are skipped and answer success, so that what
//!   copies or unpacks files (Node.js's `fs.copyFile`, Python's `shutil.copy`, `tarfile`) works
//!   as on Lambda, and nothing changes.
//!
//! The list was taken from what Python 3.9 to 3.13, Node.js 20 and jq 1.6 call while preview runs
//! a handler or a query (each traced with `strace -f`, then checked under the filter by
//! `tests/it/hostile_pr.rs`), plus the calls of the same families they make on other paths
//! (threads, timers, pipes, polling). What is left out on purpose:
//! - **sockets**: `socket()` of every family, `connect`, `bind`, `listen`, `accept`; only UNIX
//!   *stream* pairs (`socketpair`), which reach nothing outside the worker, and `sendto` without
//!   an address;
//! - **what Landlock does not govern**: `chmod`, `chown`, `utime` and setting extended
//!   attributes, by path or by descriptor (skipped, see above);
//! - **ways past the other fences**: new namespaces (`unshare`, `setns`, `clone` with a
//!   namespace flag), `ptrace`, `process_vm_*`, `pidfd_getfd`, `kcmp`, `bpf`, `perf_event_open`,
//!   `userfaultfd`, the kernel keyrings, `io_uring`, `execveat`, mounts, System V and POSIX
//!   message IPC, `personality`, terminal input injection (`TIOCSTI`, `TIOCLINUX`),
//!   and every privileged call (modules, time, reboot, swap, quotas, uid and capability changes).

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter, SeccompRule,
};
use std::collections::BTreeMap;

/// What a denied call answers.
pub const DENIED: i32 = libc::EPERM;

/// The calls allowed whatever their arguments, on every architecture.
const ALLOWED: &[i64] = &[
    // Files and descriptors (Landlock decides which paths).
    libc::SYS_read,
    libc::SYS_write,
    libc::SYS_readv,
    libc::SYS_writev,
    libc::SYS_pread64,
    libc::SYS_pwrite64,
    libc::SYS_preadv,
    libc::SYS_pwritev,
    libc::SYS_preadv2,
    libc::SYS_pwritev2,
    libc::SYS_openat,
    libc::SYS_openat2,
    libc::SYS_close,
    libc::SYS_close_range,
    libc::SYS_dup,
    libc::SYS_dup3,
    libc::SYS_fcntl,
    libc::SYS_lseek,
    libc::SYS_newfstatat,
    libc::SYS_fstat,
    libc::SYS_statx,
    libc::SYS_statfs,
    libc::SYS_fstatfs,
    libc::SYS_faccessat,
    libc::SYS_faccessat2,
    libc::SYS_readlinkat,
    libc::SYS_getdents64,
    libc::SYS_mkdirat,
    libc::SYS_unlinkat,
    // riscv64 has renameat2 only.
    #[cfg(not(target_arch = "riscv64"))]
    libc::SYS_renameat,
    libc::SYS_renameat2,
    libc::SYS_linkat,
    libc::SYS_symlinkat,
    libc::SYS_truncate,
    libc::SYS_ftruncate,
    libc::SYS_fallocate,
    libc::SYS_fadvise64,
    libc::SYS_fsync,
    libc::SYS_fdatasync,
    libc::SYS_flock,
    libc::SYS_sendfile,
    libc::SYS_copy_file_range,
    libc::SYS_splice,
    libc::SYS_tee,
    libc::SYS_pipe2,
    libc::SYS_getcwd,
    libc::SYS_chdir,
    libc::SYS_fchdir,
    libc::SYS_umask,
    libc::SYS_getxattr,
    libc::SYS_lgetxattr,
    libc::SYS_fgetxattr,
    libc::SYS_listxattr,
    libc::SYS_llistxattr,
    libc::SYS_flistxattr,
    libc::SYS_memfd_create,
    libc::SYS_inotify_init1,
    libc::SYS_inotify_add_watch,
    libc::SYS_inotify_rm_watch,
    // Waiting on descriptors.
    libc::SYS_eventfd2,
    libc::SYS_epoll_create1,
    libc::SYS_epoll_ctl,
    libc::SYS_epoll_pwait,
    libc::SYS_epoll_pwait2,
    libc::SYS_ppoll,
    libc::SYS_pselect6,
    libc::SYS_signalfd4,
    libc::SYS_timerfd_create,
    libc::SYS_timerfd_settime,
    libc::SYS_timerfd_gettime,
    // Memory.
    libc::SYS_brk,
    libc::SYS_mmap,
    libc::SYS_munmap,
    libc::SYS_mremap,
    libc::SYS_mprotect,
    libc::SYS_madvise,
    libc::SYS_msync,
    libc::SYS_mincore,
    libc::SYS_mlock,
    libc::SYS_mlock2,
    libc::SYS_munlock,
    libc::SYS_mlockall,
    libc::SYS_munlockall,
    libc::SYS_membarrier,
    libc::SYS_pkey_alloc,
    libc::SYS_pkey_free,
    libc::SYS_pkey_mprotect,
    libc::SYS_get_mempolicy,
    // Processes and threads (inside the PID namespace: nothing outside can be named).
    libc::SYS_execve,
    libc::SYS_exit,
    libc::SYS_exit_group,
    libc::SYS_wait4,
    libc::SYS_waitid,
    libc::SYS_kill,
    libc::SYS_tgkill,
    libc::SYS_tkill,
    libc::SYS_getpid,
    libc::SYS_getppid,
    libc::SYS_gettid,
    libc::SYS_getuid,
    libc::SYS_geteuid,
    libc::SYS_getgid,
    libc::SYS_getegid,
    libc::SYS_getgroups,
    libc::SYS_getresuid,
    libc::SYS_getresgid,
    libc::SYS_getpgid,
    libc::SYS_setpgid,
    libc::SYS_getsid,
    libc::SYS_setsid,
    libc::SYS_set_tid_address,
    libc::SYS_set_robust_list,
    libc::SYS_rseq,
    libc::SYS_futex,
    libc::SYS_futex_waitv,
    libc::SYS_sched_yield,
    libc::SYS_sched_getaffinity,
    libc::SYS_sched_setaffinity,
    libc::SYS_sched_getparam,
    libc::SYS_sched_getscheduler,
    libc::SYS_sched_get_priority_max,
    libc::SYS_sched_get_priority_min,
    libc::SYS_getpriority,
    libc::SYS_prctl,
    // More filters only ever take away (and prctl's PR_SET_SECCOMP installs them anyway).
    libc::SYS_seccomp,
    libc::SYS_capget,
    libc::SYS_getrlimit,
    libc::SYS_setrlimit,
    libc::SYS_prlimit64,
    libc::SYS_getrusage,
    libc::SYS_times,
    libc::SYS_sysinfo,
    libc::SYS_uname,
    libc::SYS_getcpu,
    libc::SYS_pidfd_open,
    libc::SYS_pidfd_send_signal,
    libc::SYS_restart_syscall,
    // Signals.
    libc::SYS_rt_sigaction,
    libc::SYS_rt_sigprocmask,
    libc::SYS_rt_sigreturn,
    libc::SYS_rt_sigsuspend,
    libc::SYS_rt_sigpending,
    libc::SYS_rt_sigtimedwait,
    libc::SYS_rt_sigqueueinfo,
    libc::SYS_rt_tgsigqueueinfo,
    libc::SYS_sigaltstack,
    // Time and randomness.
    libc::SYS_nanosleep,
    libc::SYS_clock_nanosleep,
    libc::SYS_clock_gettime,
    libc::SYS_clock_getres,
    libc::SYS_gettimeofday,
    libc::SYS_timer_create,
    libc::SYS_timer_settime,
    libc::SYS_timer_gettime,
    libc::SYS_timer_getoverrun,
    libc::SYS_timer_delete,
    libc::SYS_setitimer,
    libc::SYS_getitimer,
    libc::SYS_getrandom,
    // Sockets that exist: UNIX stream pairs (see the conditional rules) and the pipes 0-2.
    libc::SYS_recvfrom,
    libc::SYS_sendmsg,
    libc::SYS_recvmsg,
    libc::SYS_shutdown,
    libc::SYS_getsockopt,
    libc::SYS_setsockopt,
    libc::SYS_getsockname,
    libc::SYS_getpeername,
];

/// The older forms of the same calls, which x86_64 keeps and the newer architectures lack.
#[cfg(target_arch = "x86_64")]
const ALLOWED_LEGACY: &[i64] = &[
    libc::SYS_open,
    libc::SYS_creat,
    libc::SYS_stat,
    libc::SYS_lstat,
    libc::SYS_access,
    libc::SYS_readlink,
    libc::SYS_getdents,
    libc::SYS_mkdir,
    libc::SYS_rmdir,
    libc::SYS_unlink,
    libc::SYS_rename,
    libc::SYS_link,
    libc::SYS_symlink,
    libc::SYS_pipe,
    libc::SYS_dup2,
    libc::SYS_fork,
    libc::SYS_vfork,
    libc::SYS_poll,
    libc::SYS_select,
    libc::SYS_epoll_create,
    libc::SYS_epoll_wait,
    libc::SYS_eventfd,
    libc::SYS_signalfd,
    libc::SYS_inotify_init,
    libc::SYS_alarm,
    libc::SYS_pause,
    libc::SYS_time,
    libc::SYS_arch_prctl,
    libc::SYS_getpgrp,
];
#[cfg(not(target_arch = "x86_64"))]
const ALLOWED_LEGACY: &[i64] = &[];

/// Newer calls with an older fallback: answered `ENOSYS`, as an older kernel would, so that the
/// runtime takes the fallback (also allowed, or itself refused).
const NOT_IMPLEMENTED: &[i64] = &[
    libc::SYS_clone3,
    libc::SYS_io_uring_setup,
    libc::SYS_io_uring_enter,
    libc::SYS_io_uring_register,
    libc::SYS_landlock_create_ruleset,
    libc::SYS_landlock_add_rule,
    libc::SYS_landlock_restrict_self,
];

/// `fchmodat2`'s number, the same on x86_64, aarch64 and riscv64 (not in every libc yet).
const SYS_FCHMODAT2: i64 = 452;

/// Changes of mode, owner, times and extended attributes: skipped, answering success.
const SKIPPED: &[i64] = &[
    libc::SYS_fchmod,
    libc::SYS_fchmodat,
    SYS_FCHMODAT2,
    libc::SYS_fchown,
    libc::SYS_fchownat,
    libc::SYS_utimensat,
    libc::SYS_setxattr,
    libc::SYS_lsetxattr,
    libc::SYS_fsetxattr,
    libc::SYS_removexattr,
    libc::SYS_lremovexattr,
    libc::SYS_fremovexattr,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_chmod,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_chown,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_lchown,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_utime,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_utimes,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_futimesat,
];

/// `clone` flags that make new namespaces.
const NAMESPACE_FLAGS: u64 = (libc::CLONE_NEWNS
    | libc::CLONE_NEWCGROUP
    | libc::CLONE_NEWUTS
    | libc::CLONE_NEWIPC
    | libc::CLONE_NEWUSER
    | libc::CLONE_NEWPID
    | libc::CLONE_NEWNET) as u64;

/// The socket type bits of `socketpair`'s second argument (`SOCK_CLOEXEC` and `SOCK_NONBLOCK`
/// aside).
const SOCKET_TYPE_MASK: u64 = 0xf;

fn condition(arg: u8, len: SeccompCmpArgLen, op: SeccompCmpOp, value: u64) -> Result<SeccompCondition, String> {
    SeccompCondition::new(arg, len, op, value).map_err(|e| e.to_string())
}

fn rule(conditions: Vec<SeccompCondition>) -> Result<SeccompRule, String> {
    SeccompRule::new(conditions).map_err(|e| e.to_string())
}

/// The calls allowed only with some arguments.
// The ioctl requests' type differs between C libraries (an unsigned long for glibc, an int
// for musl): the casts are needed there.
#[allow(clippy::unnecessary_cast)]
fn conditional() -> Result<Vec<(i64, Vec<SeccompRule>)>, String> {
    use SeccompCmpArgLen::{Dword, Qword};
    Ok(vec![
        // Threads and processes, never in a new namespace.
        (libc::SYS_clone, vec![rule(vec![condition(0, Qword, SeccompCmpOp::MaskedEq(NAMESPACE_FLAGS), 0)?])?]),
        // A connected pair of UNIX stream sockets: reaches nothing but itself.
        (
            libc::SYS_socketpair,
            vec![rule(vec![
                condition(0, Dword, SeccompCmpOp::Eq, libc::AF_UNIX as u64)?,
                condition(1, Dword, SeccompCmpOp::MaskedEq(SOCKET_TYPE_MASK), libc::SOCK_STREAM as u64)?,
            ])?],
        ),
        // Sending on what is connected; never to an address.
        (libc::SYS_sendto, vec![rule(vec![condition(4, Qword, SeccompCmpOp::Eq, 0)?])?]),
        // Every ioctl but those that type into a terminal (the kernel reads the request as 32 bits).
        (
            libc::SYS_ioctl,
            vec![rule(vec![
                condition(1, Dword, SeccompCmpOp::Ne, libc::TIOCSTI as u64)?,
                condition(1, Dword, SeccompCmpOp::Ne, libc::TIOCLINUX as u64)?,
            ])?],
        ),
    ])
}

fn arch() -> Result<seccompiler::TargetArch, String> {
    std::env::consts::ARCH.try_into().map_err(|e| format!("{e:?}"))
}

/// The allow list: what it names runs, everything else answers [`DENIED`]. (A call made through
/// another ABI, x86_64's x32 or i386, fails the architecture check and kills the process.)
pub fn allow_list() -> Result<BpfProgram, String> {
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    for number in ALLOWED.iter().chain(ALLOWED_LEGACY) {
        rules.insert(*number, Vec::new());
    }
    for (number, conditional) in conditional()? {
        rules.insert(number, conditional);
    }
    let filter = SeccompFilter::new(rules, SeccompAction::Errno(DENIED as u32), SeccompAction::Allow, arch()?)
        .map_err(|e| e.to_string())?;
    filter.try_into().map_err(|e: seccompiler::BackendError| e.to_string())
}

/// A filter answering `errno` (0: success, the call skipped) to `calls` and allowing the rest,
/// installed after the allow list: of two filters answering an error, the kernel returns the
/// later one's.
fn answering(calls: &[i64], errno: i32) -> Result<BpfProgram, String> {
    let rules: BTreeMap<i64, Vec<SeccompRule>> = calls.iter().map(|n| (*n, Vec::new())).collect();
    let filter = SeccompFilter::new(rules, SeccompAction::Allow, SeccompAction::Errno(errno as u32), arch()?)
        .map_err(|e| e.to_string())?;
    filter.try_into().map_err(|e: seccompiler::BackendError| e.to_string())
}

/// Installs the filters (the process must hold `no_new_privs`).
pub fn install() -> Result<(), String> {
    let programs = [allow_list()?, answering(NOT_IMPLEMENTED, libc::ENOSYS)?, answering(SKIPPED, 0)?];
    for program in &programs {
        seccompiler::apply_filter(program).map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_call_is_both_allowed_and_answered_not_implemented() {
        let conditional: Vec<i64> = conditional().unwrap().into_iter().map(|(n, _)| n).collect();
        for n in NOT_IMPLEMENTED.iter().chain(SKIPPED) {
            assert!(!ALLOWED.contains(n) && !ALLOWED_LEGACY.contains(n) && !conditional.contains(n), "{n}");
        }
        assert!(!NOT_IMPLEMENTED.iter().any(|n| SKIPPED.contains(n)));
        for n in &conditional {
            assert!(!ALLOWED.contains(n) && !ALLOWED_LEGACY.contains(n), "{n} has conditions and is allowed whole");
        }
        assert!(
            allow_list().is_ok() && answering(NOT_IMPLEMENTED, libc::ENOSYS).is_ok() && answering(SKIPPED, 0).is_ok()
        );
    }

    #[test]
    fn the_calls_landlock_does_not_govern_and_the_ways_past_the_fences_are_not_allowed() {
        let denied = [
            libc::SYS_socket,
            libc::SYS_connect,
            libc::SYS_bind,
            libc::SYS_listen,
            libc::SYS_accept4,
            libc::SYS_sendmmsg,
            libc::SYS_fchmod,
            libc::SYS_fchmodat,
            libc::SYS_fchown,
            libc::SYS_fchownat,
            libc::SYS_utimensat,
            libc::SYS_setxattr,
            libc::SYS_fsetxattr,
            libc::SYS_removexattr,
            libc::SYS_unshare,
            libc::SYS_setns,
            libc::SYS_ptrace,
            libc::SYS_process_vm_readv,
            libc::SYS_process_vm_writev,
            libc::SYS_pidfd_getfd,
            libc::SYS_kcmp,
            libc::SYS_bpf,
            libc::SYS_perf_event_open,
            libc::SYS_userfaultfd,
            libc::SYS_keyctl,
            libc::SYS_add_key,
            libc::SYS_request_key,
            libc::SYS_execveat,
            libc::SYS_mount,
            libc::SYS_open_tree,
            libc::SYS_fsopen,
            libc::SYS_shmget,
            libc::SYS_msgget,
            libc::SYS_semget,
            libc::SYS_mq_open,
            libc::SYS_personality,
            libc::SYS_setuid,
            libc::SYS_capset,
            libc::SYS_init_module,
            libc::SYS_mknodat,
        ];
        for n in denied {
            assert!(!ALLOWED.contains(&n) && !ALLOWED_LEGACY.contains(&n), "{n} is allowed");
        }
        #[cfg(target_arch = "x86_64")]
        for n in
            [libc::SYS_chmod, libc::SYS_chown, libc::SYS_lchown, libc::SYS_utime, libc::SYS_utimes, libc::SYS_mknod]
        {
            assert!(!ALLOWED_LEGACY.contains(&n), "{n} is allowed");
        }
    }
}
