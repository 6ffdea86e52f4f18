//! Runs a Python Lambda handler locally for preview: one long-lived `python3` worker per
//! function, fed one Firehose event (a batch of records) at a time, as Firehose invokes the
//! function. The worker runs as the function would on Lambda: with the function's `environment`
//! from stack.toml and Lambda's own variables (`AWS_LAMBDA_FUNCTION_NAME`, `AWS_REGION`,
//! `_HANDLER`...), and nothing of the user's shell: no AWS credentials (nor a way to find the
//! user's credential files or the instance metadata), no `PROVISION_VAR_*`. Python runs
//! isolated (`-I`: the source directory cannot shadow the worker's modules), in its own process
//! group, killed whole on a timeout, Ctrl-C or SIGTERM. The handler's prints are captured per
//! invocation (at most 64 KiB) and never mixed into the worker's answers; an exception, a
//! timeout beyond the function's `timeout_seconds`, an answer that is not JSON (NaN) or over 6 MB
//! fails the batch, as in Lambda.

use super::worker::{new_token, Received, Worker};
use crate::package::Package;
use crate::sandbox::PrivateDir;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// Lambda's limit on a synchronous invocation's answer.
pub const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024;

/// The most the worker's own line may hold: an answer of 6 MB, escaped, and 64 KiB of logs.
const MAX_LINE: usize = 2 * MAX_RESPONSE_BYTES + 256 * 1024;

/// The worker: keeps a private copy of stdout for its answers and sends the handler's stdout
/// to stderr, imports the handler once, then answers one event per line of stdin, each answer
/// starting with the token it was given.
const WORKER: &str = r#"
import os, sys
token = sys.argv[1]
protocol = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)
import base64, io, json, time, traceback
source, handler, timeout, name, memory, limit = sys.argv[2:8]
limit = int(limit)
sys.path.insert(0, source)
def answer(value):
    protocol.write(token + json.dumps(value) + "\n")
module_name, _, function_name = handler.rpartition(".")
try:
    import importlib
    function = getattr(importlib.import_module(module_name), function_name)
except BaseException:
    answer({"fatal": traceback.format_exc()[-16000:]})
    sys.exit(0)
answer({"ready": True})

class Capped(io.TextIOBase):
    """What the handler prints, kept up to 64 KiB."""
    def __init__(self):
        self.parts, self.size = [], 0
    def write(self, text):
        if self.size < 65536:
            self.parts.append(text[: 65536 - self.size])
            self.size += len(text)
        return len(text)
    def getvalue(self):
        return "".join(self.parts)

class Context:
    def __init__(self, request):
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = os.environ.get("PREVIEW_FUNCTION_ARN", "")
        self.memory_limit_in_mb = int(memory)
        self.aws_request_id = request
        self.log_group_name = "/aws/lambda/" + name
        self.log_stream_name = "preview"
        self._deadline = time.time() + float(timeout)
    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.time()) * 1000))

n = 0
for line in sys.stdin:
    n += 1
    event = json.loads(line)
    captured = Capped()
    out, err = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = captured
    try:
        response = function(event, Context("preview-%d" % n))
        try:
            text = json.dumps(response, allow_nan=False)
        except ValueError as e:
            reply = {"invalid": str(e)}
        else:
            reply = {"size": len(text)} if len(text) > limit else {"size": len(text), "response": response}
    except BaseException as e:
        reply = {"error": type(e).__name__, "message": str(e)[:4096], "trace": traceback.format_exc()[-16000:]}
    finally:
        sys.stdout, sys.stderr = out, err
    reply["logs"] = captured.getvalue()
    answer(reply)
"#;

/// The Node.js worker (runtimes `nodejs*`): the same protocol. Node has no private copy of
/// stdout to give, so the handler's console and writes to stdout are captured during each
/// invocation, and each answer starts on a fresh line with the token (stray output, which has
/// no token, is ignored). The handler is imported as Lambda imports it (ES module or CommonJS,
/// `async` or with a callback).
const NODE_WORKER: &str = r#"
import { pathToFileURL } from "node:url";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
const [token, source, handler, timeout, name, memory, limitText] = process.argv.slice(2);
const limit = Number(limitText);
const answer = (v) => process.stdout.write("\n" + token + JSON.stringify(v) + "\n");
const dot = handler.lastIndexOf(".");
const moduleName = handler.slice(0, dot), functionName = handler.slice(dot + 1);
let fn;
try {
  const file = [".mjs", ".cjs", ".js"].map((e) => join(source, moduleName + e)).find(existsSync);
  if (!file) throw new Error(`Cannot find module '${moduleName}' in ${source}`);
  const mod = await import(pathToFileURL(file).href);
  fn = mod[functionName] ?? mod.default?.[functionName];
  if (typeof fn !== "function") throw new Error(`${handler} is not a function`);
} catch (e) {
  answer({ fatal: String(e && e.stack || e).slice(-16000) });
  process.exit(0);
}
answer({ ready: true });
let n = 0;
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  n += 1;
  const event = JSON.parse(line);
  const logs = [];
  const capture = (...args) => { if (logs.join("").length < 65536) logs.push(args.map(String).join(" ") + "\n"); };
  const saved = { log: console.log, error: console.error, warn: console.warn, info: console.info, write: process.stdout.write };
  console.log = console.error = console.warn = console.info = capture;
  const context = {
    functionName: name, functionVersion: "$LATEST", invokedFunctionArn: process.env.PREVIEW_FUNCTION_ARN || "",
    memoryLimitInMB: memory, awsRequestId: "preview-" + n, logGroupName: "/aws/lambda/" + name, logStreamName: "preview",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  const deadline = Date.now() + Number(timeout) * 1000;
  let reply;
  try {
    const response = await (fn.length >= 3
      ? new Promise((resolve, reject) => fn(event, context, (err, res) => (err ? reject(err) : resolve(res))))
      : fn(event, context));
    const text = JSON.stringify(response);
    reply = text === undefined ? { invalid: "the handler returned nothing JSON can hold" }
      : text.length > limit ? { size: text.length } : { size: text.length, response: JSON.parse(text) };
  } catch (e) {
    reply = { error: (e && e.name) || "Error", message: String(e && e.message || e).slice(0, 4096), trace: String(e && e.stack || "").slice(-16000) };
  } finally {
    Object.assign(console, { log: saved.log, error: saved.error, warn: saved.warn, info: saved.info });
  }
  reply.logs = logs.join("");
  answer(reply);
}
"#;

/// The file [`NODE_WORKER`] is run from.
const NODE_WORKER_FILE: &str = "worker.mjs";

/// A language preview runs handlers of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Language {
    Python,
    Node,
}

impl Language {
    fn of(runtime: &str) -> Option<Language> {
        if runtime.starts_with("python3") {
            Some(Language::Python)
        } else if runtime.starts_with("nodejs") {
            Some(Language::Node)
        } else {
            None
        }
    }

    fn program(self) -> &'static str {
        match self {
            Language::Python => "python3",
            Language::Node => "node",
        }
    }
}

/// How an invocation failed, as Firehose would report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvocationError {
    /// Firehose's error code for it (`Lambda.FunctionError`, `Lambda.JsonProcessingException`...).
    pub code: &'static str,
    pub message: String,
    /// What the handler printed, and its traceback.
    pub logs: String,
}

/// Where and how to run a handler.
#[derive(Debug, Clone)]
pub struct Function {
    pub name: String,
    pub runtime: String,
    pub handler: String,
    /// The code as `package` ships it (its include/exclude globs, `.provisionignore`, never a
    /// secret or a dotfile): the handler runs from a private copy of these files only.
    pub code: Arc<Package>,
    /// Where the code was packaged from, for messages.
    pub source: PathBuf,
    /// The stack file's directory (what a pull request writes): never searched for the
    /// interpreter.
    pub project: PathBuf,
    pub timeout: Duration,
    pub memory_mb: i32,
    /// The function's `environment` from stack.toml (sensitive values included: the function
    /// gets them on AWS).
    pub environment: BTreeMap<String, String>,
    /// The stack's region (`AWS_REGION`).
    pub region: String,
    /// The function's ARN, for the context object.
    pub arn: String,
}

/// The interpreter a handler runs with, and the files of it a worker may read.
#[derive(Debug, Clone)]
struct Interpreter {
    path: PathBuf,
    read: Vec<PathBuf>,
}

/// A function ready to run; its worker starts at the first invocation.
pub struct Runner {
    function: Function,
    language: Language,
    interpreter: Interpreter,
    /// The private copy of the packaged code (Lambda's `/var/task`), removed with the runner.
    task: PrivateDir,
    /// The worker's own program, beside the code (Lambda's `/var/runtime`): a file, as Lambda
    /// runs its runtime, so that what the handler starts (a worker thread) inherits no flag
    /// of an inline script.
    runtime: PrivateDir,
    worker: Option<Worker>,
    token: String,
}

impl Runner {
    /// Checks that preview can run this function (a Python or Node.js runtime, the local
    /// interpreter, found confined) and lays out its packaged code in a private directory.
    pub fn new(function: Function) -> Result<Runner, String> {
        let Some(language) = Language::of(&function.runtime) else {
            return Err(format!(
                "the function {} uses {}: preview runs Python (python3.*) and Node.js (nodejs*) handlers only (the stream's other processors are simulated)",
                function.name, function.runtime
            ));
        };
        let task = PrivateDir::create("task").map_err(|e| format!("cannot make a private directory: {e}"))?;
        function.code.extract_to(task.path()).map_err(|e| {
            format!("cannot lay out the code of {} from {}: {e}", function.name, function.source.display())
        })?;
        let interpreter = interpreter(language, &function.project)?;
        let runtime = PrivateDir::create("runtime").map_err(|e| format!("cannot make a private directory: {e}"))?;
        if language == Language::Node {
            std::fs::write(runtime.path().join(NODE_WORKER_FILE), NODE_WORKER)
                .map_err(|e| format!("cannot write the Node.js worker: {e}"))?;
        }
        Ok(Runner { function, language, interpreter, task, runtime, worker: None, token: new_token() })
    }

    /// The worker's command: the interpreter with the function's environment and nothing else,
    /// in the private copy of its code.
    fn command(&self) -> Command {
        let f = &self.function;
        let task = self.task.path();
        let mut command = Command::new(&self.interpreter.path);
        match self.language {
            Language::Python => command.args(["-I", "-B", "-u", "-c", WORKER]),
            // Lambda gives the V8 heap most of the function's memory.
            Language::Node => command
                .arg(format!("--max-old-space-size={}", (f.memory_mb.max(128) as i64) * 9 / 10))
                .arg(self.runtime.path().join(NODE_WORKER_FILE)),
        };
        command
            .arg(&self.token)
            .arg(task)
            .arg(&f.handler)
            .arg(f.timeout.as_secs_f64().to_string())
            .arg(&f.name)
            .arg(f.memory_mb.to_string())
            .arg(MAX_RESPONSE_BYTES.to_string())
            .current_dir(task)
            .env_clear()
            .envs(&f.environment)
            .envs(lambda_variables(f, task))
            .stdin(Stdio::piped());
        command
    }

    fn start(&self) -> Result<Worker, String> {
        let f = &self.function;
        // It may read its own (copied) code and its runtime, nothing else (see crate::sandbox).
        let mut read = vec![self.task.path().to_path_buf(), self.runtime.path().to_path_buf()];
        read.extend(self.interpreter.read.iter().cloned());
        let mut worker = Worker::spawn(self.command(), &read, &self.token, MAX_LINE)
            .map_err(|e| format!("cannot start {}: {e}", self.language.program()))?;
        match worker.receive(Duration::from_secs(30)) {
            Received::Answer(line) => {
                let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
                if let Some(trace) = v["fatal"].as_str() {
                    return Err(format!(
                        "cannot import the handler {} from {}:\n{trace}",
                        f.handler,
                        f.source.display()
                    ));
                }
                Ok(worker)
            }
            Received::Exited(stderr) => Err(format!("the {} worker did not start:\n{stderr}", self.language.program())),
            other => Err(format!("the {} worker did not start: {other:?}", self.language.program())),
        }
    }

    /// Invokes the handler with one event; returns its answer, or why the invocation failed.
    /// Setup problems (python3 missing, the handler cannot be imported) are `Err(..)`.
    pub fn invoke(&mut self, event: &str) -> Result<Result<serde_json::Value, InvocationError>, String> {
        if self.worker.is_none() {
            self.worker = Some(self.start()?);
        }
        let Some(worker) = self.worker.as_mut() else { return Err("no worker".into()) };
        let received = match worker.send(event.as_bytes()) {
            Ok(()) => worker.receive(self.function.timeout),
            Err(_) => Received::Exited(worker.stderr()),
        };
        let failed = |code, message: String, logs: String| Ok(Err(InvocationError { code, message, logs }));
        let line = match received {
            Received::Answer(line) => line,
            Received::Timeout => {
                self.worker = None;
                let seconds = self.function.timeout.as_secs_f64();
                return failed(
                    "Lambda.FunctionError",
                    format!("Task timed out after {seconds:.2} seconds"),
                    String::new(),
                );
            }
            Received::TooLong(n) => {
                self.worker = None;
                let message = format!("the answer is over {n} bytes; Lambda allows at most {MAX_RESPONSE_BYTES}");
                return failed("Lambda.FunctionError", message, String::new());
            }
            Received::Exited(stderr) => {
                self.worker = None;
                return failed("Lambda.FunctionError", "the function's process exited".into(), stderr);
            }
        };
        let answer: serde_json::Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                self.worker = None;
                return failed(
                    "Lambda.FunctionError",
                    format!("the worker's answer could not be read: {e}"),
                    String::new(),
                );
            }
        };
        let logs = answer["logs"].as_str().unwrap_or_default().to_string();
        if let Some(kind) = answer["error"].as_str() {
            let trace = answer["trace"].as_str().unwrap_or_default();
            let message = format!("{kind}: {}", answer["message"].as_str().unwrap_or_default());
            return failed("Lambda.FunctionError", message, format!("{logs}{trace}"));
        }
        if let Some(why) = answer["invalid"].as_str() {
            let message = format!("the function's answer is not valid JSON ({why})");
            return failed("Lambda.JsonProcessingException", message, logs);
        }
        let size = answer["size"].as_u64().unwrap_or(0) as usize;
        if size > MAX_RESPONSE_BYTES {
            let message = format!("the answer is {size} bytes; Lambda allows at most {MAX_RESPONSE_BYTES}");
            return failed("Lambda.FunctionError", message, logs);
        }
        Ok(Ok(answer["response"].clone()))
    }
}

/// Lambda's own variables, as the runtime sets them (documented in "Defined runtime environment
/// variables"), with what preview cannot give (credentials) absent, and the AWS SDKs kept from
/// finding the user's credential files or the instance metadata.
fn lambda_variables(f: &Function, task: &Path) -> Vec<(String, String)> {
    let pairs = [
        ("_HANDLER", f.handler.clone()),
        ("AWS_REGION", f.region.clone()),
        ("AWS_DEFAULT_REGION", f.region.clone()),
        ("AWS_EXECUTION_ENV", format!("AWS_Lambda_{}", f.runtime)),
        ("AWS_LAMBDA_FUNCTION_NAME", f.name.clone()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", f.memory_mb.to_string()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{}", f.name)),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "preview".into()),
        ("LAMBDA_TASK_ROOT", task.display().to_string()),
        ("LANG", "en_US.UTF-8".into()),
        ("TZ", ":UTC".into()),
        ("PATH", "/usr/local/bin:/usr/bin:/bin".into()),
        ("PYTHONDONTWRITEBYTECODE", "1".into()),
        ("PREVIEW_FUNCTION_ARN", f.arn.clone()),
        // Not Lambda's: no credentials exist in preview, and none may be found elsewhere.
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/provision-preview".into()),
        ("AWS_CONFIG_FILE", "/nonexistent/provision-preview".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ];
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// The real interpreter behind the user's `python3` or `node`, found by running it inside the
/// sandbox, in a private directory, with no more of the caller's environment than its version
/// manager needs (see [`crate::sandbox::lookup_environment`]): a shim on a PATH entry of the
/// project, or a `.tool-versions` / `.python-version` in the checkout, plays no part. What it
/// answers is the interpreter's path and the directories of its standard library, which the
/// worker may then read (never the root, the home directory or the project).
fn interpreter(language: Language, project: &Path) -> Result<Interpreter, String> {
    let program = language.program();
    let (flag, script) = match language {
        Language::Python => (
            "-c",
            "import json, sys; print(json.dumps([sys.executable, sys.base_prefix + '/lib'] + [p for p in sys.path if p]))",
        ),
        Language::Node => ("-e", "console.log(JSON.stringify([process.execPath]))"),
    };
    let caller_path = std::env::var_os("PATH").unwrap_or_default();
    let (path, readable) = crate::sandbox::lookup_path(&caller_path, project);
    if !std::env::split_paths(&path).any(|dir| dir.join(program).is_file()) {
        return Err(format!(
            "preview runs this handler with a local `{program}`, which was not found on PATH (its absolute entries outside the project): install it, or preview a stream without this function"
        ));
    }
    let mut command = Command::new(program);
    if language == Language::Python {
        command.arg("-I");
    }
    command.args([flag, script]).env_clear().envs(crate::sandbox::lookup_environment(&path));
    let not_found = |why: String| {
        format!(
            "preview runs this handler with a local `{program}`, which could not be run ({why}): install it on PATH, or preview a stream without this function"
        )
    };
    let out = crate::sandbox::output(command, &readable, Duration::from_secs(30)).map_err(not_found)?;
    let paths: Vec<PathBuf> = serde_json::from_slice::<Vec<String>>(&out)
        .map_err(|_| not_found("it did not say where it is".into()))?
        .into_iter()
        .map(PathBuf::from)
        .collect();
    let executable = paths
        .first()
        .filter(|p| p.is_absolute())
        .and_then(|p| p.canonicalize().ok())
        .ok_or_else(|| not_found("it did not say where it is".into()))?;
    let mut read = vec![executable.clone()];
    for p in paths.iter().skip(1).filter_map(|p| p.canonicalize().ok()) {
        if crate::sandbox::safe_to_read(&p, project) && !read.iter().any(|r| p.starts_with(r)) {
            read.push(p);
        }
    }
    Ok(Interpreter { path: executable, read })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(dir: &Path, runtime: &str, timeout: Duration) -> Function {
        let code = Arc::new(crate::package::package(dir, &[], &[]).unwrap());
        Function {
            name: "f".into(),
            runtime: runtime.into(),
            handler: "index.handler".into(),
            code,
            source: dir.to_path_buf(),
            project: dir.to_path_buf(),
            timeout,
            memory_mb: 128,
            environment: BTreeMap::from([("STAGE".to_string(), "dev".to_string())]),
            region: "eu-west-1".into(),
            arn: "arn:aws:lambda:eu-west-1:123456789012:function:f".into(),
        }
    }

    /// A Python handler with a budget no ordinary answer comes near (answers that must time out
    /// are built never to answer).
    fn function(dir: &Path, code: &str) -> Runner {
        std::fs::write(dir.join("index.py"), code).unwrap();
        Runner::new(spec(dir, "python3.12", Duration::from_secs(60))).unwrap()
    }

    #[test]
    fn answers_come_back_and_prints_stay_out_of_the_protocol() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = function(dir.path(), "import os\ndef handler(e, c):\n    print('hello')\n    os.write(1, b'raw\\n')\n    return {'n': len(e['records'])}\n");
        for n in 0..3 {
            let event = serde_json::json!({"records": vec![1; n]}).to_string();
            assert_eq!(r.invoke(&event).unwrap().unwrap(), serde_json::json!({"n": n}));
        }
    }

    #[test]
    fn an_exception_fails_the_invocation_with_its_logs() {
        let dir = tempfile::tempdir().unwrap();
        let mut r =
            function(dir.path(), "def handler(e, c):\n    print('about to fail')\n    raise KeyError('region')\n");
        let failed = r.invoke("{}").unwrap().unwrap_err();
        assert_eq!(failed.message, "KeyError: 'region'");
        assert!(failed.logs.contains("about to fail") && failed.logs.contains("Traceback"), "{}", failed.logs);
    }

    #[test]
    fn a_handler_that_never_answers_times_out_and_a_new_worker_takes_over() {
        let dir = tempfile::tempdir().unwrap();
        // Blocks for good on `block`; answers its worker's pid otherwise.
        let code = "import os, threading\ndef handler(e, c):\n    if e.get('block'):\n        threading.Event().wait()\n    return {'pid': os.getpid()}\n";
        std::fs::write(dir.path().join("index.py"), code).unwrap();
        let mut r = Runner::new(spec(dir.path(), "python3.12", Duration::from_secs(5))).unwrap();
        let first = r.invoke("{}").unwrap().unwrap()["pid"].as_i64().unwrap();
        let timed_out = r.invoke("{\"block\": true}").unwrap().unwrap_err();
        assert_eq!(timed_out.message, "Task timed out after 5.00 seconds");
        let second = r.invoke("{}").unwrap().unwrap()["pid"].as_i64().unwrap();
        assert_ne!(first, second, "the timed-out worker was replaced by a new process");
        let gone = std::fs::read_to_string(format!("/proc/{first}/stat")).map_or(true, |s| s.contains(") Z "));
        assert!(gone, "the timed-out worker {first} was killed");
    }

    #[test]
    fn the_handler_sees_its_function_s_environment_and_nothing_of_the_user_s() {
        let dir = tempfile::tempdir().unwrap();
        // Every variable of this test process (cargo sets several: CARGO_MANIFEST_DIR...), none
        // of which the function declares: the handler must see none of them.
        let code = "import os\ndef handler(e, c):\n    return dict(os.environ)\n";
        std::fs::write(dir.path().join("index.py"), code).unwrap();
        let worker = lambda_variables(&spec(dir.path(), "python3.12", Duration::ZERO), dir.path());
        let set_by_the_worker: Vec<String> = worker.into_iter().map(|(k, _)| k).collect();
        let ours: BTreeMap<String, String> = std::env::vars().filter(|(k, _)| !set_by_the_worker.contains(k)).collect();
        assert!(ours.contains_key("CARGO_MANIFEST_DIR") || ours.contains_key("HOME"), "{ours:?}");
        let mut r = function(dir.path(), code);
        let seen = r.invoke("{}").unwrap().unwrap();
        assert_eq!(seen["STAGE"], "dev");
        assert_eq!(seen["AWS_REGION"], "eu-west-1");
        assert_eq!(seen["AWS_LAMBDA_FUNCTION_NAME"], "f");
        assert_eq!(seen["_HANDLER"], "index.handler");
        for (name, value) in &ours {
            assert_ne!(seen[name].as_str(), Some(value.as_str()), "{name} leaked into the handler");
        }
        assert!(seen["AWS_SECRET_ACCESS_KEY"].is_null() && seen["HOME"].is_null(), "{seen}");
    }

    #[test]
    fn the_handler_runs_from_a_copy_of_the_packaged_files_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".env"), "AWS_SECRET_ACCESS_KEY=secret\n").unwrap();
        std::fs::create_dir(dir.path().join(".aws")).unwrap();
        std::fs::write(dir.path().join(".aws/credentials"), "[default]\n").unwrap();
        std::fs::write(dir.path().join("key.pem"), "-----BEGIN-----\n").unwrap();
        std::fs::write(dir.path().join(".provisionignore"), "notes.txt\n").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "left out\n").unwrap();
        std::fs::write(dir.path().join("util.py"), "X = 1\n").unwrap();
        let code = "import os, util\ndef handler(e, c):\n    return {'cwd': os.getcwd(), 'root': os.environ['LAMBDA_TASK_ROOT'], 'files': sorted(os.listdir('.'))}\n";
        let mut r = function(dir.path(), code);
        let seen = r.invoke("{}").unwrap().unwrap();
        assert_eq!(seen["files"], serde_json::json!(["index.py", "util.py"]));
        assert_eq!(seen["cwd"], seen["root"]);
        let cwd = PathBuf::from(seen["cwd"].as_str().unwrap());
        assert!(!cwd.starts_with(dir.path().canonicalize().unwrap()), "{cwd:?} is the source directory");
    }

    #[test]
    fn modules_of_the_source_cannot_shadow_the_worker_s_and_stray_output_shifts_nothing() {
        let dir = tempfile::tempdir().unwrap();
        // A module named like one the worker uses, printing on import; a handler writing raw
        // bytes on the process's stdout.
        std::fs::write(dir.path().join("json.py"), "print('{\"ready\": true}')\n").unwrap();
        std::fs::write(dir.path().join("uuid.py"), "print('shadow')\n").unwrap();
        let mut r = function(
            dir.path(),
            "import os, uuid\ndef handler(e, c):\n    os.write(1, b'{}\\n')\n    return {'n': e['n']}\n",
        );
        for n in 0..3 {
            assert_eq!(r.invoke(&format!("{{\"n\": {n}}}")).unwrap().unwrap(), serde_json::json!({"n": n}));
        }
    }

    #[test]
    fn an_answer_that_is_not_json_or_too_large_fails_the_invocation_only() {
        let dir = tempfile::tempdir().unwrap();
        let code = "def handler(e, c):\n    if e.get('nan'):\n        return {'x': float('nan')}\n    if e.get('big'):\n        return {'x': 'y' * 7000000}\n    return {'ok': True}\n";
        let mut r = function(dir.path(), code);
        let nan = r.invoke("{\"nan\": true}").unwrap().unwrap_err();
        assert_eq!(nan.code, "Lambda.JsonProcessingException");
        let big = r.invoke("{\"big\": true}").unwrap().unwrap_err();
        assert!(big.message.contains("Lambda allows at most"), "{}", big.message);
        assert_eq!(r.invoke("{}").unwrap().unwrap(), serde_json::json!({"ok": true}));
    }

    #[test]
    fn setup_problems_are_errors_naming_the_cause() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = function(dir.path(), "import does_not_exist\n");
        assert!(r.invoke("{}").unwrap_err().contains("cannot import the handler index.handler"));
        // `node` is on every machine the tests run on (.ci/run installs it); without it the
        // runner must say so, and the test fails unless PROVISION_TEST_NO_NODE is set.
        match Runner::new(spec(dir.path(), "nodejs20.x", Duration::from_secs(1))) {
            Ok(_) => {}
            Err(e) if std::env::var_os("PROVISION_TEST_NO_NODE").is_some() => assert!(e.contains("`node`"), "{e}"),
            Err(e) => panic!("`node` is required by this test (or set PROVISION_TEST_NO_NODE=1): {e}"),
        }
        let java = Runner::new(spec(dir.path(), "java21", Duration::from_secs(1)));
        assert!(java.err().unwrap().contains("Python (python3.*) and Node.js"));
    }
}
