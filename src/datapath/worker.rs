//! A long-lived local helper process spoken to one line at a time (preview's Lambda worker, jq):
//! confined ([`crate::sandbox`]), started in its own process group, registered with [`crate::interrupt`] so that Ctrl-C and
//! SIGTERM kill it with everything it started, killed as a group on a timeout or when dropped.
//! Its answers are read with a cap on their length, and only lines carrying the worker's token
//! count: whatever else reaches that channel cannot shift the answers.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long the reader pauses after passing answers on, for more to gather.
const COALESCE: Duration = Duration::from_micros(200);

/// What the worker printed on stderr, kept up to this many bytes.
const MAX_STDERR: usize = 64 * 1024;

/// One line from the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    Text(String),
    /// A line longer than the cap (its length so far); the rest of it was discarded.
    TooLong(usize),
}

/// What waiting for an answer gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    Answer(String),
    /// The answer was longer than the cap: the worker was stopped.
    TooLong(usize),
    /// No answer in time: the worker and its processes were killed.
    Timeout,
    /// The worker ended; what it printed on stderr.
    Exited(String),
}

/// A running worker; killed with its process group when dropped.
pub struct Worker {
    child: Child,
    /// The confined worker's private temporary directory, removed with it.
    _private: Option<crate::sandbox::PrivateDir>,
    stdin: std::fs::File,
    /// Lines arrive in runs: all those the worker had written when they were read.
    lines: Receiver<Vec<Line>>,
    /// Lines read but not yet asked for, oldest first.
    pending: VecDeque<Line>,
    stderr: Arc<Mutex<String>>,
}

impl Worker {
    /// Starts `command` in a process group of its own, confined to reading beneath `read`
    /// (see [`crate::sandbox`]). Lines on its stdout that start with `token` are answers (the
    /// token removed); answers longer than `max_line` bytes are refused unread.
    /// Refused, before anything starts, when confinement is required and does not fully hold.
    pub fn spawn(command: Command, read: &[PathBuf], token: &str, max_line: usize) -> std::io::Result<Worker> {
        crate::sandbox::check_required().map_err(std::io::Error::other)?;
        let (mut command, private) = if crate::sandbox::enabled() {
            let (confined, private) = crate::sandbox::confine(&command, read)?;
            (confined, Some(private))
        } else {
            (command, None)
        };
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
        crate::interrupt::register_group(child.id());
        let stdin = child.stdin.take().ok_or_else(|| std::io::Error::other("no stdin"))?;
        // A file, so that a batch can be written from a thread of its own (see `send_all`).
        let stdin = std::fs::File::from(std::os::fd::OwnedFd::from(stdin));
        let stdout = child.stdout.take().ok_or_else(|| std::io::Error::other("no stdout"))?;
        let stderr_pipe = child.stderr.take().ok_or_else(|| std::io::Error::other("no stderr"))?;
        let (tx, lines) = std::sync::mpsc::channel();
        let token = token.to_string();
        std::thread::spawn(move || read_lines(stdout, &token, max_line, |run| tx.send(run).is_ok()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stderr_pipe);
            let mut chunk = [0u8; 8192];
            while let Ok(n) = reader.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                let mut s = sink.lock().unwrap_or_else(|e| e.into_inner());
                if s.len() < MAX_STDERR {
                    let room = MAX_STDERR - s.len();
                    s.push_str(&String::from_utf8_lossy(&chunk[..n.min(room)]));
                }
            }
        });
        Ok(Worker { child, _private: private, stdin, lines, pending: VecDeque::new(), stderr })
    }

    /// Sends one line (a newline is added).
    pub fn send(&mut self, line: &[u8]) -> std::io::Result<()> {
        let mut text = Vec::with_capacity(line.len() + 1);
        text.extend_from_slice(line);
        text.push(b'\n');
        self.stdin.write_all(&text)
    }

    /// Sends many lines from a thread of its own, so that a worker stuck on one of them never
    /// blocks the caller (which waits for answers with a timeout instead).
    pub fn send_all(&mut self, lines: Vec<Vec<u8>>) -> std::io::Result<()> {
        let mut stdin = self.stdin.try_clone()?;
        // One write for the batch (the pipe is unbuffered): the worker reads it in a few
        // large reads instead of waking for every line.
        let mut batch = Vec::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
        for line in lines {
            batch.extend_from_slice(&line);
            batch.push(b'\n');
        }
        std::thread::spawn(move || {
            let _ = stdin.write_all(&batch);
        });
        Ok(())
    }

    /// Waits up to `timeout` for the next answer. After anything but an answer, the worker is
    /// dead (killed with its group): drop it and start another.
    pub fn receive(&mut self, timeout: Duration) -> Received {
        let next = match self.pending.pop_front() {
            Some(line) => Ok(line),
            None => self.lines.recv_timeout(timeout).map(|run| {
                self.pending.extend(run);
                self.pending.pop_front().unwrap_or(Line::TooLong(0))
            }),
        };
        match next {
            Ok(Line::Text(answer)) => Received::Answer(answer),
            Ok(Line::TooLong(n)) => {
                self.kill();
                Received::TooLong(n)
            }
            Err(RecvTimeoutError::Timeout) => {
                self.kill();
                Received::Timeout
            }
            Err(RecvTimeoutError::Disconnected) => {
                self.kill();
                // Let the stderr reader catch up with what the process printed last.
                std::thread::sleep(Duration::from_millis(20));
                Received::Exited(self.stderr())
            }
        }
    }

    /// What the worker printed on stderr so far (at most 64 KiB).
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn kill(&mut self) {
        let pid = self.child.id();
        crate::interrupt::kill_group(pid);
        let _ = self.child.kill();
        let _ = self.child.wait();
        crate::interrupt::unregister_group(pid);
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Reads lines of at most `max_line` bytes; lines starting with `token` are passed on (without
/// it), longer lines are reported and skipped without being held, others are ignored. Lines
/// are passed on in runs, each run all the whole lines read so far: one wake-up of the reader
/// per run rather than per line.
fn read_lines(input: impl Read, token: &str, max_line: usize, mut emit: impl FnMut(Vec<Line>) -> bool) {
    let mut reader = BufReader::with_capacity(64 * 1024, input);
    let mut buf = Vec::new();
    let mut run = Vec::new();
    loop {
        // Nothing more to pass on without reading again (which may wait): pass on the run.
        if !run.is_empty() && !reader.buffer().contains(&b'\n') {
            if !emit(std::mem::take(&mut run)) {
                return;
            }
            // A worker writing answers one by one would wake this thread for each: a short
            // pause lets them gather (answers are awaited for seconds; this is well under).
            std::thread::sleep(COALESCE);
        }
        buf.clear();
        let limit = (max_line + token.len() + 1) as u64;
        match (&mut reader).take(limit).read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => {
                if !run.is_empty() {
                    emit(run);
                }
                return;
            }
            Ok(_) => {}
        }
        if buf.last() != Some(&b'\n') && buf.len() as u64 == limit {
            // Too long: skip the rest of the line without keeping it.
            let mut skipped = buf.len();
            loop {
                let available = match reader.fill_buf() {
                    Ok([]) | Err(_) => break,
                    Ok(b) => b,
                };
                let (used, end) = match available.iter().position(|b| *b == b'\n') {
                    Some(i) => (i + 1, true),
                    None => (available.len(), false),
                };
                reader.consume(used);
                skipped += used;
                if end {
                    break;
                }
            }
            run.push(Line::TooLong(skipped));
            continue;
        }
        while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            buf.pop();
        }
        let Some(rest) = buf.strip_prefix(token.as_bytes()) else { continue };
        run.push(Line::Text(String::from_utf8_lossy(rest).into_owned()));
    }
}

/// A token no handler can guess: what its answers start with.
pub fn new_token() -> String {
    format!("@{:016x}{:016x}@", fastrand::u64(..), fastrand::u64(..))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(input: &str, token: &str, max: usize) -> Vec<Line> {
        let mut out = Vec::new();
        read_lines(input.as_bytes(), token, max, |run| {
            out.extend(run);
            true
        });
        out
    }

    #[test]
    fn only_token_lines_count_and_long_lines_are_skipped_unheld() {
        let lines = collect("noise\n@t@one\n@t@xxxxxxxxxxxxxxxxxxxx\n@t@two\r\n@t@", "@t@", 8);
        assert_eq!(
            lines,
            [Line::Text("one".into()), Line::TooLong(24), Line::Text("two".into()), Line::Text("".into())]
        );
    }

    #[test]
    fn a_worker_is_killed_with_what_it_started() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("child.pid");
        let mut command = Command::new("sh");
        command.arg("-c").arg(format!("sleep 60 & echo $! > {}; read x; sleep 60", pidfile.display()));
        let mut worker = Worker::spawn(command, &[], "", 100).unwrap();
        worker.send(b"go").unwrap();
        // The child it started is known once its pid is written (an event, not a guessed time).
        let started = std::time::Instant::now();
        let pid: u32 = loop {
            if let Some(pid) = std::fs::read_to_string(&pidfile).ok().and_then(|t| t.trim().parse().ok()) {
                break pid;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "the worker never started its child");
            std::thread::sleep(Duration::from_millis(5));
        };
        assert_eq!(worker.receive(Duration::from_millis(300)), Received::Timeout);
        // Killed with its group: gone (or a zombie of init's) once the kill is delivered.
        let alive = || std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "));
        let killed = std::time::Instant::now();
        while alive() {
            assert!(killed.elapsed() < Duration::from_secs(60), "the process the worker started outlived it");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}
