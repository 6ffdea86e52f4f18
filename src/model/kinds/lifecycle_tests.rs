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
    plan.changes.iter().find(|c| c.address.to_string() == address).map(|c| c.action)
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
