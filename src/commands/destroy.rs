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
    ctx.report_calls();
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
    for c in &owned_only.changes {
        if let Some(live) = &c.live {
            if let Spec::Bucket(b) = &live.spec {
                let count = loaded.provider.object_count(&b.name).await?;
                if count > 0 && !c.force_destroy {
                    bail!(
                        "{} ({}) holds {count} object version(s); nothing was deleted. Set force_destroy = true on it to empty it first, or empty it yourself",
                        c.address,
                        b.name
                    );
                }
            }
        }
    }
    if !owned_only.has_changes() {
        return Ok(ExitCode::SUCCESS);
    }
    if !auto_approve && !confirm("Do you really want to destroy all resources of this stack?") {
        bail!("destroy cancelled");
    }
    outln!();
    let report = execute(ctx, &owned_only, &loaded.provider).await;
    if report.complete() && !live.intents.is_empty() {
        if let Some(settings) = &loaded.stack.lock {
            loaded.provider.write_intents(settings, &loaded.stack.name, &[]).await?;
        }
    }
    Ok(finish(&owned_only, &report, "Destroy"))
}
