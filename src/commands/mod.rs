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
        Command::Plan { detailed_exitcode, json } => plan::run(&ctx, *detailed_exitcode, *json).await,
        Command::Apply { auto_approve } => apply::run(&ctx, *auto_approve).await,
        Command::Destroy { auto_approve } => destroy::run(&ctx, *auto_approve).await,
        Command::Import { address } => import::run(&ctx, address).await,
        Command::Output { json } => output::run(&ctx, *json).await,
        Command::Schema => {
            print!("{}", crate::config::schema::json_schema());
            Ok(ExitCode::SUCCESS)
        }
    }
}
