//! Confinement of preview's local workers (the function's Python or Node.js handler, the
//! built-in jq 1.6, a jq 1.6 binary named by PROVISION_JQ) and of the lookups that find their
//! programs: code from a pull request must not reach what provision can reach.
//!
//! A worker is started as `provision __sandbox ... -- PROGRAM ARGS`, which confines itself and
//! then executes the program (see `linux.rs` for each step). Every stage starts with an empty
//! environment in `/`: nothing of the stack (the function's `environment`, its working
//! directory, its code) applies before the final `exec`, when every fence below is up.
//! 1. **Namespaces** (an unprivileged user namespace, root or not): a new PID namespace whose
//!    first process is the worker, so that everything it starts (`setsid` included) dies with it,
//!    a new network namespace with no interface but a loopback that is down, and System V IPC of
//!    its own.
//! 2. **Parent death**: each stage is killed (SIGKILL) when the one that started it dies, so a
//!    killed provision leaves no worker behind.
//! 3. **Descriptors**: every descriptor but stdin, stdout and stderr is closed, whatever
//!    provision inherited without close-on-exec (`provision preview 7<secret`).
//! 4. **No privileges**: `no_new_privs`, and every capability dropped (bounding, ambient,
//!    inheritable, permitted, effective), root included.
//! 5. **Landlock**: files may be read and executed only beneath the system's program and library
//!    directories and the paths the caller names (the runtime's own files, the private copy of
//!    the function's code: never a path written in stack.toml); written only in a private
//!    temporary directory (and `/dev/null`); TCP connect and bind denied (ABI 4+); no signal or
//!    abstract socket outside the sandbox (ABI 6+); no connect to a pathname UNIX socket (ABI 9+).
//!    `/proc` is not readable: no parent's `environ` or `cmdline`, no credential file.
//! 6. **A system call allow list** (seccomp, [`syscalls`]): the calls the runtimes need, and
//!    nothing else (no socket, no datagram pair, no new namespace, no ptrace, no io_uring, no
//!    keyring...): a denied call answers `EPERM`; a change of a file's mode, owner or times is
//!    skipped (Landlock does not govern those).
//!
//! provision itself is non-dumpable ([`harden_this_process`]), so no process of the same user can
//! read its `/proc` environment or command line either. Where the kernel refuses a protection,
//! the worker runs without it and [`missing_protections`] names each one; with
//! [`require`] (`--require-sandbox`, `PROVISION_REQUIRE_SANDBOX=1`) no worker runs at all then.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub mod syscalls;

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

/// The hidden subcommand that confines itself, then runs the worker.
pub const SUBCOMMAND: &str = "__sandbox";

/// The environment variable that makes confinement a requirement (`1`), for CI.
pub const REQUIRE_VARIABLE: &str = "PROVISION_REQUIRE_SANDBOX";

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

/// A private directory (mode 0700) under the temporary directory, removed when dropped: a
/// worker's `TMPDIR`, or the copy of a function's code a worker runs.
#[derive(Debug)]
pub struct PrivateDir(PathBuf);

impl PrivateDir {
    /// A new, empty one; `what` goes into its name.
    pub fn create(what: &str) -> std::io::Result<PrivateDir> {
        use std::os::unix::fs::DirBuilderExt;
        let name = format!("provision-{what}-{}-{:016x}", std::process::id(), fastrand::u64(..));
        let path = std::env::temp_dir().join(name);
        std::fs::DirBuilder::new().mode(0o700).create(&path)?;
        // Canonical, so that Landlock's rules and the worker name the same path.
        let path = path.canonicalize()?;
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
static REQUIRED: AtomicBool = AtomicBool::new(false);

/// Names the provision binary that runs the sandbox, for a host that embeds the library (a test
/// driving preview's evaluator); by default, this program.
pub fn set_program(path: PathBuf) {
    let _ = PROGRAM.set(path);
}

fn program() -> std::io::Result<PathBuf> {
    PROGRAM.get().cloned().map_or_else(std::env::current_exe, Ok)
}

/// Makes every protection a requirement: from now on no worker starts unless all of them hold
/// (`--require-sandbox`, or [`REQUIRE_VARIABLE`]`=1`).
pub fn require() {
    REQUIRED.store(true, Ordering::SeqCst);
}

/// Whether [`require`] was called, or the environment asks for it.
pub fn required() -> bool {
    REQUIRED.load(Ordering::SeqCst) || std::env::var(REQUIRE_VARIABLE).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// `Err` naming every missing protection when confinement is required and something is missing;
/// checked before any worker starts.
pub fn check_required() -> Result<(), String> {
    if !required() {
        return Ok(());
    }
    let missing = if enabled() { probe().missing() } else { vec![UNCONFINED] };
    if missing.is_empty() {
        return Ok(());
    }
    Err(format!(
        "refusing to run code from the stack (--require-sandbox / {REQUIRE_VARIABLE}): this system does not give preview's workers: {}",
        missing.join("; ")
    ))
}

const UNCONFINED: &str = "any confinement (preview's sandbox needs Linux)";

/// The name of the launch file in a worker's private directory.
const LAUNCH_FILE: &str = ".provision-launch";

/// What the final stage applies at its `exec`, and nothing before: the worker's environment and
/// working directory. Carried in a file of the worker's private directory (mode 0700), read and
/// removed by the final stage; the stages themselves run with an empty environment in `/`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Launch {
    pub directory: Option<PathBuf>,
    pub environment: Vec<(OsString, OsString)>,
}

impl Launch {
    /// As bytes: the directory, then each `KEY=VALUE`, each ended by a NUL (none of them can
    /// hold one).
    fn encode(&self) -> Vec<u8> {
        use std::os::unix::ffi::OsStrExt;
        let mut out = Vec::new();
        out.extend_from_slice(self.directory.as_deref().map(|d| d.as_os_str().as_bytes()).unwrap_or_default());
        out.push(0);
        for (key, value) in &self.environment {
            out.extend_from_slice(key.as_bytes());
            out.push(b'=');
            out.extend_from_slice(value.as_bytes());
            out.push(0);
        }
        out
    }

    fn decode(bytes: &[u8]) -> Launch {
        use std::os::unix::ffi::OsStrExt;
        let mut fields = bytes.split(|b| *b == 0);
        let directory = fields.next().filter(|d| !d.is_empty()).map(|d| PathBuf::from(OsStr::from_bytes(d)));
        let environment = fields
            .filter(|f| !f.is_empty())
            .filter_map(|f| {
                let split = f.iter().position(|b| *b == b'=')?;
                Some((OsStr::from_bytes(&f[..split]).to_os_string(), OsStr::from_bytes(&f[split + 1..]).to_os_string()))
            })
            .collect();
        Launch { directory, environment }
    }

    /// Reads the launch file and removes it.
    pub fn take(path: &Path) -> std::io::Result<Launch> {
        let bytes = std::fs::read(path)?;
        std::fs::remove_file(path)?;
        Ok(Launch::decode(&bytes))
    }
}

/// `command` rewritten to run confined, reading only beneath `read` (besides the system's
/// directories), with a private temporary directory (`TMPDIR`). Its environment and working
/// directory are the worker's only: the sandbox's stages start with an empty environment in
/// `/`, and the final stage applies them at its `exec`, once every protection is in force. The
/// directory lives as long as the returned [`PrivateDir`].
pub fn confine(command: &Command, read: &[PathBuf]) -> std::io::Result<(Command, PrivateDir)> {
    use std::os::unix::fs::OpenOptionsExt;
    let private = PrivateDir::create("worker")?;
    let mut environment: Vec<(OsString, OsString)> = command
        .get_envs()
        .filter(|(key, _)| *key != "TMPDIR")
        .filter_map(|(key, value)| Some((key.to_os_string(), value?.to_os_string())))
        .collect();
    environment.push(("TMPDIR".into(), private.path().as_os_str().to_os_string()));
    let launch = Launch { directory: command.get_current_dir().map(Path::to_path_buf), environment };
    let launch_file = private.path().join(LAUNCH_FILE);
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&launch_file)?;
    std::io::Write::write_all(&mut file, &launch.encode())?;
    let mut confined = Command::new(program()?);
    confined.arg(SUBCOMMAND).arg("--parent").arg(std::process::id().to_string());
    confined.arg("--private").arg(private.path());
    confined.arg("--launch").arg(&launch_file);
    for path in read {
        confined.arg("--read").arg(path);
    }
    confined.arg("--").arg(command.get_program()).args(command.get_args());
    confined.env_clear().current_dir("/");
    Ok((confined, private))
}

/// Runs `command` to its end, confined as a worker is (reading beneath `read`) when the sandbox
/// is enabled, in a private working directory, with at most `timeout`: its stdout, or why it
/// did not run. For short trusted lookups (which interpreter, which jq) that must not run in the
/// caller's directory or environment.
pub fn output(command: Command, read: &[PathBuf], timeout: Duration) -> Result<Vec<u8>, String> {
    check_required()?;
    let mut command = command;
    let private = PrivateDir::create("lookup").map_err(|e| e.to_string())?;
    command.current_dir(private.path());
    let (mut command, _confined) = if enabled() {
        let (c, p) = confine(&command, read).map_err(|e| e.to_string())?;
        (c, Some(p))
    } else {
        (command, None)
    };
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child =
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().map_err(|e| e.to_string())?;
    crate::interrupt::register_group(child.id());
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    // Read on a thread of its own: the deadline holds even if the program never closes stdout.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::Read;
        let mut out = Vec::new();
        let _ = (&mut stdout).take(64 * 1024).read_to_end(&mut out);
        let _ = tx.send(out);
    });
    let received = rx.recv_timeout(timeout);
    crate::interrupt::kill_group(child.id());
    let status = child.wait();
    crate::interrupt::unregister_group(child.id());
    match (received, status) {
        (Ok(out), Ok(status)) if status.success() => Ok(out),
        (Ok(_), Ok(status)) => Err(format!("it ended with {status}")),
        (Err(_), _) => Err(format!("no answer within {}", crate::output::duration(timeout))),
        (_, Err(e)) => Err(e.to_string()),
    }
}

/// What a program found on the caller's PATH may read, and the PATH it is looked up on: every
/// absolute entry of the caller's PATH (relative entries, and entries inside `project`, the
/// directory a pull request writes, are left out), readable with its parent directory (a
/// version manager's shim runs its manager from there), never a directory that holds `project`,
/// the caller's home directory or the root.
pub fn lookup_path(caller: &OsStr, project: &Path) -> (OsString, Vec<PathBuf>) {
    let mut dirs = Vec::new();
    let mut read = Vec::new();
    for dir in std::env::split_paths(caller) {
        if !dir.is_absolute() {
            continue;
        }
        let real = dir.canonicalize().unwrap_or_else(|_| dir.clone());
        if real.starts_with(project) {
            continue;
        }
        dirs.push(dir.clone());
        for candidate in [Some(real.as_path()), real.parent()].into_iter().flatten() {
            if safe_to_read(candidate, project) && !read.iter().any(|r: &PathBuf| r == candidate) {
                read.push(candidate.to_path_buf());
            }
        }
    }
    (std::env::join_paths(dirs).unwrap_or_default(), read)
}

/// Whether a runtime's path may be made readable to a worker: not the root, and not a directory
/// holding the project (what the pull request wrote, outside the packaged copy) or the caller's
/// home (credentials, SSH keys).
pub fn safe_to_read(path: &Path, project: &Path) -> bool {
    let home = std::env::var_os("HOME").map(PathBuf::from).and_then(|h| h.canonicalize().ok());
    path.is_absolute()
        && path.parent().is_some()
        && !project.starts_with(path)
        && !home.is_some_and(|h| h.starts_with(path))
}

/// The environment of a lookup: the filtered PATH, `HOME`, and the variables of the usual
/// version managers (pyenv, asdf, mise, nvm, nodenv, fnm, volta), so that their shims find the
/// runtime the caller chose. Nothing else of the caller's environment (no credentials).
pub fn lookup_environment(path: &OsStr) -> Vec<(OsString, OsString)> {
    const MANAGERS: [&str; 9] = ["PYENV_", "ASDF_", "MISE_", "RTX_", "NVM_", "NODENV_", "FNM_", "VOLTA_", "UV_PYTHON"];
    let mut env = vec![(OsString::from("PATH"), path.to_os_string())];
    for (key, value) in std::env::vars_os() {
        let name = key.to_string_lossy();
        if name == "HOME" || MANAGERS.iter().any(|m| name.starts_with(m)) {
            env.push((key, value));
        }
    }
    env
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
    /// The worker's environment and working directory, applied at the final exec only (a file
    /// in the private directory, removed once read).
    #[arg(long)]
    launch: Option<PathBuf>,
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

/// What confinement a worker got, as the probe reports it (each observed from inside).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Report {
    pub pid_namespace: bool,
    pub network_namespace: bool,
    pub no_new_privs: bool,
    pub capabilities_dropped: bool,
    /// The Landlock ABI in force (0: none).
    pub landlock_abi: i32,
    pub landlock_files: bool,
    /// TCP connect and bind denied by Landlock.
    pub landlock_network: bool,
    /// Signals and abstract UNIX sockets outside the sandbox denied by Landlock.
    pub landlock_scopes: bool,
    /// The seccomp allow list in force (tried: a UNIX and a UDP socket and a UNIX datagram pair
    /// refused, a UNIX stream pair allowed).
    #[serde(default)]
    pub syscall_filter: bool,
    /// Nothing open but stdin, stdout and stderr (listed after closing the rest).
    #[serde(default)]
    pub descriptors_closed: bool,
}

impl Report {
    /// What is missing, for people, each naming what a handler can then reach; empty when
    /// everything held.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if !self.landlock_files {
            missing.push("file access limits (Landlock): the handler can read every file provision can read");
        }
        if !self.syscall_filter {
            missing.push(
                "the system call filter (seccomp): every system call is open, pathname UNIX sockets (a Docker socket, an ssh-agent, D-Bus), raw and netlink sockets and changing the mode, owner or times of any file provision's user owns among them",
            );
        }
        if !self.syscall_filter && !self.network_namespace {
            missing.push("UDP isolation (the system call filter or a network namespace): UDP reaches the network");
        }
        if !self.syscall_filter && !self.landlock_network && !self.network_namespace {
            missing.push("TCP isolation (the system call filter, Landlock network rules or a network namespace): TCP reaches the network");
        }
        if !self.pid_namespace {
            missing.push("a PID namespace: a process the handler starts with setsid can outlive preview");
        }
        if !self.pid_namespace && !self.landlock_scopes {
            missing.push(
                "signal scoping (a PID namespace or Landlock ABI 6): the handler can signal the user's processes",
            );
        }
        if !self.capabilities_dropped {
            missing.push("dropping capabilities");
        }
        if !self.no_new_privs {
            missing.push("no_new_privs");
        }
        if !self.descriptors_closed {
            missing.push("closing inherited descriptors: the handler can use what provision inherited");
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
                .current_dir("/")
                .arg(SUBCOMMAND)
                .arg("--parent")
                .arg(std::process::id().to_string())
                .arg("--probe")
                .env_clear()
                .stdin(Stdio::null())
                .stderr(Stdio::null())
                .output();
            out.ok().and_then(|o| serde_json::from_slice(&o.stdout).ok()).unwrap_or_default()
        })
        .clone()
}

/// One line saying which protections this kernel does not give preview's workers, if any.
pub fn missing_protections() -> Option<String> {
    let missing = if enabled() { probe().missing() } else { vec![UNCONFINED] };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn everything() -> Report {
        Report {
            pid_namespace: true,
            network_namespace: true,
            no_new_privs: true,
            capabilities_dropped: true,
            landlock_abi: 7,
            landlock_files: true,
            landlock_network: true,
            landlock_scopes: true,
            syscall_filter: true,
            descriptors_closed: true,
        }
    }

    #[test]
    fn what_is_missing_is_named_and_nothing_when_everything_held() {
        let all = everything();
        assert!(all.missing().is_empty());
        // The network is closed by the system call filter, Landlock's rules or a network namespace.
        assert!(Report { landlock_network: false, ..all.clone() }.missing().is_empty());
        assert!(Report { network_namespace: false, ..all.clone() }.missing().is_empty());
        // Without the system call filter, pathname UNIX sockets are open whatever else holds; UDP
        // too when there is no network namespace.
        let no_filter = Report { syscall_filter: false, ..all.clone() }.missing().join("; ");
        assert!(no_filter.contains("pathname UNIX sockets") && !no_filter.contains("UDP"), "{no_filter}");
        let no_filter_no_netns =
            Report { syscall_filter: false, network_namespace: false, ..all.clone() }.missing().join("; ");
        assert!(no_filter_no_netns.contains("UDP isolation"), "{no_filter_no_netns}");
        assert!(!no_filter_no_netns.contains("TCP isolation"), "Landlock's rules still stop TCP");
        // A kernel without Landlock, user namespaces or seccomp: each gap named.
        let bare = Report { no_new_privs: true, capabilities_dropped: true, ..Report::default() };
        let gaps: Vec<&str> = bare.missing().iter().map(|m| m.split([':', '(']).next().unwrap_or(m).trim()).collect();
        let named = "file access limits, the system call filter, UDP isolation, TCP isolation, a PID namespace, signal scoping, closing inherited descriptors";
        assert_eq!(gaps.join(", "), named);
    }

    #[test]
    fn a_lookup_path_leaves_out_relative_entries_the_project_and_never_reads_home_or_root() {
        let project = tempfile::tempdir().unwrap();
        let project = project.path().canonicalize().unwrap();
        let shims = project.join("bin");
        std::fs::create_dir(&shims).unwrap();
        assert!(!safe_to_read(Path::new("/"), &project));
        assert!(!safe_to_read(&project, &project));
        assert!(!safe_to_read(project.parent().unwrap(), &project), "a directory holding the project");
        assert!(safe_to_read(Path::new("/usr/local"), &project));
        if let Some(home) = std::env::var_os("HOME").and_then(|h| PathBuf::from(h).canonicalize().ok()) {
            assert!(!safe_to_read(&home, &project));
        }
        let caller =
            std::env::join_paths([PathBuf::from("bin"), shims.clone(), PathBuf::from("/usr/local/bin")]).unwrap();
        let (path, read) = lookup_path(&caller, &project);
        assert_eq!(std::env::split_paths(&path).collect::<Vec<_>>(), [PathBuf::from("/usr/local/bin")]);
        assert!(read.iter().all(|r| !r.starts_with(&project) && r != Path::new("/")), "{read:?}");
        assert!(
            read.contains(&PathBuf::from("/usr/local/bin").canonicalize().unwrap_or_default())
                || !Path::new("/usr/local/bin").exists()
        );
    }
}
