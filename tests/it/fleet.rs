//! A fleet from one definition, against moto: examples/fleet.toml (three tenants, one module,
//! each with its alarms) applied, planned clean, edited in the module, targeted by instance,
//! grown and shrunk by one key, a key renamed, its outputs by instance, and destroyed; what each
//! step leaves is checked in AWS, through the SDK, not through provision's own reports.

use crate::common::*;

const MODULE: &str = "modules/firehose-pipeline/module.toml";

/// The addresses a plan changes, with their action, from `plan --json`.
fn planned(fx: &Fixture, args: &[&str]) -> Vec<(String, String)> {
    let mut command = vec!["plan", "--json"];
    command.extend_from_slice(args);
    let run = fx.ok(&command, 0);
    let plan: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let mut out: Vec<(String, String)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] != "no-op")
        .map(|c| (c["address"].as_str().unwrap().to_string(), c["action"].as_str().unwrap().to_string()))
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_fleet_lives_and_dies_one_instance_at_a_time() {
    let fx = Fixture::fleet();
    let applied = fx.apply();
    applied.assert_stdout("Apply complete! Resources: 35 added, 0 changed, 0 destroyed.");
    fx.assert_clean();

    // An instance's outputs, in the quoted form Terraform prints too.
    let arn = fx.ok(&["output", "module.tenant[\"acme\"].firehose.events", "--raw"], 0).stdout;
    assert_eq!(arn, "arn:aws:firehose:us-east-1:123456789012:deliverystream/PUT-S3-acme");
    let globex = fx.ok(&["output", "module.tenant[globex]", "--json"], 0).stdout;
    let globex: serde_json::Value = serde_json::from_str(&globex).unwrap();
    assert_eq!(globex.as_object().unwrap().len(), 11, "{globex}");
    assert_eq!(globex["module.tenant[globex].role.delivery"]["name"], "firehose-fleet-tenant-globex-delivery");
    // The address tag in AWS, in the form tag values allow.
    let shown: serde_json::Value = serde_json::from_str(&fx.ok(&["show", "--json"], 0).stdout).unwrap();
    let stream = &shown["module.tenant[initech].firehose.events"]["attributes"];
    assert_eq!(stream["tags.provision:address"], "module.tenant=initech.firehose.events", "{stream}");

    // The data path picks a stream by instance address; graph draws a cluster per instance.
    let preview = fx.ok(&["preview", "module.tenant[globex].firehose.events", "--count", "3"], 0);
    preview.assert_stdout("\n  tenant=globex/region=");
    let several = fx.ok(&["preview"], 1);
    several.assert_stderr("module.tenant[acme].firehose.events");
    let dot = fx.ok(&["graph"], 0).stdout;
    assert_eq!(dot.matches("subgraph").count(), 3, "{dot}");
    assert!(dot.contains("label = \"module.tenant[initech]\""), "{dot}");
    // --replace of one instance's function: its stream follows, no other instance moves.
    let replaced = planned(&fx, &["--replace", "module.tenant[acme].lambda.extractor"]);
    assert_eq!(
        replaced,
        [
            ("module.tenant[acme].firehose.events".to_string(), "update".to_string()),
            ("module.tenant[acme].lambda.extractor".to_string(), "replace".to_string())
        ]
    );

    // Editing the module plans the change in every instance; --target applies one instance.
    fx.edit_file(MODULE, "retention_days = 14", "retention_days = 30");
    let all = planned(&fx, &[]);
    let groups: Vec<String> =
        ["acme", "globex", "initech"].iter().map(|k| format!("module.tenant[{k}].log_group.delivery")).collect();
    assert_eq!(all, groups.iter().map(|g| (g.clone(), "update".to_string())).collect::<Vec<_>>());
    let one = planned(&fx, &["--target", "module.tenant[\"acme\"]"]);
    assert_eq!(one, [(groups[0].clone(), "update".to_string())]);
    fx.ok(&["apply", "--auto-approve", "--target", "module.tenant[acme]"], 0);
    assert_eq!(planned(&fx, &[]).len(), 2);
    fx.apply();
    fx.assert_clean();

    // Adding a key creates only its instance; removing one destroys only its instance.
    fx.edit(
        "for_each = [\"acme\", \"globex\", \"initech\"]",
        "for_each = [\"acme\", \"globex\", \"initech\", \"hooli\"]",
    );
    let added = planned(&fx, &[]);
    assert_eq!(added.len(), 11, "{added:?}");
    assert!(added.iter().all(|(a, action)| a.starts_with("module.tenant[hooli].") && action == "create"), "{added:?}");
    fx.apply();
    fx.edit("\"initech\", \"hooli\"]", "\"hooli\"]");
    let removed = planned(&fx, &[]);
    assert_eq!(removed.len(), 11, "{removed:?}");
    assert!(
        removed.iter().all(|(a, action)| a.starts_with("module.tenant[initech].") && action == "delete"),
        "{removed:?}"
    );
    fx.apply();
    let aws = Aws::new(&fx).await;
    assert_eq!(aws.tenants().await, ["acme", "globex", "hooli"], "initech's instance is gone, the others there");
    fx.assert_clean();
    fx.ok(&["output", "module.tenant[initech].firehose.events"], 1);

    // Renaming a key is that instance's replacement: its resources are named after the key.
    fx.edit("\"hooli\"]", "\"hooli-eu\"]");
    let renamed = planned(&fx, &[]);
    assert_eq!(renamed.iter().filter(|(_, a)| a == "create").count(), 11, "{renamed:?}");
    assert_eq!(renamed.iter().filter(|(_, a)| a == "delete").count(), 11, "{renamed:?}");
    fx.apply();
    assert_eq!(aws.tenants().await, ["acme", "globex", "hooli-eu"], "renamed in AWS");
    fx.assert_clean();

    fx.ok(&["destroy", "--auto-approve"], 0);
    assert!(aws.tenants().await.is_empty(), "destroy removed every tenant's resources");
    let topics = aws.sns.list_topics().send().await.unwrap();
    assert!(topics.topics().is_empty(), "and the topic: {topics:?}");
}

/// The fleet's resources as AWS has them.
struct Aws {
    firehose: aws_sdk_firehose::Client,
    lambda: aws_sdk_lambda::Client,
    iam: aws_sdk_iam::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    sns: aws_sdk_sns::Client,
}

impl Aws {
    async fn new(fx: &Fixture) -> Aws {
        let c = fx.moto.sdk_config().await;
        Aws {
            firehose: aws_sdk_firehose::Client::new(&c),
            lambda: aws_sdk_lambda::Client::new(&c),
            iam: aws_sdk_iam::Client::new(&c),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&c),
            logs: aws_sdk_cloudwatchlogs::Client::new(&c),
            sns: aws_sdk_sns::Client::new(&c),
        }
    }

    /// The tenants whose pipeline is complete in AWS (stream, function, both roles, log group and
    /// six alarms), sorted; a tenant with only a part of its pipeline fails the test.
    async fn tenants(&self) -> Vec<String> {
        let streams = self.firehose.list_delivery_streams().send().await.unwrap();
        let mut tenants: Vec<String> = streams
            .delivery_stream_names()
            .iter()
            .filter_map(|n| n.strip_prefix("PUT-S3-").map(String::from))
            .collect();
        tenants.sort();
        let functions = self.lambda.list_functions().send().await.unwrap();
        let mut with_function: Vec<String> = functions
            .functions()
            .iter()
            .filter_map(|f| f.function_name()?.strip_prefix("MetadataExtractor-").map(String::from))
            .collect();
        with_function.sort();
        assert_eq!(with_function, tenants, "functions and streams differ");
        let alarms = self.cloudwatch.describe_alarms().send().await.unwrap();
        for t in &tenants {
            let prefix = format!("PUT-S3-{t}-");
            let n = alarms
                .metric_alarms()
                .iter()
                .filter(|a| a.alarm_name().unwrap_or_default().starts_with(&prefix))
                .count();
            assert_eq!(n, 6, "{t}'s alarms");
            for role in ["extractor", "delivery"] {
                let name = format!("firehose-fleet-tenant-{t}-{role}");
                assert!(self.iam.get_role().role_name(&name).send().await.is_ok(), "{name}");
            }
            let group = format!("/aws/kinesisfirehose/PUT-S3-{t}");
            let found = self.logs.describe_log_groups().log_group_name_prefix(&group).send().await.unwrap();
            assert_eq!(found.log_groups().len(), 1, "{group}");
        }
        assert_eq!(alarms.metric_alarms().len(), 6 * tenants.len(), "no alarm of a tenant left behind");
        let roles = self.iam.list_roles().send().await.unwrap();
        let fleet_roles = roles.roles().iter().filter(|r| r.role_name().starts_with("firehose-fleet-tenant-")).count();
        assert_eq!(fleet_roles, 2 * tenants.len(), "no role of a tenant left behind");
        tenants
    }
}
