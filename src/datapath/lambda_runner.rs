//! Runs a Python Lambda handler locally for preview: one long-lived `python3` worker per
//! function, fed one Firehose event (a batch of records) at a time over a pipe, as Firehose
//! invokes the function. The handler's prints and logs are captured per invocation (never mixed
//! into the protocol); an exception, a timeout beyond the function's `timeout_seconds`, or an
//! answer over 6 MB fails the batch, as in Lambda.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Lambda's limit on a synchronous invocation's answer.
pub const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024;

/// The worker: imports the handler once, then answers one event per line of stdin on a private
/// copy of stdout; the handler's own stdout and stderr are captured per call.
const WORKER: &str = r#"
import base64, io, json, os, sys, time, traceback, uuid
source, handler, timeout, name, memory = sys.argv[1:6]
protocol = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)
sys.path.insert(0, source)
module_name, _, function_name = handler.rpartition(".")
try:
    import importlib
    function = getattr(importlib.import_module(module_name), function_name)
except BaseException:
    protocol.write(json.dumps({"fatal": traceback.format_exc()}) + "\n")
    sys.exit(0)
protocol.write(json.dumps({"ready": True}) + "\n")

class Context:
    def __init__(self):
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = "arn:aws:lambda:local:000000000000:function:" + name
        self.memory_limit_in_mb = int(memory)
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = "/aws/lambda/" + name
        self.log_stream_name = "preview"
        self._deadline = time.time() + float(timeout)
    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.time()) * 1000))

for line in sys.stdin:
    event = json.loads(line)
    captured = io.StringIO()
    out, err = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = captured
    try:
        response = function(event, Context())
        text = json.dumps(response)
        answer = {"size": len(text), "response": response}
    except BaseException as e:
        answer = {"error": type(e).__name__, "message": str(e), "trace": traceback.format_exc()}
    finally:
        sys.stdout, sys.stderr = out, err
    answer["logs"] = captured.getvalue()
    protocol.write(json.dumps(answer) + "\n")
"#;

/// How an invocation failed, as Firehose would report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvocationError {
    /// Firehose's error code for it (`Lambda.FunctionError`, `Lambda.Timeout`...).
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
    pub source: PathBuf,
    pub timeout: Duration,
    pub memory_mb: i32,
}

/// A running worker.
pub struct Runner {
    function: Function,
    worker: Option<Worker>,
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    answers: Receiver<String>,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Runner {
    /// Checks that preview can run this function: a Python runtime, a readable source
    /// directory and a local `python3`.
    pub fn new(function: Function) -> Result<Runner, String> {
        if !function.runtime.starts_with("python3") {
            return Err(format!(
                "the function {} uses {}: preview runs Python handlers only (the stream's other processors are simulated)",
                function.name, function.runtime
            ));
        }
        if let Err(e) = std::fs::read_dir(&function.source) {
            return Err(format!("cannot read the function's source directory {}: {e}", function.source.display()));
        }
        match Command::new("python3").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status() {
            Ok(s) if s.success() => {}
            _ => return Err("preview runs Python handlers with a local `python3`, which was not found on PATH".into()),
        }
        Ok(Runner { function, worker: None })
    }

    fn start(&self) -> Result<Worker, String> {
        let f = &self.function;
        let mut child = Command::new("python3")
            .arg("-u")
            .arg("-c")
            .arg(WORKER)
            .arg(abs(&f.source))
            .arg(&f.handler)
            .arg(f.timeout.as_secs_f64().to_string())
            .arg(&f.name)
            .arg(f.memory_mb.to_string())
            .current_dir(&f.source)
            .env("AWS_LAMBDA_FUNCTION_NAME", &f.name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", f.memory_mb.to_string())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start python3: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin for the worker")?;
        let stdout = child.stdout.take().ok_or("no stdout for the worker")?;
        let stderr_pipe = child.stderr.take().ok_or("no stderr for the worker")?;
        let (tx, answers) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr_pipe).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap_or_else(|e| e.into_inner());
                if s.len() < 64 * 1024 {
                    s.push_str(&line);
                    s.push('\n');
                }
            }
        });
        let mut worker = Worker { child, stdin, answers, stderr };
        match worker.answers.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => {
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
            Err(_) => {
                let _ = worker.child.kill();
                let stderr = worker.stderr.lock().unwrap_or_else(|e| e.into_inner()).clone();
                Err(format!("the Python worker did not start:\n{stderr}"))
            }
        }
    }

    /// Invokes the handler with one event; returns its answer, or why the invocation failed.
    /// Setup problems (python3 missing, the handler cannot be imported) are `Err(Err(..))`.
    pub fn invoke(&mut self, event: &str) -> Result<Result<serde_json::Value, InvocationError>, String> {
        if self.worker.is_none() {
            self.worker = Some(self.start()?);
        }
        let Some(worker) = self.worker.as_mut() else { return Err("no worker".into()) };
        let sent = worker.stdin.write_all(event.as_bytes()).and_then(|_| worker.stdin.write_all(b"\n"));
        let answer = match sent {
            Ok(()) => worker.answers.recv_timeout(self.function.timeout),
            Err(_) => Err(RecvTimeoutError::Disconnected),
        };
        let line = match answer {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => {
                self.worker = None;
                return Ok(Err(InvocationError {
                    code: "Lambda.FunctionError",
                    message: format!("Task timed out after {:.2} seconds", self.function.timeout.as_secs_f64()),
                    logs: String::new(),
                }));
            }
            Err(RecvTimeoutError::Disconnected) => {
                let stderr = worker.stderr.lock().unwrap_or_else(|e| e.into_inner()).clone();
                self.worker = None;
                return Ok(Err(InvocationError {
                    code: "Lambda.FunctionError",
                    message: "the function's process exited".into(),
                    logs: stderr,
                }));
            }
        };
        let answer: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| format!("the Python worker answered something else: {e}"))?;
        let logs = answer["logs"].as_str().unwrap_or_default().to_string();
        if let Some(kind) = answer["error"].as_str() {
            let trace = answer["trace"].as_str().unwrap_or_default();
            return Ok(Err(InvocationError {
                code: "Lambda.FunctionError",
                message: format!("{kind}: {}", answer["message"].as_str().unwrap_or_default()),
                logs: format!("{logs}{trace}"),
            }));
        }
        let size = answer["size"].as_u64().unwrap_or(0) as usize;
        if size > MAX_RESPONSE_BYTES {
            return Ok(Err(InvocationError {
                code: "Lambda.FunctionError",
                message: format!("the answer is {size} bytes; Lambda allows at most {MAX_RESPONSE_BYTES}"),
                logs,
            }));
        }
        Ok(Ok(answer["response"].clone()))
    }
}

fn abs(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(dir: &Path, code: &str, timeout_ms: u64) -> Runner {
        std::fs::write(dir.join("index.py"), code).unwrap();
        Runner::new(Function {
            name: "f".into(),
            runtime: "python3.12".into(),
            handler: "index.handler".into(),
            source: dir.to_path_buf(),
            timeout: Duration::from_millis(timeout_ms),
            memory_mb: 128,
        })
        .unwrap()
    }

    #[test]
    fn answers_come_back_and_prints_stay_out_of_the_protocol() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = function(dir.path(), "import os\ndef handler(e, c):\n    print('hello')\n    os.write(1, b'raw\\n')\n    return {'n': len(e['records'])}\n", 5000);
        for n in 0..3 {
            let event = serde_json::json!({"records": vec![1; n]}).to_string();
            assert_eq!(r.invoke(&event).unwrap().unwrap(), serde_json::json!({"n": n}));
        }
    }

    #[test]
    fn exceptions_and_timeouts_fail_the_invocation_with_logs() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = function(dir.path(), "import time\ndef handler(e, c):\n    print('about to fail')\n    if e.get('sleep'):\n        time.sleep(5)\n    raise KeyError('region')\n", 300);
        let failed = r.invoke("{}").unwrap().unwrap_err();
        assert_eq!(failed.message, "KeyError: 'region'");
        assert!(failed.logs.contains("about to fail") && failed.logs.contains("Traceback"), "{}", failed.logs);
        let timed_out = r.invoke("{\"sleep\": true}").unwrap().unwrap_err();
        assert!(timed_out.message.starts_with("Task timed out after 0.30 seconds"), "{}", timed_out.message);
        // A new worker takes over after a timeout.
        assert!(r.invoke("{}").unwrap().is_err());
    }

    #[test]
    fn setup_problems_are_errors_naming_the_cause() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = function(dir.path(), "import does_not_exist\n", 1000);
        assert!(r.invoke("{}").unwrap_err().contains("cannot import the handler index.handler"));
        let node = Runner::new(Function {
            name: "f".into(),
            runtime: "nodejs20.x".into(),
            handler: "index.handler".into(),
            source: dir.path().to_path_buf(),
            timeout: Duration::from_secs(1),
            memory_mb: 128,
        });
        assert!(node.err().unwrap().contains("preview runs Python handlers only"));
        let missing = Runner::new(Function {
            name: "f".into(),
            runtime: "python3.12".into(),
            handler: "index.handler".into(),
            source: dir.path().join("gone"),
            timeout: Duration::from_secs(1),
            memory_mb: 128,
        });
        assert!(missing.err().unwrap().contains("cannot read the function's source directory"));
    }
}
