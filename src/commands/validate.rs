use super::common::Context;
use std::process::ExitCode;

/// `provision validate`: offline checks only.
pub async fn run(ctx: &Context) -> anyhow::Result<ExitCode> {
    let (stack, warnings) = ctx.load_offline()?;
    for w in &warnings {
        eprintln!("{w}");
    }
    println!("{} is valid: {} resources, {} warning(s).", stack.file.display(), stack.resources.len(), warnings.len());
    Ok(ExitCode::SUCCESS)
}
