//! The `[stack]` and `[variables]` tables of stack.toml, as written (raw, uninterpolated
//! strings); the kinds' tables are declared with each kind (see [`super::kinds`]), and the whole
//! file is [`super::kinds::StackFile`].

use crate::defaults as d;
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;

/// `[stack]`: identity of the stack.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StackSection {
    /// Stack name, the value of the ownership tag `provision:stack`: `[a-zA-Z0-9-_]{1,64}`.
    pub name: String,
    /// AWS region; default from AWS_REGION or the profile.
    pub region: Option<String>,
    #[serde(default)]
    /// Tags applied to every resource.
    pub tags: BTreeMap<String, String>,
    /// Lock the stack while apply, destroy and import run (default true).
    #[serde(default = "default_lock")]
    #[schemars(extend("default" = d::LOCK))]
    pub lock: bool,
    /// Bucket holding the lock objects; default `provision-locks-<account>-<region>-an`, created on
    /// first use in the account-regional namespace (no one else can create that name).
    pub lock_bucket: Option<String>,
    /// Tags others manage (tag policies, cost tools): never added, changed, removed or shown as
    /// drift. Tags starting with `aws:` always are.
    #[serde(default)]
    pub ignore_tags: IgnoreTagsSection,
}

/// `[stack] ignore_tags = { keys = [...], key_prefixes = [...] }`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IgnoreTagsSection {
    /// Exact tag keys, e.g. `CostCenter`.
    #[serde(default)]
    pub keys: Vec<String>,
    /// Key prefixes, e.g. `org:`.
    #[serde(default)]
    pub key_prefixes: Vec<String>,
}

/// A variable: its default value, or a table that can also mark it sensitive.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum VariableSection {
    /// The default value.
    Value(String),
    /// `{ default = "...", sensitive = true, description = "..." }`.
    Declared(DeclaredVariable),
}

/// A variable declared as a table.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclaredVariable {
    /// The default value; without one, a value must be given (`--var`, `--var-file`, `PROVISION_VAR_NAME`).
    pub default: Option<String>,
    /// Never show the value: attributes holding it appear as `(sensitive)` in plans and output.
    #[serde(default)]
    pub sensitive: bool,
    /// What the variable is for.
    pub description: Option<String>,
}

impl VariableSection {
    /// The default value, if any.
    pub fn default_value(&self) -> Option<&str> {
        match self {
            VariableSection::Value(v) => Some(v),
            VariableSection::Declared(d) => d.default.as_deref(),
        }
    }

    pub fn sensitive(&self) -> bool {
        matches!(self, VariableSection::Declared(d) if d.sensitive)
    }
}

fn default_lock() -> bool {
    d::LOCK
}
