use super::common::{confirm, Invocation};
use crate::import::Imported;
use crate::model::{Address, ADDRESS_TAG, OWNER_TAG};
use crate::outln;
use crate::session::Session;
use std::process::ExitCode;

/// `provision import ADDRESS`: show what it tags and what apply would change after, confirm, tag.
pub(super) async fn run(ctx: &Invocation, address: &Address, auto_approve: bool) -> anyhow::Result<ExitCode> {
    let session = ctx.load(true, false).await?;
    ctx.locked(session.lock_target(), "import", import_one(&session, address, auto_approve)).await
}

async fn import_one(session: &Session, address: &Address, auto_approve: bool) -> anyhow::Result<ExitCode> {
    let stack = &session.stack;
    let prepared = session.prepare_import(address).await?;
    if !prepared.already_ours {
        outln!("  # {} will be imported into stack \"{}\"", prepared.address, stack.name);
        outln!("  ~ {} ({})", prepared.address, prepared.name);
        outln!("      + tags.{OWNER_TAG} = {:?}", stack.name);
        outln!("      + tags.{ADDRESS_TAG} = {:?}", prepared.address.to_string());
        if prepared.then.is_empty() {
            outln!("\nIt matches stack.toml: apply would then change nothing.");
        } else {
            outln!(
                "\nThen `provision apply` would change: {} (`provision plan` shows how).",
                prepared.then.iter().map(|k| crate::output::escape(k)).collect::<Vec<_>>().join(", ")
            );
        }
        if !auto_approve {
            confirm("Do you want to import this resource?", "import")?;
        }
    }
    match session.import(prepared).await? {
        Imported::AlreadyOurs { address, name } => {
            outln!("{address} ({name}) is already owned by stack \"{}\".", stack.name)
        }
        Imported::Adopted { address, name } => outln!(
            "{address} ({name}) now belongs to stack \"{}\". Run `provision plan` to see what apply would change.",
            stack.name
        ),
    }
    Ok(ExitCode::SUCCESS)
}
