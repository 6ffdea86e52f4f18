//! The model from a parsed stack.toml: each kind builds its resources (see
//! [`crate::model::kinds`]) through the [`Context`] this module provides (interpolation,
//! references, tags, packaging), then roles get the policies the resources using them need, and
//! the rule book runs.

use super::{interpolate, Invalid, Loaded};
use crate::diagnostic::{did_you_mean, Diagnostic, Severity};
use crate::model::kinds::{self, Context};
use crate::model::*;
use crate::package::{Package, PackageError};
use crate::policy::{self, Statement};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Builds the desired stack and returns it with any warnings; errors stop here.
pub fn build(loaded: &Loaded, env: Environment) -> Result<(Stack, Vec<Diagnostic>), Invalid> {
    // A variable without a value is one error: the stack is not built with it (each of its
    // uses would only repeat it).
    if loaded.parse_errors.iter().any(|d| d.rule == "variable") {
        return Err(Invalid::new(loaded.parse_errors.clone(), loaded.locator.text(), &loaded.path));
    }
    let mut b = Builder {
        loaded,
        env,
        diagnostics: Vec::new(),
        base_dir: loaded.path.parent().map(Path::to_path_buf).unwrap_or_default(),
        granted: BTreeMap::new(),
        declared: BTreeMap::new(),
        existing: Vec::new(),
        derived: Vec::new(),
        from_variable: BTreeMap::new(),
    };
    let mut resources = kinds::build_all(&mut b, &loaded.file);
    for derived in std::mem::take(&mut b.derived) {
        if resources.iter().any(|r| r.address == derived.address) {
            b.report(Diagnostic::error(
                "reference",
                derived.address.to_string(),
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
    let lock = loaded.file.stack.lock.then(|| match &loaded.file.stack.lock_bucket {
        Some(raw) => {
            LockSettings { bucket: b.text("stack.lock_bucket", raw), account_regional: false, legacy_bucket: None }
        }
        None => LockSettings {
            bucket: default_lock_bucket(&b.env.account_id, &b.env.region),
            account_regional: true,
            legacy_bucket: Some(crate::model::legacy_lock_bucket(&b.env.account_id, &b.env.region)),
        },
    });
    let ignore = &loaded.file.stack.ignore_tags;
    let stack = Stack {
        ignore_tags: IgnoreTags { keys: ignore.keys.clone(), key_prefixes: ignore.key_prefixes.clone() },
        existing: std::mem::take(&mut b.existing),
        name: loaded.name.clone(),
        env: b.env.clone(),
        file: loaded.path.clone(),
        resources,
        sensitive: loaded.sensitive.clone(),
        lock,
    };
    let mut diagnostics = loaded.parse_errors.clone();
    let mut found = std::mem::take(&mut b.diagnostics);
    found.extend(crate::validate::check(&stack, &loaded.file));
    // A problem in a value that is a variable is shown where the variable is written.
    for d in &mut found {
        if let Some((key, var)) =
            b.from_variable.iter().find(|(k, _)| d.key == **k || d.key.starts_with(&format!("{k}.")))
        {
            d.message = format!("{} (in variable `{var}`, used by {key})", d.message);
            d.key = format!("variables.{var}");
        }
    }
    // A key misspelt in a table leaves its value out: the rules needing it set with another
    // (D3, R8: "set both or neither") would only repeat the typo, so they are not reported.
    let misspelt: Vec<String> = loaded
        .parse_errors
        .iter()
        .filter(|d| d.message.starts_with("unknown key"))
        .map(|d| d.key.rsplit_once('.').map_or(d.key.clone(), |(table, _)| table.to_string()))
        .collect();
    found.retain(|d| {
        !(["D3", "R8"].contains(&d.rule.as_str()) && misspelt.iter().any(|t| d.key.starts_with(t.as_str())))
    });
    diagnostics.extend(found.into_iter().map(|d| loaded.locator.locate(d)));
    // What the file says wrong comes first (syntax, unknown keys, types), then the rules, by line.
    let is_rule = |d: &Diagnostic| !["syntax", "schema", "variable"].contains(&d.rule.as_str());
    diagnostics.sort_by_key(|d| (is_rule(d), d.location.as_ref().map(|l| l.line), d.severity));
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        Err(Invalid::new(diagnostics, loaded.locator.text(), &loaded.path))
    } else {
        Ok((stack, diagnostics))
    }
}

/// The [`Context`] kinds build in.
struct Builder<'a> {
    loaded: &'a Loaded,
    env: Environment,
    diagnostics: Vec<Diagnostic>,
    base_dir: PathBuf,
    /// Statements granted to roles by the resources using them, by role.
    granted: BTreeMap<Address, Vec<Statement>>,
    /// Statements roles declare themselves.
    declared: BTreeMap<Address, Vec<Statement>>,
    /// Existing resources referenced.
    existing: Vec<Existing>,
    /// Resources declared ones imply.
    derived: Vec<Resource>,
    /// Keys whose value is one variable (`"${var.prefix}"`), with the variable.
    from_variable: BTreeMap<String, String>,
}

impl Builder<'_> {
    /// Gives each role its generated inline policy: the statements granted to it, then those
    /// it declares; none when there are neither.
    fn attach_policies(&mut self, resources: &mut [Resource]) {
        for r in resources {
            if let Spec::Role(role) = &mut r.spec {
                let mut statements = self.granted.remove(&r.address).unwrap_or_default();
                statements.extend(self.declared.remove(&r.address).unwrap_or_default());
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
        &self.env
    }

    fn file(&self) -> &'a StackFile {
        &self.loaded.file
    }

    fn stack_name(&self) -> &'a str {
        &self.loaded.name
    }

    fn base_dir(&self) -> &Path {
        &self.base_dir
    }

    fn text(&mut self, key: &str, raw: &str) -> String {
        let whole = raw.trim().strip_prefix("${var.").and_then(|r| r.strip_suffix('}'));
        if let Some(var) = whole.filter(|v| self.loaded.file.variables.contains_key(*v)) {
            self.from_variable.insert(key.to_string(), var.to_string());
        }
        let ctx = interpolate::Context {
            variables: &self.loaded.values,
            stack_name: &self.loaded.name,
            region: &self.env.region,
            account_id: &self.env.account_id,
        };
        match ctx.interpolate(raw) {
            Ok(s) => s,
            Err(e) => {
                self.diagnostics.push(Diagnostic::error("interpolation", key, e.message).with_help(e.help));
                raw.to_string()
            }
        }
    }

    fn tags(&mut self, address: &Address) -> Tags {
        let mut tags = Tags::new();
        let ignore = &self.loaded.file.stack.ignore_tags;
        let ignore = IgnoreTags { keys: ignore.keys.clone(), key_prefixes: ignore.key_prefixes.clone() };
        for (k, v) in &self.loaded.file.stack.tags {
            let v = self.text(&format!("stack.tags.{k}"), v);
            // A tag the stack ignores is not the stack's to set either.
            if !ignore.ignores(k) {
                tags.insert(k.clone(), v);
            }
        }
        tags.insert(OWNER_TAG.into(), self.loaded.name.clone());
        tags.insert(ADDRESS_TAG.into(), address.to_string());
        tags
    }

    fn reference(&mut self, key: &str, raw: &str, kind: Kind) -> Option<Address> {
        let names = self.loaded.file.names(kind);
        match Address::parse(raw) {
            Some(a) if a.kind == kind && names.contains(&a.name) => Some(a),
            _ => {
                let candidates: Vec<String> = names.iter().map(|n| format!("{}.{n}", kind.as_str())).collect();
                let hint = did_you_mean(raw, candidates.iter().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
                let listed = if candidates.is_empty() { "none".to_string() } else { candidates.join(", ") };
                self.diagnostics.push(
                    Diagnostic::error("reference", key, format!("`{raw}` is not a {} in this stack", kind.as_str()))
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

    fn existing(&mut self, key: &str, kind: Kind, name: &str) {
        let e = Existing { kind, name: name.to_string(), key: key.to_string() };
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
        self.declared.entry(role.clone()).or_default().extend(statements);
    }
}
