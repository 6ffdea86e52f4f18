//! One fleet across Regions and accounts, against moto (which keeps Regions apart and answers
//! AssumeRole with credentials acting in the role's account): examples/regions.toml applied
//! where each instance says, checked through the SDK in each location; a Region key removed
//! deleting exactly that instance there; destroy leaving nothing anywhere. The hazard of one
//! stack.toml applied with two regions: the second run never takes the first's resources for
//! orphans. Validation of locations before any call.

use crate::common::*;

const PARTNER: &str = "210987654321";
const HOME: &str = "123456789012";

/// examples/regions.toml as stack.toml, with its modules and the function's code beside it.
fn regions() -> Fixture {
    let fx = Fixture::fleet();
    std::fs::copy(repo().join("examples/regions.toml"), fx.stack_path()).unwrap();
    fx
}

/// An SDK configuration acting in `region` of the home account, or of the partner's through
/// the example's role (moto's AssumeRole).
/// The default stack in the Region `PROVISION_VAR_region` names (default us-east-1), its roles
/// named per Region (IAM is global in an account).
fn in_a_region_of_its_variable() -> Fixture {
    let fx = Fixture::new();
    fx.edit("region = \"us-east-1\"", "region = \"${var.region}\"");
    fx.edit("[variables]\n", "[variables]\nregion = \"us-east-1\"\n");
    fx.edit("[role.extractor]\n", "[role.extractor]\nname = \"extractor-${aws.region}\"\n");
    fx.edit("[role.delivery]\n", "[role.delivery]\nname = \"delivery-${aws.region}\"\n");
    fx
}

async fn config(fx: &Fixture, region: &str, partner: bool) -> aws_config::SdkConfig {
    let base = fx.moto.sdk_config().await.to_builder().region(aws_config::Region::new(region.to_string())).build();
    if !partner {
        return base;
    }
    let role = format!("arn:aws:iam::{PARTNER}:role/provision-deploy");
    let provider =
        aws_config::sts::AssumeRoleProvider::builder(role).session_name("test").configure(&base).build().await;
    base.to_builder().credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(provider)).build()
}

/// What lives in one location: its streams, functions, log groups and alarms, by name.
async fn inventory(fx: &Fixture, region: &str, partner: bool) -> Vec<String> {
    let c = config(fx, region, partner).await;
    let mut out = Vec::new();
    let streams = aws_sdk_firehose::Client::new(&c).list_delivery_streams().send().await.unwrap();
    out.extend(streams.delivery_stream_names().iter().map(|n| format!("stream {n}")));
    let functions = aws_sdk_lambda::Client::new(&c).list_functions().send().await.unwrap();
    out.extend(functions.functions().iter().map(|f| format!("function {}", f.function_name().unwrap_or_default())));
    let groups = aws_sdk_cloudwatchlogs::Client::new(&c).describe_log_groups().send().await.unwrap();
    out.extend(groups.log_groups().iter().map(|g| format!("log group {}", g.log_group_name().unwrap_or_default())));
    let alarms = aws_sdk_cloudwatch::Client::new(&c).describe_alarms().send().await.unwrap();
    out.extend(alarms.metric_alarms().iter().map(|a| format!("alarm {}", a.alarm_name().unwrap_or_default())));
    let topics = aws_sdk_sns::Client::new(&c).list_topics().send().await.unwrap();
    out.extend(topics.topics().iter().map(|t| format!("topic {}", t.topic_arn().unwrap_or_default())));
    out.sort();
    out
}

/// The buckets of an account (S3 lists every Region's).
async fn buckets(fx: &Fixture, partner: bool) -> Vec<String> {
    let c = config(fx, "us-east-1", partner).await;
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&c).force_path_style(true).build());
    let out = s3.list_buckets().send().await.unwrap();
    let mut names: Vec<String> = out.buckets().iter().filter_map(|b| b.name().map(String::from)).collect();
    names.retain(|n| !n.starts_with("provision-locks"));
    names.sort();
    names
}

/// One tenant pair's resources in a location, as `inventory` names them.
fn pipelines_in(region: &str, account: &str, instance: &str) -> Vec<String> {
    let mut out = Vec::new();
    // The regional pipelines are named regions-<tenant>: examples/fleet.toml holds the same
    // tenants in the home account.
    for tenant in ["regions-acme", "regions-globex"] {
        out.push(format!("stream PUT-S3-{tenant}"));
        out.push(format!("function MetadataExtractor-{tenant}"));
        out.push(format!("log group /aws/kinesisfirehose/PUT-S3-{tenant}"));
        for which in ["delivery", "freshness", "limits", "partitions", "processing", "throttled"] {
            out.push(format!("alarm PUT-S3-{tenant}-{which}"));
        }
    }
    out.push(format!("topic arn:aws:sns:{region}:{account}:firehose-regions-{instance}-alerts"));
    out.sort();
    out
}

#[tokio::test]
async fn a_fleet_lives_where_each_instance_says_and_a_removed_region_takes_exactly_its_instance() {
    let fx = regions();
    let applied = fx.apply();
    applied.assert_stdout("==> eu-west-1 in account 123456789012");
    applied.assert_stdout("==> eu-central-1 in account 210987654321");
    // Each instance where it says, named with its own ${aws.region} and ${aws.account_id}.
    assert_eq!(inventory(&fx, "us-east-1", false).await, pipelines_in("us-east-1", HOME, "region-us-east-1"));
    assert_eq!(inventory(&fx, "eu-west-1", false).await, pipelines_in("eu-west-1", HOME, "region-eu-west-1"));
    assert_eq!(inventory(&fx, "eu-central-1", true).await, pipelines_in("eu-central-1", PARTNER, "partner"));
    assert!(inventory(&fx, "eu-central-1", false).await.is_empty(), "the home account has nothing in eu-central-1");
    assert_eq!(
        buckets(&fx, false).await,
        ["firehose-regions-123456789012-eu-west-1-an", "firehose-regions-123456789012-us-east-1-an"]
    );
    assert_eq!(buckets(&fx, true).await, ["firehose-regions-210987654321-eu-central-1-an"]);
    fx.assert_clean();
    let json = fx.json_plan();
    let stream = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "module.partner.module.tenant[acme].firehose.events")
        .unwrap();
    assert_eq!((stream["account"].as_str(), stream["region"].as_str()), (Some(PARTNER), Some("eu-central-1")));
    // status reads every location.
    let status = fx.ok(&["status"], 0);
    for address in [
        "module.region[eu-west-1].module.tenant[acme].firehose.events",
        "module.partner.module.tenant[globex].firehose.events",
    ] {
        assert!(status.stdout.contains(address), "{address}: {}", status.all());
    }
    // Streams in several locations: a LOCATION column says where each lives.
    assert!(status.stdout.lines().any(|l| l.starts_with("STREAM") && l.contains("LOCATION")), "{}", status.all());
    assert!(
        status.stdout.lines().any(|l| l.contains("module.partner.module.tenant[globex].firehose.events")
            && l.contains(&format!("{PARTNER}/eu-central-1"))),
        "{}",
        status.all()
    );

    // The eu-west-1 key removed: exactly that instance is destroyed, there.
    fx.edit(r#"for_each = ["us-east-1", "eu-west-1"]"#, r#"for_each = ["us-east-1"]"#);
    let plan = fx.json_plan();
    let deletes: Vec<(String, String)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] == "delete")
        .map(|c| (c["address"].as_str().unwrap().to_string(), c["region"].as_str().unwrap().to_string()))
        .collect();
    // Two tenants of eleven resources (two roles, a function, a log group, a stream, six
    // alarms), the bucket and the topic.
    assert_eq!(deletes.len(), 24, "{deletes:?}");
    assert!(deletes.iter().all(|(a, r)| a.starts_with("module.region[eu-west-1].") && r == "eu-west-1"), "{deletes:?}");
    assert!(changes(&plan).iter().all(|(_, action, _)| action == "delete"), "{plan}");
    fx.apply();
    assert!(inventory(&fx, "eu-west-1", false).await.is_empty());
    assert_eq!(inventory(&fx, "us-east-1", false).await, pipelines_in("us-east-1", HOME, "region-us-east-1"));
    assert_eq!(inventory(&fx, "eu-central-1", true).await, pipelines_in("eu-central-1", PARTNER, "partner"));
    assert_eq!(buckets(&fx, false).await, ["firehose-regions-123456789012-us-east-1-an"]);
    fx.assert_clean();

    // destroy: nothing of the stack anywhere.
    fx.ok(&["destroy", "--auto-approve"], 0);
    for (region, partner) in [("us-east-1", false), ("eu-west-1", false), ("eu-central-1", true)] {
        assert!(inventory(&fx, region, partner).await.is_empty(), "{region}");
    }
    assert!(buckets(&fx, false).await.is_empty() && buckets(&fx, true).await.is_empty());
}

/// The hazard: one stack.toml applied with `region` a variable, in us-east-1 then in
/// eu-west-1. The second run's listings find the first's bucket and roles (S3 and IAM are
/// global): they are another deployment's, never its orphans.
#[tokio::test]
async fn one_stack_file_applied_in_two_regions_never_takes_the_other_for_orphans() {
    let fx = in_a_region_of_its_variable();
    fx.apply();
    let us = inventory(&fx, "us-east-1", false).await;
    let eu = [("PROVISION_VAR_region", Some("eu-west-1"))];
    let plan = fx.run_env(&["plan", "--json"], &eu);
    assert_eq!(plan.code, 0, "{}", plan.all());
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let actions: Vec<(String, String)> = changes(&plan).into_iter().map(|(a, action, _)| (a, action)).collect();
    assert!(actions.iter().all(|(_, action)| action == "create"), "{actions:?}");
    let applied = fx.run_env(&["apply", "--auto-approve"], &eu);
    assert_eq!(applied.code, 0, "{}", applied.all());
    applied.assert_stderr("another deployment's");
    assert_eq!(inventory(&fx, "us-east-1", false).await, us, "us-east-1 untouched");
    assert_eq!(buckets(&fx, false).await.len(), 2);
    // And back home: the eu-west-1 deployment is left alone too.
    fx.assert_clean();
    // Without a name of its own per Region, a role is a conflict naming the other deployment,
    // and nothing of us-east-1 is planned for anything.
    fx.edit("name = \"delivery-${aws.region}\"", "name = \"delivery\"");
    fx.apply();
    let conflict = fx.run_env(&["plan", "--json"], &eu);
    let conflict: serde_json::Value = serde_json::from_str(&conflict.stdout).unwrap();
    let role = conflict["changes"].as_array().unwrap().iter().find(|c| c["address"] == "role.delivery").unwrap();
    assert_eq!(role["action"], "conflict", "{role}");
    assert_eq!(role["reasons"][0]["code"], "owned-by-another-deployment", "{role}");
    assert!(role["reasons"][0]["message"].as_str().unwrap().contains("us-east-1 in account 123456789012"), "{role}");
    let touched_home = conflict["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["region"] == "us-east-1" && c["action"] != "no-op" && c["action"] != "conflict")
        .count();
    assert_eq!(touched_home, 0, "{conflict}");
}

/// Two Regions of one account declaring one role name collide (IAM is global): refused by
/// validation, before any call; a stream and a function of one name in two Regions do not.
#[test]
fn a_role_name_in_two_regions_of_one_account_is_refused_before_any_call() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("module.toml"), "[role.delivery]\nname = \"delivery\"\ntrust = [\"firehose.amazonaws.com\"]\n[topic.alerts]\nname = \"alerts\"\n").unwrap();
    let stack = dir.path().join("stack.toml");
    std::fs::write(
        &stack,
        "[stack]\nname = \"regions\"\nregion = \"us-east-1\"\n\n[module.region]\nsource = \"module.toml\"\nfor_each = [\"us-east-1\", \"eu-west-1\"]\nregion = \"${each.key}\"\n",
    )
    .unwrap();
    let out = run_at(&stack, &endpoint, &["plan"]);
    assert_eq!(out.code, 1, "{}", out.all());
    out.assert_stderr("N7");
    out.assert_stderr("module.region[eu-west-1].role.delivery");
    assert!(!out.stderr.contains("topic.alerts"), "topics of one name in two Regions are two topics: {}", out.all());
    assert!(listener.accept().is_err(), "an invalid stack made a request");
}

/// A role that cannot be assumed stops the run naming it, before any change anywhere (STS
/// answers AccessDenied through the fault proxy).
#[tokio::test]
async fn a_role_that_cannot_be_assumed_stops_the_run_before_any_change() {
    let mut fx = regions();
    fx.proxy = Some(crate::common::proxy::FaultProxy::start(&fx.moto.endpoint));
    fx.faults().inject(
        "STS.AssumeRole",
        crate::common::proxy::Fault::Error { status: 403, code: "AccessDenied", message: "not authorized to assume" },
        100,
    );
    let out = fx.run(&["apply", "--auto-approve"]);
    assert_eq!(out.code, 1, "{}", out.all());
    out.assert_stderr("arn:aws:iam::210987654321:role/provision-deploy");
    let writes: Vec<String> = fx
        .faults()
        .counts()
        .into_keys()
        .filter(|a| {
            ["Create", "Put", "Update", "Delete", "Tag"]
                .iter()
                .any(|w| a.split('.').nth(1).unwrap_or("").starts_with(w))
        })
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    assert!(inventory(&fx, "us-east-1", false).await.is_empty());
}

/// The roles of an account, by name.
async fn roles(fx: &Fixture) -> Vec<String> {
    let c = config(fx, "us-east-1", false).await;
    let out = aws_sdk_iam::Client::new(&c).list_roles().send().await.unwrap();
    let mut names: Vec<String> = out.roles().iter().map(|r| r.role_name().to_string()).collect();
    names.sort();
    names
}

/// A Region-by-Region rollout: the newer stack.toml (with `role.extra` and `bucket.extra`)
/// applied in us-east-1, then the older one (without them) applied in eu-west-1. The second
/// run finds the first's role and bucket (IAM and S3 list account-wide), deployed from another
/// home: another deployment's, said and left alone by plan, apply and destroy (before: planned
/// `will be destroyed` and deleted, stopping us-east-1's delivery).
#[tokio::test]
async fn a_region_by_region_rollout_never_deletes_what_another_home_deployed() {
    let fx = in_a_region_of_its_variable();
    let older = std::fs::read_to_string(fx.stack_path()).unwrap();
    let newer = format!(
        "{older}\n[role.extra]\nname = \"extra-${{aws.region}}\"\ntrust = [\"lambda.amazonaws.com\"]\n\n[bucket.extra]\nname = \"extra-${{aws.account_id}}-${{aws.region}}\"\nrequire_tls = false\n"
    );
    std::fs::write(fx.stack_path(), &newer).unwrap();
    fx.apply();
    let us = inventory(&fx, "us-east-1", false).await;
    let roles_before = roles(&fx).await;
    let buckets_before = buckets(&fx, false).await;
    assert!(roles_before.contains(&"extra-us-east-1".to_string()), "{roles_before:?}");
    // The older file, in eu-west-1.
    std::fs::write(fx.stack_path(), &older).unwrap();
    let eu = [("PROVISION_VAR_region", Some("eu-west-1"))];
    let plan = fx.run_env(&["plan", "--json"], &eu);
    assert_eq!(plan.code, 0, "{}", plan.all());
    let json: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let deletes: Vec<(String, String)> =
        changes(&json).into_iter().map(|(a, action, _)| (a, action)).filter(|(_, action)| action != "create").collect();
    assert!(deletes.is_empty(), "only creates in eu-west-1: {deletes:?}");
    assert!(
        plan.stderr.contains("belong to its deployment from us-east-1 in account 123456789012")
            && plan.stderr.contains("bucket.extra")
            && plan.stderr.contains("role.extra"),
        "{}",
        plan.all()
    );
    let applied = fx.run_env(&["apply", "--auto-approve"], &eu);
    assert_eq!(applied.code, 0, "{}", applied.all());
    assert!(!applied.all().contains("will be destroyed"), "{}", applied.all());
    assert_eq!(inventory(&fx, "us-east-1", false).await, us, "us-east-1 untouched");
    let roles_after = roles(&fx).await;
    for role in &roles_before {
        assert!(roles_after.contains(role), "{role} was deleted: {roles_after:?}");
    }
    for bucket in &buckets_before {
        assert!(buckets(&fx, false).await.contains(bucket), "{bucket} was deleted");
    }
    // Destroying the eu-west-1 deployment takes only its own.
    let destroyed = fx.run_env(&["destroy", "--auto-approve"], &eu);
    assert_eq!(destroyed.code, 0, "{}", destroyed.all());
    assert_eq!(inventory(&fx, "us-east-1", false).await, us, "us-east-1 untouched by eu-west-1's destroy");
    assert_eq!(buckets(&fx, false).await, buckets_before);
    assert!(inventory(&fx, "eu-west-1", false).await.is_empty(), "eu-west-1's own were destroyed");
}
