//! Saved plans, locking, prevent_destroy and secrets, against a real moto server.

use crate::common::*;

#[tokio::test]
async fn saved_plan_is_applied_exactly_and_refused_when_stale() {
    let fx = Fixture::new();
    let planfile = &fx.planfile();
    fx.ok(&["plan", "--out", planfile], 0);
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(planfile).unwrap()).unwrap();
    assert_eq!(saved["plan"]["summary"]["add"], 6);
    let apply = fx.ok(&["apply", planfile], 0);
    apply.assert_stdout("Apply complete! Resources: 6 added");
    fx.assert_clean();

    // stack.toml edited after the plan was saved: refused, nothing changed.
    fx.edit("buffer_interval_seconds = 60", "buffer_interval_seconds = 120");
    fx.ok(&["plan", "--out", planfile], 0);
    fx.edit("buffer_interval_seconds = 120", "buffer_interval_seconds = 90");
    let stale = fx.ok(&["apply", planfile], 1);
    stale.assert_stderr("stack.toml, its variables or the Lambda code changed");
    // The function's code edited after the plan was saved: refused too.
    fx.edit("buffer_interval_seconds = 90", "buffer_interval_seconds = 120");
    fx.ok(&["plan", "--out", planfile], 0);
    let index = fx.dir.path().join("examples/lambda/metadata_extractor/index.py");
    std::fs::write(&index, format!("{}\n# edited after planning\n", std::fs::read_to_string(&index).unwrap())).unwrap();
    let stale = fx.ok(&["apply", planfile], 1);
    stale.assert_stderr("Lambda code changed since the plan was saved");
    let plan = changes(&fx.json_plan());
    assert!(
        plan.iter().any(|(a, _, keys)| a == "firehose.events" && keys.contains(&"buffer_interval_seconds".to_string())),
        "the interval change was not applied: {plan:?}"
    );

    // Live AWS changed after the plan was saved: refused too.
    fx.apply();
    fx.edit("retention_days = 14", "retention_days = 30");
    fx.ok(&["plan", "--out", planfile], 0);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&fx.moto.sdk_config().await);
    logs.put_retention_policy()
        .log_group_name("/aws/kinesisfirehose/PUT-S3-lambda")
        .retention_in_days(7)
        .send()
        .await
        .unwrap();
    let stale = fx.ok(&["apply", planfile], 1);
    stale.assert_stderr("live AWS changed since the plan was saved");
}

#[tokio::test]
async fn a_held_lock_refuses_a_second_run_until_unlocked() {
    let fx = Fixture::new();
    fx.apply();
    // Another run, elsewhere, holds the lock.
    let s3 = fx.moto.s3().await;
    fx.moto
        .put_lock(
            serde_json::json!({"who": "alice@laptop (pid 42)", "command": "apply", "since": "2026-11-25T10:00:00Z"}),
        )
        .await;
    fx.edit("memory_mb = 128", "memory_mb = 256");
    for command in [&["apply", "--auto-approve"][..], &["destroy", "--auto-approve"][..]] {
        let refused = fx.ok(command, 1);
        refused.assert_stderr("is locked by alice@laptop (pid 42) running `apply` since 2026-11-25T10:00:00Z");
    }
    assert_eq!(changes(&fx.json_plan()).len(), 2, "plan does not need the lock, and nothing was applied");
    let unlock = fx.ok(&["unlock"], 0);
    unlock.assert_stdout("held by alice@laptop");
    fx.apply();
    fx.assert_clean();
    // The lock is released after each run: the lock bucket is there, the lock object is not (the
    // legacy bucket, which older versions used, was never made here).
    assert!(s3.head_bucket().bucket(LOCK_BUCKET).send().await.is_ok(), "the lock bucket exists");
    assert!(fx.moto.lock_in(LOCK_BUCKET).await.is_none(), "the lock was released");
    assert!(fx.ok(&["unlock"], 0).stdout.contains("is not locked"));
}

#[tokio::test]
async fn prevent_destroy_blocks_destroy_and_replace() {
    let fx = Fixture::new();
    fx.edit(
        "dynamic_partitioning_retry_seconds = 300",
        "dynamic_partitioning_retry_seconds = 300\nprevent_destroy = true",
    );
    fx.apply();
    let refused = fx.ok(&["destroy", "--auto-approve"], 1);
    refused.assert_stderr("firehose.events has prevent_destroy = true");
    fx.edit("name = \"${var.stream_name}\"", "name = \"renamed-stream\"");
    let refused = fx.ok(&["apply", "--auto-approve"], 1);
    refused.assert_stderr("would replace it");
    let firehose = aws_sdk_firehose::Client::new(&fx.moto.sdk_config().await);
    assert_eq!(firehose.list_delivery_streams().send().await.unwrap().delivery_stream_names(), [STREAM.to_string()]);
}

#[tokio::test]
async fn credentials_are_never_printed() {
    let fx = Fixture::new();
    let secret = "wJalrXUtnFEMI-NEVER-PRINT-THIS";
    for args in [
        &["-v", "plan"][..],
        &["-v", "apply", "--auto-approve"][..],
        &["-v", "output"][..],
        &["-v", "destroy", "--auto-approve"][..],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_provision"))
            .arg("-f")
            .arg(fx.stack_path())
            .args(args)
            .env("AWS_ENDPOINT_URL", &fx.moto.endpoint)
            .env("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEKEYID")
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("AWS_SESSION_TOKEN", "session-token-never-print")
            .env("AWS_REGION", "us-east-1")
            .output()
            .unwrap();
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{all}");
        assert!(!all.contains(secret) && !all.contains("session-token-never-print"), "{all}");
    }
}

#[tokio::test]
async fn a_saved_plan_is_bound_to_its_account_and_to_its_body() {
    use std::os::unix::fs::PermissionsExt;
    let fx = Fixture::new();
    let planfile = &fx.planfile();
    fx.ok(&["plan", "--out", planfile], 0);
    assert_eq!(std::fs::metadata(planfile).unwrap().permissions().mode() & 0o777, 0o600, "written for its owner only");

    // Credentials of another account (moto gives them through STS AssumeRole).
    let sts = aws_sdk_sts::Client::new(&fx.moto.sdk_config().await);
    let assumed = sts
        .assume_role()
        .role_arn("arn:aws:iam::222222222222:role/other")
        .role_session_name("other")
        .send()
        .await
        .unwrap();
    let creds = assumed.credentials().unwrap();
    let other = fx.run_env(
        &["apply", planfile],
        &[
            ("AWS_ACCESS_KEY_ID", Some(creds.access_key_id())),
            ("AWS_SECRET_ACCESS_KEY", Some(creds.secret_access_key())),
            ("AWS_SESSION_TOKEN", Some(creds.session_token())),
        ],
    );
    assert_eq!(other.code, 1, "{}", other.all());
    other.assert_stderr("the plan is for account 123456789012, but the credentials are of account 222222222222");

    // The text relabelled "No changes." over the same body: refused, and `show` says the body.
    let original = std::fs::read_to_string(planfile).unwrap();
    let mut saved: serde_json::Value = serde_json::from_str(&original).unwrap();
    saved["text"] = serde_json::json!("No changes. Live resources match the stack.\n");
    std::fs::write(planfile, saved.to_string()).unwrap();
    let relabelled = fx.ok(&["apply", planfile], 1);
    relabelled.assert_stderr("its text does not say what its body does");
    let shown = fx.run(&["show", planfile]);
    assert!(
        shown.stdout.contains("firehose.events will be created") && !shown.stdout.contains("No changes"),
        "{}",
        shown.all()
    );
    // The body (and its text) edited to hide the changes: refused, naming where it differs.
    let mut saved: serde_json::Value = serde_json::from_str(&original).unwrap();
    saved["plan"]["changes"] = serde_json::json!([]);
    saved["text"] = serde_json::json!("No changes. Live resources match the stack.\n");
    std::fs::write(planfile, saved.to_string()).unwrap();
    let edited = fx.ok(&["apply", planfile], 1);
    edited.assert_stderr("differs from the plan computed now, first at plan.changes[0]");
    let firehose = aws_sdk_firehose::Client::new(&fx.moto.sdk_config().await);
    assert!(
        firehose.list_delivery_streams().send().await.unwrap().delivery_stream_names().is_empty(),
        "nothing was created"
    );
}
