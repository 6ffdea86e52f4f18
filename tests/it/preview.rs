//! Preview against Firehose's documented behaviour, case by case (see the manual's fidelity
//! table): the fixed processing order, the delimiter at delivery, null keys from the Lambda, the
//! error prefix without an error prefix, the record size limit, the active-partition quota, the
//! jq engine named, and a Node.js handler previewing like its Python twin.

use std::path::{Path, PathBuf};

/// A stack in a temp dir: `processors` listed as given, a handler in `handler.py` (or `.mjs`).
struct Stack {
    dir: tempfile::TempDir,
}

impl Stack {
    fn new(prefix: &str, error_prefix: &str, processors: &str, runtime: &str, handler: (&str, &str)) -> Stack {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("fn")).unwrap();
        std::fs::write(dir.path().join("fn").join(handler.0), handler.1).unwrap();
        let entry = "handler.handler";
        let error =
            if error_prefix.is_empty() { String::new() } else { format!("error_output_prefix = \"{error_prefix}\"\n") };
        let text = format!(
            r#"[stack]
name = "semantics"
region = "us-east-1"

[bucket.data]
name = "semantics-data-bucket"

[role.delivery]
trust = ["firehose.amazonaws.com"]

[role.fn]
trust = ["lambda.amazonaws.com"]

[lambda.fn]
name = "semantics-fn"
runtime = "{runtime}"
handler = "{entry}"
source = "fn"
role = "role.fn"
timeout_seconds = 10
environment = {{ STAGE = "dev" }}

[firehose.events]
name = "semantics"
role = "role.delivery"
bucket = "bucket.data"
prefix = "{prefix}"
{error}buffer_size_mb = 64
buffer_interval_seconds = 60
dynamic_partitioning = true
{processors}
"#
        );
        std::fs::write(dir.path().join("stack.toml"), text).unwrap();
        Stack { dir }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("stack.toml")
    }

    fn records(&self, lines: &[String]) -> PathBuf {
        let path = self.dir.path().join("records.jsonl");
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        path
    }

    fn preview(&self, lines: &[String], extra: &[&str]) -> (i32, serde_json::Value, String) {
        let records = self.records(lines);
        let mut args =
            vec!["preview", "--json", "--at", "2019-08-09T20:21:00Z", "--records", records.to_str().unwrap()];
        args.extend_from_slice(extra);
        let run = crate::common::run_at(&self.path(), "http://127.0.0.1:9", &args);
        let report = serde_json::from_str(&run.stdout).unwrap_or(serde_json::Value::Null);
        (run.code, report, run.stderr)
    }
}

/// A handler that marks what it saw and answers keys: `seen` = whether its data ended with a
/// newline, `stage` from its environment; a record with `"null_key": true` gets a null key.
const PY_HANDLER: &str = r#"
import base64, json, os
def handler(event, context):
    out = []
    for r in event["records"]:
        raw = base64.b64decode(r["data"])
        data = json.loads(raw)
        data["by_lambda"] = "yes"
        keys = {"stage": os.environ["STAGE"], "newline": "yes" if raw.endswith(b"\n") else "no"}
        if data.get("null_key"):
            keys["stage"] = None
        out.append({"recordId": r["recordId"], "result": "Ok",
                    "data": base64.b64encode(json.dumps(data).encode()).decode(),
                    "metadata": {"partitionKeys": keys}})
    return {"records": out}
"#;

const NODE_HANDLER: &str = r#"
export const handler = async (event) => ({
  records: event.records.map((r) => {
    const raw = Buffer.from(r.data, "base64");
    const data = JSON.parse(raw.toString());
    data.by_lambda = "yes";
    const keys = { stage: process.env.STAGE, newline: raw.toString().endsWith("\n") ? "yes" : "no" };
    if (data.null_key) keys.stage = null;
    return { recordId: r.recordId, result: "Ok",
             data: Buffer.from(JSON.stringify(data)).toString("base64"),
             metadata: { partitionKeys: keys } };
  }),
});
"#;

/// Processors listed in an order other than Firehose's: the query first, the delimiter before
/// the Lambda.
const MIXED_ORDER: &str = r#"
[[firehose.events.processor]]
type = "MetadataExtraction"
query = "{by: .by_lambda}"

[[firehose.events.processor]]
type = "AppendDelimiterToRecord"

[[firehose.events.processor]]
type = "Lambda"
function = "lambda.fn"

[[firehose.events.processor]]
type = "RecordDeAggregation"
sub_record_type = "JSON"
"#;

const PREFIX: &str =
    "by=!{partitionKeyFromQuery:by}/stage=!{partitionKeyFromLambda:stage}/nl=!{partitionKeyFromLambda:newline}/";
const ERRORS: &str = "err/!{firehose:error-output-type}/";

fn check_processing_order(runtime: &str, handler: (&str, &str)) {
    let stack = Stack::new(PREFIX, ERRORS, MIXED_ORDER, runtime, handler);
    let (code, report, stderr) = stack.preview(&["{\"a\": 1}".into(), "{\"null_key\": true}".into()], &[]);
    assert_eq!(code, 0, "{stderr}");
    // Firehose's order: de-aggregation, the Lambda, then the query (which sees the Lambda's
    // output); the delimiter comes at delivery (the Lambda never sees it).
    assert_eq!(report["processors"][0], "RecordDeAggregation (JSON)", "{report}");
    assert_eq!(report["processors"][1], "Lambda");
    assert_eq!(report["records"][0]["prefix"], "by=yes/stage=dev/nl=no/", "{report}");
    // A null key from the Lambda fails partitioning, as a null from the query does: the record
    // has no key the prefix needs and goes to the error prefix (rule L6).
    assert_eq!(report["records"][1]["result"], "PartitioningFailed", "{report}");
    assert_eq!(report["records"][1]["prefix"], "err/partitioning-failed/", "{report}");
    // The engine named: the jq 1.6 built into provision.
    assert_eq!(report["jq_engine"], "jq 1.6 (built in)", "{report}");
}

#[test]
fn rule_l6_processors_run_in_firehose_s_order_with_the_function_s_environment() {
    check_processing_order("python3.12", ("handler.py", PY_HANDLER));
}

#[test]
fn a_node_js_handler_previews_like_its_python_twin() {
    if !crate::common::required_tool("node", "PROVISION_TEST_NO_NODE") {
        return;
    }
    check_processing_order("nodejs20.x", ("handler.mjs", NODE_HANDLER));
}

#[test]
fn rule_d5_limits_and_defaults_follow_firehose() {
    let query_only = "\n[[firehose.events.processor]]\ntype = \"MetadataExtraction\"\nquery = \"{k: .k}\"\n";
    // No error prefix: a static data prefix, and failures under it, by type (S3 prefix rules).
    let stack = Stack::new("static/", "", "", "python3.12", ("handler.py", PY_HANDLER));
    let text = std::fs::read_to_string(stack.path())
        .unwrap()
        .replace("dynamic_partitioning = true", "dynamic_partitioning = false");
    std::fs::write(stack.path(), text).unwrap();
    let big = format!("{{\"k\": \"{}\"}}", "x".repeat(1000 * 1024));
    let (code, report, stderr) = Stack::preview(&stack, &["{\"k\": 1}".into(), big.clone()], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["records"][0]["prefix"], "static/2019/08/09/20/", "{report}");
    // Over 1,000 KiB: PutRecord refuses it; it is neither delivered nor an error record.
    assert_eq!(report["records"][1]["result"], "Rejected", "{report}");
    assert_eq!(report["summary"]["rejected"], 1);
    // More than 500 partitions in one buffer interval: the records of the 501st on go to the
    // error prefix as activePartitionExceeded (rule D5).
    let stack =
        Stack::new("k=!{partitionKeyFromQuery:k}/", ERRORS, query_only, "python3.12", ("handler.py", PY_HANDLER));
    let lines: Vec<String> = (0..600).map(|i| format!("{{\"k\": {i}}}")).collect();
    let (_, report, _) = stack.preview(&lines, &[]);
    assert_eq!(report["summary"]["delivered"], 500, "{}", report["summary"]);
    assert_eq!(report["errors"]["err/activePartitionExceeded/"]["count"], 100, "{}", report["errors"]);
}

#[test]
fn the_jq_engine_in_use_is_named() {
    let query_only = "\n[[firehose.events.processor]]\ntype = \"MetadataExtraction\"\nquery = \"{k: .k}\"\n";
    let stack =
        Stack::new("k=!{partitionKeyFromQuery:k}/", ERRORS, query_only, "python3.12", ("handler.py", PY_HANDLER));
    let records = stack.records(&["{\"k\": 1.0}".into()]);
    let no_programs = tempfile::tempdir().unwrap();
    let run = |engine: Option<&str>| {
        let mut command = crate::common::command(
            &stack.path(),
            "http://127.0.0.1:9",
            &["preview", "--records", records.to_str().unwrap()],
        );
        match engine {
            Some(engine) => command.env("PROVISION_JQ", engine),
            // No jq anywhere this run can see: the built-in one needs none.
            None => command.env_remove("PROVISION_JQ").env("PATH", no_programs.path()),
        };
        let out = command.output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let built_in = run(None);
    assert!(built_in.contains("The jq query ran with jq 1.6 (built in)") && built_in.contains("k=1/"), "{built_in}");
    // A jq 1.6 binary, to compare against (Debian's package installs it at /usr/bin/jq; .ci/run
    // does), unless its named opt-out is set; another jq is refused by name.
    let jq16 = Path::new("/usr/bin/jq").exists();
    assert!(
        jq16 || std::env::var_os("PROVISION_TEST_NO_JQ16").is_some(),
        "jq 1.6 at /usr/bin/jq is required (Debian's jq package), or set PROVISION_TEST_NO_JQ16=1"
    );
    if jq16 {
        let exact = run(Some("/usr/bin/jq"));
        assert!(exact.contains("jq 1.6 (/usr/bin/jq)") && exact.contains("k=1/"), "{exact}");
    }
    let refused = run(Some("/bin/true"));
    assert!(!refused.contains("k=1/"), "{refused}");
}

/// Preview streams its records a chunk at a time (its memory follows the partitions, not the
/// records), yet the function's batches are Firehose's: filled to `buffer_size_mb` in arrival
/// order across chunks (0.2 MB: 2,098 records of 100 bytes), and every record is reported once,
/// in input order.
#[test]
fn lambda_batches_are_filled_across_preview_s_chunks_and_records_stay_in_order() {
    let processors = "[[firehose.events.processor]]\ntype = \"Lambda\"\nfunction = \"lambda.fn\"\nbuffer_size_mb = 0.2\nbuffer_interval_seconds = 60\n";
    let stack = Stack::new(
        "stage=!{partitionKeyFromLambda:stage}/",
        ERRORS,
        processors,
        "python3.12",
        ("handler.py", PY_HANDLER),
    );
    let lines: Vec<String> = (0..5000)
        .map(|i| {
            let head = format!("{{\"i\": {i}, \"pad\": \"");
            format!("{head}{}\"}}", "x".repeat(100 - head.len() - 2))
        })
        .collect();
    assert!(lines.iter().all(|l| l.len() == 100));
    let (code, report, stderr) = stack.preview(&lines, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["invocations"], 3, "2,098 + 2,098 + 804 records; {}", report["summary"]);
    let records = report["records"].as_array().unwrap();
    assert_eq!(records.len(), 5000);
    assert!(records.iter().enumerate().all(|(i, r)| r["index"] == i && r["result"] == "Ok"));
    assert_eq!(report["partitions"]["stage=dev/"], 5000);
}

/// A file of failing records keeps a bounded number of reasons (each names its line): the first
/// 100, and a count of the rest; every record still counted, every record still listed.
#[test]
fn an_error_prefix_keeps_the_first_reasons_and_counts_the_rest() {
    let query_only = "\n[[firehose.events.processor]]\ntype = \"MetadataExtraction\"\nquery = \"{k: .k}\"\n";
    let stack =
        Stack::new("k=!{partitionKeyFromQuery:k}/", ERRORS, query_only, "python3.12", ("handler.py", PY_HANDLER));
    let lines: Vec<String> = (0..150).map(|i| format!("not json {i}")).collect();
    let (code, report, stderr) = stack.preview(&lines, &[]);
    assert_eq!(code, 0, "{stderr}");
    let group = &report["errors"]["err/partitioning-failed/"];
    assert_eq!(group["count"], 150, "{}", report["errors"]);
    assert_eq!(group["reasons"].as_object().unwrap().len(), 100);
    assert_eq!(group["other_reasons"], 50);
    assert_eq!(report["records"].as_array().unwrap().len(), 150);
}
