//! A plan as a Graphviz DOT graph: one node per resource (its action in the label), one edge
//! per dependency the executor walks (`Change::after`), from the change to what it waits for.
//! The resources of each module instance are drawn in a cluster of their own.

use crate::plan::{Action, Plan};
use std::fmt::Write;

/// Quotes a DOT identifier or label: `"` and `\` escaped, control characters shown.
fn quoted(text: &str) -> String {
    let escaped = crate::output::escape(text).replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    format!("\"{escaped}\"")
}

/// The symbol of an action, as the plan text shows it.
fn symbol(action: Action) -> &'static str {
    match action {
        Action::Create => "+ create",
        Action::Update => "~ update",
        Action::Replace => "-/+ replace",
        Action::Delete => "- destroy",
        Action::NoOp => "no changes",
        Action::Conflict => "! left alone",
    }
}

/// The plan as DOT.
///
/// ```
/// # use provision::plan::{Plan, Summary};
/// let plan = Plan { stack: "s".into(), changes: vec![], summary: Summary::default(), known_outputs: Default::default() };
/// assert!(provision::render::graph::dot(&plan).starts_with("digraph \"s\" {"));
/// ```
pub fn dot(plan: &Plan) -> String {
    let mut out = format!("digraph {} {{\n  rankdir = \"RL\";\n  node [shape = box];\n", quoted(&plan.stack));
    // Nodes by module instance (stack.toml's first, outside any cluster).
    let mut by_module: std::collections::BTreeMap<String, Vec<&crate::plan::Change>> = Default::default();
    for c in &plan.changes {
        by_module.entry(c.address.module_display()).or_default().push(c);
    }
    for (i, (module, changes)) in by_module.iter().enumerate() {
        let indent = if module.is_empty() { "  " } else { "    " };
        if !module.is_empty() {
            let _ = writeln!(out, "  subgraph {} {{\n    label = {};", quoted(&format!("cluster_{i}")), quoted(module));
        }
        for c in changes {
            let label = format!("{}\n{}\n{}", c.address, c.physical_name, symbol(c.action));
            let _ = writeln!(out, "{indent}{} [label = {}];", quoted(&c.address.to_string()), quoted(&label));
        }
        if !module.is_empty() {
            out.push_str("  }\n");
        }
    }
    for c in &plan.changes {
        for dependency in &c.after {
            let _ = writeln!(out, "  {} -> {};", quoted(&c.address.to_string()), quoted(&dependency.to_string()));
        }
    }
    out.push_str("}\n");
    out
}
