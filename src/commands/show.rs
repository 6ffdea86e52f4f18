use super::common::Invocation;
use crate::model::Attr;
use crate::outln;
use crate::output::escape;
use crate::plan::saved::SavedPlan;
use anyhow::Context as _;
use serde_json::json;
use std::path::Path;
use std::process::ExitCode;

/// `provision show [PLANFILE] [--json]`: a saved plan as `plan` printed it, or as JSON; without
/// a file, the stack's live resources and their attributes. Never writes to AWS.
pub(super) async fn run(ctx: &Invocation, planfile: Option<&Path>, json: bool) -> anyhow::Result<ExitCode> {
    if let Some(path) = planfile {
        let saved = SavedPlan::read(path)?;
        if json {
            outln!("{}", crate::output::json(&saved.plan, true)?);
        } else {
            // Rendered from the body, what `apply FILE` compares and applies: the stored text is
            // never shown (a file could say "No changes." and hold a destroy).
            let plan = saved.body().with_context(|| escape(&path.display().to_string()))?;
            crate::output::out(&crate::render::plan::render(&plan, ctx.style));
            if crate::render::plan::saved_text_matches(&saved).is_err() {
                crate::errln!(
                    "warning: the file's stored text does not say what its body does: `apply` will refuse it"
                );
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut session = ctx.load(false, true).await?;
    let live = ctx.read_live(&mut session).await?;
    let stack = &session.stack;
    let shown = |attributes: crate::model::Attributes| -> serde_json::Map<String, serde_json::Value> {
        attributes
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    Attr::Value(v) if stack.sensitive.iter().any(|s| v.to_string().contains(s.as_str())) => {
                        json!(crate::output::SENSITIVE)
                    }
                    Attr::Value(v) => v,
                    other => serde_json::to_value(other).unwrap_or_default(),
                };
                (k, v)
            })
            .collect()
    };
    let mut resources = serde_json::Map::new();
    for r in &stack.resources {
        if let Some(Some(l)) = live.by_address.get(&r.address) {
            let owned = l.owner() == Some(stack.name.as_str());
            resources.insert(
                r.address.to_string(),
                json!({ "name": l.spec.physical_name(), "arn": l.arn, "owned": owned, "attributes": shown(l.spec.attributes()) }),
            );
        }
    }
    for (address, l) in &live.orphans {
        resources.insert(
            address.to_string(),
            json!({ "name": l.spec.physical_name(), "arn": l.arn, "owned": true, "declared": false, "attributes": shown(l.spec.attributes()) }),
        );
    }
    ctx.report_calls(&session);
    if json {
        outln!("{}", crate::output::json(&resources, true)?);
        return Ok(ExitCode::SUCCESS);
    }
    if resources.is_empty() {
        outln!(
            "Nothing of stack \"{}\" exists in account {} ({}).",
            stack.name,
            stack.env.account_id,
            stack.env.region
        );
    }
    for (address, r) in &resources {
        let mut note = String::new();
        if r["owned"] == json!(false) {
            note.push_str("  (not owned by this stack)");
        }
        if r["declared"] == json!(false) {
            note.push_str("  (no longer in stack.toml: the next apply deletes it)");
        }
        outln!("# {address}{note}");
        outln!("  {} = {}", "arn", escape(r["arn"].as_str().unwrap_or_default()));
        let attributes = r["attributes"].as_object().cloned().unwrap_or_default();
        let width = attributes.keys().map(|k| k.len()).max().unwrap_or(0);
        for (k, v) in attributes {
            let k = crate::output::escape_line(&k);
            let text = match v {
                serde_json::Value::String(s) => format!("{s:?}"),
                other => other.to_string(),
            };
            outln!("  {k:width$} = {}", escape(&text));
        }
        outln!();
    }
    Ok(ExitCode::SUCCESS)
}
