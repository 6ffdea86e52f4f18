//! The data path with the real binary: preview (offline, exact prefixes), send (through partial
//! batch failures and throttling, nothing lost, nothing twice) and verify (counting what arrived),
//! and the examples applied, planned clean, previewed and destroyed.

use crate::common::proxy::Fault;
use crate::common::*;
use std::path::Path;

/// The CDK sample's own example record.
const SAMPLE: &str = r#"{"type":{"device":"mobile","event":"view"},"customer_id":"123456789012","event_timestamp":1565382027,"region":"us-east-1"}"#;

fn preview_json(stack: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["preview", "--json"];
    all.extend_from_slice(args);
    // No endpoint at all: preview must not need one.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_provision"))
        .arg("-f")
        .arg(stack)
        .args(&all)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn rule_l5_the_sample_record_lands_where_the_sample_says_and_bad_records_say_why() {
    // Inside the repository, the default stack's project: every file a run reads lies in it.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let records = dir.path().join("records.jsonl");
    let no_region = r#"{"type":{"device":"pc","event":"view"},"customer_id":"1","event_timestamp":1565382027}"#;
    std::fs::write(&records, format!("{SAMPLE}\n{no_region}\nnot json\n")).unwrap();
    let stack = Path::new(env!("CARGO_MANIFEST_DIR")).join("stack.toml");
    let report = preview_json(&stack, &["--records", records.to_str().unwrap(), "--at", "2019-08-09T20:21:00Z"]);
    let r = &report["records"];
    assert_eq!(report["stream"], "firehose.events");
    assert_eq!(r[0]["result"], "Ok");
    assert_eq!(r[0]["prefix"], "region=us-east-1/device=mobile/year=2019/month=08/day=09/hour=20/");
    assert_eq!(r[0]["partition_keys"]["region"], "us-east-1");
    // The handler fails on a record without a region: rule L5 (processing-failed, error prefix).
    assert_eq!(r[1]["result"], "ProcessingFailed");
    assert_eq!(r[1]["prefix"], "error/year=2019/month=08/day=09/hour=20/processing-failed");
    assert_eq!(r[2]["result"], "PartitioningFailed");
    assert!(r[2]["error"].as_str().unwrap().contains("(line 3)"), "{}", r[2]);
    assert_eq!(report["partitions"]["region=us-east-1/device=mobile/year=2019/month=08/day=09/hour=20/"], 1);
}

#[test]
fn preview_makes_no_network_call() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let stack = Path::new(env!("CARGO_MANIFEST_DIR")).join("stack.toml");
    let run = run_at(&stack, &endpoint, &["preview", "--count", "50"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("50 records in: 50 delivered"), "{}", run.stdout);
    assert!(listener.accept().is_err(), "preview connected to the endpoint");
}

#[test]
fn preview_explains_what_it_cannot_do() {
    let stack = Path::new(env!("CARGO_MANIFEST_DIR")).join("stack.toml");
    let missing = run_at(&stack, "http://127.0.0.1:9", &["preview", "--records", "/nonexistent/r.jsonl"]);
    assert!(missing.code == 1 && missing.stderr.contains("cannot read /nonexistent/r.jsonl"), "{}", missing.all());
    // No python3 on PATH.
    let empty = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_provision"))
        .arg("-f")
        .arg(&stack)
        .args(["preview", "--count", "1"])
        .env("PATH", empty.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("python3") && stderr.contains("not found"), "{stderr}");
    // Another runtime.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("examples/lambda/metadata_extractor")).unwrap();
    std::fs::write(
        dir.path().join("examples/lambda/metadata_extractor/index.js"),
        "exports.handler = async () => ({})",
    )
    .unwrap();
    let text = std::fs::read_to_string(&stack).unwrap().replace("python3.12", "java21");
    std::fs::write(dir.path().join("stack.toml"), text).unwrap();
    let java = run_at(&dir.path().join("stack.toml"), "http://127.0.0.1:9", &["preview"]);
    java.assert_stderr("preview runs Python (python3.*) and Node.js (nodejs*) handlers only");
}

#[tokio::test]
async fn sent_records_all_arrive_exactly_once_through_partial_failures_and_throttling() {
    let fx = Fixture::with_faults();
    fx.without_tls_only_policy();
    fx.apply();
    // Sending before anything exists is refused by name; here the stream exists.
    fx.faults().inject("PutRecordBatch", Fault::PartialBatch { failed: 7 }, 3);
    let sent = fx.ok(&["send", "--count", "1234"], 0);
    assert!(sent.stdout.contains("1234 accepted") && sent.stdout.contains("0 failed"), "{}", sent.all());
    assert!(!sent.stdout.contains(" 0 retried"), "failed entries were resent: {}", sent.all());
    assert_eq!(records_in_bucket(&fx).await, 1234, "exactly the records sent, none lost, none twice");
    assert_eq!(fx.faults().records_accepted(), 1234);
    let verify = fx.ok(&["verify", "--json"], 0);
    let report: serde_json::Value = serde_json::from_str(&verify.stdout).unwrap();
    assert_eq!(report["records"], 1234);
    assert_eq!(report["unpartitioned"], true);
    assert_eq!(report["conclusion"], "unprocessed", "{report}");
}

/// Records in the stack's bucket (moto writes each batch as it comes).
async fn records_in_bucket(fx: &Fixture) -> usize {
    let s3 = fx.moto.s3().await;
    let listed = s3.list_objects_v2().bucket(BUCKET).send().await.unwrap();
    let mut records = 0;
    for o in listed.contents() {
        let body = s3.get_object().bucket(BUCKET).key(o.key().unwrap()).send().await.unwrap();
        let bytes = body.body.collect().await.unwrap().into_bytes();
        records += serde_json::Deserializer::from_slice(&bytes).into_iter::<serde_json::Value>().count();
    }
    records
}

fn accepted(run: &Run) -> usize {
    let text = &run.stdout;
    let end = text.find(" accepted").unwrap_or_else(|| panic!("no count: {text}"));
    text[..end].rsplit(' ').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn send_never_reports_more_than_arrived_and_says_what_is_unknown() {
    let fx = Fixture::with_faults();
    fx.without_tls_only_policy();
    fx.apply();
    // Stored, then answered 500; an answer that accounts for no entry; a whole-call refusal
    // that may come after storing (ServiceUnavailableException).
    let stored_then_500 = Fault::ErrorAfterForward { status: 500, code: "InternalFailure", message: "oops" };
    fx.faults().inject("PutRecordBatch", stored_then_500.clone(), 1);
    fx.faults().inject("PutRecordBatch", Fault::EmptyBatchAnswer, 1);
    let unavailable = Fault::Error { status: 500, code: "ServiceUnavailableException", message: "Slow down." };
    fx.faults().inject("PutRecordBatch", unavailable, 1);
    let sent = fx.ok(&["send", "--count", "2000", "--in-flight", "1"], 1);
    let arrived = records_in_bucket(&fx).await;
    assert!(accepted(&sent) <= arrived, "reported {} accepted, {arrived} arrived: {}", accepted(&sent), sent.all());
    assert_eq!(accepted(&sent), 500, "{}", sent.all());
    assert_eq!(arrived, 1500, "two unknown batches were stored, none was resent");
    sent.assert_stdout("1500 of unknown outcome (not resent)");
    assert!(
        sent.stderr.contains("may or may not have been stored") && sent.stderr.contains("--resend-unknown"),
        "{}",
        sent.all()
    );
    // Asked to resend: reported as possible duplicates, and they are there twice.
    fx.faults().inject("PutRecordBatch", stored_then_500, 1);
    let resent = fx.ok(&["send", "--count", "500", "--resend-unknown"], 1);
    assert!(
        resent.stdout.contains("500 accepted")
            && resent.stdout.contains("500 resent after an unknown outcome (possible duplicates)"),
        "{}",
        resent.all()
    );
    assert_eq!(records_in_bucket(&fx).await, 1500 + 1000);
}

#[tokio::test]
async fn verify_compares_with_the_preview_of_the_records_sent() {
    let fx = Fixture::new();
    fx.without_tls_only_policy();
    let missing = fx.ok(&["send", "--count", "10"], 1);
    missing.assert_stderr("does not exist: run `provision apply` first");
    fx.apply();
    fx.write_file("records.jsonl", &format!("{SAMPLE}\n{SAMPLE}\n{SAMPLE}\n"));
    let file = fx.dir.path().join("records.jsonl");
    let file = file.to_str().unwrap();
    fx.ok(&["send", "--records", file], 0);
    let verify = fx.ok(&["verify", "--records", file, "--wait", "5"], 0);
    verify.assert_stdout("Against the preview of those records: 3 expected, 3 found.");
    // More records than were sent are expected: verify says so and fails.
    fx.write_file("more.jsonl", &format!("{SAMPLE}\n").repeat(5));
    let more = fx.dir.path().join("more.jsonl");
    let short = fx.ok(&["verify", "--records", more.to_str().unwrap()], 1);
    short.assert_stdout("5 expected, 3 found");
}

/// Each example: validated, previewed, applied, planned clean, destroyed.
#[tokio::test]
async fn every_example_is_previewed_applied_planned_clean_and_destroyed() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let aggregated = dir.path().join("aggregated.jsonl");
    std::fs::write(&aggregated, "{\"region\":\"eu-west-1\"}||{\"region\":\"us-east-1\"}||{\"region\":\"eu-west-1\"}\n")
        .unwrap();
    for (name, records, streams) in [
        ("minimal.toml", None, &[None][..]),
        ("query-partitioning.toml", None, &[None][..]),
        ("shared-bucket.toml", None, &[Some("firehose.clicks"), Some("firehose.views")][..]),
        ("delimited.toml", Some(&aggregated), &[None][..]),
        ("parquet.toml", None, &[None][..]),
    ] {
        let stack = dir.path().join(name);
        std::fs::copy(examples.join(name), &stack).unwrap();
        for stream in streams {
            let mut args: Vec<&str> = vec!["preview", "--json"];
            args.extend(stream.iter());
            match records {
                Some(r) => args.extend(["--records", r.to_str().unwrap()]),
                None => args.extend(["--count", "20"]),
            }
            let preview = run_at(&stack, &moto.endpoint, &args);
            assert_eq!(preview.code, 0, "{name}: {}", preview.all());
            let report: serde_json::Value = serde_json::from_str(&preview.stdout).unwrap();
            if name == "delimited.toml" {
                assert_eq!(report["partitions"]["region=eu-west-1/"], 2, "{name}: {report}");
                assert_eq!(report["partitions"]["region=us-east-1/"], 1);
            } else {
                assert_eq!(report["summary"]["delivered"], 20, "{name}: {report}");
            }
        }
        for step in
            [&["apply", "--auto-approve"][..], &["plan", "--detailed-exitcode"][..], &["destroy", "--auto-approve"][..]]
        {
            let run = run_at(&stack, &moto.endpoint, step);
            assert_eq!(run.code, 0, "{name} {step:?}: {}", run.all());
            let said = match step[0] {
                "apply" => "Apply complete!",
                "plan" => "No changes.",
                _ => "Destroy complete!",
            };
            assert!(run.stdout.contains(said), "{name} {step:?}: {}", run.all());
        }
        // Destroyed: a plan would create everything again.
        let after = run_at(&stack, &moto.endpoint, &["plan", "--json"]);
        let plan: serde_json::Value = serde_json::from_str(&after.stdout).unwrap();
        assert_eq!(plan["summary"]["destroy"], 0, "{name}: {}", after.all());
        assert!(plan["summary"]["add"].as_u64().unwrap() >= 3, "{name}: {}", after.all());
        assert_eq!(plan["summary"]["change"], 0, "{name}: {}", after.all());
    }
    // Two streams share a bucket: each needs naming.
    let shared = dir.path().join("shared-bucket.toml");
    let ambiguous = run_at(&shared, &moto.endpoint, &["preview"]);
    ambiguous.assert_stderr("several streams (firehose.clicks, firehose.views)");
    let views = run_at(
        &shared,
        &moto.endpoint,
        &["preview", "firehose.views", "--count", "10", "--at", "2026-11-26T10:00:00Z"],
    );
    views.assert_stdout("views/device=");
}

#[test]
fn values_from_records_reach_the_terminal_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let stack = dir.path().join("stack.toml");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/query-partitioning.toml"), &stack).unwrap();
    let records = dir.path().join("records.jsonl");
    std::fs::write(&records, "{\"customer_id\":\"evil\\u001b]0;pwned\\u0007\"}\n").unwrap();
    let run = run_at(&stack, "http://127.0.0.1:9", &["-v", "preview", "--records", records.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(!run.all().contains('\u{1b}') && !run.all().contains('\u{7}'), "{:?}", run.all());
    assert!(run.stdout.contains("customer=evil\\x1b]0;pwned\\x07/"), "{}", run.stdout);
}
