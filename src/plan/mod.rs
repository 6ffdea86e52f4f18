//! The plan: plain data saying what apply would do (this module), built by a pure function from
//! the desired stack and the live state that was read (`planner`); `hotswap` says which plans
//! `watch` may apply at once.

pub mod diff;
mod hotswap;
mod planner;
pub mod saved;
#[cfg(test)]
mod tests;

pub use hotswap::hotswappable;
pub use planner::{build, build_destroy, build_requested, check_safe};

use crate::model::*;
use diff::AttrChange;
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
