//! References from one resource to another: declared ones (`"bucket.data"`) and existing ones
//! (`{ existing = "name" }`), and how the builder resolves them to an address or an ARN.

use super::{BuildSite, Kind};
use crate::model::address::Position;
use crate::model::diagnostic::{Diagnostic, Rule};
use crate::model::Address;

/// A reference to another resource: one the stack declares (`"bucket.data"`), or one that
/// exists and the stack uses without ever owning it (`{ existing = "name" }`, or for a role
/// `{ existing_arn = "arn:..." }`), like Terraform's data sources.
#[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Reference {
    /// `kind.NAME` of a resource of this stack.
    Declared(String),
    /// A resource that exists outside the stack.
    Existing(ExistingSection),
}

/// `{ existing = "name" }` or `{ existing_arn = "arn:..." }`.
#[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExistingSection {
    /// Its name (a bucket's, a role's at path `/`).
    pub existing: Option<String>,
    /// Its ARN (a role with a path).
    pub existing_arn: Option<String>,
}

/// What a reference resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A resource of the stack.
    Declared(Address),
    /// An existing resource: its physical name and ARN.
    Existing { name: String, arn: String },
}

impl Resolved {
    /// The address, for a resource of the stack.
    pub fn address(&self) -> Option<&Address> {
        match self {
            Resolved::Declared(a) => Some(a),
            Resolved::Existing { .. } => None,
        }
    }
}

/// Resolves a reference written at `key` to a `kind`: a declared resource's address, or an
/// existing one's name and ARN (recorded to be checked at plan time).
pub(crate) fn resolve(
    b: &mut dyn BuildSite<'_>,
    key: &Position,
    reference: &Reference,
    kind: Kind,
) -> Option<Resolved> {
    match reference {
        Reference::Declared(raw) => b.reference(key, raw, kind).map(Resolved::Declared),
        Reference::Existing(e) => {
            let info = kind.info();
            let (name, arn) = match (info.may_be_existing, &e.existing, &e.existing_arn) {
                (true, Some(name), None) => {
                    let name = b.text(&key.at("existing"), name);
                    let arn = (info.arn)(b.env(), &name);
                    (name, arn)
                }
                // Named by its ARN (a role with a path, a topic of another account or Region).
                (true, None, Some(arn)) => {
                    let arn = b.text(&key.at("existing_arn"), arn);
                    let Some(name) = (info.name_in_arn)(&arn).filter(|n| !n.is_empty()) else {
                        b.report(
                            Diagnostic::error(
                                Rule::Reference,
                                key.at("existing_arn"),
                                format!("{arn:?} is not the ARN of a {}", kind.noun()),
                            )
                            .with_help(info.example_arn()),
                        );
                        return None;
                    };
                    // One of another account or Region is not this stack's to check: used as is.
                    let here = arn.contains(&format!(":{}:", b.env().account_id))
                        && (arn.split(':').nth(3) == Some("")
                            || arn.split(':').nth(3) == Some(b.env().region.as_str()));
                    if !here {
                        return Some(Resolved::Existing { name, arn });
                    }
                    (name, arn)
                }
                _ => {
                    let what = if info.may_be_existing {
                        format!("{{ existing = \"name\" }} or {{ existing_arn = \"{}\" }}", info.example_arn())
                    } else {
                        "{ existing = \"name\" }".to_string()
                    };
                    b.report(
                        Diagnostic::error(
                            Rule::Reference,
                            key,
                            format!("an existing {} is named with {what}", kind.noun()),
                        )
                        .with_help(format!(
                            "or reference a {} of this stack: \"{}.NAME\"",
                            kind.noun(),
                            kind.as_str()
                        )),
                    );
                    return None;
                }
            };
            b.existing(key, kind, &name);
            Some(Resolved::Existing { name, arn })
        }
    }
}

/// The ARN of a resource built already (empty when it is not: its reference was reported).
pub(crate) fn built_arn(b: &dyn BuildSite<'_>, address: &Address) -> String {
    b.built(address).map(|r| r.spec.arn(b.env())).unwrap_or_default()
}

/// The ARN a resolved reference stands for.
pub(crate) fn resolved_arn(b: &dyn BuildSite<'_>, resolved: &Option<Resolved>) -> String {
    match resolved {
        Some(Resolved::Declared(a)) => built_arn(b, a),
        Some(Resolved::Existing { arn, .. }) => arn.clone(),
        None => String::new(),
    }
}
