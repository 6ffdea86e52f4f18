//! Stack locks: one S3 object per stack, written with a conditional put (`If-None-Match: *`), so
//! two runs on different machines cannot both hold it. A run releases only the object it wrote
//! (conditional delete on its ETag), so a run whose lock was broken never deletes the next run's.
//! The objects live in `[stack] lock_bucket` or, by default, a bucket of provision's own,
//! `provision-locks-<account>-<region>-an`, created on first use in the account-regional
//! namespace (a name no other account can create, so it cannot be squatted); every call names
//! the expected bucket owner, so a lock bucket in another account is refused, never written to.
//! Where the bucket older versions used (`provision-locks-<account>-<region>`) exists, the lock
//! is taken there too, first, with the same conditional put: an older version, which looks only
//! there, and this one exclude each other. (A run of an older version that creates that bucket
//! at the very moment a newer one takes the lock is not excluded: the manual says so, docs/src/real-cloud.md.)
//! Objects an older version wrote beside a lock (`<stack>.intents/`) are ignored: nothing in the
//! lock bucket grants ownership of anything. Beside the lock, `<stack>.locations.json` lists the
//! locations the stack has written to, so that a location removed from stack.toml is still
//! searched: it says where to look, never what is the stack's.

use super::{http_status as status, sdk_error};
use crate::model::{Location, LockSettings};
use crate::provider::{Holder, LockAttempt, LockHandle, Released};
use anyhow::{Context as _, Result};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::PublicAccessBlockConfiguration;
use aws_sdk_s3::Client;

/// A lock object is a few hundred bytes; anything larger is not ours and is not read whole.
const MAX_LOCK_BYTES: usize = 64 * 1024;

fn key(stack: &str) -> String {
    format!("{stack}.lock")
}

/// The lock bucket exists in another account: provision writes nothing there.
#[derive(Debug)]
struct LockBucketElsewhere(String);

impl std::fmt::Display for LockBucketElsewhere {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the lock bucket {:?} exists in another account: provision writes nothing there. Set `lock_bucket` in [stack] to a bucket of this account, or `lock = false`",
            crate::output::escape(&self.0)
        )
    }
}

impl std::error::Error for LockBucketElsewhere {}

fn in_another_account(bucket: &str) -> anyhow::Error {
    LockBucketElsewhere(bucket.to_string()).into()
}

async fn ensure_bucket(client: &Client, owner: &str, settings: &LockSettings, region: &str) -> Result<()> {
    let bucket = settings.bucket.as_str();
    match client.head_bucket().bucket(bucket).expected_bucket_owner(owner).send().await {
        Ok(_) => return Ok(()),
        Err(e) if status(&e) == Some(403) => return Err(in_another_account(bucket)),
        Err(e) if status(&e) == Some(404) => {}
        Err(e) => return Err(sdk_error(e).context(format!("checking the lock bucket {bucket}"))),
    }
    let mut request = client.create_bucket().bucket(bucket);
    if settings.account_regional {
        request = request.bucket_namespace(aws_sdk_s3::types::BucketNamespace::AccountRegional);
    }
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
        Err(e) if matches!(e.code(), Some("BucketAlreadyExists")) => return Err(in_another_account(bucket)),
        Err(e) => return Err(sdk_error(e).context(format!("creating the lock bucket {bucket}"))),
    }
    client
        .put_public_access_block()
        .bucket(bucket)
        .expected_bucket_owner(owner)
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

/// The lock object's holder and ETag, if it exists.
async fn current(client: &Client, owner: &str, bucket: &str, stack: &str) -> Result<Option<(Holder, String)>> {
    match client.get_object().bucket(bucket).key(key(stack)).expected_bucket_owner(owner).send().await {
        Ok(out) => {
            let etag = out.e_tag().unwrap_or_default().to_string();
            let bytes = super::data::read_capped(out.body, MAX_LOCK_BYTES).await?;
            let holder = serde_json::from_slice(&bytes).unwrap_or(Holder {
                who: "unknown".into(),
                command: "unknown".into(),
                since: "unknown".into(),
                ..Holder::default()
            });
            Ok(Some((holder, etag)))
        }
        Err(e) if matches!(e.code(), Some("NoSuchKey") | Some("NoSuchBucket")) => Ok(None),
        Err(e) if status(&e) == Some(403) => Err(in_another_account(bucket)),
        Err(e) => Err(sdk_error(e)),
    }
}

/// The lock held in the bucket older versions used, if any. A legacy bucket of another account is
/// not ours to read: nothing there is a lock of this stack.
async fn legacy_lock(client: &Client, owner: &str, settings: &LockSettings) -> Result<Option<(Holder, String)>> {
    let stack = settings.stack.as_str();
    let Some(legacy) = &settings.legacy_bucket else { return Ok(None) };
    match current(client, owner, legacy, stack).await {
        Ok(held) => Ok(held),
        Err(e) if e.is::<LockBucketElsewhere>() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Writes `holder`'s lock object in `bucket` only if there is none (`If-None-Match: *`): its
/// ETag, or who holds it.
async fn put_if_absent(
    client: &Client,
    owner: &str,
    bucket: &str,
    stack: &str,
    holder: &Holder,
) -> Result<std::result::Result<String, (Holder, String)>> {
    loop {
        let put = client
            .put_object()
            .bucket(bucket)
            .key(key(stack))
            .expected_bucket_owner(owner)
            .if_none_match("*")
            .content_type("application/json")
            .body(ByteStream::from(serde_json::to_vec(holder)?))
            .send()
            .await;
        match put {
            Ok(out) => return Ok(Ok(out.e_tag().unwrap_or_default().to_string())),
            Err(e) if matches!(e.code(), Some("PreconditionFailed") | Some("ConditionalRequestConflict")) => {
                match current(client, owner, bucket, stack).await? {
                    Some(held) => return Ok(Err(held)),
                    // Released between the two calls: try again.
                    None => continue,
                }
            }
            Err(e) if status(&e) == Some(403) => return Err(in_another_account(bucket)),
            Err(e) => return Err(sdk_error(e).context(format!("taking the lock s3://{bucket}/{}", key(stack)))),
        }
    }
}

/// Whether the legacy lock bucket exists in this account (where older versions look).
async fn legacy_bucket_here(client: &Client, owner: &str, settings: &LockSettings) -> Result<Option<String>> {
    let Some(legacy) = &settings.legacy_bucket else { return Ok(None) };
    match client.head_bucket().bucket(legacy).expected_bucket_owner(owner).send().await {
        Ok(_) => Ok(Some(legacy.clone())),
        Err(e) if matches!(status(&e), Some(403) | Some(404)) => Ok(None),
        Err(e) => Err(sdk_error(e).context(format!("checking the legacy lock bucket {legacy}"))),
    }
}

/// One attempt at the stack's lock: a conditional put (`If-None-Match: *`) in the legacy bucket
/// where it exists, then in the current one; or who holds it (in either). A lock taken in the
/// legacy bucket is given back when the current one is held.
pub(super) async fn try_lock(
    client: &Client,
    owner: &str,
    region: &str,
    settings: &LockSettings,
    holder: &Holder,
) -> Result<LockAttempt> {
    let stack = settings.stack.as_str();
    let legacy = match legacy_bucket_here(client, owner, settings).await? {
        Some(bucket) => match put_if_absent(client, owner, &bucket, stack, holder).await {
            Ok(Ok(etag)) => Some((bucket, etag)),
            Ok(Err((holder, etag))) => return Ok(LockAttempt::Held { holder, etag }),
            // Not ours after all: nothing there is a lock of this stack.
            Err(e) if e.is::<LockBucketElsewhere>() => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    let bucket = settings.bucket.as_str();
    let taken = async {
        ensure_bucket(client, owner, settings, region).await?;
        put_if_absent(client, owner, bucket, stack, holder).await
    }
    .await;
    match taken {
        Ok(Ok(etag)) => {
            Ok(LockAttempt::Taken(LockHandle { bucket: bucket.into(), key: key(stack), etag, took_over: None, legacy }))
        }
        other => {
            if let Some((legacy_bucket, etag)) = &legacy {
                delete_if_match(client, owner, legacy_bucket, stack, etag).await?;
            }
            match other? {
                Err((holder, etag)) => Ok(LockAttempt::Held { holder, etag }),
                Ok(_) => unreachable!("handled above"),
            }
        }
    }
}

/// Replaces the lock object `etag` with `holder`'s, only if it is still that object. A lock held
/// in the legacy bucket is deleted there (conditionally) instead: `None`, and the next attempt
/// takes the lock in the current bucket.
pub(super) async fn take_over(
    client: &Client,
    owner: &str,
    settings: &LockSettings,
    holder: &Holder,
    etag: &str,
) -> Result<Option<LockHandle>> {
    let stack = settings.stack.as_str();
    if let (Some(legacy), Some((_, held))) = (&settings.legacy_bucket, legacy_lock(client, owner, settings).await?) {
        if held == etag {
            delete_if_match(client, owner, legacy, stack, etag).await?;
        }
        return Ok(None);
    }
    let bucket = settings.bucket.as_str();
    let put = client
        .put_object()
        .bucket(bucket)
        .key(key(stack))
        .expected_bucket_owner(owner)
        .if_match(etag)
        .content_type("application/json")
        .body(ByteStream::from(serde_json::to_vec(holder)?))
        .send()
        .await;
    match put {
        Ok(out) => {
            let mut handle = LockHandle {
                bucket: bucket.into(),
                key: key(stack),
                etag: out.e_tag().unwrap_or_default().into(),
                took_over: None,
                legacy: None,
            };
            // Written in the legacy bucket too, where it exists; held there meanwhile: given
            // back, and the next attempt finds who holds it.
            if let Some(legacy) = legacy_bucket_here(client, owner, settings).await? {
                match put_if_absent(client, owner, &legacy, stack, holder).await {
                    Ok(Ok(etag)) => handle.legacy = Some((legacy, etag)),
                    Err(e) if e.is::<LockBucketElsewhere>() => {}
                    other => {
                        delete_if_match(client, owner, bucket, stack, &handle.etag).await?;
                        let _held = other?;
                        return Ok(None);
                    }
                }
            }
            Ok(Some(handle))
        }
        Err(e)
            if matches!(
                e.code(),
                Some("PreconditionFailed") | Some("ConditionalRequestConflict") | Some("NoSuchKey")
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(sdk_error(e).context(format!("taking over the lock s3://{bucket}/{}", key(stack)))),
    }
}

/// Deletes the lock object only if it is still the one this run wrote (in the legacy bucket too).
pub(super) async fn release(client: &Client, owner: &str, lock: &LockHandle) -> Result<Released> {
    let stack = lock.key.trim_end_matches(".lock");
    if let Some((bucket, etag)) = &lock.legacy {
        delete_if_match(client, owner, bucket, stack, etag).await?;
    }
    match current(client, owner, &lock.bucket, stack).await? {
        Some((_, etag)) if etag == lock.etag => {
            // Conditional on the ETag: a lock re-taken in between is left alone.
            match client
                .delete_object()
                .bucket(&lock.bucket)
                .key(&lock.key)
                .expected_bucket_owner(owner)
                .if_match(&lock.etag)
                .send()
                .await
            {
                Ok(_) => Ok(Released::Ours),
                Err(e) if matches!(e.code(), Some("PreconditionFailed")) => {
                    Ok(Released::NotOurs(current(client, owner, &lock.bucket, stack).await?.map(|(h, _)| h)))
                }
                Err(e) => Err(sdk_error(e)),
            }
        }
        other => Ok(Released::NotOurs(other.map(|(h, _)| h))),
    }
}

/// Deletes the lock object only if it is still `etag`; `false` when it changed or is gone.
async fn delete_if_match(client: &Client, owner: &str, bucket: &str, stack: &str, etag: &str) -> Result<bool> {
    match client.delete_object().bucket(bucket).key(key(stack)).expected_bucket_owner(owner).if_match(etag).send().await
    {
        Ok(_) => Ok(true),
        Err(e) if matches!(e.code(), Some("PreconditionFailed") | Some("NoSuchKey")) || status(&e) == Some(412) => {
            Ok(false)
        }
        Err(e) => Err(sdk_error(e)),
    }
}

/// Breaks the stack's lock, whoever holds it (here and in the legacy bucket); returns who held
/// it. Each delete is conditional on the ETag read: a lock released and taken again in between
/// is never broken, and the run that holds it now is named.
pub(super) async fn break_lock(client: &Client, owner: &str, settings: &LockSettings) -> Result<Option<Holder>> {
    let stack = settings.stack.as_str();
    let legacy = legacy_lock(client, owner, settings).await?.zip(settings.legacy_bucket.clone());
    let here = current(client, owner, &settings.bucket, stack).await?.map(|held| (held, settings.bucket.clone()));
    let mut broken = None;
    for ((holder, etag), bucket) in legacy.into_iter().chain(here) {
        if !delete_if_match(client, owner, &bucket, stack, &etag).await? {
            let now = current(client, owner, &bucket, stack).await?;
            let who = now.map(|(h, _)| h.escaped().who).unwrap_or_else(|| "nobody (released)".into());
            anyhow::bail!(
                "the lock of stack \"{stack}\" changed while it was being broken (now held by {who}): nothing was broken. Run `provision unlock` again if that run is gone too"
            );
        }
        broken = Some(holder);
    }
    Ok(broken)
}

/// The object listing where the stack has written: `<stack>.locations.json` beside its lock.
fn index_key(stack: &str) -> String {
    format!("{stack}.locations.json")
}

/// At most this many locations are read from an index (a stack declares far fewer).
const MAX_INDEXED: usize = 1_000;

/// The locations the stack's index lists (none when there is no index yet). Only where to look:
/// what is found there is the stack's only by its tags; an entry that is not an account and a
/// Region is skipped.
pub(super) async fn read_index(client: &Client, owner: &str, settings: &LockSettings) -> Result<Vec<Location>> {
    let stack = settings.stack.as_str();
    let bucket = settings.bucket.as_str();
    match client.get_object().bucket(bucket).key(index_key(stack)).expected_bucket_owner(owner).send().await {
        Ok(out) => {
            let bytes = super::data::read_capped(out.body, MAX_LOCK_BYTES).await?;
            let entries: Vec<String> = serde_json::from_slice(&bytes).unwrap_or_default();
            Ok(entries.iter().take(MAX_INDEXED).filter_map(|e| Location::from_tag(e)).collect())
        }
        Err(e) if matches!(e.code(), Some("NoSuchKey") | Some("NoSuchBucket")) => Ok(Vec::new()),
        Err(e) if status(&e) == Some(403) => Err(in_another_account(bucket)),
        Err(e) => Err(sdk_error(e).context(format!("reading s3://{bucket}/{}", index_key(stack)))),
    }
}

/// Writes the stack's index (deletes it when `locations` is empty).
pub(super) async fn write_index(
    client: &Client,
    owner: &str,
    region: &str,
    settings: &LockSettings,
    locations: &[Location],
) -> Result<()> {
    let stack = settings.stack.as_str();
    let bucket = settings.bucket.as_str();
    if locations.is_empty() {
        return match client
            .delete_object()
            .bucket(bucket)
            .key(index_key(stack))
            .expected_bucket_owner(owner)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.code(), Some("NoSuchBucket")) => Ok(()),
            Err(e) => Err(sdk_error(e).context(format!("deleting s3://{bucket}/{}", index_key(stack)))),
        };
    }
    ensure_bucket(client, owner, settings, region).await?;
    let entries: Vec<String> = locations.iter().map(Location::tag_value).collect();
    client
        .put_object()
        .bucket(bucket)
        .key(index_key(stack))
        .expected_bucket_owner(owner)
        .content_type("application/json")
        .body(ByteStream::from(serde_json::to_vec(&entries)?))
        .send()
        .await
        .map_err(sdk_error)
        .with_context(|| format!("writing s3://{bucket}/{}", index_key(stack)))?;
    Ok(())
}
