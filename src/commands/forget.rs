use super::common::{confirm, Invocation};
use crate::outln;
use crate::output::escape;
use crate::session::Session;
use std::process::ExitCode;

/// `provision forget ADDRESS`: show what changes, confirm, remove the ownership tags.
pub(super) async fn run(
    ctx: &Invocation,
    address: &crate::model::Address,
    auto_approve: bool,
) -> anyhow::Result<ExitCode> {
    let mut session = ctx.load(false, true).await?;
    ctx.locked(session.lock_target(), "forget", forget_one(ctx, &mut session, address, auto_approve)).await
}

async fn forget_one(
    ctx: &Invocation,
    session: &mut Session,
    address: &crate::model::Address,
    auto_approve: bool,
) -> anyhow::Result<ExitCode> {
    let release = session.prepare_forget(address, &|t: &str| ctx.note(t)).await?;
    let name = escape(release.live.spec.physical_name());
    outln!(
        "  # {} will be forgotten: kept in AWS, no longer managed by stack \"{}\"",
        release.address,
        session.stack.name
    );
    outln!("  ~ {} ({name})", release.address);
    outln!("      - tags.{} = {:?}", crate::model::OWNER_TAG, session.stack.name);
    outln!("      - tags.{} = {:?}", crate::model::ADDRESS_TAG, release.address.tag_value());
    for tag in [crate::model::LOCATION_TAG, crate::model::HOME_TAG] {
        if let Some(value) = release.live.spec.tags().get(tag) {
            outln!("      - tags.{tag} = {:?}", crate::output::escape_line(value));
        }
    }
    if let Some(also) = release.address.kind.info().forget_also {
        outln!("      ~ {also}");
    }
    if release.still_declared {
        // The block the user can find: its header, and the for_each key of the instance.
        let block = crate::model::Position::resource(&release.address).block_to_find();
        outln!(
            "\nNote: stack.toml still declares {}: the next plan will call it a conflict (not owned). Remove {block} from the stack's files (or its key from the for_each).",
            release.address
        );
    }
    if !auto_approve {
        confirm("Do you want to forget this resource?", "forget")?;
    }
    session.forget(&release).await?;
    outln!(
        "{} ({name}) is no longer part of stack \"{}\"; nothing else about it changed.",
        release.address,
        session.stack.name
    );
    Ok(ExitCode::SUCCESS)
}
