//! The plan: plain data saying what apply would do, built by a pure function from the desired
//! stack and the live state that was read.

pub mod diff;
pub mod saved;
#[cfg(test)]
mod tests;

use crate::model::*;
use diff::{AttrChange, Outcome};
use std::collections::HashMap;

/// What happens to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Create,
    Update,
    Replace,
    Delete,
    NoOp,
    /// Exists under the wanted name but is not owned by this stack: left alone.
    Conflict,
}

/// Why a change is what it is. Typed, so that tools and tests decide by code, never by text;
/// `plan --json` shows `{"code": ..., "message": ...}` (and the attribute and rule of a
/// replacement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Changing `attribute` is something AWS cannot do in place.
    Forces { attribute: String, rule: ReplaceRule },
    /// The live resource is unusable as it is (a stream in CREATING_FAILED).
    Unusable(String),
    /// Renamed in stack.toml: the resource under its old physical name is replaced.
    Renamed { from: String },
    /// The wanted name is taken by a resource another stack owns.
    OwnedByOtherStack { owner: String },
    /// The wanted name is taken by a resource no stack of provision's owns.
    NotOwned { stack: String },
    /// The wanted bucket name is taken in another account.
    InAnotherAccount,
    /// The wanted name is taken by this stack's resource of another location (the same
    /// stack.toml applied with another region): another deployment's.
    OwnedElsewhere { location: crate::model::Location },
    /// The wanted name is taken by a resource of a stack of this name deployed from another
    /// home (the same stack.toml applied from another Region, a partner account's own stack).
    OtherDeployment { home: crate::model::Location },
    /// Replaced because `--replace` asked for it.
    ReplaceRequested,
    /// A reason as a saved plan's body states it (`show FILE` renders the body), shown as
    /// stated, never acted on.
    Stated { code: String, message: String },
}

impl Reason {
    /// A stable, kebab-case name for tools.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Forces { .. } => "cannot-update-in-place",
            Reason::Unusable(_) => "unusable",
            Reason::Renamed { .. } => "renamed",
            Reason::OwnedByOtherStack { .. } => "owned-by-another-stack",
            Reason::NotOwned { .. } => "not-owned",
            Reason::InAnotherAccount => "in-another-account",
            Reason::OwnedElsewhere { .. } => "owned-by-another-location",
            Reason::OtherDeployment { .. } => "owned-by-another-deployment",
            Reason::ReplaceRequested => "replace-requested",
            Reason::Stated { .. } => "stated",
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Forces { attribute, rule } => write!(f, "{attribute}: {}", rule.why()),
            Reason::Unusable(problem) => f.write_str(problem),
            Reason::Renamed { from } => write!(f, "renamed from {from:?}"),
            Reason::OwnedByOtherStack { owner } => write!(f, "is owned by stack {owner:?}"),
            Reason::NotOwned { stack } => write!(f, "exists but is not owned by stack {stack:?}"),
            Reason::InAnotherAccount => f.write_str("exists in another account"),
            Reason::OwnedElsewhere { location } => {
                write!(f, "belongs to this stack's deployment in {location}")
            }
            Reason::OtherDeployment { home } => {
                write!(f, "belongs to the deployment of this stack name from {home} (another [stack] home)")
            }
            Reason::ReplaceRequested => f.write_str("replacement requested with --replace"),
            Reason::Stated { message, .. } => f.write_str(message),
        }
    }
}

impl serde::Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("code", self.code())?;
        if let Reason::Forces { attribute, rule } = self {
            map.serialize_entry("attribute", attribute)?;
            map.serialize_entry("rule", rule)?;
        }
        map.serialize_entry("message", &self.to_string())?;
        map.end()
    }
}

/// One resource's change.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Change {
    pub address: Address,
    pub physical_name: String,
    /// Where it lives (`account` and `region` in `plan --json`).
    #[serde(flatten)]
    pub location: crate::model::Location,
    pub action: Action,
    pub attributes: Vec<AttrChange>,
    /// Why a replace is needed, or why a conflict.
    pub reasons: Vec<Reason>,
    /// The changes that must finish before this one starts (the plan's dependency edges): for a
    /// create, update or replace, the changes of what it references; for a delete, every create
    /// and update, and the deletes of whatever may reference it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<Address>,
    /// For a conflict: what the user can do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
    #[serde(skip)]
    pub desired: Option<Resource>,
    #[serde(skip)]
    pub live: Option<Live>,
    /// For a delete: whether a bucket may be emptied first.
    #[serde(skip)]
    pub force_destroy: bool,
}

/// Counts for the plan's footer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
    pub conflict: usize,
}

impl Summary {
    /// The counts of `changes` (a replace adds one and destroys one).
    pub fn of(changes: &[Change]) -> Summary {
        let mut summary = Summary::default();
        for c in changes {
            match c.action {
                Action::Create => summary.add += 1,
                Action::Update => summary.change += 1,
                Action::Replace => {
                    summary.add += 1;
                    summary.destroy += 1;
                }
                Action::Delete => summary.destroy += 1,
                Action::Conflict => summary.conflict += 1,
                Action::NoOp => {}
            }
        }
        summary
    }
}

impl Change {
    /// Whether applying it calls AWS (not a no-op, not a conflict left alone).
    pub fn is_active(&self) -> bool {
        !matches!(self.action, Action::NoOp | Action::Conflict)
    }
}

/// Everything apply would do, in dependency order.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Plan {
    pub stack: String,
    pub changes: Vec<Change>,
    pub summary: Summary,
    /// Outputs of resources that will not change, for dependents to use during apply.
    #[serde(skip)]
    pub known_outputs: HashMap<Address, Outputs>,
}

impl Plan {
    /// The plan of `changes`, with their dependency edges, each change listed after those it
    /// waits for.
    pub fn new(stack: &str, mut changes: Vec<Change>, known_outputs: HashMap<Address, Outputs>) -> Plan {
        let edges: Vec<Vec<Address>> = changes.iter().map(|c| prerequisites(c, &changes)).collect();
        for (c, after) in changes.iter_mut().zip(edges) {
            c.after = after;
        }
        let changes = in_edge_order(changes);
        let summary = Summary::of(&changes);
        Plan { stack: stack.to_string(), changes, summary, known_outputs }
    }

    /// This plan without the conflicts it reports (a destroy leaves what it does not own alone,
    /// and says so when it shows the plan).
    pub fn without_conflicts(&self) -> Plan {
        let changes = self.changes.iter().filter(|c| c.action != Action::Conflict).cloned().collect();
        Plan::new(&self.stack, changes, self.known_outputs.clone())
    }

    /// Whether applying would change anything.
    pub fn has_changes(&self) -> bool {
        self.summary.add + self.summary.change + self.summary.destroy > 0
    }
}

/// Live state read for a plan: by address for desired resources, plus owned resources
/// that stack.toml no longer declares (found by tag).
#[derive(Debug, Clone, Default)]
pub struct LiveState {
    pub by_address: HashMap<Address, Option<Live>>,
    pub orphans: Vec<(Address, Live)>,
    /// Desired resources whose name is taken in another account.
    pub foreign: Vec<Address>,
    /// Resources of the stack at addresses it declares in another location: another
    /// deployment's, left alone (see [`crate::live`]).
    pub elsewhere: Vec<(Address, crate::model::Location)>,
    /// Resources of a stack of this name deployed from another home (another account or Region
    /// of `[stack]`): another deployment's, left alone, with that home.
    pub other_homes: Vec<(Address, crate::model::Location)>,
    /// How many of the stack's resources carry no home tag (made before provision wrote it):
    /// read as belonging to the home they are in.
    pub without_home: usize,
}

/// Desired resources in dependency order (dependencies first). Errors on a cycle.
pub fn ordered(stack: &Stack) -> Result<Vec<&Resource>, String> {
    let nodes: Vec<(Address, Vec<Address>)> =
        stack.resources.iter().map(|r| (r.address.clone(), r.depends_on.clone())).collect();
    let order = crate::graph::topological(&nodes)?;
    Ok(order.iter().filter_map(|a| stack.get(a)).collect())
}

/// Which changes must finish before `change` may start (see [`Change::after`]).
fn prerequisites(change: &Change, all: &[Change]) -> Vec<Address> {
    let others = all.iter().filter(|c| c.action != Action::Conflict && c.address != change.address);
    match change.action {
        Action::Conflict => vec![],
        // A delete waits for every create and update, and for the deletes of what may reference
        // it: when both are declared (a destroy), what stack.toml says they reference (so that a
        // fleet's pipelines are deleted side by side, not kind by kind across the fleet); when
        // either is not (stack.toml no longer says), every delete of a kind that may reference it.
        Action::Delete => others
            .filter(|c| c.is_active())
            .filter(|c| {
                c.action != Action::Delete
                    || (c.address.kind.may_reference(change.address.kind)
                        && match (&c.desired, &change.desired) {
                            (Some(referencing), Some(_)) => referencing.depends_on.contains(&change.address),
                            _ => true,
                        })
            })
            .map(|c| c.address.clone())
            .collect(),
        // What it references, whatever happens to it: a no-op has nothing to wait for, and the
        // executor waits only on changes it runs; `graph` draws them all.
        _ => {
            let references = change.desired.as_ref().map(|d| d.depends_on.as_slice()).unwrap_or_default();
            others.filter(|c| references.contains(&c.address)).map(|c| c.address.clone()).collect()
        }
    }
}

/// `changes` with each listed after those it waits for, otherwise in their given order.
fn in_edge_order(changes: Vec<Change>) -> Vec<Change> {
    let nodes: Vec<(Address, Vec<Address>)> = changes.iter().map(|c| (c.address.clone(), c.after.clone())).collect();
    let unique: std::collections::HashSet<&Address> = nodes.iter().map(|(a, _)| a).collect();
    if unique.len() != nodes.len() {
        // Two resources tagged with one address (copies left by hand): kept as found.
        return changes;
    }
    match crate::graph::topological(&nodes) {
        Ok(order) => {
            let mut by_address: HashMap<Address, Change> =
                changes.into_iter().map(|c| (c.address.clone(), c)).collect();
            order.iter().filter_map(|a| by_address.remove(a)).collect()
        }
        // Edges only ever point from dependents to what they reference, or from deletes to
        // creates: a cycle would be a bug, and the given order is kept for the executor to report.
        Err(_) => changes,
    }
}

/// What a plan is asked for besides making live match the stack: Terraform's `-destroy`,
/// `-replace` and `-target`, here `--destroy`, `--replace`, `--target`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Request {
    /// Delete everything the stack owns instead.
    #[serde(default)]
    pub destroy: bool,
    /// Resources to replace even though nothing forces it.
    #[serde(default)]
    pub replace: Vec<crate::model::address::Selector>,
    /// Only these resources, with what they depend on (and, when deleting, what depends on
    /// them); empty: all.
    #[serde(default)]
    pub targets: Vec<crate::model::address::Selector>,
}

impl Request {
    /// Whether the plan leaves changes out (`--target`).
    pub fn is_partial(&self) -> bool {
        !self.targets.is_empty()
    }
}

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
            let hint = crate::diagnostic::did_you_mean(&text, candidates.iter().map(String::as_str))
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
fn holds(value: &serde_json::Value, secret: &str) -> bool {
    match value {
        serde_json::Value::String(s) => s.contains(secret),
        serde_json::Value::Array(items) => items.iter().any(|v| holds(v, secret)),
        serde_json::Value::Object(map) => map.iter().any(|(k, v)| k.contains(secret) || holds(v, secret)),
        other => other.to_string().contains(secret),
    }
}

/// Whether `watch` may apply the plan at once, as `cdk watch` hotswaps: only updates, each of
/// attributes its kind lets `watch` change (a function's code and environment, a stream taking
/// the function's new version; see [`KindInfo::hotswap`]).
/// A stream's processors only when they differ in the function version alone: never the
/// function invoked, a jq query or another parameter.
pub fn hotswappable(plan: &Plan) -> bool {
    let active: Vec<&Change> = plan.changes.iter().filter(|c| c.is_active()).collect();
    !active.is_empty()
        && active.iter().all(|c| {
            let allowed = c.address.kind.info().hotswap;
            c.action == Action::Update
                && !c.attributes.is_empty()
                && c.attributes
                    .iter()
                    .all(|a| allowed.iter().any(|k| if k.ends_with('.') { a.key.starts_with(k) } else { a.key == *k }))
                && (!c.attributes.iter().any(|a| a.key == "processors") || processors_take_a_new_version(plan, c))
        })
}

/// Whether a stream's processors change only in the version of the functions they invoke.
fn processors_take_a_new_version(plan: &Plan, stream: &Change) -> bool {
    let (Some(desired), Some(live)) = (&stream.desired, &stream.live) else { return false };
    let (Spec::Firehose(desired), Spec::Firehose(live)) = (&desired.spec, &live.spec) else { return false };
    // A function of the stack is the one a live ARN names when its ARN, unqualified, is it.
    let same_function = |address: &Address, live_arn: &str| {
        plan.changes.iter().any(|c| {
            &c.address == address
                && c.live.as_ref().is_some_and(|l| crate::model::kinds::firehose::unqualified(&l.arn) == live_arn)
        })
    };
    crate::model::kinds::firehose::only_versions_differ(&desired.processors, &live.processors, &same_function)
}

/// Refuses plans that would touch what the stack does not own or must not destroy.
pub fn check_safe(plan: &Plan) -> Result<(), String> {
    let conflicts: Vec<String> =
        plan.changes.iter().filter(|c| c.action == Action::Conflict).map(|c| c.address.to_string()).collect();
    if !conflicts.is_empty() {
        return Err(format!(
            "{} exist(s) but not owned by this stack; nothing was changed. Adopt with `provision import ADDRESS`, or choose another name",
            conflicts.join(", ")
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
