//! Stack locks: one S3 object per stack, written with a conditional put (`If-None-Match: *`), so two
//! runs on different machines cannot both hold it. The objects live in a bucket of provision's own,
//! `provision-locks-<account>-<region>`, created on first use and shared by every stack there.

use super::sdk_error;
use anyhow::{bail, Result};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::PublicAccessBlockConfiguration;
use aws_sdk_s3::Client;
use serde::{Deserialize, Serialize};

/// Who holds a lock, and since when.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Holder {
    pub who: String,
    pub command: String,
    pub since: String,
}

impl Holder {
    fn current(command: &str) -> Holder {
        let user = std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "unknown".into());
        let host = std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_string())
            .or_else(|_| std::env::var("HOSTNAME"))
            .unwrap_or_else(|_| "unknown-host".into());
        let since = aws_smithy_types::DateTime::from(std::time::SystemTime::now())
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .unwrap_or_default();
        Holder { who: format!("{user}@{host} (pid {})", std::process::id()), command: command.into(), since }
    }
}

/// A held lock; release it with [`Lock::release`].
pub struct Lock {
    client: Client,
    bucket: String,
    key: String,
}

/// The lock bucket of an account and region.
pub fn bucket_name(account_id: &str, region: &str) -> String {
    format!("provision-locks-{account_id}-{region}")
}

fn key(stack: &str) -> String {
    format!("{stack}.lock")
}

async fn ensure_bucket(client: &Client, bucket: &str, region: &str) -> Result<()> {
    if client.head_bucket().bucket(bucket).send().await.is_ok() {
        return Ok(());
    }
    let mut request = client.create_bucket().bucket(bucket);
    if region != "us-east-1" {
        request = request.create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(region))
                .build(),
        );
    }
    match request.send().await {
        Ok(_) => {}
        Err(e) if matches!(e.code(), Some("BucketAlreadyOwnedByYou")) => return Ok(()),
        Err(e) => return Err(sdk_error(e).context(format!("creating the lock bucket {bucket}"))),
    }
    client
        .put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

/// Reads who holds the stack's lock, if anyone.
pub async fn holder(client: &Client, account_id: &str, region: &str, stack: &str) -> Result<Option<Holder>> {
    let bucket = bucket_name(account_id, region);
    match client.get_object().bucket(&bucket).key(key(stack)).send().await {
        Ok(out) => {
            let bytes = out.body.collect().await?.into_bytes();
            Ok(Some(serde_json::from_slice(&bytes).unwrap_or(Holder {
                who: "unknown".into(),
                command: "unknown".into(),
                since: "unknown".into(),
            })))
        }
        Err(e) if matches!(e.code(), Some("NoSuchKey") | Some("NoSuchBucket")) => Ok(None),
        Err(e) => Err(sdk_error(e)),
    }
}

/// Takes the stack's lock for `command`, or fails at once naming the holder and since when.
pub async fn acquire(client: &Client, account_id: &str, region: &str, stack: &str, command: &str) -> Result<Lock> {
    let bucket = bucket_name(account_id, region);
    ensure_bucket(client, &bucket, region).await?;
    let body = serde_json::to_vec(&Holder::current(command))?;
    let put = client
        .put_object()
        .bucket(&bucket)
        .key(key(stack))
        .if_none_match("*")
        .content_type("application/json")
        .body(ByteStream::from(body))
        .send()
        .await;
    match put {
        Ok(_) => Ok(Lock { client: client.clone(), bucket, key: key(stack) }),
        Err(e) if matches!(e.code(), Some("PreconditionFailed") | Some("ConditionalRequestConflict")) => {
            match holder(client, account_id, region, stack).await? {
                Some(h) => bail!(
                    "stack \"{stack}\" is locked by {} running `{}` since {}. If that run is gone, break the lock with `provision unlock`",
                    h.who,
                    h.command,
                    h.since
                ),
                None => bail!("stack \"{stack}\" was locked by another run a moment ago; try again"),
            }
        }
        Err(e) => Err(sdk_error(e).context(format!("taking the lock s3://{bucket}/{}", key(stack)))),
    }
}

impl Lock {
    /// Releases the lock.
    pub async fn release(self) -> Result<()> {
        self.client.delete_object().bucket(&self.bucket).key(&self.key).send().await.map_err(sdk_error)?;
        Ok(())
    }
}

/// Breaks the stack's lock, whoever holds it; returns who held it.
pub async fn break_lock(client: &Client, account_id: &str, region: &str, stack: &str) -> Result<Option<Holder>> {
    let held = holder(client, account_id, region, stack).await?;
    if held.is_some() {
        client
            .delete_object()
            .bucket(bucket_name(account_id, region))
            .key(key(stack))
            .send()
            .await
            .map_err(sdk_error)?;
    }
    Ok(held)
}
