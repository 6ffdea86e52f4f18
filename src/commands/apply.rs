use super::common::{confirm, Context, Loaded};
use crate::apply::{self, Report};
use crate::model::Address;
use crate::plan::saved::SavedPlan;
use crate::plan::{self, Action, Plan};
use crate::provider::{Intent, Provider};
use crate::{errln, outln, render};
use anyhow::{anyhow, bail, Context as _};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// `provision apply`: plan, confirm, execute, report.
pub async fn run(ctx: &Context, planfile: Option<&Path>, auto_approve: bool) -> anyhow::Result<ExitCode> {
    let saved: Option<SavedPlan> = match planfile {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            Some(serde_json::from_str(&text).with_context(|| format!("{} is not a saved plan", path.display()))?)
        }
        None => None,
    };
    let loaded = ctx.load(true, true).await?;
    let code = ctx.locked(&loaded, "apply", apply_stack(ctx, &loaded, saved, auto_approve)).await;
    ctx.report_calls(&loaded);
    code
}

async fn apply_stack(
    ctx: &Context,
    loaded: &Loaded,
    saved: Option<SavedPlan>,
    auto_approve: bool,
) -> anyhow::Result<ExitCode> {
    let live = ctx.read_live(loaded).await?;
    let plan = plan::build(&loaded.stack, &live).map_err(|e| anyhow!(e))?;
    if let Some(reason) = saved.as_ref().and_then(|s| s.refusal(&loaded.stack, &live, &plan)) {
        bail!("the saved plan cannot be applied: {reason}; nothing was changed. Run `provision plan --out FILE` again");
    }
    crate::output::out(&render::plan::render(&plan, ctx.style));
    plan::check_safe(&plan).map_err(|e| anyhow!(e))?;
    if !plan.has_changes() {
        clear_intents(loaded, &live.intents).await?;
        return Ok(ExitCode::SUCCESS);
    }
    // A saved plan was reviewed when it was made: apply it as is.
    if saved.is_none() && !auto_approve && !confirm("Do you want to perform these actions?") {
        bail!("apply cancelled");
    }
    outln!();
    let creates = record_intents(loaded, &plan).await?;
    let recorded = !creates.is_empty() || !live.intents.is_empty();
    let report = execute(ctx, &plan, &loaded.provider).await;
    // What was not created stays recorded, for the next run to adopt if it exists after all.
    let left: Vec<Intent> =
        creates.into_iter().filter(|i| !report.done.iter().any(|a| a.to_string() == i.address)).collect();
    if let (Some(settings), true) = (&loaded.stack.lock, recorded) {
        loaded.provider.write_intents(settings, &loaded.stack.name, &left).await?;
    }
    Ok(finish(&plan, &report, "Apply"))
}

/// Records the creates of a plan before making them (see [`Intent`]).
async fn record_intents(loaded: &Loaded, plan: &Plan) -> anyhow::Result<Vec<Intent>> {
    let creates: Vec<Intent> = plan
        .changes
        .iter()
        .filter(|c| matches!(c.action, Action::Create | Action::Replace))
        .map(|c| Intent::new(&c.address, &c.physical_name))
        .collect();
    if let (Some(settings), false) = (&loaded.stack.lock, creates.is_empty()) {
        loaded.provider.write_intents(settings, &loaded.stack.name, &creates).await?;
    }
    Ok(creates)
}

async fn clear_intents(loaded: &Loaded, intents: &[Intent]) -> anyhow::Result<()> {
    if let (Some(settings), false) = (&loaded.stack.lock, intents.is_empty()) {
        loaded.provider.write_intents(settings, &loaded.stack.name, &[]).await?;
    }
    Ok(())
}

/// Executes a plan, printing progress. The first Ctrl-C stops new changes; a second one
/// releases the stack's lock and quits at once.
pub async fn execute(ctx: &Context, plan: &Plan, provider: &Arc<dyn Provider>) -> Report {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let held = ctx.held_lock.clone();
    let listener = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            errln!("\nInterrupt received: no new changes will start; waiting for those in flight (Ctrl-C again to quit now).");
            let _ = stop.send(true);
            if tokio::signal::ctrl_c().await.is_ok() {
                let lock = held.lock().unwrap_or_else(|e| e.into_inner()).take();
                if let Some((provider, handle)) = lock {
                    let _ = tokio::time::timeout(Duration::from_secs(5), provider.release(&handle)).await;
                }
                errln!("Second interrupt: the lock is released; quitting. Run apply again to converge.");
                std::process::exit(130);
            }
        }
    });
    let report = apply::execute(plan, provider, ctx.parallelism, stopped, |e| {
        if !ctx.quiet || matches!(e, apply::Event::Failed { .. }) {
            outln!("{}", render::progress::line(&e, ctx.style));
        }
    })
    .await;
    listener.abort();
    report
}

/// Prints the summary and outputs; exit 1 when anything failed.
pub fn finish(plan: &Plan, report: &Report, verb: &str) -> ExitCode {
    let count = |actions: &[Action]| {
        plan.changes.iter().filter(|c| actions.contains(&c.action) && report.done.contains(&c.address)).count()
    };
    let added = count(&[Action::Create, Action::Replace]);
    let changed = count(&[Action::Update]);
    let destroyed = count(&[Action::Delete, Action::Replace]);
    outln!();
    if report.complete() {
        outln!("{verb} complete! Resources: {added} added, {changed} changed, {destroyed} destroyed.");
    } else {
        outln!("{verb} incomplete. Resources: {added} added, {changed} changed, {destroyed} destroyed.");
        for (address, error) in &report.failed {
            outln!("  failed:  {address}: {error}");
        }
        for address in &report.skipped {
            outln!("  skipped: {address} (a resource it depends on failed)");
        }
        for address in &report.not_started {
            outln!("  not started: {address} (interrupted)");
        }
        outln!("Fix the cause and run the command again: it continues from what exists.");
    }
    if verb == "Apply" && !report.outputs.is_empty() {
        outln!("\nOutputs:");
        let mut outputs: Vec<(&Address, _)> = report.outputs.iter().collect();
        outputs.sort_by(|a, b| a.0.cmp(b.0));
        for (address, out) in outputs {
            outln!("  {address} = {}", out.qualified_arn.as_deref().unwrap_or(&out.arn));
        }
    }
    if report.complete() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
