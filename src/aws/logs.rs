//! CloudWatch Logs groups and the log streams created with them.

use super::batch::Batcher;
use super::sdk_error;
use super::ArnTags;
use crate::model::{Live, LogGroupSpec, Outputs, Spec, Tags};
use anyhow::{Context, Result};
use aws_sdk_cloudwatchlogs::types::LogGroup;
use aws_sdk_cloudwatchlogs::Client;
use std::collections::{HashMap, HashSet};

/// Reads a group and the log streams it should have; tags come from discovery when known. A
/// group discovery found (its tags known) is read in one round with its streams; any other is
/// read first, its streams only if it exists: a new stack's plan waits for no stream read at
/// DescribeLogStreams' 25 a second.
pub(super) async fn read(
    client: &Client,
    reads: Option<&Batcher<LogGroup>>,
    name: &str,
    streams: &[String],
    tags: Option<&Tags>,
) -> Result<Option<Live>> {
    let group = async {
        match reads {
            Some(reads) => reads.get(name, |names| groups(client.clone(), names)).await,
            None => Ok(groups(client.clone(), vec![name.to_string()]).await?.remove(name)),
        }
    };
    let streams_present = futures::future::join_all(streams.iter().map(|stream| async move {
        let out = client.describe_log_streams().log_group_name(name).log_stream_name_prefix(stream).send().await;
        match out {
            Ok(out) => Ok(out
                .log_streams()
                .iter()
                .any(|s| s.log_stream_name() == Some(stream.as_str()))
                .then(|| stream.clone())),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => Ok(None),
            Err(e) => Err(sdk_error(e)),
        }
    }));
    let (group, present) = if tags.is_some() {
        tokio::join!(group, streams_present)
    } else {
        match group.await? {
            Some(group) => (Ok(Some(group)), streams_present.await),
            None => return Ok(None),
        }
    };
    let Some(group) = group? else {
        return Ok(None);
    };
    let present: Vec<String> = present.into_iter().collect::<Result<Vec<_>>>()?.into_iter().flatten().collect();
    let arn = group
        .log_group_arn()
        .or(group.arn())
        .map(|a| a.trim_end_matches(":*").to_string())
        .context("log group without ARN")?;
    let tags = match tags {
        Some(tags) => tags.clone(),
        None => client.tags_of(&arn).await?.unwrap_or_default(),
    };
    let spec = LogGroupSpec {
        name: name.to_string(),
        retention_days: group.retention_in_days(),
        streams: present,
        tags,
        force_destroy: false,
    };
    Ok(Some(Live::new(Spec::LogGroup(spec), arn)))
}

/// Pages of DescribeLogGroups one batch of reads may list under the names' common prefix before
/// the names not yet found are asked for one by one (a busy account's groups under that prefix).
const PREFIX_PAGES: usize = 4;

/// The groups of these names that exist, by name: listed under their longest common prefix (a
/// fleet's `/aws/kinesisfirehose/PUT-S3-` lists its groups in one call), up to [`PREFIX_PAGES`]
/// pages, then each name not found yet by its own prefix (a name sorts before every name it
/// starts, so the first page holds it).
async fn groups(client: Client, names: Vec<String>) -> Result<HashMap<String, LogGroup>> {
    let mut found: HashMap<String, LogGroup> = HashMap::new();
    let wanted: HashSet<&str> = names.iter().map(String::as_str).collect();
    let common = common_prefix(&names);
    let mut listed_all = false;
    if names.len() > 1 && !common.is_empty() {
        let mut pages = client.describe_log_groups().log_group_name_prefix(common).into_paginator().send();
        let mut read = 0;
        listed_all = loop {
            if read == PREFIX_PAGES || found.len() == wanted.len() {
                break found.len() == wanted.len();
            }
            let Some(page) = pages.next().await else { break true };
            read += 1;
            for g in page.map_err(sdk_error)?.log_groups() {
                if let Some(n) = g.log_group_name().filter(|n| wanted.contains(n)) {
                    found.insert(n.to_string(), g.clone());
                }
            }
        };
    }
    if !listed_all {
        let missing: Vec<&String> = names.iter().filter(|n| !found.contains_key(n.as_str())).collect();
        for name in missing {
            let out = client.describe_log_groups().log_group_name_prefix(name).send().await.map_err(sdk_error)?;
            if let Some(g) = out.log_groups().iter().find(|g| g.log_group_name() == Some(name.as_str())) {
                found.insert(name.clone(), g.clone());
            }
        }
    }
    Ok(found)
}

/// The longest prefix every name starts with (cut at a character boundary).
fn common_prefix(names: &[String]) -> &str {
    let Some(first) = names.first() else { return "" };
    let mut end = first.len();
    for n in &names[1..] {
        end = first.bytes().zip(n.bytes()).take(end).take_while(|(a, b)| a == b).count();
    }
    while !first.is_char_boundary(end) {
        end -= 1;
    }
    &first[..end]
}

pub(super) async fn update(client: &Client, desired: &LogGroupSpec, live: &LogGroupSpec, arn: &str) -> Result<Outputs> {
    if desired.retention_days != live.retention_days {
        match desired.retention_days {
            Some(days) => {
                client
                    .put_retention_policy()
                    .log_group_name(&desired.name)
                    .retention_in_days(days)
                    .send()
                    .await
                    .map_err(sdk_error)?;
            }
            None => {
                client.delete_retention_policy().log_group_name(&desired.name).send().await.map_err(sdk_error)?;
            }
        }
    }
    for stream in desired.streams.iter().filter(|s| !live.streams.contains(s)) {
        match client.create_log_stream().log_group_name(&desired.name).log_stream_name(stream).send().await {
            Ok(_) => {}
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_already_exists_exception()) => {}
            Err(e) => return Err(sdk_error(e)),
        }
    }
    client.retag(arn, &desired.tags, &live.tags).await?;
    Ok(Outputs { arn: arn.to_string(), qualified_arn: None })
}

/// Pages of FilterLogEvents asked before a group is taken to hold events: AWS may answer an
/// empty page with a token while events lie further on ("This operation can return empty
/// results while there are more log events available through the token", FilterLogEvents API
/// reference), so only the last page, without a token, says "empty".
const EMPTY_PAGES: usize = 10;

/// Whether the group holds any log event: FilterLogEvents, one event asked for, following its
/// token; `true` too when [`EMPTY_PAGES`] pages end with a token still (never "empty" unsure).
pub(super) async fn holds_events(client: &Client, name: &str) -> Result<bool> {
    let mut token: Option<String> = None;
    for _ in 0..EMPTY_PAGES {
        let found = client.filter_log_events().log_group_name(name).limit(1).set_next_token(token.take()).send().await;
        let Some(out) = super::unless_missing(found, |s| s.is_resource_not_found_exception())? else {
            return Ok(false);
        };
        if !out.events().is_empty() {
            return Ok(true);
        }
        match out.next_token() {
            Some(next) => token = Some(next.to_string()),
            None => return Ok(false),
        }
    }
    Ok(true)
}

/// The bytes a group stores, as DescribeLogGroups reports them (`storedBytes`; 0 once gone),
/// read with the run's other group reads (one listing for a fleet's groups).
async fn stored_bytes(client: &Client, reads: &Batcher<LogGroup>, name: &str) -> Result<i64> {
    let group = reads.get(name, |names| groups(client.clone(), names)).await?;
    Ok(group.and_then(|g| g.stored_bytes()).unwrap_or(0))
}

/// Log group reads of this run, batched: the groups read together are listed under their
/// common prefix.
struct LogGroupReads(std::sync::Arc<Batcher<LogGroup>>);

impl Default for LogGroupReads {
    fn default() -> LogGroupReads {
        LogGroupReads(Batcher::new(50))
    }
}

#[async_trait::async_trait]
impl crate::provider::KindApi<LogGroupSpec> for super::Clients {
    async fn read(&self, name: &str, desired: Option<&LogGroupSpec>, tags: Option<&Tags>) -> Result<Option<Live>> {
        let streams = desired.map(|d| d.streams.clone()).unwrap_or_default();
        read(&self.logs, Some(&self.kind_state.get::<LogGroupReads>().0), name, &streams, tags).await
    }
    async fn create(&self, spec: &LogGroupSpec, _wait: std::time::Duration) -> Result<Outputs> {
        let client = &self.logs;
        let mut request = client.create_log_group().log_group_name(&spec.name);
        for (k, v) in &spec.tags {
            request = request.tags(k, v);
        }
        let existed = match request.send().await {
            Ok(_) => false,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_already_exists_exception()) => true,
            Err(e) => return Err(sdk_error(e)),
        };
        let live = read(client, None, &spec.name, &spec.streams, None)
            .await?
            .context("log group vanished right after creation")?;
        let Spec::LogGroup(current) = &live.spec else { anyhow::bail!("internal error: not a log group") };
        if existed {
            // Created meanwhile: by an earlier attempt of ours (the create carries the tags), or by
            // a service (Lambda and Firehose create their groups on first use) or someone else,
            // which is never adopted without `provision import`.
            super::ensure_ours(&live, &spec.tags)?;
            return update(client, spec, current, &live.arn).await;
        }
        update(client, spec, &LogGroupSpec { retention_days: None, streams: vec![], ..spec.clone() }, &live.arn).await
    }
    async fn update(
        &self,
        desired: &LogGroupSpec,
        was: &LogGroupSpec,
        live: &Live,
        _: std::time::Duration,
    ) -> Result<Outputs> {
        update(&self.logs, desired, was, &live.arn).await
    }
    /// Deletes the group; without `force_destroy`, only once FilterLogEvents, right before the
    /// delete, finds no event in it (`data_held` is the check ahead of the run).
    async fn delete(&self, spec: &LogGroupSpec, _: &Live, force_destroy: bool, _: std::time::Duration) -> Result<()> {
        let (client, name) = (&self.logs, &spec.name);
        if !force_destroy && holds_events(client, name).await? {
            anyhow::bail!(
                "log group {:?} holds log events (found right before its delete): left in place; set force_destroy = true on it to delete them",
                crate::output::escape(name)
            );
        }
        let deleted = client.delete_log_group().log_group_name(name).send().await;
        super::unless_missing(deleted, |s| s.is_resource_not_found_exception()).map(|_| ())
    }
    /// What the group stores by DescribeLogGroups' `storedBytes` (one listing for the run's groups,
    /// no call per group at FilterLogEvents' 5 a second ahead of the deletes). AWS updates that
    /// figure with a delay, so a group reporting 0 bytes may hold events just written: the
    /// delete asks FilterLogEvents right before it and keeps such a group (`delete`).
    async fn data_held(&self, spec: &LogGroupSpec, _: &Live) -> Result<Option<String>> {
        let reads = &self.kind_state.get::<LogGroupReads>().0;
        let bytes = stored_bytes(&self.logs, reads, &spec.name).await?;
        Ok((bytes > 0).then(|| format!("{bytes} byte(s) of log events")))
    }
}

arn_tags!(Client => logs for LogGroupSpec {
    arn: resource_arn,
    list: list_tags_for_resource,
    read: |out| out.tags().cloned().unwrap_or_default().into_iter().collect(),
    write: |request, tags| tags.iter().fold(request, |request, (k, v)| request.tags(k, v)),
    gone: |s| s.is_resource_not_found_exception(),
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_common_prefix_of_names_is_cut_at_a_character() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            common_prefix(&names(&["/aws/kinesisfirehose/PUT-S3-1", "/aws/kinesisfirehose/PUT-S3-2"])),
            "/aws/kinesisfirehose/PUT-S3-"
        );
        assert_eq!(common_prefix(&names(&["/a/b", "/a/b/c"])), "/a/b");
        assert_eq!(common_prefix(&names(&["é1", "é2"])), "é");
        assert_eq!(common_prefix(&names(&["éa", "èa"])), "");
        assert_eq!(common_prefix(&names(&["x", "y"])), "");
    }
}
