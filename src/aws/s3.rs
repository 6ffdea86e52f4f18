//! S3 buckets.

use super::{sdk_error, Live, Outputs};
use crate::model::{BucketSpec, Spec, Tags};
use crate::policy;
use anyhow::{bail, Result};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete, ObjectIdentifier,
    ObjectOwnership, OwnershipControls, OwnershipControlsRule, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging,
    VersioningConfiguration,
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
    let public_access_blocked = match client.get_public_access_block().bucket(name).send().await {
        Ok(out) => out.public_access_block_configuration().is_some_and(|c| {
            [c.block_public_acls(), c.ignore_public_acls(), c.block_public_policy(), c.restrict_public_buckets()]
                .iter()
                .all(|v| *v == Some(true))
        }),
        Err(e) if e.code() == Some("NoSuchPublicAccessBlockConfiguration") => false,
        Err(e) => return Err(sdk_error(e)),
    };
    let encryption = match client.get_bucket_encryption().bucket(name).send().await {
        Ok(out) => out
            .server_side_encryption_configuration()
            .and_then(|c| c.rules().first())
            .and_then(|r| r.apply_server_side_encryption_by_default())
            .map(|d| d.sse_algorithm().as_str().to_string())
            .unwrap_or_default(),
        Err(e) if e.code() == Some("ServerSideEncryptionConfigurationNotFoundError") => String::new(),
        Err(e) => return Err(sdk_error(e)),
    };
    let object_ownership = match client.get_bucket_ownership_controls().bucket(name).send().await {
        Ok(out) => out
            .ownership_controls()
            .and_then(|c| c.rules().first())
            .map(|r| r.object_ownership().as_str().to_string())
            .unwrap_or_default(),
        Err(e) if e.code() == Some("OwnershipControlsNotFoundError") => String::new(),
        Err(e) => return Err(sdk_error(e)),
    };
    let policy = match client.get_bucket_policy().bucket(name).send().await {
        Ok(out) => match out.policy() {
            Some(text) => Some(policy::canonical(&serde_json::from_str(text)?)),
            None => None,
        },
        Err(e) if e.code() == Some("NoSuchBucketPolicy") => None,
        Err(e) => return Err(sdk_error(e)),
    };
    let spec = BucketSpec {
        name: name.to_string(),
        versioning,
        force_destroy: false,
        public_access_blocked,
        encryption,
        object_ownership,
        policy,
        tags,
    };
    Ok(Some(Live { arn: format!("arn:aws:s3:::{name}"), spec: Spec::Bucket(spec), problem: None }))
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
    let unset = BucketSpec {
        versioning: false,
        public_access_blocked: false,
        encryption: String::new(),
        object_ownership: String::new(),
        policy: None,
        tags: Tags::new(),
        ..spec.clone()
    };
    update(client, spec, &unset).await?;
    Ok(Outputs { arn: format!("arn:aws:s3:::{}", spec.name), qualified_arn: None })
}

pub async fn update(client: &Client, desired: &BucketSpec, live: &BucketSpec) -> Result<Outputs> {
    let name = &desired.name;
    if desired.public_access_blocked != live.public_access_blocked {
        let on = desired.public_access_blocked;
        client
            .put_public_access_block()
            .bucket(name)
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(on)
                    .ignore_public_acls(on)
                    .block_public_policy(on)
                    .restrict_public_buckets(on)
                    .build(),
            )
            .send()
            .await
            .map_err(sdk_error)?;
    }
    if desired.object_ownership != live.object_ownership && !desired.object_ownership.is_empty() {
        client
            .put_bucket_ownership_controls()
            .bucket(name)
            .ownership_controls(
                OwnershipControls::builder()
                    .rules(
                        OwnershipControlsRule::builder()
                            .object_ownership(ObjectOwnership::from(desired.object_ownership.as_str()))
                            .build()?,
                    )
                    .build()?,
            )
            .send()
            .await
            .map_err(sdk_error)?;
    }
    if desired.encryption != live.encryption && !desired.encryption.is_empty() {
        let default = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::from(desired.encryption.as_str()))
            .build()?;
        client
            .put_bucket_encryption()
            .bucket(name)
            .server_side_encryption_configuration(
                ServerSideEncryptionConfiguration::builder()
                    .rules(ServerSideEncryptionRule::builder().apply_server_side_encryption_by_default(default).build())
                    .build()?,
            )
            .send()
            .await
            .map_err(sdk_error)?;
    }
    if desired.policy != live.policy {
        match &desired.policy {
            Some(doc) => {
                client.put_bucket_policy().bucket(name).policy(doc.to_string()).send().await.map_err(sdk_error)?;
            }
            None => {
                client.delete_bucket_policy().bucket(name).send().await.map_err(sdk_error)?;
            }
        }
    }
    if desired.tags != live.tags {
        put_tags(client, name, &desired.tags).await?;
    }
    if desired.versioning != live.versioning {
        set_versioning(client, name, desired.versioning).await?;
    }
    Ok(Outputs { arn: format!("arn:aws:s3:::{name}"), qualified_arn: None })
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
