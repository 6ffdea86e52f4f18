use super::common::{confirm, Context, Loaded};
use crate::apply::{self, IntentLog, Report};
use crate::model::Address;
use crate::plan::saved::SavedPlan;
use crate::plan::{self, Action, LiveState, Plan};
use crate::{outln, render};
use anyhow::{anyhow, bail};
use std::path::Path;
use std::process::ExitCode;

/// `provision apply`: plan, confirm, execute, report.
pub(super) async fn run(ctx: &Context, planfile: Option<&Path>, auto_approve: bool) -> anyhow::Result<ExitCode> {
    let saved = planfile.map(SavedPlan::read).transpose()?;
    let loaded = ctx.load(true, true).await?;
    if let Some(saved) = &saved {
        // Everything that can refuse a saved plan is checked before anything is written, the
        // lock (and its bucket) included; under the lock it is checked again.
        let live = ctx.read_live(&loaded).await?;
        let plan = plan::build(&loaded.stack, &live).map_err(|e| anyhow!(e))?;
        refuse_if_changed(saved, &loaded, &live, &plan)?;
    }
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
    if let Some(saved) = &saved {
        refuse_if_changed(saved, loaded, &live, &plan)?;
    }
    crate::output::out(&render::plan::render(&plan, ctx.style));
    plan::check_safe(&plan).map_err(|e| anyhow!(e))?;
    if !plan.has_changes() {
        return Ok(ExitCode::SUCCESS);
    }
    // A saved plan was reviewed when it was made: apply it as is.
    if saved.is_none() && !auto_approve {
        confirm("Do you want to perform these actions?", "apply")?;
    }
    outln!();
    let report = execute(ctx, &plan, loaded, &live).await;
    Ok(finish(&plan, &report, "Apply"))
}

fn refuse_if_changed(saved: &SavedPlan, loaded: &Loaded, live: &LiveState, plan: &Plan) -> anyhow::Result<()> {
    match saved.refusal(&loaded.stack, live, plan) {
        Some(reason) => bail!(
            "the saved plan cannot be applied: {reason}; nothing was changed. Run `provision plan --out FILE` again"
        ),
        None => Ok(()),
    }
}

/// Executes a plan, printing progress. The first interrupt stops new changes; a second one
/// releases the stack's lock and quits at once (see [`crate::interrupt`]).
pub(super) async fn execute(ctx: &Context, plan: &Plan, loaded: &Loaded, live: &LiveState) -> Report {
    let _graceful = crate::interrupt::graceful(
        "Interrupt received: no new changes will start; waiting for those in flight (Ctrl-C again to quit now).",
    );
    let intents = loaded.stack.lock.as_ref().map(|settings| IntentLog {
        settings: settings.clone(),
        stack: loaded.stack.name.clone(),
        left: live.intents.iter().map(|r| r.intent.clone()).collect(),
    });
    apply::execute(plan, &loaded.provider, ctx.parallelism, intents.as_ref(), crate::interrupt::stop_signal(), |e| {
        if !ctx.quiet || matches!(e, apply::Event::Failed { .. }) {
            outln!("{}", render::progress::line(&e, ctx.style));
        }
    })
    .await
}

/// Prints the summary and outputs; exit 1 when anything failed.
pub(super) fn finish(plan: &Plan, report: &Report, verb: &str) -> ExitCode {
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
