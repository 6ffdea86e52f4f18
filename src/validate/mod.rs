//! The rule book (`docs/src/rules.md`): pure checks over the model and the raw file.
//! Each diagnostic carries the rule id and the key it concerns.

use crate::model::diagnostic::{Diagnostic, Rule};
use crate::model::kinds::{Names, Reach};
use crate::model::*;

/// Runs every rule: the stack's own here, each resource's in its kind's module (`check`, found
/// through the registry); returns errors and warnings. `written` gives the file a resource's
/// table is written in (for the rules about what is written: "set both or neither").
pub fn check<'a>(stack: &Stack, written: &dyn Fn(&Address) -> Option<&'a StackFile>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    check_stack_name(&stack.name, &mut out);
    check_existing_not_declared(stack, &mut out);
    check_unique_names(stack, &mut out);
    check_references_across_locations(stack, &mut out);
    for resource in &stack.resources {
        resource.spec.check(&resource.address, written(&resource.address), stack, &mut out);
    }
    out
}

/// Two resources of a kind with one ARN would be one resource in AWS (every instance of a module
/// given the same stream name): one error naming both.
fn check_unique_names(stack: &Stack, out: &mut Vec<Diagnostic>) {
    let mut seen: std::collections::HashMap<(Kind, String), &Address> = std::collections::HashMap::new();
    for r in &stack.resources {
        // The ARN where each lives: regional names may repeat across Regions, a role's only
        // across accounts, a bucket's nowhere.
        let arn = r.spec.arn(&stack.env_at(&r.location));
        if let Some(first) = seen.get(&(r.address.kind, arn.clone())) {
            let elsewhere = stack.get(first).is_some_and(|f| f.location != r.location);
            let noun = r.address.kind.noun();
            let help = match r.address.kind.info().names {
                Names::Account if elsewhere => format!(
                    "a {noun} name is one in its account, whatever the Region: one declared in two Regions needs a name per Region (${{aws.region}} in it)"
                ),
                Names::Global if elsewhere => format!(
                    "a {noun} name is global across every account and Region: give each its own (${{aws.region}} in it)"
                ),
                _ => "give each its own name: in a module or a for_each, use ${each.key} or a variable in the name".into(),
            };
            out.push(
                Diagnostic::error(
                    Rule::N7,
                    Position::resource(&r.address).at("name"),
                    format!("{} and {first} are both named {:?}", r.address, r.spec.physical_name()),
                )
                .with_help(help),
            );
        } else {
            seen.insert((r.address.kind, arn), &r.address);
        }
    }
}

/// Rule G4: what a resource references lives where AWS lets it reach it (each kind's
/// [`crate::model::kinds::Reach`]): in its own account always, and in its own Region unless
/// its kind is reached from every Region of the account.
fn check_references_across_locations(stack: &Stack, out: &mut Vec<Diagnostic>) {
    for r in &stack.resources {
        for target in r.depends_on.iter().filter_map(|d| stack.get(d)) {
            let (from, to) = (&r.location, &target.location);
            let problem = if from.account != to.account {
                Some(format!(
                    "{} is in account {} and {} in account {}",
                    r.address, from.account, target.address, to.account
                ))
            } else if from.region != to.region && target.address.kind.info().reached_from == Reach::Region {
                Some(format!("{} is in {} and {} in {}", r.address, from.region, target.address, to.region))
            } else {
                None
            };
            if let Some(problem) = problem {
                out.push(
                    Diagnostic::error(Rule::G4, &r.address, format!("{problem}: AWS does not reach across")).with_help(
                        format!("declare {} where {} is (the same region and assume_role)", target.address, r.address),
                    ),
                );
            }
        }
    }
}

fn check_stack_name(name: &str, out: &mut Vec<Diagnostic>) {
    if name.is_empty() || name.len() > 64 || !crate::model::kinds::matches_charset(name, "-_") {
        out.push(
            Diagnostic::error(Rule::Stack, Position::stack("name"), format!("invalid stack name {name:?}"))
                .with_help("1 to 64 of a-z A-Z 0-9 - _"),
        );
    }
}

/// I7: a resource referenced as existing (never owned) must not be one the stack declares (and
/// so owns): which of the two is meant cannot be guessed.
fn check_existing_not_declared(stack: &Stack, out: &mut Vec<Diagnostic>) {
    for e in &stack.existing {
        if let Some(declared) = stack.resources.iter().find(|r| r.address.kind == e.kind && r.physical_name() == e.name)
        {
            out.push(
                Diagnostic::error(
                    Rule::I7,
                    &e.key,
                    format!(
                        "the existing {} {:?} is also declared by {}, which this stack owns",
                        e.kind.noun(),
                        e.name,
                        declared.address
                    ),
                )
                .with_help(format!(
                    "reference it by its address (\"{}\"), or remove its declaration",
                    declared.address
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_resource_must_not_be_one_the_stack_declares() {
        let mut stack = crate::testing::stack(crate::testing::DEFAULT_STACK);
        let home = stack.home();
        let existing = |name: &str| Existing {
            kind: Kind::Bucket,
            name: name.into(),
            key: Position::resource(&Address::new(Kind::Firehose, "events")).at("bucket"),
            location: home.clone(),
        };
        stack.existing = vec![existing("data-lake")];
        let mut out = Vec::new();
        check_existing_not_declared(&stack, &mut out);
        assert!(out.is_empty(), "{out:?}");
        stack.existing = vec![existing(crate::testing::BUCKET)];
        check_existing_not_declared(&stack, &mut out);
        assert_eq!(out.iter().map(|d| d.rule.as_str()).collect::<Vec<_>>(), ["I7"]);
        assert!(out[0].message.contains("also declared by bucket.data"), "{}", out[0].message);
    }
}
