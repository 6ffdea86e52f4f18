//! What moto cannot do, injected by a proxy in front of it: throttling, 5xx, IAM propagation
//! errors, asynchronous states, dropped connections, partial failure and interrupted runs.
//! In every scenario apply converges, nothing is created twice, and destroy leaves nothing.

use crate::common::proxy::Fault;
use crate::common::*;
use std::time::Duration;

/// Apply converges, the next plan is empty, exactly one stream exists, destroy leaves nothing.
async fn assert_converged(fx: &Fixture) {
    fx.assert_clean();
    let firehose = aws_sdk_firehose::Client::new(&fx.moto.sdk_config().await);
    assert_eq!(firehose.list_delivery_streams().send().await.unwrap().delivery_stream_names(), [STREAM.to_string()]);
    let lambda = aws_sdk_lambda::Client::new(&fx.moto.sdk_config().await);
    assert_eq!(lambda.list_functions().send().await.unwrap().functions().len(), 1);
    if let Some(p) = &fx.proxy {
        p.clear();
    }
    fx.ok(&["destroy", "--auto-approve"], 0);
    assert!(firehose.list_delivery_streams().send().await.unwrap().delivery_stream_names().is_empty());
    assert!(fx.ok(&["plan"], 0).stdout.contains("Plan: 6 to add, 0 to change, 0 to destroy."));
}

/// The next apply completes the work, and the stack is converged.
async fn completes_on_apply(fx: &Fixture) {
    fx.apply();
    assert_converged(fx).await;
}

#[tokio::test]
async fn throttling_and_server_errors_are_retried() {
    let fx = Fixture::with_faults();
    let throttle = Fault::Error { status: 400, code: "ThrottlingException", message: "Rate exceeded" };
    fx.faults().inject("CreateDeliveryStream", throttle.clone(), 2);
    fx.faults().inject("CreateRole", Fault::Error { status: 400, code: "Throttling", message: "Rate exceeded" }, 2);
    fx.faults().inject(
        "CreateLogGroup",
        Fault::Error { status: 500, code: "ServiceUnavailableException", message: "try again" },
        2,
    );
    fx.faults().inject(
        "CreateFunction",
        Fault::Error { status: 429, code: "TooManyRequestsException", message: "Rate exceeded" },
        2,
    );
    fx.faults().inject(
        "S3 PUT /firehose-to-s3-123456789012-us-east-1-an",
        Fault::Error { status: 503, code: "SlowDown", message: "Reduce your request rate" },
        2,
    );
    fx.apply();
    assert!(fx.faults().seen("CreateDeliveryStream") >= 3);
    assert!(fx.faults().seen("CreateRole") >= 4, "two roles, two throttles");
    assert!(fx.faults().seen("CreateBucket") >= 3, "the bucket's two SlowDowns were answered and retried");
    assert_converged(&fx).await;
}

#[tokio::test]
async fn iam_propagation_errors_are_retried_until_the_role_is_usable() {
    let fx = Fixture::with_faults();
    fx.faults().inject(
        "CreateFunction",
        Fault::Error {
            status: 400,
            code: "InvalidParameterValueException",
            message: "The role defined for the function cannot be assumed by Lambda.",
        },
        2,
    );
    fx.faults().inject(
        "CreateDeliveryStream",
        Fault::Error {
            status: 400,
            code: "InvalidArgumentException",
            message: "Firehose is unable to assume role arn:aws:iam::123456789012:role/firehose-dp-demo-delivery. Please check the role provided.",
        },
        2,
    );
    let apply = fx.apply();
    assert_eq!(fx.faults().seen("CreateFunction"), 3);
    assert_eq!(fx.faults().seen("CreateDeliveryStream"), 3);
    assert!(apply.stdout.contains("Apply complete!"));
    assert_converged(&fx).await;
}

#[tokio::test]
async fn permanent_errors_fail_at_once_with_the_aws_message() {
    let fx = Fixture::with_faults();
    let denied = Fault::Error {
        status: 400,
        code: "InvalidArgumentException",
        message: "Prefix is not valid for dynamic partitioning",
    };
    fx.faults().inject("CreateDeliveryStream", denied, 100);
    let run = fx.ok(&["apply", "--auto-approve"], 1);
    assert_eq!(fx.faults().seen("CreateDeliveryStream"), 1, "not retried");
    run.assert_stdout("InvalidArgumentException: Prefix is not valid for dynamic partitioning");
}

#[tokio::test]
async fn streams_and_functions_are_waited_for() {
    let fx = Fixture::with_faults();
    // The stream stays CREATING for 3 describes; the function reports an update in progress twice.
    fx.faults().inject(
        "DescribeDeliveryStream",
        Fault::Rewrite { key: "DeliveryStreamStatus", from: "ACTIVE", to: "CREATING" },
        3,
    );
    fx.faults().inject(
        "GetFunctionConfiguration",
        Fault::Rewrite { key: "LastUpdateStatus", from: "Successful", to: "InProgress" },
        2,
    );
    fx.faults().inject("GetFunctionConfiguration", Fault::Rewrite { key: "State", from: "Active", to: "Pending" }, 1);
    let apply = fx.apply();
    apply.assert_stdout("firehose.events: Creation complete");
    assert!(fx.faults().seen("DescribeDeliveryStream") >= 4);
    assert!(fx.faults().seen("GetFunctionConfiguration") >= 3);
    assert_converged(&fx).await;
}

/// Rule S4.
#[tokio::test]
async fn rule_s4_a_stale_stream_version_is_described_again_and_retried() {
    let fx = Fixture::with_faults();
    fx.apply();
    fx.edit("buffer_interval_seconds = 60", "buffer_interval_seconds = 90");
    let conflict = Fault::Error {
        status: 400,
        code: "ConcurrentModificationException",
        message: "Cannot update firehose: PUT-S3-lambda since the current version id does not match",
    };
    fx.faults().inject("UpdateDestination", conflict, 2);
    let before = fx.faults().seen("DescribeDeliveryStream");
    fx.apply();
    assert_eq!(fx.faults().seen("UpdateDestination"), 3);
    assert!(fx.faults().seen("DescribeDeliveryStream") >= before + 3, "a fresh version id for every attempt");
    assert_converged(&fx).await;
}

/// Rule S2 (with `streams_and_functions_are_waited_for`: CREATING, then ACTIVE).
#[tokio::test]
async fn rule_s2_a_failed_stream_is_reported_and_recreated() {
    let fx = Fixture::with_faults();
    let failed = Fault::Rewrite { key: "DeliveryStreamStatus", from: "ACTIVE", to: "CREATING_FAILED" };
    fx.faults().inject("DescribeDeliveryStream", failed.clone(), 1);
    let run = fx.ok(&["apply", "--auto-approve"], 1);
    run.assert_stdout("firehose.events: creating failed: stream PUT-S3-lambda failed to create");
    // Still failed when planning: the plan offers to recreate it.
    fx.faults().inject("DescribeDeliveryStream", failed, 1);
    let plan = fx.ok(&["plan"], 0).stdout;
    assert!(plan.contains("-/+ firehose.events (PUT-S3-lambda)") && plan.contains("CREATING_FAILED"), "{plan}");
    completes_on_apply(&fx).await;
}

#[tokio::test]
async fn dropped_connections_create_nothing_twice() {
    let fx = Fixture::with_faults();
    // The request reaches AWS, the answer is lost: the SDK retries a request that already worked.
    for action in ["CreateDeliveryStream", "CreateRole", "CreateFunction", "CreateLogGroup"] {
        fx.faults().inject(action, Fault::ResetAfterForward, 1);
    }
    // And connections dropped before reaching AWS.
    fx.faults().inject("PutRolePolicy", Fault::Reset, 1);
    fx.faults().inject("GetRole", Fault::Reset, 1);
    fx.apply();
    let iam = aws_sdk_iam::Client::new(&fx.moto.sdk_config().await);
    assert_eq!(
        iam.list_roles()
            .send()
            .await
            .unwrap()
            .roles()
            .iter()
            .filter(|r| r.role_name().starts_with("firehose-dp-demo"))
            .count(),
        2
    );
    assert_converged(&fx).await;
}

#[tokio::test]
async fn partial_failure_finishes_independent_work_and_converges_on_rerun() {
    let fx = Fixture::with_faults();
    let denied = Fault::Error { status: 400, code: "InvalidParameterValueException", message: "Runtime is deprecated" };
    fx.faults().inject("CreateFunction", denied, 100);
    let run = fx.ok(&["apply", "--auto-approve"], 1);
    let out = run.stdout;
    assert!(out.contains("Apply incomplete. Resources: 4 added, 0 changed, 0 destroyed."), "{out}");
    assert!(out.contains("failed:  lambda.extractor: InvalidParameterValueException: Runtime is deprecated"), "{out}");
    assert!(out.contains("skipped: firehose.events"), "{out}");
    fx.faults().clear();
    let plan = changes(&fx.json_plan());
    assert_eq!(
        plan.iter().map(|c| (c.0.as_str(), c.1.as_str())).collect::<Vec<_>>(),
        [("firehose.events", "create"), ("lambda.extractor", "create")]
    );
    completes_on_apply(&fx).await;
}

#[tokio::test]
async fn a_killed_apply_is_completed_by_the_next_one() {
    let fx = Fixture::with_faults();
    // Killed while the create is held in the proxy (it has been sent: the proxy has it).
    let (mut child, _rest) = fx.apply_held_at("CreateDeliveryStream", "create", "firehose.events");
    child.kill().unwrap();
    child.wait().unwrap();
    // The held create goes on once released, after the kill: wait until it has reached moto.
    fx.faults().release("create");
    let firehose = aws_sdk_firehose::Client::new(&fx.moto.sdk_config().await);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while firehose.list_delivery_streams().send().await.unwrap().delivery_stream_names().is_empty() {
        assert!(std::time::Instant::now() < deadline, "the held create never reached moto");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The killed run left its lock behind; the process is gone from this host, so the next run
    // takes the lock over (saying so) and completes the work.
    let next = fx.apply();
    assert!(next.stderr.contains("Took over the lock") && next.stderr.contains("running `apply`"), "{}", next.all());
    assert_converged(&fx).await;
}

#[tokio::test]
async fn ctrl_c_lets_work_in_flight_finish_and_starts_nothing_new() {
    let fx = Fixture::with_faults();
    let (mut child, rest) = fx.apply_held_at("CreateFunction", "function", "lambda.extractor");
    let stderr = lines(child.stderr.take().unwrap());
    interrupt(&child);
    // The interrupt is seen while the create is in flight; then the create is let through.
    wait_for(&stderr, "Interrupt received");
    fx.faults().release("function");
    let status = child.wait().unwrap();
    // Every line, to the end of the output (the reader ends when the process's stdout closes).
    let printed: Vec<String> = rest.iter().collect();
    let printed = printed.join("\n");
    assert_eq!(status.code(), Some(1), "{printed}");
    assert!(printed.contains("lambda.extractor: Creation complete"), "in-flight work finished: {printed}");
    assert!(printed.contains("not started: firehose.events (interrupted)"), "{printed}");
    assert_eq!(fx.faults().seen("CreateDeliveryStream"), 0);
    // The lock was released: the next apply just continues.
    completes_on_apply(&fx).await;
}

#[tokio::test]
async fn a_second_ctrl_c_releases_the_lock_before_quitting() {
    let fx = Fixture::with_faults();
    // The create held for as long as the test runs: the run is in flight throughout.
    let (mut child, _rest) = fx.apply_held_at("CreateFunction", "function", "lambda.extractor");
    let stderr = lines(child.stderr.take().unwrap());
    // The second interrupt once the first is seen (provision says so), not after a guessed time.
    for seen in ["Interrupt received", "lock"] {
        interrupt(&child);
        wait_for(&stderr, seen);
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(fx.moto.lock_in(LOCK_BUCKET).await.is_none(), "the lock was released");
}
