//! The [`BuildSite`] kinds build in: interpolation, references, tags, packaging, for the
//! instance being built.

use super::Builder;
use crate::config::interpolate;
use crate::model::diagnostic::{did_you_mean, Diagnostic, Rule};
use crate::model::kinds::BuildSite;
use crate::model::stack_file::{Each, ForEach};
use crate::model::*;
use crate::package::{Package, PackageError};
use crate::policy::Statement;
use std::path::Path;
use std::sync::Arc;

impl Builder<'_> {
    /// `${ADDRESS.arn}`, `${ADDRESS.name}` (ADDRESS as written in this instance's file, or a
    /// variable passing a resource): `None` when the text names no resource.
    pub(super) fn attribute(&self, name: &str) -> Option<Result<String, String>> {
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
}

impl<'a> BuildSite<'a> for Builder<'a> {
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
            let ctx = interpolate::Values {
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
                self.diagnostics.push(crate::config::expand::invalid_key(key, &each.key));
            }
        }
        out
    }

    fn enter(&mut self, each: Option<Each>) {
        self.each = each;
    }
}
