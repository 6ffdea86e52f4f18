use super::common::Context;
use crate::model::{function_arn_for_use, Spec};
use crate::{errln, outln};
use serde_json::json;
use std::process::ExitCode;

/// `provision output`: names and ARNs of the stack's live resources. Needs no Lambda code.
pub(super) async fn run(ctx: &Context, json: bool) -> anyhow::Result<ExitCode> {
    let loaded = ctx.load(false, true).await?;
    let live = ctx.read_live(&loaded).await?;
    let stack = &loaded.stack;
    let mut rows = Vec::new();
    for r in &stack.resources {
        if let Some(Some(l)) = live.by_address.get(&r.address) {
            if l.owner() != Some(stack.name.as_str()) {
                continue;
            }
            let arn = match &l.spec {
                Spec::Lambda(f) => {
                    function_arn_for_use(&l.arn, true, f.version.as_deref()).unwrap_or_else(|| l.arn.clone())
                }
                _ => l.arn.clone(),
            };
            rows.push((r.address.to_string(), r.physical_name().to_string(), arn));
        }
    }
    ctx.report_calls(&loaded);
    if json {
        let doc: serde_json::Map<String, serde_json::Value> =
            rows.iter().map(|(a, n, arn)| (a.clone(), json!({ "name": n, "arn": arn }))).collect();
        outln!("{}", serde_json::to_string_pretty(&doc)?);
    } else if rows.is_empty() {
        errln!(
            "Nothing of stack \"{}\" is deployed in account {} ({}): run `provision apply` first.",
            stack.name,
            stack.env.account_id,
            stack.env.region
        );
    } else {
        for (address, name, arn) in rows {
            outln!("{address} = {name}\n    {arn}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
