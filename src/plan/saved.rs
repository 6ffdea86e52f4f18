//! Saved plans (`plan --out FILE`, `apply FILE`): the plan plus fingerprints of what it was made
//! from, so that apply can refuse when stack.toml, the Lambda code or live AWS changed since.

use super::{LiveState, Plan};
use crate::model::Stack;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Version tag of the file format.
pub const FORMAT: &str = "provision-plan/1";

/// What `plan --out` writes.
#[derive(Debug, Serialize, Deserialize)]
pub struct SavedPlan {
    pub format: String,
    pub stack: String,
    /// Hash of the desired stack: every attribute (the Lambda code hash included) and setting.
    pub stack_fingerprint: String,
    /// Hash of the live state the plan was computed from.
    pub live_fingerprint: String,
    /// The plan itself, for people and tools to read.
    pub plan: serde_json::Value,
}

impl SavedPlan {
    pub fn new(stack: &Stack, live: &LiveState, plan: &Plan) -> serde_json::Result<SavedPlan> {
        Ok(SavedPlan {
            format: FORMAT.into(),
            stack: stack.name.clone(),
            stack_fingerprint: stack_fingerprint(stack),
            live_fingerprint: live_fingerprint(live),
            plan: serde_json::to_value(plan)?,
        })
    }

    /// Why this saved plan cannot be applied to `stack` and `live`, if it cannot.
    pub fn staleness(&self, stack: &Stack, live: &LiveState) -> Option<String> {
        if self.format != FORMAT {
            return Some(format!("the plan file is {:?}, this provision reads {FORMAT:?}", self.format));
        }
        if self.stack != stack.name {
            return Some(format!("the plan is for stack {:?}, not {:?}", self.stack, stack.name));
        }
        if self.stack_fingerprint != stack_fingerprint(stack) {
            return Some("stack.toml, its variables or the Lambda code changed since the plan was saved".into());
        }
        if self.live_fingerprint != live_fingerprint(live) {
            return Some("live AWS changed since the plan was saved".into());
        }
        None
    }
}

fn hex(digest: impl AsRef<[u8]>) -> String {
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Hash of every desired resource's attributes and local settings.
pub fn stack_fingerprint(stack: &Stack) -> String {
    let mut hasher = Sha256::new();
    for r in &stack.resources {
        let local = serde_json::json!({
            "prevent_destroy": r.prevent_destroy,
            "wait": r.wait_timeout.as_secs(),
            "depends_on": r.depends_on,
            "force_destroy": matches!(&r.spec, crate::model::Spec::Bucket(b) if b.force_destroy),
        });
        hasher.update(r.address.to_string());
        hasher.update(serde_json::to_string(&r.spec.attributes()).unwrap_or_default());
        hasher.update(local.to_string());
    }
    hex(hasher.finalize())
}

/// Hash of the live state: each resource's attributes, ARN and problem, in address order.
pub fn live_fingerprint(live: &LiveState) -> String {
    let mut entries: Vec<(String, String)> = live
        .by_address
        .iter()
        .map(|(a, l)| (a.to_string(), describe(l.as_ref())))
        .chain(live.orphans.iter().map(|(a, l)| (format!("orphan {a}"), describe(Some(l)))))
        .collect();
    entries.sort();
    let mut hasher = Sha256::new();
    for (address, state) in entries {
        hasher.update(address);
        hasher.update(state);
    }
    hex(hasher.finalize())
}

fn describe(live: Option<&crate::aws::Live>) -> String {
    match live {
        None => "absent".into(),
        Some(l) => {
            format!("{} {:?} {}", l.arn, l.problem, serde_json::to_string(&l.spec.attributes()).unwrap_or_default())
        }
    }
}
