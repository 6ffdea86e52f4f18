use super::common::Context;
use crate::plan;
use crate::render;
use anyhow::anyhow;
use std::process::ExitCode;

/// `provision plan`: read, diff, print. Never writes to AWS.
pub async fn run(ctx: &Context, detailed_exitcode: bool, json: bool) -> anyhow::Result<ExitCode> {
    let (stack, clients) = ctx.load().await?;
    let live = ctx.read_live(&stack, &clients).await?;
    let plan = plan::build(&stack, &live).map_err(|e| anyhow!(e))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&plan)?);
    } else {
        print!("{}", render::plan::render(&plan, ctx.style));
    }
    Ok(if detailed_exitcode && plan.has_changes() { ExitCode::from(2) } else { ExitCode::SUCCESS })
}
