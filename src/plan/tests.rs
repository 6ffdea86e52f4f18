//! Planning against the in-memory fake cloud: conflicts, orphans, renames, replaces, failed
//! streams, foreign buckets, untagged resources of wanted names, and the safety refusal.

use super::*;
use crate::provider::fake::FakeProvider;
use crate::provider::Provider;
use crate::testing::{stack, DEFAULT_STACK};
use std::sync::Arc;

async fn plan_of(fake: &Arc<FakeProvider>, stack: &Stack) -> Plan {
    let provider: Arc<dyn Provider> = fake.clone();
    build(stack, &crate::testing::live_of(stack, &provider).await).unwrap()
}

async fn apply(fake: &Arc<FakeProvider>, stack: &Stack) {
    let plan = plan_of(fake, stack).await;
    let provider: Arc<dyn Provider> = fake.clone();
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    let report = crate::apply::execute(&plan, &provider, 10, stopped, |_| {}).await;
    assert!(report.complete(), "{report:?}");
}

fn actions(plan: &Plan) -> Vec<(String, Action)> {
    plan.changes.iter().filter(|c| c.action != Action::NoOp).map(|c| (c.address.to_string(), c.action)).collect()
}

fn change<'a>(plan: &'a Plan, address: &str) -> &'a Change {
    plan.changes.iter().find(|c| c.address == Address::parse(address).unwrap()).unwrap()
}

#[tokio::test]
async fn an_empty_cloud_plans_every_create_in_dependency_order_then_nothing() {
    let fake = Arc::new(FakeProvider::new());
    let s = stack(DEFAULT_STACK);
    let plan = plan_of(&fake, &s).await;
    assert_eq!(plan.summary, Summary { add: 6, change: 0, destroy: 0, conflict: 0 });
    let order: Vec<String> = plan.changes.iter().map(|c| c.address.to_string()).collect();
    let at = |a: &str| order.iter().position(|o| o == a).unwrap();
    assert!(at("role.extractor") < at("lambda.extractor") && at("lambda.extractor") < at("firehose.events"));
    apply(&fake, &s).await;
    assert!(!plan_of(&fake, &s).await.has_changes());
}

#[tokio::test]
async fn resources_of_others_are_conflicts_log_groups_too() {
    let fake = Arc::new(FakeProvider::new());
    let s = stack(DEFAULT_STACK);
    let mut bucket = s.get(&Address::new(Kind::Bucket, "data")).unwrap().spec.clone();
    bucket.tags_mut().clear();
    fake.insert(bucket);
    let mut role = s.get(&Address::new(Kind::Role, "delivery")).unwrap().spec.clone();
    role.tags_mut().insert(OWNER_TAG.into(), "other-stack".into());
    fake.insert(role);
    let mut group = s.get(&Address::new(Kind::LogGroup, "delivery")).unwrap().spec.clone();
    group.tags_mut().clear();
    fake.insert(group);
    let plan = plan_of(&fake, &s).await;
    let bucket = change(&plan, "bucket.data");
    assert_eq!(bucket.action, Action::Conflict);
    assert!(bucket.remedy.as_deref().unwrap().contains("run `provision import bucket.data` to adopt it"));
    assert_eq!(change(&plan, "role.delivery").reasons, [Reason::OwnedByOtherStack { owner: "other-stack".into() }]);
    // A log group a service created on first use is not adopted either: `provision import`.
    let group = change(&plan, "log_group.delivery");
    assert_eq!(group.action, Action::Conflict);
    assert!(group.remedy.as_deref().unwrap().contains("provision import log_group.delivery"), "{:?}", group.remedy);
    // Apply's refusal says, for each, what can be done: import for what no stack owns, the other
    // stack for what it owns (import would refuse it).
    let refusal = check_safe(&plan).unwrap_err();
    assert!(
        refusal.starts_with("3 resource(s) of the wanted names exist but are not owned by this stack"),
        "{refusal}"
    );
    assert!(
        refusal.contains("\n  log_group.delivery: run `provision import log_group.delivery` to adopt it"),
        "{refusal}"
    );
    assert!(
        refusal.contains(
            "\n  role.delivery: stack \"other-stack\" owns it: destroy it there, or `provision forget` it there"
        ),
        "{refusal}"
    );
    assert!(!refusal.contains("role.delivery: run `provision import"), "{refusal}");
}

#[tokio::test]
async fn removed_resources_are_destroyed_by_tag_and_renames_replace() {
    let fake = Arc::new(FakeProvider::new());
    apply(&fake, &stack(DEFAULT_STACK)).await;
    // The stream's name changes and the log group's section is gone.
    let edited = DEFAULT_STACK
        .replace("name = \"${var.stream_name}\"", "name = \"renamed\"")
        .replace("log_group = \"log_group.delivery\"\n", "")
        .replace("[log_group.delivery]\nname = \"/aws/kinesisfirehose/${var.stream_name}\"\nretention_days = 14\nstreams = [\"DestinationDelivery\"]\n", "");
    let s = stack(&edited);
    let plan = plan_of(&fake, &s).await;
    let stream = change(&plan, "firehose.events");
    assert_eq!(stream.action, Action::Replace);
    assert!(stream.reasons.contains(&Reason::Renamed { from: "PUT-S3-lambda".into() }), "{:?}", stream.reasons);
    assert_eq!(change(&plan, "log_group.delivery").action, Action::Delete);
    apply(&fake, &s).await;
    let names = fake.names();
    assert!(
        names.contains(&(Kind::Firehose, "renamed".into()))
            && !names.contains(&(Kind::Firehose, "PUT-S3-lambda".into()))
    );
    assert!(!names.iter().any(|(k, _)| *k == Kind::LogGroup));
    assert!(!plan_of(&fake, &s).await.has_changes());
}

#[tokio::test]
async fn a_failed_stream_is_replaced_and_only_the_stack_s_orphans_are_deleted() {
    let fake = Arc::new(FakeProvider::new());
    let s = stack(DEFAULT_STACK);
    apply(&fake, &s).await;
    fake.set_problem(Kind::Firehose, "PUT-S3-lambda", "the stream is CREATING_FAILED (bad role)");
    // A resource another stack owns, never declared here.
    let mut foreign = s.get(&Address::new(Kind::Bucket, "data")).unwrap().spec.clone();
    if let Spec::Bucket(b) = &mut foreign {
        b.name = "someone-elses".into();
    }
    foreign.tags_mut().insert(OWNER_TAG.into(), "other".into());
    fake.insert(foreign);
    let plan = plan_of(&fake, &s).await;
    assert_eq!(actions(&plan), [("firehose.events".to_string(), Action::Replace)]);
    assert!(change(&plan, "firehose.events")
        .reasons
        .iter()
        .any(|r| matches!(r, Reason::Unusable(p) if p.contains("CREATING_FAILED (bad role)"))));
}

#[tokio::test]
async fn prevent_destroy_refuses_a_replace() {
    let fake = Arc::new(FakeProvider::new());
    apply(&fake, &stack(DEFAULT_STACK)).await;
    let s = stack(
        &DEFAULT_STACK
            .replace("dynamic_partitioning = true", "dynamic_partitioning = true\nprevent_destroy = true")
            .replace("name = \"${var.stream_name}\"", "name = \"other\""),
    );
    let plan = plan_of(&fake, &s).await;
    assert_eq!(change(&plan, "firehose.events").action, Action::Replace);
    assert!(check_safe(&plan).unwrap_err().contains("prevent_destroy"));
}

#[tokio::test]
async fn foreign_buckets_are_conflicts() {
    let s = stack(DEFAULT_STACK);
    let mut live = LiveState::default();
    live.foreign.push(Address::new(Kind::Bucket, "data"));
    let plan = build(&s, &live).unwrap();
    let bucket = change(&plan, "bucket.data");
    assert_eq!((bucket.action, &bucket.reasons[0]), (Action::Conflict, &Reason::InAnotherAccount));
    assert!(bucket.remedy.as_deref().unwrap().contains("choose another name"));
}

#[tokio::test]
async fn an_untagged_resource_of_a_wanted_name_is_never_adopted_or_deleted() {
    let s = stack(DEFAULT_STACK);
    let untagged = |address: &str| {
        let mut spec = s.get(&Address::parse(address).unwrap()).unwrap().spec.clone();
        spec.tags_mut().clear();
        spec
    };
    let fake = Arc::new(FakeProvider::new());
    // Someone's bucket and role of the wanted names (or a bucket an interrupted apply created on
    // an endpoint that drops CreateBucket's tags: nothing AWS enforces tells the two apart).
    fake.insert(untagged("bucket.data"));
    fake.insert(untagged("role.delivery"));
    let plan = plan_of(&fake, &s).await;
    for address in ["bucket.data", "role.delivery"] {
        assert_eq!(change(&plan, address).action, Action::Conflict, "{address}");
    }
    // The bucket's remedy explains the interrupted create and how to finish it.
    let remedy = change(&plan, "bucket.data").remedy.clone().unwrap();
    assert!(remedy.contains("interrupted apply") && remedy.contains("provision import bucket.data"), "{remedy}");
    let remedy = change(&plan, "role.delivery").remedy.clone().unwrap();
    assert!(!remedy.contains("interrupted apply"), "a role's create carries its tags: {remedy}");
    let provider: Arc<dyn Provider> = fake.clone();
    let destroy = build_destroy(&s, &crate::live::read(&s, &provider, &[]).await.unwrap());
    assert!(destroy.changes.iter().all(|c| c.action != Action::Delete), "destroy leaves them alone");
}

#[tokio::test]
async fn a_resource_found_in_the_way_of_a_create_is_left_alone() {
    let s = stack(DEFAULT_STACK);
    let fake = Arc::new(FakeProvider::new());
    let plan = plan_of(&fake, &s).await;
    // Between the plan and the create (at the confirmation prompt), someone creates the bucket.
    let mut theirs = s.get(&Address::parse("bucket.data").unwrap()).unwrap().spec.clone();
    theirs.tags_mut().clear();
    fake.insert(theirs);
    let provider: Arc<dyn Provider> = fake.clone();
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    let report = crate::apply::execute(&plan, &provider, 10, stopped, |_| {}).await;
    assert_eq!(report.failed.len(), 1);
    assert!(report.failed[0].1.contains("not owned by this stack"), "{:?}", report.failed);
    assert!(fake.get(Kind::Bucket, crate::testing::BUCKET).unwrap().owner().is_none(), "not tagged");
    let again = plan_of(&fake, &s).await;
    assert_eq!(change(&again, "bucket.data").action, Action::Conflict);
}

#[tokio::test]
async fn sensitive_attributes_are_hidden_on_both_sides() {
    let fake = Arc::new(FakeProvider::new());
    let text = DEFAULT_STACK
        .replace("[variables]", "[variables]\ntoken = { default = \"old-secret\", sensitive = true }")
        .replace("publish = true", "publish = true\nenvironment = { TOKEN = \"${var.token}\" }");
    apply(&fake, &stack(&text)).await;
    let s = stack(&text.replace("old-secret", "new-secret"));
    let plan = plan_of(&fake, &s).await;
    let lambda = change(&plan, "lambda.extractor");
    let token = lambda.attributes.iter().find(|a| a.key == "environment.TOKEN").unwrap();
    assert_eq!((token.before.clone(), token.after.clone()), (Some(Attr::Sensitive), Some(Attr::Sensitive)));
    let json = serde_json::to_string(&plan).unwrap();
    assert!(!json.contains("secret"), "{json}");
}

#[tokio::test]
async fn tags_others_manage_are_never_drift_when_ignored() {
    let fake = Arc::new(FakeProvider::new());
    let text = DEFAULT_STACK.replace(
        "tags = { project = \"firehose-dynamic-partitioning\" }",
        "tags = { project = \"firehose-dynamic-partitioning\", CostCenter = \"mine\" }\nignore_tags = { keys = [\"CostCenter\"], key_prefixes = [\"org:\"] }",
    );
    let s = stack(&text);
    assert!(s.resources.iter().all(|r| !r.spec.tags().contains_key("CostCenter")), "an ignored tag is not set either");
    apply(&fake, &s).await;
    let by_hand = |key: &str| {
        fake.modify(Kind::Bucket, crate::testing::BUCKET, |spec| {
            spec.tags_mut().insert(key.into(), "someone".into());
        })
    };
    by_hand("CostCenter");
    by_hand("org:team");
    by_hand("aws:createdBy");
    assert!(!plan_of(&fake, &s).await.has_changes(), "ignored keys, prefixes and aws: are not drift");
    by_hand("colleague");
    let plan = plan_of(&fake, &s).await;
    let bucket = change(&plan, "bucket.data");
    assert_eq!(bucket.action, Action::Update);
    assert_eq!(bucket.attributes.iter().map(|a| a.key.as_str()).collect::<Vec<_>>(), ["tags.colleague"]);
}

#[tokio::test]
async fn only_function_updates_and_the_streams_following_them_are_hotswapped() {
    let fake = Arc::new(FakeProvider::new());
    let s = stack(DEFAULT_STACK);
    apply(&fake, &s).await;
    // New code: the function updates, the stream takes its new version.
    let mut code = s.clone();
    for r in &mut code.resources {
        if let Spec::Lambda(l) = &mut r.spec {
            l.code_sha256 = "new-code".into();
        }
    }
    let plan = plan_of(&fake, &code).await;
    assert_eq!(
        actions(&plan),
        [("lambda.extractor".into(), Action::Update), ("firehose.events".into(), Action::Update)]
    );
    assert!(hotswappable(&plan));
    // Anything else (a buffer change) is for apply.
    let other = stack(&DEFAULT_STACK.replace("buffer_interval_seconds = 60", "buffer_interval_seconds = 120"));
    assert!(!hotswappable(&plan_of(&fake, &other).await));
    assert!(!hotswappable(&plan_of(&fake, &s).await), "no changes: nothing to hotswap");
    // The environment is hotswapped; a role, runtime, memory or timeout change is not.
    let with_env = |extra: &str| stack(&DEFAULT_STACK.replace("publish = true", &format!("publish = true\n{extra}")));
    let env = with_env("environment = { STAGE = \"dev\" }");
    assert!(hotswappable(&plan_of(&fake, &env).await));
    for (from, to) in
        [("runtime = \"python3.12\"", "runtime = \"python3.13\""), ("timeout_seconds = 60", "timeout_seconds = 30")]
    {
        assert!(DEFAULT_STACK.contains(from), "{from}");
        let edited = stack(&DEFAULT_STACK.replace(from, to));
        assert!(!hotswappable(&plan_of(&fake, &edited).await), "{to}");
    }
    // A role changed behind provision's back is put back by apply, never by watch.
    fake.modify(Kind::Lambda, "MetadataExtractor", |spec| {
        if let Spec::Lambda(l) = spec {
            l.role_arn = "arn:aws:iam::123456789012:role/other".into();
        }
    });
    let drifted = plan_of(&fake, &s).await;
    assert_eq!(change(&drifted, "lambda.extractor").attributes[0].key, "role");
    assert!(!hotswappable(&drifted));
}

#[tokio::test]
async fn a_stream_s_processors_are_hotswapped_only_to_take_a_new_version() {
    let fake = Arc::new(FakeProvider::new());
    let s = stack(DEFAULT_STACK);
    apply(&fake, &s).await;
    // A processor parameter (the Lambda's retries) changes: the stream's processors change, and
    // that is apply's, alone or beside new code.
    let retries = DEFAULT_STACK.replace("retries = 3", "retries = 2");
    assert_ne!(retries, DEFAULT_STACK);
    let plan = plan_of(&fake, &stack(&retries)).await;
    assert_eq!(change(&plan, "firehose.events").attributes[0].key, "processors");
    assert!(!hotswappable(&plan));
    let mut both = stack(&retries);
    for r in &mut both.resources {
        if let Spec::Lambda(l) = &mut r.spec {
            l.code_sha256 = "new-code".into();
        }
    }
    assert!(!hotswappable(&plan_of(&fake, &both).await), "new code beside a processor change");
    // The stream switched to another function of the stack: apply's too.
    let other = DEFAULT_STACK.replace("function = \"lambda.extractor\"", "function = \"lambda.other\"")
        + "\n[lambda.other]\nname = \"Other\"\nruntime = \"python3.12\"\nhandler = \"index.lambda_handler\"\nsource = \"examples/lambda/metadata_extractor\"\nrole = \"role.extractor\"\n";
    let mut other = stack(&other);
    other.resources.retain(|r| r.address.name != "other");
    let switched = plan_of(&fake, &other).await;
    assert!(!hotswappable(&switched));
}

/// Two pipelines from one `for_each`, as a fleet has them.
const TWO_PIPELINES: &str = r#"
[stack]
name = "fleet"

[bucket.data]
for_each = ["a", "b"]
name = "fleet-data-${each.key}"

[role.delivery]
for_each = ["a", "b"]
trust = ["firehose.amazonaws.com"]

[firehose.events]
for_each = ["a", "b"]
name = "events-${each.key}"
role = "role.delivery[${each.key}]"
bucket = "bucket.data[${each.key}]"
"#;

#[tokio::test]
async fn a_destroy_deletes_each_pipeline_after_its_own_stream_not_after_the_whole_fleet_s() {
    let fake = Arc::new(FakeProvider::new());
    let s = stack(TWO_PIPELINES);
    apply(&fake, &s).await;
    let provider: Arc<dyn Provider> = fake.clone();
    let live = crate::testing::live_of(&s, &provider).await;
    let plan = build_destroy(&s, &live);
    let after = |a: &str| -> Vec<String> { change(&plan, a).after.iter().map(|x| x.to_string()).collect() };
    // What stack.toml says: pipeline a's role waits for pipeline a's stream only.
    assert_eq!(after("role.delivery[a]"), ["firehose.events[a]"]);
    assert_eq!(after("bucket.data[b]"), ["firehose.events[b]"]);
    assert!(after("firehose.events[a]").is_empty());
    // An orphan's references are not known: every delete of a kind that may reference it goes first.
    let one = stack(&TWO_PIPELINES.replace("[\"a\", \"b\"]", "[\"a\"]"));
    let live = crate::testing::live_of(&one, &provider).await;
    let plan = build_destroy(&one, &live);
    let orphan_role: Vec<String> = change(&plan, "role.delivery[b]").after.iter().map(|x| x.to_string()).collect();
    assert_eq!(orphan_role, ["firehose.events[a]", "firehose.events[b]"]);
    assert_eq!(
        change(&plan, "role.delivery[a]").after.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
        ["firehose.events[a]", "firehose.events[b]"],
        "a declared role also waits for the orphan stream, which may reference it"
    );
}

/// A stack of this name deployed from another home: a partner account's own stack (found in a
/// location this stack reaches), or the same file applied from another Region. Its resources
/// are never this run's orphans, nor taken for declared ones; a resource made before the home
/// tag is read as belonging to the home it is in.
#[tokio::test]
async fn resources_deployed_from_another_home_are_never_taken_for_the_stack_s_own() {
    let fake = Arc::new(FakeProvider::new());
    let s = stack(DEFAULT_STACK);
    let partner = Location::new("210987654321", "eu-west-1");
    let named = |name: &str| {
        let mut spec = s.get(&Address::new(Kind::Bucket, "data")).unwrap().spec.clone();
        if let Spec::Bucket(b) = &mut spec {
            b.name = name.into();
        }
        spec
    };
    // The partner's own same-named stack, tagged with its home: not declared here.
    let mut theirs = named("partner-bucket");
    theirs.tags_mut().insert(ADDRESS_TAG.into(), "bucket.partner".into());
    theirs.tags_mut().insert(HOME_TAG.into(), partner.tag_value());
    fake.insert(theirs);
    // Made before the home tag, declared (by its location tag) in another Region: that home's.
    let mut legacy_elsewhere = named("legacy-elsewhere");
    legacy_elsewhere.tags_mut().remove(HOME_TAG);
    legacy_elsewhere.tags_mut().insert(ADDRESS_TAG.into(), "bucket.old_eu".into());
    legacy_elsewhere.tags_mut().insert(LOCATION_TAG.into(), "123456789012/eu-west-1".into());
    fake.insert(legacy_elsewhere);
    // Made before the home tag, at home: the stack's own orphan.
    let mut legacy_home = named("legacy-home");
    legacy_home.tags_mut().remove(HOME_TAG);
    legacy_home.tags_mut().insert(ADDRESS_TAG.into(), "bucket.old".into());
    fake.insert(legacy_home);
    // A declared name taken by the partner's deployment: a conflict, never changed.
    let mut role = s.get(&Address::new(Kind::Role, "delivery")).unwrap().spec.clone();
    role.tags_mut().insert(HOME_TAG.into(), partner.tag_value());
    fake.insert(role);
    let provider: Arc<dyn Provider> = fake.clone();
    let live = crate::testing::live_of(&s, &provider).await;
    let mut others: Vec<String> = live.other_homes.iter().map(|(a, h)| format!("{a} {}", h.tag_value())).collect();
    others.sort();
    assert_eq!(others, ["bucket.old_eu 123456789012/eu-west-1", "bucket.partner 210987654321/eu-west-1"]);
    let plan = build(&s, &live).unwrap();
    let deletes: Vec<String> =
        plan.changes.iter().filter(|c| c.action == Action::Delete).map(|c| c.address.to_string()).collect();
    assert_eq!(deletes, ["bucket.old"]);
    let role = change(&plan, "role.delivery");
    assert_eq!(role.action, Action::Conflict);
    assert!(matches!(&role.reasons[0], Reason::OtherDeployment { home } if *home == partner), "{:?}", role.reasons);
    let destroy = build_destroy(&s, &live);
    assert_eq!(change(&destroy, "role.delivery").action, Action::Conflict);
    assert!(destroy.changes.iter().all(|c| c.address != Address::parse("bucket.partner").unwrap()));
}
