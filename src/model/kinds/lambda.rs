//! `[lambda.NAME]`: a Lambda function packaged from a source directory, publishing a version on
//! each change (processors then use the version-qualified ARN).

use super::{push, BuildSite, CheckSite, Kind, KindInfo, KindSpec, Reference, ReplaceRule, Resolved};
use crate::defaults as d;
use crate::model::diagnostic::{Diagnostic, Rule};
use crate::model::{function_arn_for_use, Attr, Attributes, Outputs, Resource, Tags, UNPUBLISHED};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// The facts of the function kind.
pub(crate) const INFO: KindInfo = KindInfo {
    name: "lambda",
    noun: "function",
    found_by: super::FoundBy::TaggingApi("lambda"),
    name_in_arn: |arn| {
        let function = super::arn_resource(arn, "lambda")?.strip_prefix("function:")?;
        function.split(':').next().map(str::to_string)
    },
    // Its execution role, and its own log group when it has a retention.
    may_reference: &[Kind::Role, Kind::LogGroup],
    default_wait_seconds: d::LAMBDA_WAIT_SECONDS,
    create_carries_tags: true,
    // `watch` changes code and environment at once (and the version a new code publishes);
    // never a role, runtime, memory or timeout: those go through apply.
    hotswap: &["code_sha256", "environment.", "version"],
    holds: None,
    delete_refused_while_holding: false,
    on_existing: super::OnExisting::Fails("ResourceConflictException"),
    arn: |env, name| env.function_arn(name),
    may_be_existing: false,
    // "Lambda quotas": GetFunction 100/s, GetPolicy 15/s, the rest of the control plane 15/s.
    rates: &[("Lambda", 15.0), ("Lambda.GetFunction", 100.0)],
    reached_from: crate::model::kinds::Reach::Region,
    forget_also: None,
    names: super::Names::Regional,
    names_ignore_case: false,
};

/// Lambda's environment variables no function may set (Lambda refuses them; rule L7).
pub const RESERVED_VARIABLES: [&str; 18] = [
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_REGION",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "LAMBDA_RUNTIME_DIR",
    "LAMBDA_TASK_ROOT",
];

kind_section! {
    /// `[lambda.NAME]`
    pub struct LambdaSection {
        /// Function name (rule N2).
        pub name: String,
        /// Runtime, e.g. `python3.12`.
        pub runtime: String,
        /// Handler, e.g. `index.lambda_handler`.
        pub handler: String,
        /// Source directory, relative to stack.toml, packaged deterministically (see Packaging); it
        /// must resolve (symlinks followed) inside the project directory: stack.toml's, or
        /// `--project-dir DIR` for a monorepo's shared code.
        pub source: String,
        /// Execution role: `role.NAME`, or an existing role: `{ existing = "name" }` / `{ existing_arn = "arn:..." }`.
        pub role: Reference,
        /// Memory in MB, 128-10240.
        #[schemars(extend("default" = d::LAMBDA_MEMORY_MB))]
        pub memory_mb: Option<i32>,
        /// Timeout in seconds, 1-900; at most 300 when a stream uses the function (rule L4).
        #[schemars(extend("default" = d::LAMBDA_TIMEOUT_SECONDS))]
        pub timeout_seconds: Option<i32>,
        /// Publish a version on every code or configuration change; processors then use the
        /// version-qualified ARN.
        #[serde(default = "super::default_true")]
        #[schemars(extend("default" = d::PUBLISH))]
        pub publish: bool,
        /// Function description.
        pub description: Option<String>,
        /// Environment variables (a sensitive variable for secrets); none of Lambda's reserved ones
        /// (rule L7).
        #[serde(default)]
        pub environment: BTreeMap<String, String>,
        /// How long apply waits for the function to settle (State, LastUpdateStatus), in seconds.
        #[schemars(extend("default" = d::LAMBDA_WAIT_SECONDS))]
        pub wait_timeout_seconds: Option<u64>,
        /// Retention of the function's own log group `/aws/lambda/<name>`, in days (rule N5): provision
        /// then creates and owns it (`log_group.lambda_<NAME>`), so destroy removes it. Absent: Lambda
        /// creates it on first run, kept forever, never the stack's.
        pub log_retention_days: Option<i32>,
        /// Let destroy delete the function's own log group (with `log_retention_days`) while it
        /// holds log events; without it, destroy refuses a group holding events.
        #[serde(default)]
        pub log_force_destroy: bool,
        /// Files to package (gitignore-style globs, relative to `source`); default: everything not excluded.
        #[serde(default)]
        pub include: Vec<String>,
        /// Files never to package (gitignore-style globs), besides dotfiles, secrets and `.provisionignore`.
        #[serde(default)]
        pub exclude: Vec<String>,
    }
}

/// A function, desired or live.
#[derive(Debug, Clone, PartialEq)]
pub struct LambdaSpec {
    pub name: String,
    pub runtime: String,
    pub handler: String,
    pub role_arn: String,
    pub memory_mb: i32,
    pub timeout_seconds: i32,
    pub description: String,
    pub environment: BTreeMap<String, String>,
    /// base64(sha256(zip)), as Lambda reports CodeSha256.
    pub code_sha256: String,
    pub publish: bool,
    /// Latest published version; `None` in a desired spec means "known after apply".
    pub version: Option<String>,
    pub tags: Tags,
    /// The packaged code (desired only; `None` for commands that do not need the code).
    pub package: Option<Arc<crate::package::Package>>,
    /// The source directory (desired only), for running the handler locally in `preview`.
    pub source_dir: Option<PathBuf>,
}

/// Builds `[lambda.NAME]`, packaging its code when the command needs it.
pub(crate) fn build(b: &mut dyn BuildSite<'_>, name: &str, s: &LambdaSection) -> Option<Resource> {
    let (address, key) = b.address(Kind::Lambda, name);
    let role = super::resolve(b, &key.at("role"), &s.role, Kind::Role);
    let role_arn = super::resolved_arn(b, &role);
    let source = b.text(&key.at("source"), &s.source);
    let source_dir = b.base_dir().join(&source);
    let package = match b.package(&source_dir, &s.include, &s.exclude) {
        Some(Ok(p)) => Some(p),
        Some(Err(e)) => {
            b.report(
                Diagnostic::error(Rule::Source, key.at("source"), format!("cannot package the code: {e}"))
                    .with_help("source is a directory, relative to stack.toml, holding the function's code"),
            );
            None
        }
        None => None,
    };
    let mut environment = BTreeMap::new();
    for (k, v) in &s.environment {
        environment.insert(k.clone(), b.text(&key.at("environment").at(k), v));
    }
    let function_name = b.text(&key.at("name"), &s.name);
    let mut depends_on: Vec<crate::model::Address> =
        role.as_ref().and_then(Resolved::address).cloned().into_iter().collect();
    if let Some(days) = s.log_retention_days {
        if super::log_group::RETENTION_DAYS.contains(&days) {
            let group =
                crate::model::Address { kind: Kind::LogGroup, name: format!("lambda_{name}"), ..address.clone() };
            let spec = super::log_group::LogGroupSpec {
                name: format!("/aws/lambda/{function_name}"),
                retention_days: Some(days),
                streams: vec![],
                tags: b.tags(&group),
                force_destroy: s.log_force_destroy,
            };
            b.derive(Resource {
                address: group.clone(),
                prevent_destroy: s.prevent_destroy,
                wait_timeout: Kind::LogGroup.default_wait(),
                depends_on: vec![],
                spec: spec.into(),
                location: b.location(),
            });
            // Created first, so that Lambda never makes it with no retention.
            depends_on.push(group);
        } else {
            b.report(
                Diagnostic::error(
                    Rule::N5,
                    key.at("log_retention_days"),
                    format!("{days} is not a retention CloudWatch accepts"),
                )
                .with_help(format!("one of {:?}", super::log_group::RETENTION_DAYS)),
            );
        }
    }
    let spec = LambdaSpec {
        name: function_name,
        runtime: s.runtime.clone(),
        handler: s.handler.clone(),
        role_arn,
        memory_mb: s.memory_mb.unwrap_or(d::LAMBDA_MEMORY_MB),
        timeout_seconds: s.timeout_seconds.unwrap_or(d::LAMBDA_TIMEOUT_SECONDS),
        description: s.description.as_ref().map(|d| b.text(&key.at("description"), d)).unwrap_or_default(),
        environment,
        code_sha256: package.as_ref().map(|p| p.code_sha256()).unwrap_or_default(),
        publish: s.publish,
        version: None,
        tags: b.tags(&address),
        package,
        source_dir: Some(source_dir),
    };
    Some(b.resource(address, spec.into(), depends_on, s.prevent_destroy, s.wait_timeout_seconds))
}

impl KindSpec for LambdaSpec {
    fn package(&self) -> Option<&Arc<crate::package::Package>> {
        self.package.as_ref()
    }

    /// Lambda holds no local package or source directory, and a function that publishes holds
    /// the version its last write published.
    fn written(&self, times: u32) -> Self {
        LambdaSpec {
            package: None,
            source_dir: None,
            version: if self.publish { Some(times.to_string()) } else { self.version.clone() },
            ..self.clone()
        }
    }

    fn logs(&self) -> Option<(String, Option<String>)> {
        Some((format!("/aws/lambda/{}", self.name), None))
    }

    fn source_dir(&self) -> Option<&std::path::Path> {
        self.source_dir.as_deref()
    }

    fn attributes(&self) -> Attributes {
        let LambdaSpec {
            name,
            runtime,
            handler,
            role_arn,
            memory_mb,
            timeout_seconds,
            description,
            environment,
            code_sha256,
            publish,
            version,
            tags: _,
            package: _,    // compared through code_sha256
            source_dir: _, // local: where preview runs the handler
        } = self;
        let mut a = Attributes::new();
        push(&mut a, "name", json!(name));
        push(&mut a, "runtime", json!(runtime));
        push(&mut a, "handler", json!(handler));
        push(&mut a, "role", json!(role_arn));
        push(&mut a, "memory_mb", json!(memory_mb));
        push(&mut a, "timeout_seconds", json!(timeout_seconds));
        push(&mut a, "description", json!(description));
        for (k, v) in environment {
            push(&mut a, &format!("environment.{k}"), json!(v));
        }
        push(&mut a, "code_sha256", json!(code_sha256));
        // `publish` is local (whether apply publishes); the version it yields is compared.
        if *publish {
            a.push(("version".into(), version.as_ref().map_or(Attr::Unknown, |v| Attr::Value(json!(v)))));
        }
        a
    }

    fn replaces(&self, _key: &str, _after: &Option<Attr>) -> Option<ReplaceRule> {
        None
    }

    fn with_local_settings(&self, desired: &Self) -> Self {
        LambdaSpec {
            publish: desired.publish,
            package: desired.package.clone(),
            source_dir: desired.source_dir.clone(),
            ..self.clone()
        }
    }

    fn known_from_live(&self, live: &Self) -> Self {
        let mut desired = LambdaSpec { version: live.version.clone().filter(|v| v != UNPUBLISHED), ..self.clone() };
        // Only code and configuration changes publish a new version; tags do not (and
        // attributes leave them out).
        if desired.attributes() != live.attributes() {
            desired.version = None;
        }
        desired
    }

    fn outputs(&self, arn: &str) -> Outputs {
        Outputs {
            arn: arn.to_string(),
            qualified_arn: function_arn_for_use(arn, self.publish, self.version.as_deref()),
        }
    }
}

/// N2: Lambda names; basic limits.
pub(crate) fn check(l: &LambdaSpec, site: &CheckSite<'_, LambdaSection>, out: &mut Vec<Diagnostic>) {
    let key = &site.key();
    if l.name.is_empty() || l.name.len() > 64 || !super::matches_charset(&l.name, "-_") {
        out.push(
            Diagnostic::error(Rule::N2, key.at("name"), format!("invalid function name {:?}", l.name))
                .with_help("1 to 64 of a-z A-Z 0-9 - _"),
        );
    }
    if !(128..=10240).contains(&l.memory_mb) {
        out.push(
            Diagnostic::error(Rule::Lambda, key.at("memory_mb"), format!("{} MB is out of range", l.memory_mb))
                .with_help("128 to 10240"),
        );
    }
    for variable in l.environment.keys() {
        if RESERVED_VARIABLES.contains(&variable.as_str()) {
            out.push(
                Diagnostic::error(
                    Rule::L7,
                    key.at("environment").at(variable),
                    format!("`{variable}` is set by Lambda itself: a function cannot set it"),
                )
                .with_help("Lambda refuses reserved variables (AWS_REGION, AWS_LAMBDA_*, _HANDLER, credentials...): use another name"),
            );
        }
    }
    if !(1..=900).contains(&l.timeout_seconds) {
        out.push(
            Diagnostic::error(
                Rule::Lambda,
                key.at("timeout_seconds"),
                format!("{} s is out of range", l.timeout_seconds),
            )
            .with_help("1 to 900"),
        );
    }
}

#[cfg(test)]
pub(crate) const EXAMPLE: super::Example = super::Example {
    toml: "[role.r]\ntrust = [\"lambda.amazonaws.com\"]\n\
           [lambda.f]\nname = \"generic-function\"\nruntime = \"python3.12\"\nhandler = \"index.handler\"\n\
           source = \"src\"\nrole = \"role.r\"\nlog_retention_days = 14\n",
    address: "lambda.f",
    replaced: "[role.r]\ntrust = [\"lambda.amazonaws.com\"]\n\
               [lambda.f]\nname = \"generic-function-2\"\nruntime = \"python3.12\"\nhandler = \"index.handler\"\n\
               source = \"src\"\nrole = \"role.r\"\nlog_retention_days = 14\n",
    drift: drift!(Lambda, |l| l.memory_mb = 512),
};

#[cfg(test)]
mod rule_tests {
    use super::*;
    use crate::model::{Address, Spec};

    #[test]
    fn lambda_s_reserved_variables_cannot_be_set() {
        let check = |name: &str| {
            let mut spec = crate::testing::stack(crate::testing::DEFAULT_STACK)
                .resources
                .into_iter()
                .find_map(|r| match r.spec {
                    Spec::Lambda(l) => Some(l),
                    _ => None,
                })
                .unwrap();
            spec.environment.insert(name.into(), "x".into());
            let mut out = Vec::new();
            let stack = crate::testing::stack(crate::testing::DEFAULT_STACK);
            let at = Address::new(Kind::Lambda, "f");
            check(&spec, &CheckSite { at: &at, written: None, stack: &stack }, &mut out);
            out.into_iter().map(|d| d.rule).collect::<Vec<_>>()
        };
        assert_eq!(check("AWS_REGION"), ["L7"]);
        assert_eq!(check("_HANDLER"), ["L7"]);
        assert!(check("STAGE").is_empty());
    }
}
