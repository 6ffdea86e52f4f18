//! The promises under hostile and unlucky cases, against a real moto server: ownership nothing
//! can fake, locks nothing can steal, runs that end cleanly whatever interrupts them.

use crate::common::*;
use std::io::Write;

const ROLE: &str = "firehose-dp-demo-delivery";

async fn iam(fx: &Fixture) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&fx.moto.sdk_config().await)
}

/// Creates an untagged role and bucket of the names the default stack wants, as a colleague would.
async fn create_theirs(fx: &Fixture) {
    iam(fx)
        .await
        .create_role()
        .role_name(ROLE)
        .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[]}"#)
        .send()
        .await
        .unwrap();
    fx.moto.s3().await.create_bucket().bucket(BUCKET).send().await.unwrap();
}

async fn theirs_are_alive(fx: &Fixture) {
    let role = iam(fx).await.get_role().role_name(ROLE).send().await.unwrap();
    assert!(role.role().unwrap().tags().is_empty(), "the role was never tagged");
    // The bucket is there (a destroy that took it fails here), and carries no tag: S3 answers
    // NoSuchTagSet for a bucket without tags, never for one that is gone.
    let s3 = fx.moto.s3().await;
    assert!(s3.head_bucket().bucket(BUCKET).send().await.is_ok(), "the colleague's bucket was deleted");
    match s3.get_bucket_tagging().bucket(BUCKET).send().await {
        Ok(t) => assert!(t.tag_set().is_empty(), "the bucket was tagged: {:?}", t.tag_set()),
        Err(e) => {
            use aws_sdk_s3::error::ProvideErrorMetadata;
            assert_eq!(e.as_service_error().and_then(|s| s.code()), Some("NoSuchTagSet"), "{e:?}");
        }
    }
}

/// A command waiting at its confirmation prompt, once it has shown `shown` on stdout (printed
/// once live state is read: what happens from now on happens while the run waits to be told yes;
/// answered early, the answer waits in the pipe), with its stdin and its output.
fn at_prompt(fx: &Fixture, args: &[&str], shown: &str) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    let mut child = command(&fx.stack_path(), &fx.endpoint(), args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = lines(child.stdout.take().unwrap());
    wait_for(&out, shown);
    (child, out)
}

/// `apply` waiting at its confirmation prompt.
fn apply_at_prompt(fx: &Fixture) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    at_prompt(fx, &["apply"], "Plan: 6 to add")
}

#[tokio::test]
async fn resources_created_by_others_during_the_prompt_stay_theirs() {
    let fx = Fixture::new();
    let (mut child, out) = apply_at_prompt(&fx);
    create_theirs(&fx).await;
    child.stdin.take().unwrap().write_all(b"yes\n").unwrap();
    let status = child.wait().unwrap();
    // Every line, to the end of the output (the reader ends when the process's stdout closes).
    let printed: Vec<String> = out.iter().collect();
    let printed = printed.join("\n");
    assert_eq!(status.code(), Some(1), "{printed}");
    for what in
        ["role \"firehose-dp-demo-delivery\" appeared", "bucket \"firehose-to-s3-123456789012-us-east-1-an\" appeared"]
    {
        assert!(printed.contains(what), "{what}: {printed}");
    }
    // The next plan calls them conflicts (never adoptions), and destroy leaves them alone.
    let plan = fx.ok(&["plan"], 0);
    assert!(plan.stdout.contains("! role.delivery") && plan.stdout.contains("! bucket.data"), "{}", plan.all());
    assert!(!plan.stdout.contains("adopts"), "{}", plan.all());
    fx.ok(&["destroy", "--auto-approve"], 0);
    theirs_are_alive(&fx).await;
}

#[tokio::test]
async fn records_in_the_lock_bucket_grant_no_ownership() {
    let fx = Fixture::new();
    // Anyone who can write to a lock bucket can write what older versions read as intents,
    // before the bucket of the wanted name is created (the order an interrupted apply leaves).
    let s3 = fx.moto.s3().await;
    s3.create_bucket().bucket(LEGACY_LOCK_BUCKET).send().await.unwrap();
    for key in [
        format!("firehose-dp-demo.intents/role.delivery/{ROLE}"),
        format!("firehose-dp-demo.intents/bucket.data/{BUCKET}"),
    ] {
        s3.put_object().bucket(LEGACY_LOCK_BUCKET).key(key).body(Vec::new().into()).send().await.unwrap();
    }
    create_theirs(&fx).await;
    let plan = fx.ok(&["plan"], 0);
    assert!(plan.stdout.contains("! role.delivery") && plan.stdout.contains("! bucket.data"), "{}", plan.all());
    assert!(!plan.stdout.contains("adopts"), "{}", plan.all());
    // The plan explains the one case an untagged bucket may be the stack's, and its remedy.
    assert!(
        plan.stdout.contains("interrupted apply") && plan.stdout.contains("provision import bucket.data"),
        "{}",
        plan.all()
    );
    let apply = fx.ok(&["apply", "--auto-approve"], 1);
    assert!(apply.all().contains("not owned by this stack"), "{}", apply.all());
    let destroy = fx.ok(&["destroy", "--auto-approve"], 0);
    assert!(!destroy.stdout.contains("Destruction complete"), "{}", destroy.all());
    theirs_are_alive(&fx).await;
}

/// This test process's identity, read as the lock code reads it (`process.rs`, for `locking.rs`). A system that
/// does not tell one of its parts fails the tests that need it, unless
/// `PROVISION_TEST_NO_PROCESS_IDENTITY` is set (never in CI).
fn identity() -> Option<serde_json::Value> {
    let me = provision::process::ProcessIdentity::of_this_process();
    let known =
        !me.machine_id.is_empty() && !me.boot_id.is_empty() && !me.pid_namespace.is_empty() && me.start_time != 0;
    if !known {
        assert!(
            std::env::var_os("PROVISION_TEST_NO_PROCESS_IDENTITY").is_some(),
            "this system does not tell a process's identity ({me:?}): lock takeover cannot be tested here; set PROVISION_TEST_NO_PROCESS_IDENTITY=1 to skip"
        );
        return None;
    }
    Some(serde_json::to_value(me).unwrap())
}

fn holder(pid: u32, process: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "who": format!("ci@box (pid {pid})"), "command": "apply", "since": "2026-12-01T10:00:00Z",
        "host": "box", "pid": pid, "process": process,
    })
}

#[tokio::test]
async fn a_live_holder_keeps_its_lock_whatever_namespace_or_host_name_it_shares() {
    let Some(identity) = identity() else { return };
    let fx = Fixture::new();
    fx.apply();
    let me = std::process::id();
    let mut other_namespace = identity.clone();
    other_namespace["pid_namespace"] = "pid:[4026599999]".into();
    let cases = [
        // A run in another PID namespace (a container) whose pid happens to be free here.
        holder(4_999_999, other_namespace),
        // A live process of this namespace: this test itself.
        holder(me, identity.clone()),
        // A holder that recorded nothing but a host name and pid (another OS, an old version).
        serde_json::json!({"who": "ci@box (pid 4999999)", "command": "apply", "since": "now", "host": "box", "pid": 4_999_999}),
    ];
    for h in cases {
        fx.moto.put_lock(h.clone()).await;
        let refused = fx.ok(&["apply", "--auto-approve"], 1);
        assert!(
            refused.stderr.contains("is locked by ci@box") && refused.stderr.contains("provision unlock"),
            "{h}: {}",
            refused.all()
        );
    }
    // A process of this machine, boot and namespace that no longer exists: taken over.
    fx.moto.put_lock(holder(4_999_999, identity)).await;
    let taken = fx.ok(&["apply", "--auto-approve"], 0);
    taken.assert_stderr("Took over the lock");
}

#[tokio::test]
async fn a_lock_held_in_the_legacy_bucket_is_honoured_until_released() {
    let fx = Fixture::new();
    // A run of an older version holds the stack's lock in the bucket it used.
    let s3 = fx.moto.s3().await;
    s3.create_bucket().bucket(LEGACY_LOCK_BUCKET).send().await.unwrap();
    let live = serde_json::json!({"who": "ci@old (pid 7)", "command": "apply", "since": "2026-12-01T10:00:00Z"});
    fx.moto.put_lock_in(LEGACY_LOCK_BUCKET, live.clone()).await;
    let refused = fx.ok(&["apply", "--auto-approve"], 1);
    refused.assert_stderr("is locked by ci@old (pid 7)");
    assert!(s3.head_bucket().bucket(BUCKET).send().await.is_err(), "nothing was created");
    // `unlock` breaks it there; then the lock is taken in the new bucket.
    let unlock = fx.ok(&["unlock"], 0);
    unlock.assert_stdout("held by ci@old (pid 7)");
    assert!(fx.moto.lock_in(LEGACY_LOCK_BUCKET).await.is_none());
    fx.apply();
    assert!(s3.head_bucket().bucket(LOCK_BUCKET).send().await.is_ok());
    // While the legacy bucket exists, a run holds the lock in both buckets: an older version,
    // which looks only there, waits for it; both objects go when the run ends.
    fx.edit("retention_days = 14", "retention_days = 30");
    let (mut child, _out) = at_prompt(&fx, &["apply"], "Plan: 0 to add, 1 to change");
    let held = fx.moto.lock_in(LEGACY_LOCK_BUCKET).await.expect("the lock is written where older versions look");
    assert!(held.contains("\"command\":\"apply\""), "{held}");
    assert!(fx.moto.lock_in(LOCK_BUCKET).await.is_some());
    child.stdin.take().unwrap().write_all(b"yes\n").unwrap();
    assert!(child.wait().unwrap().success());
    assert!(fx.moto.lock_in(LEGACY_LOCK_BUCKET).await.is_none() && fx.moto.lock_in(LOCK_BUCKET).await.is_none());
    // An older version's lock there stops a newer run, which takes nothing in either bucket.
    fx.moto.put_lock_in(LEGACY_LOCK_BUCKET, live).await;
    let refused = fx.ok(&["apply", "--auto-approve"], 1);
    refused.assert_stderr("is locked by ci@old (pid 7)");
    assert!(fx.moto.lock_in(LOCK_BUCKET).await.is_none(), "nothing taken in the current bucket");
}

#[tokio::test]
async fn unlock_never_breaks_a_lock_taken_again_meanwhile() {
    let fx = Fixture::with_faults();
    fx.moto.put_lock(serde_json::json!({"who": "ann@ci (pid 1)", "command": "apply", "since": "then"})).await;
    // unlock's conditional delete is held in the proxy while ann's run releases the lock and
    // bob's takes it.
    fx.faults().hold("DeleteObject", "unlock");
    let unlock = fx.spawn(&["unlock"]);
    wait_until("unlock's DeleteObject is held in the proxy", || fx.faults().holding("unlock"));
    let s3 = fx.moto.s3().await;
    s3.delete_object().bucket(LOCK_BUCKET).key("firehose-dp-demo.lock").send().await.unwrap();
    fx.moto.put_lock(serde_json::json!({"who": "bob@ci (pid 2)", "command": "apply", "since": "now"})).await;
    fx.faults().release("unlock");
    let out = unlock.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("changed while it was being broken (now held by bob@ci (pid 2))"), "{stderr}");
    let held = fx.moto.lock_in(LOCK_BUCKET).await.expect("bob's lock is still there");
    assert!(held.contains("bob@ci"), "{held}");
}

#[tokio::test]
async fn a_stale_tagging_answer_never_deletes_what_the_stack_does_not_own_now() {
    let fx = Fixture::with_faults();
    fx.apply();
    // Someone's function, untagged: the tagging index still lists it as the stack's (it lags,
    // or it was tagged once), under an address holding a bidi override and a newline.
    let lambda = aws_sdk_lambda::Client::new(&fx.moto.sdk_config().await);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("index.py", zip::write::SimpleFileOptions::default()).unwrap();
    std::io::Write::write_all(&mut zip, b"def handler(e, c):\n    return e\n").unwrap();
    let code = zip.finish().unwrap().into_inner();
    lambda
        .create_function()
        .function_name("their-function")
        .runtime(aws_sdk_lambda::types::Runtime::Python312)
        .handler("index.handler")
        .role("arn:aws:iam::123456789012:role/provision/firehose-dp-demo/firehose-dp-demo-extractor")
        .code(aws_sdk_lambda::types::FunctionCode::builder().zip_file(code.into()).build())
        .send()
        .await
        .unwrap();
    let stale = serde_json::json!({"PaginationToken": "", "ResourceTagMappingList": [{
        "ResourceARN": "arn:aws:lambda:us-east-1:123456789012:function:their-function",
        "Tags": [{"Key": "provision:stack", "Value": "firehose-dp-demo"},
                 {"Key": "provision:address", "Value": "lambda.old\u{202e}x\nlambda.y"}]}]});
    let stale: &'static str = Box::leak(stale.to_string().into_boxed_str());
    fx.faults().inject("GetResources", crate::common::proxy::Fault::Garbage(stale), 100);
    // The plan believes the index (and shows its address escaped, on one line)...
    let plan = fx.ok(&["plan"], 0);
    plan.assert_stdout("- lambda.old\\u{202e}x\\x0alambda.y (their-function)");
    assert!(!plan.all().contains('\u{202e}'), "{:?}", plan.all());
    // ...but the delete is decided on the function's own tags, read right before it: left.
    fx.faults().reset_counts();
    let apply = fx.ok(&["apply", "--auto-approve"], 0);
    apply.assert_stdout("(their-function): left: no longer tagged by this stack");
    assert!(!apply.stdout.contains("lambda.old\\u{202e}x\\x0alambda.y: Destruction complete"), "{}", apply.all());
    assert!(lambda.get_function().function_name("their-function").send().await.is_ok(), "their function is there");
    assert_eq!(fx.faults().seen("DeleteFunction"), 0);
    // Two tag reads: the stack's own function's at plan (the stale index does not list it), and
    // one right before the one delete.
    assert_eq!(fx.faults().seen("ListTags"), 2, "one fresh read for the one delete");
}

#[tokio::test]
async fn import_keeps_a_tag_added_while_it_waited_at_its_prompt() {
    let fx = Fixture::new();
    let s3 = fx.moto.s3().await;
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    // The plan of the import is shown: its tag set has been read.
    let (mut child, _out) = at_prompt(&fx, &["import", "bucket.data"], "will be imported into stack");
    let tag = |k: &str, v: &str| aws_sdk_s3::types::Tag::builder().key(k).value(v).build().unwrap();
    let tagging = aws_sdk_s3::types::Tagging::builder().tag_set(tag("CostCenter", "42")).build().unwrap();
    s3.put_bucket_tagging().bucket(BUCKET).tagging(tagging).send().await.unwrap();
    child.stdin.take().unwrap().write_all(b"yes\n").unwrap();
    assert!(child.wait().unwrap().success());
    let tags = s3.get_bucket_tagging().bucket(BUCKET).send().await.unwrap();
    let keys: Vec<&str> = tags.tag_set().iter().map(|t| t.key()).collect();
    assert!(keys.contains(&"CostCenter"), "the tag added at the prompt is kept: {keys:?}");
    assert!(keys.contains(&"provision:stack"), "{keys:?}");
    // forget, likewise, removes only its own tags from the set as it is now.
    fx.ok(&["forget", "bucket.data", "--auto-approve"], 0);
    let tags = s3.get_bucket_tagging().bucket(BUCKET).send().await.unwrap();
    let keys: Vec<&str> = tags.tag_set().iter().map(|t| t.key()).collect();
    assert_eq!(keys, ["CostCenter"]);
}

#[tokio::test]
async fn lock_timeout_waits_for_the_holder() {
    let fx = Fixture::new();
    fx.apply();
    let elsewhere = serde_json::json!({"who": "bob@ci (pid 7)", "command": "apply", "since": "now"});
    fx.moto.put_lock(elsewhere.clone()).await;
    let refused = fx.ok(&["apply", "--auto-approve", "--lock-timeout", "3s"], 1);
    assert!(refused.stderr.contains("waiting up to 3s") && refused.stderr.contains("(waited 3s)"), "{}", refused.all());
    // Released while the run waits (it says so): it goes on.
    let mut child = fx.spawn(&["apply", "--auto-approve", "--lock-timeout", "1m"]);
    let stderr = lines(child.stderr.take().unwrap());
    wait_for(&stderr, "waiting up to 1m");
    fx.moto.s3().await.delete_object().bucket(LOCK_BUCKET).key("firehose-dp-demo.lock").send().await.unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{:?}", stderr.iter().collect::<Vec<_>>());
    let bad = fx.ok(&["apply", "--lock-timeout", "soon"], 1);
    bad.assert_stderr("expected a duration such as 30s");
}

#[tokio::test]
async fn ctrl_c_at_the_prompt_releases_the_lock() {
    let fx = Fixture::new();
    // SIGTERM (a CI runner cancelling the job) does the same as Ctrl-C.
    for signal in ["-INT", "-TERM"] {
        let (mut child, _out) = apply_at_prompt(&fx);
        // Kept open: a terminal's input stays open when Ctrl-C is pressed.
        let _stdin = child.stdin.take();
        let kill = std::process::Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
        assert!(kill.success());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(130), "{signal}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("lock is released"), "{signal}: {stderr}");
        assert!(fx.moto.lock_in(LOCK_BUCKET).await.is_none(), "{signal}: the lock was released");
    }
}

#[tokio::test]
async fn apply_without_a_terminal_says_how_to_approve() {
    let fx = Fixture::new();
    let run = fx.ok(&["apply"], 1);
    assert!(run.stderr.contains("stdin is not a terminal") && run.stderr.contains("--auto-approve"), "{}", run.all());
}

#[test]
fn usage_errors_exit_1_never_2_and_echo_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let stack = dir.path().join("stack.toml");
    let run = run_at(&stack, "http://127.0.0.1:9", &["plan", "--detailed-exitcode", "--no-such-flag"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let run = run_at(&stack, "http://127.0.0.1:9", &["--var", "a\rb\u{1b}[2J", "validate"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(!run.all().contains('\r') && !run.all().contains('\u{1b}'), "{:?}", run.all());
    let help = run_at(&stack, "http://127.0.0.1:9", &["--help"]);
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("Usage"));
}

#[tokio::test]
async fn a_refused_saved_plan_writes_nothing_not_even_the_lock_bucket() {
    let fx = Fixture::new();
    let planfile = &fx.planfile();
    fx.ok(&["plan", "--out", planfile], 0);
    let mut saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(planfile).unwrap()).unwrap();
    saved["account_id"] = "\u{1b}[31m999\u{07}\u{0}".into();
    std::fs::write(planfile, saved.to_string()).unwrap();
    let refused = fx.ok(&["apply", planfile], 1);
    refused.assert_stderr("the plan is for account");
    assert!(!refused.all().contains('\u{1b}') && !refused.all().contains('\u{07}') && !refused.all().contains('\u{0}'));
    assert!(fx.moto.s3().await.head_bucket().bucket(LOCK_BUCKET).send().await.is_err(), "no lock bucket");
    // Not a plan at all, or not a regular file: refused before anything too.
    std::fs::write(planfile, r#"{"format": "x"}"#).unwrap();
    fx.ok(&["apply", planfile], 1);
    let dev = fx.ok(&["apply", "/dev/zero"], 1);
    dev.assert_stderr("not a regular file");
    assert!(fx.moto.s3().await.head_bucket().bucket(LOCK_BUCKET).send().await.is_err(), "no lock bucket");
}

/// Replaces the default stack's handler with `code` (its `lambda_handler`).
fn handler(fx: &Fixture, code: &str) {
    fx.write_file("examples/lambda/metadata_extractor/index.py", code);
}

/// Host pids of the processes whose command line is `sleep <marker>`, wherever they run (a
/// worker's PID namespace included: the host's /proc shows them all).
fn sleeping(marker: &str) -> Vec<u32> {
    let wanted = format!("sleep\0{marker}\0");
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let alive = std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "));
            alive && std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c == wanted.as_bytes())
        })
        .collect()
}

/// A handler that starts `sleep <marker>` in a session of its own (as a handler escaping its
/// process group would) and then hangs; otherwise it answers with the function's environment.
fn hanging_handler(fx: &Fixture, marker: &str) {
    handler(
        fx,
        &format!(
            r#"
import base64, json, os, subprocess, time
def lambda_handler(event, context):
    if os.environ.get("AWS_SECRET_ACCESS_KEY") or os.environ.get("PROVISION_VAR_x"):
        raise RuntimeError("the user's environment leaked")
    out = []
    for r in event["records"]:
        data = json.loads(base64.b64decode(r["data"]))
        if data.get("hang"):
            subprocess.Popen(["sleep", "{marker}"], start_new_session=True)
            time.sleep(60)
        keys = {{"region": os.environ["STAGE"], "device": os.environ["AWS_REGION"], "year": "y", "month": "m", "day": "d", "hour": "h"}}
        out.append({{"recordId": r["recordId"], "result": "Ok", "data": r["data"], "metadata": {{"partitionKeys": keys}}}})
    return {{"records": out}}
"#
        ),
    );
}

#[test]
fn preview_s_handler_runs_as_the_function_would_and_nothing_it_starts_outlives_it() {
    let fx = Fixture::new();
    let marker = format!("61.{}", fastrand::u32(100_000..999_999));
    // The function's environment reaches the handler; the shell's secrets never do.
    fx.edit("timeout_seconds = 60", "timeout_seconds = 2\nenvironment = { STAGE = \"dev\" }");
    hanging_handler(&fx, &marker);
    fx.write_file("ok.jsonl", "{\"a\": 1}\n");
    fx.write_file("hang.jsonl", "{\"hang\": true}\n");
    let ok = fx.dir.path().join("ok.jsonl");
    let hang = fx.dir.path().join("hang.jsonl");
    let (ok, hang) = (ok.to_str().unwrap(), hang.to_str().unwrap());
    let run = fx.run_env(
        &["preview", "--records", ok, "--json"],
        &[("AWS_SECRET_ACCESS_KEY", Some("s3cr3t-key")), ("PROVISION_VAR_x", Some("shell-value"))],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        report["records"][0]["prefix"], "region=dev/device=us-east-1/year=y/month=m/day=d/hour=h/",
        "{}",
        run.stdout
    );
    // A handler that starts a process in a session of its own and hangs: timed out, and its
    // process is gone with it (the worker's PID namespace ends with the worker).
    let run = fx.run(&["preview", "--records", hang, "--json"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("Task timed out after 2.00 seconds"), "{}", run.stdout);
    wait_until("the handler's process is gone after the timeout", || sleeping(&marker).is_empty());
    // SIGTERM, then SIGKILL, while the handler runs: provision ends and nothing it started
    // outlives it.
    fx.edit("timeout_seconds = 2", "timeout_seconds = 60");
    for signal in ["-TERM", "-KILL"] {
        let child = fx.spawn(&["preview", "--records", hang]);
        wait_until("the handler started its process", || !sleeping(&marker).is_empty());
        std::process::Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
        let out = child.wait_with_output().unwrap();
        if signal == "-TERM" {
            assert_eq!(out.status.code(), Some(130));
        }
        wait_until(&format!("the handler's process is gone after kill {signal}"), || sleeping(&marker).is_empty());
    }
}

#[test]
fn inputs_that_crashed_end_in_a_message() {
    // Inside the repository, named as the project: every file a run reads lies in it.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let deep = dir.path().join("deep.jsonl");
    // 60,000 levels: deep enough to overflow a recursive parser, under the 1,000 KiB record limit.
    std::fs::write(&deep, format!("{}1{}\n", "{\"customer_id\":".repeat(60_000), "}".repeat(60_000))).unwrap();
    let deep = deep.to_str().unwrap();
    for stack in ["stack.toml", "examples/query-partitioning.toml"] {
        let project = repo.to_str().unwrap();
        let run = run_at(
            &repo.join(stack),
            "http://127.0.0.1:9",
            &["--project-dir", project, "preview", "--records", deep, "--json"],
        );
        assert_eq!(run.code, 0, "{stack}: {}", run.all());
        let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(report["summary"]["failed"], 1, "{stack}: {}", run.stdout);
    }
    let stack = repo.join("stack.toml");
    for (args, says) in [
        (&["--api-rate", "STS=1e-300", "plan"][..], "0.01 to 100000 requests per second"),
        (&["verify", "--wait", "18446744073709551615"][..], "--wait"),
        (&["preview", "--rate", "1e-320"][..], "above 0"),
        (&["send", "--rate", "NaN"][..], "above 0"),
    ] {
        let run = run_at(&stack, "http://127.0.0.1:9", args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.all());
        assert!(run.stderr.contains(says) && !run.stderr.contains("panicked"), "{args:?}: {}", run.all());
    }
}

#[tokio::test]
async fn dev_and_prod_from_one_file_coexist() {
    let fx = Fixture::new();
    fx.edit("name = \"firehose-dp-demo\"", "name = \"firehose-dp-${var.env}\"");
    fx.edit("[variables]", "[variables]\nenv = \"dev\"");
    fx.edit("firehose-to-s3-${aws.account_id}", "firehose-to-s3-${var.env}-${aws.account_id}");
    fx.edit("/aws/kinesisfirehose/${var.stream_name}", "/aws/kinesisfirehose/${var.stream_name}-${var.env}");
    fx.edit("name = \"MetadataExtractor\"", "name = \"MetadataExtractor-${var.env}\"");
    fx.edit("name = \"${var.stream_name}\"", "name = \"${var.stream_name}-${var.env}\"");
    fx.apply();
    fx.write_file("prod.toml", "env = \"prod\"\n");
    let prod = fx.dir.path().join("prod.toml");
    let prod = ["--var-file", prod.to_str().unwrap()];
    let plan = fx.ok(&[&prod[..], &["plan"]].concat(), 0);
    assert!(
        plan.stdout.contains("Plan: 6 to add, 0 to change, 0 to destroy."),
        "prod is planned beside dev: {}",
        plan.all()
    );
    assert!(!plan.stdout.contains("renamed from"), "{}", plan.all());
    fx.ok(&[&prod[..], &["apply", "--auto-approve"]].concat(), 0);
    fx.assert_clean();
    fx.ok(&[&prod[..], &["plan", "--detailed-exitcode"]].concat(), 0);
    let destroy = fx.ok(&[&prod[..], &["destroy", "--auto-approve"]].concat(), 0);
    assert!(destroy.stdout.contains("6 destroyed") && !destroy.stdout.contains("-dev"), "{}", destroy.all());
    fx.assert_clean();
    // The stack's name and region may use variables only.
    fx.edit("name = \"firehose-dp-${var.env}\"", "name = \"firehose-dp-${aws.region}\"");
    let bad = fx.ok(&["validate"], 1);
    assert!(bad.stderr.contains("stack.name") && bad.stderr.contains("variables only"), "{}", bad.all());
}

#[test]
fn an_answer_no_sdk_can_read_is_one_line_naming_the_call() {
    let fx = Fixture::with_faults();
    // Applied first: a role that does not exist is not read (the account's listing lacks it).
    fx.apply();
    let garbage: &'static str = Box::leak(format!("<html>\u{1b}[2J{}</html>", "x".repeat(4000)).into_boxed_str());
    fx.faults().inject("GetRole", crate::common::proxy::Fault::Garbage(garbage), 100);
    let plan = fx.ok(&["plan"], 1);
    let error = plan.stderr.lines().find(|l| l.starts_with("error:")).unwrap_or_else(|| panic!("{}", plan.all()));
    assert!(error.len() < 400, "{} characters: {error}", error.len());
    assert!(error.contains("reading role") && error.contains("could not be read (HTTP 200)"), "{error}");
    assert!(!plan.all().contains('\u{1b}'));
}

#[tokio::test]
async fn send_stops_at_once_on_an_interrupt_even_while_its_input_is_silent() {
    let fx = Fixture::new();
    fx.apply();
    let fifo = fx.dir.path().join("records");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let child = fx.spawn(&["send", "--records", fifo.to_str().unwrap()]);
    // A writer that opens the pipe and never writes. Opening returns once send has opened the
    // pipe to read it: by then send handles interrupts (it does before it opens its records).
    let writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    // It ends while the writer still holds the pipe open and silent: ending at all is the proof
    // (a run that waited for input would be ended by the suite's watchdog, .config/nextest.toml).
    let out = child.wait_with_output().unwrap();
    drop(writer);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.contains("0 accepted") && stdout.contains("Stopped before the end of the records: interrupted"),
        "{stdout}"
    );
}
