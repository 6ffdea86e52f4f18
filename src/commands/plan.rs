use super::common::Context;
use crate::plan;
use crate::plan::saved::SavedPlan;
use crate::render;
use anyhow::{anyhow, Context as _};
use std::path::Path;
use std::process::ExitCode;

/// `provision plan`: read, diff, print. Never writes to AWS.
pub async fn run(ctx: &Context, detailed_exitcode: bool, json: bool, out: Option<&Path>) -> anyhow::Result<ExitCode> {
    let (stack, clients) = ctx.load().await?;
    let live = ctx.read_live(&stack, &clients).await?;
    let plan = plan::build(&stack, &live).map_err(|e| anyhow!(e))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&plan)?);
    } else {
        print!("{}", render::plan::render(&plan, ctx.style));
    }
    if let Some(path) = out {
        let saved = SavedPlan::new(&stack, &live, &plan)?;
        std::fs::write(path, serde_json::to_string_pretty(&saved)?)
            .with_context(|| format!("writing the plan to {}", path.display()))?;
        ctx.note(&format!(
            "\nSaved the plan to {}. Apply exactly it with `provision apply {}`.",
            path.display(),
            path.display()
        ));
    }
    Ok(if detailed_exitcode && plan.has_changes() { ExitCode::from(2) } else { ExitCode::SUCCESS })
}
