use super::common::{Context, Loaded};
use crate::model::{Address, Tags, ADDRESS_TAG, OWNER_TAG};
use crate::outln;
use crate::output::escape;
use anyhow::{bail, Context as _};
use std::process::ExitCode;

/// `provision import ADDRESS`: tag an unowned resource of the wanted name as this stack's.
pub async fn run(ctx: &Context, address: &str) -> anyhow::Result<ExitCode> {
    let loaded = ctx.load(false, false).await?;
    ctx.locked(&loaded, "import", import(&loaded, address)).await
}

async fn import(loaded: &Loaded, address: &str) -> anyhow::Result<ExitCode> {
    let stack = &loaded.stack;
    let address = Address::parse(address).with_context(|| format!("{address:?} is not an address like bucket.data"))?;
    let resource =
        stack.get(&address).with_context(|| format!("{address} is not declared in {}", stack.file.display()))?;
    let name = resource.physical_name();
    let Some(live) = loaded.provider.read(address.kind, name, Some(&resource.spec), None).await? else {
        bail!("{address} ({name}) does not exist: nothing to import; `provision apply` creates it");
    };
    match live.owner() {
        Some(owner) if owner == stack.name => {
            outln!("{address} ({name}) is already owned by stack \"{owner}\".");
            return Ok(ExitCode::SUCCESS);
        }
        Some(owner) => {
            bail!("{address} ({name}) is owned by stack \"{}\"; destroy or release it there first", escape(owner))
        }
        None => {}
    }
    let tags =
        Tags::from([(OWNER_TAG.to_string(), stack.name.clone()), (ADDRESS_TAG.to_string(), address.to_string())]);
    loaded.provider.tag(&live, &tags).await?;
    outln!(
        "{address} ({name}) now belongs to stack \"{}\". Run `provision plan` to see what apply would change.",
        stack.name
    );
    Ok(ExitCode::SUCCESS)
}
