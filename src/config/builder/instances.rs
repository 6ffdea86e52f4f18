//! Expansion's second half, at build time: each module instance's variable values (the call's,
//! interpolated in the caller) and where it lives (its call's `region` and `assume_role`),
//! with rules G1 to G3 checked where the values are known.

use super::Builder;
use crate::model::diagnostic::{did_you_mean, Diagnostic, Rule};
use crate::model::kinds::BuildSite;
use crate::model::*;
use std::collections::BTreeMap;

impl Builder<'_> {
    /// The variable values of each module instance: the module's defaults, then the values its
    /// call writes, interpolated in the caller's instance. A value that is an address of the
    /// caller passes that resource.
    pub(super) fn resolve_variables(&mut self) {
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
    pub(super) fn place_instance(&mut self, i: usize) -> (Environment, Option<AssumeRole>) {
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
    pub(super) fn check_region(&mut self, key: &Position, region: &str) {
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
    pub(super) fn check_role(&mut self, key: &Position, external: &Position, role: &AssumeRole) -> bool {
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
    pub(super) fn record_access(&mut self, key: &Position, account: &str, role: &AssumeRole) {
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
    pub(super) fn current_env(&self) -> &Environment {
        self.placed.as_ref().unwrap_or(&self.envs[self.current.min(self.envs.len() - 1)])
    }

    /// The resource a variable passes, when `raw` is just that variable (`"${var.bucket}"`).
    pub(super) fn passed_address(&self, raw: &str) -> Option<Address> {
        let var = raw.trim().strip_prefix("${var.")?.strip_suffix('}')?;
        self.passed.get(self.current)?.get(var.trim()).cloned()
    }
}
