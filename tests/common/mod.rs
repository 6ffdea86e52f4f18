//! Test harness: a moto server per test, a copy of the default stack in a temp dir, and the real
//! `provision` binary run against them.
#![allow(dead_code)]

pub(crate) mod proxy;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A moto server on a free loopback port, stopped when dropped.
pub(crate) struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Moto {
    pub(crate) fn start() -> Moto {
        let program = std::env::var("MOTO_SERVER").unwrap_or_else(|_| "moto_server".into());
        let mut child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", "0"])
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program} (pip install 'moto[server]'): {e}"));
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(pos) = line.find("http://127.0.0.1:") {
                    let _ = tx.send(line[pos..].trim().to_string());
                }
            }
        });
        let endpoint = rx.recv_timeout(Duration::from_secs(30)).expect("moto did not report its port");
        let moto = Moto { child, endpoint };
        moto.wait_ready();
        moto
    }

    fn wait_ready(&self) {
        let start = Instant::now();
        let addr = self.endpoint.trim_start_matches("http://").to_string();
        while start.elapsed() < Duration::from_secs(30) {
            if let Ok(mut s) = std::net::TcpStream::connect(&addr) {
                use std::io::{Read, Write};
                let _ = s.write_all(b"GET /moto-api/data.json HTTP/1.0\r\n\r\n");
                let mut buf = [0u8; 12];
                if s.read_exact(&mut buf).is_ok() && buf.starts_with(b"HTTP/1.1 200") {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("moto at {} not ready", self.endpoint);
    }

    /// An SDK configuration pointing at this server, for changes behind provision's back.
    pub(crate) async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_sdk_s3::config::Credentials::new("test", "test", None, None, "test"))
            .load()
            .await
    }

    /// Writes the default stack's lock object as another run would, holding `holder` (the lock
    /// bucket created as provision creates it, if missing).
    pub(crate) async fn put_lock(&self, holder: serde_json::Value) {
        let s3 = self.s3().await;
        let _ = s3
            .create_bucket()
            .bucket(LOCK_BUCKET)
            .bucket_namespace(aws_sdk_s3::types::BucketNamespace::AccountRegional)
            .send()
            .await;
        self.put_lock_in(LOCK_BUCKET, holder).await;
    }

    /// The text of the default stack's lock object in `bucket`, if one is there.
    pub(crate) async fn lock_in(&self, bucket: &str) -> Option<String> {
        let held = self.s3().await.get_object().bucket(bucket).key("firehose-dp-demo.lock").send().await.ok()?;
        Some(String::from_utf8_lossy(&held.body.collect().await.unwrap().into_bytes()).into_owned())
    }

    /// Writes a lock object into `bucket` (which exists), holding `holder`.
    pub(crate) async fn put_lock_in(&self, bucket: &str, holder: serde_json::Value) {
        self.s3()
            .await
            .put_object()
            .bucket(bucket)
            .key("firehose-dp-demo.lock")
            .body(holder.to_string().into_bytes().into())
            .send()
            .await
            .unwrap();
    }

    /// Creates a role trusting Lambda by hand, as a colleague would, at `path` (`/`, `/team/`);
    /// returns the IAM client that made it.
    pub(crate) async fn lambda_role_by_hand(
        &self,
        name: &str,
        path: &str,
        description: Option<&str>,
    ) -> aws_sdk_iam::Client {
        let iam = aws_sdk_iam::Client::new(&self.sdk_config().await);
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["lambda.amazonaws.com"]},"Action":"sts:AssumeRole"}]}"#;
        let create = iam.create_role().role_name(name).path(path).set_description(description.map(str::to_string));
        create.assume_role_policy_document(trust).send().await.unwrap();
        iam
    }

    pub(crate) async fn s3(&self) -> aws_sdk_s3::Client {
        let config = self.sdk_config().await;
        aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build())
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one run of the binary did.
pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Runs `command` to its end, stdin closed.
    pub(crate) fn of(mut command: Command) -> Run {
        let out = command.stdin(Stdio::null()).output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into(),
            stderr: String::from_utf8_lossy(&out.stderr).into(),
        }
    }

    /// Asserts stdout holds `text` (else shows all it printed).
    #[track_caller]
    pub(crate) fn assert_stdout(&self, text: &str) {
        assert!(self.stdout.contains(text), "stdout lacks {text:?}:\n{}", self.all());
    }

    /// Asserts stderr holds `text` (else shows all it printed).
    #[track_caller]
    pub(crate) fn assert_stderr(&self, text: &str) {
        assert!(self.stderr.contains(text), "stderr lacks {text:?}:\n{}", self.all());
    }

    pub(crate) fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// A stack directory (copy of the repo's stack.toml and Lambda source) and a moto server.
pub(crate) struct Fixture {
    pub dir: tempfile::TempDir,
    pub moto: Moto,
    /// When set, provision talks to moto through this fault-injecting proxy.
    pub proxy: Option<proxy::FaultProxy>,
}

/// The default lock bucket, in the account-regional namespace.
pub(crate) const LOCK_BUCKET: &str = "provision-locks-123456789012-us-east-1-an";
/// The lock bucket older versions used.
pub(crate) const LEGACY_LOCK_BUCKET: &str = "provision-locks-123456789012-us-east-1";
pub(crate) const BUCKET: &str = "firehose-to-s3-123456789012-us-east-1-an";
pub(crate) const STREAM: &str = "PUT-S3-lambda";

pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "__pycache__" {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(name));
        } else {
            std::fs::copy(entry.path(), to.join(name)).unwrap();
        }
    }
}

impl Fixture {
    pub(crate) fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(repo().join("stack.toml"), dir.path().join("stack.toml")).unwrap();
        copy_dir(
            &repo().join("examples/lambda/metadata_extractor"),
            &dir.path().join("examples/lambda/metadata_extractor"),
        );
        Fixture { dir, moto: Moto::start(), proxy: None }
    }

    /// An example stack without a function (`examples/NAME`) as stack.toml.
    pub(crate) fn example(name: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(repo().join("examples").join(name), dir.path().join("stack.toml")).unwrap();
        Fixture { dir, moto: Moto::start(), proxy: None }
    }

    /// examples/fleet.toml as stack.toml, with its module and the function's code beside it.
    pub(crate) fn fleet() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(repo().join("examples/fleet.toml"), dir.path().join("stack.toml")).unwrap();
        copy_dir(&repo().join("examples/modules"), &dir.path().join("modules"));
        copy_dir(&repo().join("examples/lambda/metadata_extractor"), &dir.path().join("lambda/metadata_extractor"));
        Fixture { dir, moto: Moto::start(), proxy: None }
    }

    /// Replaces text in a file of the fixture (the text must be there).
    pub(crate) fn edit_file(&self, relative: &str, from: &str, to: &str) {
        let path = self.dir.path().join(relative);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{relative} has no {from:?}");
        std::fs::write(path, text.replacen(from, to, 1)).unwrap();
    }

    /// A fixture whose runs go through a fault-injecting proxy in front of moto.
    pub(crate) fn with_faults() -> Fixture {
        let mut fx = Fixture::new();
        fx.proxy = Some(proxy::FaultProxy::start(&fx.moto.endpoint));
        fx
    }

    pub(crate) fn faults(&self) -> &proxy::FaultProxy {
        self.proxy.as_ref().expect("a fixture made with Fixture::with_faults")
    }

    /// The endpoint provision uses: the proxy's, or moto's.
    pub(crate) fn endpoint(&self) -> String {
        self.proxy.as_ref().map_or(self.moto.endpoint.clone(), |p| p.endpoint.clone())
    }

    /// Starts `provision ARGS` without waiting, stdout and stderr piped.
    pub(crate) fn spawn(&self, args: &[&str]) -> std::process::Child {
        command(&self.stack_path(), &self.endpoint(), args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Starts `apply` with `action` held in the proxy (as `key`) and returns once the run has
    /// printed `ADDRESS: Creating...` and the proxy holds the call: a run in flight, its lock
    /// held. Also returns the lines it prints after that one.
    pub(crate) fn apply_held_at(
        &self,
        action: &str,
        key: &'static str,
        address: &str,
    ) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
        self.faults().hold(action, key);
        let mut child = self.spawn(&["apply", "--auto-approve"]);
        let rest = wait_for_line(&mut child, &format!("{address}: Creating..."));
        wait_until(&format!("the proxy holds {action}"), || self.faults().holding(key));
        (child, rest)
    }

    pub(crate) fn stack_path(&self) -> PathBuf {
        self.dir.path().join("stack.toml")
    }

    /// Where a test saves its plan (`plan --out`): `plan.json` beside stack.toml.
    pub(crate) fn planfile(&self) -> String {
        self.dir.path().join("plan.json").to_str().unwrap().to_string()
    }

    /// Runs `provision ARGS` against this fixture's moto.
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        run_at(&self.stack_path(), &self.endpoint(), args)
    }

    /// Runs `provision ARGS` with extra environment variables (`None` removes one).
    pub(crate) fn run_env(&self, args: &[&str], env: &[(&str, Option<&str>)]) -> Run {
        let mut command = command(&self.stack_path(), &self.endpoint(), args);
        for (k, v) in env {
            match v {
                Some(v) => command.env(k, v),
                None => command.env_remove(k),
            };
        }
        Run::of(command)
    }

    /// Runs and asserts the exit code.
    pub(crate) fn ok(&self, args: &[&str], code: i32) -> Run {
        let run = self.run(args);
        assert_eq!(run.code, code, "provision {args:?} exited {}:\n{}", run.code, run.all());
        run
    }

    pub(crate) fn apply(&self) -> Run {
        self.ok(&["apply", "--auto-approve"], 0)
    }

    /// Asserts the plan is empty.
    pub(crate) fn assert_clean(&self) {
        let run = self.ok(&["plan", "--detailed-exitcode"], 0);
        run.assert_stdout("No changes.");
    }

    /// Replaces text in stack.toml (the text must be there).
    pub(crate) fn edit(&self, from: &str, to: &str) {
        self.edit_file("stack.toml", from, to);
    }

    /// Drops the bucket's TLS-only policy: moto evaluates it without its condition and so denies
    /// every object request over its plain HTTP (real S3 does not). Objects can be written and
    /// read here only without it.
    pub(crate) fn without_tls_only_policy(&self) {
        self.edit("require_tls = \"true\"", "require_tls = \"false\"");
    }

    pub(crate) fn write_file(&self, relative: &str, text: &str) {
        std::fs::write(self.dir.path().join(relative), text).unwrap();
    }

    /// The JSON plan.
    pub(crate) fn json_plan(&self) -> serde_json::Value {
        let run = self.ok(&["plan", "--json"], 0);
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("bad JSON plan: {e}\n{}", run.stdout))
    }
}

/// Runs `provision -f STACK ARGS` against the endpoint, with dummy credentials and no colors.
pub(crate) fn run_at(stack: &Path, endpoint: &str, args: &[&str]) -> Run {
    Run::of(command(stack, endpoint, args))
}

/// Sends SIGINT to a child, as Ctrl-C does.
pub(crate) fn interrupt(child: &std::process::Child) {
    let kill = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
}

/// The `provision` command for a stack and endpoint, with dummy credentials and no colors.
pub(crate) fn command(stack: &Path, endpoint: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_provision"));
    command
        .arg("-f")
        .arg(stack)
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("NO_COLOR", "1")
        .env_remove("AWS_PROFILE")
        .stdin(Stdio::null());
    command
}

/// Waits until the child's stdout shows `line`; returns the lines printed after it.
pub(crate) fn wait_for_line(child: &mut std::process::Child, line: &str) -> std::sync::mpsc::Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(100)) {
            if l.contains(line) {
                return rx;
            }
        }
    }
    panic!("never printed {line:?}");
}

/// Changes of a JSON plan other than no-ops: (address, action, changed attribute keys), by address.
pub(crate) fn changes(plan: &serde_json::Value) -> Vec<(String, String, Vec<String>)> {
    let mut out: Vec<(String, String, Vec<String>)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] != "no-op")
        .map(|c| {
            (
                c["address"].as_str().unwrap().to_string(),
                c["action"].as_str().unwrap().to_string(),
                c["attributes"].as_array().unwrap().iter().map(|a| a["key"].as_str().unwrap().to_string()).collect(),
            )
        })
        .collect();
    out.sort();
    out
}

/// A stack of `n` pipelines like the default one (bucket, log group, two roles, function,
/// stream each), sharing the repository's Lambda source; the template is `pipeline.toml`.
pub(crate) fn generated_stack(n: usize) -> String {
    let mut text = String::from("[stack]\nname = \"bench\"\n");
    for i in 0..n {
        text.push_str(
            &include_str!("pipeline.toml")
                .replace("{i}", &i.to_string())
                .replace("{source}", "examples/lambda/metadata_extractor"),
        );
    }
    text
}

/// The text of a role's `provision-generated` inline policy (IAM returns it percent-encoded).
pub(crate) async fn generated_policy(iam: &aws_sdk_iam::Client, role: &str) -> String {
    let policy = iam.get_role_policy().role_name(role).policy_name("provision-generated").send().await.unwrap();
    provision::policy::decode(policy.policy_document()).unwrap().to_string()
}

/// Waits until `done` holds (an event: a request seen by the proxy, a file present), checking
/// often; the deadline is generous, for a loaded machine, and only bounds a broken test.
pub(crate) fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "waited 120 s and never saw: {what}");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Whether `program` runs (`program --version`). A tool a test needs that is missing fails the
/// test, unless the named opt-out variable is set (never in CI): then the test says it did not
/// run and returns.
pub(crate) fn required_tool(program: &str, opt_out: &str) -> bool {
    let runs = std::process::Command::new(program).arg("--version").output().is_ok_and(|o| o.status.success());
    if runs {
        return true;
    }
    assert!(
        std::env::var_os(opt_out).is_some(),
        "`{program}` is required by this test and was not found: install it (.ci/run does), or set {opt_out}=1 to skip"
    );
    #[allow(clippy::print_stderr)]
    {
        eprintln!("`{program}` not found and {opt_out} set: this test did not run");
    }
    false
}

/// Lines of a child's stream, as they come.
pub(crate) fn lines(stream: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for l in std::io::BufReader::new(stream).lines().map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    rx
}

pub(crate) fn wait_for(rx: &std::sync::mpsc::Receiver<String>, text: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        if rx.recv_timeout(Duration::from_millis(100)).is_ok_and(|l| l.contains(text)) {
            return;
        }
    }
    panic!("never printed {text:?}");
}

/// A jq 1.6 binary to compare provision's own jq 1.6 against: `PROVISION_JQ`, else
/// `/usr/bin/jq` when it is jq 1.6; `None` when this machine has neither.
pub(crate) fn jq16_binary() -> Option<PathBuf> {
    let candidate = std::env::var_os("PROVISION_JQ").map(PathBuf::from).unwrap_or_else(|| "/usr/bin/jq".into());
    let version = Command::new(&candidate).arg("--version").output().ok()?;
    (String::from_utf8_lossy(&version.stdout).trim() == "jq-1.6").then_some(candidate)
}
