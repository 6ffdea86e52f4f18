//! The sandbox's stages on Linux: namespaces, parent death, descriptors, privileges, Landlock
//! and the system call filter, applied in that order before the worker's program is executed.
//! Every stage runs with an empty environment in `/`; the worker's environment and working
//! directory are applied by the final `exec` only.

use super::{Args, Report, SUBCOMMAND, SYSTEM_READ};
use nix::sched::{unshare, CloneFlags};
use nix::sys::signal::Signal;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Killed when the process that started this one dies; stop if it is already gone.
fn die_with_parent(parent: Option<u32>) -> Result<(), ExitCode> {
    let _ = nix::sys::prctl::set_pdeathsig(Signal::SIGKILL);
    match parent {
        Some(p) if nix::unistd::getppid().as_raw() as u32 != p => Err(ExitCode::from(137)),
        _ => Ok(()),
    }
}

pub(super) fn run(args: &Args) -> ExitCode {
    if args.inner {
        // The first process of the new PID namespace (its parent is the first stage, outside
        // the namespace: getppid() says 0, so only the signal tells that it is gone).
        if let Err(code) = die_with_parent(None) {
            return code;
        }
        return confine_and_exec(args, true, true);
    }
    if let Err(code) = die_with_parent(Some(args.parent)) {
        return code;
    }
    // A user namespace makes the others possible without privileges; as root, they work
    // without one too.
    // System V IPC of its own too (the filter refuses those calls; the namespace is a second wall).
    let others = CloneFlags::CLONE_NEWPID | CloneFlags::CLONE_NEWNET | CloneFlags::CLONE_NEWIPC;
    let namespaces = unshare(CloneFlags::CLONE_NEWUSER | others).or_else(|_| unshare(others));
    if namespaces.is_err() {
        // No namespaces: the worker stays in the process group it was started in, which a
        // kill ends; a process it starts that calls setsid escapes (the probe says so).
        return confine_and_exec(args, false, false);
    }
    // The next child is the namespace's first process: started as the second stage.
    let Ok(exe) = std::env::current_exe() else { return ExitCode::from(126) };
    let mut inner = Command::new(exe);
    inner.arg(SUBCOMMAND).arg("--inner").arg("--parent").arg(args.parent.to_string());
    if let Some(p) = &args.private {
        inner.arg("--private").arg(p);
    }
    if let Some(l) = &args.launch {
        inner.arg("--launch").arg(l);
    }
    for r in &args.read {
        inner.arg("--read").arg(r);
    }
    if args.probe {
        inner.arg("--probe");
    }
    inner.arg("--").args(&args.command);
    match inner.status() {
        Ok(status) => {
            use std::os::unix::process::ExitStatusExt;
            let code = status.code().or(status.signal().map(|s| 128 + s)).unwrap_or(1);
            ExitCode::from(code.clamp(0, 255) as u8)
        }
        Err(_) => ExitCode::from(126),
    }
}

/// Closes every descriptor but 0, 1 and 2 (those provision inherited without close-on-exec
/// included); `true` when a listing afterwards shows nothing else open (but the listing's own
/// descriptor, the lowest free one: 3).
fn close_inherited_descriptors() -> bool {
    let open = || -> Option<Vec<i32>> {
        let dir = std::fs::read_dir("/proc/self/fd").ok()?;
        Some(dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect())
    };
    match open() {
        Some(fds) => {
            for fd in fds.into_iter().filter(|fd| *fd > 2) {
                // The listing's own descriptor is already closed: EBADF, ignored.
                let _ = nix::unistd::close(fd);
            }
        }
        None => {
            // No /proc: close what the limit allows, then say it could not be checked.
            for fd in 3..4096 {
                let _ = nix::unistd::close(fd);
            }
            return false;
        }
    }
    open().is_some_and(|fds| fds.iter().all(|fd| *fd <= 3) && fds.iter().filter(|fd| **fd > 2).count() <= 1)
}

/// Drops every capability: none effective, permitted, inheritable or ambient. The bounding
/// set is emptied too where CAP_SETPCAP is held (root without a user namespace); without it
/// (a user namespace's second stage holds no capability after exec), and with no_new_privs,
/// nothing can be gained again.
fn drop_capabilities() -> bool {
    use caps::CapSet;
    let _ = caps::clear(None, CapSet::Bounding);
    let sets = [CapSet::Ambient, CapSet::Inheritable, CapSet::Effective, CapSet::Permitted];
    let cleared = sets.iter().all(|set| caps::clear(None, *set).is_ok());
    cleared && sets.iter().all(|set| caps::read(None, *set).is_ok_and(|c| c.is_empty()))
}

fn landlock(args: &Args, report: &mut Report) {
    use landlock::{
        path_beneath_rules, Access, AccessFs, AccessNet, LandlockStatus, Ruleset, RulesetAttr, RulesetCreatedAttr,
        RulesetStatus, Scope, ABI,
    };
    // The newest ABI this crate knows: what the kernel lacks is left out (best effort) and the
    // status says what held. ABI 9 adds pathname UNIX sockets (ResolveUnix) to the file rules.
    let abi = ABI::V10;
    let read = AccessFs::from_read(abi);
    let attempt = || -> Result<landlock::RestrictionStatus, landlock::RulesetError> {
        let mut readable: Vec<PathBuf> = SYSTEM_READ.iter().map(PathBuf::from).collect();
        readable.extend(args.read.iter().cloned());
        let readable: Vec<PathBuf> = readable.into_iter().filter(|p| p.exists()).collect();
        let writable: Vec<PathBuf> = args.private.iter().cloned().chain([PathBuf::from("/dev/null")]).collect();
        Ruleset::default()
            .handle_access(AccessFs::from_all(abi))?
            .handle_access(AccessNet::from_all(abi))?
            .scope(Scope::from_all(abi))?
            .create()?
            .add_rules(path_beneath_rules(&readable, read))?
            .add_rules(path_beneath_rules(["/dev/urandom", "/dev/zero"], AccessFs::ReadFile))?
            .add_rules(path_beneath_rules(&writable, AccessFs::from_all(abi)))?
            .restrict_self()
    };
    let Ok(status) = attempt() else { return };
    if let LandlockStatus::Available { effective_abi, .. } = status.landlock {
        report.landlock_abi = effective_abi as i32;
        let enforced = status.ruleset != RulesetStatus::NotEnforced;
        report.landlock_files = enforced;
        report.landlock_network = enforced && effective_abi >= ABI::V4;
        report.landlock_scopes = enforced && effective_abi >= ABI::V6;
    }
}

/// Whether the filter is in force, seen from inside: a socket of any family and a UNIX datagram
/// pair refused with the filter's answer (a network namespace alone refuses neither), a UNIX
/// stream pair allowed.
fn filter_holds() -> bool {
    use std::os::unix::net::{UnixDatagram, UnixStream};
    let refused = |e: std::io::Error| e.raw_os_error() == Some(super::syscalls::DENIED);
    let unix = UnixDatagram::unbound().err().is_some_and(refused);
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").err().is_some_and(refused);
    let datagram_pair = UnixDatagram::pair().err().is_some_and(refused);
    let stream_pair = UnixStream::pair().is_ok();
    unix && udp && datagram_pair && stream_pair
}

fn confine_and_exec(args: &Args, pid_namespace: bool, network_namespace: bool) -> ExitCode {
    // What the worker runs with, read (and removed) before anything else: nothing of it applies
    // until the final exec.
    let launch = match args.launch.as_deref().map(super::Launch::take).transpose() {
        Ok(launch) => launch.unwrap_or_default(),
        Err(e) => {
            crate::errln!("cannot read the worker's launch file: {e}");
            return ExitCode::from(126);
        }
    };
    // First, while /proc can still be listed.
    let descriptors_closed = close_inherited_descriptors();
    let mut report = Report {
        pid_namespace,
        network_namespace,
        no_new_privs: nix::sys::prctl::set_no_new_privs().is_ok(),
        descriptors_closed,
        ..Report::default()
    };
    // Capabilities next: dropping them reads /proc/sys/kernel/cap_last_cap, which Landlock
    // then hides.
    report.capabilities_dropped = drop_capabilities();
    landlock(args, &mut report);
    // Last: the filter needs no_new_privs (it is installed without privileges).
    let _ = super::syscalls::install();
    report.syscall_filter = filter_holds();
    if args.probe {
        crate::output::out(&serde_json::to_string(&report).unwrap_or_default());
        return ExitCode::SUCCESS;
    }
    let Some((program, rest)) = args.command.split_first() else { return ExitCode::from(126) };
    use std::os::unix::process::CommandExt;
    // Replaces this process. Only now, every fence up, the worker's environment and working
    // directory apply: a variable such as LD_PRELOAD acts inside the fence only.
    let mut worker = Command::new(program);
    worker.args(rest).env_clear().envs(launch.environment);
    if let Some(dir) = &launch.directory {
        worker.current_dir(dir);
    }
    let error = worker.exec();
    crate::errln!("cannot run {}: {error}", Path::new(program).display());
    ExitCode::from(127)
}
