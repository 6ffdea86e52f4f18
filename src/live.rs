//! Reading live state through the provider: declared resources by name where each lives,
//! owned ones by tag in every location searched.

use crate::error::InAnotherAccount;
use crate::model::{Address, Live, Location, Owned, Stack, ADDRESS_TAG, LOCATION_TAG};
use crate::plan::LiveState;
use crate::provider::{Lookup, Provider, Scope};
use anyhow::{Context as _, Result};
use futures::stream::{self, StreamExt};
use std::sync::Arc;

/// Checks that every existing resource the stack uses exists, in this account; it is only read.
async fn check_existing(stack: &Stack, provider: &Arc<dyn Provider>) -> Result<()> {
    let reads = stack.existing.iter().map(|e| async move {
        (e, provider.read(&e.location, Lookup { kind: e.kind, name: &e.name, desired: None, tags: None }).await)
    });
    for (e, read) in futures::future::join_all(reads).await {
        let name = crate::output::escape(&e.name);
        match read {
            Ok(Some(_)) => {}
            Ok(None) => anyhow::bail!(
                "{}: the existing {} {name:?} does not exist in account {} ({}); nothing was changed",
                e.key,
                e.kind.noun(),
                e.location.account,
                e.location.region
            ),
            Err(err) if err.chain().any(|c| c.is::<InAnotherAccount>()) => anyhow::bail!(
                "{}: the existing {} {name:?} belongs to another account: provision reads and writes nothing there",
                e.key,
                e.kind.noun()
            ),
            Err(err) => return Err(err.context(format!("{}: reading the existing {} {name:?}", e.key, e.kind.noun()))),
        }
    }
    Ok(())
}

/// Checks that every managed policy a role attaches exists: AWS would refuse the attachment
/// in the middle of an apply.
async fn check_managed_policies(stack: &Stack, provider: &Arc<dyn Provider>) -> Result<()> {
    let mut wanted: Vec<(crate::model::Position, &str)> = Vec::new();
    for r in &stack.resources {
        if let crate::model::Spec::Role(role) = &r.spec {
            for arn in &role.managed_policies {
                if !wanted.iter().any(|(_, a)| a == arn) {
                    wanted.push((crate::model::Position::resource(&r.address).at("managed_policies"), arn));
                }
            }
        }
    }
    let checks = wanted.iter().map(|(key, arn)| async move { (key, arn, provider.policy_exists(arn).await) });
    for (key, arn, exists) in futures::future::join_all(checks).await {
        if !exists.with_context(|| format!("{key}: reading the managed policy {arn}"))? {
            anyhow::bail!(
                "{key}: the managed policy {} does not exist (GetPolicy: NoSuchEntity); nothing was changed",
                crate::output::escape(arn)
            );
        }
    }
    Ok(())
}

/// One declared resource's read.
type Read = (Address, anyhow::Result<Option<Live>>);

/// The stack's owned resources in each of `locations`, searched side by side; a resource found
/// by several searches (a global name, listed from every Region) is kept once.
pub async fn discover(stack: &Stack, provider: &Arc<dyn Provider>, locations: &[Location]) -> Result<Vec<Owned>> {
    let searches = locations.iter().map(|l| {
        let scope = Scope::of(stack, l);
        async move { provider.discover(l, &scope).await.with_context(|| format!("searching {l}")) }
    });
    let mut found = Vec::new();
    for result in futures::future::join_all(searches).await {
        found.extend(result?);
    }
    Ok(once_each(found))
}

/// Keeps one of each resource found (see [`identity`]).
pub fn once_each(found: Vec<Owned>) -> Vec<Owned> {
    let mut seen = std::collections::HashSet::new();
    found.into_iter().filter(|o| seen.insert(identity(o))).collect()
}

/// What tells a resource found apart from another: its kind, its name and the part of where
/// it was found that keeps names of its kind apart (a bucket listed from two Regions is one).
pub fn identity(o: &Owned) -> (crate::model::Kind, String, String) {
    (o.address.kind, o.physical_name.clone(), o.address.kind.info().names.key(&o.found_in))
}

/// Whether `owned` was found where `location` keeps names of its kind: the same resource as one
/// of that kind and name declared there.
fn found_at(owned: &Owned, location: &Location) -> bool {
    let names = owned.address.kind.info().names;
    names.key(&owned.found_in) == names.key(location)
}

/// How many reads run at once: every read of the largest stack (F2's 10,000 resources). Reads
/// are paced per API (and location) by quota, so each API's reads drain at its own rate side by
/// side, whatever the kinds' order: a fleet of many Regions waits for its busiest quota only.
const READS_IN_FLIGHT: usize = crate::config::expand::MAX_RESOURCES;

/// Reads the live state: declared resources by name (with the tags discovery found, so most
/// reads make no tag call), then owned resources no longer declared.
pub async fn read(stack: &Stack, provider: &Arc<dyn Provider>, owned: &[Owned]) -> Result<LiveState> {
    read_for(stack, provider, owned, false).await
}

/// [`read`] for a plan that only deletes (`destroy`, `plan --destroy`): what the stack would use
/// to create (existing resources, managed policies) is not checked, so a policy AWS retired or
/// a data lake removed never blocks a destroy.
pub async fn read_for_destroy(stack: &Stack, provider: &Arc<dyn Provider>, owned: &[Owned]) -> Result<LiveState> {
    read_for(stack, provider, owned, true).await
}

async fn read_for(stack: &Stack, provider: &Arc<dyn Provider>, owned: &[Owned], destroy: bool) -> Result<LiveState> {
    let mut by_quota: Vec<&crate::model::Resource> = stack.resources.iter().collect();
    let order = crate::model::Kind::referencing_first();
    by_quota.sort_by_key(|r| order.iter().position(|k| *k == r.address.kind));
    let reads = by_quota.into_iter().map(|r| {
        let provider = provider.clone();
        let discovered = discovered(owned, r);
        let tags = discovered.and_then(|o| o.tags.clone());
        let found = discovered.filter(|_| destroy).and_then(|o| as_found(stack, r, o));
        async move {
            if let Some(live) = found {
                return (r.address.clone(), Ok(Some(live)));
            }
            let read = provider
                .read(
                    &r.location,
                    Lookup {
                        kind: r.address.kind,
                        name: r.physical_name(),
                        desired: Some(&r.spec),
                        tags: tags.as_ref(),
                    },
                )
                .await;
            (r.address.clone(), read)
        }
    });
    // The checks of what the stack uses (existing resources, managed policies) run beside the
    // reads: no round of calls of their own.
    let (declared, existing, policies): (Vec<Read>, _, _) = tokio::join!(
        stream::iter(reads).buffer_unordered(READS_IN_FLIGHT).collect(),
        async {
            if destroy {
                Ok(())
            } else {
                check_existing(stack, provider).await
            }
        },
        async {
            if destroy {
                Ok(())
            } else {
                check_managed_policies(stack, provider).await
            }
        }
    );
    existing?;
    policies?;
    let mut state = LiveState::default();
    for (address, read) in declared {
        match read {
            Ok(live) => {
                if live.as_ref().is_some_and(|l| l.owner() == Some(stack.name.as_str()) && l.home().is_none()) {
                    state.without_home += 1;
                }
                state.by_address.insert(address, live);
            }
            Err(e) if e.chain().any(|c| c.is::<InAnotherAccount>()) => state.foreign.push(address),
            Err(e) => return Err(e),
        }
    }
    state.foreign.sort();
    read_orphans(stack, provider, owned, &mut state).await?;
    Ok(state)
}

/// What discovery found of the declared resource `r`, where it is declared.
fn discovered<'a>(owned: &'a [Owned], r: &crate::model::Resource) -> Option<&'a Owned> {
    owned
        .iter()
        .find(|o| o.address.kind == r.address.kind && o.physical_name == r.physical_name() && found_at(o, &r.location))
}

/// A declared resource as discovery found it (`o`), for a plan that only deletes, with no read of its
/// own: owned as the tagging index's tags say (or, for a role, the stack's marker in its
/// description, which stands for the tags it was given). The index may lag: each delete reads
/// the resource's tags again with its own service's API right before it ([`crate::apply`]) and
/// leaves it alone unless they are the stack's, so what the index says never deletes anything.
/// `None`: discovery found it there, but not as the stack's, and it is read.
fn as_found(stack: &Stack, r: &crate::model::Resource, o: &Owned) -> Option<Live> {
    let mut spec = r.spec.clone();
    match &o.tags {
        Some(tags) if tags.get(crate::model::OWNER_TAG) == Some(&stack.name) => *spec.tags_mut() = tags.clone(),
        Some(_) => return None,
        None => {}
    }
    let arn = spec.arn(&r.location.env());
    let mut live = Live::new(spec, arn);
    live.location = r.location.clone();
    live.tags_unread = o.tags.is_none();
    Some(live)
}

/// [`read`]'s orphans of more owned resources (found in locations searched later), added to
/// `state`.
pub async fn read_more_orphans(
    stack: &Stack,
    provider: &Arc<dyn Provider>,
    owned: &[Owned],
    state: &mut LiveState,
) -> Result<()> {
    read_orphans(stack, provider, owned, state).await
}

/// Reads the owned resources the stack no longer declares into `state.orphans` (only what
/// carries the stack's tag when read), with the tags the stack leaves to others set aside.
/// One rule keeps every location apart: a resource whose address the stack still declares
/// in another location belongs to another deployment of the stack (the same stack.toml applied
/// with another region) and is left alone, noted in `state.elsewhere`; one whose address is
/// declared nowhere, or declared where it lives (renamed), is an orphan wherever it lives.
async fn read_orphans(
    stack: &Stack,
    provider: &Arc<dyn Provider>,
    owned: &[Owned],
    state: &mut LiveState,
) -> Result<()> {
    // Declared resources are read by name; existing ones are never the stack's, tags or not.
    let is_declared = |o: &Owned| {
        stack.resources.iter().any(|r| {
            r.address.kind == o.address.kind && r.physical_name() == o.physical_name && found_at(o, &r.location)
        }) || stack
            .existing
            .iter()
            .any(|e| e.kind == o.address.kind && e.name == o.physical_name && found_at(o, &e.location))
    };
    let orphan_reads = owned.iter().filter(|o| !is_declared(o)).map(|o| {
        let provider = provider.clone();
        // Read where its tag says it lives when that is where it was found or a Region of the
        // same account (a bucket is listed from every Region; S3 answers in its own).
        let tagged = o.tags.as_ref().and_then(|t| t.get(LOCATION_TAG)).and_then(|v| Location::from_tag(v));
        let at = tagged.filter(|l| l.account == o.found_in.account).unwrap_or_else(|| o.found_in.clone());
        async move {
            provider
                .read(
                    &at,
                    Lookup { kind: o.address.kind, name: &o.physical_name, desired: None, tags: o.tags.as_ref() },
                )
                .await
                .map(|l| (o, l))
        }
    });
    let orphans: Vec<Result<(&Owned, Option<Live>)>> =
        stream::iter(orphan_reads).buffer_unordered(READS_IN_FLIGHT).collect().await;
    for read in orphans {
        let (owned, live) = read?;
        // Only what carries this stack's tag is ever planned for deletion.
        let Some(mut live) = live.filter(|l| l.owner() == Some(stack.name.as_str())) else { continue };
        // A role or bucket listed from one Region of its account is said to be, and is deleted,
        // where its tag declares it.
        let declared = live.declared_location();
        if declared.account == live.location.account {
            live.location = declared;
        }
        let tag = live.spec.tags().get(ADDRESS_TAG).map(String::as_str);
        let address = Address::from_tag(tag, owned.address.kind, &owned.physical_name);
        let lives = live.declared_location();
        if live.home().is_none() {
            state.without_home += 1;
        }
        // Only a resource of this run's own home can be its orphan: the same stack name deployed
        // from another home (the same file applied from another Region, a partner account's own
        // stack) is another deployment's, whatever the account-wide listing found.
        let home = live.deployed_from();
        if home != stack.home() {
            state.other_homes.push((address, home));
            continue;
        }
        match stack.get(&address) {
            Some(declared) if declared.location != lives => state.elsewhere.push((address, lives)),
            _ => state.orphans.push((address, live)),
        }
    }
    state.orphans.sort_by(|a, b| a.0.cmp(&b.0));
    state.elsewhere.sort();
    state.elsewhere.dedup();
    state.other_homes.sort();
    state.other_homes.dedup();
    for live in state.by_address.values_mut().flatten().chain(state.orphans.iter_mut().map(|(_, l)| l)) {
        live.set_aside(&stack.ignore_tags);
    }
    Ok(())
}
