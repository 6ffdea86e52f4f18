//! The only code that talks to AWS: one file per service. Each reads live state into the model's
//! spec types ("not found" is `None`) and creates, updates and deletes resources.

mod discover;
mod firehose;
mod iam;
mod lambda;
pub mod lock;
mod logs;
mod s3;

use crate::model::{Kind, Spec, Tags, OWNER_TAG};
use anyhow::{Context, Result};
use std::time::Duration;

pub use discover::Owned;
pub use lambda::UNPUBLISHED;

/// A resource as it exists in AWS.
#[derive(Debug, Clone)]
pub struct Live {
    pub spec: Spec,
    pub arn: String,
    /// Why the resource is unusable and must be recreated (a stream in CREATING_FAILED).
    pub problem: Option<String>,
}

impl Live {
    /// The stack named by the ownership tag, if any.
    pub fn owner(&self) -> Option<&str> {
        self.spec.tags().get(OWNER_TAG).map(String::as_str)
    }
}

/// What dependents need from a resource once it is applied.
#[derive(Debug, Clone, Default)]
pub struct Outputs {
    pub arn: String,
    /// The version-qualified ARN of a published Lambda function.
    pub qualified_arn: Option<String>,
}

/// One client per service, sharing one configuration.
#[derive(Clone)]
pub struct Clients {
    s3: aws_sdk_s3::Client,
    iam: aws_sdk_iam::Client,
    lambda: aws_sdk_lambda::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    firehose: aws_sdk_firehose::Client,
    tagging: aws_sdk_resourcegroupstagging::Client,
    sts: aws_sdk_sts::Client,
    pub region: String,
}

impl Clients {
    /// Loads credentials and region with the default chain. With an endpoint (flag or
    /// `AWS_ENDPOINT_URL`), S3 uses path-style addressing, as local emulators need.
    pub async fn connect(region: Option<String>, endpoint: Option<String>) -> Result<Clients> {
        let mut loader =
            aws_config::defaults(aws_config::BehaviorVersion::latest()).retry_config(crate::retry::sdk_retry_config());
        if let Some(region) = region {
            loader = loader.region(aws_config::Region::new(region));
        }
        if let Some(url) = &endpoint {
            loader = loader.endpoint_url(url);
        }
        let config = loader.load().await;
        let region = config
            .region()
            .map(|r| r.to_string())
            .context("no AWS region: set `region` in [stack], AWS_REGION, or a profile region")?;
        let path_style = endpoint.is_some() || std::env::var_os("AWS_ENDPOINT_URL").is_some();
        let s3_config = aws_sdk_s3::config::Builder::from(&config).force_path_style(path_style).build();
        Ok(Clients {
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            iam: aws_sdk_iam::Client::new(&config),
            lambda: aws_sdk_lambda::Client::new(&config),
            logs: aws_sdk_cloudwatchlogs::Client::new(&config),
            firehose: aws_sdk_firehose::Client::new(&config),
            tagging: aws_sdk_resourcegroupstagging::Client::new(&config),
            sts: aws_sdk_sts::Client::new(&config),
            region,
        })
    }

    /// The account the credentials belong to (one STS call).
    pub async fn account_id(&self) -> Result<String> {
        let identity = self.sts.get_caller_identity().send().await.map_err(sdk_error)?;
        identity.account().map(String::from).context("STS returned no account id")
    }

    /// Reads a resource by physical name. `desired`, when known, tells which log streams to look for.
    pub async fn read(&self, kind: Kind, name: &str, desired: Option<&Spec>) -> Result<Option<Live>> {
        let result = match kind {
            Kind::Bucket => s3::read(&self.s3, name).await,
            Kind::LogGroup => {
                let streams = match desired {
                    Some(Spec::LogGroup(g)) => g.streams.clone(),
                    _ => vec![],
                };
                logs::read(&self.logs, name, &streams).await
            }
            Kind::Role => iam::read(&self.iam, name).await,
            Kind::Lambda => lambda::read(&self.lambda, name).await,
            Kind::Firehose => firehose::read(&self.firehose, name).await,
        };
        result.with_context(|| format!("reading {} {name:?}", kind.as_str()))
    }

    /// Every resource tagged as owned by `stack`.
    pub async fn discover(&self, stack: &str) -> Result<Vec<Owned>> {
        discover::owned(&self.tagging, &self.iam, stack).await.context("finding the stack's resources by tag")
    }

    /// Creates a resource from its desired spec.
    /// `wait` bounds how long to wait for the resource to become usable.
    pub async fn create(&self, spec: &Spec, wait: Duration) -> Result<Outputs> {
        match spec {
            Spec::Bucket(s) => s3::create(&self.s3, s).await,
            Spec::LogGroup(s) => logs::create(&self.logs, s).await,
            Spec::Role(s) => iam::create(&self.iam, s).await,
            Spec::Lambda(s) => lambda::create(&self.lambda, s, wait).await,
            Spec::Firehose(s) => firehose::create(&self.firehose, s, wait).await,
        }
    }

    /// Changes a live resource in place to match the desired spec.
    pub async fn update(&self, desired: &Spec, live: &Live, wait: Duration) -> Result<Outputs> {
        match (desired, &live.spec) {
            (Spec::Bucket(d), Spec::Bucket(l)) => s3::update(&self.s3, d, l).await,
            (Spec::LogGroup(d), Spec::LogGroup(l)) => logs::update(&self.logs, d, l, &live.arn).await,
            (Spec::Role(d), Spec::Role(l)) => iam::update(&self.iam, d, l, &live.arn).await,
            (Spec::Lambda(d), Spec::Lambda(l)) => lambda::update(&self.lambda, d, l, &live.arn, wait).await,
            (Spec::Firehose(d), Spec::Firehose(l)) => firehose::update(&self.firehose, d, l, &live.arn, wait).await,
            _ => anyhow::bail!("internal error: desired and live kinds differ"),
        }
    }

    /// Deletes a live resource. A bucket holding objects is emptied only with `force_destroy`.
    pub async fn delete(&self, live: &Live, force_destroy: bool, wait: Duration) -> Result<()> {
        match &live.spec {
            Spec::Bucket(s) => s3::delete(&self.s3, &s.name, force_destroy).await,
            Spec::LogGroup(s) => logs::delete(&self.logs, &s.name).await,
            Spec::Role(s) => iam::delete(&self.iam, s).await,
            Spec::Lambda(s) => lambda::delete(&self.lambda, &s.name).await,
            Spec::Firehose(s) => firehose::delete(&self.firehose, &s.name, wait).await,
        }
    }

    /// Takes the stack's lock for `command` (fails at once if another run holds it).
    pub async fn lock(&self, account_id: &str, stack: &str, command: &str) -> Result<lock::Lock> {
        lock::acquire(&self.s3, account_id, &self.region, stack, command).await
    }

    /// Breaks the stack's lock; returns who held it.
    pub async fn unlock(&self, account_id: &str, stack: &str) -> Result<Option<lock::Holder>> {
        lock::break_lock(&self.s3, account_id, &self.region, stack).await
    }

    /// Number of object versions and delete markers in a bucket.
    pub async fn bucket_object_count(&self, bucket: &str) -> Result<usize> {
        s3::object_count(&self.s3, bucket).await
    }

    /// Adds tags to a live resource (used by import to take ownership).
    pub async fn tag(&self, live: &Live, tags: &Tags) -> Result<()> {
        match &live.spec {
            Spec::Bucket(s) => {
                let mut all = s.tags.clone();
                all.extend(tags.clone());
                s3::put_tags(&self.s3, &s.name, &all).await
            }
            Spec::LogGroup(_) => logs::tag(&self.logs, &live.arn, tags).await,
            Spec::Role(s) => iam::tag(&self.iam, &s.name, tags).await,
            Spec::Lambda(_) => lambda::tag(&self.lambda, &live.arn, tags).await,
            Spec::Firehose(s) => firehose::tag(&self.firehose, &s.name, tags).await,
        }
    }
}

/// Turns an SDK error into `Code: message` (or the full context when the service sent neither).
pub fn sdk_error<E>(e: aws_sdk_s3::error::SdkError<E>) -> anyhow::Error
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    use aws_sdk_s3::error::ProvideErrorMetadata;
    match (e.code(), e.message()) {
        (Some(code), Some(message)) => anyhow::anyhow!("{code}: {message}"),
        (Some(code), None) => anyhow::anyhow!("{code}"),
        _ => {
            let context = aws_sdk_s3::error::DisplayErrorContext(&e).to_string();
            if context.contains("loading credentials") || context.contains("no providers in chain") {
                anyhow::anyhow!(
                    "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, choose a profile with AWS_PROFILE, or log in with `aws sso login`"
                )
            } else {
                anyhow::anyhow!("{context}")
            }
        }
    }
}

/// Brings a resource's tags from `live` to `desired` with the service's own tag and untag calls.
pub(crate) async fn sync_tags<A, R>(
    desired: &Tags,
    live: &Tags,
    add: impl FnOnce(Tags) -> A,
    remove: impl FnOnce(Vec<String>) -> R,
) -> Result<()>
where
    A: std::future::Future<Output = Result<()>>,
    R: std::future::Future<Output = Result<()>>,
{
    let (to_add, to_remove) = tag_changes(desired, live);
    if !to_add.is_empty() {
        add(to_add).await?;
    }
    if !to_remove.is_empty() {
        remove(to_remove).await?;
    }
    Ok(())
}

/// Tags to add and keys to remove to go from `live` to `desired`.
fn tag_changes(desired: &Tags, live: &Tags) -> (Tags, Vec<String>) {
    let add = desired.iter().filter(|(k, v)| live.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect();
    let remove = live.keys().filter(|k| !desired.contains_key(*k)).cloned().collect();
    (add, remove)
}
