use super::common::Context;
use crate::output::escape;
use crate::{errln, outln};
use anyhow::bail;
use serde_json::json;
use std::process::ExitCode;

/// One deployed resource: address, physical name, the ARN dependents use.
struct Row {
    address: String,
    name: String,
    arn: String,
}

/// `provision output [NAME] [--json|--raw]`: names and ARNs of the stack's live resources.
/// Needs no Lambda code.
pub(super) async fn run(ctx: &Context, name: Option<&str>, json: bool, raw: bool) -> anyhow::Result<ExitCode> {
    let mut loaded = ctx.load(false, true).await?;
    let live = ctx.read_live(&mut loaded).await?;
    let stack = &loaded.stack;
    let mut rows = Vec::new();
    for r in &stack.resources {
        if let Some(Some(l)) = live.by_address.get(&r.address) {
            if l.owner() != Some(stack.name.as_str()) {
                continue;
            }
            let arn = l.spec.with_local_settings(&r.spec).arn_for_use(&l.arn);
            rows.push(Row { address: r.address.to_string(), name: r.physical_name().to_string(), arn });
        }
    }
    ctx.report_calls(&loaded);
    if let Some(wanted) = name {
        // `ADDRESS` (its ARN) or `ADDRESS.name` / `ADDRESS.arn`.
        let (address, field) = match wanted.rsplit_once('.') {
            Some((a, f @ ("name" | "arn"))) if a.contains('.') => (a, f),
            _ => (wanted, "arn"),
        };
        // A module instance (or every instance of a module): its resources' rows.
        let selector = crate::model::address::Selector::parse(address).filter(|s| s.resource.is_none());
        if let Some(selector) = selector {
            let picked: Vec<&Row> = rows
                .iter()
                .filter(|r| crate::model::Address::parse(&r.address).is_some_and(|a| selector.matches(&a)))
                .collect();
            if picked.is_empty() {
                bail!("nothing of {} is deployed", escape(address));
            }
            if json {
                let doc: serde_json::Map<String, serde_json::Value> =
                    picked.iter().map(|r| (r.address.clone(), json!({ "name": r.name, "arn": r.arn }))).collect();
                outln!("{}", crate::output::json(&doc, true)?);
            } else {
                for r in picked {
                    outln!("{} = {}\n    {}", r.address, escape(&r.name), escape(&r.arn));
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        // As printed: `module.tenant["acme"]` is `module.tenant[acme]`.
        let address = crate::model::Address::parse(address).map(|a| a.to_string()).unwrap_or(address.to_string());
        let address = address.as_str();
        let Some(row) = rows.iter().find(|r| r.address == address) else {
            let declared = stack.resources.iter().any(|r| r.address.to_string() == address);
            if declared {
                bail!("{} is not deployed: run `provision apply` first", escape(address));
            }
            let listed: Vec<String> = stack.resources.iter().map(|r| r.address.to_string()).collect();
            bail!("{} is not a resource of this stack; resources: {}", escape(address), listed.join(", "));
        };
        let value = if field == "name" { &row.name } else { &row.arn };
        if json {
            outln!("{}", crate::output::json(&json!({ "name": row.name, "arn": row.arn }), true)?);
        } else if raw {
            crate::output::out(&escape(value));
        } else {
            outln!("{}", crate::output::json(value, false)?);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if json {
        let doc: serde_json::Map<String, serde_json::Value> =
            rows.iter().map(|r| (r.address.clone(), json!({ "name": r.name, "arn": r.arn }))).collect();
        outln!("{}", crate::output::json(&doc, true)?);
    } else if rows.is_empty() {
        errln!(
            "Nothing of stack \"{}\" is deployed in account {} ({}): run `provision apply` first.",
            stack.name,
            stack.env.account_id,
            stack.env.region
        );
    } else {
        for r in rows {
            outln!("{} = {}\n    {}", r.address, escape(&r.name), escape(&r.arn));
        }
    }
    Ok(ExitCode::SUCCESS)
}
