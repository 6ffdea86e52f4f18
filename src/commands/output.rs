use super::common::Invocation;
use crate::output::escape;
use crate::{errln, outln};
use anyhow::bail;
use serde_json::json;
use std::process::ExitCode;

/// One deployed resource: address, physical name, the ARN dependents use.
struct Row {
    address: crate::model::Address,
    name: String,
    arn: String,
}

/// `provision output [NAME] [--json|--raw]`: names and ARNs of the stack's live resources.
/// Needs no Lambda code.
pub(super) async fn run(
    ctx: &Invocation,
    name: Option<&crate::model::address::OutputName>,
    json: bool,
    raw: bool,
) -> anyhow::Result<ExitCode> {
    let mut session = ctx.load(false, true).await?;
    let live = ctx.read_live(&mut session).await?;
    let stack = &session.stack;
    let mut rows = Vec::new();
    for r in &stack.resources {
        if let Some(Some(l)) = live.by_address.get(&r.address) {
            if l.owner() != Some(stack.name.as_str()) {
                continue;
            }
            let arn = l.spec.with_local_settings(&r.spec).arn_for_use(&l.arn);
            rows.push(Row { address: r.address.clone(), name: r.physical_name().to_string(), arn });
        }
    }
    ctx.report_calls(&session);
    if let Some(wanted) = name {
        use crate::model::address::OutputName;
        let (address, name_wanted) = match wanted {
            // A module instance (or every instance of a module): its resources' rows.
            OutputName::Module(selector) => {
                let picked: Vec<&Row> = rows.iter().filter(|r| selector.matches(&r.address)).collect();
                if picked.is_empty() {
                    bail!("nothing of {selector} is deployed");
                }
                if json {
                    let doc: serde_json::Map<String, serde_json::Value> = picked
                        .iter()
                        .map(|r| (r.address.to_string(), json!({ "name": r.name, "arn": r.arn })))
                        .collect();
                    outln!("{}", crate::output::json(&doc, true)?);
                } else {
                    for r in picked {
                        outln!("{} = {}\n    {}", r.address, escape(&r.name), escape(&r.arn));
                    }
                }
                return Ok(ExitCode::SUCCESS);
            }
            OutputName::Resource { address, name } => (address, *name),
        };
        let Some(row) = rows.iter().find(|r| &r.address == address) else {
            if stack.get(address).is_some() {
                bail!("{address} is not deployed: run `provision apply` first");
            }
            let listed: Vec<String> = stack.resources.iter().map(|r| r.address.to_string()).collect();
            bail!("{address} is not a resource of this stack; resources: {}", listed.join(", "));
        };
        let field = if name_wanted { "name" } else { "arn" };
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
            rows.iter().map(|r| (r.address.to_string(), json!({ "name": r.name, "arn": r.arn }))).collect();
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
