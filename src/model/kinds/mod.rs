//! Every resource kind a stack can hold, each in one module (`bucket.rs`, `role.rs`...) holding
//! what makes it that kind: its spec (desired and live share it), its attributes as the plan
//! compares them, the changes that replace it (typed), and its facts ([`KindInfo`]: its name in
//! stack.toml, its type in the tagging API and how to read its ARNs, the kinds it may reference,
//! how long apply waits for it, whether its create call carries tags, the AWS services it calls).
//!
//! The registry below is the one list of kinds: `Kind`, `Kind::ALL`, `Spec` and every dispatch
//! derive from it, so a kind is added by one module and one line here. What a kind must provide
//! is a trait ([`KindSpec`]) and a constant ([`KindInfo`]): forgetting a part fails to compile,
//! and the AWS side (`src/aws/`, the only code that calls the SDK) and the in-memory fake match
//! on `Spec` exhaustively, so a kind without them fails to compile too. Read order, destroy order
//! and the order of deletes of removed resources derive from `may_reference`.

/// Declares a kind's `[kind.NAME]` table: its own keys, and the keys every kind's table takes,
/// written once here (`for_each`, `region` and `prevent_destroy`; serde's `flatten` cannot share
/// them, as it does not work with `deny_unknown_fields`). `region: "..."` replaces the
/// `region` key's description where the kind says more about it.
macro_rules! kind_section {
    ($(#[doc = $doc:literal])* pub struct $name:ident { region: $region:literal, $($fields:tt)* }) => {
        $(#[doc = $doc])*
        #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($fields)*
            /// One instance per key (a list of keys, or a table of tables whose values are `${each.value.FIELD}`), addressed `kind.NAME[KEY]`; `${each.key}` and `${each.value}` are known in the table.
            pub for_each: Option<crate::model::stack_file::ForEach>,
            #[doc = $region]
            pub region: Option<String>,
            /// Refuse any plan that destroys or replaces this resource.
            #[serde(default)]
            pub prevent_destroy: bool,
        }
    };
    ($(#[doc = $doc:literal])* pub struct $name:ident { $($fields:tt)* }) => {
        kind_section! {
            $(#[doc = $doc])*
            pub struct $name {
                region: "The Region it lives in (default: its instance's, `[stack] region` in stack.toml).",
                $($fields)*
            }
        }
    };
}

/// An [`Example`]'s drift: a change to one kind's spec, made behind the stack's back.
#[cfg(test)]
macro_rules! drift {
    ($variant:ident, |$spec:ident| $change:expr) => {
        |spec: &mut crate::model::Spec| {
            if let crate::model::Spec::$variant($spec) = spec {
                $change;
            }
        }
    };
}

pub mod alarm;
pub mod bucket;
pub mod conversion;
pub mod firehose;
pub mod lambda;
pub mod log_group;
pub mod role;
pub mod table;
pub mod topic;

mod info;
mod reference;
pub use info::*;
pub use reference::*;

use crate::model::address::Position;
use crate::model::diagnostic::{Diagnostic, Rule};
use crate::model::stack_file::{Each, ForEach};
use crate::model::{Address, Attr, Attributes, Environment, Location, Outputs, Resource, Tags};
use crate::package::{Package, PackageError};
use crate::policy::Statement;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

/// What every kind's spec provides, besides the two fields every spec has (the registry reads
/// them): `name`, the name AWS knows it by, and `tags`.
pub trait KindSpec {
    /// Its ARN in `env` where its name alone does not make it (a role's path); by default the
    /// kind's [`KindInfo::arn`] of its name.
    fn arn(&self, _env: &Environment) -> Option<String> {
        None
    }
    /// The attributes the plan compares, by name, in display order (tags are added after them).
    /// Settings that exist only in stack.toml are left out.
    fn attributes(&self) -> Attributes;
    /// Why changing `key` to `after` needs a replacement, if it does (`name` always does).
    fn replaces(&self, key: &str, after: &Option<Attr>) -> Option<ReplaceRule>;
    /// This live spec with `desired`'s settings that exist only in stack.toml, so that they
    /// never show as drift (a kind without any keeps the default; the life-cycle test catches a
    /// kind that forgets one: its plan after apply is not clean).
    fn with_local_settings(&self, _desired: &Self) -> Self
    where
        Self: Sized + Clone,
    {
        self.clone()
    }
    /// The log group (and stream) it writes to, that `provision logs` reads (most kinds write
    /// none).
    fn logs(&self) -> Option<(String, Option<String>)> {
        None
    }
    /// The local source directory of its code, that `provision watch` watches (a function's).
    fn source_dir(&self) -> Option<&Path> {
        None
    }
    /// What dependents use once it is applied with ARN `arn`.
    fn outputs(&self, arn: &str) -> Outputs {
        Outputs { arn: arn.to_string(), qualified_arn: None }
    }
    /// Whether deleting it may delete data it holds (a bucket with `force_destroy`).
    fn force_destroy(&self) -> bool {
        false
    }
    /// Fills in, in this desired spec, what comes from resources it references once they are
    /// settled (a stream's processors use the function version applied).
    fn resolve(&mut self, _outputs: &HashMap<Address, Outputs>) {}
    /// This desired spec with what only the live resource knows and applying keeps (the version
    /// a function published, unless applying publishes a new one). `live` has the local settings.
    fn known_from_live(&self, _live: &Self) -> Self
    where
        Self: Sized + Clone,
    {
        self.clone()
    }
    /// Where discovery lists resources of this kind besides the tagging API (a table's
    /// database: tables take no tags).
    fn listed_in(&self) -> Option<&str> {
        None
    }
    /// Whether it still holds a value known only once what it references is applied (a
    /// stream's processor naming a function about to change): never created or updated so.
    fn unresolved(&self) -> bool {
        false
    }
    /// The code it ships, packaged (a function's).
    fn package(&self) -> Option<&Arc<Package>> {
        None
    }
    /// What a cloud holds once this desired spec has been written `times` times (a function
    /// that publishes holds version `times`, and no local package): the in-memory provider
    /// stores this.
    fn written(&self, _times: u32) -> Self
    where
        Self: Sized + Clone,
    {
        self.clone()
    }
}

/// What a kind's builder needs while stack.toml becomes the model; `config`'s builder provides it.
/// It builds one instance at a time (of stack.toml, of a module instance, of a `for_each` key):
/// addresses, interpolation and references are that instance's. Kinds are built in reference
/// order, so what a resource references is already built: kinds look it up ([`BuildSite::built`]),
/// never re-read another resource's table.
pub trait BuildSite<'a> {
    /// Where what is being built lives: the values its ARNs are built from.
    fn env(&self) -> &Environment;
    /// The same, as a location.
    fn location(&self) -> Location;
    /// Puts the table being built in `region` (its own `region` key, written at `key`), or back
    /// in its instance's location (`None`).
    fn place(&mut self, key: &Position, region: Option<&str>);
    /// The stack's name (`[stack] name`).
    fn stack_name(&self) -> &str;
    /// A default physical name for `[kind.NAME]` of this instance: the stack's name, the module
    /// instance and the key joined by `-` (`mystack-tenant-acme-delivery`).
    fn default_name(&self, name: &str) -> String;
    /// The directory of the file being built: paths in it are relative to it.
    fn base_dir(&self) -> &Path;
    /// The address of `[kind.NAME]` in this instance, and its position for diagnostics.
    fn address(&mut self, kind: Kind, name: &str) -> (Address, Position);
    /// The position of `[kind.NAME]` in this instance (with the key of the `for_each` instance
    /// entered, if any), before it is built.
    fn table(&self, kind: Kind, name: &str) -> Position;
    /// The resource a table of this instance builds: `spec` here, waited for `wait_seconds`
    /// (`wait_timeout_seconds`) or its kind's default.
    fn resource(
        &self,
        address: Address,
        spec: Spec,
        depends_on: Vec<Address>,
        prevent_destroy: bool,
        wait_seconds: Option<u64>,
    ) -> Resource {
        let wait_timeout = wait_seconds.map(std::time::Duration::from_secs).unwrap_or(address.kind.default_wait());
        Resource { address, prevent_destroy, wait_timeout, depends_on, spec, location: self.location() }
    }
    /// A resource built already (kinds are built in reference order).
    fn built(&self, address: &Address) -> Option<&Resource>;
    /// A resource of a kind built after this one (a stream's schema table): `None` in a first
    /// pass, which makes the builder build the stack again with it known.
    fn later(&self, address: &Address) -> Option<&Resource>;
    /// Interpolates the string value found at `key` (an error is reported, the raw text returned).
    fn text(&mut self, key: &Position, raw: &str) -> String;
    /// The AWS name of `[kind.NAME]` at `key`: its `name` key as written (interpolated), else
    /// the stack's default name for `NAME`.
    fn aws_name(&mut self, key: &Position, written: Option<&String>, name: &str) -> String {
        match written {
            Some(raw) => self.text(&key.at("name"), raw),
            None => self.default_name(name),
        }
    }
    /// The tags of a resource: the stack's, and the ownership tags.
    fn tags(&mut self, address: &Address) -> Tags;
    /// Resolves the `kind.name` reference written at `key`, which must name a `kind` declared in
    /// this file, a module instance's resource, or a resource passed in by a variable (else an
    /// error is reported).
    fn reference(&mut self, key: &Position, raw: &str, kind: Kind) -> Option<Address>;
    /// Records that the stack uses an existing resource it must never own (checked to exist
    /// when the plan reads live state).
    fn existing(&mut self, key: &Position, kind: Kind, name: &str);
    /// The package of a source directory, once per load; `None` when the command needs no code.
    fn package(
        &mut self,
        dir: &Path,
        include: &[String],
        exclude: &[String],
    ) -> Option<Result<Arc<Package>, PackageError>>;
    /// Adds a resource a declared one implies (a function's own log group).
    fn derive(&mut self, resource: Resource);
    /// Reports a problem found while building.
    fn report(&mut self, diagnostic: Diagnostic);
    /// Adds statements a resource needs to the generated inline policy of `role` (rule I2).
    fn grant(&mut self, role: &Address, statements: Vec<Statement>);
    /// The statements `[role.NAME]` declares itself, added after those granted.
    fn declare_statements(&mut self, role: &Address, statements: Vec<Statement>);
    /// The instances of a table with `for_each` written at `key` (one `None` without), each
    /// checked; [`BuildSite::enter`] one before building it.
    fn instances(&mut self, key: &Position, for_each: Option<&ForEach>) -> Vec<Option<Each>>;
    /// Builds what follows as instance `each` of the table.
    fn enter(&mut self, each: Option<Each>);
}

/// Where a kind's rules run on one of its resources: its address, its table as written in
/// stack.toml (`None`: derived, as a stream's alarms) and the whole stack.
pub(crate) struct CheckSite<'a, S> {
    pub at: &'a Address,
    pub written: Option<&'a S>,
    pub stack: &'a crate::model::Stack,
}

impl<S> Clone for CheckSite<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for CheckSite<'_, S> {}

impl<S> CheckSite<'_, S> {
    /// The resource's own position: its keys are `key.at("name")`...
    pub(crate) fn key(&self) -> Position {
        Position::resource(self.at)
    }
}

/// Declares every kind: its doc (shown in the JSON Schema), `Variant => module (Spec, Section)`.
/// The one list: `Kind`, `Kind::ALL`, `Spec`, the kind's table in [`StackFile`] and its builder
/// all come from here.
macro_rules! kinds {
    ($($(#[doc = $doc:literal])* $variant:ident => $module:ident ($spec:ident, $section:ident)),* $(,)?) => {
        /// The kinds of resource a stack can hold (see the registry in `src/kinds/mod.rs`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Kind {
            $($variant),*
        }

        impl Kind {
            /// Every kind, in the registry's order.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),*];

            /// The facts of this kind.
            pub fn info(self) -> &'static KindInfo {
                match self {
                    $(Kind::$variant => &$module::INFO),*
                }
            }
        }

        /// The settings of a resource, desired or live: one variant per kind.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Spec {
            $($variant($module::$spec)),*
        }

        $(impl From<$module::$spec> for Spec {
            fn from(spec: $module::$spec) -> Spec {
                Spec::$variant(spec)
            }
        })*

        impl Spec {
            pub fn kind(&self) -> Kind {
                match self {
                    $(Spec::$variant(_) => Kind::$variant),*
                }
            }

            /// The name AWS knows it by.
            pub fn physical_name(&self) -> &str {
                match self {
                    $(Spec::$variant(s) => &s.name),*
                }
            }

            pub fn tags(&self) -> &Tags {
                match self {
                    $(Spec::$variant(s) => &s.tags),*
                }
            }

            pub fn tags_mut(&mut self) -> &mut Tags {
                match self {
                    $(Spec::$variant(s) => &mut s.tags),*
                }
            }

            fn as_dyn(&self) -> &dyn KindSpec {
                match self {
                    $(Spec::$variant(s) => s),*
                }
            }

            fn as_dyn_mut(&mut self) -> &mut dyn KindSpec {
                match self {
                    $(Spec::$variant(s) => s),*
                }
            }

            /// This desired spec with what only `live` knows (see [`KindSpec::known_from_live`]).
            pub fn known_from_live(&self, live: &Spec) -> Spec {
                match (self, live) {
                    $((Spec::$variant(d), Spec::$variant(l)) => Spec::$variant(d.known_from_live(l)),)*
                    _ => self.clone(),
                }
            }

            /// Runs its kind's rules (docs/src/rules.md; `check` in the kind's module) on it, at
            /// `at`; `written` is the file its table is written in (`None`: derived).
            pub fn check(&self, at: &Address, written: Option<&StackFile>, stack: &crate::model::Stack, out: &mut Vec<Diagnostic>) {
                match self {
                    $(Spec::$variant(s) => {
                        let written = written.and_then(|f| f.$module.get(&at.name));
                        $module::check(s, &CheckSite { at, written, stack }, out)
                    }),*
                }
            }

            /// What a cloud holds once this spec has been written `times` times (see
            /// [`KindSpec::written`]).
            pub fn written(&self, times: u32) -> Spec {
                match self {
                    $(Spec::$variant(s) => Spec::$variant(s.written(times))),*
                }
            }

            /// This live spec with `desired`'s local-only settings (see [`KindSpec`]).
            pub fn with_local_settings(&self, desired: &Spec) -> Spec {
                match (self, desired) {
                    $((Spec::$variant(l), Spec::$variant(d)) => Spec::$variant(l.with_local_settings(d)),)*
                    _ => self.clone(),
                }
            }
        }

        /// The whole stack.toml file, as written (raw, uninterpolated strings). Unknown keys are
        /// rejected.
        #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct StackFile {
            /// Identity of the stack (a module file has none: the caller's applies).
            pub stack: Option<super::stack_file::StackSection>,
            #[serde(default)]
            /// Variables with their defaults; override with `--var NAME=VALUE`, `--var-file FILE` or the
            /// environment variable `PROVISION_VAR_NAME`; use as `${var.NAME}`.
            pub variables: BTreeMap<String, super::stack_file::VariableSection>,
            #[serde(default)]
            /// Modules: `[module.NAME] source = "modules/pipeline"`, with `variables` and `for_each`.
            pub module: BTreeMap<String, super::stack_file::ModuleSection>,
            $(
                #[serde(default)]
                $(#[doc = $doc])*
                pub $module: BTreeMap<String, $module::$section>,
            )*
        }

        impl StackFile {
            /// How many resources one instance of this file declares, `for_each` counted (at
            /// most: a key listed twice counts twice), without building any.
            pub fn resource_instances(&self) -> usize {
                0 $(+ self.$module.values().map(|s| s.for_each.as_ref().map_or(1, ForEach::len)).sum::<usize>())*
            }

            /// The names declared for `kind`: `NAME` of every `[kind.NAME]`.
            pub fn names(&self, kind: Kind) -> Vec<String> {
                match kind {
                    $(Kind::$variant => self.$module.keys().cloned().collect()),*
                }
            }
        }

        /// Every kind's example, for the generic life-cycle test (a kind without one does not
        /// compile its tests).
        #[cfg(test)]
        pub(crate) const EXAMPLES: &[(Kind, &Example)] = &[$((Kind::$variant, &$module::EXAMPLE)),*];

        /// Builds every `[kind.NAME]` of `file` (each instance of one with `for_each`).
        pub(crate) fn build_kind(b: &mut dyn BuildSite<'_>, file: &StackFile, kind: Kind) -> Vec<Resource> {
            let mut out = Vec::new();
            match kind {
                $(Kind::$variant => for (name, section) in &file.$module {
                    let table = b.table(Kind::$variant, name);
                    for each in b.instances(&table.at("for_each"), section.for_each.as_ref()) {
                        b.enter(each);
                        let region = b.table(Kind::$variant, name).at("region");
                        b.place(&region, section.region.as_deref());
                        out.extend($module::build(b, name, section));
                    }
                    b.place(&table.at("region"), None);
                    b.enter(None);
                }),*
            }
            out
        }

        /// The `for_each` of `[kind.NAME]`, if it is declared and has one.
        pub fn for_each_of<'f>(file: &'f StackFile, kind: Kind, name: &str) -> Option<Option<&'f ForEach>> {
            match kind {
                $(Kind::$variant => file.$module.get(name).map(|s| s.for_each.as_ref())),*
            }
        }
    };
}

/// The registry: every kind, once, as `Variant => module (Spec, Section)` with its doc (shown in
/// the JSON Schema). `with_kinds!(m)` calls the macro `m` with the list: [`kinds`] here, the AWS
/// provider's dispatch in `src/aws/mod.rs`. Adding a kind is one line here, its module, and its
/// service file.
#[macro_export]
macro_rules! with_kinds {
    ($then:ident) => {
        $then! {
            /// S3 buckets, addressed `bucket.NAME`.
            Bucket => bucket (BucketSpec, BucketSection),
            /// CloudWatch log groups, addressed `log_group.NAME`.
            LogGroup => log_group (LogGroupSpec, LogGroupSection),
            /// IAM roles, addressed `role.NAME`.
            Role => role (RoleSpec, RoleSection),
            /// Lambda functions, addressed `lambda.NAME`.
            Lambda => lambda (LambdaSpec, LambdaSection),
            /// Firehose Direct PUT streams delivering to S3, addressed `firehose.NAME`.
            Firehose => firehose (FirehoseSpec, FirehoseSection),
            /// Glue Data Catalog tables over a stream's destination, with partition projection, addressed `table.NAME`.
            Table => table (TableSpec, TableSection),
            /// SNS topics alarms notify, addressed `topic.NAME`.
            Topic => topic (TopicSpec, TopicSection),
            /// CloudWatch metric alarms, addressed `alarm.NAME` (a stream's derived ones `alarm.<STREAM>_<which>`).
            Alarm => alarm (AlarmSpec, AlarmSection),
        }
    };
}

with_kinds!(kinds);

/// One resource of a kind, as the generic life-cycle test (`lifecycle_tests.rs`) drives it
/// through create, plan-clean, drift, replace, orphan discovery and destroy.
#[cfg(test)]
pub(crate) struct Example {
    /// stack.toml tables declaring it (and what it references), without `[stack]`.
    pub toml: &'static str,
    /// Its address.
    pub address: &'static str,
    /// The same tables with a change AWS cannot make in place.
    pub replaced: &'static str,
    /// A change made behind the stack's back that apply can undo in place.
    pub drift: fn(&mut Spec),
}

#[cfg(test)]
mod lifecycle_tests;

/// serde's default for flags that are on unless turned off.
fn default_true() -> bool {
    true
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        self.info().name
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    /// A noun for messages: `bucket`, `log group`, `role`, `function`, `stream`.
    pub fn noun(self) -> &'static str {
        self.info().noun
    }

    /// See [`KindInfo::create_carries_tags`].
    pub fn create_carries_tags(self) -> bool {
        self.info().create_carries_tags
    }

    /// How long apply waits for a resource of this kind to become usable (or gone), by default.
    pub fn default_wait(self) -> std::time::Duration {
        std::time::Duration::from_secs(self.info().default_wait_seconds)
    }

    /// Whether a resource of this kind may reference one of kind `other`.
    pub fn may_reference(self, other: Kind) -> bool {
        self.info().may_reference.contains(&other)
    }

    /// Every kind, those that may reference others first: the order to delete in, and to read
    /// in (the resources that reference others are the ones with the tightest quotas).
    pub fn referencing_first() -> Vec<Kind> {
        let nodes: Vec<(Kind, Vec<Kind>)> = Kind::ALL
            .iter()
            .map(|k| (*k, Kind::ALL.iter().copied().filter(|other| other.may_reference(*k)).collect()))
            .collect();
        crate::graph::topological(&nodes).unwrap_or_else(|_| Kind::ALL.to_vec())
    }

    /// The kind and physical name an ARN names, for the kinds the tagging API returns.
    pub fn from_arn(arn: &str) -> Option<(Kind, String)> {
        Kind::ALL.iter().find_map(|k| (k.info().name_in_arn)(arn).map(|name| (*k, name)))
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Spec {
    /// Its ARN in `env`.
    pub fn arn(&self, env: &Environment) -> String {
        self.as_dyn().arn(env).unwrap_or_else(|| (self.kind().info().arn)(env, self.physical_name()))
    }

    /// What dependents use once it is applied with ARN `arn`.
    pub fn outputs(&self, arn: &str) -> Outputs {
        self.as_dyn().outputs(arn)
    }

    /// See [`KindSpec::logs`].
    pub fn logs(&self) -> Option<(String, Option<String>)> {
        self.as_dyn().logs()
    }

    /// See [`KindSpec::source_dir`].
    pub fn source_dir(&self) -> Option<&Path> {
        self.as_dyn().source_dir()
    }

    /// Whether deleting it may delete data it holds.
    pub fn force_destroy(&self) -> bool {
        self.as_dyn().force_destroy()
    }

    /// See [`KindSpec::resolve`].
    pub fn resolve(&mut self, outputs: &HashMap<Address, Outputs>) {
        self.as_dyn_mut().resolve(outputs)
    }

    /// See [`KindSpec::listed_in`].
    pub fn listed_in(&self) -> Option<&str> {
        self.as_dyn().listed_in()
    }

    /// See [`KindSpec::unresolved`].
    pub fn unresolved(&self) -> bool {
        self.as_dyn().unresolved()
    }

    /// See [`KindSpec::package`].
    pub fn package(&self) -> Option<&Arc<Package>> {
        self.as_dyn().package()
    }

    /// The ARN dependents use: the version-qualified one where the kind gives one.
    pub fn arn_for_use(&self, arn: &str) -> String {
        let outputs = self.outputs(arn);
        outputs.qualified_arn.unwrap_or(outputs.arn)
    }

    /// The comparable attributes, tags last.
    pub fn attributes(&self) -> Attributes {
        let mut a = self.as_dyn().attributes();
        for (k, v) in self.tags() {
            a.push((format!("tags.{k}"), Attr::Value(serde_json::json!(v))));
        }
        a
    }

    /// Why changing `key` to `after` needs a replacement, if it does.
    pub fn replaces(&self, key: &str, after: &Option<Attr>) -> Option<ReplaceRule> {
        if key == "name" {
            return Some(ReplaceRule::Name);
        }
        self.as_dyn().replaces(key, after)
    }
}

/// Whether `s` holds only ASCII letters, digits and the characters of `extra`.
pub(crate) fn matches_charset(s: &str, extra: &str) -> bool {
    s.chars().all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
}

/// An error of `rule` at `key` unless `value` is within `range`.
pub(crate) fn in_range(
    out: &mut Vec<Diagnostic>,
    rule: Rule,
    key: Position,
    value: i64,
    range: std::ops::RangeInclusive<i64>,
) {
    if !range.contains(&value) {
        out.push(Diagnostic::error(rule, key, format!("{value} is out of range")).with_help(format!(
            "{} to {}",
            range.start(),
            range.end()
        )));
    }
}

/// Adds `key = value` to attributes.
pub(crate) fn push(attrs: &mut Attributes, key: &str, value: serde_json::Value) {
    attrs.push((key.to_string(), Attr::Value(value)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_registered_once_with_facts_of_its_own() {
        let names: std::collections::BTreeSet<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), Kind::ALL.len());
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(*k));
            assert!(!k.info().may_reference.contains(k), "{k} references itself");
            for other in k.info().may_reference {
                assert!(!other.may_reference(*k), "{k} <-> {other}");
            }
            assert!(!k.info().rates.is_empty(), "{k} says nothing of its API rates");
        }
        let order = Kind::referencing_first();
        assert_eq!(order.len(), Kind::ALL.len());
        let at = |k: Kind| order.iter().position(|o| *o == k).unwrap();
        for k in Kind::ALL {
            for other in k.info().may_reference {
                assert!(at(*k) < at(*other), "{k} is deleted before {other}");
            }
        }
    }
}
