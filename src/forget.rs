//! `provision forget ADDRESS`: the stack gives up a resource without deleting it, as Terraform's
//! `removed` blocks and `state rm` do. Its ownership tags (and a role's description marker) are
//! removed; nothing else about it changes, and no plan of this stack touches it again.

use crate::model::{Address, Live, Stack};
use crate::plan::LiveState;
use crate::provider::Provider;
use anyhow::{bail, Result};

/// The resource a forget would release.
#[derive(Debug, Clone)]
pub struct Release {
    pub address: Address,
    pub live: Live,
    /// Whether stack.toml still declares it: the next plan would then call it a conflict.
    pub still_declared: bool,
}

/// Finds what `address` names among the stack's owned resources (declared or not).
pub fn find(stack: &Stack, live: &LiveState, address: &Address) -> Result<Release> {
    let wanted = address.clone();
    let declared = live.by_address.get(&wanted).cloned().flatten().filter(|l| l.owner() == Some(stack.name.as_str()));
    let orphan = live.orphans.iter().find(|(a, _)| *a == wanted).map(|(_, l)| l.clone());
    match declared.or(orphan) {
        Some(live) => Ok(Release { still_declared: stack.get(&wanted).is_some(), address: wanted, live }),
        None => bail!("{address} is not a resource stack \"{}\" owns: nothing to forget", stack.name),
    }
}

/// Removes the ownership tags from the resource.
pub async fn release(provider: &dyn Provider, release: &Release) -> Result<()> {
    provider.untag(&release.live, &crate::model::OWNERSHIP_TAGS.map(String::from)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, ADDRESS_TAG};
    use crate::provider::fake::FakeProvider;
    use crate::testing::stack;
    use std::sync::Arc;

    #[tokio::test]
    async fn a_forgotten_resource_is_kept_untagged_and_left_out_of_every_plan() {
        let fake = Arc::new(FakeProvider::new());
        let provider: Arc<dyn Provider> = fake.clone();
        let header = "[stack]\nname = \"keep\"\ntags = { team = \"data\" }\n";
        let full = stack(&format!("{header}[bucket.data]\nname = \"kept-bucket\"\n"));
        let live = crate::live::read(&full, &provider, &[]).await.unwrap();
        let plan = crate::plan::build(&full, &live).unwrap();
        let (_stop, stopped) = tokio::sync::watch::channel(false);
        assert!(crate::apply::execute(&plan, &provider, 4, stopped, |_| {}).await.complete());

        // Still declared: found, and said so.
        let live = crate::testing::live_of(&full, &provider).await;
        assert!(find(&full, &live, &Address::parse("bucket.data").unwrap()).unwrap().still_declared);

        // Taken out of stack.toml, then forgotten instead of destroyed.
        let without = stack(header);
        let live = crate::testing::live_of(&without, &provider).await;
        assert!(find(&without, &live, &Address::parse("bucket.nope").unwrap()).is_err());
        let r = find(&without, &live, &Address::parse("bucket.data").unwrap()).unwrap();
        assert!(!r.still_declared);
        release(fake.as_ref(), &r).await.unwrap();

        let bucket = fake.get(Kind::Bucket, "kept-bucket").expect("the bucket is still there");
        assert!(bucket.owner().is_none() && !bucket.spec.tags().contains_key(ADDRESS_TAG));
        assert_eq!(bucket.spec.tags().get("team").map(String::as_str), Some("data"), "other tags are kept");
        let live = crate::testing::live_of(&without, &provider).await;
        assert!(!crate::plan::build(&without, &live).unwrap().has_changes(), "no plan touches it again");
    }

    #[tokio::test]
    async fn an_instance_removed_from_a_for_each_is_found_by_its_address_and_forgotten() {
        let fake = Arc::new(FakeProvider::new());
        let provider: Arc<dyn Provider> = fake.clone();
        let with = |keys: &str| {
            stack(&format!(
                "[stack]\nname = \"fleet\"\n[bucket.raw]\nfor_each = [{keys}]\nname = \"raw-${{each.key}}\"\n"
            ))
        };
        let both = with("\"eu\", \"us\"");
        let live = crate::live::read(&both, &provider, &[]).await.unwrap();
        let plan = crate::plan::build(&both, &live).unwrap();
        let (_stop, stopped) = tokio::sync::watch::channel(false);
        assert!(crate::apply::execute(&plan, &provider, 4, stopped, |_| {}).await.complete());
        assert_eq!(fake.get(Kind::Bucket, "raw-us").unwrap().spec.tags()[ADDRESS_TAG], "bucket.raw=us");

        // `us` taken out: an orphan at its instance address, found in Terraform's quoted form too.
        let eu = with("\"eu\"");
        let live = crate::testing::live_of(&eu, &provider).await;
        assert_eq!(live.orphans.iter().map(|(a, _)| a.to_string()).collect::<Vec<_>>(), ["bucket.raw[us]"]);
        let r = find(&eu, &live, &Address::parse("bucket.raw[\"us\"]").unwrap()).unwrap();
        assert!(!r.still_declared && r.live.spec.physical_name() == "raw-us");
        release(fake.as_ref(), &r).await.unwrap();
        let live = crate::testing::live_of(&eu, &provider).await;
        assert!(!crate::plan::build(&eu, &live).unwrap().has_changes(), "the other instance is untouched");
        assert!(fake.get(Kind::Bucket, "raw-us").unwrap().owner().is_none());
    }
}
