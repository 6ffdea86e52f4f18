//! One module per command: each wires the layers together and holds no logic of its own.

mod apply;
mod common;
mod destroy;
mod import;
mod output;
mod plan;
mod validate;

use crate::cli::{Cli, Command};
use std::process::ExitCode;

/// Runs the parsed command line; the exit code follows stack-format.md (0 ok, 1 error, 2 changes).
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let ctx = common::Context::new(&cli);
    match &cli.command {
        Command::Validate => validate::run(&ctx).await,
        Command::Plan { detailed_exitcode, json, out } => {
            plan::run(&ctx, *detailed_exitcode, *json, out.as_deref()).await
        }
        Command::Apply { planfile, auto_approve } => apply::run(&ctx, planfile.as_deref(), *auto_approve).await,
        Command::Destroy { auto_approve } => destroy::run(&ctx, *auto_approve).await,
        Command::Import { address } => import::run(&ctx, address).await,
        Command::Output { json } => output::run(&ctx, *json).await,
        Command::Unlock => {
            let (stack, clients) = ctx.load().await?;
            match clients.unlock(&stack.env.account_id, &stack.name).await? {
                Some(h) => println!(
                    "Broke the lock of stack \"{}\" held by {} running `{}` since {}.",
                    stack.name, h.who, h.command, h.since
                ),
                None => println!("Stack \"{}\" is not locked.", stack.name),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Schema => {
            print!("{}", crate::config::schema::json_schema());
            Ok(ExitCode::SUCCESS)
        }
    }
}
