use super::common::Context;
use crate::model::{Address, Tags, ADDRESS_TAG, OWNER_TAG};
use anyhow::{bail, Context as _};
use std::process::ExitCode;

/// `provision import ADDRESS`: tag an unowned resource of the wanted name as this stack's.
pub async fn run(ctx: &Context, address: &str) -> anyhow::Result<ExitCode> {
    let (stack, clients) = ctx.load().await?;
    ctx.locked(&stack, &clients, "import", import(&stack, &clients, address)).await
}

async fn import(stack: &crate::model::Stack, clients: &crate::aws::Clients, address: &str) -> anyhow::Result<ExitCode> {
    let address = Address::parse(address).with_context(|| format!("{address:?} is not an address like bucket.data"))?;
    let resource =
        stack.get(&address).with_context(|| format!("{address} is not declared in {}", stack.file.display()))?;
    let name = resource.physical_name();
    let Some(live) = clients.read(address.kind, name, Some(&resource.spec)).await? else {
        bail!("{address} ({name}) does not exist: nothing to import; `provision apply` creates it");
    };
    match live.owner() {
        Some(owner) if owner == stack.name => {
            println!("{address} ({name}) is already owned by stack \"{owner}\".");
            return Ok(ExitCode::SUCCESS);
        }
        Some(owner) => bail!("{address} ({name}) is owned by stack \"{owner}\"; destroy or release it there first"),
        None => {}
    }
    let tags =
        Tags::from([(OWNER_TAG.to_string(), stack.name.clone()), (ADDRESS_TAG.to_string(), address.to_string())]);
    clients.tag(&live, &tags).await?;
    println!(
        "{address} ({name}) now belongs to stack \"{}\". Run `provision plan` to see what apply would change.",
        stack.name
    );
    Ok(ExitCode::SUCCESS)
}
