use super::apply::execute;
use super::common::Invocation;
use crate::plan;
use crate::{errln, outln};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

/// How often the files are looked at.
const POLL: Duration = Duration::from_millis(200);
/// At most this many files are watched per source directory.
const MAX_FILES: usize = 10_000;

/// What a file looked like: its path, size and modification time.
type Seen = Vec<(PathBuf, u64, Option<SystemTime>)>;

fn look(path: &Path, out: &mut Seen) {
    if let Ok(meta) = std::fs::metadata(path) {
        out.push((path.to_path_buf(), meta.len(), meta.modified().ok()));
    }
}

/// The files a change of which is worth a new plan: stack.toml, var files, module files, every function's
/// source directory (dot directories left out).
fn snapshot(ctx: &Invocation) -> Seen {
    let mut seen = Seen::new();
    look(&ctx.file, &mut seen);
    for f in &ctx.var_files {
        look(f, &mut seen);
    }
    let sources: Vec<PathBuf> = match ctx.load_offline(false) {
        Ok((stack, _)) => stack
            .resources
            .iter()
            .filter_map(|r| r.spec.source_dir().map(Path::to_path_buf))
            .chain(stack.module_files.iter().cloned())
            .collect(),
        Err(_) => vec![],
    };
    for dir in sources {
        let walk = ignore::WalkBuilder::new(&dir).hidden(true).build();
        for entry in walk.flatten().take(MAX_FILES) {
            look(entry.path(), &mut seen);
        }
    }
    seen.sort();
    seen
}

/// One round: validate, plan, and hotswap a function's code and environment at once; anything
/// else is shown as a plan for `provision apply`. What is hotswapped is planned again under the
/// lock from live state read again (as apply does), and shown before it is applied.
async fn round(ctx: &Invocation) -> anyhow::Result<()> {
    let start = Instant::now();
    let mut session = ctx.load(true, true).await?;
    let live = ctx.read_live(&mut session).await?;
    let plan = plan::build(&session.stack, &live).map_err(|e| anyhow::anyhow!(e))?;
    if !worth_hotswapping(ctx, &plan) {
        return Ok(());
    }
    let report = ctx
        .locked(session.lock_target(), "watch", async {
            let live = ctx.read_live(&mut session).await?;
            let plan = plan::build(&session.stack, &live).map_err(|e| anyhow::anyhow!(e))?;
            if !worth_hotswapping(ctx, &plan) {
                return Ok(None);
            }
            plan::check_safe(&plan).map_err(|e| anyhow::anyhow!(e))?;
            crate::output::out(&ctx.plan_text(&plan, false));
            Ok(Some(execute(ctx, &plan, &session, true).await?))
        })
        .await?;
    let Some(report) = report else { return Ok(()) };
    let changed: Vec<String> = report.done.iter().map(|a| a.to_string()).collect();
    if report.complete() {
        outln!("Hotswapped {} in {} ms.", changed.join(", "), start.elapsed().as_millis());
    } else {
        for (address, error) in &report.failed {
            errln!("  failed: {address}: {error}");
        }
    }
    Ok(())
}

/// Whether `plan` is one `watch` applies; if not, says why (no changes, or changes for apply).
fn worth_hotswapping(ctx: &Invocation, plan: &plan::Plan) -> bool {
    if !plan.has_changes() {
        outln!("No changes. Live resources match the stack.");
        return false;
    }
    if !plan::hotswappable(plan) {
        crate::output::out(&ctx.plan_text(plan, false));
        outln!("Not only function code or environment: run `provision apply` for these changes.");
        return false;
    }
    true
}

/// `provision watch`: on each save, plan and hotswap, as `cdk watch` does, until Ctrl-C.
pub(super) async fn run(ctx: &Invocation) -> anyhow::Result<ExitCode> {
    let _graceful = crate::interrupt::graceful("Interrupt received: watch ends after this round.");
    let mut stop = crate::interrupt::stop_signal();
    outln!("Watching {} and the functions' sources (Ctrl-C to stop).", ctx.file.display());
    let mut last = snapshot(ctx);
    if let Err(e) = round(ctx).await {
        errln!("{e:#}");
    }
    loop {
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
        let now = snapshot(ctx);
        if now == last {
            continue;
        }
        last = now;
        outln!("\nChange seen: planning...");
        // An invalid file mid-edit is reported, and watching goes on.
        if let Err(e) = round(ctx).await {
            errln!("{e:#}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
