//! Running a MetadataExtraction query over records with a budget, in jq 1.6 itself: the jq 1.6
//! built into this program (run as `provision __jq-worker`), or a jq 1.6 binary named by
//! `PROVISION_JQ`, each as long-lived confined processes (two, side by side) fed one record per
//! line. A record whose answer does not come within the budget is failed with that reason and
//! the process is killed with everything it started; a process that ends (out of memory, out of
//! stack) fails its record; after a few budgets exceeded in a row, the remaining records are not
//! evaluated. Firehose documents no budget for a MetadataExtraction query: these are
//! provision's, chosen so that a preview always ends, and named in docs/src/rules.md.

use crate::datapath::worker::{Received, Worker};
use crate::jq::Outcome;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

/// What evaluates queries: jq 1.6, the engine Firehose runs, either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Engine {
    /// The jq 1.6 built into this program, run in a worker process by it (its path).
    BuiltIn(PathBuf),
    /// A jq 1.6 binary (`PROVISION_JQ`), to compare against.
    Jq16(PathBuf),
}

/// Environment variable naming a jq 1.6 binary to use instead of the built-in one.
pub const ENGINE_VARIABLE: &str = "PROVISION_JQ";

impl Engine {
    /// The jq 1.6 binary `PROVISION_JQ` names (asked its version confined, in a private
    /// directory, with no environment), else the built-in jq 1.6. No `jq` on PATH is used.
    pub fn detect() -> Result<Engine, String> {
        match std::env::var(ENGINE_VARIABLE) {
            Ok(path) if !path.is_empty() => {
                let program = PathBuf::from(&path).canonicalize().unwrap_or_else(|_| PathBuf::from(&path));
                match version(&program) {
                    Some(v) if v == "jq-1.6" => Ok(Engine::Jq16(program)),
                    Some(v) => Err(format!("{ENGINE_VARIABLE} names {path}, which is {v}: Firehose runs jq-1.6")),
                    None => Err(format!("{ENGINE_VARIABLE} names {path}, which does not run (`{path} --version`)")),
                }
            }
            _ => Engine::built_in(),
        }
    }

    /// The jq 1.6 built into this program.
    pub fn built_in() -> Result<Engine, String> {
        std::env::current_exe().map(Engine::BuiltIn).map_err(|e| format!("cannot find this program's path: {e}"))
    }

    /// What preview says about the engine it used.
    pub fn describe(&self) -> String {
        match self {
            Engine::BuiltIn(_) => "jq 1.6 (built in)".to_string(),
            Engine::Jq16(path) => format!("jq 1.6 ({})", path.display()),
        }
    }
}

/// `PROGRAM --version`, if it runs (confined, reading only the program itself).
fn version(program: &Path) -> Option<String> {
    let mut command = Command::new(program);
    command.arg("--version").env_clear();
    let out = crate::sandbox::output(command, &[program.to_path_buf()], Duration::from_secs(30)).ok()?;
    Some(String::from_utf8_lossy(&out).trim().to_string()).filter(|v| !v.is_empty())
}

/// What one record's evaluation may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Wall time per record.
    pub per_record: Duration,
    /// Address space of the process evaluating the query.
    pub memory_mib: u64,
    /// After this many records over budget in a row, the rest are not evaluated.
    pub over_in_a_row: usize,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget { per_record: Duration::from_secs(1), memory_mib: 192, over_in_a_row: 3 }
    }
}

/// The line a worker answers [`READY_ANSWER`] to, before any record: the per-record budget is
/// counted from that answer, never from the start of the process (the sandbox's stages, the
/// interpreter's start and the query's compile are not the record's).
const READY_PROBE: &[u8] = b"null";
const READY_ANSWER: &str = "{\"ready\":true}";
/// How long a worker may take to start.
const STARTUP: Duration = Duration::from_secs(30);

/// Records sent to a worker at once (answers are still awaited one by one, each with its budget).
const BATCH: usize = 256;
/// Workers evaluating side by side: while the answers of one are read, the next batch is being
/// evaluated by the other (each worker has one batch in flight at most).
const WORKERS: usize = 2;
/// The longest answer line read from a worker.
const MAX_ANSWER: usize = 1024 * 1024;

/// A query ready to evaluate records.
pub struct Evaluator {
    engine: Engine,
    query: String,
    budget: Budget,
    workers: Vec<Option<Worker>>,
    over_in_a_row: usize,
}

impl std::fmt::Debug for Evaluator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evaluator").field("engine", &self.engine).finish()
    }
}

impl Evaluator {
    /// Compiles the query in jq 1.6 (its errors are jq 1.6's, with their place).
    pub fn new(engine: Engine, query: &str, budget: Budget) -> Result<Evaluator, String> {
        match &engine {
            Engine::BuiltIn(_) => compiles(query)?,
            Engine::Jq16(jq) => compiles_in_jq16(jq, query, budget)?,
        }
        let workers = (0..WORKERS).map(|_| None).collect();
        Ok(Evaluator { engine, query: query.to_string(), budget, workers, over_in_a_row: 0 })
    }

    /// The engine evaluating.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Evaluates every record, in order: batches go to the workers in turn, and a worker is sent
    /// its next batch as soon as its answers are read, so the workers evaluate while answers are
    /// read. Each answer is awaited with the per-record budget.
    pub fn evaluate(&mut self, records: &[&[u8]]) -> Vec<Outcome> {
        let mut out: Vec<Option<Outcome>> = vec![None; records.len()];
        let mut batches = (0..records.len()).step_by(BATCH).map(|start| start..(start + BATCH).min(records.len()));
        // Batches in flight, in the order their answers are read: (worker, records).
        let mut in_flight: std::collections::VecDeque<(usize, std::ops::Range<usize>)> = Default::default();
        for slot in 0..self.workers.len() {
            let Some(batch) = batches.next() else { break };
            in_flight.push_back((slot, batch));
        }
        let mut sent: Vec<bool> = vec![false; self.workers.len()];
        'batches: while let Some((slot, batch)) = in_flight.pop_front() {
            // Every batch in flight has been sent (a batch is sent when it is queued, below).
            for (s, b) in in_flight.iter().chain(std::iter::once(&(slot, batch.clone()))) {
                if !sent[*s] {
                    if let Err(e) = self.send(*s, &records[b.clone()]) {
                        for o in out.iter_mut().filter(|o| o.is_none()) {
                            *o = Some(Outcome::Error(e.clone()));
                        }
                        break 'batches;
                    }
                    sent[*s] = true;
                }
            }
            for i in batch.clone() {
                if self.over_in_a_row >= self.budget.over_in_a_row {
                    let reason = format!(
                        "not evaluated: the query exceeded its budget for {} records in a row",
                        self.budget.over_in_a_row
                    );
                    for o in out.iter_mut().filter(|o| o.is_none()) {
                        *o = Some(Outcome::OverBudget(reason.clone()));
                    }
                    break 'batches;
                }
                let received = match self.workers[slot].as_mut() {
                    Some(worker) => worker.receive(self.budget.per_record),
                    None => Received::Exited(String::new()),
                };
                let failure = match received {
                    Received::Answer(line) => {
                        self.over_in_a_row = 0;
                        out[i] = Some(parse_answer(&line));
                        continue;
                    }
                    Received::Timeout => {
                        let within = crate::output::duration(self.budget.per_record);
                        Outcome::OverBudget(format!("the query did not finish within {within} for this record"))
                    }
                    Received::Exited(stderr) => Outcome::OverBudget(format!(
                        "the query's process ended ({}): out of its {} MiB of memory or of stack",
                        crate::output::escape(
                            &stderr.lines().next().unwrap_or("no message").chars().take(120).collect::<String>()
                        ),
                        self.budget.memory_mib
                    )),
                    Received::TooLong(n) => Outcome::Error(format!("the query's answer is over {n} bytes")),
                };
                out[i] = Some(failure);
                // The worker is dead: the rest of its batch is sent again to a new one, first.
                self.over_in_a_row += 1;
                self.workers[slot] = None;
                sent[slot] = false;
                if i + 1 < batch.end {
                    in_flight.push_front((slot, i + 1..batch.end));
                    continue 'batches;
                }
                break;
            }
            // Its answers read: the worker takes the next batch while the other's are read.
            sent[slot] = false;
            if let Some(next) = batches.next() {
                in_flight.push_back((slot, next));
            }
        }
        out.into_iter().map(|o| o.unwrap_or_else(|| Outcome::Error("not evaluated".into()))).collect()
    }

    fn send(&mut self, slot: usize, records: &[&[u8]]) -> Result<(), String> {
        if self.workers[slot].is_none() {
            self.workers[slot] = Some(self.start()?);
        }
        let lines = records
            .iter()
            .map(|r| serde_json::to_vec(&String::from_utf8_lossy(r)).unwrap_or_else(|_| b"\"\"".to_vec()))
            .collect();
        match self.workers[slot].as_mut() {
            Some(worker) => worker.send_all(lines).map_err(|e| format!("cannot feed the query's process: {e}")),
            None => Err("the query's process did not start".into()),
        }
    }

    /// Starts a worker.
    fn start(&self) -> Result<Worker, String> {
        let (command, read) = match &self.engine {
            Engine::Jq16(jq) => {
                (jq16_command(jq, self.budget, &["--unbuffered", "-c", &jq16_program(&self.query)]), jq)
            }
            Engine::BuiltIn(program) => {
                let mut c = Command::new(program);
                c.arg("__jq-worker").arg("--memory-mib").arg(self.budget.memory_mib.to_string()).arg(&self.query);
                // No environment: `$ENV` and `env` are {} as in Firehose.
                c.env_clear();
                (c, program)
            }
        };
        let mut worker = Worker::spawn(command, std::slice::from_ref(read), "", MAX_ANSWER)
            .map_err(|e| format!("cannot start jq: {e}"))?;
        worker.send(READY_PROBE).map_err(|e| format!("cannot start jq: {e}"))?;
        match worker.receive(STARTUP) {
            Received::Answer(line) if line == READY_ANSWER => Ok(worker),
            Received::Exited(stderr) => Err(format!(
                "jq did not start: {}",
                crate::output::escape_line(stderr.lines().next().unwrap_or("no message"))
            )),
            other => Err(format!("jq did not start: {other:?}")),
        }
    }
}

/// jq 1.6 with `args`, under the budget's memory limit (jq does not run at all when the limit
/// cannot be set), with no environment.
fn jq16_command(jq: &Path, budget: Budget, args: &[&str]) -> Command {
    let mut c = Command::new("/bin/sh");
    // `env -i`: the shell adds variables of its own (PWD); jq sees none.
    c.args(["-c", "ulimit -v \"$1\" && shift && exec /usr/bin/env -i \"$@\"", "sh"])
        .arg((budget.memory_mib * 1024).to_string())
        .arg(jq)
        .args(args)
        .env_clear();
    c
}

/// Whether the built-in jq 1.6 compiles the query (compiled only, never run), with jq 1.6's own
/// messages; on a stack no query can overflow (see [`crate::jq::syntax::guarded`]).
pub fn compiles(query: &str) -> Result<(), String> {
    match crate::jq::syntax::guarded(query, || crate::jq::check::refused_by_jq(query)) {
        Ok(None) => Ok(()),
        Ok(Some(refusal)) => Err(refusal),
        Err(refused) => Err(refused.to_string()),
    }
}

/// Whether a jq 1.6 binary compiles the query: it runs the program preview runs on `null` (the
/// readiness probe, which never reaches the query): in a confined worker,
/// under the same memory budget as evaluation, within a worker's start-up time plus the time of
/// one record (the process's start, through the sandbox's stages, is not the query's).
fn compiles_in_jq16(jq: &Path, query: &str, budget: Budget) -> Result<(), String> {
    let command = jq16_command(jq, budget, &["-n", "-c", &jq16_program(query)]);
    let mut worker = Worker::spawn(command, &[jq.to_path_buf()], "", MAX_ANSWER)
        .map_err(|e| format!("cannot run {}: {e}", jq.display()))?;
    match worker.receive(STARTUP + budget.per_record) {
        Received::Answer(_) => Ok(()),
        Received::Exited(stderr) => Err(crate::jq::check::refusal(&stderr)),
        Received::Timeout => Err(format!(
            "jq 1.6 did not compile the query within {} (a worker's start and the budget of one record)",
            crate::output::duration(STARTUP + budget.per_record)
        )),
        Received::TooLong(n) => Err(format!("jq 1.6 answered the compile check with {n} bytes")),
    }
}

/// The program jq 1.6 runs: each input line is a record as a JSON string; each output line says
/// what the query made of it (see [`parse_answer`]).
pub fn jq16_program(query: &str) -> String {
    // An object is printed as it is (`object`): each value's type and text are read off jq's own
    // printing of it (see [`parse_answer`]), which is `tojson`'s; asking jq for them per key cost
    // two thirds of its time.
    // The query starts on the program's first line, as Firehose gives it to jq: its lines are
    // its own (`$__loc__`, jq's messages).
    // A `null` line (never a record: each is a JSON string) is the readiness probe.
    format!(
        r#". as $raw | if $raw == null then {{ready: true}} else try (($raw | fromjson) as $record | [limit(1; $record | ({query}
))]
    | if length == 0 then {{none: true}}
      elif (.[0] | type) == "object" then {{object: .[0]}}
      else {{not_object: (.[0] | tojson | .[0:200])}}
      end
  ) catch {{error: (if type == "string" then . else tojson end | .[0:500])}} end"#
    )
}

/// An object's entries in jq's order, each value as jq printed it.
struct Entries(Vec<(String, Box<serde_json::value::RawValue>)>);

impl<'de> serde::Deserialize<'de> for Entries {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Entries, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Entries;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, Box<serde_json::value::RawValue>>()? {
                    out.push(entry);
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(Visit)
    }
}

/// The jq type and text of a value from its JSON text as jq printed it: a string's contents, or
/// the text itself (jq's `tojson` of it: numbers stay exactly as jq 1.6 wrote them).
fn type_and_text(raw: &serde_json::value::RawValue) -> Result<(String, String), serde_json::Error> {
    let text = raw.get();
    let kind = match text.as_bytes().first() {
        Some(b'"') => return Ok(("string".into(), serde_json::from_str::<String>(text)?)),
        Some(b'{') => "object",
        Some(b'[') => "array",
        Some(b't' | b'f') => "boolean",
        Some(b'n') => "null",
        _ => "number",
    };
    Ok((kind.into(), text.to_string()))
}

/// An answer line of a worker.
fn parse_answer(line: &str) -> Outcome {
    if line.starts_with("{\"object\":") {
        #[derive(serde::Deserialize)]
        struct Object {
            object: Entries,
        }
        let entries = match serde_json::from_str::<Object>(line) {
            Ok(o) => o.object.0,
            Err(e) => return Outcome::Error(format!("unreadable answer from the query's process: {e}")),
        };
        let keys: Result<Vec<(String, String, String)>, _> =
            entries.into_iter().map(|(key, raw)| type_and_text(&raw).map(|(kind, text)| (key, kind, text))).collect();
        return match keys {
            Ok(keys) => Outcome::Keys(keys),
            Err(e) => Outcome::Error(format!("unreadable answer from the query's process: {e}")),
        };
    }
    let v: serde_json::Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return Outcome::Error(format!("unreadable answer from the query's process: {e}")),
    };
    if v["none"].as_bool() == Some(true) {
        return Outcome::NoOutput;
    }
    if let Some(text) = v["not_object"].as_str() {
        return Outcome::NotObject(text.to_string());
    }
    Outcome::Error(v["error"].as_str().unwrap_or("the query failed").to_string())
}

/// What the worker answers for a record the query halted on (`halt`, `halt_error`) without an
/// answer: jq 1.6 goes on with the next record, and the answers keep their places.
const HALTED_ANSWER: &str = r#"{"error":"the query halted (halt or halt_error)"}"#;

/// The answer line for what the built-in jq 1.6 made of a record: the line `jq -c` prints for
/// the same record through [`jq16_program`], byte for byte.
fn answer_line(first: crate::jq::native::First) -> Vec<u8> {
    use crate::jq::native::First;
    let cut = |text: &str, n: usize| serde_json::Value::String(text.chars().take(n).collect()).to_string();
    match first {
        First::Output { printed, object: true } => [b"{\"object\":".as_slice(), &printed, b"}"].concat(),
        First::Output { printed, object: false } => {
            format!("{{\"not_object\":{}}}", cut(&String::from_utf8_lossy(&printed), 200)).into_bytes()
        }
        First::Nothing => b"{\"none\":true}".to_vec(),
        First::Error(message) => format!("{{\"error\":{}}}", cut(&message, 500)).into_bytes(),
        First::Halted => HALTED_ANSWER.as_bytes().to_vec(),
    }
}

/// `provision __jq-worker`: the built-in jq 1.6 answering one line per record line on stdin,
/// each answer as a jq 1.6 binary answers it through [`jq16_program`]. Its environment is
/// emptied and its address space limited before the query is compiled.
pub fn worker_main(query: &str, memory_mib: u64) -> ExitCode {
    use std::io::{BufRead, Write};
    // jq 1.6's `$ENV` and `env` read this process's environment: emptied, as Firehose's query
    // sees none (the sandbox gives its workers a TMPDIR). One thread, nothing started yet.
    for (key, _) in std::env::vars_os() {
        std::env::remove_var(key);
    }
    #[cfg(unix)]
    {
        use nix::sys::resource::{setrlimit, Resource};
        let bytes = memory_mib.saturating_mul(1024 * 1024);
        let _ = setrlimit(Resource::RLIMIT_AS, bytes, bytes);
    }
    let mut compiled = match crate::jq::native::Query::compile(query) {
        Ok(q) => q,
        Err(messages) => {
            let _ = writeln!(std::io::stderr(), "{}", messages.join("\n"));
            return ExitCode::from(3);
        }
    };
    let mut input = std::io::BufReader::with_capacity(64 * 1024, std::io::stdin().lock());
    let mut output = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    let mut line = Vec::new();
    loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(_) => return ExitCode::from(2),
        }
        while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            line.pop();
        }
        let answer = if line == READY_PROBE {
            READY_ANSWER.as_bytes().to_vec()
        } else {
            let record: String = serde_json::from_slice(&line).unwrap_or_default();
            answer_line(compiled.first(record.as_bytes()))
        };
        // Each answer goes out at once (`--unbuffered`): the next record may never end, and the
        // answers before it must not wait for it.
        let written = output.write_all(&answer).and_then(|_| output.write_all(b"\n")).and_then(|_| output.flush());
        if written.is_err() {
            return ExitCode::SUCCESS;
        }
    }
    let _ = output.flush();
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    /// jq 1.6 prints the query's object itself: keys in its order, each value's type from its
    /// printing, its text a string's contents or the printed JSON exactly (jq's numbers kept).
    #[test]
    fn an_object_printed_by_jq_reads_back_as_its_keys_types_and_texts() {
        let line = r#"{"object":{"z":1.7976931348623157e+308,"s":"a\"b\u00e9","n":null,"l":[1,{"x":2}],"t":true,"i":100000000000000000000}}"#;
        let keys = |o: Outcome| match o {
            Outcome::Keys(k) => k,
            other => panic!("{other:?}"),
        };
        let got = keys(parse_answer(line));
        let want = [
            ("z", "number", "1.7976931348623157e+308"),
            ("s", "string", "a\"bé"),
            ("n", "null", "null"),
            ("l", "array", r#"[1,{"x":2}]"#),
            ("t", "boolean", "true"),
            ("i", "number", "100000000000000000000"),
        ];
        assert_eq!(got, want.map(|(k, t, v)| (k.to_string(), t.to_string(), v.to_string())));
        assert!(matches!(parse_answer(r#"{"object":{"a":"#), Outcome::Error(_)));
    }

    #[test]
    fn answers_read_back_as_outcomes() {
        for (line, outcome) in [
            (r#"{"object":{"a":1}}"#, Outcome::Keys(vec![("a".into(), "number".into(), "1".into())])),
            (r#"{"none":true}"#, Outcome::NoOutput),
            (r#"{"not_object":"[1]"}"#, Outcome::NotObject("[1]".into())),
            (r#"{"error":"boom"}"#, Outcome::Error("boom".into())),
            (HALTED_ANSWER, Outcome::Error("the query halted (halt or halt_error)".into())),
        ] {
            assert_eq!(parse_answer(line), outcome);
        }
    }
}
