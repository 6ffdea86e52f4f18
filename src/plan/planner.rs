//! The planner: the desired stack and the live state -> the changes, each with its reasons,
//! conflicts left alone, forced replacements and targets applied.

use super::diff::{self, AttrChange, Outcome};
use super::*;
use crate::model::*;

/// Builds the plan `request` asks for: converge (or destroy), with forced replacements, cut
/// down to the targets and what they need.
pub fn build_requested(stack: &Stack, live: &LiveState, request: &Request) -> Result<Plan, String> {
    let known: Vec<&Address> =
        stack.resources.iter().map(|r| &r.address).chain(live.orphans.iter().map(|(a, _)| a)).collect();
    // An address, or a part of one: `module.tenant[acme]` picks that instance's resources,
    // `firehose.events` every instance of a table with for_each.
    let parse = |flag: &str, selector: &crate::model::address::Selector| -> Result<Vec<Address>, String> {
        let picked: Vec<Address> = known.iter().filter(|a| selector.matches(a)).map(|a| (*a).clone()).collect();
        if picked.is_empty() {
            let text = selector.to_string();
            let candidates: Vec<String> = known.iter().map(|a| a.to_string()).collect();
            let hint = crate::model::diagnostic::did_you_mean(&text, candidates.iter().map(String::as_str))
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            return Err(format!("{flag} {text}: not a resource of this stack{hint}"));
        }
        Ok(picked)
    };
    let mut replace = Vec::new();
    for selector in &request.replace {
        replace.extend(parse("--replace", selector)?);
    }
    let mut targets = Vec::new();
    for selector in &request.targets {
        targets.extend(parse("--target", selector)?);
    }
    let mut plan = if request.destroy { build_destroy(stack, live) } else { build_replacing(stack, live, &replace)? };
    let mut changes = std::mem::take(&mut plan.changes);
    if !targets.is_empty() {
        let wanted = closure(&changes, &targets);
        changes.retain(|c| wanted.contains(&c.address));
    }
    Ok(Plan::new(&plan.stack, changes, plan.known_outputs))
}

/// The targets and every change they wait for: what they reference, and for a delete, the
/// deletes of what references them.
fn closure(changes: &[Change], targets: &[Address]) -> std::collections::HashSet<Address> {
    let mut wanted: std::collections::HashSet<Address> = targets.iter().cloned().collect();
    let mut todo: Vec<Address> = targets.to_vec();
    while let Some(a) = todo.pop() {
        let Some(c) = changes.iter().find(|c| c.address == a) else { continue };
        for dep in &c.after {
            let is_delete = |x: &Address| changes.iter().any(|d| &d.address == x && d.action == Action::Delete);
            // A delete waits for every create and update: only its deletes are what it needs.
            if c.action == Action::Delete && !is_delete(dep) {
                continue;
            }
            if wanted.insert(dep.clone()) {
                todo.push(dep.clone());
            }
        }
    }
    wanted
}

/// Builds the plan to make live match the stack.
pub fn build(stack: &Stack, live: &LiveState) -> Result<Plan, String> {
    build_replacing(stack, live, &[])
}

/// [`build`], replacing the resources of `replace` that exist even though nothing forces it:
/// what references them then waits for their new outputs.
fn build_replacing(stack: &Stack, live: &LiveState, replace: &[Address]) -> Result<Plan, String> {
    let mut changes = Vec::new();
    let mut known: HashMap<Address, Outputs> = HashMap::new();
    let mut replaced_orphans = Vec::new();
    for resource in ordered(stack)? {
        let mut desired = resource.clone();
        desired.spec.resolve(&known);
        if live.foreign.contains(&resource.address) {
            let mut c = conflict(&desired, None, Reason::InAnotherAccount);
            c.remedy =
                Some("choose another name: provision reads and writes nothing in another account's bucket".into());
            changes.push(c);
            continue;
        }
        let mut current = live.by_address.get(&resource.address).cloned().flatten();
        let mut renamed_from = None;
        if current.is_none() {
            // A resource of this address under another name (renamed in stack.toml): replace it.
            if let Some((_, old)) = live.orphans.iter().find(|(a, _)| a == &resource.address) {
                renamed_from = Some(old.spec.physical_name().to_string());
                replaced_orphans.push(old.spec.physical_name().to_string());
                current = Some(old.clone());
            }
        }
        if let Some(l) = &current {
            if let Some(owner) = l.owner().filter(|o| *o != stack.name) {
                changes.push(conflict(&desired, Some(l), Reason::OwnedByOtherStack { owner: owner.to_string() }));
                continue;
            }
            // Nothing untagged is adopted, whatever its kind (a log group a service created on
            // first use included): `provision import` adopts it.
            if l.owner().is_none() {
                changes.push(conflict(&desired, Some(l), Reason::NotOwned { stack: stack.name.clone() }));
                continue;
            }
            // A stack of this name deployed from another home (its [stack] account or Region):
            // another deployment's, never changed.
            if let Some(home) = l.home().filter(|h| *h != stack.home()) {
                let mut c = conflict(&desired, Some(l), Reason::OtherDeployment { home });
                c.remedy = Some(format!(
                    "give {} a name of its own per deployment (${{aws.region}} or ${{aws.account_id}} in it), or apply from that home",
                    resource.address
                ));
                changes.push(c);
                continue;
            }
            // The stack's, but declared to live elsewhere: another deployment's (one stack.toml
            // applied with two regions, a role or bucket of one name in both).
            let lives = l.declared_location();
            if lives != resource.location {
                let mut c = conflict(&desired, Some(l), Reason::OwnedElsewhere { location: lives });
                c.remedy = Some(format!(
                    "give {} a name of its own in each location (${{aws.region}} or ${{aws.account_id}} in it)",
                    resource.address
                ));
                changes.push(c);
                continue;
            }
        }
        let live_spec = current.as_ref().map(|l| l.spec.with_local_settings(&desired.spec));
        if let Some(live_spec) = &live_spec {
            desired.spec = desired.spec.known_from_live(live_spec);
        }
        let mut outcome = diff::diff(Some(&desired.spec), live_spec.as_ref());
        if let Some(problem) = current.as_ref().and_then(|l| l.problem.clone()) {
            // Unusable as it is (a stream in CREATING_FAILED): delete and create again.
            outcome = match outcome {
                Outcome::Replace(a, mut r) => {
                    r.push(Reason::Unusable(problem));
                    Outcome::Replace(a, r)
                }
                Outcome::Update(a) => Outcome::Replace(a, vec![Reason::Unusable(problem)]),
                _ => Outcome::Replace(vec![], vec![Reason::Unusable(problem)]),
            };
        }
        if replace.contains(&resource.address) && current.is_some() {
            outcome = match outcome {
                Outcome::NoOp => Outcome::Replace(vec![], vec![Reason::ReplaceRequested]),
                Outcome::Update(a) => Outcome::Replace(a, vec![Reason::ReplaceRequested]),
                other => other,
            };
        }
        let (action, attributes, mut reasons) = match outcome {
            Outcome::NoOp => (Action::NoOp, vec![], vec![]),
            Outcome::Create(a) => (Action::Create, a, vec![]),
            Outcome::Update(a) => (Action::Update, a, vec![]),
            Outcome::Replace(a, r) => (Action::Replace, a, r),
            Outcome::Delete => return Err(format!("internal error: {} planned for deletion", resource.address)),
        };
        if let Some(old) = renamed_from {
            reasons.push(Reason::Renamed { from: old });
        }
        if matches!(action, Action::NoOp | Action::Update) {
            if let Some(l) = &current {
                known.insert(resource.address.clone(), desired.spec.outputs(&l.arn));
            }
        }
        changes.push(Change {
            address: resource.address.clone(),
            physical_name: desired.physical_name().to_string(),
            location: resource.location.clone(),
            action,
            attributes: hide_sensitive(attributes, &stack.sensitive),
            reasons,
            remedy: None,
            after: vec![],
            force_destroy: desired.spec.force_destroy(),
            desired: Some(desired),
            live: current,
        });
    }
    for (address, orphan) in &live.orphans {
        if replaced_orphans.contains(&orphan.spec.physical_name().to_string()) {
            continue;
        }
        changes.push(delete(address, orphan, false));
    }
    Ok(Plan::new(&stack.name, changes, known))
}

/// Attributes whose value holds a sensitive value are shown as `(sensitive)`; a change to one
/// still shows as a change.
fn hide_sensitive(attributes: Vec<AttrChange>, sensitive: &[String]) -> Vec<AttrChange> {
    if sensitive.is_empty() {
        return attributes;
    }
    let holds_secret = |a: &Option<Attr>| matches!(a, Some(Attr::Value(v)) if sensitive.iter().any(|s| holds(v, s)));
    attributes
        .into_iter()
        .map(|c| {
            // Sensitivity is the attribute's: when either side holds a secret, neither is shown.
            if holds_secret(&c.before) || holds_secret(&c.after) {
                let hide = |a: Option<Attr>| a.map(|_| Attr::Sensitive);
                AttrChange { before: hide(c.before), after: hide(c.after), ..c }
            } else {
                c
            }
        })
        .collect()
}

/// Whether any string in `value` contains `secret`.
pub(super) fn holds(value: &serde_json::Value, secret: &str) -> bool {
    match value {
        serde_json::Value::String(s) => s.contains(secret),
        serde_json::Value::Array(items) => items.iter().any(|v| holds(v, secret)),
        serde_json::Value::Object(map) => map.iter().any(|(k, v)| k.contains(secret) || holds(v, secret)),
        other => other.to_string().contains(secret),
    }
}

/// Refuses plans that would touch what the stack does not own or must not destroy.
pub fn check_safe(plan: &Plan) -> Result<(), String> {
    // Each conflict with what can be done about it: import adopts a resource no stack owns, and
    // refuses one another stack owns (that stack must let it go first).
    let conflicts: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Conflict)
        .map(|c| format!("\n  {}: {}", c.address, c.remedy.as_deref().unwrap_or("choose another name")))
        .collect();
    if !conflicts.is_empty() {
        return Err(format!(
            "{} resource(s) of the wanted names exist but are not owned by this stack; nothing was changed:{}",
            conflicts.len(),
            conflicts.concat()
        ));
    }
    for c in &plan.changes {
        let protected = c.desired.as_ref().is_some_and(|d| d.prevent_destroy);
        if protected && matches!(c.action, Action::Replace | Action::Delete) {
            return Err(format!(
                "{} has prevent_destroy = true, but the plan would {} it; nothing was changed",
                c.address,
                if c.action == Action::Replace { "replace" } else { "destroy" }
            ));
        }
    }
    Ok(())
}

/// Builds the plan that deletes everything the stack owns, dependents first.
pub fn build_destroy(stack: &Stack, live: &LiveState) -> Plan {
    let mut changes = Vec::new();
    for resource in stack.resources.iter() {
        if live.foreign.contains(&resource.address) {
            let mut c = conflict(resource, None, Reason::InAnotherAccount);
            c.remedy = None;
            changes.push(c);
            continue;
        }
        match live.by_address.get(&resource.address).cloned().flatten() {
            Some(l) if l.owner() == Some(stack.name.as_str()) && l.home().is_none_or(|h| h == stack.home()) => {
                let force = resource.spec.force_destroy();
                let mut change = delete(&resource.address, &l, force);
                change.desired = Some(resource.clone());
                changes.push(change);
            }
            Some(l) => {
                let mut c = conflict(resource, Some(&l), Reason::NotOwned { stack: stack.name.clone() });
                c.remedy = None;
                changes.push(c);
            }
            None => {}
        }
    }
    for (address, orphan) in &live.orphans {
        changes.push(delete(address, orphan, false));
    }
    Plan::new(&stack.name, changes, HashMap::new())
}

fn delete(address: &Address, live: &Live, force_destroy: bool) -> Change {
    Change {
        address: address.clone(),
        physical_name: crate::output::escape(live.spec.physical_name()),
        location: live.location.clone(),
        action: Action::Delete,
        attributes: vec![],
        reasons: vec![],
        remedy: None,
        after: vec![],
        desired: None,
        live: Some(live.clone()),
        force_destroy,
    }
}

fn conflict(resource: &Resource, live: Option<&Live>, reason: Reason) -> Change {
    Change {
        address: resource.address.clone(),
        physical_name: resource.physical_name().to_string(),
        location: resource.location.clone(),
        action: Action::Conflict,
        attributes: vec![],
        reasons: vec![reason],
        remedy: Some(remedy(resource, live)),
        after: vec![],
        desired: Some(resource.clone()),
        live: live.cloned(),
        force_destroy: false,
    }
}

/// What the user can do about a resource of a wanted name that is not the stack's. An untagged
/// one of a kind whose create may not carry its tags (a bucket on an endpoint that drops
/// CreateBucket's tags) may be one an interrupted apply made: only the user can say so.
fn remedy(resource: &Resource, live: Option<&Live>) -> String {
    let untagged = live.is_some_and(|l| l.owner().is_none());
    // Another stack's: `import` refuses it; that stack must let it go first.
    if let Some(owner) = live.and_then(|l| l.owner()) {
        return format!(
            "stack {:?} owns it: destroy it there, or `provision forget` it there and then `provision import {}` here; otherwise choose another name",
            crate::output::escape(owner),
            resource.address
        );
    }
    if untagged && !resource.address.kind.create_carries_tags() {
        format!(
            "it carries no ownership tags. If an interrupted apply of this stack created it (killed between the create and its tagging), or it is yours, run `provision import {}` to adopt it; otherwise choose another name",
            resource.address
        )
    } else {
        format!("run `provision import {}` to adopt it", resource.address)
    }
}
