use super::common::Invocation;
use crate::plan::Request;
use std::process::ExitCode;

/// `provision destroy`: delete what the stack owns, dependents first (apply's flow with a
/// destroy plan: conflicts reported and left alone, buckets holding data refused). Needs no
/// Lambda code.
pub(super) async fn run(
    ctx: &Invocation,
    auto_approve: bool,
    targets: &[crate::model::address::Selector],
) -> anyhow::Result<ExitCode> {
    let request = Request { destroy: true, replace: vec![], targets: targets.to_vec() };
    super::apply::run(ctx, None, auto_approve, request).await
}
