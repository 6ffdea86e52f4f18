use super::common::Context;
use crate::{diagnostic, outln};
use std::process::ExitCode;

/// `provision validate`: offline checks only.
pub(super) async fn run(ctx: &Context) -> anyhow::Result<ExitCode> {
    let (stack, warnings) = ctx.load_offline(true)?;
    if !warnings.is_empty() {
        let source = std::fs::read_to_string(&ctx.file).unwrap_or_default();
        crate::output::err(&diagnostic::render(&warnings, &source, ctx.style.color));
    }
    outln!("{} is valid: {} resources, {} warning(s).", stack.file.display(), stack.resources.len(), warnings.len());
    Ok(ExitCode::SUCCESS)
}
