//! Regression guard on the AWS calls a plan makes: counts per action through the proxy (never
//! wall time). BENCHMARKS.md has the figures at real-AWS latency and quotas.

use crate::common::*;
use std::collections::BTreeMap;

fn counts(fx: &Fixture) -> BTreeMap<String, usize> {
    fx.faults().counts().into_iter().collect()
}

/// Calls every plan makes once, whatever the stack: the account, the discoveries (the tagging
/// API; roles under the stack's path; Glue tables of the declared tables' databases and of the
/// stack's own: none here), one GetPolicy per distinct managed policy the roles attach (every
/// pipeline here attaches the same one), and the stack's index of locations beside its lock (a
/// GetObject, read beside the live reads), and one DescribeLogGroups listing the log groups
/// read together under their common prefix (50 a call), and the Region's stream and function
/// names (one not among them is not read).
const PER_RUN: [(&str, usize); 8] = [
    ("STS.GetCallerIdentity", 1),
    ("ResourceGroupsTaggingAPI.GetResources", 1),
    ("IAM.ListRoles", 1),
    ("IAM.GetPolicy", 1),
    ("S3.GetObject", 1),
    ("CloudWatchLogs.DescribeLogGroups", 1),
    ("Firehose.ListDeliveryStreams", 1),
    ("Lambda.ListFunctions", 1),
];

/// Calls a plan makes per pipeline (a bucket, a log group, two roles, a function, a stream)
/// once everything exists: tags come from the tagging API's bulk answer, not from one call each.
const PER_PIPELINE: [(&str, usize); 11] = [
    ("S3.GetBucketVersioning", 1),
    ("S3.GetBucketPublicAccessBlock", 1),
    ("S3.GetBucketEncryption", 1),
    ("S3.GetBucketOwnershipControls", 1),
    ("S3.GetBucketPolicy", 1),
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
        total, 22,
        "27 before tags were read in bulk; +1 managed policy checked; Glue's databases no longer listed; +1 index of locations; +2 stream and function names"
    );
}

/// A busy account: more foreign roles than one ListRoles page holds, and Glue databases of other
/// teams, each with a table (listing every database's tables took a GetTables each). The plan
/// reads what it read in an empty one: the only call that grows is ListRoles, a page per 1,000
/// roles of the account (roles are found wherever they live), never a read per foreign role.
/// A first plan reads no role, stream or function: discovery's listings of the account's roles
/// (every path) and of the Region's streams and functions say they do not exist (three IAM calls
/// a role, a DescribeDeliveryStream a stream and a ListVersionsByFunction a function saved). A role of a
/// wanted name made by hand is listed, so it is read and shown as the conflict it is.
#[tokio::test]
async fn a_resource_the_listings_lack_is_not_read() {
    let fx = Fixture::with_faults();
    fx.faults().reset_counts();
    let plan = fx.ok(&["plan"], 0);
    plan.assert_stdout("role.extractor will be created");
    let c = counts(&fx);
    for action in [
        "IAM.GetRole",
        "IAM.ListAttachedRolePolicies",
        "IAM.GetRolePolicy",
        "Firehose.DescribeDeliveryStream",
        "Lambda.ListVersionsByFunction",
    ] {
        assert_eq!(c.get(action), None, "{action}: {c:?}");
    }
    assert_eq!(c.get("IAM.ListRoles"), Some(&1), "{c:?}");
    // Someone's role of the extractor's name: listed, read, a conflict.
    let iam = aws_sdk_iam::Client::new(&fx.moto.sdk_config().await);
    let trust = r#"{"Version":"2012-10-17","Statement":[]}"#;
    iam.create_role().role_name("firehose-dp-demo-extractor").assume_role_policy_document(trust).send().await.unwrap();
    fx.faults().reset_counts();
    let plan = fx.run(&["plan"]);
    assert!(plan.all().contains("firehose-dp-demo-extractor"), "{}", plan.all());
    assert!(plan.all().contains("exists") || plan.all().contains("conflict"), "{}", plan.all());
    assert_eq!(counts(&fx).get("IAM.GetRole"), Some(&1), "the listed role is read");
    // And applied: created roles are read again as they are (none taken for missing).
    iam.delete_role().role_name("firehose-dp-demo-extractor").send().await.unwrap();
    fx.apply();
    fx.assert_clean();
}

#[tokio::test]
async fn calls_grow_with_the_stack_not_with_the_account() {
    use futures::StreamExt;
    let fx = Fixture::with_faults();
    fx.write_file("stack.toml", &generated_stack(3));
    fx.apply();
    let config = fx.moto.sdk_config().await;
    let iam = aws_sdk_iam::Client::new(&config);
    let trust = r#"{"Version":"2012-10-17","Statement":[]}"#;
    let creates =
        (0..1001).map(|i| {
            let iam = iam.clone();
            async move {
                iam.create_role().role_name(format!("other-team-{i}")).assume_role_policy_document(trust).send().await
            }
        });
    let created: Vec<_> = futures::stream::iter(creates).buffer_unordered(16).collect().await;
    assert!(created.iter().all(Result::is_ok));
    let glue = aws_sdk_glue::Client::new(&config);
    for i in 0..5 {
        let database = format!("other_team_{i}");
        glue.create_database()
            .database_input(aws_sdk_glue::types::DatabaseInput::builder().name(&database).build().unwrap())
            .send()
            .await
            .unwrap();
        let table = aws_sdk_glue::types::TableInput::builder().name("events").build().unwrap();
        glue.create_table().database_name(&database).table_input(table).send().await.unwrap();
    }
    let s3 = fx.moto.s3().await;
    for i in 0..10 {
        s3.create_bucket().bucket(format!("other-team-bucket-{i}")).send().await.unwrap();
    }
    fx.faults().reset_counts();
    fx.assert_clean();
    let mut busy = expected(3);
    *busy.get_mut("IAM.ListRoles").unwrap() = 2;
    assert_eq!(counts(&fx), busy);
}

/// Roles an earlier provision created at `/` keep working: the plan keeps them there (updated in
/// place, never replaced: the stream keeps its role ARN), says so, and still finds such a role
/// once stack.toml no longer declares it.
#[tokio::test]
async fn roles_an_earlier_provision_created_at_the_root_path_stay_there_and_are_still_found() {
    let fx = Fixture::new();
    let config = fx.moto.sdk_config().await;
    let iam = aws_sdk_iam::Client::new(&config);
    let trust = r#"{"Version":"2012-10-17","Statement":[]}"#;
    let stack = "firehose-dp-demo";
    for name in ["extractor", "delivery", "old"] {
        let tag = |k: &str, v: &str| aws_sdk_iam::types::Tag::builder().key(k).value(v).build().unwrap();
        iam.create_role()
            .role_name(format!("{stack}-{name}"))
            .path("/")
            .description(format!("Managed by provision stack {stack}"))
            .assume_role_policy_document(trust)
            .tags(tag("provision:stack", stack))
            .tags(tag("provision:address", &format!("role.{name}")))
            .send()
            .await
            .unwrap();
    }
    let applied = fx.apply();
    assert!(applied.stderr.contains("stays at path / where an earlier provision created it"), "{}", applied.stderr);
    let path = |name: &str| {
        let iam = iam.clone();
        let name = format!("{stack}-{name}");
        async move { iam.get_role().role_name(name).send().await.map(|r| r.role.unwrap().path) }
    };
    assert_eq!(path("delivery").await.unwrap(), "/");
    assert_eq!(path("extractor").await.unwrap(), "/");
    assert!(path("old").await.is_err(), "the earlier provision's undeclared role is found and deleted");
    let firehose = aws_sdk_firehose::Client::new(&config);
    let stream = firehose.describe_delivery_stream().delivery_stream_name("PUT-S3-lambda").send().await;
    let description = format!("{stream:?}");
    assert!(description.contains(&format!(":role/{stack}-delivery")), "{description}");
    fx.assert_clean();
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
    assert!(rounds <= 2, "{rounds} rounds");
}
