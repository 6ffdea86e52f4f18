use super::common::Invocation;
use crate::{diagnostic, outln};
use std::process::ExitCode;

/// `provision validate`: offline checks only.
pub(super) async fn run(ctx: &Invocation) -> anyhow::Result<ExitCode> {
    let (stack, warnings) = ctx.load_offline(true)?;
    if !warnings.is_empty() {
        // The files the warnings point into (stack.toml, module files).
        let mut sources: Vec<(std::path::PathBuf, String)> = Vec::new();
        for file in warnings.iter().filter_map(|w| w.location.as_ref().map(|l| &l.file)) {
            if !sources.iter().any(|(p, _)| p == file) {
                sources.push((file.clone(), std::fs::read_to_string(file).unwrap_or_default()));
            }
        }
        crate::output::err(&diagnostic::render(&warnings, &sources, ctx.style.color));
    }
    outln!("{} is valid: {} resources, {} warning(s).", stack.file.display(), stack.resources.len(), warnings.len());
    Ok(ExitCode::SUCCESS)
}
