use super::apply::{execute, finish};
use super::common::{confirm, Context, Loaded};
use crate::plan::{self, Action};
use crate::{outln, render};
use anyhow::anyhow;
use std::process::ExitCode;

/// `provision destroy`: delete what the stack owns, dependents first. Needs no Lambda code.
pub(super) async fn run(ctx: &Context, auto_approve: bool) -> anyhow::Result<ExitCode> {
    let loaded = ctx.load(false, true).await?;
    let code = ctx.locked(&loaded, "destroy", destroy_stack(ctx, &loaded, auto_approve)).await;
    ctx.report_calls(&loaded);
    code
}

async fn destroy_stack(ctx: &Context, loaded: &Loaded, auto_approve: bool) -> anyhow::Result<ExitCode> {
    let live = ctx.read_live(loaded).await?;
    let plan = plan::build_destroy(&loaded.stack, &live);
    crate::output::out(&render::plan::render(&plan, ctx.style));
    // Conflicts are only reported here: destroy leaves what it does not own alone.
    let mut owned_only = plan.clone();
    owned_only.changes.retain(|c| c.action != Action::Conflict);
    plan::check_safe(&owned_only).map_err(|e| anyhow!(e))?;
    // Buckets that hold data are refused before anything is deleted.
    crate::destroy::refuse_data_loss(&owned_only, loaded.provider.as_ref()).await?;
    if !owned_only.has_changes() {
        return Ok(ExitCode::SUCCESS);
    }
    if !auto_approve {
        confirm("Do you really want to destroy all resources of this stack?", "destroy")?;
    }
    outln!();
    let report = execute(ctx, &owned_only, loaded, &live).await;
    Ok(finish(&owned_only, &report, "Destroy"))
}
