//! The only code that talks to AWS: one file per service, and [`Clients`], which implements the
//! core's [`Provider`] with them. Each reader turns what AWS returns into the model's spec types
//! ("not found" is `None`); errors keep the service's code ([`AwsError`]).

/// Implements [`ArnTags`] for a service whose tagging calls (its list call, TagResource and
/// UntagResource) name the resource by its ARN through one setter, and [`ArnTagged`] for the
/// kind it tags: the service gives how its answer becomes tags, how tags enter its request, and
/// which errors mean the resource is gone.
macro_rules! arn_tags {
    ($client:ty => $field:ident for $spec:ty {
        arn: $arn:ident,
        list: $list:ident,
        read: |$out:ident| $read:expr,
        write: |$request:ident, $tags:ident| $write:expr,
        gone: $gone:expr $(,)?
    }) => {
        #[async_trait::async_trait]
        impl $crate::aws::ArnTags for $client {
            async fn tags_of(&self, arn: &str) -> Result<Option<Tags>> {
                let listed = self.$list().$arn(arn).send().await;
                Ok($crate::aws::unless_missing(listed, $gone)?.map(|$out| $read))
            }
            async fn add_tags(&self, arn: &str, $tags: &Tags) -> Result<()> {
                let $request = self.tag_resource().$arn(arn);
                $write.send().await.map_err(sdk_error)?;
                Ok(())
            }
            async fn remove_tags(&self, arn: &str, keys: &[String]) -> Result<()> {
                let request = self.untag_resource().$arn(arn).set_tag_keys(Some(keys.to_vec()));
                request.send().await.map_err(sdk_error)?;
                Ok(())
            }
        }
        impl $crate::aws::ArnTagged for $spec {
            fn tagging(clients: &$crate::aws::Clients) -> &dyn $crate::aws::ArnTags {
                &clients.$field
            }
        }
    };
}

mod batch;
mod cloud;
mod cloudwatch;
pub mod data;
mod discover;
mod firehose;
mod glue;
mod iam;
mod lambda;
mod lock;
mod logs;
mod metrics;
pub mod pacing;
mod s3;
mod sns;

use crate::error::{AwsError, ErrorKind};
pub use cloud::AwsCloud;

use crate::model::{partition_of, AssumeRole, Kind, Live, Location, LockSettings, Outputs, Owned, Spec, Tags};
use crate::provider::{Holder, KindApi, LockAttempt, LockHandle, Lookup, Released, Scope};
use anyhow::{Context, Result};
use aws_smithy_runtime_api::client::result::SdkError;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// One client per service, sharing one configuration, paced within AWS's API quotas.
#[derive(Clone)]
pub struct Clients {
    s3: aws_sdk_s3::Client,
    iam: aws_sdk_iam::Client,
    lambda: aws_sdk_lambda::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    sns: aws_sdk_sns::Client,
    firehose: aws_sdk_firehose::Client,
    glue: aws_sdk_glue::Client,
    tagging: aws_sdk_resourcegroupstagging::Client,
    sts: aws_sdk_sts::Client,
    region: String,
    /// Whether S3 is addressed path-style (a local emulator).
    path_style: bool,
    /// The account the credentials belong to, once known: every S3 call names it as the
    /// expected bucket owner.
    account: Arc<OnceLock<String>>,
    /// Calls per action and throttled answers, for `-v` and the benchmarks.
    pub pacer: Arc<pacing::Pacer>,
    /// The shared configuration, for clients with settings of their own (the sender's).
    sdk_config: aws_config::SdkConfig,
    /// What each kind's service file keeps for the run here (see [`KindState`]).
    kind_state: Arc<KindState>,
}

impl Clients {
    /// Loads credentials and region with the default chain (then assumes `role`, when given,
    /// with session name `session`). With an endpoint (flag or `AWS_ENDPOINT_URL`), S3 uses
    /// path-style addressing, as local emulators need.
    pub async fn connect(
        region: Option<String>,
        connection: &Connection,
        role: Option<&AssumeRole>,
        session: &str,
    ) -> Result<Clients> {
        let endpoint = connection.endpoint.clone();
        let pacer = Arc::new(pacing::Pacer::new(connection.rates.clone()));
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .retry_config(crate::retry::Policy::SDK.sdk_config())
            .http_client(pacing::paced_http_client(pacer.clone()))
            // A request waiting for its paced slot has not started its upload yet: upload
            // stall protection would take that wait (seconds at 5 calls/s) for a stalled body.
            // provision uploads no streams; downloads stay protected.
            .stalled_stream_protection(
                aws_config::stalled_stream_protection::StalledStreamProtectionConfig::enabled()
                    .upload_enabled(false)
                    .build(),
            );
        if let Some(region) = region {
            loader = loader.region(aws_config::Region::new(region));
        }
        if let Some(url) = &endpoint {
            loader = loader.endpoint_url(url);
        }
        let mut config = loader.load().await;
        let region = config
            .region()
            .map(|r| r.to_string())
            .context("no AWS region: set `region` in [stack], AWS_REGION, or a profile region")?;
        if let Some(role) = role {
            let mut assume = aws_config::sts::AssumeRoleProvider::builder(&role.arn)
                .session_name(session)
                .region(aws_config::Region::new(region.clone()))
                .configure(&config);
            if let Some(id) = &role.external_id {
                assume = assume.external_id(id);
            }
            let provider = assume.build().await;
            config = config
                .to_builder()
                .credentials_provider(aws_sdk_sts::config::SharedCredentialsProvider::new(provider))
                .build();
        }
        let path_style = endpoint.is_some() || std::env::var_os("AWS_ENDPOINT_URL").is_some();
        Ok(Clients::from_config(config, region, path_style, pacer, Arc::new(OnceLock::new())))
    }

    /// The clients of one configuration, every request paced by `pacer`.
    fn from_config(
        config: aws_config::SdkConfig,
        region: String,
        path_style: bool,
        pacer: Arc<pacing::Pacer>,
        account: Arc<OnceLock<String>>,
    ) -> Clients {
        // Every client but the sender's names each request's operation for the pacer.
        macro_rules! paced {
            ($sdk:ident $(, $setting:ident($value:expr))*) => {
                $sdk::Client::from_conf(
                    $sdk::config::Builder::from(&config).interceptor(pacing::OperationTag)$(.$setting($value))*.build(),
                )
            };
        }
        Clients {
            s3: paced!(aws_sdk_s3, force_path_style(path_style)),
            iam: paced!(aws_sdk_iam),
            lambda: paced!(aws_sdk_lambda),
            logs: paced!(aws_sdk_cloudwatchlogs),
            cloudwatch: paced!(aws_sdk_cloudwatch),
            sns: paced!(aws_sdk_sns),
            firehose: paced!(aws_sdk_firehose),
            glue: paced!(aws_sdk_glue),
            tagging: paced!(aws_sdk_resourcegroupstagging),
            sts: paced!(aws_sdk_sts),
            region,
            path_style,
            account,
            pacer,
            sdk_config: config,
            kind_state: Arc::default(),
        }
    }

    /// The same credentials in another Region of the same account, paced apart (AWS's quotas
    /// are per Region), but for IAM, global in the account, paced with this Region's.
    pub async fn in_region(&self, region: &str) -> Result<Clients> {
        let pacer = Arc::new(pacing::Pacer::in_another_region(&self.pacer));
        let config = self
            .sdk_config
            .to_builder()
            .region(aws_config::Region::new(region.to_string()))
            .http_client(pacing::paced_http_client(pacer.clone()))
            .build();
        Ok(Clients::from_config(config, region.to_string(), self.path_style, pacer, self.account.clone()))
    }

    /// The Region every call goes to.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Where these clients act (known once the account is, after [`Clients::account_id`]).
    pub fn location(&self) -> Result<Location> {
        Ok(Location::new(self.owner()?, &self.region))
    }

    /// The account the credentials act in (STS GetCallerIdentity, once).
    pub async fn account_id(&self) -> Result<String> {
        if let Some(account) = self.account.get() {
            return Ok(account.clone());
        }
        let account = self.caller_account().await?;
        Ok(self.account.get_or_init(|| account).clone())
    }

    /// The account the credentials act in, asked each time (an assumed role's check).
    pub async fn caller_account(&self) -> Result<String> {
        let identity = self.sts.get_caller_identity().send().await.map_err(sdk_error)?;
        let account = identity.account().map(String::from).context("STS returned no account id")?;
        let _ = self.account.set(account.clone());
        Ok(account)
    }

    /// The account every S3 call names as the bucket owner (known after [`Provider::account_id`]).
    pub fn owner(&self) -> Result<&str> {
        self.account.get().map(String::as_str).context("internal error: the account id is not known yet")
    }

    fn partition(&self) -> &'static str {
        partition_of(&self.region)
    }

    /// The region and account, for the ARNs AWS does not return.
    fn env(&self) -> Result<crate::model::Environment> {
        Ok(crate::model::Environment {
            region: self.region.clone(),
            account_id: self.owner()?.to_string(),
            ..Default::default()
        })
    }
}

/// How to reach AWS.
#[derive(Debug, Clone)]
pub struct Connection {
    /// One endpoint for every service (a local emulator).
    pub endpoint: Option<String>,
    pub rates: pacing::Rates,
}

/// The [`Provider`]'s per-kind calls, dispatched to each kind's [`KindApi`] (implemented in its
/// service file), generated from the registry of kinds: a kind is never an arm written here.
macro_rules! dispatch_by_kind {
    ($($(#[doc = $doc:literal])* $variant:ident => $module:ident ($spec:ident, $section:ident)),* $(,)?) => {
        impl Clients {
            async fn read_kind(&self, kind: Kind, name: &str, desired: Option<&Spec>, tags: Option<&Tags>) -> Result<Option<Live>> {
                match kind {
                    $(Kind::$variant => {
                        let desired = match desired {
                            Some(Spec::$variant(s)) => Some(s),
                            _ => None,
                        };
                        let listed = self.known_names::<crate::model::kinds::$module::$spec>();
                        if !listed.may_exist(&kind.info().compared_name(name)) {
                            return Ok(None);
                        }
                        <Self as KindApi<crate::model::kinds::$module::$spec>>::read(self, name, desired, tags).await
                    })*
                }
            }

            /// Notes the name as created before the call (a create that fails after AWS made
            /// it must not leave it taken for missing), then creates.
            async fn create_kind(&self, spec: &Spec, wait: Duration) -> Result<Outputs> {
                let name = spec.kind().info().compared_name(spec.physical_name());
                match spec {
                    $(Spec::$variant(s) => {
                        self.known_names::<crate::model::kinds::$module::$spec>().created(&name);
                        KindApi::create(self, s, wait).await
                    }),*
                }
            }

            async fn update_kind(&self, desired: &Spec, live: &Live, wait: Duration) -> Result<Outputs> {
                match (desired, &live.spec) {
                    $((Spec::$variant(d), Spec::$variant(l)) => KindApi::update(self, d, l, live, wait).await,)*
                    _ => Err(anyhow::anyhow!("internal error: desired and live kinds differ")),
                }
            }

            async fn delete_kind(&self, live: &Live, force_destroy: bool, wait: Duration) -> Result<()> {
                match &live.spec {
                    $(Spec::$variant(s) => KindApi::delete(self, s, live, force_destroy, wait).await),*
                }
            }

            async fn tags_now_kind(&self, live: &Live) -> Result<Option<Tags>> {
                match &live.spec {
                    $(Spec::$variant(s) => crate::provider::KindTags::tags_now(self, s, live).await),*
                }
            }

            async fn tag_kind(&self, live: &Live, tags: &Tags) -> Result<()> {
                match &live.spec {
                    $(Spec::$variant(s) => crate::provider::KindTags::tag(self, s, live, tags).await),*
                }
            }

            async fn untag_kind(&self, live: &Live, keys: &[String]) -> Result<()> {
                match &live.spec {
                    $(Spec::$variant(s) => crate::provider::KindTags::untag(self, s, live, keys).await),*
                }
            }

            async fn data_held_kind(&self, live: &Live) -> Result<Option<String>> {
                match &live.spec {
                    $(Spec::$variant(s) => KindApi::data_held(self, s, live).await),*
                }
            }
        }
    };
}

crate::with_kinds!(dispatch_by_kind);

/// A service that tags resources by their ARN (CloudWatch, SNS, Lambda, CloudWatch Logs): the
/// tag calls of every kind it serves are these three.
#[async_trait::async_trait]
pub(crate) trait ArnTags: Sync {
    /// The resource's tags (`None`: it is gone).
    async fn tags_of(&self, arn: &str) -> Result<Option<Tags>>;
    /// Adds tags, keeping the others.
    async fn add_tags(&self, arn: &str, tags: &Tags) -> Result<()>;
    /// Removes tags by key.
    async fn remove_tags(&self, arn: &str, keys: &[String]) -> Result<()>;
    /// Takes the resource's tags from `live` to `desired`, sending only the changes.
    async fn retag(&self, arn: &str, desired: &Tags, live: &Tags) -> Result<()> {
        let add = |add: Tags| async move { self.add_tags(arn, &add).await };
        sync_tags(desired, live, add, |keys| async move { self.remove_tags(arn, &keys).await }).await
    }
}

/// A kind whose service tags by ARN: its tags are read and written through that service's
/// [`ArnTags`], one implementation for them all.
pub(crate) trait ArnTagged {
    /// The service's client in `clients`.
    fn tagging(clients: &Clients) -> &dyn ArnTags;
}

#[async_trait::async_trait]
impl<S: ArnTagged + Sync> crate::provider::KindTags<S> for Clients {
    async fn tags_now(&self, _: &S, live: &Live) -> Result<Option<Tags>> {
        S::tagging(self).tags_of(&live.arn).await
    }
    async fn tag(&self, _: &S, live: &Live, tags: &Tags) -> Result<()> {
        S::tagging(self).add_tags(&live.arn, tags).await
    }
    async fn untag(&self, _: &S, live: &Live, keys: &[String]) -> Result<()> {
        S::tagging(self).remove_tags(&live.arn, keys).await
    }
}

/// The names of a kind that exist where a client acts, as this run's discovery listed them (a
/// declared resource not among them is not read); `None` before a listing. Names are kept as
/// the kind compares them ([`crate::model::kinds::KindInfo::compared_name`]).
/// One set per kind (`K`: its spec type), kept in the location's [`KindState`].
#[derive(Debug)]
pub(crate) struct KnownNames<K>(
    std::sync::Mutex<Option<std::collections::HashSet<String>>>,
    std::marker::PhantomData<K>,
);

impl<K> Default for KnownNames<K> {
    fn default() -> Self {
        KnownNames(Default::default(), std::marker::PhantomData)
    }
}

impl<K> KnownNames<K> {
    fn set(&self, names: std::collections::HashSet<String>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(names);
    }

    /// Whether `name` may exist: listed, created since, or nothing listed.
    pub(crate) fn may_exist(&self, name: &str) -> bool {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).as_ref().is_none_or(|n| n.contains(name))
    }

    /// Notes a resource this run creates.
    fn created(&self, name: &str) {
        if let Some(names) = self.0.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            names.insert(name.to_string());
        }
    }
}

/// What the service files keep for a run in one location (the names discovery listed, a
/// batcher of reads), each under a type of the file's own, made on first use: a kind's state is
/// declared beside its calls, never as a field of the shared [`Clients`].
#[derive(Default)]
pub(crate) struct KindState(
    std::sync::Mutex<std::collections::HashMap<std::any::TypeId, Arc<dyn std::any::Any + Send + Sync>>>,
);

impl KindState {
    /// The state of type `T` here (made with `T::default()` on first use).
    pub(crate) fn get<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        let mut states = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let state = states.entry(std::any::TypeId::of::<T>()).or_insert_with(|| Arc::new(T::default())).clone();
        // Keyed by its own type: the downcast cannot miss (a fresh one if it ever did).
        state.downcast::<T>().unwrap_or_default()
    }
}

impl Clients {
    /// The names of kind `K` known here (see [`KnownNames`]).
    fn known_names<K: Send + Sync + 'static>(&self) -> Arc<KnownNames<K>> {
        self.kind_state.get::<KnownNames<K>>()
    }
}

/// What the [`AwsCloud`] asks of one location's clients.
impl Clients {
    /// The stack's resources found here by tag (see [`discover`]).
    pub async fn discover_here(&self, scope: &Scope) -> Result<Vec<Owned>> {
        let here = self.location()?;
        let found = self.discover_unplaced(scope).await?;
        Ok(found.into_iter().map(|o| Owned { found_in: here.clone(), ..o }).collect())
    }

    /// [`Clients::discover_here`] before the account is known: where each was found is left
    /// for the caller to say.
    pub async fn discover_unplaced(&self, scope: &Scope) -> Result<Vec<Owned>> {
        let (found, streams, functions) = tokio::join!(
            discover::owned(&self.tagging, &self.iam, &self.glue, scope),
            firehose::list_names(self),
            lambda::list_names(self)
        );
        let (owned, role_names) = found.context("finding the stack's resources by tag")?;
        iam::listed_names(self, role_names);
        streams.context("listing the Region's delivery streams")?;
        functions.context("listing the Region's functions")?;
        Ok(owned)
    }

    /// Reads a resource here by name; the [`Live`] says where it was read.
    pub async fn read(&self, what: Lookup<'_>) -> Result<Option<Live>> {
        let Lookup { kind, name, desired, tags } = what;
        let here = self.location()?;
        let live = self
            .read_kind(kind, name, desired, tags)
            .await
            .with_context(|| format!("reading {} {:?}", kind.as_str(), crate::output::escape(name)))?;
        Ok(live.map(|l| Live { location: here, ..l }))
    }

    pub async fn tags_now(&self, live: &Live) -> Result<Option<Tags>> {
        self.tags_now_kind(live).await.with_context(|| {
            let name = crate::output::escape(live.spec.physical_name());
            format!("reading the tags of {} {name:?}", live.spec.kind().as_str())
        })
    }

    pub async fn policy_exists(&self, arn: &str) -> Result<bool> {
        iam::policy_exists(&self.iam, arn).await
    }

    pub async fn try_lock(&self, settings: &LockSettings, holder: &Holder) -> Result<LockAttempt> {
        lock::try_lock(&self.s3, self.owner()?, &self.region, settings, holder).await
    }

    pub async fn take_over(&self, settings: &LockSettings, holder: &Holder, etag: &str) -> Result<Option<LockHandle>> {
        lock::take_over(&self.s3, self.owner()?, settings, holder, etag).await
    }

    pub async fn release(&self, handle: &LockHandle) -> Result<Released> {
        lock::release(&self.s3, self.owner()?, handle).await
    }

    pub async fn break_lock(&self, settings: &LockSettings) -> Result<Option<Holder>> {
        lock::break_lock(&self.s3, self.owner()?, settings).await
    }

    pub async fn indexed_locations(&self, settings: &LockSettings) -> Result<Vec<Location>> {
        lock::read_index(&self.s3, self.owner()?, settings).await
    }

    pub async fn index_locations(&self, settings: &LockSettings, locations: &[Location]) -> Result<()> {
        lock::write_index(&self.s3, self.owner()?, &self.region, settings, locations).await
    }
}

/// A call's answer where the service's not-found error (`missing` says which) means nothing is
/// there: `None`, never an error (a delete of what is gone, a read of what does not exist).
pub fn unless_missing<T, E, R>(result: Result<T, SdkError<E, R>>, missing: impl FnOnce(&E) -> bool) -> Result<Option<T>>
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + HasStatus + Send + Sync + 'static,
{
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.as_service_error().is_some_and(missing) => Ok(None),
        Err(e) => Err(sdk_error(e)),
    }
}

/// Turns an SDK error into an [`AwsError`] that keeps the service's code, message and status.
pub fn sdk_error<E, R>(e: SdkError<E, R>) -> anyhow::Error
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + HasStatus + Send + Sync + 'static,
{
    use aws_sdk_s3::error::ProvideErrorMetadata;
    let status = http_status(&e);
    let code = e.code().map(String::from);
    let message = e.message().map(String::from);
    let kind = match &e {
        SdkError::ServiceError(_) => ErrorKind::Service,
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) if mentions_credentials(&e) => ErrorKind::Credentials,
        SdkError::ConstructionFailure(_) if mentions_credentials(&e) => ErrorKind::Credentials,
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => ErrorKind::Network,
        _ => ErrorKind::Other,
    };
    let unreadable = |e: &(dyn std::error::Error + 'static)| {
        format!(
            "the answer could not be read (HTTP {}): {}",
            status.map_or("?".to_string(), |s| s.to_string()),
            one_line(&deepest_cause(e), 160)
        )
    };
    let detail = match (&e, kind) {
        // A success status without a readable answer.
        (SdkError::ServiceError(_), ErrorKind::Service)
            if code.is_none() && message.is_none() && status.is_some_and(|s| (200..300).contains(&s)) =>
        {
            unreadable(&e)
        }
        (_, ErrorKind::Service | ErrorKind::Credentials) => String::new(),
        // An answer that could not be read: the status and why, never the raw answer.
        (SdkError::ResponseError(_), _) => unreadable(&e),
        // The SDK's description of a failure without an answer: its first line.
        _ => one_line(&aws_sdk_s3::error::DisplayErrorContext(&e).to_string(), 200),
    };
    let mut error = AwsError::service(code.as_deref(), message.as_deref(), status);
    error.kind = kind;
    error.detail = detail;
    anyhow::Error::new(error)
}

/// The message of the last error in a chain: the most precise one.
fn deepest_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current = e;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// Text from elsewhere on one line of at most `max` characters, escaped.
fn one_line(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or_default();
    let mut out: String = line.chars().take(max).collect();
    if line.chars().count() > max {
        out.push_str("...");
    }
    crate::output::escape(&out)
}

/// The HTTP status of the answer an SDK error came with, if one came.
pub(crate) fn http_status<E, R: HasStatus>(e: &SdkError<E, R>) -> Option<u16> {
    match e {
        SdkError::ServiceError(s) => s.raw().status_code(),
        SdkError::ResponseError(r) => r.raw().status_code(),
        _ => None,
    }
}

/// Whether any error in the chain is about loading credentials.
fn mentions_credentials(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        let text = err.to_string();
        if text.contains("credentials") || text.contains("no providers in chain") {
            return true;
        }
        current = err.source();
    }
    false
}

/// The HTTP status of a raw response, whatever its type.
pub trait HasStatus {
    fn status_code(&self) -> Option<u16>;
}

impl HasStatus for aws_smithy_runtime_api::http::Response {
    fn status_code(&self) -> Option<u16> {
        Some(self.status().as_u16())
    }
}

/// Refuses to converge a resource found in the way of a create unless it carries this stack's
/// ownership tag (`desired` holds the tags the create would have set).
pub(crate) fn ensure_ours(live: &Live, desired: &Tags) -> Result<()> {
    let ours = desired.get(crate::model::OWNER_TAG).map(String::as_str);
    let home = desired.get(crate::model::HOME_TAG).and_then(|h| crate::model::Location::from_tag(h));
    let other_home = live.home().is_some_and(|h| Some(h) != home);
    if live.owner() != ours || other_home {
        return Err(
            crate::error::NotOwned { kind: live.spec.kind(), name: live.spec.physical_name().to_string() }.into()
        );
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    struct Streams;
    struct Functions;

    #[test]
    fn each_kind_s_state_is_its_own_and_kept_for_the_run() {
        let state = KindState::default();
        state.get::<KnownNames<Streams>>().set(["a".to_string()].into());
        assert!(
            state.get::<KnownNames<Streams>>().may_exist("a") && !state.get::<KnownNames<Streams>>().may_exist("b")
        );
        // Another type's state is apart: nothing listed there yet, so anything may exist.
        assert!(state.get::<KnownNames<Functions>>().may_exist("b"));
        state.get::<KnownNames<Streams>>().created("b");
        assert!(state.get::<KnownNames<Streams>>().may_exist("b"));
    }
}
