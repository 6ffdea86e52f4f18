use super::common::{Context, Loaded};
use crate::import::{import, Imported};
use crate::outln;
use std::process::ExitCode;

/// `provision import ADDRESS`: tag an unowned resource of the wanted name as this stack's.
pub(super) async fn run(ctx: &Context, address: &str) -> anyhow::Result<ExitCode> {
    let loaded = ctx.load(false, false).await?;
    ctx.locked(&loaded, "import", import_one(&loaded, address)).await
}

async fn import_one(loaded: &Loaded, address: &str) -> anyhow::Result<ExitCode> {
    let stack = &loaded.stack;
    match import(stack, loaded.provider.as_ref(), address).await? {
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
