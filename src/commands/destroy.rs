use super::apply::{execute, finish};
use super::common::{confirm, Context, Loaded};
use crate::model::Spec;
use crate::plan::{self, Action};
use crate::{outln, render};
use anyhow::{anyhow, bail};
use std::process::ExitCode;

/// `provision destroy`: delete what the stack owns, dependents first. Needs no Lambda code.
pub async fn run(ctx: &Context, auto_approve: bool) -> anyhow::Result<ExitCode> {
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
    // Buckets that hold data are refused before anything is deleted (counted side by side).
    let buckets =
        owned_only.changes.iter().filter(|c| !c.force_destroy).filter_map(|c| match c.live.as_ref().map(|l| &l.spec) {
            Some(Spec::Bucket(b)) => Some((c, b)),
            _ => None,
        });
    let counts = futures::future::join_all(
        buckets.map(|(c, b)| async move { loaded.provider.object_count(&b.name).await.map(|n| (c, b, n)) }),
    )
    .await;
    for count in counts {
        let (c, b, n) = count?;
        if n > 0 {
            bail!(
                "{} ({}) holds {n} object version(s); nothing was deleted. Set force_destroy = true on it to empty it first, or empty it yourself",
                c.address,
                b.name
            );
        }
    }
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
