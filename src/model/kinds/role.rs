//! `[role.NAME]`: an IAM role with a trust policy, managed policies and one generated inline
//! policy (the statements the streams using it need, plus those declared).

use super::BuildSite;
use super::{push, CheckSite, Kind, KindInfo, KindSpec, ReplaceRule};
use crate::defaults as d;
use crate::model::address::Position;
use crate::model::diagnostic::{Diagnostic, Rule};
use crate::model::{Attr, Attributes, Environment, Resource, Tags};
use crate::policy::{self, Statement};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

/// The facts of the role kind.
pub(crate) const INFO: KindInfo = KindInfo {
    name: "role",
    noun: "role",
    // Not in the Resource Groups Tagging API: discovery lists roles by their description marker.
    found_by: super::FoundBy::RoleList,
    name_in_arn: |arn| {
        let path_and_name = super::arn_resource(arn, "iam")?.strip_prefix("role/")?;
        path_and_name.rsplit('/').next().map(str::to_string)
    },
    may_reference: &[],
    default_wait_seconds: d::OTHER_WAIT_SECONDS,
    create_carries_tags: true,
    hotswap: &[],
    holds: None,
    delete_refused_while_holding: false,
    on_existing: super::OnExisting::Fails("EntityAlreadyExists"),
    arn: |env, name| env.role_arn("/", name),
    may_be_existing: true,
    // IAM publishes no per-API rate; it throttles bursts: 15/s, adapted.
    rates: &[("IAM", 15.0)],
    // IAM is global: a role serves every Region of its account.
    reached_from: crate::model::kinds::Reach::Account,
    forget_also: Some("description: provision's marker removed, the role's own text kept"),
    names: super::Names::Account,
    names_ignore_case: true,
};

/// Name of the inline policy provision writes on roles.
pub const INLINE_POLICY_NAME: &str = "provision-generated";

kind_section! {
    /// `[role.NAME]`
    pub struct RoleSection {
        region: "The Region of its ownership tag (default: its instance's, `[stack] region` in stack.toml): IAM roles are global in their account.",
        /// Role name (rule N3); default `<stack>-<NAME>`.
        pub name: Option<String>,
        /// Role path, `/` or `/.../` (rule N3); default `/provision/<stack>/`, the path discovery
        /// lists; a role an earlier provision created at `/` stays there.
        #[schemars(extend("default" = d::ROLE_PATH))]
        pub path: Option<String>,
        /// Service principals allowed to assume the role, e.g. `firehose.amazonaws.com` (restricted
        /// to this account with `sts:ExternalId`).
        pub trust: Vec<String>,
        #[serde(default)]
        /// Managed policy ARNs to attach.
        pub managed_policies: Vec<String>,
        /// Extra statements for the role's generated inline policy: `[[role.NAME.statement]]` with
        /// `actions`, `resources` and `effect`.
        #[serde(default)]
        #[schemars(extend("default" = []))]
        pub statement: Vec<StatementSection>,
    }
}

/// `[[role.NAME.statement]]`: an extra statement for the role's inline policy.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatementSection {
    /// `Allow` (default) or `Deny`.
    pub effect: Option<String>,
    /// IAM actions, e.g. `kms:Decrypt`.
    pub actions: Vec<String>,
    /// Resource ARNs.
    pub resources: Vec<String>,
}

/// A role, desired or live.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleSpec {
    pub name: String,
    pub path: String,
    /// Canonical trust policy document.
    pub trust_policy: Value,
    pub managed_policies: Vec<String>,
    /// Canonical generated inline policy, if the role has any statements.
    pub inline_policy: Option<Value>,
    pub tags: Tags,
}

/// Builds `[role.NAME]`; its inline policy is completed once every stream using it is built
/// (see [`Builder::grant`]).
pub(crate) fn build(b: &mut dyn BuildSite<'_>, name: &str, s: &RoleSection) -> Option<Resource> {
    let (address, key) = b.address(Kind::Role, name);
    let role_name = b.aws_name(&key, s.name.as_ref(), name);
    // Unwritten: under the stack's own path (discovery lists it by prefix), unless the role
    // already lives elsewhere (created by an earlier provision at `/`): moving it would replace it.
    let path = s.path.clone().unwrap_or_else(|| {
        b.env().kept_role_paths.get(&role_name).cloned().unwrap_or_else(|| crate::model::role_path(b.stack_name()))
    });
    let mut declared = Vec::new();
    for (i, st) in s.statement.iter().enumerate() {
        let resources = st
            .resources
            .iter()
            .enumerate()
            .map(|(j, res)| b.text(&key.at("statement").index(i).at("resources").index(j), res))
            .collect();
        declared.push(Statement {
            effect: st.effect.clone().unwrap_or_else(|| "Allow".into()),
            actions: st.actions.clone(),
            resources,
            condition: None,
        });
    }
    b.declare_statements(&address, declared);
    let mut managed: Vec<String> =
        s.managed_policies.iter().enumerate().map(|(i, p)| b.text(&key.at("managed_policies").index(i), p)).collect();
    managed.sort();
    managed.dedup();
    let spec = RoleSpec {
        name: role_name,
        path,
        trust_policy: policy::trust_document(&s.trust, &b.env().account_id),
        managed_policies: managed,
        inline_policy: None,
        tags: b.tags(&address),
    };
    Some(b.resource(address, spec.into(), vec![], s.prevent_destroy, None))
}

impl KindSpec for RoleSpec {
    fn arn(&self, env: &Environment) -> Option<String> {
        Some(env.role_arn(&self.path, &self.name))
    }

    fn attributes(&self) -> Attributes {
        let RoleSpec { name, path, trust_policy, managed_policies, inline_policy, tags: _ } = self;
        let mut a = Attributes::new();
        push(&mut a, "name", json!(name));
        push(&mut a, "path", json!(path));
        push(&mut a, "trust_policy", trust_policy.clone());
        push(&mut a, "managed_policies", json!(managed_policies));
        push(&mut a, "inline_policy", inline_policy.clone().unwrap_or(Value::Null));
        a
    }

    fn replaces(&self, key: &str, _after: &Option<Attr>) -> Option<ReplaceRule> {
        (key == "path").then_some(ReplaceRule::RolePath)
    }
}

/// Rule N3.
pub(crate) fn check(r: &RoleSpec, site: &CheckSite<'_, RoleSection>, out: &mut Vec<Diagnostic>) {
    let key = &site.key();
    check_role_name(key, &r.name, out);
    check_role_path(key, &r.path, out);
}

/// N3: IAM role names.
fn check_role_name(key: &Position, name: &str, out: &mut Vec<Diagnostic>) {
    if name.is_empty() || name.len() > 64 || !super::matches_charset(name, "_+=,.@-") {
        out.push(
            Diagnostic::error(Rule::N3, key.at("name"), format!("invalid role name {name:?}"))
                .with_help("1 to 64 of a-z A-Z 0-9 _ + = , . @ - (the default is <stack>-<resource>)"),
        );
    }
}

/// N3: a role path is `/` or `/segments/`, at most 512 characters of printable ASCII.
fn check_role_path(key: &Position, path: &str, out: &mut Vec<Diagnostic>) {
    let printable = path.chars().all(|c| ('!'..='~').contains(&c));
    if path.len() > 512 || !path.starts_with('/') || !path.ends_with('/') || path.contains("//") || !printable {
        out.push(
            Diagnostic::error(Rule::N3, key.at("path"), format!("invalid role path {path:?}"))
                .with_help("`/` or `/segment/.../`, e.g. \"/service-role/\""),
        );
    }
}

#[cfg(test)]
pub(crate) const EXAMPLE: super::Example = super::Example {
    toml: "[role.r]\ntrust = [\"lambda.amazonaws.com\"]\n",
    address: "role.r",
    replaced: "[role.r]\ntrust = [\"lambda.amazonaws.com\"]\npath = \"/service/\"\n",
    drift: drift!(Role, |r| r.managed_policies.push("arn:aws:iam::aws:policy/AdministratorAccess".into())),
};
