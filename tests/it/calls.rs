//! Regression guard on the AWS calls a plan makes: counts per action through the proxy (never
//! wall time). BENCHMARKS.md has the figures at real-AWS latency and quotas.

use crate::common::*;
use std::collections::BTreeMap;

fn counts(fx: &Fixture) -> BTreeMap<String, usize> {
    fx.faults().counts().into_iter().collect()
}

/// Calls every plan makes once, whatever the stack: the account, the three discoveries (the
/// tagging API, roles, Glue tables: GetTables per database, none here), and one GetPolicy per
/// distinct managed policy the roles attach (every pipeline here attaches the same one).
const PER_RUN: [(&str, usize); 5] = [
    ("STS.GetCallerIdentity", 1),
    ("ResourceGroupsTaggingAPI.GetResources", 1),
    ("IAM.ListRoles", 1),
    ("AWSGlue.GetDatabases", 1),
    ("IAM.GetPolicy", 1),
];

/// Calls a plan makes per pipeline (a bucket, a log group, two roles, a function, a stream)
/// once everything exists: tags come from the tagging API's bulk answer, not from one call each.
const PER_PIPELINE: [(&str, usize); 12] = [
    ("S3.GetBucketVersioning", 1),
    ("S3.GetBucketPublicAccessBlock", 1),
    ("S3.GetBucketEncryption", 1),
    ("S3.GetBucketOwnershipControls", 1),
    ("S3.GetBucketPolicy", 1),
    ("CloudWatchLogs.DescribeLogGroups", 1),
    ("CloudWatchLogs.DescribeLogStreams", 1),
    ("IAM.GetRole", 2),
    ("IAM.ListAttachedRolePolicies", 2),
    ("IAM.GetRolePolicy", 2),
    ("Lambda.ListVersionsByFunction", 1),
    ("Firehose.DescribeDeliveryStream", 1),
];

fn expected(pipelines: usize) -> BTreeMap<String, usize> {
    PER_RUN
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .chain(PER_PIPELINE.iter().map(|(k, v)| (k.to_string(), v * pipelines)))
        .collect()
}

#[tokio::test]
async fn a_no_op_plan_of_the_default_stack_makes_exactly_these_calls() {
    let fx = Fixture::with_faults();
    fx.apply();
    fx.faults().reset_counts();
    fx.assert_clean();
    assert_eq!(counts(&fx), expected(1));
    let total: usize = counts(&fx).values().sum();
    assert_eq!(
        total, 20,
        "27 before tags were read in bulk; +1 since tables are discovered, +1 managed policy checked"
    );
}

#[tokio::test]
async fn calls_grow_with_the_stack_not_with_the_account() {
    let fx = Fixture::with_faults();
    fx.write_file("stack.toml", &generated_stack(3));
    fx.apply();
    // Resources of other teams: roles, functions and buckets the stack does not own.
    let config = fx.moto.sdk_config().await;
    let iam = aws_sdk_iam::Client::new(&config);
    let trust = r#"{"Version":"2012-10-17","Statement":[]}"#;
    for i in 0..30 {
        iam.create_role().role_name(format!("other-team-{i}")).assume_role_policy_document(trust).send().await.unwrap();
    }
    let s3 = fx.moto.s3().await;
    for i in 0..10 {
        s3.create_bucket().bucket(format!("other-team-bucket-{i}")).send().await.unwrap();
    }
    fx.faults().reset_counts();
    fx.assert_clean();
    assert_eq!(counts(&fx), expected(3));
}

#[tokio::test]
async fn reads_wait_for_their_inputs_only() {
    // A no-op plan of the default stack takes two rounds: the account and the discoveries side
    // by side, then every read at once (each resource's reads in parallel). Rounds come from
    // which requests arrived after which answers; 250 ms a call keeps a loaded machine's late
    // sends within their round.
    let fx = Fixture::with_faults();
    fx.apply();
    fx.faults().set_latency(std::time::Duration::from_millis(250));
    fx.faults().reset_counts();
    fx.assert_clean();
    let rounds = fx.faults().rounds();
    assert!(rounds <= 3, "{rounds} rounds");
}
