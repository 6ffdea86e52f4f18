//! Every kind through its life against the in-memory cloud: create, plan-clean, drift and its
//! repair, a replacement, discovery of the resource once stack.toml no longer declares it, and
//! its delete, in an order that respects what references what.

use super::{Kind, EXAMPLES};
use crate::model::Address;
use crate::plan::{self, Action, Plan, Reason};
use crate::provider::fake::FakeProvider;
use crate::provider::Provider;
use crate::testing::stack;
use std::collections::HashMap;
use std::sync::Arc;

const HEADER: &str = "[stack]\nname = \"generic\"\n";

async fn plan_of(fake: &Arc<FakeProvider>, toml: &str) -> Plan {
    let s = stack(&format!("{HEADER}{toml}"));
    let provider: Arc<dyn Provider> = fake.clone();
    let live = crate::testing::live_of(&s, &provider).await;
    plan::build(&s, &live).unwrap()
}

async fn apply(fake: &Arc<FakeProvider>, plan: &Plan) {
    let provider: Arc<dyn Provider> = fake.clone();
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    let report = crate::apply::execute(plan, &provider, 4, stopped, |_| {}).await;
    assert!(report.complete(), "{report:?}");
}

fn action_of(plan: &Plan, address: &str) -> Option<Action> {
    plan.changes.iter().find(|c| c.address == Address::parse(address).unwrap()).map(|c| c.action)
}

/// Asserts that every resource in `order` (by address) comes before what it references.
fn assert_dependents_first(kind: Kind, what: &str, order: &[Address], references: &[(Address, Vec<Address>)]) {
    let at = |a: &Address| order.iter().position(|o| o == a);
    for (resource, referenced) in references {
        for r in referenced {
            if let (Some(dependent), Some(dependency)) = (at(resource), at(r)) {
                assert!(dependent < dependency, "{kind}: {what}: {r} deleted before {resource}, which uses it");
            }
        }
    }
}

#[tokio::test]
async fn every_kind_lives_through_create_drift_replace_orphan_and_destroy() {
    for (kind, example) in EXAMPLES {
        let fake = Arc::new(FakeProvider::new());
        let address = Address::parse(example.address).unwrap();
        assert_eq!(address.kind, *kind, "{kind}: the example's address is of another kind");
        // What references what, and that each kind says what it may reference (what removed
        // resources, whose references are unknown, are ordered by).
        let references: Vec<(Address, Vec<Address>)> = stack(&format!("{HEADER}{}", example.toml))
            .resources
            .iter()
            .map(|r| (r.address.clone(), r.depends_on.clone()))
            .collect();
        for (resource, referenced) in &references {
            for r in referenced {
                assert!(resource.kind.may_reference(r.kind), "{resource} references {r}: add it to may_reference");
            }
        }

        // Create: everything the example declares, then nothing left to do.
        let plan = plan_of(&fake, example.toml).await;
        assert_eq!(action_of(&plan, example.address), Some(Action::Create), "{kind}");
        apply(&fake, &plan).await;
        let clean = plan_of(&fake, example.toml).await;
        assert!(!clean.has_changes(), "{kind}: a plan right after apply changes {:?}", clean.changes);

        // Drift behind the stack's back: an update, after which the plan is clean again.
        let name = plan.changes.iter().find(|c| c.address == address).unwrap().physical_name.clone();
        fake.modify(*kind, &name, example.drift);
        let drifted = plan_of(&fake, example.toml).await;
        assert_eq!(action_of(&drifted, example.address), Some(Action::Update), "{kind}: drift not seen");
        apply(&fake, &drifted).await;
        assert!(!plan_of(&fake, example.toml).await.has_changes(), "{kind}: drift not repaired");

        // A change AWS cannot make in place: a replacement, with its typed reason.
        let replaced = plan_of(&fake, example.replaced).await;
        let change = replaced.changes.iter().find(|c| c.address == address).unwrap();
        assert_eq!(change.action, Action::Replace, "{kind}");
        assert!(
            change.reasons.iter().any(|r| matches!(r, Reason::Forces { .. } | Reason::Renamed { .. })),
            "{kind}: {:?}",
            change.reasons
        );
        apply(&fake, &replaced).await;
        assert!(!plan_of(&fake, example.replaced).await.has_changes(), "{kind}: replacement not settled");
        // Back as first declared (a role at a path stack.toml no longer writes is not searched).
        apply(&fake, &plan_of(&fake, example.toml).await).await;

        // Removed from stack.toml: found by its tags and deleted, dependents first.
        fake.reset_calls();
        let orphaned = plan_of(&fake, "").await;
        assert_eq!(action_of(&orphaned, example.address), Some(Action::Delete), "{kind}: orphan not found");
        let planned: Vec<Address> = orphaned.changes.iter().map(|c| c.address.clone()).collect();
        assert_dependents_first(*kind, "the plan", &planned, &references);
        let address_of: HashMap<String, Address> =
            orphaned.changes.iter().map(|c| (c.physical_name.clone(), c.address.clone())).collect();
        apply(&fake, &orphaned).await;
        assert!(fake.names().is_empty(), "{kind}: left behind {:?}", fake.names());
        let deleted: Vec<Address> = fake
            .calls()
            .iter()
            .filter_map(|c| c.strip_prefix("delete "))
            .filter_map(|n| address_of.get(n).cloned())
            .collect();
        assert_eq!(deleted.len(), planned.len(), "{kind}: {:?}", fake.calls());
        assert_dependents_first(*kind, "apply", &deleted, &references);
    }
}

/// The example's resource as someone else made it: the same name, a setting of its own (the
/// example's drift), and `owner`'s tags or none.
fn namesake(example: &super::Example, owner: Option<&str>) -> crate::model::Spec {
    let s = stack(&format!("{HEADER}{}", example.toml));
    let address = Address::parse(example.address).unwrap();
    let mut spec = s.get(&address).unwrap().spec.clone();
    spec.tags_mut().retain(|k, _| !crate::model::is_ownership_tag(k));
    if let Some(owner) = owner {
        spec.tags_mut().insert(crate::model::OWNER_TAG.into(), owner.into());
        spec.tags_mut().insert(crate::model::ADDRESS_TAG.into(), example.address.into());
    }
    (example.drift)(&mut spec);
    spec
}

/// A resource of every kind made by someone else at a name the stack wants (untagged, or
/// another stack's): a conflict in the plan, and after apply still exactly as it was. The fake
/// answers creates as AWS does (PutMetricAlarm overwrites, CreateTopic fails on other tags), so
/// this holds only through provision's own checks.
#[tokio::test]
async fn every_kind_s_foreign_namesake_is_a_conflict_and_stays_as_it_was() {
    for (kind, example) in EXAMPLES {
        for owner in [None, Some("other-stack")] {
            let fake = Arc::new(FakeProvider::new());
            let foreign = namesake(example, owner);
            let name = foreign.physical_name().to_string();
            fake.insert(foreign);
            let before = fake.get(*kind, &name).unwrap();
            let plan = plan_of(&fake, example.toml).await;
            assert_eq!(action_of(&plan, example.address), Some(Action::Conflict), "{kind} ({owner:?})");
            apply(&fake, &plan.without_conflicts()).await;
            assert_eq!(
                fake.get(*kind, &name).unwrap().spec,
                before.spec,
                "{kind} ({owner:?}): the foreign one changed"
            );
        }
    }
}

/// The fake's create over an existing resource of another's, kind by kind, as AWS answers: what
/// fails on AWS fails (and provision's reader refuses it), PutMetricAlarm overwrites it, and
/// CreateTopic with the stack's tags fails on a topic of other tags. A test on the fake thus
/// fails where provision's own check before the create goes.
#[tokio::test]
async fn the_fake_answers_a_create_over_another_s_resource_as_aws_does() {
    use super::OnExisting;
    for (kind, example) in EXAMPLES {
        let fake = Arc::new(FakeProvider::new());
        let foreign = namesake(example, None);
        let name = foreign.physical_name().to_string();
        fake.insert(foreign);
        let before = fake.get(*kind, &name).unwrap();
        let s = stack(&format!("{HEADER}{}", example.toml));
        let mut ours = s.get(&Address::parse(example.address).unwrap()).unwrap().spec.clone();
        ours.resolve(&HashMap::new());
        let created = fake.create(&FakeProvider::home(), &ours, std::time::Duration::ZERO).await;
        let after = fake.get(*kind, &name).unwrap();
        match kind.info().on_existing {
            OnExisting::Upserts => {
                assert!(created.is_ok(), "{kind}: {created:?}");
                assert_ne!(after.spec, before.spec, "{kind}: an upsert overwrites another's");
            }
            OnExisting::Fails(_) | OnExisting::ReturnsExisting(_) => {
                assert!(created.is_err(), "{kind}: a create over another's must fail");
                assert_eq!(after.spec, before.spec, "{kind}");
            }
        }
    }
}

/// Deleting a resource that holds data, as AWS does: S3 refuses a bucket holding objects,
/// DeleteLogGroup deletes the events with the group. Only provision's check before the delete
/// (destroy's refusal without `force_destroy`) keeps a log group's events.
#[tokio::test]
async fn the_fake_deletes_held_data_where_aws_does() {
    for (kind, example) in EXAMPLES.iter().filter(|(k, _)| k.info().holds.is_some()) {
        let fake = Arc::new(FakeProvider::new());
        let plan = plan_of(&fake, example.toml).await;
        apply(&fake, &plan).await;
        let name = plan
            .changes
            .iter()
            .find(|c| c.address == Address::parse(example.address).unwrap())
            .unwrap()
            .physical_name
            .clone();
        fake.put_objects(&name, 3);
        let live = fake.get(*kind, &name).unwrap();
        let deleted = fake.delete(&live, false, std::time::Duration::ZERO).await;
        if kind.info().delete_refused_while_holding {
            assert!(deleted.is_err() && fake.get(*kind, &name).is_some(), "{kind}: AWS refuses");
        } else {
            assert!(deleted.is_ok() && fake.get(*kind, &name).is_none(), "{kind}: AWS deletes the data with it");
        }
    }
}
