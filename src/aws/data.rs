//! The data path's AWS calls: sending batches to a stream, reading its bucket and its delivery
//! log for `verify`.

use super::{sdk_error, Clients};
use crate::datapath::send::{BatchSink, PutError};
use crate::datapath::verify::{Bucket, Content, ListedObject, ObjectScan};
use anyhow::Result;
use async_trait::async_trait;
use aws_sdk_firehose::error::SdkError;
use aws_sdk_firehose::primitives::Blob;
use aws_sdk_firehose::types::Record;

/// A stream as `send` sees it: PutRecordBatch with the SDK's own retries off, so that the
/// sender alone decides what is sent again (and never resends a call whose answer was lost).
pub struct StreamSink {
    client: aws_sdk_firehose::Client,
    stream: String,
}

#[async_trait]
impl BatchSink for StreamSink {
    async fn put(&self, entries: &[Vec<u8>]) -> Result<Vec<Option<String>>, PutError> {
        let records: Vec<Record> = entries
            .iter()
            .map(|d| Record::builder().data(Blob::new(d.as_slice())).build())
            .collect::<Result<_, _>>()
            .map_err(|e| PutError::Rejected(format!("internal error building a record: {e}")))?;
        match self.client.put_record_batch().delivery_stream_name(&self.stream).set_records(Some(records)).send().await
        {
            Ok(out) => {
                let codes: Vec<Option<String>> =
                    out.request_responses().iter().map(|r| r.error_code().map(String::from)).collect();
                let failed = codes.iter().filter(|c| c.is_some()).count();
                if usize::try_from(out.failed_put_count()).ok() != Some(failed) {
                    // The answer contradicts itself: nothing in it can be trusted.
                    return Err(PutError::Unknown(format!(
                        "the answer says {} failed but lists {failed}",
                        out.failed_put_count()
                    )));
                }
                Ok(codes)
            }
            // Not even sent (no connection could be made): safe to send again.
            Err(SdkError::DispatchFailure(d)) if d.is_io() && format!("{d:?}").contains("ConnectError") => {
                Err(PutError::Retry)
            }
            Err(e @ SdkError::ServiceError(_)) => {
                // Classified as every other call is (see `crate::error`): throttling refuses the
                // call before it is processed; a server error may come after the records were
                // stored.
                let e = sdk_error(e);
                let aws = crate::error::aws_error(&e);
                Err(match aws {
                    Some(a) if a.has_code("ResourceNotFoundException") => PutError::NotFound,
                    Some(a) if a.is_throttling() => PutError::Retry,
                    Some(a) if a.is_server_or_network() => PutError::Unknown(e.to_string()),
                    _ => PutError::Rejected(e.to_string()),
                })
            }
            // The request may have left: its answer is lost.
            Err(e) => Err(PutError::Unknown(sdk_error(e).to_string())),
        }
    }
}

/// One log event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    pub id: String,
    /// Milliseconds since the epoch.
    pub time_ms: i64,
    /// As written: anyone's text, escaped before it is printed.
    pub message: String,
}

impl Clients {
    /// A sender for stream `name`.
    pub fn stream_sink(&self, name: &str) -> StreamSink {
        let config = aws_sdk_firehose::config::Builder::from(&self.sdk_config)
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build();
        StreamSink { client: aws_sdk_firehose::Client::from_conf(config), stream: name.to_string() }
    }

    /// A stream's status (`ACTIVE`, `CREATING`...), or `None` if it does not exist.
    pub async fn stream_status(&self, name: &str) -> Result<Option<String>> {
        Ok(super::unless_missing(
            self.firehose.describe_delivery_stream().delivery_stream_name(name).send().await,
            |s| s.is_resource_not_found_exception(),
        )?
        .and_then(|out| out.delivery_stream_description().map(|d| d.delivery_stream_status().as_str().to_string())))
    }

    /// Every object under `prefix` (paginated), naming the expected bucket owner. Keys are listed
    /// URL-encoded (a key holding control characters cannot break the answer) and decoded here.
    pub async fn list_objects(&self, bucket: &str, prefix: &str) -> Result<Vec<ListedObject>> {
        let owner = self.owner()?.to_string();
        let mut out = Vec::new();
        let mut pages = self
            .s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .encoding_type(aws_sdk_s3::types::EncodingType::Url)
            .expected_bucket_owner(owner)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(sdk_error).map_err(|e| e.context(format!("ListObjectsV2 of s3://{bucket}/{prefix}")))?;
            let encoded = page.encoding_type() == Some(&aws_sdk_s3::types::EncodingType::Url);
            for o in page.contents() {
                let key = o.key().unwrap_or_default();
                out.push(ListedObject {
                    key: if encoded { decode_key(key) } else { key.to_string() },
                    size: o.size().unwrap_or(0).max(0) as u64,
                    modified: o.last_modified().map(|t| t.secs()).unwrap_or(0),
                });
            }
        }
        Ok(out)
    }

    /// Reads an object as it downloads (see [`ObjectScan`]), naming the expected bucket owner;
    /// only counts and a few documents are kept, whatever its size.
    pub async fn scan_object(&self, bucket: &str, key: &str, gzip: bool) -> Result<Content> {
        let out = self
            .s3
            .get_object()
            .bucket(bucket)
            .key(key)
            .expected_bucket_owner(self.owner()?)
            .send()
            .await
            .map_err(sdk_error)
            .map_err(|e| e.context(format!("GetObject of s3://{bucket}/{}", crate::output::escape(key))))?;
        let mut body = out.body;
        let mut scan = ObjectScan::new(gzip);
        while let Some(chunk) = body.try_next().await? {
            if !scan.push(&chunk) {
                break;
            }
        }
        Ok(scan.finish())
    }

    /// The latest messages of a log stream (the stream's delivery errors), oldest first.
    /// Every event of a log group (one of its streams, if given) at or after `start_ms`, oldest
    /// first; a group that does not exist (yet) has none.
    pub async fn log_events(&self, group: &str, stream: Option<&str>, start_ms: i64) -> Result<Vec<LogEvent>> {
        let mut out = Vec::new();
        let mut pages = self
            .logs
            .filter_log_events()
            .log_group_name(group)
            .set_log_stream_names(stream.map(|s| vec![s.to_string()]))
            .start_time(start_ms)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            match page {
                Ok(page) => out.extend(page.events().iter().map(|e| LogEvent {
                    id: e.event_id().unwrap_or_default().to_string(),
                    time_ms: e.timestamp().unwrap_or_default(),
                    message: e.message().unwrap_or_default().to_string(),
                })),
                Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => break,
                Err(e) => return Err(sdk_error(e)),
            }
        }
        out.sort_by_key(|e| e.time_ms);
        Ok(out)
    }

    pub async fn recent_log_events(&self, group: &str, stream: &str, limit: i32) -> Result<Vec<String>> {
        match self
            .logs
            .get_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .limit(limit)
            .start_from_head(false)
            .send()
            .await
        {
            Ok(out) => Ok(out.events().iter().filter_map(|e| e.message().map(crate::output::escape)).collect()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => Ok(Vec::new()),
            Err(e) => Err(sdk_error(e)),
        }
    }
}

#[async_trait]
impl Bucket for Clients {
    async fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<ListedObject>> {
        self.list_objects(bucket, prefix).await
    }

    async fn scan(&self, bucket: &str, key: &str, gzip: bool) -> Result<Content> {
        self.scan_object(bucket, key, gzip).await
    }
}

/// Reads a body up to `limit` bytes; a longer body is an error, not an allocation.
pub async fn read_capped(mut body: aws_sdk_s3::primitives::ByteStream, limit: usize) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(chunk) = body.try_next().await? {
        if out.len() + chunk.len() > limit {
            anyhow::bail!("the object is larger than {limit} bytes");
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// An object key from a listing made with `EncodingType=url`: `+` is a space, `%XX` a byte.
/// Keys are listed encoded so that a key holding control characters cannot break the answer.
///
/// ```
/// assert_eq!(provision::aws::data::decode_key("a+b%2Bc%1B%5B2J"), "a b+c\u{1b}[2J");
/// ```
pub fn decode_key(encoded: &str) -> String {
    let spaced = encoded.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}
