//! Hardening against a real moto server (and the proxy where moto cannot act as AWS): squat-proof
//! S3, exact locks, atomic ownership, found-again imports, secrets, messages, closed pipes.

use crate::common::*;
use std::time::Duration;

const ACCOUNT: &str = "123456789012";

#[tokio::test]
async fn every_s3_request_names_the_expected_bucket_owner() {
    let fx = Fixture::with_faults();
    fx.apply();
    fx.assert_clean();
    let destroy = fx.ok(&["destroy", "--auto-approve"], 0);
    destroy.assert_stdout("6 destroyed");
    let requests = fx.faults().s3_requests();
    assert!(requests.len() > 20, "a full cycle makes many S3 requests: {requests:?}");
    let missing: Vec<_> = requests
        .iter()
        .filter(|(action, _, owner)| action != "CreateBucket" && owner.as_deref() != Some(ACCOUNT))
        .collect();
    assert!(missing.is_empty(), "S3 requests without ExpectedBucketOwner={ACCOUNT}: {missing:?}");
}

#[tokio::test]
async fn a_bucket_in_another_account_is_a_conflict_and_never_written() {
    let fx = Fixture::with_faults();
    fx.faults().foreign_bucket(BUCKET, "111111111111");
    let plan = fx.ok(&["plan"], 0);
    assert!(
        plan.stdout
            .contains("! bucket.data (firehose-to-s3-123456789012-us-east-1-an): left alone; choose another name")
            && plan.stdout.contains("exists in another account"),
        "{}",
        plan.all()
    );
    let apply = fx.ok(&["apply", "--auto-approve"], 1);
    apply.assert_stderr("not owned by this stack; nothing was changed");
    apply.assert_stderr("\n  bucket.data: choose another name");
    let to_it: Vec<_> = fx.faults().s3_requests().into_iter().filter(|(_, b, _)| b == BUCKET).collect();
    assert!(!to_it.is_empty());
    assert!(to_it.iter().all(|(a, _, _)| a.starts_with("Get")), "only reads, refused: {to_it:?}");
    assert_eq!(fx.faults().seen("CreateRole"), 0, "apply changed nothing");
}

#[tokio::test]
async fn the_default_lock_bucket_cannot_be_squatted_and_a_named_one_in_another_account_stops_apply() {
    let fx = Fixture::with_faults();
    // The bucket older versions used, squatted by another account: not ours, nothing read there.
    fx.faults().foreign_bucket(LEGACY_LOCK_BUCKET, "111111111111");
    fx.apply();
    // The default lock bucket is created in the account-regional namespace (a name no other
    // account can create), like the default stack's data bucket.
    let created = fx.faults().created_buckets();
    for bucket in [LOCK_BUCKET, BUCKET] {
        assert!(created.contains(&(bucket.to_string(), Some("account-regional".to_string()))), "{bucket}: {created:?}");
    }
    let writes: Vec<_> =
        fx.faults().s3_requests().into_iter().filter(|(a, b, _)| a == "PutObject" && b == LOCK_BUCKET).collect();
    assert!(!writes.is_empty(), "the lock lives in the new bucket");
    // A lock bucket named in [stack] lives in the global namespace: squatted, it stops apply.
    fx.faults().foreign_bucket("my-locks-123456789012", "111111111111");
    fx.edit("name = \"firehose-dp-demo\"", "name = \"firehose-dp-demo\"\nlock_bucket = \"my-locks-${aws.account_id}\"");
    fx.faults().reset_counts();
    let apply = fx.ok(&["apply", "--auto-approve"], 1);
    apply.assert_stderr("the lock bucket \"my-locks-123456789012\" exists in another account");
    assert_eq!(fx.faults().seen("PutObject"), 0, "no lock object written into someone else's bucket");
}

#[tokio::test]
async fn a_second_run_is_refused_while_the_first_holds_the_lock() {
    let fx = Fixture::with_faults();
    let (mut first, _rest) = fx.apply_held_at("CreateDeliveryStream", "create", "firehose.events");
    let second = fx.ok(&["apply", "--auto-approve"], 1);
    fx.faults().release("create");
    assert!(
        second.stderr.contains("is locked by") && second.stderr.contains(&format!("(pid {})", first.id())),
        "the second run names the first as holder: {}",
        second.all()
    );
    assert!(first.wait().unwrap().success());
    fx.assert_clean();
}

#[tokio::test]
async fn a_broken_lock_is_never_released_by_its_old_holder() {
    let fx = Fixture::with_faults();
    let (first, _rest) = fx.apply_held_at("CreateDeliveryStream", "create", "firehose.events");
    let unlock = fx.ok(&["unlock"], 0);
    unlock.assert_stdout("Broke the lock of stack \"firehose-dp-demo\" held by");
    unlock.assert_stdout(&format!("(pid {})", first.id()));
    // The next run takes the lock.
    fx.moto
        .put_lock(serde_json::json!({"who": "bob@ci (pid 7)", "command": "apply", "since": "2026-11-26T10:00:00Z"}))
        .await;
    fx.faults().release("create");
    let out = first.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("lock was broken while it ran"));
    let held = fx.moto.lock_in(LOCK_BUCKET).await.expect("the next run's lock is still there");
    assert!(held.contains("bob@ci"), "{held}");
}

#[tokio::test]
async fn with_locking_off_no_lock_is_taken() {
    let fx = Fixture::with_faults();
    fx.edit("name = \"firehose-dp-demo\"", "name = \"firehose-dp-demo\"\nlock = false");
    fx.apply();
    assert!(fx.faults().s3_requests().iter().all(|(a, _, _)| a != "PutObject"), "no lock object");
    let unlock = fx.ok(&["unlock"], 1);
    unlock.assert_stderr("locking is off");
}

#[tokio::test]
async fn a_killed_create_is_a_conflict_the_plan_explains_and_import_resolves() {
    let fx = Fixture::with_faults();
    // CreateBucket is held in the proxy while the run is killed; moto ignores tags inside
    // CreateBucket, so the bucket is left without ownership tags, as a killed run would leave it.
    fx.faults().hold(&format!("S3 PUT /{BUCKET}"), "bucket");
    let mut child = fx.spawn(&["apply", "--auto-approve"]);
    let _rest = wait_for_line(&mut child, "bucket.data: Creating...");
    wait_until("the proxy holds CreateBucket", || fx.faults().holding("bucket"));
    child.kill().unwrap();
    child.wait().unwrap();
    let s3 = fx.moto.s3().await;
    // The held create goes through once the proxy lets it.
    fx.faults().release("bucket");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while s3.head_bucket().bucket(BUCKET).send().await.is_err() {
        assert!(std::time::Instant::now() < deadline, "the held create never reached moto");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Never adopted: a conflict whose remedy says what happened and what to do.
    let plan = fx.ok(&["plan"], 0);
    assert!(plan.stdout.contains("! bucket.data"), "a conflict: {}", plan.all());
    plan.assert_stdout("If an interrupted apply of this stack created it");
    let import = fx.ok(&["import", "bucket.data", "--auto-approve"], 0);
    assert!(import.all().contains("bucket.data"), "{}", import.all());
    fx.apply();
    fx.assert_clean();
    let tags = s3.get_bucket_tagging().bucket(BUCKET).send().await.unwrap();
    assert!(tags.tag_set().iter().any(|t| t.key() == "provision:stack" && t.value() == "firehose-dp-demo"));
}

#[tokio::test]
/// An imported role stays at its own path (`/` here): managed while stack.toml declares it
/// (that path is searched), deleted by a targeted destroy. Once no longer declared it is not
/// searched (discovery lists the stack's paths, not the account's roles): the manual says so (docs/src/ownership.md).
async fn an_imported_role_at_its_own_path_is_managed_while_declared_and_deleted_once_removed() {
    let fx = Fixture::new();
    let iam = fx.moto.lambda_role_by_hand("legacy-role", "/", Some("made by hand")).await;
    let text = std::fs::read_to_string(fx.stack_path()).unwrap();
    fx.write_file(
        "stack.toml",
        &format!("{text}\n[role.legacy]\nname = \"legacy-role\"\ntrust = [\"lambda.amazonaws.com\"]\n"),
    );
    fx.ok(&["import", "role.legacy", "--auto-approve"], 0);
    let applied = fx.apply();
    assert!(applied.stderr.contains("role legacy-role stays at path /"), "{}", applied.stderr);
    assert_eq!(iam.get_role().role_name("legacy-role").send().await.unwrap().role.unwrap().path, "/");
    fx.assert_clean();
    // Taken out of stack.toml: found at its own path by discovery, planned for deletion and
    // deleted (before, it was never seen again: it kept the stack's tags forever).
    fx.write_file("stack.toml", &text);
    let plan = fx.ok(&["plan", "--detailed-exitcode"], 2);
    plan.assert_stdout("role.legacy will be destroyed");
    fx.apply();
    assert!(iam.get_role().role_name("legacy-role").send().await.is_err(), "deleted");
    fx.assert_clean();
}

#[tokio::test]
async fn sensitive_values_never_reach_the_terminal_but_reach_aws() {
    let fx = Fixture::new();
    let secret = "s3cr3t-t0ken-value";
    fx.edit("[variables]", &format!("[variables]\ntoken = {{ default = \"{secret}\", sensitive = true }}"));
    fx.edit("publish = true", "publish = true\nenvironment = { TOKEN = \"${var.token}\", MODE = \"x-${var.token}\" }");
    let planfile = &fx.planfile();
    let plan = fx.ok(&["plan", "--out", planfile], 0);
    let json = fx.ok(&["plan", "--json"], 0);
    let apply = fx.ok(&["-v", "apply", planfile], 0);
    let saved = std::fs::read_to_string(planfile).unwrap();
    // apply of a saved plan shows it compact (one line a resource): no attribute to mark.
    assert!(!apply.all().contains(secret), "apply shows the secret:\n{}", apply.all());
    for (what, text) in [("plan", plan.all()), ("json", json.all()), ("saved plan", saved)] {
        assert!(!text.contains(secret), "{what} shows the secret:\n{text}");
        assert!(text.contains("(sensitive)"), "{what} marks it:\n{text}");
    }
    let lambda = aws_sdk_lambda::Client::new(&fx.moto.sdk_config().await);
    let config = lambda.get_function_configuration().function_name("MetadataExtractor").send().await.unwrap();
    let vars = config.environment().unwrap().variables().unwrap();
    assert_eq!(vars.get("TOKEN").map(String::as_str), Some(secret), "AWS gets the real value");
    fx.assert_clean();
    // A new value is a change, shown without either value.
    let changed = fx.ok(&["plan", "--var", "token=an0ther-secret"], 0);
    assert!(
        changed.stdout.contains("~ environment.TOKEN") && changed.stdout.contains("(sensitive) -> (sensitive)"),
        "{}",
        changed.all()
    );
    assert!(!changed.all().contains("an0ther-secret"));
}

#[tokio::test]
async fn plan_json_into_a_closed_pipe_ends_quietly() {
    let fx = Fixture::new();
    for _ in 0..3 {
        let mut child = fx.spawn(&["plan", "--json"]);
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{stderr}");
        assert_eq!(out.status.code(), Some(0), "{stderr}");
    }
}

#[tokio::test]
async fn messages_speak_of_the_real_file_and_the_real_situation() {
    let fx = Fixture::new();
    // Nothing deployed yet.
    let output = fx.ok(&["output"], 0);
    output.assert_stderr("Nothing of stack \"firehose-dp-demo\" is deployed");
    // No credentials anywhere, instance metadata off: one friendly line.
    let home = tempfile::tempdir().unwrap();
    let run = fx.run_env(
        &["plan"],
        &[
            ("AWS_ACCESS_KEY_ID", None),
            ("AWS_SECRET_ACCESS_KEY", None),
            ("AWS_EC2_METADATA_DISABLED", Some("true")),
            ("HOME", Some(home.path().to_str().unwrap())),
            ("AWS_CONFIG_FILE", Some("/nonexistent/config")),
            ("AWS_SHARED_CREDENTIALS_FILE", Some("/nonexistent/credentials")),
        ],
    );
    assert_eq!(run.code, 1);
    run.assert_stderr("no AWS credentials found");
    assert!(run.stderr.len() < 400, "short, not an SDK dump: {}", run.stderr);
    // An invalid file given with -f is named as such.
    let other = fx.dir.path().join("other.toml");
    std::fs::write(&other, "[stack]\nname = 5\n").unwrap();
    let run = run_at(&other, &fx.moto.endpoint, &["validate"]);
    run.assert_stderr("other.toml is invalid");
    run.assert_stderr("expected a string, got an integer");
}

#[tokio::test]
async fn var_files_set_variables_and_var_wins() {
    let fx = Fixture::new();
    fx.write_file("prod.tfvars.toml", "stream_name = \"from-file\"\n");
    let file = fx.dir.path().join("prod.tfvars.toml");
    let file = file.to_str().unwrap();
    let plan = fx.ok(&["plan", "--json", "--var-file", file], 0);
    assert!(plan.stdout.contains("\"physical_name\": \"from-file\""), "{}", plan.stdout);
    let plan = fx.ok(&["plan", "--json", "--var-file", file, "--var", "stream_name=from-flag"], 0);
    assert!(plan.stdout.contains("\"physical_name\": \"from-flag\""), "{}", plan.stdout);
    fx.write_file("bad.toml", "nope = \"x\"\n");
    let bad = fx.ok(&["validate", "--var-file", fx.dir.path().join("bad.toml").to_str().unwrap()], 1);
    bad.assert_stderr("bad.toml: no variable `nope`");
    let completions = fx.ok(&["completions", "bash"], 0);
    assert!(completions.stdout.contains("_provision()"), "{}", completions.stdout);
}

#[tokio::test]
async fn destroy_output_and_unlock_work_without_the_lambda_source() {
    let fx = Fixture::new();
    fx.apply();
    std::fs::remove_dir_all(fx.dir.path().join("examples/lambda/metadata_extractor")).unwrap();
    let output = fx.ok(&["output"], 0);
    assert!(
        output.stdout.contains("lambda.extractor") && output.stdout.contains(":function:MetadataExtractor"),
        "{}",
        output.all()
    );
    let unlock = fx.ok(&["unlock"], 0);
    unlock.assert_stdout("Stack \"firehose-dp-demo\" is not locked.");
    let plan = fx.ok(&["plan"], 1);
    assert!(plan.stderr.contains("cannot package the code"), "plan needs the code: {}", plan.all());
    let destroy = fx.ok(&["destroy", "--auto-approve"], 0);
    destroy.assert_stdout("6 destroyed");
}

#[tokio::test]
async fn a_lock_holder_with_escape_sequences_is_printed_escaped() {
    let fx = Fixture::new();
    fx.apply();
    fx.moto
        .put_lock(
            serde_json::json!({"who": "mallory\u{1b}]0;pwned\u{07}\u{1b}[2J", "command": "apply", "since": "now"}),
        )
        .await;
    for args in [&["apply", "--auto-approve"][..], &["unlock"][..]] {
        let run = fx.run(args);
        assert!(
            !run.all().contains('\u{1b}') && !run.all().contains('\u{07}'),
            "raw control characters: {:?}",
            run.all()
        );
        assert!(run.all().contains("mallory\\x1b]0;pwned\\x07\\x1b[2J"), "{}", run.all());
    }
}
