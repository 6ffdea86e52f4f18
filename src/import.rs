//! `provision import ADDRESS`: takes ownership of an existing resource of the wanted name by
//! tagging it as this stack's. Nothing else about it changes; the next plan shows what apply
//! would change to match stack.toml.

use crate::model::{Address, Live, Stack, Tags, ADDRESS_TAG, HOME_TAG, LOCATION_TAG, OWNER_TAG};
use crate::output::escape;
use crate::provider::{Lookup, Provider};
use anyhow::{bail, Context as _, Result};

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Imported {
    /// The resource now carries this stack's ownership tags.
    Adopted { address: Address, name: String },
    /// It was this stack's already: nothing was changed.
    AlreadyOurs { address: Address, name: String },
}

/// An import about to happen: what it tags, and what apply would change afterwards.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub address: Address,
    pub name: String,
    pub live: Live,
    /// Whether the stack owns it already (nothing to do).
    pub already_ours: bool,
    /// The attributes apply would then change to match stack.toml.
    pub then: Vec<String>,
}

/// Reads what `address` names and checks it can be imported: it exists and no stack owns it.
pub async fn prepare(stack: &Stack, provider: &dyn Provider, address: &Address) -> Result<Prepared> {
    let address = address.clone();
    let resource =
        stack.get(&address).with_context(|| format!("{address} is not declared in {}", stack.file.display()))?;
    let name = resource.physical_name().to_string();
    let Some(mut live) = provider
        .read(&resource.location, Lookup { kind: address.kind, name: &name, desired: Some(&resource.spec), tags: None })
        .await?
    else {
        bail!("{address} ({name}) does not exist: nothing to import; `provision apply` creates it");
    };
    live.set_aside(&stack.ignore_tags);
    let already_ours = match live.owner() {
        Some(owner) if owner == stack.name => true,
        Some(owner) => {
            bail!("{address} ({name}) is owned by stack \"{}\"; destroy or release it there first", escape(owner))
        }
        None => false,
    };
    // What apply would change once it is the stack's: the diff with the ownership tags in place.
    let mut owned = live.spec.with_local_settings(&resource.spec);
    owned.tags_mut().extend(ownership(stack, &address));
    let desired = resource.spec.known_from_live(&owned);
    let then = match crate::plan::diff::diff(Some(&desired), Some(&owned)) {
        crate::plan::diff::Outcome::Update(a) | crate::plan::diff::Outcome::Replace(a, _) => {
            a.into_iter().map(|c| c.key).collect()
        }
        _ => vec![],
    };
    Ok(Prepared { address, name, live, already_ours, then })
}

/// The ownership tags of `address` in `stack`: the stack, the address, where it lives and the
/// deployment's home.
fn ownership(stack: &Stack, address: &Address) -> Tags {
    let mut tags = Tags::from([
        (OWNER_TAG.to_string(), stack.name.clone()),
        (ADDRESS_TAG.to_string(), address.tag_value()),
        (HOME_TAG.to_string(), stack.home().tag_value()),
    ]);
    if let Some(r) = stack.get(address) {
        tags.insert(LOCATION_TAG.to_string(), r.location.tag_value());
    }
    tags
}

/// Tags the prepared resource as the stack's (nothing when it is already).
pub async fn apply(stack: &Stack, provider: &dyn Provider, prepared: Prepared) -> Result<Imported> {
    let Prepared { address, name, live, already_ours, .. } = prepared;
    if already_ours {
        return Ok(Imported::AlreadyOurs { address, name });
    }
    provider.tag(&live, &ownership(stack, &address)).await?;
    Ok(Imported::Adopted { address, name })
}

/// Prepares and applies an import at once.
pub async fn import(stack: &Stack, provider: &dyn Provider, address: &Address) -> Result<Imported> {
    let prepared = prepare(stack, provider, address).await?;
    apply(stack, provider, prepared).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, OWNER_TAG};
    use crate::provider::fake::FakeProvider;
    use crate::testing::{stack, BUCKET, DEFAULT_STACK};

    #[tokio::test]
    async fn an_unowned_resource_is_adopted_once_and_another_stacks_never() {
        let fake = FakeProvider::new();
        let s = stack(DEFAULT_STACK);
        let error = import(&s, &fake, &Address::parse("bucket.data").unwrap()).await.unwrap_err().to_string();
        assert!(error.contains("does not exist"), "{error}");
        assert!(import(&s, &fake, &Address::parse("bucket.nope").unwrap())
            .await
            .unwrap_err()
            .to_string()
            .contains("not declared"));

        let mut bucket = s.get(&Address::new(Kind::Bucket, "data")).unwrap().spec.clone();
        bucket.tags_mut().clear();
        fake.insert(bucket);
        let prepared = prepare(&s, &fake, &Address::parse("bucket.data").unwrap()).await.unwrap();
        assert!(!prepared.already_ours);
        assert_eq!(prepared.then, ["tags.project"], "what apply would change after: the stack tag it lacks");
        let adopted = apply(&s, &fake, prepared).await.unwrap();
        assert_eq!(adopted, Imported::Adopted { address: Address::new(Kind::Bucket, "data"), name: BUCKET.into() });
        let tags = fake.get(Kind::Bucket, BUCKET).unwrap().spec.tags().clone();
        assert_eq!((tags[OWNER_TAG].as_str(), tags[ADDRESS_TAG].as_str()), ("firehose-dp-demo", "bucket.data"));
        assert!(matches!(
            import(&s, &fake, &Address::parse("bucket.data").unwrap()).await.unwrap(),
            Imported::AlreadyOurs { .. }
        ));

        let mut role = s.get(&Address::new(Kind::Role, "delivery")).unwrap().spec.clone();
        role.tags_mut().insert(OWNER_TAG.into(), "other-stack".into());
        fake.insert(role);
        let error = import(&s, &fake, &Address::parse("role.delivery").unwrap()).await.unwrap_err().to_string();
        assert!(error.contains("owned by stack \"other-stack\""), "{error}");
        assert!(!fake.calls().iter().any(|c| c.starts_with("tag firehose-dp-demo-delivery")));
    }
}
