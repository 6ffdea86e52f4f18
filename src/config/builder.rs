//! The model from the expanded stack: each kind builds its resources (see
//! [`crate::model::kinds`]) through the [`Context`] this module provides (interpolation,
//! references, tags, packaging), one instance at a time (stack.toml, each module instance, each
//! `for_each` key) and kind by kind in reference order, so that what a resource references is
//! built before it. Then roles get the policies the resources using them need, and the rule book
//! runs over the one flat stack: the planner, apply and live never see modules.

use super::expand::{Instance, SourceFile};
use super::{interpolate, Invalid, Loaded};
use crate::diagnostic::{did_you_mean, Diagnostic, Rule, Severity};
use crate::model::kinds::{self, Context};
use crate::model::stack_file::{Each, ForEach};
use crate::model::*;
use crate::package::{Package, PackageError};
use crate::policy::{self, Statement};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

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
        },
        None => LockSettings {
            bucket: default_lock_bucket(&b.env.account_id, &b.env.region),
            account_regional: true,
            legacy_bucket: Some(crate::model::legacy_lock_bucket(&b.env.account_id, &b.env.region)),
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

/// The [`Context`] kinds build in.
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

    /// The variable values of each module instance: the module's defaults, then the values its
    /// call writes, interpolated in the caller's instance. A value that is an address of the
    /// caller passes that resource.
    fn resolve_variables(&mut self) {
        let instances = &self.loaded.instances;
        for (i, instance) in instances.iter().enumerate().skip(1) {
            let file = &self.file_of(instance).file;
            let caller = instance.caller.unwrap_or(0);
            let mut values: BTreeMap<String, String> = file
                .variables
                .iter()
                .filter_map(|(k, v)| v.default_value().map(|d| (k.clone(), d.to_string())))
                .collect();
            let mut passed = BTreeMap::new();
            self.current = caller;
            self.each = instance.each.clone();
            for (var, raw) in &instance.passed {
                if !file.variables.contains_key(var) {
                    continue;
                }
                let key = Position::call(&instance.module).at("variables").at(var);
                let forwarded = self.passed_address(raw);
                let text = self.text(&key, raw);
                let address = forwarded.or_else(|| {
                    Address::parse(&text)
                        .map(|a| a.in_module(&instances[caller].module))
                        .filter(|a| self.declared.contains_key(a))
                });
                let text = match address {
                    Some(a) => {
                        let shown = a.to_string();
                        passed.insert(var.clone(), a);
                        shown
                    }
                    None => text,
                };
                // The value is text now: a `${` in it is not interpolated again.
                values.insert(var.clone(), text.replace("${", "$${"));
            }
            for (var, v) in &file.variables {
                if v.sensitive() {
                    self.sensitive.extend(values.get(var).filter(|v| !v.is_empty()).cloned());
                }
            }
            self.values.push(values);
            self.passed.push(passed);
            debug_assert_eq!(self.values.len(), i + 1);
            // Where the instance lives: its call's values, interpolated in the caller.
            let (env, role) = self.place_instance(i);
            self.envs.push(env);
            self.roles.push(role);
        }
        self.current = 0;
        self.each = None;
    }

    /// Where instance `i` lives and the role reaching its account, from its call (interpolated
    /// in the caller, with the call's `each`): rules G1 to G3 are checked here, where the keys
    /// are known.
    fn place_instance(&mut self, i: usize) -> (Environment, Option<AssumeRole>) {
        let instance = &self.loaded.instances[i];
        let caller = instance.caller.unwrap_or(0);
        let (mut env, mut role) = (self.envs[caller].clone(), self.roles[caller].clone());
        let placement = &instance.placement;
        let call = Position::call(&instance.module);
        self.current = caller;
        self.each = instance.each.clone();
        if let Some(raw) = &placement.region {
            let key = call.at("region");
            env.region = self.text(&key, raw);
            self.check_region(&key, &env.region);
        }
        if placement.external_id.is_some() && placement.assume_role.is_none() {
            self.diagnostics.push(
                Diagnostic::error(Rule::G2, call.at("external_id"), "external_id is given without assume_role")
                    .with_help("set assume_role = \"arn:aws:iam::ACCOUNT:role/NAME\" beside it, or remove external_id"),
            );
        }
        if let Some(raw) = &placement.assume_role {
            let arn = self.text(&call.at("assume_role"), raw);
            let external_id = placement.external_id.as_ref().map(|e| self.text(&call.at("external_id"), e));
            let assumed = AssumeRole { arn, external_id };
            let key = call.at("assume_role");
            if self.check_role(&key, &call.at("external_id"), &assumed) {
                let account = assumed.account().unwrap_or_default().to_string();
                self.record_access(&key, &account, &assumed);
                env.account_id = account;
                role = Some(assumed);
            }
        }
        self.current = 0;
        self.each = None;
        (env, role)
    }

    /// Rule G1: a region is an AWS Region's name (a well-formed name AWS does not list yet is a
    /// warning: a Region newer than this provision).
    fn check_region(&mut self, key: &Position, region: &str) {
        use crate::model::location::KNOWN_REGIONS;
        if KNOWN_REGIONS.contains(&region) {
            return;
        }
        let hint = did_you_mean(region, KNOWN_REGIONS.iter().copied()).map(|s| format!("did you mean {s:?}? "));
        let d = if region_is_well_formed(region) {
            Diagnostic::warning(Rule::G1, key, format!("{region:?} is not a Region this provision knows"))
        } else {
            Diagnostic::error(Rule::G1, key, format!("{:?} is not an AWS Region name", crate::output::escape(region)))
        };
        self.diagnostics
            .push(d.with_help(format!("{}a Region such as \"eu-west-1\" or \"us-east-1\"", hint.unwrap_or_default())));
    }

    /// Rule G2: a role to assume is an IAM role ARN; its external id is 2 to 1,224 of STS's
    /// characters. Returns whether the role can be used.
    fn check_role(&mut self, key: &Position, external: &Position, role: &AssumeRole) -> bool {
        let mut ok = true;
        if role.account().is_none() {
            ok = false;
            self.diagnostics.push(
                Diagnostic::error(
                    Rule::G2,
                    key,
                    format!("{:?} is not an IAM role ARN", crate::output::escape(&role.arn)),
                )
                .with_help("arn:aws:iam::ACCOUNT:role/NAME (ACCOUNT is 12 digits)"),
            );
        }
        if let Some(id) = &role.external_id {
            if !(2..=1224).contains(&id.len()) || !crate::model::kinds::matches_charset(id, "+=,.@:/-_") {
                ok = false;
                self.diagnostics.push(
                    Diagnostic::error(Rule::G2, external, "the external id is not one STS accepts")
                        .with_help("2 to 1,224 of A-Z a-z 0-9 + = , . @ : / - _"),
                );
            }
        }
        ok
    }

    /// Rule G3: an account is reached one way: through one role (never two, never one for the
    /// credentials' own account when `[stack]` assumes none).
    fn record_access(&mut self, key: &Position, account: &str, role: &AssumeRole) {
        if account == self.env.account_id && !self.access.contains_key(account) {
            self.diagnostics.push(
                Diagnostic::error(
                    Rule::G3,
                    key,
                    format!("account {account} is the stack's own: it is reached without a role"),
                )
                .with_help("remove assume_role, or set it on [stack] for every instance of the account"),
            );
            return;
        }
        match self.access.get(account) {
            Some(known) if known != role => self.diagnostics.push(
                Diagnostic::error(
                    Rule::G3,
                    key,
                    format!(
                        "account {account} is reached through {} elsewhere in the stack",
                        crate::output::escape(&known.arn)
                    ),
                )
                .with_help("use one role (and external id) per account"),
            ),
            Some(_) => {}
            None => {
                self.access.insert(account.to_string(), role.clone());
            }
        }
    }

    /// The location of what is being built.
    fn current_env(&self) -> &Environment {
        self.placed.as_ref().unwrap_or(&self.envs[self.current.min(self.envs.len() - 1)])
    }

    /// The resource a variable passes, when `raw` is just that variable (`"${var.bucket}"`).
    fn passed_address(&self, raw: &str) -> Option<Address> {
        let var = raw.trim().strip_prefix("${var.")?.strip_suffix('}')?;
        self.passed.get(self.current)?.get(var.trim()).cloned()
    }

    /// `${ADDRESS.arn}`, `${ADDRESS.name}` (ADDRESS as written in this instance's file, or a
    /// variable passing a resource): `None` when the text names no resource.
    fn attribute(&self, name: &str) -> Option<Result<String, String>> {
        let (what, attribute) = name.rsplit_once('.')?;
        let address = match what.strip_prefix("var.") {
            Some(var) => self.passed.get(self.current)?.get(var).cloned()?,
            None => Address::parse(what)?.in_module(&self.instance().module),
        };
        let first_pass = !self.previous.second_pass;
        if !first_pass && self.built(&address).is_none() && self.previous.tainted.contains(&address) {
            return Some(Err(format!(
                "`${{{name}}}`: {address} uses, in turn, an attribute of a resource built after it"
            )));
        }
        let previous = self.previous.index.get(&address).map(|i| &self.previous.resources[*i]);
        match self.built(&address).or(previous) {
            Some(r) if attribute == "arn" => Some(Ok(r.spec.arn(&self.env.at(&r.location)))),
            Some(r) => Some(Ok(r.spec.physical_name().to_string())),
            None if self.declared.contains_key(&address) && first_pass => {
                // Known in the second pass.
                self.deferred.set(true);
                self.tainted.borrow_mut().extend(self.building.clone());
                Some(Ok(String::new()))
            }
            None if self.declared.contains_key(&address) => {
                Some(Err(format!("`${{{name}}}`: {address} could not be built, so its {attribute} is not known")))
            }
            None => None,
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

impl<'a> Context<'a> for Builder<'a> {
    fn env(&self) -> &Environment {
        self.current_env()
    }

    fn location(&self) -> Location {
        self.current_env().location()
    }

    fn place(&mut self, key: &Position, region: Option<&str>) {
        self.placed = None;
        if let Some(raw) = region {
            let region = self.text(key, raw);
            self.check_region(key, &region);
            let mut env = self.current_env().clone();
            env.region = region;
            self.placed = Some(env);
        }
    }

    fn stack_name(&self) -> &str {
        &self.loaded.name
    }

    fn default_name(&self, name: &str) -> String {
        let mut parts = vec![self.loaded.name.clone()];
        for step in &self.instance().module {
            parts.push(step.name.clone());
            parts.extend(step.key.clone());
        }
        parts.push(name.to_string());
        parts.extend(self.each.as_ref().map(|e| e.key.clone()));
        parts.join("-")
    }

    fn base_dir(&self) -> &Path {
        self.file_of(self.instance()).path.parent().unwrap_or(Path::new(""))
    }

    fn address(&mut self, kind: Kind, name: &str) -> (Address, Position) {
        let address = Address {
            module: self.instance().module.clone(),
            kind,
            name: name.to_string(),
            key: self.each.as_ref().map(|e| e.key.clone()),
        };
        self.building = Some(address.clone());
        let key = Position::resource(&address);
        (address, key)
    }

    fn table(&self, kind: Kind, name: &str) -> Position {
        Position::resource(&Address {
            module: self.instance().module.clone(),
            kind,
            name: name.to_string(),
            key: self.each.as_ref().map(|e| e.key.clone()),
        })
    }

    fn built(&self, address: &Address) -> Option<&Resource> {
        self.index.get(address).map(|i| &self.resources[*i])
    }

    fn later(&self, address: &Address) -> Option<&Resource> {
        if let Some(r) = self.built(address) {
            return Some(r);
        }
        if !self.previous.second_pass {
            self.deferred.set(true);
            self.tainted.borrow_mut().extend(self.building.clone());
            return None;
        }
        self.previous.index.get(address).map(|i| &self.previous.resources[*i])
    }

    fn text(&mut self, key: &Position, raw: &str) -> String {
        let whole = raw.trim().strip_prefix("${var.").and_then(|r| r.strip_suffix('}'));
        let variables = &self.file_of(self.instance()).file.variables;
        if let Some(var) = whole.filter(|v| variables.contains_key(*v)) {
            // Where the variable's value is written: the call passing it, or its default.
            let instance = self.instance();
            let at = if instance.passed.contains_key(var) {
                Position::call(&instance.module).at("variables").at(var)
            } else {
                Position::Key { module: instance.module.clone(), path: AttrPath::root().key("variables").key(var) }
            };
            self.from_variable.insert(key.clone(), (var.to_string(), at));
        }
        let result = {
            let attributes = |name: &str| self.attribute(name);
            let ctx = interpolate::Context {
                variables: &self.values[self.current],
                stack_name: &self.loaded.name,
                region: &self.current_env().region,
                account_id: &self.current_env().account_id,
                each: self.each.as_ref(),
                attributes: Some(&attributes),
            };
            ctx.interpolate(raw)
        };
        match result {
            Ok(s) => s,
            Err(e) => {
                self.diagnostics.push(Diagnostic::error(Rule::Interpolation, key, e.message).with_help(e.help));
                raw.to_string()
            }
        }
    }

    fn tags(&mut self, address: &Address) -> Tags {
        let mut tags = self.stack_tags.clone();
        tags.insert(OWNER_TAG.into(), self.loaded.name.clone());
        tags.insert(ADDRESS_TAG.into(), address.tag_value());
        tags.insert(LOCATION_TAG.into(), self.location().tag_value());
        tags.insert(HOME_TAG.into(), self.env.location().tag_value());
        tags
    }

    fn reference(&mut self, key: &Position, raw: &str, kind: Kind) -> Option<Address> {
        if let Some(passed) = self.passed_address(raw) {
            if passed.kind == kind {
                return Some(passed);
            }
            self.diagnostics.push(
                Diagnostic::error(Rule::Reference, key, format!("`{raw}` passes {passed}, not a {}", kind.noun()))
                    .with_help(format!("pass a {} of the caller: \"{}.NAME\"", kind.noun(), kind.as_str())),
            );
            return None;
        }
        let text = if raw.contains("${") { self.text(key, raw) } else { raw.to_string() };
        let module = &self.instance().module;
        let wanted = Address::parse(&text).map(|a| a.in_module(module));
        match wanted {
            Some(a) if a.kind == kind && self.declared.contains_key(&a) => Some(a),
            _ => {
                // Candidates as written in this file: `kind.NAME`, `kind.NAME[KEY]`.
                let mut candidates: Vec<String> = self
                    .declared
                    .keys()
                    .filter(|a| a.kind == kind && &a.module == module)
                    .map(|a| Address { module: Vec::new(), ..a.clone() }.to_string())
                    .collect();
                candidates.sort();
                let hint = did_you_mean(&text, candidates.iter().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
                let listed = match candidates.len() {
                    0 => "none".to_string(),
                    n if n > 10 => format!("{} and {} more", candidates[..10].join(", "), n - 10),
                    _ => candidates.join(", "),
                };
                let whose = if module.is_empty() {
                    "this stack".to_string()
                } else {
                    format!("this module ({})", self.instance().display())
                };
                self.diagnostics.push(
                    Diagnostic::error(Rule::Reference, key, format!("`{raw}` is not a {} in {whose}", kind.as_str()))
                        .with_help(format!("{hint}declared: {listed}")),
                );
                None
            }
        }
    }

    fn package(
        &mut self,
        dir: &Path,
        include: &[String],
        exclude: &[String],
    ) -> Option<Result<Arc<Package>, PackageError>> {
        self.loaded.package_code.then(|| self.loaded.package(dir, include, exclude))
    }

    fn existing(&mut self, key: &Position, kind: Kind, name: &str) {
        let e = Existing { kind, name: name.to_string(), key: key.clone(), location: self.location() };
        if !self.existing.contains(&e) {
            self.existing.push(e);
        }
    }

    fn derive(&mut self, resource: Resource) {
        self.derived.push(resource);
    }

    fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    fn grant(&mut self, role: &Address, statements: Vec<Statement>) {
        self.granted.entry(role.clone()).or_default().extend(statements);
    }

    fn declare_statements(&mut self, role: &Address, statements: Vec<Statement>) {
        self.declared_statements.entry(role.clone()).or_default().extend(statements);
    }

    fn instances(&mut self, key: &Position, for_each: Option<&ForEach>) -> Vec<Option<Each>> {
        let Some(for_each) = for_each else { return vec![None] };
        let mut out = Vec::new();
        for each in for_each.instances() {
            if crate::model::address::is_valid_key(&each.key) {
                out.push(Some(each));
            } else {
                self.diagnostics.push(super::expand::invalid_key(key, &each.key));
            }
        }
        out
    }

    fn enter(&mut self, each: Option<Each>) {
        self.each = each;
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
