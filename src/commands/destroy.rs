use super::apply::{execute, finish, refuse_unsafe};
use super::common::{confirm, Context};
use crate::aws::Clients;
use crate::model::{Spec, Stack};
use crate::plan::{self, Action};
use crate::render;
use anyhow::bail;
use std::process::ExitCode;

/// `provision destroy`: delete what the stack owns, dependents first.
pub async fn run(ctx: &Context, auto_approve: bool) -> anyhow::Result<ExitCode> {
    let (stack, clients) = ctx.load().await?;
    ctx.locked(&stack, &clients, "destroy", destroy_stack(ctx, &stack, &clients, auto_approve)).await
}

async fn destroy_stack(
    ctx: &Context,
    stack: &Stack,
    clients: &Clients,
    auto_approve: bool,
) -> anyhow::Result<ExitCode> {
    let live = ctx.read_live(stack, clients).await?;
    let plan = plan::build_destroy(stack, &live);
    print!("{}", render::plan::render(&plan, ctx.style));
    // Conflicts are only reported here: destroy leaves what it does not own alone.
    let mut owned_only = plan.clone();
    owned_only.changes.retain(|c| c.action != Action::Conflict);
    refuse_unsafe(&owned_only)?;
    for c in &owned_only.changes {
        if let Some(live) = &c.live {
            if let Spec::Bucket(b) = &live.spec {
                let count = clients.bucket_object_count(&b.name).await?;
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
    println!();
    let report = execute(ctx, &owned_only, clients).await;
    Ok(finish(&owned_only, &report, "Destroy"))
}
