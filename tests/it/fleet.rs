//! A fleet from one definition, against moto: examples/fleet.toml (three tenants, one module)
//! applied, planned clean, edited in the module, targeted by instance, grown and shrunk by one
//! key, its outputs by instance, and destroyed.

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
    assert!(
        applied.stdout.contains("Apply complete! Resources: 16 added, 0 changed, 0 destroyed."),
        "{}",
        applied.all()
    );
    fx.assert_clean();

    // An instance's outputs, in the quoted form Terraform prints too.
    let arn = fx.ok(&["output", "module.tenant[\"acme\"].firehose.events", "--raw"], 0).stdout;
    assert_eq!(arn, "arn:aws:firehose:us-east-1:123456789012:deliverystream/PUT-S3-acme");
    let globex = fx.ok(&["output", "module.tenant[globex]", "--json"], 0).stdout;
    let globex: serde_json::Value = serde_json::from_str(&globex).unwrap();
    assert_eq!(globex.as_object().unwrap().len(), 5, "{globex}");
    assert_eq!(globex["module.tenant[globex].role.delivery"]["name"], "firehose-fleet-tenant-globex-delivery");
    // The address tag in AWS, in the form tag values allow.
    let shown: serde_json::Value = serde_json::from_str(&fx.ok(&["show", "--json"], 0).stdout).unwrap();
    let stream = &shown["module.tenant[initech].firehose.events"]["attributes"];
    assert_eq!(stream["tags.provision:address"], "module.tenant=initech.firehose.events", "{stream}");

    // The data path picks a stream by instance address; graph draws a cluster per instance.
    let preview = fx.ok(&["preview", "module.tenant[globex].firehose.events", "--count", "3"], 0);
    assert!(preview.stdout.contains("\n  tenant=globex/region="), "{}", preview.all());
    let several = fx.ok(&["preview"], 1);
    assert!(several.stderr.contains("module.tenant[acme].firehose.events"), "{}", several.all());
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
    assert_eq!(added.len(), 5, "{added:?}");
    assert!(added.iter().all(|(a, action)| a.starts_with("module.tenant[hooli].") && action == "create"), "{added:?}");
    fx.apply();
    fx.edit("\"initech\", \"hooli\"]", "\"hooli\"]");
    let removed = planned(&fx, &[]);
    assert_eq!(removed.len(), 5, "{removed:?}");
    assert!(
        removed.iter().all(|(a, action)| a.starts_with("module.tenant[initech].") && action == "delete"),
        "{removed:?}"
    );
    let shrunk = fx.apply();
    assert!(shrunk.stdout.contains("0 added, 0 changed, 5 destroyed"), "{}", shrunk.all());
    fx.assert_clean();
    fx.ok(&["output", "module.tenant[initech].firehose.events"], 1);

    // Renaming a key is that instance's replacement: its resources are named after the key.
    fx.edit("\"hooli\"]", "\"hooli-eu\"]");
    let renamed = planned(&fx, &[]);
    assert_eq!(renamed.iter().filter(|(_, a)| a == "create").count(), 5, "{renamed:?}");
    assert_eq!(renamed.iter().filter(|(_, a)| a == "delete").count(), 5, "{renamed:?}");

    let destroyed = fx.ok(&["destroy", "--auto-approve"], 0);
    assert!(destroyed.stdout.contains("16 destroyed"), "{}", destroyed.all());
    let after: serde_json::Value = serde_json::from_str(&fx.ok(&["show", "--json"], 0).stdout).unwrap();
    assert_eq!(after.as_object().unwrap().len(), 0, "{after}");
}
