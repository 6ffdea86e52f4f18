//! S3 buckets. Every call but CreateBucket names the expected bucket owner (the stack's account),
//! so a bucket of the wanted name in another account is never read from or written to: S3
//! answers 403, reported as "exists in another account".

use super::sdk_error;
use crate::error::aws_error;
use crate::model::{bucket_arn, BucketSpec, Live, Outputs, Spec, Tags};
use crate::policy;
use anyhow::{bail, Result};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete, EncodingType,
    ObjectIdentifier, ObjectOwnership, OwnershipControls, OwnershipControlsRule, PublicAccessBlockConfiguration,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    Tag, Tagging, VersioningConfiguration,
};
use aws_sdk_s3::Client;
use std::time::Duration;

/// The error for a bucket that exists under another account.
pub(super) fn foreign(name: &str) -> anyhow::Error {
    anyhow::Error::new(crate::error::InAnotherAccount { what: "bucket", name: name.to_string() })
}

/// Maps the answer of a bucket-level read: `None` when there is no such bucket, `Some(None)` for
/// an `absent` code (no configuration of that kind); 403 is a bucket of another account.
fn setting<T, E>(
    name: &str,
    result: Result<T, aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::http::Response>>,
    absent: &[&str],
) -> Result<Option<Option<T>>>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(v) => Ok(Some(Some(v))),
        Err(e) if e.code() == Some("NoSuchBucket") => Ok(None),
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) && e.code().is_none() => Ok(None),
        Err(e) if e.code().is_some_and(|c| absent.contains(&c)) => Ok(Some(None)),
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 403) => Err(foreign(name)),
        Err(e) => Err(sdk_error(e)),
    }
}

/// The bucket's tags now (`None`: no such bucket).
pub(super) async fn tags_now(client: &Client, owner: &str, name: &str) -> Result<Option<Tags>> {
    match client.get_bucket_tagging().bucket(name).expected_bucket_owner(owner).send().await {
        Ok(out) => Ok(Some(out.tag_set().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect())),
        Err(e) if e.code() == Some("NoSuchTagSet") => Ok(Some(Tags::new())),
        Err(e) if e.code() == Some("NoSuchBucket") => Ok(None),
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 403) => Err(foreign(name)),
        Err(e) => Err(sdk_error(e)),
    }
}

/// The bucket's tags (none when it is gone meanwhile).
async fn read_tags(client: &Client, owner: &str, name: &str) -> Result<Tags> {
    Ok(tags_now(client, owner, name).await?.unwrap_or_default())
}

/// Fails with [`crate::error::NotOwned`] unless the existing bucket carries `spec`'s owner tag.
async fn ensure_tagged_ours(client: &Client, owner: &str, partition: &str, spec: &BucketSpec) -> Result<()> {
    let tags = read_tags(client, owner, &spec.name).await?;
    let live = Live::new(Spec::Bucket(BucketSpec { tags, ..spec.clone() }), bucket_arn(partition, &spec.name));
    super::ensure_ours(&live, &spec.tags)
}

fn to_tags(tags: &Tags) -> Result<Vec<Tag>> {
    Ok(tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect::<Result<Vec<_>, _>>()?)
}

pub(super) async fn update(
    client: &Client,
    owner: &str,
    partition: &str,
    desired: &BucketSpec,
    live: &BucketSpec,
    ignored_tags: &Tags,
) -> Result<Outputs> {
    let name = &desired.name;
    if desired.tags != live.tags {
        // PutBucketTagging replaces the whole set: the tags the stack ignores are written back.
        let mut all = desired.tags.clone();
        all.extend(ignored_tags.clone());
        put_tags(client, owner, name, &all).await?;
    }
    if desired.public_access_blocked != live.public_access_blocked {
        let on = desired.public_access_blocked;
        client
            .put_public_access_block()
            .bucket(name)
            .expected_bucket_owner(owner)
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
            .expected_bucket_owner(owner)
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
            .expected_bucket_owner(owner)
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
                client
                    .put_bucket_policy()
                    .bucket(name)
                    .expected_bucket_owner(owner)
                    .policy(doc.to_string())
                    .send()
                    .await
                    .map_err(sdk_error)?;
            }
            None => {
                client
                    .delete_bucket_policy()
                    .bucket(name)
                    .expected_bucket_owner(owner)
                    .send()
                    .await
                    .map_err(sdk_error)?;
            }
        }
    }
    if desired.versioning != live.versioning {
        let status =
            if desired.versioning { BucketVersioningStatus::Enabled } else { BucketVersioningStatus::Suspended };
        client
            .put_bucket_versioning()
            .bucket(name)
            .expected_bucket_owner(owner)
            .versioning_configuration(VersioningConfiguration::builder().status(status).build())
            .send()
            .await
            .map_err(sdk_error)?;
    }
    Ok(Outputs { arn: bucket_arn(partition, name), qualified_arn: None })
}

/// Replaces the bucket's tag set.
pub(super) async fn put_tags(client: &Client, owner: &str, name: &str, tags: &Tags) -> Result<()> {
    client
        .put_bucket_tagging()
        .bucket(name)
        .expected_bucket_owner(owner)
        .tagging(Tagging::builder().set_tag_set(Some(to_tags(tags)?)).build()?)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

/// One page of a listing: objects to delete, and where the next page starts.
type Page = (Vec<ObjectIdentifier>, Option<(Option<String>, Option<String>)>);

/// A listed key, decoded when S3 encoded it (listings ask for `EncodingType=url`, so that a
/// key holding control characters cannot break the XML answer; an S3 that ignores the request
/// answers plain keys, and says so by leaving `EncodingType` out).
fn listed_key(key: Option<&str>, encoded: bool) -> String {
    let key = key.unwrap_or_default();
    if encoded {
        super::data::decode_key(key)
    } else {
        key.to_string()
    }
}

fn identifier(key: String, version: Option<&str>) -> Result<ObjectIdentifier> {
    Ok(ObjectIdentifier::builder().key(key).set_version_id(version.map(String::from)).build()?)
}

/// One page of object versions and delete markers.
async fn versions_page(
    client: &Client,
    owner: &str,
    name: &str,
    key_marker: Option<String>,
    version_marker: Option<String>,
) -> Result<Page> {
    let out = client
        .list_object_versions()
        .bucket(name)
        .expected_bucket_owner(owner)
        .encoding_type(EncodingType::Url)
        .set_key_marker(key_marker)
        .set_version_id_marker(version_marker)
        .send()
        .await
        .map_err(sdk_error)?;
    let encoded = out.encoding_type() == Some(&EncodingType::Url);
    let mut ids = Vec::new();
    for v in out.versions() {
        ids.push(identifier(listed_key(v.key(), encoded), v.version_id())?);
    }
    for m in out.delete_markers() {
        ids.push(identifier(listed_key(m.key(), encoded), m.version_id())?);
    }
    let next = out.is_truncated().unwrap_or(false).then(|| {
        let key = out.next_key_marker().map(|k| listed_key(Some(k), encoded));
        (key, out.next_version_id_marker().map(String::from))
    });
    Ok((ids, next))
}

/// One page of current objects (an unversioned bucket's whole content).
async fn objects_page(client: &Client, owner: &str, name: &str, token: Option<String>) -> Result<Page> {
    let out = client
        .list_objects_v2()
        .bucket(name)
        .expected_bucket_owner(owner)
        .encoding_type(EncodingType::Url)
        .set_continuation_token(token)
        .send()
        .await
        .map_err(sdk_error)?;
    let encoded = out.encoding_type() == Some(&EncodingType::Url);
    let ids = out.contents().iter().map(|o| identifier(listed_key(o.key(), encoded), None)).collect::<Result<_>>()?;
    let next = out.next_continuation_token().map(|t| (Some(t.to_string()), None));
    Ok((ids, next))
}

/// Object versions and delete markers in a bucket (current objects first: when there are any,
/// their count is enough to refuse a delete).
pub(super) async fn object_count(client: &Client, owner: &str, name: &str) -> Result<usize> {
    let (current, _) = objects_page(client, owner, name, None).await?;
    if !current.is_empty() {
        return Ok(current.len());
    }
    let (mut count, mut next) = (0, Some((None, None)));
    while let Some((key, version)) = next {
        let (ids, more) = versions_page(client, owner, name, key, version).await?;
        count += ids.len();
        next = more;
    }
    Ok(count)
}

/// Deletes a page of objects; any object S3 refuses to delete (a bucket policy's Deny, Object
/// Lock, a legal hold) ends the emptying with S3's reason and the keys.
async fn delete_page(client: &Client, owner: &str, name: &str, ids: Vec<ObjectIdentifier>) -> Result<()> {
    // XML 1.0 cannot carry control characters: such keys are deleted one by one (the key then
    // travels in the URL).
    let (plain, odd): (Vec<_>, Vec<_>) = ids.into_iter().partition(|i| !i.key().chars().any(char::is_control));
    let mut refused = Vec::new();
    for chunk in plain.chunks(1000) {
        let out = client
            .delete_objects()
            .bucket(name)
            .expected_bucket_owner(owner)
            .delete(Delete::builder().set_objects(Some(chunk.to_vec())).quiet(true).build()?)
            .send()
            .await
            .map_err(sdk_error)?;
        for e in out.errors() {
            refused.push((
                e.key().unwrap_or_default().to_string(),
                e.code().unwrap_or("Error").to_string(),
                e.message().unwrap_or_default().to_string(),
            ));
        }
    }
    for id in odd {
        let request =
            client.delete_object().bucket(name).key(id.key()).set_version_id(id.version_id().map(String::from));
        if let Err(e) = request.expected_bucket_owner(owner).send().await {
            let code = e.code().unwrap_or("Error").to_string();
            refused.push((id.key().to_string(), code, e.message().unwrap_or_default().to_string()));
        }
    }
    if let Some((_, code, message)) = refused.first() {
        let keys: Vec<String> =
            refused.iter().take(5).map(|(k, _, _)| format!("{:?}", crate::output::escape(k))).collect();
        bail!(
            "S3 refused to delete {} object(s) of bucket {name:?}: {}: {} (keys {}{}); nothing more was deleted. A bucket policy, Object Lock or a legal hold protects them: lift it, or empty the bucket yourself",
            refused.len(),
            crate::output::escape(code),
            crate::output::escape(message),
            keys.join(", "),
            if refused.len() > 5 { ", ..." } else { "" }
        );
    }
    Ok(())
}

#[async_trait::async_trait]
impl crate::provider::KindApi<BucketSpec> for super::Clients {
    /// Reads a bucket's settings with five calls in parallel (no HeadBucket: a missing bucket answers
    /// NoSuchBucket to each). Tags come from discovery when known, else one more call.
    async fn read(&self, name: &str, _: Option<&BucketSpec>, tags: Option<&Tags>) -> Result<Option<Live>> {
        let (client, owner, partition) = (&self.s3, self.owner()?, self.partition());
        let (versioning, public, encryption, ownership, policy) = tokio::join!(
            client.get_bucket_versioning().bucket(name).expected_bucket_owner(owner).send(),
            client.get_public_access_block().bucket(name).expected_bucket_owner(owner).send(),
            client.get_bucket_encryption().bucket(name).expected_bucket_owner(owner).send(),
            client.get_bucket_ownership_controls().bucket(name).expected_bucket_owner(owner).send(),
            client.get_bucket_policy().bucket(name).expected_bucket_owner(owner).send(),
        );
        // moto answers a never-versioned bucket with a document the SDK cannot parse (HTTP 200):
        // read as "never enabled".
        let versioning = match versioning {
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 200) => Some(false),
            other => setting(name, other, &[])?
                .map(|out| out.is_some_and(|o| o.status() == Some(&BucketVersioningStatus::Enabled))),
        };
        let (Some(versioning), Some(public), Some(encryption), Some(ownership), Some(policy)) = (
            versioning,
            setting(name, public, &["NoSuchPublicAccessBlockConfiguration"])?,
            setting(name, encryption, &["ServerSideEncryptionConfigurationNotFoundError"])?,
            setting(name, ownership, &["OwnershipControlsNotFoundError"])?,
            setting(name, policy, &["NoSuchBucketPolicy"])?,
        ) else {
            return Ok(None);
        };
        let public_access_blocked =
            public.and_then(|out| out.public_access_block_configuration().cloned()).is_some_and(|c| {
                [c.block_public_acls(), c.ignore_public_acls(), c.block_public_policy(), c.restrict_public_buckets()]
                    .iter()
                    .all(|v| *v == Some(true))
            });
        let encryption = encryption
            .and_then(|out| {
                out.server_side_encryption_configuration()
                    .and_then(|c| c.rules().first())
                    .and_then(|r| r.apply_server_side_encryption_by_default())
                    .map(|d| d.sse_algorithm().as_str().to_string())
            })
            .unwrap_or_default();
        let object_ownership = ownership
            .and_then(|out| {
                out.ownership_controls()
                    .and_then(|c| c.rules().first())
                    .map(|r| r.object_ownership().as_str().to_string())
            })
            .unwrap_or_default();
        let policy = match policy.and_then(|out| out.policy().map(String::from)) {
            Some(text) => Some(policy::canonical(&serde_json::from_str(&text)?)),
            None => None,
        };
        let tags = match tags {
            Some(tags) => tags.clone(),
            None => read_tags(client, owner, name).await?,
        };
        let spec = BucketSpec {
            name: name.to_string(),
            versioning,
            force_destroy: false,
            account_regional: false,
            public_access_blocked,
            encryption,
            object_ownership,
            policy,
            tags,
        };
        Ok(Some(Live::new(Spec::Bucket(spec), bucket_arn(partition, name))))
    }
    /// Creates a bucket with its tags in the create call (ownership is atomic where S3 supports it),
    /// then applies the rest of its settings. A bucket we already own (an earlier attempt whose
    /// answer was lost) is converged; one owned by another account is never touched.
    async fn create(&self, spec: &BucketSpec, _wait: Duration) -> Result<Outputs> {
        let (client, owner, partition) = (&self.s3, self.owner()?, self.partition());
        // A bucket of this name already in this account is never taken by a create (in us-east-1,
        // CreateBucket of an existing bucket of ours answers 200): only one carrying our tag, left
        // by an earlier attempt, is converged.
        match client.head_bucket().bucket(&spec.name).expected_bucket_owner(owner).send().await {
            Ok(_) => ensure_tagged_ours(client, owner, partition, spec).await?,
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => {}
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 403) => return Err(foreign(&spec.name)),
            Err(e) => return Err(sdk_error(e)),
        }
        let region = client.config().region().map(|r| r.to_string()).unwrap_or_default();
        let mut configuration = CreateBucketConfiguration::builder().set_tags(Some(to_tags(&spec.tags)?));
        if region != "us-east-1" {
            configuration = configuration.location_constraint(BucketLocationConstraint::from(region.as_str()));
        }
        let mut request = client.create_bucket().bucket(&spec.name).create_bucket_configuration(configuration.build());
        if spec.account_regional {
            request = request.bucket_namespace(aws_sdk_s3::types::BucketNamespace::AccountRegional);
        }
        match request.send().await {
            Ok(_) => {}
            // Created by this create's own retry (an answer lost), or by someone else of this
            // account in between: converged only if it carries our tag.
            Err(e) if e.code() == Some("BucketAlreadyOwnedByYou") => {
                ensure_tagged_ours(client, owner, partition, spec).await?
            }
            Err(e) if e.code() == Some("BucketAlreadyExists") => return Err(foreign(&spec.name)),
            Err(e) => return Err(sdk_error(e)),
        }
        let unset = BucketSpec {
            versioning: false,
            public_access_blocked: false,
            encryption: String::new(),
            object_ownership: String::new(),
            policy: None,
            // Sent again on their own: not every S3 (moto among them) takes tags in CreateBucket.
            tags: Tags::new(),
            ..spec.clone()
        };
        update(client, owner, partition, spec, &unset, &Tags::new()).await
    }
    async fn update(&self, desired: &BucketSpec, was: &BucketSpec, live: &Live, _: Duration) -> Result<Outputs> {
        update(&self.s3, self.owner()?, self.partition(), desired, was, &live.ignored_tags).await
    }
    /// Deletes the bucket; with `force`, first every object (an unversioned bucket's objects, then
    /// every version and delete marker), page by page, for at most `wait` and until an interrupt.
    async fn delete(&self, spec: &BucketSpec, _: &Live, force_destroy: bool, wait: Duration) -> Result<()> {
        let (client, owner, name, force) = (&self.s3, self.owner()?, &spec.name, force_destroy);
        if force {
            let deadline = tokio::time::Instant::now() + wait;
            let check = || -> Result<()> {
                if crate::interrupt::requested() {
                    bail!("interrupted while emptying bucket {name:?}: objects may remain; run destroy again");
                }
                if tokio::time::Instant::now() > deadline {
                    bail!(
                        "bucket {name:?} is still not empty after {}: raise wait_timeout_seconds on it, or empty it yourself",
                        crate::output::duration(wait)
                    );
                }
                Ok(())
            };
            loop {
                check()?;
                let (ids, _) = objects_page(client, owner, name, None).await?;
                if ids.is_empty() {
                    break;
                }
                delete_page(client, owner, name, ids).await?;
            }
            loop {
                check()?;
                let (ids, _) = versions_page(client, owner, name, None, None).await?;
                if ids.is_empty() {
                    break;
                }
                delete_page(client, owner, name, ids).await?;
            }
        } else {
            let count = object_count(client, owner, name).await?;
            if count > 0 {
                bail!("bucket {name:?} holds {count} object version(s); set force_destroy = true on it to delete them");
            }
        }
        match client.delete_bucket().bucket(name).expected_bucket_owner(owner).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("NoSuchBucket") => Ok(()),
            Err(e) => {
                let e = sdk_error(e);
                if aws_error(&e).is_some_and(|a| a.is_access_denied()) {
                    return Err(foreign(name));
                }
                Err(e)
            }
        }
    }
    /// S3 writes a bucket's whole tag set: read right before the write (not before a prompt
    /// that may have waited for minutes), so that a tag added meanwhile is kept.
    async fn data_held(&self, spec: &BucketSpec, _: &Live) -> Result<Option<String>> {
        let n = object_count(&self.s3, self.owner()?, &spec.name).await?;
        Ok((n > 0).then(|| format!("{n} object version(s)")))
    }
}

#[async_trait::async_trait]
impl crate::provider::KindTags<BucketSpec> for super::Clients {
    async fn tags_now(&self, spec: &BucketSpec, _: &Live) -> Result<Option<Tags>> {
        tags_now(&self.s3, self.owner()?, &spec.name).await
    }
    async fn tag(&self, spec: &BucketSpec, _: &Live, tags: &Tags) -> Result<()> {
        let mut all = tags_now(&self.s3, self.owner()?, &spec.name).await?.unwrap_or_default();
        all.extend(tags.clone());
        put_tags(&self.s3, self.owner()?, &spec.name, &all).await
    }
    /// Sets the bucket's tags to exactly `tags` (none: the tag set is deleted).
    async fn untag(&self, spec: &BucketSpec, _: &Live, keys: &[String]) -> Result<()> {
        let mut kept = tags_now(&self.s3, self.owner()?, &spec.name).await?.unwrap_or_default();
        kept.retain(|k, _| !keys.contains(k));
        let (client, owner, name, tags) = (&self.s3, self.owner()?, &spec.name, &kept);
        if !tags.is_empty() {
            return put_tags(client, owner, name, tags).await;
        }
        client.delete_bucket_tagging().bucket(name).expected_bucket_owner(owner).send().await.map_err(sdk_error)?;
        Ok(())
    }
}
