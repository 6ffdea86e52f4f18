//! Snapshot tests of rendered plans, built from in-memory plans (no AWS).

use provision::model::{Address, Attr, Kind, ReplaceRule};
use provision::plan::diff::AttrChange;
use provision::plan::{Action, Change, Plan, Reason, Summary};
use provision::render::{plan::render, Style};
use serde_json::json;
use std::collections::HashMap;

fn change(
    kind: Kind,
    name: &str,
    physical: &str,
    action: Action,
    attributes: Vec<AttrChange>,
    reasons: &[Reason],
) -> Change {
    Change {
        address: Address::new(kind, name),
        physical_name: physical.into(),
        location: provision::model::Location::new("123456789012", "us-east-1"),
        action,
        attributes,
        reasons: reasons.to_vec(),
        remedy: (action == Action::Conflict)
            .then(|| format!("run `provision import {}.{name}` to adopt it", kind.as_str())),
        after: vec![],
        desired: None,
        live: None,
        force_destroy: false,
    }
}

/// A bucket of that name owned by someone else: a conflict, for `reason`.
fn bucket_conflict(name: &str, physical: &str, reason: Reason) -> Change {
    change(Kind::Bucket, name, physical, Action::Conflict, vec![], &[reason])
}

fn attr(key: &str, before: Option<serde_json::Value>, after: Option<Attr>, forces: bool) -> AttrChange {
    AttrChange { key: key.into(), before: before.map(Attr::Value), after, forces_replacement: forces }
}

/// A plan of `changes` as the planner makes one: its summary counted by the code under test,
/// never written by the test (`expected` is what the test expects it to count).
fn plan(changes: Vec<Change>, expected: Summary) -> Plan {
    let plan = Plan::new("demo", changes, HashMap::new());
    assert_eq!(plan.summary, expected);
    plan
}

/// `firehose.events`: buffer_interval_seconds 120 -> 60.
fn interval_update() -> Change {
    change(
        Kind::Firehose,
        "events",
        "PUT-S3-lambda",
        Action::Update,
        vec![attr("buffer_interval_seconds", Some(json!(120)), Some(Attr::Value(json!(60))), false)],
        &[],
    )
}

#[test]
fn every_action_renders_like_terraform() {
    let policy_before = json!({"Statement": [{"Action": ["s3:PutObject"], "Effect": "Allow", "Resource": ["arn:aws:s3:::old"]}], "Version": "2012-10-17"});
    let policy_after = json!({"Statement": [{"Action": ["s3:PutObject"], "Effect": "Allow", "Resource": ["arn:aws:s3:::new"]}], "Version": "2012-10-17"});
    let p = plan(
        vec![
            change(
                Kind::Bucket,
                "data",
                "my-bucket",
                Action::Create,
                vec![
                    attr("name", None, Some(Attr::Value(json!("my-bucket"))), false),
                    attr("versioning", None, Some(Attr::Value(json!(false))), false),
                ],
                &[],
            ),
            interval_update(),
            change(
                Kind::Role,
                "delivery",
                "demo-delivery",
                Action::Update,
                vec![attr("inline_policy", Some(policy_before), Some(Attr::Value(policy_after)), false)],
                &[],
            ),
            change(
                Kind::Lambda,
                "extractor",
                "MetadataExtractor",
                Action::Update,
                vec![attr("version", Some(json!("1")), Some(Attr::Unknown), false)],
                &[],
            ),
            change(
                Kind::Firehose,
                "other",
                "other-stream",
                Action::Replace,
                vec![attr("dynamic_partitioning", Some(json!(false)), Some(Attr::Value(json!(true))), true)],
                &[Reason::Forces { attribute: "dynamic_partitioning".into(), rule: ReplaceRule::DynamicPartitioning }],
            ),
            change(Kind::LogGroup, "old", "/old/group", Action::Delete, vec![], &[]),
            bucket_conflict("taken", "someone-elses", Reason::NotOwned { stack: "demo".into() }),
        ],
        Summary { add: 2, change: 3, destroy: 2, conflict: 1 },
    );
    insta::assert_snapshot!(render(&p, Style { color: false }));
}

#[test]
fn empty_plan_says_no_changes() {
    let p = plan(vec![], Summary::default());
    insta::assert_snapshot!(render(&p, Style { color: false }));
}

#[test]
fn json_plan_lists_actions_attributes_and_summary() {
    let p = plan(vec![interval_update()], Summary { add: 0, change: 1, destroy: 0, conflict: 0 });
    insta::assert_json_snapshot!(p);
}

/// `--compact`: a line per change under a heading per module instance (the stack file's own
/// first) with its counts; attribute names, no values; a conflict's reason.
#[test]
fn the_compact_plan_is_a_line_per_change_under_its_module_instance() {
    let in_instance = |c: Change, key: &str| Change {
        address: Address {
            module: vec![provision::model::ModuleStep { name: "tenant".into(), key: Some(key.into()) }],
            ..c.address.clone()
        },
        ..c
    };
    let p = plan(
        vec![
            in_instance(interval_update(), "acme"),
            in_instance(change(Kind::Lambda, "extractor", "fn-globex", Action::Create, vec![], &[]), "globex"),
            in_instance(change(Kind::Firehose, "events", "PUT-S3-globex", Action::Create, vec![], &[]), "globex"),
            change(Kind::Topic, "alerts", "fleet-alerts", Action::Delete, vec![], &[]),
            bucket_conflict("data", "taken", Reason::OwnedByOtherStack { owner: "other".into() }),
        ],
        Summary { add: 2, change: 1, destroy: 1, conflict: 1 },
    );
    let text = provision::render::plan::compact(&p, Style { color: false });
    insta::assert_snapshot!(text);
    // Shorter than the full plan, and names every change.
    assert!(text.lines().count() < render(&p, Style { color: false }).lines().count());
    for address in
        ["firehose.events (PUT-S3-lambda): buffer_interval_seconds", "lambda.extractor (fn-globex)", "topic.alerts"]
    {
        assert!(text.contains(address), "{address}: {text}");
    }
}
