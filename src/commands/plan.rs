use super::common::Invocation;
use crate::plan;
use crate::plan::saved::SavedPlan;
use crate::{errln, outln, render};
use anyhow::{anyhow, Context as _};
use std::path::Path;
use std::process::ExitCode;

/// `provision plan`: read, diff, print. Never writes to AWS.
pub(super) async fn run(
    ctx: &Invocation,
    detailed_exitcode: bool,
    json: bool,
    out: Option<&Path>,
    request: &plan::Request,
) -> anyhow::Result<ExitCode> {
    let mut session = ctx.load(!request.destroy, true).await?;
    let live = ctx.read_live_for(&mut session, request.destroy).await?;
    let plan = plan::build_requested(&session.stack, &live, request).map_err(|e| anyhow!(e))?;
    let plan = if request.destroy { plan.without_conflicts() } else { plan };
    if json {
        outln!("{}", crate::output::json(&plan, true)?);
    } else {
        crate::output::out(&ctx.plan_text(&plan, false));
    }
    if ctx.verbose {
        for r in &session.stack.resources {
            if let Some(p) = r.spec.package() {
                errln!("{} packages {} file(s), {} bytes zipped:", r.address, p.files.len(), p.zip.len());
                for f in &p.files {
                    errln!("  {:>10}  {}{}", f.size, f.name, if f.executable { "  (executable)" } else { "" });
                }
            }
        }
    }
    super::apply::warn_if_partial(request);
    if request.destroy {
        for holding in crate::destroy::resources_holding_data(&plan, session.provider.as_ref()).await? {
            errln!("Warning: {holding}: destroy will refuse it without force_destroy = true (it never deletes data otherwise).");
        }
    }
    if let Some(path) = out {
        let text = render::plan::render(&plan, render::Style { color: false });
        let saved = SavedPlan::new(&session.stack, &live, &plan, request, text)?;
        saved.write(path).with_context(|| format!("writing the plan to {}", path.display()))?;
        ctx.note(&format!(
            "\nSaved the plan to {}. Apply exactly it with `provision apply {}`.",
            path.display(),
            path.display()
        ));
    }
    ctx.report_calls(&session);
    Ok(if detailed_exitcode && plan.has_changes() { ExitCode::from(2) } else { ExitCode::SUCCESS })
}
