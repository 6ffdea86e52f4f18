//! The verbs a Terraform user reaches for daily, against moto: --target, --replace,
//! plan --destroy with --out and show, graph, output --raw, forget, ignore_tags, existing
//! resources, import with its plan.

use crate::common::*;
use std::collections::BTreeSet;

/// The edges of a DOT graph, as (from, to).
fn dot_edges(dot: &str) -> BTreeSet<(String, String)> {
    dot.lines()
        .filter_map(|l| l.trim().strip_suffix(';')?.split_once(" -> "))
        .map(|(a, b)| (a.trim_matches('"').to_string(), b.trim_matches('"').to_string()))
        .collect()
}

/// The edges of a JSON plan (`after`), as (from, to).
fn plan_edges(plan: &serde_json::Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for c in plan["changes"].as_array().unwrap() {
        for a in c["after"].as_array().cloned().unwrap_or_default() {
            out.insert((c["address"].as_str().unwrap().to_string(), a.as_str().unwrap().to_string()));
        }
    }
    out
}

#[tokio::test]
async fn target_replace_graph_and_outputs() {
    let fx = Fixture::new();
    // --target: only the function and what it needs.
    let plan = fx.ok(&["plan", "--target", "lambda.extractor"], 0);
    plan.assert_stdout("Plan: 2 to add, 0 to change, 0 to destroy.");
    plan.assert_stderr("this plan is partial");
    let typo = fx.ok(&["plan", "--target", "lambda.extracter"], 1);
    typo.assert_stderr("did you mean `lambda.extractor`");
    fx.ok(&["apply", "--auto-approve", "--target", "lambda.extractor"], 0);
    let rest = fx.ok(&["plan", "--detailed-exitcode"], 2);
    rest.assert_stdout("Plan: 4 to add, 0 to change, 0 to destroy.");
    fx.apply();

    // graph: DOT whose edges are the plan's own (the executor's).
    let dot = fx.ok(&["graph"], 0).stdout;
    assert!(dot.starts_with("digraph \"firehose-dp-demo\" {") && dot.trim_end().ends_with('}'), "{dot}");
    let edges = dot_edges(&dot);
    assert_eq!(edges, plan_edges(&fx.json_plan()));
    assert!(edges.contains(&("firehose.events".into(), "lambda.extractor".into())), "{edges:?}");
    assert!(edges.contains(&("lambda.extractor".into(), "role.extractor".into())), "{edges:?}");

    // output NAME --raw, for scripts.
    let arn = fx.ok(&["output", "firehose.events", "--raw"], 0).stdout;
    assert_eq!(arn, format!("arn:aws:firehose:us-east-1:123456789012:deliverystream/{STREAM}"));
    assert_eq!(fx.ok(&["output", "bucket.data.name", "--raw"], 0).stdout, BUCKET);
    assert!(fx.ok(&["output", "bucket.nope", "--raw"], 1).stderr.contains("not a resource of this stack"));

    // --replace: the function is replaced though nothing forces it; the stream follows it.
    let plan = fx.ok(&["plan", "--replace", "lambda.extractor"], 0);
    plan.assert_stdout("replacement requested with --replace");
    plan.assert_stdout("Plan: 1 to add, 1 to change, 1 to destroy.");
    fx.ok(&["apply", "--auto-approve", "--replace", "lambda.extractor"], 0);
    fx.assert_clean();
}

#[tokio::test]
async fn a_saved_destroy_plan_is_shown_then_applied() {
    let fx = Fixture::new();
    // -q: the final result only, no plan, no outputs.
    let quiet = fx.ok(&["-q", "apply", "--auto-approve"], 0);
    assert_eq!(quiet.stdout.trim(), "Apply complete! Resources: 6 added, 0 changed, 0 destroyed.", "{}", quiet.all());
    let json: serde_json::Value = serde_json::from_str(&fx.ok(&["plan", "--destroy", "--json"], 0).stdout).unwrap();
    assert_eq!(json["summary"]["destroy"], 6);
    let one: serde_json::Value = serde_json::from_str(&fx.ok(&["output", "bucket.data", "--json"], 0).stdout).unwrap();
    assert_eq!(one["name"], BUCKET);
    let plan_path = fx.stack_path().with_file_name("destroy.plan");
    let plan_file = plan_path.to_str().unwrap();
    let planned = fx.ok(&["plan", "--destroy", "--out", plan_file], 0);
    planned.assert_stdout("Plan: 0 to add, 0 to change, 6 to destroy.");
    let shown = fx.ok(&["show", plan_file], 0);
    shown.assert_stdout("firehose.events will be destroyed");
    let json: serde_json::Value = serde_json::from_str(&fx.ok(&["show", plan_file, "--json"], 0).stdout).unwrap();
    assert_eq!(json["summary"]["destroy"], 6);
    let live = fx.ok(&["show"], 0);
    assert!(
        live.stdout.contains("# firehose.events") && live.stdout.contains("dynamic_partitioning"),
        "{}",
        live.all()
    );
    let applied = fx.ok(&["apply", plan_file], 0);
    applied.assert_stdout("Destroy complete! Resources: 0 added, 0 changed, 6 destroyed.");
    let after = fx.ok(&["plan", "--detailed-exitcode"], 2);
    after.assert_stdout("6 to add");
}

#[tokio::test]
async fn forget_keeps_the_resource_and_ignored_tags_are_never_drift() {
    let fx = Fixture::new();
    fx.edit(
        "tags = { project = \"firehose-dynamic-partitioning\" }",
        "tags = { project = \"firehose-dynamic-partitioning\" }\nignore_tags = { keys = [\"CostCenter\"], key_prefixes = [\"org:\"] }",
    );
    fx.apply();
    let s3 = fx.moto.s3().await;
    let mut tags = s3.get_bucket_tagging().bucket(BUCKET).send().await.unwrap().tag_set().to_vec();
    for (k, v) in [("CostCenter", "42"), ("org:team", "data")] {
        tags.push(aws_sdk_s3::types::Tag::builder().key(k).value(v).build().unwrap());
    }
    let tagging = aws_sdk_s3::types::Tagging::builder().set_tag_set(Some(tags)).build().unwrap();
    s3.put_bucket_tagging().bucket(BUCKET).tagging(tagging).send().await.unwrap();
    fx.assert_clean();

    // A change to the bucket writes its whole tag set: the ignored tags survive it.
    fx.edit("tags = { project = \"firehose-dynamic-partitioning\" }", "tags = { project = \"renamed\" }");
    fx.apply();
    let kept = s3.get_bucket_tagging().bucket(BUCKET).send().await.unwrap();
    let keys: Vec<&str> = kept.tag_set().iter().map(|t| t.key()).collect();
    assert!(keys.contains(&"CostCenter") && keys.contains(&"org:team"), "{keys:?}");

    // forget: the log group leaves the stack, untouched otherwise.
    let refused = fx.run(&["forget", "log_group.delivery"]);
    assert_eq!(refused.code, 1);
    refused.assert_stderr("--auto-approve");
    refused.assert_stdout("still declares log_group.delivery");
    let forgot = fx.ok(&["forget", "log_group.delivery", "--auto-approve"], 0);
    forgot.assert_stdout("no longer part of stack");
    let logs = aws_sdk_cloudwatchlogs::Client::new(&fx.moto.sdk_config().await);
    let group = "/aws/kinesisfirehose/PUT-S3-lambda";
    let found = logs.describe_log_groups().log_group_name_prefix(group).send().await.unwrap();
    assert_eq!(found.log_groups().len(), 1, "the log group is still there");
    let arn = found.log_groups()[0].arn().unwrap().trim_end_matches(":*").to_string();
    let tags = logs.list_tags_for_resource().resource_arn(&arn).send().await.unwrap();
    let tags = tags.tags().cloned().unwrap_or_default();
    assert!(!tags.contains_key("provision:stack") && tags.contains_key("project"), "{tags:?}");
}

#[tokio::test]
async fn an_existing_bucket_is_used_and_left_alone() {
    let fx = Fixture::new();
    let s3 = fx.moto.s3().await;
    s3.create_bucket().bucket("data-lake-shared").send().await.unwrap();
    fx.edit("bucket = \"bucket.data\"", "bucket = { existing = \"data-lake-missing\" }");
    let refused = fx.ok(&["plan"], 1);
    refused.assert_stderr("firehose.events.bucket: the existing bucket \"data-lake-missing\" does not exist");
    fx.edit("{ existing = \"data-lake-missing\" }", "{ existing = \"data-lake-shared\" }");
    // The function runs with a shared role the stack does not own.
    let iam = fx.moto.lambda_role_by_hand("shared-lambda", "/team/", None).await;
    fx.edit(
        "role = \"role.extractor\"",
        "role = { existing_arn = \"arn:aws:iam::123456789012:role/team/shared-lambda\" }",
    );
    fx.apply();
    fx.assert_clean();
    let lambda = aws_sdk_lambda::Client::new(&fx.moto.sdk_config().await);
    let function = lambda.get_function().function_name("MetadataExtractor").send().await.unwrap();
    let role = function.configuration().and_then(|c| c.role()).unwrap_or_default().to_string();
    assert_eq!(role, "arn:aws:iam::123456789012:role/team/shared-lambda");
    let firehose = aws_sdk_firehose::Client::new(&fx.moto.sdk_config().await);
    let d = firehose.describe_delivery_stream().delivery_stream_name(STREAM).send().await.unwrap();
    let dest =
        d.delivery_stream_description().unwrap().destinations()[0].extended_s3_destination_description().unwrap();
    assert_eq!(dest.bucket_arn(), "arn:aws:s3:::data-lake-shared");
    let document = generated_policy(&iam, "firehose-dp-demo-delivery").await;
    assert!(document.contains("arn:aws:s3:::data-lake-shared/*"), "{document}");
    fx.ok(&["destroy", "--auto-approve"], 0);
    assert!(s3.head_bucket().bucket("data-lake-shared").send().await.is_ok(), "the existing bucket is left alone");
    assert!(iam.get_role().role_name("shared-lambda").send().await.is_ok(), "and the existing role");
}

#[tokio::test]
async fn import_shows_its_plan_and_asks() {
    let fx = Fixture::new();
    let s3 = fx.moto.s3().await;
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let asked = fx.run(&["import", "bucket.data"]);
    assert_eq!(asked.code, 1, "{}", asked.all());
    asked.assert_stdout("+ tags.provision:stack = \"firehose-dp-demo\"");
    asked.assert_stdout("Then `provision apply` would change");
    assert!(
        asked.stderr.contains("stdin is not a terminal") && asked.stderr.contains("--auto-approve"),
        "{}",
        asked.all()
    );
    assert!(s3.get_bucket_tagging().bucket(BUCKET).send().await.is_err(), "nothing was tagged");
    fx.ok(&["import", "bucket.data", "--auto-approve"], 0);
    let tags = s3.get_bucket_tagging().bucket(BUCKET).send().await.unwrap();
    assert!(tags.tag_set().iter().any(|t| t.key() == "provision:stack"));
}

async fn put_log(logs: &aws_sdk_cloudwatchlogs::Client, group: &str, message: &str) {
    let _ = logs.create_log_stream().log_group_name(group).log_stream_name("s").send().await;
    let event = aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
        .timestamp(chrono::Utc::now().timestamp_millis())
        .message(message)
        .build()
        .unwrap();
    logs.put_log_events().log_group_name(group).log_stream_name("s").log_events(event).send().await.unwrap();
}

/// How many log groups start with `prefix`.
async fn groups_under(logs: &aws_sdk_cloudwatchlogs::Client, prefix: &str) -> usize {
    logs.describe_log_groups().log_group_name_prefix(prefix).send().await.unwrap().log_groups().len()
}

#[tokio::test]
async fn a_functions_log_group_is_owned_and_its_logs_followed() {
    let fx = Fixture::new();
    fx.edit("publish = true", "publish = true\nlog_retention_days = 14");
    let apply = fx.apply();
    apply.assert_stdout("Resources: 7 added");
    fx.assert_clean();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&fx.moto.sdk_config().await);
    let group = "/aws/lambda/MetadataExtractor";
    let found = logs.describe_log_groups().log_group_name_prefix(group).send().await.unwrap();
    assert_eq!(found.log_groups()[0].retention_in_days(), Some(14));
    // Nothing logged yet: said, not an empty screen.
    let none = fx.ok(&["logs", "lambda.extractor"], 0);
    assert!(none.stdout.is_empty(), "{}", none.all());
    none.assert_stderr("No log events in the last 10m for lambda.extractor");

    // A newline inside a message cannot forge a line of provision's output.
    put_log(&logs, group, "first\nlambda.extractor 2026-01-01T00:00:00.000Z forged").await;
    let forged = fx.ok(&["logs", "lambda.extractor", "--since", "1h"], 0);
    assert_eq!(forged.stdout.lines().count(), 1, "{}", forged.all());
    forged.assert_stdout("first\\x0alambda.extractor");

    put_log(&logs, group, "recordId=49546986683135544286507457936321625675700192471156785154 \x1b[31mred").await;
    let printed = fx.ok(&["logs", "lambda.extractor", "--since", "1h"], 0);
    assert!(printed.stdout.starts_with("lambda.extractor 20"), "{}", printed.all());
    assert_eq!(printed.stdout.lines().count(), 2, "{}", printed.all());
    assert!(
        printed.stdout.contains("recordId=4954698668") && printed.stdout.contains("\\x1b[31mred"),
        "escaped: {}",
        printed.all()
    );

    let mut follow = fx.spawn(&["logs", "--follow", "--since", "1h"]);
    let lines = wait_for_line(&mut follow, "recordId=4954698668");
    put_log(&logs, group, "a later event").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut seen = false;
    while std::time::Instant::now() < deadline && !seen {
        seen = lines.recv_timeout(std::time::Duration::from_millis(200)).is_ok_and(|l| l.contains("a later event"));
    }
    assert!(seen, "--follow printed the new event");
    interrupt(&follow);
    assert!(follow.wait().unwrap().success(), "Ctrl-C ends --follow cleanly");

    // It holds events: destroy refuses it, and deletes nothing, until log_force_destroy says so.
    let refused = fx.ok(&["destroy", "--auto-approve"], 1);
    refused.assert_stderr("log_group.lambda_extractor (/aws/lambda/MetadataExtractor) holds");
    refused.assert_stderr("byte(s) of log events; nothing was deleted");
    assert_eq!(groups_under(&logs, group).await, 1, "nothing deleted");
    fx.assert_clean();
    fx.edit("log_retention_days = 14", "log_retention_days = 14\nlog_force_destroy = true");
    fx.assert_clean();
    fx.ok(&["destroy", "--auto-approve"], 0);
    assert_eq!(groups_under(&logs, group).await, 0, "destroy removes the function's log group");
}

/// The check ahead of a destroy reads DescribeLogGroups' `storedBytes`, which AWS updates late:
/// so right before its delete, FilterLogEvents is asked again, and a group found holding events
/// then (written after the plan) is kept, as is one whose answer stays unsure (an empty page
/// with a token, page after page), while the rest of the stack is deleted.
#[tokio::test]
async fn a_log_group_is_asked_for_events_right_before_its_delete_and_kept_unless_empty_for_sure() {
    use crate::common::proxy::Fault;
    let fx = Fixture::with_faults();
    fx.apply();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&fx.moto.sdk_config().await);
    let group = "/aws/kinesisfirehose/PUT-S3-lambda";
    let kept = "holds log events (found right before its delete): left in place";
    fx.faults().hold("DeleteDeliveryStream", "stream");
    let child = fx.spawn(&["destroy", "--auto-approve"]);
    wait_until("the proxy holds DeleteDeliveryStream", || fx.faults().holding("stream"));
    put_log(&logs, group, "written after the plan").await;
    fx.faults().release("stream");
    let out = child.wait_with_output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains(kept), "{said}");
    assert_eq!(groups_under(&logs, group).await, 1, "kept: {said}");
    let firehose = aws_sdk_firehose::Client::new(&fx.moto.sdk_config().await);
    let streams = firehose.list_delivery_streams().send().await.unwrap();
    assert!(streams.delivery_stream_names().is_empty(), "the rest is deleted: {said}");

    // Empty now, but AWS keeps answering an empty page with a token: not "empty" for sure.
    logs.delete_log_stream().log_group_name(group).log_stream_name("s").send().await.unwrap();
    fx.faults().inject("FilterLogEvents", Fault::Garbage(r#"{"events":[],"nextToken":"more"}"#), 100);
    fx.ok(&["destroy", "--auto-approve"], 1).assert_stdout(kept);
    fx.faults().clear();
    fx.ok(&["destroy", "--auto-approve"], 0);
    assert_eq!(groups_under(&logs, group).await, 0, "an empty group is deleted");
}

/// A log group someone else made under a wanted name (as Lambda makes a function's on its first
/// run) is a conflict, never adopted by apply: `provision import` adopts it.
#[tokio::test]
async fn a_log_group_made_elsewhere_is_imported_never_adopted() {
    let fx = Fixture::new();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&fx.moto.sdk_config().await);
    let group = "/aws/kinesisfirehose/PUT-S3-lambda";
    logs.create_log_group().log_group_name(group).send().await.unwrap();
    let plan = fx.ok(&["plan"], 0);
    assert!(plan.stdout.contains("log_group.delivery") && plan.stdout.contains("not owned"), "{}", plan.all());
    let refused = fx.ok(&["apply", "--auto-approve"], 1);
    refused.assert_stderr("provision import");
    let found = logs.describe_log_groups().log_group_name_prefix(group).send().await.unwrap();
    let arn = found.log_groups()[0].log_group_arn().unwrap().to_string();
    let tags = logs.list_tags_for_resource().resource_arn(&arn).send().await.unwrap();
    assert!(tags.tags().is_none_or(|t| t.is_empty()), "apply tagged nothing: {tags:?}");
    fx.ok(&["import", "log_group.delivery", "--auto-approve"], 0);
    fx.apply();
    fx.assert_clean();
}

#[tokio::test]
async fn destroy_is_not_blocked_by_what_only_creating_needs_and_says_what_holds_data() {
    let fx = Fixture::new();
    fx.without_tls_only_policy();
    fx.apply();
    fx.ok(&["send", "--count", "3"], 0);
    // AWS retires the managed policy a role attaches: creating would fail, so plan refuses...
    fx.edit("AWSLambdaBasicExecutionRole", "RetiredPolicy");
    let refused = fx.ok(&["plan"], 1);
    refused.assert_stderr("the managed policy");
    // ...but a plan that only deletes does not need it.
    let plan = fx.ok(&["plan", "--destroy"], 0);
    plan.assert_stdout("Plan: 0 to add, 0 to change, 6 to destroy.");
    assert!(
        plan.stderr.contains("bucket.data (firehose-to-s3-123456789012-us-east-1-an) holds")
            && plan.stderr.contains("object version(s): destroy will refuse it without force_destroy = true"),
        "{}",
        plan.all()
    );
    let destroy = fx.ok(&["destroy", "--auto-approve"], 1);
    destroy.assert_stderr("object version(s); nothing was deleted");
    fx.edit("force_destroy = false", "force_destroy = true");
    let destroy = fx.ok(&["destroy", "--auto-approve"], 0);
    destroy.assert_stdout("6 destroyed");
}

/// Sends SIGINT to a child (as Ctrl-C would).
fn interrupt(child: &std::process::Child) {
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
}

#[tokio::test]
async fn watch_hotswaps_code_and_leaves_the_rest_to_apply() {
    let fx = Fixture::new();
    fx.apply();
    let lambda = aws_sdk_lambda::Client::new(&fx.moto.sdk_config().await);
    let sha = |out: aws_sdk_lambda::operation::get_function::GetFunctionOutput| {
        out.configuration().and_then(|c| c.code_sha256()).unwrap_or_default().to_string()
    };
    let before = sha(lambda.get_function().function_name("MetadataExtractor").send().await.unwrap());
    let mut watch = fx.spawn(&["watch"]);
    let lines = wait_for_line(&mut watch, "No changes.");
    let source = fx.stack_path().with_file_name("examples/lambda/metadata_extractor/index.py");
    let code = std::fs::read_to_string(&source).unwrap();
    std::fs::write(&source, format!("{code}\n# saved again\n")).unwrap();
    let wait_for = |text: &str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            if let Ok(l) = lines.recv_timeout(std::time::Duration::from_millis(200)) {
                if l.contains(text) {
                    return l;
                }
            }
        }
        panic!("watch never printed {text:?}");
    };
    let line = wait_for("Hotswapped");
    assert!(line.contains("lambda.extractor") && line.contains("firehose.events"), "{line}");
    let after = sha(lambda.get_function().function_name("MetadataExtractor").send().await.unwrap());
    assert_ne!(before, after, "the new code is deployed");

    // An environment change is shown as plan shows it, then hotswapped.
    fx.edit("publish = true", "publish = true\nenvironment = { STAGE = \"dev\" }");
    let shown = wait_for("environment.STAGE");
    assert!(shown.contains("\"dev\""), "{shown}");
    wait_for("Hotswapped");
    let config = lambda.get_function_configuration().function_name("MetadataExtractor").send().await.unwrap();
    let env = config.environment().and_then(|e| e.variables()).cloned().unwrap_or_default();
    assert_eq!(env.get("STAGE").map(String::as_str), Some("dev"));
    // A runtime change is never hotswapped: it is shown for apply.
    fx.edit("runtime = \"python3.12\"", "runtime = \"python3.13\"");
    wait_for("run `provision apply` for these changes");
    fx.edit("runtime = \"python3.13\"", "runtime = \"python3.12\"");
    wait_for("No changes.");

    fx.edit("buffer_interval_seconds = 60", "buffer_interval_seconds = 120");
    wait_for("run `provision apply` for these changes");
    interrupt(&watch);
    assert!(watch.wait().unwrap().success());
    let plan = fx.ok(&["plan", "--detailed-exitcode"], 2);
    assert!(plan.stdout.contains("buffer_interval_seconds"), "the stream change was left to apply: {}", plan.all());
}

/// The messages a day of use found wanting, each as it reads now.
#[tokio::test]
async fn messages_say_the_one_thing_wrong_where_it_is_written() {
    let fx = Fixture::new();
    // A variable with no value: one error, not one per use.
    fx.edit("stream_name = \"PUT-S3-lambda\"", "stream_name = { description = \"the stream\" }");
    let missing = fx.ok(&["validate"], 1);
    assert_eq!(missing.stderr.matches("error[").count(), 1, "{}", missing.all());
    missing.assert_stderr("variable `stream_name` has no value");
    // Variables inside a variable's default are expanded.
    fx.edit(
        "stream_name = { description = \"the stream\" }",
        "base = \"PUT-S3\"\nstream_name = \"${var.base}-lambda\"",
    );
    let plan = fx.ok(&["plan", "--json"], 0);
    plan.assert_stdout("\"physical_name\": \"PUT-S3-lambda\"");
    // A syntax error has no empty key path.
    std::fs::write(fx.stack_path().with_file_name("dup.toml"), "[stack]\nname = \"a\"\nname = \"b\"\n").unwrap();
    let dup = run_at(&fx.stack_path().with_file_name("dup.toml"), &fx.endpoint(), &["validate"]);
    assert_eq!(dup.code, 1);
    assert!(dup.stderr.contains("error[syntax]: duplicate key") && !dup.stderr.contains(": :"), "{}", dup.all());
    // No misleading command suggestions.
    let test = fx.ok(&["test"], 1);
    assert!(!test.stderr.contains("destroy") || test.stderr.contains("the commands are"), "{}", test.all());
    assert!(fx.ok(&["version"], 1).stderr.contains("provision --version"));
    // A managed policy that does not exist is refused at plan, before any change.
    fx.edit("AWSLambdaBasicExecutionRole", "DoesNotExistRole");
    let refused = fx.ok(&["plan"], 1);
    refused.assert_stderr("role.extractor.managed_policies: the managed policy");
    fx.edit("DoesNotExistRole", "AWSLambdaBasicExecutionRole");
    // verify against the TLS-only bucket over moto's plain HTTP says why it is refused.
    fx.apply();
    fx.ok(&["send", "--count", "10"], 0);
    let verify = fx.run(&["verify"]);
    assert_eq!(verify.code, 1, "{}", verify.all());
    verify.assert_stderr("require_tls = false");
    assert!(verify.stderr.contains("GetObject of s3://"), "names the call and the bucket: {}", verify.all());
}
