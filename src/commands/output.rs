use super::common::Context;
use crate::model::Spec;
use serde_json::json;
use std::process::ExitCode;

/// `provision output`: names and ARNs of the stack's live resources.
pub async fn run(ctx: &Context, json: bool) -> anyhow::Result<ExitCode> {
    let (stack, clients) = ctx.load().await?;
    let live = ctx.read_live(&stack, &clients).await?;
    let mut rows = Vec::new();
    for r in &stack.resources {
        if let Some(Some(l)) = live.by_address.get(&r.address) {
            if l.owner() != Some(stack.name.as_str()) {
                continue;
            }
            let arn = match &l.spec {
                Spec::Lambda(f) => match f.version.as_deref() {
                    Some(v) if v != crate::aws::UNPUBLISHED => format!("{}:{v}", l.arn),
                    _ => l.arn.clone(),
                },
                _ => l.arn.clone(),
            };
            rows.push((r.address.to_string(), r.physical_name().to_string(), arn));
        }
    }
    if json {
        let doc: serde_json::Map<String, serde_json::Value> =
            rows.iter().map(|(a, n, arn)| (a.clone(), json!({ "name": n, "arn": arn }))).collect();
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        for (address, name, arn) in rows {
            println!("{address} = {name}\n    {arn}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
