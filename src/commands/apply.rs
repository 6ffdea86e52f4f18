use super::common::{confirm, Context};
use crate::apply::{self, Report};
use crate::plan::saved::SavedPlan;
use crate::plan::{self, Action, Plan};
use crate::render;
use anyhow::{anyhow, bail, Context as _};
use std::path::Path;
use std::process::ExitCode;

/// `provision apply`: plan, confirm, execute, report.
pub async fn run(ctx: &Context, planfile: Option<&Path>, auto_approve: bool) -> anyhow::Result<ExitCode> {
    let saved: Option<SavedPlan> = match planfile {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            Some(serde_json::from_str(&text).with_context(|| format!("{} is not a saved plan", path.display()))?)
        }
        None => None,
    };
    let (stack, clients) = ctx.load().await?;
    ctx.locked(&stack, &clients, "apply", apply_stack(ctx, &stack, &clients, saved, auto_approve)).await
}

async fn apply_stack(
    ctx: &Context,
    stack: &crate::model::Stack,
    clients: &crate::aws::Clients,
    saved: Option<SavedPlan>,
    auto_approve: bool,
) -> anyhow::Result<ExitCode> {
    let live = ctx.read_live(stack, clients).await?;
    if let Some(reason) = saved.as_ref().and_then(|s| s.staleness(stack, &live)) {
        bail!("the saved plan is stale: {reason}; nothing was changed. Run `provision plan --out FILE` again");
    }
    let plan = plan::build(stack, &live).map_err(|e| anyhow!(e))?;
    print!("{}", render::plan::render(&plan, ctx.style));
    refuse_unsafe(&plan)?;
    if !plan.has_changes() {
        return Ok(ExitCode::SUCCESS);
    }
    // A saved plan was reviewed when it was made: apply it as is.
    if saved.is_none() && !auto_approve && !confirm("Do you want to perform these actions?") {
        bail!("apply cancelled");
    }
    println!();
    let report = execute(ctx, &plan, clients).await;
    Ok(finish(&plan, &report, "Apply"))
}

/// Executes a plan, printing progress; the first Ctrl-C stops new changes, a second one quits at once.
pub async fn execute(ctx: &Context, plan: &Plan, clients: &crate::aws::Clients) -> Report {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let listener = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\nInterrupt received: no new changes will start; waiting for those in flight (Ctrl-C again to quit now).");
            let _ = stop.send(true);
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("Second interrupt: quitting. Run apply again to converge.");
                std::process::exit(130);
            }
        }
    });
    let report = apply::execute(plan, clients, ctx.parallelism, stopped, |e| {
        if !ctx.quiet || matches!(e, apply::Event::Failed { .. }) {
            println!("{}", render::progress::line(&e, ctx.style));
        }
    })
    .await;
    listener.abort();
    report
}

/// Refuses plans that would touch what the stack does not own or must not destroy.
pub fn refuse_unsafe(plan: &Plan) -> anyhow::Result<()> {
    let conflicts: Vec<String> =
        plan.changes.iter().filter(|c| c.action == Action::Conflict).map(|c| c.address.to_string()).collect();
    if !conflicts.is_empty() {
        bail!(
            "{} exist(s) but not owned by this stack; nothing was changed. Adopt with `provision import ADDRESS`, or choose another name",
            conflicts.join(", ")
        );
    }
    for c in &plan.changes {
        let protected = c.desired.as_ref().is_some_and(|d| d.prevent_destroy);
        if protected && matches!(c.action, Action::Replace | Action::Delete) {
            bail!(
                "{} has prevent_destroy = true, but the plan would {} it; nothing was changed",
                c.address,
                if c.action == Action::Replace { "replace" } else { "destroy" }
            );
        }
    }
    Ok(())
}

/// Prints the summary and outputs; exit 1 when anything failed.
pub fn finish(plan: &Plan, report: &Report, verb: &str) -> ExitCode {
    let count = |actions: &[Action]| {
        plan.changes.iter().filter(|c| actions.contains(&c.action) && report.done.contains(&c.address)).count()
    };
    let added = count(&[Action::Create, Action::Replace]);
    let changed = count(&[Action::Update]);
    let destroyed = count(&[Action::Delete, Action::Replace]);
    println!();
    if report.complete() {
        println!("{verb} complete! Resources: {added} added, {changed} changed, {destroyed} destroyed.");
    } else {
        println!("{verb} incomplete. Resources: {added} added, {changed} changed, {destroyed} destroyed.");
        for (address, error) in &report.failed {
            println!("  failed:  {address}: {error}");
        }
        for address in &report.skipped {
            println!("  skipped: {address} (a resource it depends on failed)");
        }
        for address in &report.not_started {
            println!("  not started: {address} (interrupted)");
        }
        println!("Fix the cause and run the command again: it continues from what exists.");
    }
    if verb == "Apply" && !report.outputs.is_empty() {
        println!("\nOutputs:");
        let mut outputs: Vec<_> = report.outputs.iter().collect();
        outputs.sort_by(|a, b| a.0.cmp(b.0));
        for (address, out) in outputs {
            println!("  {address} = {}", out.qualified_arn.as_deref().unwrap_or(&out.arn));
        }
    }
    if report.complete() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
