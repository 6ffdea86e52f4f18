//! The `[stack]` and `[variables]` tables of stack.toml, as written (raw, uninterpolated
//! strings); the kinds' tables are declared with each kind (see [`super::kinds`]), and the whole
//! file is [`super::kinds::StackFile`]. Also what makes a fleet: `[module.NAME]` and `for_each`.

use crate::defaults as d;
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;

/// `[stack]`: identity of the stack.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StackSection {
    /// The stack's name, `[a-zA-Z0-9-_]{1,64}`: the value of the ownership tag `provision:stack`;
    /// may use variables (`"dp-${var.env}"`).
    pub name: String,
    /// The home Region (default: `AWS_REGION` or the profile's): where the lock lives, and where
    /// what says no `region` of its own lives; may use variables (rule G1).
    pub region: Option<String>,
    /// A role ARN to assume (from the default credential chain) for the home account:
    /// `arn:aws:iam::ACCOUNT:role/NAME` (rule G2).
    pub assume_role: Option<String>,
    /// The external id the role's trust policy asks for, if any.
    pub external_id: Option<String>,
    /// Tags on every resource, besides provision's own (`provision:stack`, `provision:address`,
    /// `provision:location`, `provision:home`).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Lock the stack while `apply`, `destroy` and `import` run.
    #[serde(default = "default_lock")]
    #[schemars(extend("default" = d::LOCK))]
    pub lock: bool,
    /// The bucket holding the lock objects; default `provision-locks-<account>-<region>-an`,
    /// created on first use in the account-regional namespace, so no other account can create or
    /// squat it (a lock still held in the bucket older versions used,
    /// `provision-locks-<account>-<region>`, is honoured until released).
    pub lock_bucket: Option<String>,
    /// Tags others manage (tag policies, cost tools, a colleague's `CostCenter`): `{ keys = [...],
    /// key_prefixes = [...] }`, never added, changed, removed or shown as drift; `aws:` tags always
    /// are, and provision's own cannot be ignored.
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

/// `[module.NAME]`: the resources of a module file, once or once per `for_each` key.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModuleSection {
    /// A directory holding `module.toml`, or a `.toml` file, relative to the file naming it; it
    /// must resolve (symlinks followed) inside the project: the stack file's directory, or the one
    /// `--project-dir DIR` names. Anything else is an error that names the path and never shows the
    /// file.
    pub source: String,
    /// Values of the module's `[variables]`; a value that is an address of this file passes that
    /// resource.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// One module instance per key (a list of keys, or a table of tables), addressed
    /// `module.NAME[KEY]`; `${each.key}` and `${each.value...}` are known in `variables`.
    pub for_each: Option<ForEach>,
    /// The Region of everything the instance declares (default: the caller's); may use `${each.*}`
    /// (see Regions and accounts).
    pub region: Option<String>,
    /// A role ARN (default: the caller's credentials): the instance lives in the role's account,
    /// read and written with its credentials.
    pub assume_role: Option<String>,
    /// The external id the role's trust policy asks for, if any.
    pub external_id: Option<String>,
}

/// `for_each`: one instance per string of a list, or per key of a table (whose values are
/// strings, or tables of strings, numbers and booleans: `${each.value.FIELD}`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ForEach {
    /// `for_each = ["acme", "globex"]`: `${each.key}` and `${each.value}` are the string.
    Keys(Vec<String>),
    /// `for_each = { acme = { shards = 2 }, globex = "eu" }`.
    Table(BTreeMap<String, EachValue>),
}

/// The value of one `for_each` key.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum EachValue {
    /// `${each.value}`.
    Text(String),
    /// `${each.value.FIELD}`.
    Fields(BTreeMap<String, Scalar>),
}

/// A string, number or boolean, used as its text.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Scalar {
    Text(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Scalar::Text(s) => s.clone(),
            Scalar::Integer(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Boolean(b) => b.to_string(),
        }
    }
}

/// One instance of a `for_each`: what `${each.key}` and `${each.value...}` are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Each {
    pub key: String,
    /// `${each.value}`, when the value is a string.
    pub value: Option<String>,
    /// `${each.value.FIELD}`, when the value is a table.
    pub fields: BTreeMap<String, String>,
}

impl ForEach {
    /// How many instances it makes, at most (a key listed twice is one instance).
    pub fn len(&self) -> usize {
        match self {
            ForEach::Keys(keys) => keys.len(),
            ForEach::Table(table) => table.len(),
        }
    }

    /// Whether it makes no instance.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The instances, in key order (a list's repeated strings once).
    ///
    /// ```
    /// use provision::model::stack_file::ForEach;
    /// let keys: ForEach = toml::from_str::<toml::Table>("f = [\"b\", \"a\", \"b\"]").unwrap()["f"].clone().try_into().unwrap();
    /// let each: Vec<String> = keys.instances().into_iter().map(|e| e.key).collect();
    /// assert_eq!(each, ["a", "b"]);
    /// ```
    pub fn instances(&self) -> Vec<Each> {
        match self {
            ForEach::Keys(keys) => {
                let unique: std::collections::BTreeSet<&String> = keys.iter().collect();
                unique
                    .into_iter()
                    .map(|k| Each { key: k.clone(), value: Some(k.clone()), fields: BTreeMap::new() })
                    .collect()
            }
            ForEach::Table(table) => table
                .iter()
                .map(|(k, v)| match v {
                    EachValue::Text(s) => Each { key: k.clone(), value: Some(s.clone()), fields: BTreeMap::new() },
                    EachValue::Fields(f) => Each {
                        key: k.clone(),
                        value: None,
                        fields: f.iter().map(|(name, v)| (name.clone(), v.text())).collect(),
                    },
                })
                .collect(),
        }
    }
}
