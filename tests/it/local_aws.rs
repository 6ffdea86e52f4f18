//! What the local AWS cannot show, each command says (docs/src/local-aws.md): moto stores the
//! records it is sent as they are, back to back under the literal prefix, uncompressed, and runs
//! no processor, publishes no metric and writes no log. Each case here failed before: verify
//! reported 0 records of a compressing stream and 1 of 3 records not all JSON, and send, status
//! and logs looked healthy while the function failed every record.

use crate::common::*;

const NO_TLS: (&str, Option<&str>) = ("PROVISION_VAR_require_tls", Some("false"));

#[tokio::test]
async fn verify_reads_a_compressing_stream_s_objects_the_emulator_left_uncompressed_and_says_so() {
    let fx = Fixture::example("query-partitioning.toml");
    let run = |args: &[&str]| fx.run_env(args, &[NO_TLS]);
    assert_eq!(run(&["apply", "--auto-approve"]).code, 0);
    assert_eq!(run(&["send", "--count", "50"]).code, 0);
    let verify = run(&["verify"]);
    assert_eq!(verify.code, 0, "{}", verify.all());
    verify.assert_stdout("What this shows: 50 records arrived.");
    assert!(
        verify
            .stdout
            .contains("1 object not compressed though the stream's compression is GZIP: the endpoint is not AWS"),
        "{}",
        verify.all()
    );
    assert!(!verify.stdout.contains("not gzip"), "the objects were read: {}", verify.all());
}

#[tokio::test]
async fn verify_compares_records_that_are_not_all_json_by_their_size() {
    let fx = Fixture::new();
    let run = |args: &[&str]| fx.run_env(args, &[NO_TLS]);
    assert_eq!(run(&["apply", "--auto-approve"]).code, 0);
    // Records files stay in the project: the sample is copied into it.
    let text = std::fs::read_to_string(repo().join("examples/records/sample.jsonl")).unwrap();
    fx.write_file("sample.jsonl", &text);
    let sample = fx.dir.path().join("sample.jsonl");
    let sample = sample.to_str().unwrap();
    assert_eq!(run(&["send", "--records", sample]).code, 0);
    let verify = run(&["verify", "--records", sample]);
    assert_eq!(verify.code, 0, "{}", verify.all());
    verify.assert_stdout("Against the records sent: 3 records, 241 B sent, 241 B found.");
    verify.assert_stdout("every byte of the 3 records sent arrived");
    assert!(!verify.stdout.contains("1 found"), "{}", verify.all());
    // Fewer bytes than the file holds: the comparison fails.
    fx.write_file("more.jsonl", &format!("{text}{{\"extra\": 1}}\n"));
    let more = fx.dir.path().join("more.jsonl");
    let short = run(&["verify", "--records", more.to_str().unwrap()]);
    assert_eq!(short.code, 1, "{}", short.all());
    short.assert_stdout("241 B of the 253 B sent arrived");
}

#[tokio::test]
async fn send_status_and_logs_say_what_the_emulator_cannot_show_while_the_function_fails_every_record() {
    let fx = Fixture::new();
    // A function that fails every record: only preview, which runs it, can tell.
    fx.edit_file(
        "examples/lambda/metadata_extractor/index.py",
        "def transform(firehose_record):",
        "def transform(firehose_record):\n    raise RuntimeError(\"broken\")\n\n\ndef unused(firehose_record):",
    );
    let run = |args: &[&str]| fx.run_env(args, &[NO_TLS]);
    assert_eq!(run(&["apply", "--auto-approve"]).code, 0);
    let preview = run(&["preview", "--count", "5"]);
    assert!(preview.all().contains("broken"), "preview runs the function: {}", preview.all());

    let send = run(&["send", "--count", "20"]);
    assert_eq!(send.code, 0, "{}", send.all());
    assert!(
        send.stderr.contains(
            "note: this endpoint is not AWS: it stores the records without running the stream's processors (RecordDeAggregation, AppendDelimiterToRecord, Lambda lambda.extractor)"
        ),
        "{}",
        send.all()
    );
    let status = run(&["status"]);
    assert!(!status.stdout.contains("Healthy"), "{}", status.all());
    status.assert_stdout("the pipeline's health is not known here");
    let logs = run(&["logs"]);
    logs.assert_stderr("it runs no function and no delivery");
}

/// A new user applies every example into one account, one after another: none conflicts with
/// another (examples/fleet.toml and examples/regions.toml once shared 18 names), each plans clean
/// once all are applied, and each destroys only its own.
#[tokio::test]
async fn every_example_applies_side_by_side_in_one_account_and_destroys_only_its_own() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("examples"), &dir.path().join("examples"));
    std::fs::copy(repo().join("stack.toml"), dir.path().join("stack.toml")).unwrap();
    let mut stacks: Vec<std::path::PathBuf> = std::fs::read_dir(dir.path().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    stacks.sort();
    stacks.push(dir.path().join("stack.toml"));
    assert!(stacks.len() >= 8, "{stacks:?}");
    let run = |stack: &std::path::Path, args: &[&str]| {
        let out = command(stack, &moto.endpoint, args).env("PROVISION_VAR_require_tls", "false").output().unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), text)
    };
    for stack in &stacks {
        let (code, plan, all) = run(stack, &["plan", "--json"]);
        assert_eq!(code, 0, "{}: {all}", stack.display());
        let plan: serde_json::Value = serde_json::from_str(&plan).unwrap();
        assert_eq!(plan["summary"]["conflict"], 0, "{}: {}", stack.display(), plan["summary"]);
        let (code, _, all) = run(stack, &["apply", "--auto-approve"]);
        assert_eq!(code, 0, "{}: {all}", stack.display());
    }
    for stack in &stacks {
        let (code, _, all) = run(stack, &["plan", "--detailed-exitcode"]);
        assert_eq!(code, 0, "{} after every example was applied: {all}", stack.display());
    }
    for stack in stacks.iter().rev() {
        let (code, _, all) = run(stack, &["destroy", "--auto-approve"]);
        assert_eq!(code, 0, "{}: {all}", stack.display());
        for other in stacks.iter().take_while(|s| *s != stack) {
            let (code, _, all) = run(other, &["plan", "--detailed-exitcode"]);
            assert_eq!(code, 0, "{} after {} was destroyed: {all}", other.display(), stack.display());
        }
    }
}
