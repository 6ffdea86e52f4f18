//! Confinement of preview's local workers (the function's Python or Node.js handler, jq 1.6, the
//! jaq fallback): code from a pull request must not reach what provision can reach.
//!
//! A worker is started as `provision __sandbox ... -- PROGRAM ARGS`, which confines itself and
//! then executes the program:
//! 1. **Namespaces** (an unprivileged user namespace, root or not): a new PID namespace whose
//!    first process is the worker, so that everything it starts (`setsid` included) dies with it,
//!    and a new network namespace with no interface but a loopback that is down.
//! 2. **Parent death**: each stage is killed (SIGKILL) when the one that started it dies, so a
//!    killed provision leaves no worker behind.
//! 3. **No privileges**: `no_new_privs`, and every capability dropped (bounding, ambient,
//!    inheritable, permitted, effective), root included.
//! 4. **Landlock**: files may be read and executed only beneath the system's program and library
//!    directories, the runtime's own prefix and the function's source directory; written only in a
//!    private temporary directory (and `/dev/null`); TCP and UDP connect and bind denied (ABI 4+,
//!    UDP 8+); no signal or abstract socket outside the sandbox (ABI 6+). `/proc` is not readable:
//!    no parent's `environ` or `cmdline`, no credential file, no SSO cache.
//!
//! provision itself is non-dumpable ([`harden_this_process`]), so no process of the same user can
//! read its `/proc` environment or command line either. Where the kernel refuses a protection, the
//! worker still runs, and [`missing_protections`] says which are missing (preview prints it).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::OnceLock;

/// The hidden subcommand that confines itself, then runs the worker.
pub const SUBCOMMAND: &str = "__sandbox";

/// The system directories and files a runtime needs: its program, its libraries, the loader's
/// cache, the time zone, OpenSSL's configuration (Node.js refuses to start without it). Nothing
/// else of `/etc` (no `passwd`, no `ssl/private`), nothing of `/proc`, `/home`, `/root`.
const SYSTEM_READ: &[&str] = &[
    "/usr",
    "/lib",
    "/lib32",
    "/lib64",
    "/bin",
    "/sbin",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/ssl/openssl.cnf",
];

/// A worker's private temporary directory (mode 0700), removed when dropped.
#[derive(Debug)]
pub struct PrivateDir(PathBuf);

impl PrivateDir {
    fn create() -> std::io::Result<PrivateDir> {
        use std::os::unix::fs::DirBuilderExt;
        let path =
            std::env::temp_dir().join(format!("provision-worker-{}-{:016x}", std::process::id(), fastrand::u64(..)));
        std::fs::DirBuilder::new().mode(0o700).create(&path)?;
        Ok(PrivateDir(path))
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether workers are confined: on Linux, always, but in the library's own unit tests, whose
/// test binary has no sandbox subcommand (the integration tests run the real binary, confined).
/// Elsewhere workers run unconfined, and preview says so ([`missing_protections`]).
pub fn enabled() -> bool {
    cfg!(target_os = "linux") && !cfg!(test)
}

static PROGRAM: OnceLock<PathBuf> = OnceLock::new();

/// Names the provision binary that runs the sandbox, for a host that embeds the library (a test
/// driving preview's evaluator); by default, this program.
pub fn set_program(path: PathBuf) {
    let _ = PROGRAM.set(path);
}

fn program() -> std::io::Result<PathBuf> {
    PROGRAM.get().cloned().map_or_else(std::env::current_exe, Ok)
}

/// `command` rewritten to run confined, reading only beneath `read` (besides the system's
/// directories), with a private temporary directory (`TMPDIR`), its environment and working
/// directory kept. The directory lives as long as the returned [`PrivateDir`].
pub fn confine(command: &Command, read: &[PathBuf]) -> std::io::Result<(Command, PrivateDir)> {
    let private = PrivateDir::create()?;
    let mut confined = Command::new(program()?);
    confined.arg(SUBCOMMAND).arg("--parent").arg(std::process::id().to_string());
    confined.arg("--private").arg(private.path());
    for path in read {
        confined.arg("--read").arg(path);
    }
    confined.arg("--").arg(command.get_program()).args(command.get_args());
    confined.env_clear();
    for (key, value) in command.get_envs() {
        if let Some(value) = value {
            confined.env(key, value);
        }
    }
    confined.env("TMPDIR", private.path());
    if let Some(dir) = command.get_current_dir() {
        confined.current_dir(dir);
    }
    Ok((confined, private))
}

/// The arguments of [`SUBCOMMAND`].
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The pid of the process that started this one: it stops when that one is gone.
    #[arg(long)]
    parent: u32,
    /// The worker's private temporary directory (read and write).
    #[arg(long)]
    private: Option<PathBuf>,
    /// Read and execute beneath this path (repeatable).
    #[arg(long)]
    read: Vec<PathBuf>,
    /// The second stage: already in its namespaces.
    #[arg(long)]
    inner: bool,
    /// Confine, then print what held (JSON) instead of running a program.
    #[arg(long)]
    probe: bool,
    /// The program and its arguments.
    #[arg(last = true)]
    command: Vec<OsString>,
}

/// What confinement a worker got, as the probe reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Report {
    pub pid_namespace: bool,
    pub network_namespace: bool,
    pub no_new_privs: bool,
    pub capabilities_dropped: bool,
    /// The Landlock ABI in force (0: none).
    pub landlock_abi: i32,
    pub landlock_files: bool,
    pub landlock_network: bool,
    pub landlock_scopes: bool,
}

impl Report {
    /// What is missing, for people; empty when everything held.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if !self.landlock_files {
            missing.push("file access limits (Landlock)");
        }
        if !self.landlock_network && !self.network_namespace {
            missing.push("network isolation (Landlock network rules or a network namespace)");
        }
        if !self.pid_namespace {
            missing.push("a PID namespace (a handler that calls setsid can outlive preview)");
        }
        if !self.capabilities_dropped {
            missing.push("dropping capabilities");
        }
        if !self.no_new_privs {
            missing.push("no_new_privs");
        }
        missing
    }
}

/// Makes this process non-dumpable: no other process of the same user (a worker, whatever it
/// runs) can read its `/proc` environment, command line or memory.
pub fn harden_this_process() {
    #[cfg(target_os = "linux")]
    let _ = nix::sys::prctl::set_dumpable(false);
}

/// What confinement this kernel gives a worker (probed once, by running the sandbox).
pub fn probe() -> Report {
    static PROBED: OnceLock<Report> = OnceLock::new();
    PROBED
        .get_or_init(|| {
            let Ok(exe) = program() else { return Report::default() };
            let out = Command::new(exe)
                .arg(SUBCOMMAND)
                .arg("--parent")
                .arg(std::process::id().to_string())
                .arg("--probe")
                .env_clear()
                .stdin(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .output();
            out.ok().and_then(|o| serde_json::from_slice(&o.stdout).ok()).unwrap_or_default()
        })
        .clone()
}

/// One line saying which protections this kernel does not give preview's workers, if any.
pub fn missing_protections() -> Option<String> {
    let missing = probe().missing();
    (!missing.is_empty()).then(|| format!("preview's workers run without: {}", missing.join("; ")))
}

/// The sandbox's entry point: confine, then run the program (or report, with `--probe`).
pub fn main(args: &Args) -> ExitCode {
    #[cfg(target_os = "linux")]
    {
        linux::run(args)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = args;
        crate::errln!("preview's sandbox needs Linux");
        ExitCode::from(126)
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use super::*;
    use nix::sched::{unshare, CloneFlags};
    use nix::sys::signal::Signal;

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
        let full = CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWPID | CloneFlags::CLONE_NEWNET;
        let namespaces = unshare(full).or_else(|_| unshare(CloneFlags::CLONE_NEWPID | CloneFlags::CLONE_NEWNET));
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
        let abi = ABI::V8;
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

    fn confine_and_exec(args: &Args, pid_namespace: bool, network_namespace: bool) -> ExitCode {
        let mut report = Report {
            pid_namespace,
            network_namespace,
            no_new_privs: nix::sys::prctl::set_no_new_privs().is_ok(),
            ..Report::default()
        };
        // Capabilities first: dropping them reads /proc/sys/kernel/cap_last_cap, which Landlock
        // then hides.
        report.capabilities_dropped = drop_capabilities();
        landlock(args, &mut report);
        if args.probe {
            crate::output::out(&serde_json::to_string(&report).unwrap_or_default());
            return ExitCode::SUCCESS;
        }
        let Some((program, rest)) = args.command.split_first() else { return ExitCode::from(126) };
        use std::os::unix::process::CommandExt;
        // Replaces this process: its environment and working directory are the worker's.
        let error = Command::new(program).args(rest).exec();
        crate::errln!("cannot run {}: {error}", Path::new(program).display());
        ExitCode::from(127)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_missing_is_named_and_nothing_when_everything_held() {
        let all = Report {
            pid_namespace: true,
            network_namespace: true,
            no_new_privs: true,
            capabilities_dropped: true,
            landlock_abi: 7,
            landlock_files: true,
            landlock_network: true,
            landlock_scopes: true,
        };
        assert!(all.missing().is_empty());
        // Network isolation holds with either Landlock's rules or a network namespace.
        assert!(Report { landlock_network: false, ..all.clone() }.missing().is_empty());
        assert!(Report { network_namespace: false, ..all.clone() }.missing().is_empty());
        // A kernel without Landlock and user namespaces: each gap named.
        let bare = Report { no_new_privs: true, capabilities_dropped: true, ..Report::default() };
        let missing = bare.missing().join("; ");
        for gap in ["file access limits", "network isolation", "a PID namespace"] {
            assert!(missing.contains(gap), "{missing}");
        }
    }
}
