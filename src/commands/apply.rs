use super::common::{confirm, Invocation};
use crate::apply::{self, Report};
use crate::model::Address;
use crate::plan::saved::SavedPlan;
use crate::plan::{Action, Plan, Request};
use crate::session::Session;
use crate::{errln, outln, render};
use anyhow::bail;
use std::path::Path;
use std::process::ExitCode;

/// `provision apply`: plan, confirm, execute, report.
pub(super) async fn run(
    ctx: &Invocation,
    planfile: Option<&Path>,
    auto_approve: bool,
    request: Request,
) -> anyhow::Result<ExitCode> {
    let saved = planfile.map(SavedPlan::read).transpose()?;
    // A file whose text says something else than its body is refused before anything runs: a
    // reviewer read the text, apply would apply the body.
    if let (Some(saved), Some(path)) = (&saved, planfile) {
        crate::render::plan::saved_text_matches(saved).map_err(|e| {
            anyhow::anyhow!(
                "the saved plan {} cannot be applied: {e}; nothing was changed",
                crate::output::escape(&path.display().to_string())
            )
        })?;
    }
    if saved.is_some() && request != Request::default() {
        bail!("--target and --replace are the saved plan's to give: make the plan with them, then apply it");
    }
    // A saved plan is applied as it was asked for (a destroy plan destroys).
    let request = saved.as_ref().map(|s| s.request.clone()).unwrap_or(request);
    let mut session = ctx.load(!request.destroy, true).await?;
    if let Some(saved) = &saved {
        // Everything that can refuse a saved plan is checked before anything is written, the
        // lock (and its bucket) included; under the lock it is checked again.
        let (live, plan) = session.plan(&request, &|t: &str| ctx.note(t)).await?;
        session.refuse_if_changed(saved, &live, &plan)?;
    }
    let verb = if request.destroy { "destroy" } else { "apply" };
    let code =
        ctx.locked(session.lock_target(), verb, apply_stack(ctx, &mut session, saved, auto_approve, &request)).await;
    ctx.report_calls(&session);
    code
}

/// Says that a `--target` plan leaves changes out.
pub(super) fn warn_if_partial(request: &Request) {
    if request.is_partial() {
        errln!(
            "Warning: --target {}: this plan is partial; the stack's other changes are left out. Run without --target to converge.",
            request.targets.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", ")
        );
    }
}

async fn apply_stack(
    ctx: &Invocation,
    session: &mut Session,
    saved: Option<SavedPlan>,
    auto_approve: bool,
    request: &Request,
) -> anyhow::Result<ExitCode> {
    let (live, plan) = session.plan(request, &|t: &str| ctx.note(t)).await?;
    let session = &*session;
    if let Some(saved) = &saved {
        session.refuse_if_changed(saved, &live, &plan)?;
    }
    // A saved plan was read when it was made: shown compact.
    ctx.show_plan(&plan, saved.is_some());
    warn_if_partial(request);
    session.check_before_changes(&plan).await?;
    if !plan.has_changes() {
        return Ok(ExitCode::SUCCESS);
    }
    // A saved plan was reviewed when it was made: apply it as is.
    if saved.is_none() && !auto_approve {
        let question = if request.destroy {
            "Do you really want to destroy all resources of this stack?"
        } else {
            "Do you want to perform these actions?"
        };
        confirm(question, if request.destroy { "destroy" } else { "apply" })?;
    }
    ctx.note("");
    let report = execute(ctx, &plan, session, request.is_partial()).await?;
    Ok(finish(ctx, &plan, &report, if request.destroy { "Destroy" } else { "Apply" }))
}

/// Executes a plan, printing progress. The first interrupt stops new changes; a second one
/// releases the stack's lock and quits at once (see [`crate::interrupt`]).
pub(super) async fn execute(ctx: &Invocation, plan: &Plan, session: &Session, partial: bool) -> anyhow::Result<Report> {
    let _graceful = crate::interrupt::graceful(
        "Interrupt received: no new changes will start; waiting for those in flight (Ctrl-C again to quit now).",
    );
    session
        .execute(plan, ctx.parallelism, partial, crate::interrupt::stop_signal(), |e| {
            if !ctx.quiet || matches!(e, apply::Event::Failed { .. }) {
                outln!("{}", render::progress::line(&e, ctx.style));
            }
        })
        .await
}

/// Prints the summary and outputs (not with `-q`); exit 1 when anything failed.
pub(super) fn finish(ctx: &Invocation, plan: &Plan, report: &Report, verb: &str) -> ExitCode {
    let count = |actions: &[Action]| {
        plan.changes.iter().filter(|c| actions.contains(&c.action) && report.done.contains(&c.address)).count()
    };
    let added = count(&[Action::Create, Action::Replace]);
    let changed = count(&[Action::Update]);
    let destroyed = count(&[Action::Delete, Action::Replace]);
    if !ctx.quiet {
        outln!();
    }
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
    for address in &report.left {
        outln!("  left: {address}: no longer tagged by this stack (read again right before its delete)");
    }
    if verb == "Apply" && !report.outputs.is_empty() && !ctx.quiet {
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
