use super::common::{confirm, Context, Loaded};
use crate::apply::{self, Report};
use crate::model::{Address, Location};
use crate::plan::saved::SavedPlan;
use crate::plan::{self, Action, LiveState, Plan, Request};
use crate::{errln, outln, render};
use anyhow::{anyhow, bail};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::ExitCode;

/// `provision apply`: plan, confirm, execute, report.
pub(super) async fn run(
    ctx: &Context,
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
    let mut loaded = ctx.load(!request.destroy, true).await?;
    if let Some(saved) = &saved {
        // Everything that can refuse a saved plan is checked before anything is written, the
        // lock (and its bucket) included; under the lock it is checked again.
        let live = ctx.read_live_for(&mut loaded, request.destroy).await?;
        let plan = requested(&loaded, &live, &request)?;
        refuse_if_changed(saved, &loaded, &live, &plan)?;
    }
    let verb = if request.destroy { "destroy" } else { "apply" };
    let code =
        ctx.locked(loaded.lock_target(), verb, apply_stack(ctx, &mut loaded, saved, auto_approve, &request)).await;
    ctx.report_calls(&loaded);
    code
}

/// The plan a request asks for, as apply executes it (a destroy leaves conflicts alone).
fn requested(loaded: &Loaded, live: &LiveState, request: &Request) -> anyhow::Result<Plan> {
    let plan = plan::build_requested(&loaded.stack, live, request).map_err(|e| anyhow!(e))?;
    Ok(if request.destroy { plan.without_conflicts() } else { plan })
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
    ctx: &Context,
    loaded: &mut Loaded,
    saved: Option<SavedPlan>,
    auto_approve: bool,
    request: &Request,
) -> anyhow::Result<ExitCode> {
    let live = ctx.read_live_for(loaded, request.destroy).await?;
    let loaded = &*loaded;
    let plan = requested(loaded, &live, request)?;
    if let Some(saved) = &saved {
        refuse_if_changed(saved, loaded, &live, &plan)?;
    }
    // A saved plan was read when it was made: shown compact.
    ctx.show_plan(&plan, saved.is_some());
    warn_if_partial(request);
    plan::check_safe(&plan).map_err(|e| anyhow!(e))?;
    crate::destroy::refuse_data_loss(&plan, loaded.provider.as_ref()).await?;
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
    let report = execute(ctx, &plan, loaded, request.is_partial()).await?;
    Ok(finish(ctx, &plan, &report, if request.destroy { "Destroy" } else { "Apply" }))
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
/// releases the stack's lock and quits at once (see [`crate::interrupt`]). The stack's index of
/// locations lists every location the plan touches before it starts; after a complete run of a
/// whole plan (`partial`: not), only those still holding the stack's resources.
pub(super) async fn execute(ctx: &Context, plan: &Plan, loaded: &Loaded, partial: bool) -> anyhow::Result<Report> {
    let index = LocationIndex::before(plan, loaded).await?;
    let _graceful = crate::interrupt::graceful(
        "Interrupt received: no new changes will start; waiting for those in flight (Ctrl-C again to quit now).",
    );
    let report = apply::execute(plan, &loaded.provider, ctx.parallelism, crate::interrupt::stop_signal(), |e| {
        if !ctx.quiet || matches!(e, apply::Event::Failed { .. }) {
            outln!("{}", render::progress::line(&e, ctx.style));
        }
    })
    .await;
    if report.complete() && !partial {
        index.after(plan, loaded, &report).await?;
    }
    Ok(report)
}

/// The stack's index of the locations other than its home it has written to (see
/// [`crate::provider::Provider::indexed_locations`]): kept in the lock bucket, so a stack with
/// locking off has none (and searches only what it declares).
struct LocationIndex {
    listed: BTreeSet<Location>,
}

impl LocationIndex {
    /// Adds the locations `plan` touches, before it touches them.
    async fn before(plan: &Plan, loaded: &Loaded) -> anyhow::Result<LocationIndex> {
        let home = loaded.stack.home();
        let known: BTreeSet<Location> = loaded.indexed.iter().cloned().collect();
        let touched = plan.changes.iter().filter(|c| c.action != Action::NoOp).map(|c| c.location.clone());
        let listed: BTreeSet<Location> = known.iter().cloned().chain(touched).filter(|l| *l != home).collect();
        if let Some(settings) = &loaded.stack.lock {
            if listed != known {
                let all: Vec<Location> = listed.iter().cloned().collect();
                loaded.provider.index_locations(settings, &loaded.stack.name, &all).await?;
            }
        }
        Ok(LocationIndex { listed })
    }

    /// Keeps only the locations still holding something of the stack after a complete run.
    async fn after(&self, plan: &Plan, loaded: &Loaded, report: &Report) -> anyhow::Result<()> {
        let home = loaded.stack.home();
        let remaining: BTreeSet<Location> = plan
            .changes
            .iter()
            .filter(|c| !(c.action == Action::Delete && report.done.contains(&c.address)))
            .map(|c| c.location.clone())
            .filter(|l| *l != home)
            .collect();
        if let Some(settings) = &loaded.stack.lock {
            if remaining != self.listed {
                let all: Vec<Location> = remaining.into_iter().collect();
                loaded.provider.index_locations(settings, &loaded.stack.name, &all).await?;
            }
        }
        Ok(())
    }
}

/// Prints the summary and outputs (not with `-q`); exit 1 when anything failed.
pub(super) fn finish(ctx: &Context, plan: &Plan, report: &Report, verb: &str) -> ExitCode {
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
