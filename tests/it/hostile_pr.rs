//! What a hostile pull request can make `provision validate` and `provision preview` do, in CI,
//! where stack.toml, module files and the handler's code are the attacker's and the runner holds
//! secrets: a handler probing every way out (Python and Node.js, as root and as an unprivileged
//! user), the interpreter's lookup, `--require-sandbox` on a system lacking a protection, and
//! module sources outside the project.

use crate::common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A project like a pull request's checkout: the default stack.toml and its function's code,
/// no AWS needed (preview and validate are offline).
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new() -> Project {
        let dir = tempfile::tempdir().unwrap();
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        std::fs::copy(repo.join("stack.toml"), dir.path().join("stack.toml")).unwrap();
        let source = dir.path().join("examples/lambda/metadata_extractor");
        std::fs::create_dir_all(&source).unwrap();
        std::fs::copy(repo.join("examples/lambda/metadata_extractor/index.py"), source.join("index.py")).unwrap();
        Project { dir }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    fn write(&self, relative: &str, text: &str) {
        let path = self.path(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn edit(&self, from: &str, to: &str) {
        let text = std::fs::read_to_string(self.path("stack.toml")).unwrap();
        assert!(text.contains(from), "stack.toml has no {from:?}");
        std::fs::write(self.path("stack.toml"), text.replacen(from, to, 1)).unwrap();
    }

    fn source(&self) -> PathBuf {
        self.path("examples/lambda/metadata_extractor")
    }

    /// `provision -f stack.toml ARGS`, no AWS endpoint (nothing may call one).
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_provision"));
        command
            .arg("-f")
            .arg(self.path("stack.toml"))
            .args(args)
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        command
    }
}

/// The handler's language, and what its probes answer when something is refused.
#[derive(Clone, Copy, PartialEq)]
enum Language {
    Python,
    Node,
}

/// Every way out a handler tries, with what it reads (given by the function's environment):
/// provision's own `/proc` files, a credentials file outside the project, a secret in its own
/// source directory that packaging leaves out, the home directory, `/etc/passwd`, a local TCP
/// port, a UDP port, a pathname UNIX socket (an ssh-agent's, a Docker socket), a pathname
/// datagram socket through a UNIX datagram pair (journald's, syslog's), the mode of a file
/// outside (which Landlock does not govern) and descriptor 7, which provision inherited without
/// close-on-exec. It also lists its working directory, and says what the library the function's
/// `LD_PRELOAD` names could do when it was loaded (`PRELOAD_RAN`, set by its constructor).
const PYTHON_PROBE: &str = r#"
import os, socket
def lambda_handler(event, context):
    def failed(e):
        return type(e).__name__ + ("-%d" % e.errno if getattr(e, "errno", None) else "")
    def attempt(f):
        try:
            f()
            return "reached"
        except Exception as e:
            return failed(e)
    env = os.environ
    def tcp():
        socket.create_connection(("127.0.0.1", int(env["TCP_PORT"])), timeout=5).close()
    def udp():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"leak", ("127.0.0.1", int(env["UDP_PORT"])))
    def unix():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(env["UNIX_SOCKET"])
        s.sendall(b"leak")
    def dgram():
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        a.sendto(b"leak", env["DGRAM_SOCKET"])
    def status():
        # What the kernel says of this very process (prctl: /proc is closed to it): no new
        # privileges, a seccomp filter, how many capabilities its bounding set keeps, its pid.
        try:
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            class Header(ctypes.Structure):
                _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]
            class Data(ctypes.Structure):
                _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]
            header, data = Header(0x20080522, 0), (Data * 2)()
            if libc.capget(ctypes.byref(header), data) != 0:
                return "capget-%d" % ctypes.get_errno()
            held = lambda f: getattr(data[0], f) | getattr(data[1], f) << 32
            return "nnp=%d seccomp=%d effective=%x permitted=%x pid=%d" % (
                libc.prctl(39, 0, 0, 0, 0), libc.prctl(21, 0, 0, 0, 0), held("effective"), held("permitted"), os.getpid())
        except Exception as e:
            return failed(e)
    keys = {
        "environ": attempt(lambda: open("/proc/%s/environ" % env["PROVISION_PID"], "rb").read(1)),
        "cmdline": attempt(lambda: open("/proc/%s/cmdline" % env["PROVISION_PID"], "rb").read(1)),
        "outside": attempt(lambda: open(env["OUTSIDE"], "rb").read(1)),
        "excluded": attempt(lambda: open(env["EXCLUDED"], "rb").read(1)),
        "home": attempt(lambda: os.listdir(env["USER_HOME"])),
        "passwd": attempt(lambda: open("/etc/passwd", "rb").read(1)),
        "tcp": attempt(tcp),
        "udp": attempt(udp),
        "unix": attempt(unix),
        "dgram": attempt(dgram),
        "chmod": attempt(lambda: os.chmod(env["OUTSIDE"], 0o777)),
        "preload": env.get("PRELOAD_RAN", "did not run"),
        "fd": attempt(lambda: os.read(7, 1)),
        "files": ",".join(sorted(os.listdir("."))),
        "status": status(),
        "region": "r", "device": "d", "year": "y", "month": "m", "day": "d", "hour": "h",
    }
    return {"records": [{"recordId": r["recordId"], "result": "Ok", "data": r["data"], "metadata": {"partitionKeys": keys}} for r in event["records"]]}
"#;

const NODE_PROBE: &str = r#"
import fs from "node:fs";
import net from "node:net";
import dgram from "node:dgram";
const env = process.env;
const failed = (e) => (e && e.code) || (e && e.name) || String(e);
const attempt = (f) => { try { f(); return "reached"; } catch (e) { return failed(e); } };
const socket = (open) => new Promise((resolve) => {
  try { open(resolve); } catch (e) { resolve(failed(e)); }
});
export const lambda_handler = async (event) => {
  const tcp = await socket((done) => {
    const s = net.connect(Number(env.TCP_PORT), "127.0.0.1");
    s.on("connect", () => { s.destroy(); done("reached"); });
    s.on("error", (e) => done(failed(e)));
  });
  const udp = await socket((done) => {
    const s = dgram.createSocket("udp4");
    s.on("error", (e) => done(failed(e)));
    s.send("leak", Number(env.UDP_PORT), "127.0.0.1", (e) => { s.close(); done(e ? failed(e) : "reached"); });
  });
  const unix = await socket((done) => {
    const s = net.connect(env.UNIX_SOCKET);
    s.on("connect", () => { s.end("leak"); done("reached"); });
    s.on("error", (e) => done(failed(e)));
  });
  const keys = {
    environ: attempt(() => fs.readFileSync(`/proc/${env.PROVISION_PID}/environ`)),
    cmdline: attempt(() => fs.readFileSync(`/proc/${env.PROVISION_PID}/cmdline`)),
    outside: attempt(() => fs.readFileSync(env.OUTSIDE)),
    excluded: attempt(() => fs.readFileSync(env.EXCLUDED)),
    home: attempt(() => fs.readdirSync(env.USER_HOME)),
    passwd: attempt(() => fs.readFileSync("/etc/passwd")),
    tcp, udp, unix,
    chmod: attempt(() => fs.chmodSync(env.OUTSIDE, 0o777)),
    preload: env.PRELOAD_RAN || "did not run",
    fd: attempt(() => fs.readSync(7, Buffer.alloc(1))),
    files: fs.readdirSync(".").sort().join(","),
    region: "r", device: "d", year: "y", month: "m", day: "d", hour: "h",
  };
  return { records: event.records.map((r) => ({ recordId: r.recordId, result: "Ok", data: r.data, metadata: { partitionKeys: keys } })) };
};
"#;

/// The listeners a handler must not reach, on the host: TCP, UDP, a pathname UNIX socket and a
/// pathname UNIX datagram socket.
struct Listeners {
    tcp: std::net::TcpListener,
    udp: std::net::UdpSocket,
    unix: std::os::unix::net::UnixListener,
    unix_path: PathBuf,
    dgram: std::os::unix::net::UnixDatagram,
    dgram_path: PathBuf,
}

impl Listeners {
    fn open(dir: &Path) -> Listeners {
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        tcp.set_nonblocking(true).unwrap();
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        udp.set_nonblocking(true).unwrap();
        let unix_path = dir.join("agent.sock");
        let unix = std::os::unix::net::UnixListener::bind(&unix_path).unwrap();
        unix.set_nonblocking(true).unwrap();
        let dgram_path = dir.join("journal.sock");
        let dgram = std::os::unix::net::UnixDatagram::bind(&dgram_path).unwrap();
        dgram.set_nonblocking(true).unwrap();
        // Writable by everyone: only the sandbox may stop an unprivileged handler connecting.
        for path in [&unix_path, &dgram_path] {
            std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
        }
        Listeners { tcp, udp, unix, unix_path, dgram, dgram_path }
    }

    /// Nothing reached any of them.
    fn assert_untouched(&self) {
        let would_block = |e: &std::io::Error| e.kind() == std::io::ErrorKind::WouldBlock;
        assert!(self.tcp.accept().as_ref().is_err_and(would_block), "a TCP connection reached the host");
        assert!(self.udp.recv(&mut [0u8; 16]).as_ref().is_err_and(would_block), "a UDP datagram reached the host");
        assert!(self.unix.accept().as_ref().is_err_and(would_block), "a UNIX socket connection reached the host");
        assert!(
            self.dgram.recv(&mut [0u8; 16]).as_ref().is_err_and(would_block),
            "a UNIX datagram reached the host's datagram socket"
        );
    }
}

/// A library whose constructor runs wherever it is loaded (`LD_PRELOAD`): it appends to the file
/// `PRELOAD_MARKER` names and connects to `TCP_PORT`, then says how each went in `PRELOAD_RAN`
/// (`file=ERRNO net=ERRNO`, 0 when it succeeded). Built with the C compiler Rust links with.
const PRELOAD_LIBRARY: &str = r#"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
__attribute__((constructor)) static void preload(void) {
    const char *marker = getenv("PRELOAD_MARKER"), *port = getenv("TCP_PORT");
    int file = -1, net = -1;
    if (marker) {
        int fd = open(marker, O_WRONLY | O_CREAT | O_APPEND, 0644);
        file = fd >= 0 ? 0 : errno;
        if (fd >= 0) { (void)!write(fd, "ran unconfined\n", 15); close(fd); }
    }
    if (port) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (s < 0) net = errno;
        else {
            struct sockaddr_in a = {0};
            a.sin_family = AF_INET;
            a.sin_port = htons(atoi(port));
            a.sin_addr.s_addr = htonl(0x7f000001);
            net = connect(s, (struct sockaddr *)&a, sizeof a) == 0 ? 0 : errno;
            close(s);
        }
    }
    char out[64];
    snprintf(out, sizeof out, "file=%d net=%d", file, net);
    setenv("PRELOAD_RAN", out, 1);
}
"#;

/// Builds [`PRELOAD_LIBRARY`] into `path`.
fn build_preload_library(path: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("preload.c");
    std::fs::write(&source, PRELOAD_LIBRARY).unwrap();
    let out = Command::new("cc").args(["-shared", "-fPIC", "-o"]).arg(path).arg(&source).output().unwrap();
    assert!(out.status.success(), "cc: {}", String::from_utf8_lossy(&out.stderr));
}

/// Who runs provision in a probe.
#[derive(Clone, Copy, PartialEq)]
enum RunAs {
    /// The user the tests run as.
    Caller,
    /// uid 65534, through setpriv (the tests run as root).
    Nobody,
    /// root, through `sudo -n` (the tests run as a user: a CI runner's).
    RootBySudo,
}

impl RunAs {
    /// An unprivileged user: the caller when the tests run as one, else nobody.
    fn a_user() -> RunAs {
        if running_as_root() {
            RunAs::Nobody
        } else {
            RunAs::Caller
        }
    }

    /// root: the caller when the tests run as root, else through sudo (which must work without
    /// a password, as on a CI runner, or the opt-out be set).
    fn root() -> Option<RunAs> {
        if running_as_root() {
            return Some(RunAs::Caller);
        }
        let sudo = Command::new("sudo").args(["-n", "true"]).output().is_ok_and(|o| o.status.success());
        if sudo {
            return Some(RunAs::RootBySudo);
        }
        assert!(
            std::env::var_os("PROVISION_TEST_NO_SUDO").is_some(),
            "the probes run as root too: through passwordless sudo when the tests run as a user, or set PROVISION_TEST_NO_SUDO=1"
        );
        None
    }
}

/// Runs preview of a handler probing every way out, and checks each is refused, as `run_as`
/// says. The command runs through a shell that opens descriptor 7 on a secret and gives
/// provision its own pid, then execs provision.
fn hostile_handler(language: Language, run_as: RunAs) {
    let as_nobody = run_as == RunAs::Nobody;
    if language == Language::Node && !required_tool("node", "PROVISION_TEST_NO_NODE") {
        return;
    }
    let project = Project::new();
    let secret = project.path("secret-fd.txt");
    std::fs::write(&secret, "inherited-secret\n").unwrap();
    let outside = tempfile::tempdir().unwrap();
    let credentials = outside.path().join("credentials");
    std::fs::write(&credentials, "[default]\naws_secret_access_key = s3cr3t\n").unwrap();
    // Left out by packaging, though inside the function's source directory.
    let excluded = project.source().join(".env");
    std::fs::write(&excluded, "AWS_SECRET_ACCESS_KEY=s3cr3t\n").unwrap();
    let listeners = Listeners::open(project.dir.path());
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    // A library shipped with the handler and named by the function's LD_PRELOAD, relative to its
    // working directory: it may run inside the fence only, as it would inside Lambda.
    build_preload_library(&project.source().join("preload.so"));
    let drop_box = outside.path().join("drop");
    std::fs::create_dir(&drop_box).unwrap();
    std::fs::set_permissions(&drop_box, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let marker = drop_box.join("preload-ran");
    let environment = format!(
        "environment = {{ PROVISION_PID = \"${{var.pid}}\", OUTSIDE = {:?}, EXCLUDED = {:?}, USER_HOME = {home:?}, TCP_PORT = \"{}\", UDP_PORT = \"{}\", UNIX_SOCKET = {:?}, DGRAM_SOCKET = {:?}, LD_PRELOAD = \"./preload.so\", PRELOAD_MARKER = {:?} }}",
        credentials.to_str().unwrap(),
        excluded.to_str().unwrap(),
        listeners.tcp.local_addr().unwrap().port(),
        listeners.udp.local_addr().unwrap().port(),
        listeners.unix_path.to_str().unwrap(),
        listeners.dgram_path.to_str().unwrap(),
        marker.to_str().unwrap(),
    );
    let mode_before = std::fs::metadata(&credentials).unwrap().permissions();
    project.edit("timeout_seconds = 60", &format!("timeout_seconds = 60\n{environment}"));
    project.edit("[variables]", "[variables]\npid = \"0\"");
    match language {
        Language::Python => project.write("examples/lambda/metadata_extractor/index.py", PYTHON_PROBE),
        Language::Node => {
            std::fs::remove_file(project.source().join("index.py")).unwrap();
            project.write("examples/lambda/metadata_extractor/index.mjs", NODE_PROBE);
            project.edit("runtime = \"python3.12\"", "runtime = \"nodejs20.x\"");
        }
    }
    project.write("one.jsonl", "{\"a\": 1}\n");
    let records = project.path("one.jsonl");
    let preview = project.command(&["preview", "--records", records.to_str().unwrap(), "--json"]);
    let binary = if as_nobody {
        // Everything it needs under the project's directory (the repository's path may not be
        // open to others), readable by all.
        let binary = project.path("provision");
        std::fs::copy(env!("CARGO_BIN_EXE_provision"), &binary).unwrap();
        for dir in [project.dir.path(), outside.path()] {
            let open = Command::new("chmod").arg("-R").arg("a+rX").arg(dir).status().unwrap();
            assert!(open.success());
        }
        binary
    } else {
        PathBuf::from(env!("CARGO_BIN_EXE_provision"))
    };
    let mut command = match run_as {
        RunAs::Nobody => {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "sh"]);
            c
        }
        RunAs::RootBySudo => {
            // The caller's PATH and HOME, so that root finds the same interpreters.
            let mut c = Command::new("sudo");
            c.args(["-n", "env"])
                .arg(format!("PATH={}", std::env::var("PATH").unwrap_or_default()))
                .arg(format!("HOME={}", std::env::var("HOME").unwrap_or_default()))
                .args(["SECRET_FILE=".to_string() + secret.to_str().unwrap(), "NO_COLOR=1".into(), "sh".into()]);
            c
        }
        RunAs::Caller => Command::new("sh"),
    };
    // The shell opens descriptor 7 (not close-on-exec) and execs provision, which keeps the
    // shell's pid: the handler is told it through a stack variable.
    command
        .args(["-c", "exec 7<\"$SECRET_FILE\"; PROVISION_VAR_pid=$$ exec \"$@\"", "sh"])
        .arg(&binary)
        .args(preview.get_args())
        .env("SECRET_FILE", &secret)
        .env("AWS_SECRET_ACCESS_KEY", "s3cr3t-key")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    let out = command.output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let keys = &report["records"][0]["partition_keys"];
    // Landlock answers EACCES, the system call filter EPERM.
    let (no_access, denied, bad_descriptor) = match language {
        Language::Python => ("PermissionError-13", "PermissionError-1", "OSError-9"),
        Language::Node => ("EACCES", "EPERM", "EBADF"),
    };
    for probe in ["environ", "cmdline", "outside", "excluded", "home", "passwd"] {
        assert_eq!(keys[probe], no_access, "{probe}: {keys}\n{stderr}");
    }
    let sockets: &[&str] =
        if language == Language::Python { &["tcp", "udp", "unix", "dgram"] } else { &["tcp", "udp", "unix"] };
    for probe in sockets {
        assert_eq!(keys[*probe], denied, "{probe}: {keys}\n{stderr}");
    }
    // A change of mode is skipped (Landlock does not govern it): it answers success, and the file
    // outside keeps its mode.
    assert_eq!(keys["chmod"], "reached", "{keys}");
    assert_eq!(
        std::fs::metadata(&credentials).unwrap().permissions(),
        mode_before,
        "the mode of a file outside changed"
    );
    assert_eq!(keys["fd"], bad_descriptor, "descriptor 7 reached the handler: {keys}");
    // The library ran, inside the fence only: it could write nothing outside and reach no port.
    assert_eq!(keys["preload"], "file=13 net=1", "{keys}");
    assert!(
        !marker.exists(),
        "the function's LD_PRELOAD ran outside the fence: {}",
        std::fs::read_to_string(&marker).unwrap_or_default()
    );
    // The working directory holds the packaged files only, not the source directory.
    let code = if language == Language::Python { "index.py,preload.so" } else { "index.mjs,preload.so" };
    assert_eq!(keys["files"], code, "{keys}");
    listeners.assert_untouched();
    // This kernel (6.18, Landlock ABI 7, user namespaces, seccomp) gives every protection:
    // observed from inside (the Python probe reads its own /proc/self/status), not taken from
    // provision's word.
    if language == Language::Python {
        let status = keys["status"].as_str().unwrap_or_default();
        assert!(status.starts_with("nnp=1 seccomp=2 effective=0 permitted=0 "), "the worker's own status: {status}");
        // The first processes of a PID namespace of its own: the host's pids are far higher.
        let pid: u32 = status.rsplit("pid=").next().and_then(|n| n.parse().ok()).unwrap_or(u32::MAX);
        assert!(pid <= 3, "the worker's own status: {status}");
    }
    assert!(!stderr.contains("run without"), "{stderr}");
}

#[test]
fn a_python_handler_reaches_nothing_but_its_packaged_code() {
    hostile_handler(Language::Python, RunAs::Caller);
}

#[test]
fn a_node_handler_reaches_nothing_but_its_packaged_code() {
    hostile_handler(Language::Node, RunAs::Caller);
}

/// The same, run by an unprivileged user (uid 65534) when the tests run as root (as CI does);
/// run as a user, the tests are that case already.
#[test]
fn a_python_handler_reaches_nothing_when_a_user_runs_provision() {
    hostile_handler(Language::Python, RunAs::a_user());
}

#[test]
fn a_node_handler_reaches_nothing_when_a_user_runs_provision() {
    hostile_handler(Language::Node, RunAs::a_user());
}

/// The same, run by root: as the tests do when they run as root, else through sudo (a CI
/// runner's user has passwordless sudo): the fences hold for root too.
#[test]
fn a_python_handler_reaches_nothing_when_root_runs_provision() {
    if let Some(root) = RunAs::root() {
        hostile_handler(Language::Python, root);
    }
}

#[test]
fn a_node_handler_reaches_nothing_when_root_runs_provision() {
    if let Some(root) = RunAs::root() {
        hostile_handler(Language::Node, root);
    }
}

fn running_as_root() -> bool {
    // /proc/self belongs to the process's effective user.
    std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/proc/self").unwrap()) == 0
}

/// Shims the pull request puts where a careless PATH would find them (a relative entry, an
/// absolute entry inside the checkout) and version files a version manager would read in the
/// checkout: none of them runs, and the handler still runs with the real interpreter.
#[test]
fn the_interpreter_is_never_found_through_the_checkout() {
    let project = Project::new();
    let marker = project.path("shim-ran");
    for program in ["python3", "node", "jq"] {
        let shim = format!("#!/bin/sh\necho {program} >> {}\nexit 1\n", marker.display());
        project.write(&format!("bin/{program}"), &shim);
        std::fs::set_permissions(
            project.path(&format!("bin/{program}")),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
    }
    project.write(".python-version", "0.0.1-pull-request\n");
    project.write(".tool-versions", "python 0.0.1-pull-request\nnodejs 0.0.1-pull-request\n");
    project.write(".nvmrc", "0.0.1\n");
    let path = std::env::join_paths(
        [PathBuf::from("bin"), project.path("bin")]
            .into_iter()
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let sample =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/records/sample.jsonl")).unwrap();
    project.write("one.jsonl", sample.lines().next().unwrap());
    // Each program looked up for real: python3 (the default stack's handler), jq (the query
    // example's), node (the handler made a Node.js one).
    let query = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/query-partitioning.toml"))
        .unwrap();
    project.write("query.toml", &query);
    let preview = |stack: &str| {
        let mut command = project.command(&["preview", "--records", "one.jsonl", "--json"]);
        let out = command
            .arg("-f")
            .arg(project.path(stack))
            .current_dir(project.dir.path())
            .env("PATH", &path)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{stack}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        assert!(
            !marker.exists(),
            "a shim of the checkout ran: {}",
            std::fs::read_to_string(&marker).unwrap_or_default()
        );
        let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(report["records"][0]["result"], "Ok", "{stack}: {stdout}");
        report
    };
    preview("stack.toml");
    let report = preview("query.toml");
    // The built-in jq 1.6: no `jq` of the checkout's, or of PATH, is ever run.
    assert_eq!(report["jq_engine"], "jq 1.6 (built in)", "{report}");
    if required_tool("node", "PROVISION_TEST_NO_NODE") {
        std::fs::remove_file(project.source().join("index.py")).unwrap();
        project.write(
            "examples/lambda/metadata_extractor/index.mjs",
            "export const lambda_handler = async (event) => ({ records: event.records.map((r) => ({ recordId: r.recordId, result: \"Ok\", data: r.data, metadata: { partitionKeys: { region: \"r\", device: \"d\", year: \"y\", month: \"m\", day: \"d\", hour: \"h\" } } })) });\n",
        );
        project.edit("runtime = \"python3.12\"", "runtime = \"nodejs20.x\"");
        preview("stack.toml");
    }
}

/// The helper that makes this system lack a protection (tests/common/deny_main.rs), built
/// beside the tests as an example.
fn deny_sandbox() -> PathBuf {
    let deps = std::env::current_exe().unwrap();
    let helper = deps.parent().and_then(Path::parent).unwrap().join("examples/deny-sandbox");
    assert!(helper.exists(), "{} is built with the tests (cargo build --examples)", helper.display());
    helper
}

/// On a system without Landlock (its calls answer ENOSYS), namespaces or seccomp filters:
/// `--require-sandbox` (and PROVISION_REQUIRE_SANDBOX=1) refuses to run the handler or jq, naming
/// each missing protection; without it, preview warns naming each one (UDP included) and runs.
#[test]
fn require_sandbox_refuses_where_a_protection_is_missing() {
    let project = Project::new();
    let ran = project.path("handler-ran");
    project.write(
        "examples/lambda/metadata_extractor/index.py",
        &format!("open({:?}, 'w').write('ran')\n{}", ran.to_str().unwrap(), PYTHON_PROBE),
    );
    project.write("one.jsonl", "{\"a\": 1}\n");
    let records = project.path("one.jsonl");
    let preview = ["preview", "--records", records.to_str().unwrap()];
    let denied = |flags: &[&str], args: &[&str], env: &[(&str, &str)]| {
        let inner = project.command(args);
        let mut command = Command::new(deny_sandbox());
        command.args(flags).arg("--").arg(inner.get_program()).args(inner.get_args());
        for (k, v) in inner.get_envs() {
            if let Some(v) = v {
                command.env(k, v);
            }
        }
        command.envs(env.iter().copied()).stdin(Stdio::null()).output().unwrap()
    };
    // Landlock missing: refused, by the flag and by the variable, before anything runs.
    for (args, env) in [
        ([&["--require-sandbox"][..], &preview[..]].concat(), vec![]),
        (preview.to_vec(), vec![("PROVISION_REQUIRE_SANDBOX", "1")]),
    ] {
        let out = denied(&["--landlock"], &args, &env);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("refusing to run code from the stack"), "{stderr}");
        assert!(stderr.contains("file access limits (Landlock)"), "{stderr}");
        assert!(!stderr.contains("system call filter"), "only what is missing is named: {stderr}");
        assert!(!ran.exists(), "the handler ran although confinement was required");
    }
    // Everything missing: each named; without the flag preview runs, and says what it lacks.
    // The probes then reach what the sandbox stops otherwise (what makes them worth trusting).
    let listeners = Listeners::open(project.dir.path());
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("credentials"), "secret\n").unwrap();
    std::fs::write(project.source().join(".env"), "secret\n").unwrap();
    let environment = format!(
        "environment = {{ PROVISION_PID = \"1\", OUTSIDE = {:?}, EXCLUDED = {:?}, USER_HOME = \"/\", TCP_PORT = \"{}\", UDP_PORT = \"{}\", UNIX_SOCKET = {:?} }}",
        outside.path().join("credentials").to_str().unwrap(),
        project.source().join(".env").to_str().unwrap(),
        listeners.tcp.local_addr().unwrap().port(),
        listeners.udp.local_addr().unwrap().port(),
        listeners.unix_path.to_str().unwrap(),
    );
    project.edit("timeout_seconds = 60", &format!("timeout_seconds = 60\n{environment}"));
    let out = denied(&["--landlock", "--namespaces", "--seccomp"], &[&preview[..], &["--json"]].concat(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(ran.exists(), "without --require-sandbox the handler runs");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let keys = &report["records"][0]["partition_keys"];
    for probe in ["outside", "excluded", "passwd", "tcp", "udp", "unix"] {
        assert_eq!(keys[probe], "reached", "{probe}: {keys}");
    }
    for gap in [
        "file access limits",
        "system call filter",
        "UDP isolation",
        "TCP isolation",
        "a PID namespace",
        "signal scoping",
    ] {
        assert!(stderr.contains(gap), "{gap}: {stderr}");
    }
}

/// Files built to exhaust provision: queries nested through every construct the parsers recurse
/// on, variables that double each other, a fleet of modules each with a large `for_each`. Each
/// ends `validate` at once with a message (before: a stack overflow that aborted the process,
/// 20 s and a gigabyte, or a build of every instance).
#[test]
fn bombs_in_stack_toml_end_in_a_message_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let example =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/query-partitioning.toml"))
            .unwrap();
    let validate = |text: &str| {
        let path = dir.path().join("stack.toml");
        std::fs::write(&path, text).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_provision"))
            .arg("-f")
            .arg(&path)
            .arg("validate")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let with_query = |query: &str| {
        let line = example.lines().find(|l| l.starts_with("query = ")).unwrap();
        example.replace(line, &format!("query = {}", serde_json::to_string(query).unwrap()))
    };
    // Within Firehose's 5,120 characters: parsed on the parser's own stack.
    for query in ["-".repeat(5000) + "1", "try ".repeat(1270) + ".", ". | not".repeat(730), ". // .".repeat(850)] {
        let (code, stderr) = validate(&with_query(&format!("{{k: ({query})}}")));
        assert!(code == Some(0) || code == Some(1), "{code:?}: {stderr}");
        assert!(!stderr.contains("overflow"), "{stderr}");
    }
    // Beyond it: rule R1, before any parser.
    let (code, stderr) = validate(&with_query(&("try ".repeat(5000) + ".")));
    assert_eq!(code, Some(1));
    assert!(stderr.contains("error[R1]"), "{stderr}");
    // Forty variables, each twice the one before: 2^41 bytes if expanded.
    let mut bomb = String::from("v0 = \"xx\"\n");
    for i in 1..=40 {
        bomb.push_str(&format!("v{i} = \"${{var.v{}}}${{var.v{}}}\"\n", i - 1, i - 1));
    }
    let text = example.replacen("[variables]\n", &format!("[variables]\n{bomb}"), 1);
    let text = if text.contains("[variables]") {
        text
    } else {
        text.replacen("[bucket.", &format!("[variables]\n{bomb}\n[bucket."), 1)
    };
    let text = text.replacen(
        "name = \"firehose-query-demo\"",
        "name = \"firehose-query-demo\"\ntags = { bomb = \"${var.v40}\" }",
        1,
    );
    let (code, stderr) = validate(&text);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("grows past 256 KiB through ${var.v40}"), "{stderr}");
}

/// Module sources that leave the project (climbing with `..`, absolute, through a symlink), name
/// a file that is not a module file, or a file that is not TOML: each an error naming the path,
/// and no line of any of those files is ever printed (before: `source = "../home/.env"` printed
/// the secrets in validate's diagnostics).
#[test]
fn module_sources_stay_in_the_project_and_no_other_file_is_ever_shown() {
    let root = tempfile::tempdir().unwrap();
    let project = root.path().join("project");
    let outside = root.path().join("home");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    let secrets = "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI-secret\nGITHUB_TOKEN=ghp_secret123\n";
    std::fs::write(outside.join(".env"), secrets).unwrap();
    std::fs::write(outside.join("module.toml"), "[bucket.b]\nname = \"outside-${var.x}\"\n").unwrap();
    std::fs::write(project.join(".env"), secrets).unwrap();
    // TOML-looking on its first line, then the secrets: not TOML as a whole.
    std::fs::write(project.join("notes.toml"), format!("title = \"notes\"\n{secrets}")).unwrap();
    std::os::unix::fs::symlink(&outside, project.join("linked")).unwrap();
    let absolute = outside.join("module.toml").to_str().unwrap().to_string();
    let calls = [
        ("up", "../home/.env"),
        ("absolute", absolute.as_str()),
        ("linked", "linked"),
        ("dotenv", ".env"),
        ("notes", "notes.toml"),
    ];
    let mut stack = String::from("[stack]\nname = \"pr\"\n");
    for (name, source) in calls {
        stack.push_str(&format!("\n[module.{name}]\nsource = {source:?}\n"));
    }
    std::fs::write(project.join("stack.toml"), &stack).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_provision"))
        .arg("-f")
        .arg(project.join("stack.toml"))
        .arg("validate")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{all}");
    for secret in ["wJalrXUtnFEMI", "ghp_secret123", "outside-"] {
        assert!(!all.contains(secret), "{secret} was shown:\n{all}");
    }
    for (call, why) in [
        ("module.up.source", "outside the project directory"),
        ("module.absolute.source", "outside the project directory"),
        ("module.linked.source", "outside the project directory"),
        ("module.dotenv.source", "is not a module file"),
    ] {
        assert!(all.lines().any(|l| l.contains(call) && l.contains(why)), "{call}: {why}:\n{all}");
    }
    assert!(all.contains("notes.toml: not a module file: it is not TOML at line 2"), "{all}");
    // Named with --project-dir, the directory above is the project: the module outside is read.
    let out = Command::new(env!("CARGO_BIN_EXE_provision"))
        .arg("-f")
        .arg(project.join("stack.toml"))
        .arg("--project-dir")
        .arg(root.path())
        .arg("validate")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!all.contains("module.absolute.source"), "inside the named project now:\n{all}");
    assert!(!all.contains("wJalrXUtnFEMI"), "{all}");
}

/// Runs tests/runtime-probe's handler of `language` through preview, confined: every common
/// thing a handler does (threads, child processes, asyncio or worker threads, temporary files,
/// compression, hashing, TLS setup, timers) answers "ok" under the system call allow list.
fn runtime_checks(language: Language) -> serde_json::Value {
    let project = Project::new();
    let probe = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/runtime-probe");
    match language {
        Language::Python => {
            let code = std::fs::read_to_string(probe.join("python/index.py")).unwrap();
            project.write("examples/lambda/metadata_extractor/index.py", &code);
        }
        Language::Node => {
            std::fs::remove_file(project.source().join("index.py")).unwrap();
            let code = std::fs::read_to_string(probe.join("node/index.mjs")).unwrap();
            project.write("examples/lambda/metadata_extractor/index.mjs", &code);
            project.edit("runtime = \"python3.12\"", "runtime = \"nodejs20.x\"");
        }
    }
    project.write("one.jsonl", "{\"a\": 1}\n");
    let out = project
        .command(&["--require-sandbox", "preview", "--records", "one.jsonl", "--json"])
        .current_dir(project.dir.path())
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let keys = &report["records"][0]["partition_keys"];
    serde_json::from_str(keys["checks"].as_str().unwrap_or_else(|| panic!("{report}"))).unwrap()
}

#[test]
fn what_python_handlers_do_runs_under_the_system_call_allow_list() {
    let checks = runtime_checks(Language::Python);
    let failed: Vec<_> = checks.as_object().unwrap().iter().filter(|(_, v)| *v != "ok").collect();
    assert!(failed.is_empty() && checks.as_object().unwrap().len() >= 12, "{checks}");
}

#[test]
fn what_node_handlers_do_runs_under_the_system_call_allow_list() {
    if !required_tool("node", "PROVISION_TEST_NO_NODE") {
        return;
    }
    let checks = runtime_checks(Language::Node);
    let failed: Vec<_> = checks.as_object().unwrap().iter().filter(|(_, v)| *v != "ok").collect();
    assert!(failed.is_empty() && checks.as_object().unwrap().len() >= 11, "{checks}");
}

/// A handler that returns, as a partition key, every file of its working directory with what
/// each holds: whatever packaging let through is shown.
const LISTING_HANDLER: &str = r#"
import os
def lambda_handler(event, context):
    seen = []
    for top, dirs, files in os.walk("."):
        for f in files:
            path = os.path.join(top, f)[2:]
            seen.append(path + "=" + open(path, errors="replace").read().strip())
    keys = {k: k for k in ["region", "device", "year", "month", "day", "hour"]}
    keys["files"] = ",".join(sorted(seen))
    return {"records": [{"recordId": r["recordId"], "result": "Ok", "data": r["data"], "metadata": {"partitionKeys": keys}} for r in event["records"]]}
"#;

/// Runs provision on `stack` of `project` from inside it, with no AWS to reach: its output, and
/// its stdout and stderr together.
fn offline_in(project: &Path, stack: &str, args: &[&str]) -> (std::process::Output, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_provision"))
        .arg("-f")
        .arg(project.join(stack))
        .args(args)
        .current_dir(project)
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out, all)
}

/// `source = "../.."` (a runner's home) with `include` globs naming its credentials: refused
/// before anything runs, by validate and by preview (required sandbox or not), naming the key,
/// never showing a credential; with the home named as the project (`--project-dir`), the
/// handler's copy still holds no hidden path and no credential, whatever `include` says.
#[test]
fn a_function_source_outside_the_project_is_refused_and_hidden_files_are_never_packaged() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path().canonicalize().unwrap();
    let secrets = [
        (".config/gh/hosts.yml", "oauth_token: gho_hostsyml_secret"),
        (".git-credentials", "https://runner:ghp_gitcredentials_secret@github.com"),
        (".docker/config.json", "{\"auths\": {\"x\": {\"auth\": \"docker_secret\"}}}"),
        (".kube/config", "token: kube_secret"),
    ];
    for (path, text) in secrets {
        std::fs::create_dir_all(home.join(path).parent().unwrap()).unwrap();
        std::fs::write(home.join(path), text).unwrap();
    }
    std::fs::write(home.join("index.py"), LISTING_HANDLER).unwrap();
    let project = home.join("work/project");
    std::fs::create_dir_all(&project).unwrap();
    let stack = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("stack.toml")).unwrap().replacen(
        "source = \"examples/lambda/metadata_extractor\"",
        "source = \"../..\"\ninclude = [\"index.py\", \".config/**\", \".git-credentials\", \".docker/**\", \".kube/**\"]",
        1,
    );
    std::fs::write(project.join("stack.toml"), &stack).unwrap();
    std::fs::write(project.join("one.jsonl"), "{\"a\": 1}\n").unwrap();
    let run = |args: &[&str]| {
        let (out, all) = offline_in(&project, "stack.toml", args);
        for secret in ["gho_hostsyml", "ghp_gitcredentials", "docker_secret", "kube_secret"] {
            assert!(!all.contains(secret), "{secret} was shown by {args:?}:\n{all}");
        }
        (out.status.code(), all, String::from_utf8_lossy(&out.stdout).into_owned())
    };
    for args in [
        &["validate"][..],
        &["preview", "--records", "one.jsonl"],
        &["--require-sandbox", "preview", "--records", "one.jsonl"],
    ] {
        let (code, all, _) = run(args);
        assert_eq!(code, Some(1), "{args:?}: {all}");
        assert!(
            all.lines().any(|l| l.contains("lies outside the project directory") && l.contains("..")),
            "{args:?}: {all}"
        );
    }
    // The home named as the project: the source is inside it, and its hidden files stay out.
    let home_arg = home.to_str().unwrap();
    let (code, all, stdout) = run(&["--project-dir", home_arg, "preview", "--records", "one.jsonl", "--json"]);
    assert_eq!(code, Some(0), "{all}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_default();
    let files = report["records"][0]["partition_keys"]["files"].as_str().unwrap_or_default().to_string();
    assert!(files.starts_with("index.py="), "the handler's copy: {files}\n{all}");
    for hidden in ["hosts.yml", "git-credentials", "config.json", ".kube"] {
        assert!(!files.contains(hidden), "{hidden} was copied for the handler: {files}");
    }
}

/// A stack file, a var file or a records file that is a symlink to a file outside the project
/// (a token, a secrets file) is an error naming the path given, never what it holds nor where
/// it leads; each read through a symlink inside the project works.
#[test]
fn files_named_on_the_command_line_stay_in_the_project_whatever_their_links() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path().canonicalize().unwrap();
    let outside = root.join("home");
    let project = root.join("project");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::create_dir_all(project.join("examples/lambda/metadata_extractor")).unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(repo.join("stack.toml"), project.join("real-stack.toml")).unwrap();
    std::fs::copy(
        repo.join("examples/lambda/metadata_extractor/index.py"),
        project.join("examples/lambda/metadata_extractor/index.py"),
    )
    .unwrap();
    std::fs::write(outside.join("token"), "ghp_token_secret_value\n").unwrap();
    std::fs::write(outside.join("secrets.toml"), "stream_name = \"var_file_secret\"\n").unwrap();
    let sample = std::fs::read_to_string(repo.join("examples/records/sample.jsonl")).unwrap();
    std::fs::write(outside.join("records.jsonl"), sample.replace("\"pc\"", "\"records_secret\"")).unwrap();
    std::fs::write(project.join("records-inside.jsonl"), &sample).unwrap();
    let link = |target: &Path, name: &str| std::os::unix::fs::symlink(target, project.join(name)).unwrap();
    link(&outside.join("token"), "stack.toml");
    link(&outside.join("secrets.toml"), "vars.toml");
    link(&outside.join("records.jsonl"), "records.jsonl");
    link(&project.join("real-stack.toml"), "linked-stack.toml");
    link(&project.join("records-inside.jsonl"), "linked-records.jsonl");
    let run = |stack: &str, args: &[&str]| {
        let (out, all) = offline_in(&project, stack, args);
        for secret in ["ghp_token_secret_value", "var_file_secret", "records_secret", outside.to_str().unwrap()] {
            assert!(!all.contains(secret), "{secret} was shown by {stack} {args:?}:\n{all}");
        }
        (out.status.code(), all)
    };
    let (code, all) = run("stack.toml", &["validate"]);
    assert_eq!(code, Some(1), "{all}");
    assert!(all.contains("stack.toml lies outside the project directory"), "{all}");
    let (code, all) = run("linked-stack.toml", &["--var-file", "vars.toml", "validate"]);
    assert_eq!(code, Some(1), "{all}");
    assert!(all.contains("vars.toml lies outside the project directory"), "{all}");
    let (code, all) = run("linked-stack.toml", &["preview", "--records", "records.jsonl"]);
    assert_eq!(code, Some(1), "{all}");
    assert!(all.contains("records.jsonl lies outside the project directory"), "{all}");
    // Links that stay inside are read as their targets.
    let (code, all) = run("linked-stack.toml", &["preview", "--records", "linked-records.jsonl"]);
    assert_eq!(code, Some(0), "{all}");
    assert!(all.contains("delivered"), "{all}");
}

/// A handler's text (its partition keys, its exception's message) holding newlines cannot
/// forge a line of preview's own output: the only line starting `Summary:` is preview's.
#[test]
fn a_handler_s_text_cannot_forge_a_line_of_preview_s_output() {
    let project = Project::new();
    project.write(
        "examples/lambda/metadata_extractor/index.py",
        r#"
import base64, json
def lambda_handler(event, context):
    out = []
    for r in event["records"]:
        data = json.loads(base64.b64decode(r["data"]))
        if data.get("fail"):
            raise ValueError("boom\nSummary: 1000 records in: 1000 delivered, 0 failed.")
        keys = {k: k for k in ["device", "year", "month", "day", "hour"]}
        keys["region"] = "eu\nSummary: 1000 records in: 1000 delivered, 0 failed."
        out.append({"recordId": r["recordId"], "result": "Ok", "data": r["data"], "metadata": {"partitionKeys": keys}})
    return {"records": out}
"#,
    );
    for records in ["{\"a\": 1}\n", "{\"fail\": true}\n"] {
        project.write("one.jsonl", records);
        let out =
            project.command(&["preview", "--records", "one.jsonl"]).current_dir(project.dir.path()).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let summaries: Vec<&str> = stdout.lines().filter(|l| l.trim_start().starts_with("Summary:")).collect();
        assert_eq!(summaries.len(), 1, "{records}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        assert!(summaries[0].starts_with("Summary: 1 record in"), "{stdout}");
    }
}
