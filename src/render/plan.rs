//! Plan -> Terraform-style text. Multi-line values (policies, processors) are shown as unified diffs.

use super::Style;
use crate::model::{Attr, UNKNOWN};
use crate::plan::diff::AttrChange;
use crate::plan::{Action, Change, Plan};
use serde_json::Value;
use std::fmt::Write;

/// What a plan without changes says.
const NO_CHANGES: &str = "No changes. Live resources match the stack.\n";

/// The changes a plan shows (all but the no-ops); `None` when there are none.
fn visible(plan: &Plan) -> Option<Vec<&Change>> {
    let visible: Vec<&Change> = plan.changes.iter().filter(|c| c.action != Action::NoOp).collect();
    (!visible.is_empty()).then_some(visible)
}

/// The plan as text, ending with the summary line.
pub fn render(plan: &Plan, style: Style) -> String {
    let Some(visible) = visible(plan) else { return NO_CHANGES.to_string() };
    let mut out = String::new();
    // A stack in several locations: the changes under a header per location, in the order
    // the plan first names each.
    let mut locations: Vec<&crate::model::Location> = Vec::new();
    for c in &visible {
        if !locations.contains(&&c.location) {
            locations.push(&c.location);
        }
    }
    for location in &locations {
        if locations.len() > 1 {
            let _ = writeln!(out, "{} {location}\n", style.bold("==>"));
        }
        for change in visible.iter().filter(|c| &&c.location == location) {
            render_change(&mut out, change, style);
            out.push('\n');
        }
    }
    out.push_str(&summary_line(plan, style));
    out
}

/// The plan in one line per change, under a heading per module instance (the stack file's own
/// resources first) with its counts: `+ firehose.events (PUT-S3-acme)`, an update naming the
/// attributes it changes, a conflict its reason; no values. Ends with the summary line.
pub fn compact(plan: &Plan, style: Style) -> String {
    let Some(visible) = visible(plan) else { return NO_CHANGES.to_string() };
    let mut out = String::new();
    let several_locations = visible.iter().any(|c| c.location != visible[0].location);
    let mut groups: Vec<(String, &crate::model::Location, Vec<&Change>)> = Vec::new();
    for c in &visible {
        let module = c.address.module_display();
        match groups.iter_mut().find(|(m, l, _)| *m == module && *l == &c.location) {
            Some((_, _, changes)) => changes.push(c),
            None => groups.push((module, &c.location, vec![c])),
        }
    }
    groups.sort_by_key(|(m, _, _)| !m.is_empty());
    for (module, location, changes) in groups {
        let count = |actions: &[Action]| changes.iter().filter(|c| actions.contains(&c.action)).count();
        let counts: Vec<String> = [
            (count(&[Action::Create, Action::Replace]), "to add"),
            (count(&[Action::Update]), "to change"),
            (count(&[Action::Delete, Action::Replace]), "to destroy"),
            (count(&[Action::Conflict]), "conflict(s)"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        let heading = if module.is_empty() { "(the stack file)".to_string() } else { module.clone() };
        let place = if several_locations { format!(", {location}") } else { String::new() };
        let _ = writeln!(out, "{}{place}: {}", style.bold(&heading), counts.join(", "));
        for c in changes {
            let own = crate::model::Address { module: Vec::new(), ..c.address.clone() };
            let symbol = match c.action {
                Action::Create => style.green("+"),
                Action::Update => style.yellow("~"),
                Action::Replace => style.red("-/+"),
                Action::Delete => style.red("-"),
                Action::Conflict => style.red("!"),
                Action::NoOp => continue,
            };
            let detail = match c.action {
                Action::Update | Action::Replace => {
                    let keys: Vec<String> = c
                        .attributes
                        .iter()
                        .map(|a| {
                            let key = crate::output::escape_line(&a.key);
                            if a.forces_replacement {
                                format!("{key} (forces replacement)")
                            } else {
                                key
                            }
                        })
                        .collect();
                    if keys.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", keys.join(", "))
                    }
                }
                Action::Conflict => {
                    format!(": {}", c.reasons.first().map(|r| line(&r.to_string())).unwrap_or_default())
                }
                _ => String::new(),
            };
            let _ = writeln!(out, "  {symbol:>3} {own} ({}){detail}", line(&c.physical_name));
        }
    }
    out.push('\n');
    out.push_str(&summary_line(plan, style));
    out
}

/// `Err` when a saved plan's stored text is not the text of its body (a file edited to show one
/// plan and hold another): `apply FILE` refuses it.
pub fn saved_text_matches(saved: &crate::plan::saved::SavedPlan) -> anyhow::Result<()> {
    if render(&saved.body()?, Style { color: false }) != saved.text {
        anyhow::bail!("its text does not say what its body does (the file was edited): make the plan again");
    }
    Ok(())
}

/// `Plan: N to add, M to change, K to destroy.` (plus conflicts when there are any).
pub fn summary_line(plan: &Plan, style: Style) -> String {
    let s = plan.summary;
    let mut line =
        format!("{}: {} to add, {} to change, {} to destroy.", style.bold("Plan"), s.add, s.change, s.destroy);
    if s.conflict > 0 {
        let _ = write!(line, " {} conflict(s) left alone.", s.conflict);
    }
    line.push('\n');
    line
}

fn render_change(out: &mut String, c: &Change, style: Style) {
    let (symbol, headline) = match c.action {
        Action::Create => (style.green("+"), "will be created".to_string()),
        Action::Update => (style.yellow("~"), "will be updated in-place".to_string()),
        Action::Replace => (style.red("-/+"), "must be replaced".to_string()),
        Action::Delete => (style.red("-"), "will be destroyed".to_string()),
        Action::Conflict => (style.red("!"), c.reasons.first().map(|r| line(&r.to_string())).unwrap_or_default()),
        Action::NoOp => return,
    };
    // Names, reasons and remedies hold text read from AWS or a saved plan: one line each.
    let name = line(&c.physical_name);
    let _ = writeln!(out, "  {} {} {headline}", style.dim("#"), style.bold(&c.address.to_string()));
    if c.action == Action::Conflict {
        let remedy = c.remedy.as_deref().map(|r| format!("; {}", line(r))).unwrap_or_default();
        let _ = writeln!(out, "{symbol:>3} {} ({name}): left alone{remedy}", c.address);
        return;
    }
    let _ = writeln!(out, "{symbol:>3} {} ({name})", c.address);
    for reason in &c.reasons {
        let _ = writeln!(out, "      {} {}", style.dim("#"), line(&reason.to_string()));
    }
    let width = c.attributes.iter().map(|a| a.key.len()).max().unwrap_or(0);
    for a in &c.attributes {
        render_attribute(out, a, width, style);
    }
}

fn render_attribute(out: &mut String, a: &AttrChange, width: usize, style: Style) {
    let forces = if a.forces_replacement { format!(" {}", style.red("# forces replacement")) } else { String::new() };
    // Keys and values may come from AWS (a Glue table's parameters, a function's environment):
    // escaped, keys on one line.
    let key = &crate::output::escape_line(&a.key);
    let show = |a: &Attr| crate::output::escape(&show(a));
    match (&a.before, &a.after) {
        (None, Some(after)) => {
            let _ = writeln!(out, "      {} {key:width$} = {}", style.green("+"), indent(&show(after), 8));
        }
        (Some(before), None) => {
            let _ = writeln!(out, "      {} {key:width$} = {}{forces}", style.red("-"), indent(&show(before), 8));
        }
        (Some(before), Some(after)) if is_multiline(before) || is_multiline(after) => {
            let _ = writeln!(out, "      {} {key}{forces}", style.yellow("~"));
            let old = show(before);
            let new = show(after);
            let diff = similar::TextDiff::from_lines(&old, &new);
            for line in
                diff.unified_diff().context_radius(3).iter_hunks().flat_map(|h| h.iter_changes().collect::<Vec<_>>())
            {
                let text = line.value().trim_end_matches('\n');
                let formatted = match line.tag() {
                    similar::ChangeTag::Delete => style.red(&format!("- {text}")),
                    similar::ChangeTag::Insert => style.green(&format!("+ {text}")),
                    similar::ChangeTag::Equal => format!("  {text}"),
                };
                let _ = writeln!(out, "          {formatted}");
            }
        }
        (Some(before), Some(after)) => {
            let _ =
                writeln!(out, "      {} {key:width$} = {} -> {}{forces}", style.yellow("~"), show(before), show(after));
        }
        (None, None) => {}
    }
}

fn is_multiline(a: &Attr) -> bool {
    matches!(a, Attr::Value(Value::Object(_)) | Attr::Value(Value::Array(_))) && show(a).contains('\n')
}

/// A value as shown in a plan: JSON scalars inline, objects and arrays pretty-printed.
fn show(a: &Attr) -> String {
    match a {
        Attr::Unknown => UNKNOWN.to_string(),
        Attr::Sensitive => crate::output::SENSITIVE.to_string(),
        Attr::Value(Value::String(s)) if s == UNKNOWN => UNKNOWN.to_string(),
        Attr::Value(Value::Array(items)) if items.is_empty() => "[]".into(),
        Attr::Value(Value::Array(items))
            if items.iter().all(|i| !i.is_object() && !i.is_array()) && items.len() <= 3 =>
        {
            serde_json::to_string(items).unwrap_or_default()
        }
        Attr::Value(v @ (Value::Object(_) | Value::Array(_))) => serde_json::to_string_pretty(v).unwrap_or_default(),
        Attr::Value(v) => v.to_string(),
    }
}

fn line(text: &str) -> String {
    crate::output::escape_line(text)
}

fn indent(text: &str, by: usize) -> String {
    text.replace('\n', &format!("\n{:by$}", ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_values_read_from_aws_are_printed_escaped() {
        let change = AttrChange {
            key: "parameters.owner\u{202e}\ntable.x = forged".into(),
            before: Some(Attr::Value(serde_json::json!("a\u{1b}[2J\u{85}b"))),
            after: Some(Attr::Value(serde_json::json!("c\u{2066}d"))),
            forces_replacement: false,
        };
        let mut out = String::new();
        render_attribute(&mut out, &change, 10, Style { color: false });
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(!out.contains(['\u{202e}', '\u{1b}', '\u{85}', '\u{2066}']), "{out:?}");
        assert!(out.contains("parameters.owner\\u{202e}\\x0atable.x = forged"), "{out}");
    }
}
