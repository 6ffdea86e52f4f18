//! IAM roles: trust policy, managed policy attachments and provision's generated inline policy.

use super::{sdk_error, sync_tags};
use crate::error::has_code;
use crate::model::{Live, Outputs, RoleSpec, Spec, Tags, INLINE_POLICY_NAME};
use crate::policy;
use anyhow::{anyhow, Result};
use aws_sdk_iam::types::Tag;
use aws_sdk_iam::Client;

/// Marker in the description of roles provision creates; discovery looks for it.
pub(super) const DESCRIPTION_MARKER: &str = "Managed by provision stack";

/// Reads a role with three calls in parallel: the role (with its tags), its managed policies and
/// provision's inline policy.
pub(super) async fn read(client: &Client, name: &str) -> Result<Option<Live>> {
    let (role, managed, inline) = tokio::join!(
        client.get_role().role_name(name).send(),
        attached(client, name),
        client.get_role_policy().role_name(name).policy_name(INLINE_POLICY_NAME).send(),
    );
    let role = match role {
        Ok(out) => out.role.ok_or_else(|| anyhow!("GetRole returned no role"))?,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_entity_exception()) => return Ok(None),
        Err(e) => return Err(sdk_error(e)),
    };
    let trust = policy::decode(role.assume_role_policy_document().unwrap_or("{}")).map_err(|e| anyhow!(e))?;
    let tags: Tags = role.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect();
    let mut managed = match managed {
        Ok(list) => list,
        // Deleted between the calls: gone.
        Err(e) if has_code(&e, "NoSuchEntity") => return Ok(None),
        Err(e) => return Err(e),
    };
    managed.sort();
    let inline = match inline {
        Ok(out) => Some(policy::canonical(&policy::decode(out.policy_document()).map_err(|e| anyhow!(e))?)),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_entity_exception()) => None,
        Err(e) => return Err(sdk_error(e)),
    };
    let spec = RoleSpec {
        name: name.to_string(),
        path: role.path().to_string(),
        trust_policy: policy::canonical(&trust),
        managed_policies: managed,
        inline_policy: inline,
        tags,
    };
    Ok(Some(Live::new(Spec::Role(spec), role.arn().to_string())))
}

async fn attached(client: &Client, name: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut pages = client.list_attached_role_policies().role_name(name).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(sdk_error)?;
        out.extend(page.attached_policies().iter().filter_map(|p| p.policy_arn().map(String::from)));
    }
    Ok(out)
}

fn to_tags(tags: &Tags) -> Result<Vec<Tag>> {
    Ok(tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect::<Result<Vec<_>, _>>()?)
}

pub(super) async fn update(client: &Client, desired: &RoleSpec, live: &RoleSpec, arn: &str) -> Result<Outputs> {
    let name = &desired.name;
    if desired.trust_policy != live.trust_policy {
        client
            .update_assume_role_policy()
            .role_name(name)
            .policy_document(desired.trust_policy.to_string())
            .send()
            .await
            .map_err(sdk_error)?;
    }
    for arn in desired.managed_policies.iter().filter(|p| !live.managed_policies.contains(p)) {
        client.attach_role_policy().role_name(name).policy_arn(arn).send().await.map_err(sdk_error)?;
    }
    for arn in live.managed_policies.iter().filter(|p| !desired.managed_policies.contains(p)) {
        client.detach_role_policy().role_name(name).policy_arn(arn).send().await.map_err(sdk_error)?;
    }
    if desired.inline_policy != live.inline_policy {
        match &desired.inline_policy {
            Some(doc) => {
                client
                    .put_role_policy()
                    .role_name(name)
                    .policy_name(INLINE_POLICY_NAME)
                    .policy_document(doc.to_string())
                    .send()
                    .await
                    .map_err(sdk_error)?;
            }
            None => {
                client
                    .delete_role_policy()
                    .role_name(name)
                    .policy_name(INLINE_POLICY_NAME)
                    .send()
                    .await
                    .map_err(sdk_error)?;
            }
        }
    }
    sync_tags(
        &desired.tags,
        &live.tags,
        |add| async move { tag(client, name, &add).await },
        |keys| async move {
            client.untag_role().role_name(name).set_tag_keys(Some(keys)).send().await.map_err(sdk_error)?;
            Ok(())
        },
    )
    .await?;
    Ok(Outputs { arn: arn.to_string(), qualified_arn: None })
}

pub(super) async fn tag(client: &Client, name: &str, tags: &Tags) -> Result<()> {
    client.tag_role().role_name(name).set_tags(Some(to_tags(tags)?)).send().await.map_err(sdk_error)?;
    Ok(())
}

/// Whether a managed policy exists (GetPolicy; NoSuchEntity: it does not).
pub(super) async fn policy_exists(client: &Client, arn: &str) -> Result<bool> {
    match client.get_policy().policy_arn(arn).send().await {
        Ok(_) => Ok(true),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_entity_exception()) => Ok(false),
        Err(e) => Err(sdk_error(e)),
    }
}

/// The description marker of a stack's roles.
pub(super) fn marker(stack: &str) -> String {
    format!("{DESCRIPTION_MARKER} {stack}")
}

/// Whether a role's description carries the marker of `stack` (alone, or before the role's own
/// description kept by [`adopt`]).
pub(super) fn has_marker(description: Option<&str>, stack: &str) -> bool {
    let marker = marker(stack);
    description.is_some_and(|d| d == marker || d.starts_with(&format!("{marker}. ")))
}

/// Keeps the role names discovery listed (as IAM compares names: ignoring case) for
/// this run's reads: a declared role not among them does not exist and is not read (three IAM
/// calls saved per role of a first apply).
pub(super) fn listed_names(clients: &super::Clients, names: std::collections::HashSet<String>) {
    clients.known_names::<RoleSpec>().set(names);
}

#[async_trait::async_trait]
impl crate::provider::KindApi<RoleSpec> for super::Clients {
    async fn read(&self, name: &str, _: Option<&RoleSpec>, _: Option<&Tags>) -> Result<Option<Live>> {
        read(&self.iam, name).await
    }
    async fn create(&self, spec: &RoleSpec, _wait: std::time::Duration) -> Result<Outputs> {
        let client = &self.iam;
        let stack = spec.tags.get(crate::model::OWNER_TAG).cloned().unwrap_or_default();
        let arn = match client
            .create_role()
            .role_name(&spec.name)
            .path(&spec.path)
            .description(marker(&stack))
            .assume_role_policy_document(spec.trust_policy.to_string())
            .set_tags(Some(to_tags(&spec.tags)?))
            .send()
            .await
        {
            Ok(out) => out.role.map(|r| r.arn).unwrap_or_default(),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_entity_already_exists_exception()) => {
                // Left by an earlier attempt of ours whose answer was lost (tags are part of CreateRole,
                // so it carries ours): converge it. Anyone else's role is left alone.
                let live = read(client, &spec.name).await?.ok_or_else(|| anyhow!("role {} vanished", spec.name))?;
                super::ensure_ours(&live, &spec.tags)?;
                if let Spec::Role(live_spec) = &live.spec {
                    return update(client, spec, live_spec, &live.arn).await;
                }
                anyhow::bail!("internal error: {} is not a role", spec.name);
            }
            Err(e) => return Err(sdk_error(e)),
        };
        let empty = RoleSpec { managed_policies: vec![], inline_policy: None, ..spec.clone() };
        update(client, spec, &empty, &arn).await
    }
    async fn update(&self, desired: &RoleSpec, was: &RoleSpec, live: &Live, _: std::time::Duration) -> Result<Outputs> {
        update(&self.iam, desired, was, &live.arn).await
    }
    /// Detaches every managed policy, deletes every inline policy, then the role.
    async fn delete(&self, spec: &RoleSpec, _: &Live, _: bool, _: std::time::Duration) -> Result<()> {
        let client = &self.iam;
        let name = &spec.name;
        // Both lists side by side, then every detach and inline delete side by side: three
        // rounds of calls before DeleteRole, whatever the role holds.
        let (managed, inline) = tokio::join!(attached(client, name), async {
            client.list_role_policies().role_name(name).send().await.map_err(sdk_error)
        });
        let (managed, inline) = (managed?, inline?);
        let detaches = managed.into_iter().map(|arn| async move {
            client.detach_role_policy().role_name(name).policy_arn(arn).send().await.map(|_| ()).map_err(sdk_error)
        });
        let deletes = inline.policy_names().iter().map(|policy| async move {
            client.delete_role_policy().role_name(name).policy_name(policy).send().await.map(|_| ()).map_err(sdk_error)
        });
        let (detached, deleted) = tokio::join!(futures::future::join_all(detaches), futures::future::join_all(deletes));
        detached.into_iter().chain(deleted).collect::<Result<Vec<()>>>()?;
        super::unless_missing(client.delete_role().role_name(name).send().await, |s| s.is_no_such_entity_exception())
            .map(|_| ())
    }
    /// Nothing: a role holds no data.
    async fn data_held(&self, _: &RoleSpec, _: &Live) -> Result<Option<String>> {
        Ok(None)
    }
}

#[async_trait::async_trait]
impl crate::provider::KindTags<RoleSpec> for super::Clients {
    /// The role's tags now, from GetRole (`None`: gone).
    async fn tags_now(&self, spec: &RoleSpec, _: &Live) -> Result<Option<Tags>> {
        let (client, name) = (&self.iam, &spec.name);
        match client.get_role().role_name(name).send().await {
            Ok(out) => {
                Ok(out.role.map(|r| r.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect()))
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_entity_exception()) => Ok(None),
            Err(e) => Err(sdk_error(e)),
        }
    }
    /// Takes ownership of an existing role: its tags, and the description marker discovery looks for
    /// (IAM roles are not in the tagging API, and listing roles does not return tags). The role's
    /// own description is kept after the marker.
    async fn tag(&self, spec: &RoleSpec, _: &Live, tags: &Tags) -> Result<()> {
        let (client, name) = (&self.iam, &spec.name);
        tag(client, name, tags).await?;
        let stack = tags.get(crate::model::OWNER_TAG).cloned().unwrap_or_default();
        let role = client.get_role().role_name(name).send().await.map_err(sdk_error)?;
        let current = role.role().and_then(|r| r.description()).unwrap_or_default().to_string();
        let marker = marker(&stack);
        if !current.starts_with(&marker) {
            let description: String =
                if current.is_empty() { marker } else { format!("{marker}. {current}") }.chars().take(1000).collect();
            client.update_role().role_name(name).description(description).send().await.map_err(sdk_error)?;
        }
        Ok(())
    }
    /// Removes tags from a role and provision's marker from its description (its own kept).
    async fn untag(&self, spec: &RoleSpec, _: &Live, keys: &[String]) -> Result<()> {
        let (client, name) = (&self.iam, &spec.name);
        client.untag_role().role_name(name).set_tag_keys(Some(keys.to_vec())).send().await.map_err(sdk_error)?;
        let role = client.get_role().role_name(name).send().await.map_err(sdk_error)?;
        let current = role.role().and_then(|r| r.description()).unwrap_or_default().to_string();
        if current.starts_with(DESCRIPTION_MARKER) {
            // `<marker> <stack>` alone, or followed by `. <the role's own description>`.
            let own = current.split_once(". ").map(|(_, own)| own.to_string()).unwrap_or_default();
            client.update_role().role_name(name).description(own).send().await.map_err(sdk_error)?;
        }
        Ok(())
    }
}
