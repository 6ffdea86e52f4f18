//! The model from the expanded stack: each kind builds its resources (see
//! [`crate::model::kinds`]) through the [`BuildSite`] this module provides (interpolation,
//! references, tags, packaging), one instance at a time (stack.toml, each module instance, each
//! `for_each` key) and kind by kind in reference order, so that what a resource references is
//! built before it. Then roles get the policies the resources using them need, and the rule book
//! runs over the one flat stack: the planner, apply and live never see modules.

mod instances;
mod site;

use super::expand::{Instance, SourceFile};
use super::{Invalid, Loaded};
use crate::model::diagnostic::{Diagnostic, Rule, Severity};
use crate::model::kinds::{self, BuildSite};
use crate::model::stack_file::Each;
use crate::model::*;
use crate::policy::{self, Statement};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Builds the desired stack and returns it with any warnings; errors stop here.
pub fn build(loaded: &Loaded, env: Environment) -> Result<(Stack, Vec<Diagnostic>), Invalid> {
    // A variable without a value is one error: the stack is not built with it (each of its
    // uses would only repeat it).
    if loaded.parse_errors.iter().any(|d| d.rule == Rule::Variable) {
        return Err(Invalid::new(loaded.parse_errors.clone(), loaded.sources(), &loaded.path));
    }
    let first = Builder::run(loaded, env.clone(), Previous::default());
    // A string used the ARN or name of a resource of a kind built after it (a role's statement
    // naming a stream): built again, with every resource of the first pass known.
    let mut b = if first.deferred.get() {
        let previous = Previous {
            second_pass: true,
            index: first.index,
            resources: first.resources,
            tainted: first.tainted.into_inner(),
        };
        Builder::run(loaded, env, previous)
    } else {
        first
    };
    // stack.toml's order: kind by kind (the registry's), then what the declared ones imply.
    let mut resources = std::mem::take(&mut b.resources);
    resources.sort_by_key(|r| r.address.kind);
    for derived in std::mem::take(&mut b.derived) {
        if resources.iter().any(|r| r.address == derived.address) {
            b.report(Diagnostic::error(
                Rule::Reference,
                &derived.address,
                format!(
                    "{} is also the log group provision derives from a function's log_retention_days",
                    derived.address
                ),
            ));
        } else {
            resources.push(derived);
        }
    }
    b.attach_policies(&mut resources);
    let stack_section = &loaded.stack;
    let lock = stack_section.lock.then(|| match &stack_section.lock_bucket {
        Some(raw) => LockSettings {
            bucket: b.text(&Position::stack("lock_bucket"), raw),
            account_regional: false,
            legacy_bucket: None,
            stack: loaded.name.clone(),
        },
        None => LockSettings {
            bucket: default_lock_bucket(&b.env.account_id, &b.env.region),
            account_regional: true,
            legacy_bucket: Some(crate::model::legacy_lock_bucket(&b.env.account_id, &b.env.region)),
            stack: loaded.name.clone(),
        },
    });
    let ignore = &stack_section.ignore_tags;
    let stack = Stack {
        ignore_tags: IgnoreTags { keys: ignore.keys.clone(), key_prefixes: ignore.key_prefixes.clone() },
        existing: std::mem::take(&mut b.existing),
        name: loaded.name.clone(),
        env: b.env.clone(),
        file: loaded.path.clone(),
        module_files: loaded.files.iter().skip(1).map(|f| f.path.clone()).collect(),
        resources,
        sensitive: std::mem::take(&mut b.sensitive),
        lock,
        access: std::mem::take(&mut b.access),
    };
    let mut diagnostics = loaded.parse_errors.clone();
    let mut found = std::mem::take(&mut b.diagnostics);
    let written = |a: &Address| {
        let file = b.declared.get(&Address { key: None, ..a.clone() }).or_else(|| b.declared.get(a))?;
        Some(&loaded.files[*file].file)
    };
    found.extend(crate::validate::check(&stack, &written));
    // A problem in a value that is a variable is shown where the variable is written.
    for d in &mut found {
        if let Some((key, (var, at))) = b.from_variable.iter().find(|(k, _)| d.position.starts_with(k)) {
            d.message = format!("{} (in variable `{var}`, used by {key})", d.message);
            d.position = at.clone();
        }
    }
    // A key misspelt in a table leaves its value out: the rules needing it set with another
    // (D3, R8: "set both or neither") would only repeat the typo, so they are not reported.
    let declarations = &loaded.declarations;
    let misspelt: Vec<(&Path, AttrPath)> = loaded
        .parse_errors
        .iter()
        .filter(|d| d.message.starts_with("unknown key"))
        .filter_map(|d| {
            let Position::InFile { file, path } = &d.position else { return None };
            let table = path.parent();
            Some((file.as_path(), table))
        })
        .collect();
    found.retain(|d| {
        let Some((file, path)) = declarations.place(&d.position) else { return true };
        let in_file = loaded.files[file].path.as_path();
        !([Rule::D3, Rule::R8].contains(&d.rule) && misspelt.iter().any(|(f, t)| *f == in_file && path.starts_with(t)))
    });
    diagnostics.extend(found.into_iter().map(|d| declarations.locate(&loaded.files, d)));
    // What the files say wrong comes first (syntax, unknown keys, types), then the rules, by
    // file (stack.toml first) and line.
    let is_rule = |d: &Diagnostic| !d.rule.is_of_the_files();
    diagnostics.sort_by_key(|d| {
        let at = d.location.as_ref().map(|l| (l.file != loaded.path, l.file.clone(), l.line));
        (is_rule(d), at, d.severity)
    });
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        Err(Invalid::new(diagnostics, loaded.sources(), &loaded.path))
    } else {
        Ok((stack, diagnostics))
    }
}

/// What a first pass built, for a second one (see [`build`]).
#[derive(Default)]
struct Previous {
    /// Whether there was a first pass (this is the second).
    second_pass: bool,
    index: HashMap<Address, usize>,
    resources: Vec<Resource>,
    /// Resources the first pass built with an attribute it did not know yet.
    tainted: std::collections::HashSet<Address>,
}

/// The [`BuildSite`] kinds build in.
struct Builder<'a> {
    loaded: &'a Loaded,
    /// Where the stack lives (`[stack] region`, the account of the credentials or of `[stack]
    /// assume_role`): the lock's location.
    env: Environment,
    /// Where each instance lives (its call's `region` and `assume_role`, else its caller's).
    envs: Vec<Environment>,
    /// The role each instance's account is reached through, if any.
    roles: Vec<Option<AssumeRole>>,
    /// Where the table being built lives, when it writes a `region` of its own.
    placed: Option<Environment>,
    /// The roles through which other accounts are reached, by account.
    access: BTreeMap<String, AssumeRole>,
    diagnostics: Vec<Diagnostic>,
    /// The instance being built, an index into `loaded.instances`.
    current: usize,
    /// The `for_each` instance of the table being built.
    each: Option<Each>,
    /// Variable values of each instance.
    values: Vec<BTreeMap<String, String>>,
    /// Variables of each instance given a resource of its caller (`bucket = "bucket.data"`).
    passed: Vec<BTreeMap<String, Address>>,
    /// Every declared resource instance, with the file declaring it.
    declared: HashMap<Address, usize>,
    /// Resources built so far, and where each is in `resources`.
    resources: Vec<Resource>,
    index: HashMap<Address, usize>,
    /// What a first pass built (empty in the first pass).
    previous: Previous,
    /// Whether an attribute of a resource not built yet was used (first pass only).
    deferred: std::cell::Cell<bool>,
    /// The resources built with such an attribute.
    tainted: std::cell::RefCell<std::collections::HashSet<Address>>,
    /// The resource being built.
    building: Option<Address>,
    /// The stack's own tags, interpolated in stack.toml.
    stack_tags: Tags,
    /// Values of sensitive variables, of stack.toml and of module instances.
    sensitive: Vec<String>,
    /// Statements granted to roles by the resources using them, by role.
    granted: BTreeMap<Address, Vec<Statement>>,
    /// Statements roles declare themselves.
    declared_statements: BTreeMap<Address, Vec<Statement>>,
    /// Existing resources referenced.
    existing: Vec<Existing>,
    /// Resources declared ones imply.
    derived: Vec<Resource>,
    /// Positions whose value is one variable (`"${var.prefix}"`): the variable and where it is
    /// written (its default in the module's file, or the value its call passes).
    from_variable: BTreeMap<Position, (String, Position)>,
}

impl<'a> Builder<'a> {
    /// Builds every instance, kind by kind in reference order (what a resource references is
    /// built before it).
    fn run(loaded: &'a Loaded, env: Environment, previous: Previous) -> Self {
        let mut b = Builder::new(loaded, env, previous);
        b.resolve_variables();
        let mut order = Kind::referencing_first();
        order.reverse();
        for kind in order {
            for i in 0..loaded.instances.len() {
                b.current = i;
                let file = &loaded.files[loaded.instances[i].file].file;
                for r in kinds::build_kind(&mut b, file, kind) {
                    b.index.insert(r.address.clone(), b.resources.len());
                    b.resources.push(r);
                }
            }
        }
        b.current = 0;
        b
    }

    fn new(loaded: &'a Loaded, env: Environment, previous: Previous) -> Self {
        let home_role = super::stack_role(loaded);
        let mut b = Builder {
            loaded,
            envs: vec![env.clone()],
            roles: vec![home_role.clone()],
            placed: None,
            access: BTreeMap::new(),
            env,
            diagnostics: Vec::new(),
            current: 0,
            each: None,
            values: vec![loaded.values.clone()],
            passed: vec![BTreeMap::new()],
            declared: HashMap::new(),
            resources: Vec::new(),
            index: HashMap::new(),
            stack_tags: Tags::new(),
            previous,
            deferred: Default::default(),
            tainted: Default::default(),
            building: None,
            sensitive: loaded.sensitive.clone(),
            granted: BTreeMap::new(),
            declared_statements: BTreeMap::new(),
            existing: Vec::new(),
            derived: Vec::new(),
            from_variable: BTreeMap::new(),
        };
        b.declare();
        if loaded.region.is_some() {
            let region = b.env.region.clone();
            b.check_region(&Position::stack("region"), &region);
        }
        if loaded.stack.external_id.is_some() && loaded.stack.assume_role.is_none() {
            b.diagnostics.push(
                Diagnostic::error(Rule::G2, Position::stack("external_id"), "external_id is given without assume_role")
                    .with_help("set assume_role = \"arn:aws:iam::ACCOUNT:role/NAME\" beside it, or remove external_id"),
            );
        }
        if let Some(role) = home_role {
            let key = Position::stack("assume_role");
            b.check_role(&key, &Position::stack("external_id"), &role);
            if let Some(account) = role.account().filter(|a| *a != b.env.account_id) {
                // Offline, the account is the role's (the caller's own is not known).
                b.diagnostics.push(Diagnostic::error(
                    Rule::G2,
                    &key,
                    format!("the credentials act in account {} through this role, not in {account}", b.env.account_id),
                ));
            }
            b.access.insert(b.env.account_id.clone(), role);
        }
        let ignore = &loaded.stack.ignore_tags;
        let ignore = IgnoreTags { keys: ignore.keys.clone(), key_prefixes: ignore.key_prefixes.clone() };
        for (k, v) in &loaded.stack.tags {
            let at = Position::stack("tags").at(k);
            let v = b.text(&at, v);
            b.diagnostics.extend(check_tag(&at, k, &v));
            // A tag the stack ignores is not the stack's to set either.
            if !ignore.ignores(k) {
                b.stack_tags.insert(k.clone(), v.to_string());
            }
        }
        b
    }

    fn instance(&self) -> &'a Instance {
        &self.loaded.instances[self.current]
    }

    fn file_of(&self, instance: &Instance) -> &'a SourceFile {
        &self.loaded.files[instance.file]
    }

    /// Lists every resource instance the files declare, with the file declaring it (where
    /// each is written is the config's table of declarations).
    fn declare(&mut self) {
        for instance in &self.loaded.instances {
            let file = &self.file_of(instance).file;
            for kind in Kind::ALL {
                for name in file.names(*kind) {
                    let base = Address { module: instance.module.clone(), kind: *kind, name: name.clone(), key: None };
                    match kinds::for_each_of(file, *kind, &name).flatten() {
                        None => {
                            self.declared.insert(base, instance.file);
                        }
                        Some(for_each) => {
                            for each in for_each.instances() {
                                self.declared.insert(base.clone().with_key(Some(each.key)), instance.file);
                            }
                        }
                    }
                }
            }
        }
    }

    /// Gives each role its generated inline policy: the statements granted to it, then those
    /// it declares; none when there are neither.
    fn attach_policies(&mut self, resources: &mut [Resource]) {
        for r in resources {
            if let Spec::Role(role) = &mut r.spec {
                let mut statements = self.granted.remove(&r.address).unwrap_or_default();
                statements.extend(self.declared_statements.remove(&r.address).unwrap_or_default());
                // Two streams sharing a role and a bucket need the bucket's statement once.
                let mut unique: Vec<Statement> = Vec::new();
                for s in statements {
                    if !unique.contains(&s) {
                        unique.push(s);
                    }
                }
                let statements = unique;
                role.inline_policy = (!statements.is_empty()).then(|| policy::document(&statements));
            }
        }
    }
}

/// Rule N10: a tag as AWS takes it (the tagging rules IAM, S3, Lambda, Firehose, CloudWatch and
/// SNS share): a key of 1 to 128 and a value of at most 256 letters, digits, spaces and
/// `_ . : / = + - @`; `aws:` is AWS's own prefix, `provision:` provision's ownership tags'.
fn check_tag(at: &Position, key: &str, value: &str) -> Option<Diagnostic> {
    let allowed = |c: char| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c);
    let problem = if key.is_empty() || key.chars().count() > 128 {
        Some("a tag key is 1 to 128 characters".to_string())
    } else if value.chars().count() > 256 {
        Some("a tag value is at most 256 characters".to_string())
    } else if let Some(c) = key.chars().chain(value.chars()).find(|c| !allowed(*c)) {
        Some(format!("U+{:04X} is not a character AWS takes in a tag", c as u32))
    } else if key.to_lowercase().starts_with("aws:") || key.starts_with("provision:") {
        Some("`aws:` and `provision:` are reserved tag prefixes".to_string())
    } else {
        None
    };
    problem.map(|message| {
        Diagnostic::error(Rule::N10, at, message)
            .with_help("letters, digits, spaces and _ . : / = + - @ (keys 1 to 128, values up to 256)")
    })
}
