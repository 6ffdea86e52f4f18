//! S3 buckets.

use super::{sdk_error, Live, Outputs};
use crate::model::{BucketSpec, Spec, Tags};
use anyhow::{bail, Result};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete, ObjectIdentifier,
    PublicAccessBlockConfiguration, Tag, Tagging, VersioningConfiguration,
};
use aws_sdk_s3::Client;

pub async fn read(client: &Client, name: &str) -> Result<Option<Live>> {
    match client.head_bucket().bucket(name).send().await {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => return Ok(None),
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => return Ok(None),
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 403) => {
            bail!("bucket {name:?} exists but belongs to another account: choose another name")
        }
        Err(e) => return Err(sdk_error(e)),
    }
    let tags = match client.get_bucket_tagging().bucket(name).send().await {
        Ok(out) => out.tag_set().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect(),
        Err(e) if e.code() == Some("NoSuchTagSet") => Tags::new(),
        Err(e) => return Err(sdk_error(e)),
    };
    let versioning = match client.get_bucket_versioning().bucket(name).send().await {
        Ok(out) => out.status() == Some(&BucketVersioningStatus::Enabled),
        // moto answers a never-versioned bucket with an empty document of another root element,
        // which the SDK cannot parse; a successful (200) answer without a status means "never enabled".
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 200) => false,
        Err(e) => return Err(sdk_error(e)),
    };
    let spec = BucketSpec { name: name.to_string(), versioning, force_destroy: false, tags };
    Ok(Some(Live { arn: format!("arn:aws:s3:::{name}"), spec: Spec::Bucket(spec) }))
}

pub async fn create(client: &Client, spec: &BucketSpec) -> Result<Outputs> {
    let region = client.config().region().map(|r| r.to_string()).unwrap_or_default();
    let mut request = client.create_bucket().bucket(&spec.name);
    if region != "us-east-1" {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region.as_str()))
                .build(),
        );
    }
    match request.send().await {
        Ok(_) => {}
        // Created by an earlier, interrupted apply of ours: carry on and converge it.
        Err(e) if e.code() == Some("BucketAlreadyOwnedByYou") => {}
        Err(e) => return Err(sdk_error(e)),
    }
    client
        .put_public_access_block()
        .bucket(&spec.name)
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
    put_tags(client, &spec.name, &spec.tags).await?;
    if spec.versioning {
        set_versioning(client, &spec.name, true).await?;
    }
    Ok(Outputs { arn: format!("arn:aws:s3:::{}", spec.name), qualified_arn: None })
}

pub async fn update(client: &Client, desired: &BucketSpec, live: &BucketSpec) -> Result<Outputs> {
    if desired.tags != live.tags {
        put_tags(client, &desired.name, &desired.tags).await?;
    }
    if desired.versioning != live.versioning {
        set_versioning(client, &desired.name, desired.versioning).await?;
    }
    Ok(Outputs { arn: format!("arn:aws:s3:::{}", desired.name), qualified_arn: None })
}

async fn set_versioning(client: &Client, name: &str, enabled: bool) -> Result<()> {
    let status = if enabled { BucketVersioningStatus::Enabled } else { BucketVersioningStatus::Suspended };
    client
        .put_bucket_versioning()
        .bucket(name)
        .versioning_configuration(VersioningConfiguration::builder().status(status).build())
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

/// Replaces the bucket's tag set.
pub async fn put_tags(client: &Client, name: &str, tags: &Tags) -> Result<()> {
    let tag_set = tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect::<Result<Vec<_>, _>>()?;
    client
        .put_bucket_tagging()
        .bucket(name)
        .tagging(Tagging::builder().set_tag_set(Some(tag_set)).build()?)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

/// One page of object versions and delete markers, as identifiers.
async fn page(
    client: &Client,
    name: &str,
    key_marker: Option<String>,
    version_marker: Option<String>,
) -> Result<(Vec<ObjectIdentifier>, Option<(Option<String>, Option<String>)>)> {
    let out = client
        .list_object_versions()
        .bucket(name)
        .set_key_marker(key_marker)
        .set_version_id_marker(version_marker)
        .send()
        .await
        .map_err(sdk_error)?;
    let mut ids = Vec::new();
    for v in out.versions() {
        ids.push(
            ObjectIdentifier::builder()
                .key(v.key().unwrap_or_default())
                .set_version_id(v.version_id().map(String::from))
                .build()?,
        );
    }
    for m in out.delete_markers() {
        ids.push(
            ObjectIdentifier::builder()
                .key(m.key().unwrap_or_default())
                .set_version_id(m.version_id().map(String::from))
                .build()?,
        );
    }
    let next = out
        .is_truncated()
        .unwrap_or(false)
        .then(|| (out.next_key_marker().map(String::from), out.next_version_id_marker().map(String::from)));
    Ok((ids, next))
}

pub async fn object_count(client: &Client, name: &str) -> Result<usize> {
    let (mut count, mut next) = (0, Some((None, None)));
    while let Some((key, version)) = next {
        let (ids, more) = page(client, name, key, version).await?;
        count += ids.len();
        next = more;
    }
    Ok(count)
}

/// Deletes the bucket; with `force`, first every object version and delete marker, page by page.
pub async fn delete(client: &Client, name: &str, force: bool) -> Result<()> {
    if force {
        loop {
            let (ids, _) = page(client, name, None, None).await?;
            if ids.is_empty() {
                break;
            }
            for chunk in ids.chunks(1000) {
                client
                    .delete_objects()
                    .bucket(name)
                    .delete(Delete::builder().set_objects(Some(chunk.to_vec())).quiet(true).build()?)
                    .send()
                    .await
                    .map_err(sdk_error)?;
            }
        }
    } else {
        let count = object_count(client, name).await?;
        if count > 0 {
            bail!("bucket {name:?} holds {count} object version(s); set force_destroy = true on it to delete them");
        }
    }
    match client.delete_bucket().bucket(name).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.code() == Some("NoSuchBucket") => Ok(()),
        Err(e) => Err(sdk_error(e)),
    }
}
