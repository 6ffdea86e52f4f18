//! One module per command: each reads its arguments, asks the session (or the data path) for
//! the work, and prints what came back.

mod apply;
mod common;
mod datapath;
mod destroy;
mod forget;
mod import;
mod logs;
mod output;
mod plan;
mod show;
mod status;
mod validate;
mod watch;

use crate::cli::{Cli, Command};
use crate::outln;
use std::process::ExitCode;

/// Runs the parsed command line; the exit code follows the manual, docs/src/commands.md (0 ok, 1 error, 2 changes).
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    crate::interrupt::install();
    if cli.require_sandbox {
        crate::sandbox::require();
    }
    let ctx = common::Invocation::new(&cli);
    match &cli.command {
        Command::Validate => validate::run(&ctx).await,
        Command::Plan { detailed_exitcode, json, out, destroy, select } => {
            let request = crate::plan::Request {
                destroy: *destroy,
                replace: select.replace.clone(),
                targets: select.target.clone(),
            };
            plan::run(&ctx, *detailed_exitcode, *json, out.as_deref(), &request).await
        }
        Command::Apply { planfile, auto_approve, select } => {
            let request = crate::plan::Request {
                destroy: false,
                replace: select.replace.clone(),
                targets: select.target.clone(),
            };
            apply::run(&ctx, planfile.as_deref(), *auto_approve, request).await
        }
        Command::Destroy { auto_approve, target } => destroy::run(&ctx, *auto_approve, target).await,
        Command::Import { address, auto_approve } => import::run(&ctx, address, *auto_approve).await,
        Command::Forget { address, auto_approve } => forget::run(&ctx, address, *auto_approve).await,
        Command::Output { name, json, raw } => output::run(&ctx, name.as_ref(), *json, *raw).await,
        Command::Show { planfile, json } => show::run(&ctx, planfile.as_deref(), *json).await,
        Command::Graph { destroy } => {
            let mut session = ctx.load(!*destroy, true).await?;
            let live = ctx.read_live(&mut session).await?;
            let request = crate::plan::Request { destroy: *destroy, ..Default::default() };
            let plan = crate::plan::build_requested(&session.stack, &live, &request).map_err(|e| anyhow::anyhow!(e))?;
            crate::output::out(&crate::render::graph::dot(&plan));
            ctx.report_calls(&session);
            Ok(ExitCode::SUCCESS)
        }
        Command::Unlock => {
            let session = ctx.load(false, false).await?;
            let settings = common::lock_settings(&session.stack)?;
            match session.store.break_lock(settings).await? {
                Some(h) => {
                    let h = h.escaped();
                    outln!(
                        "Broke the lock of stack \"{}\" held by {} running `{}` since {}.",
                        session.stack.name,
                        h.who,
                        h.command,
                        h.since
                    )
                }
                None => outln!("Stack \"{}\" is not locked.", session.stack.name),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Schema => {
            crate::output::out(&crate::config::schema::json_schema());
            Ok(ExitCode::SUCCESS)
        }
        Command::Preview { address: _, records, count, seed, at: _, rate: _, json: _, columns: true } => {
            datapath::columns(records.as_deref(), *count, *seed)
        }
        Command::Preview { address, records, count, seed, at, rate, json, columns: false } => datapath::preview(
            &ctx,
            &datapath::PreviewArgs {
                address: address.as_ref(),
                records: records.as_deref(),
                count: *count,
                seed: *seed,
                at: at.as_deref(),
                rate: *rate,
                json: *json,
            },
        ),
        Command::Send { address, count, rate, records, seed, dry_run, in_flight, resend_unknown } => {
            datapath::send(
                &ctx,
                &datapath::SendArgs {
                    address: address.as_ref(),
                    count: *count,
                    rate: *rate,
                    records: records.as_deref(),
                    seed: *seed,
                    dry_run: *dry_run,
                    in_flight: *in_flight,
                    resend_unknown: *resend_unknown,
                },
            )
            .await
        }
        Command::Verify { address, since, wait, records, json } => {
            datapath::verify(
                &ctx,
                &datapath::VerifyArgs {
                    address: address.as_ref(),
                    since: since.as_deref(),
                    wait: *wait,
                    records: records.as_deref(),
                    json: *json,
                },
            )
            .await
        }
        Command::Logs { address, follow, since } => logs::run(&ctx, address.as_ref(), *follow, *since).await,
        Command::Watch => watch::run(&ctx).await,
        Command::Status { addresses, since, json, watch, alarms } => {
            status::run(&ctx, addresses, *since, *json, *watch, *alarms).await
        }
        Command::JqWorker { query, memory_mib } => Ok(crate::datapath::query::worker_main(query, *memory_mib)),
        Command::Sandbox(args) => Ok(crate::sandbox::main(args)),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut buffer = Vec::new();
            clap_complete::generate(*shell, &mut command, "provision", &mut buffer);
            crate::output::out(&String::from_utf8_lossy(&buffer));
            Ok(ExitCode::SUCCESS)
        }
    }
}
