//! SNS topics and their subscriptions.

use super::sdk_error;
use super::ArnTags;
use crate::model::kinds::topic::Subscription;
use crate::model::{Live, Outputs, Spec, Tags, TopicSpec};
use anyhow::Result;
use aws_sdk_sns::error::ProvideErrorMetadata;
use aws_sdk_sns::types::Tag;
use aws_sdk_sns::Client;
use std::time::Duration;

/// Whether an SNS error says the topic (or the resource) does not exist.
fn not_found<E: ProvideErrorMetadata>(e: &E) -> bool {
    matches!(
        e.code(),
        Some("NotFound") | Some("NotFoundException") | Some("ResourceNotFound") | Some("ResourceNotFoundException")
    )
}

fn sns_tags(tags: &Tags) -> Result<Vec<Tag>> {
    tags.iter().map(|(k, v)| Ok(Tag::builder().key(k).value(v).build()?)).collect()
}

/// Reads a topic by ARN (`None`: it does not exist), with its subscriptions, pending ones
/// included (a subscription awaiting its owner's confirmation is not drift).
pub(super) async fn read(client: &Client, arn: &str, name: &str, tags: Option<&Tags>) -> Result<Option<Live>> {
    match client.get_topic_attributes().topic_arn(arn).send().await {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(not_found) => return Ok(None),
        Err(e) => return Err(sdk_error(e)),
    }
    let (subscriptions, tags) = tokio::join!(subscriptions(client, arn), async {
        match tags {
            Some(t) => Ok(Some(t.clone())),
            None => client.tags_of(arn).await,
        }
    });
    let mut subscriptions: Vec<Subscription> = subscriptions?.into_iter().map(|(s, _)| s).collect();
    subscriptions.sort();
    subscriptions.dedup();
    let spec = TopicSpec { name: name.to_string(), subscriptions, tags: tags?.unwrap_or_default() };
    Ok(Some(Live::new(Spec::Topic(spec), arn.to_string())))
}

/// A topic's subscriptions, each with its ARN (`None` while it awaits confirmation), every page.
async fn subscriptions(client: &Client, arn: &str) -> Result<Vec<(Subscription, Option<String>)>> {
    let mut out = Vec::new();
    let mut pages = client.list_subscriptions_by_topic().topic_arn(arn).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(page) => page,
            Err(e) if e.as_service_error().is_some_and(not_found) => break,
            Err(e) => return Err(sdk_error(e)),
        };
        for s in page.subscriptions() {
            let sub = Subscription {
                protocol: s.protocol().unwrap_or_default().to_string(),
                endpoint: s.endpoint().unwrap_or_default().to_string(),
            };
            let confirmed = s.subscription_arn().filter(|a| a.starts_with("arn:")).map(String::from);
            out.push((sub, confirmed));
        }
    }
    Ok(out)
}

async fn subscribe(client: &Client, arn: &str, subscriptions: &[Subscription]) -> Result<()> {
    for s in subscriptions {
        client
            .subscribe()
            .topic_arn(arn)
            .protocol(&s.protocol)
            .endpoint(&s.endpoint)
            .send()
            .await
            .map_err(sdk_error)?;
    }
    Ok(())
}

/// Subscribes what is missing, unsubscribes confirmed subscriptions no longer wanted (one
/// awaiting confirmation cannot be: SNS deletes it after three days), syncs the tags.
pub(super) async fn update(client: &Client, desired: &TopicSpec, live: &TopicSpec, arn: &str) -> Result<Outputs> {
    let missing: Vec<Subscription> =
        desired.subscriptions.iter().filter(|s| !live.subscriptions.contains(s)).cloned().collect();
    subscribe(client, arn, &missing).await?;
    for (s, confirmed) in subscriptions(client, arn).await? {
        if let (false, Some(subscription)) = (desired.subscriptions.contains(&s), confirmed) {
            client.unsubscribe().subscription_arn(subscription).send().await.map_err(sdk_error)?;
        }
    }
    client.retag(arn, &desired.tags, &live.tags).await?;
    Ok(Outputs { arn: arn.to_string(), qualified_arn: None })
}

#[async_trait::async_trait]
impl crate::provider::KindApi<TopicSpec> for super::Clients {
    async fn read(&self, name: &str, _: Option<&TopicSpec>, tags: Option<&Tags>) -> Result<Option<Live>> {
        read(&self.sns, &self.env()?.topic_arn(name), name, tags).await
    }
    /// Creates the topic with its tags (CreateTopic returns the existing topic's ARN when one of
    /// that name exists: it is converged only when it carries the stack's tags), then subscribes.
    /// A topic someone makes between that read and CreateTopic makes CreateTopic fail on AWS (its
    /// tags differ from the call's); its tags are read back before subscribing all the same (an
    /// emulator may answer with the existing topic), so no subscription is ever added to another's.
    async fn create(&self, spec: &TopicSpec, _: Duration) -> Result<Outputs> {
        let (client, arn) = (&self.sns, &self.env()?.topic_arn(&spec.name));
        if let Some(existing) = read(client, arn, &spec.name, None).await? {
            super::ensure_ours(&existing, &spec.tags)?;
            let Spec::Topic(was) = &existing.spec else { anyhow::bail!("internal error: not a topic") };
            return update(client, spec, was, arn).await;
        }
        let out = match client.create_topic().name(&spec.name).set_tags(Some(sns_tags(&spec.tags)?)).send().await {
            Ok(out) => out,
            // "Topic already exists with different tags": another's, made since the read above.
            Err(e)
                if e.as_service_error().is_some_and(|s| {
                    s.code() == Some("InvalidParameter") && s.message().is_some_and(|m| m.contains("already exists"))
                }) =>
            {
                return Err(crate::error::NotOwned { kind: crate::model::Kind::Topic, name: spec.name.clone() }.into());
            }
            Err(e) => return Err(sdk_error(e)),
        };
        let arn = out.topic_arn().unwrap_or(arn).to_string();
        let tags = client.tags_of(&arn).await?.unwrap_or_default();
        let created = Live::new(Spec::Topic(TopicSpec { tags, ..spec.clone() }), arn.clone());
        super::ensure_ours(&created, &spec.tags)?;
        subscribe(client, &arn, &spec.subscriptions).await?;
        Ok(Outputs { arn, qualified_arn: None })
    }
    async fn update(&self, desired: &TopicSpec, was: &TopicSpec, live: &Live, _: Duration) -> Result<Outputs> {
        update(&self.sns, desired, was, &live.arn).await
    }
    async fn delete(&self, _: &TopicSpec, live: &Live, _: bool, _: Duration) -> Result<()> {
        let (client, arn) = (&self.sns, &live.arn);
        super::unless_missing(client.delete_topic().topic_arn(arn).send().await, not_found).map(|_| ())
    }
    /// Nothing: a topic holds its subscriptions, which stack.toml declares.
    async fn data_held(&self, _: &TopicSpec, _: &Live) -> Result<Option<String>> {
        Ok(None)
    }
}

arn_tags!(Client => sns for TopicSpec {
    arn: resource_arn,
    list: list_tags_for_resource,
    read: |out| out.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect(),
    write: |request, tags| request.set_tags(Some(sns_tags(tags)?)),
    gone: not_found,
});
