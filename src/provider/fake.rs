//! An in-memory [`Provider`]: a test double for planning and execution logic (conflicts,
//! orphans, ordering, parallelism, failures, interruption), in milliseconds and without AWS.
//! It records every call, can fail or delay chosen calls, and counts calls in flight. It knows
//! no kind by name: what a kind's cloud does on a write ([`Spec::written`]), where discovery
//! lists it ([`Spec::listed_in`]) and the data it holds ([`crate::model::KindInfo::holds`]) are
//! the kind's own facts, so a new kind needs nothing here.

use super::{Holder, LockAttempt, LockHandle, Lookup, Provider, Released, Scope, StateStore};
use crate::error::AwsError;
use crate::model::*;
use anyhow::{bail, Result};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// The account and region of the fake cloud.
pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";

/// A resource's key: its kind, name, and the part of its location that keeps names of its
/// kind apart (nothing for a bucket, the account for a role, the account and Region else).
type Key = (Kind, String, String);

fn key(kind: Kind, name: &str, location: &Location) -> Key {
    (kind, name.to_string(), kind.info().names.key(location))
}

#[derive(Default)]
struct State {
    resources: BTreeMap<Key, Live>,
    /// (operation, physical name) -> (error, times left).
    failures: Vec<(String, String, AwsError, usize)>,
    delays: Vec<(String, String, Duration)>,
    calls: Vec<String>,
    lock: Option<(Holder, String)>,
    locks_taken: usize,
    /// The stack's index of locations.
    index: Vec<Location>,
    /// How many times each resource was written (a function's version follows it).
    writes: BTreeMap<Key, u32>,
    /// What the tagging index still lists though the tags are gone (it lags).
    stale_index: Vec<Owned>,
    /// What resources that hold data hold (objects, log events), by physical name.
    objects: BTreeMap<String, usize>,
    /// The containers resources are listed in (a table's Glue database) and the stack that
    /// created each (as a table's create does when its database is missing); `None`: someone
    /// else's.
    databases: BTreeMap<String, Option<String>>,
}

/// The fake cloud.
#[derive(Default)]
pub struct FakeProvider {
    state: Mutex<State>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl FakeProvider {
    pub fn new() -> FakeProvider {
        FakeProvider::default()
    }

    /// The fake's home: [`ACCOUNT`] and [`REGION`].
    pub fn home() -> Location {
        Location::new(ACCOUNT, REGION)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Puts a resource in the cloud as if created elsewhere (tags as given in the spec), at home.
    pub fn insert(&self, spec: Spec) {
        self.insert_at(&Self::home(), spec)
    }

    /// [`FakeProvider::insert`] in `location`.
    pub fn insert_at(&self, location: &Location, spec: Spec) {
        if let Some(container) = spec.listed_in() {
            let owner = spec.tags().get(OWNER_TAG).cloned();
            self.state().databases.entry(container.to_string()).or_insert(owner);
        }
        let live = live_of(spec, location);
        let k = key(live.spec.kind(), live.spec.physical_name(), location);
        self.state().resources.insert(k, live);
    }

    /// Makes discovery list `owned` whatever the resource's tags say now (a lagging index).
    pub fn stale_index(&self, owned: Owned) {
        self.state().stale_index.push(owned);
    }

    /// Changes a live resource behind the stack's back (drift).
    pub fn modify(&self, kind: Kind, name: &str, change: impl FnOnce(&mut Spec)) {
        if let Some(l) = self.state().resources.get_mut(&key(kind, name, &Self::home())) {
            change(&mut l.spec);
        }
    }

    /// Marks a live resource unusable (a stream in CREATING_FAILED).
    pub fn set_problem(&self, kind: Kind, name: &str, problem: &str) {
        if let Some(l) = self.state().resources.get_mut(&key(kind, name, &Self::home())) {
            l.problem = Some(problem.to_string());
        }
    }

    /// The live resource of that kind and name, at home.
    pub fn get(&self, kind: Kind, name: &str) -> Option<Live> {
        self.get_at(&Self::home(), kind, name)
    }

    /// The live resource of that kind and name in `location`.
    pub fn get_at(&self, location: &Location, kind: Kind, name: &str) -> Option<Live> {
        self.state().resources.get(&key(kind, name, location)).cloned()
    }

    /// Physical names of every resource, by kind.
    pub fn names(&self) -> Vec<(Kind, String)> {
        self.state().resources.keys().map(|(k, n, _)| (*k, n.clone())).collect()
    }

    /// Makes the next `times` calls of `operation` (`create`, `update`, `delete`, `read`...) on
    /// `name` fail with an AWS error of that code.
    pub fn fail(&self, operation: &str, name: &str, code: &str, times: usize) {
        let error = AwsError::service(Some(code), Some("injected by the fake provider"), Some(400));
        self.state().failures.push((operation.into(), name.into(), error, times));
    }

    /// Makes every call of `operation` on `name` take `delay`.
    pub fn delay(&self, operation: &str, name: &str, delay: Duration) {
        self.state().delays.push((operation.into(), name.into(), delay));
    }

    /// Every call made, as `operation name`, in order.
    pub fn calls(&self) -> Vec<String> {
        self.state().calls.clone()
    }

    /// Adds a Glue database someone else created.
    pub fn add_foreign_database(&self, name: &str) {
        self.state().databases.insert(name.to_string(), None);
    }

    /// Forgets the recorded calls and the most in flight so far.
    pub fn reset_calls(&self) {
        self.state().calls.clear();
        self.max_in_flight.store(0, Ordering::SeqCst);
    }

    /// The most calls that were in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    /// Puts `count` objects in a bucket (or events in a log group: data it holds).
    pub fn put_objects(&self, bucket: &str, count: usize) {
        self.state().objects.insert(bucket.into(), count);
    }

    /// Who holds the lock now.
    pub fn lock_holder(&self) -> Option<Holder> {
        self.state().lock.as_ref().map(|(h, _)| h.clone())
    }

    /// Records a call, applies injected delays and failures, and tracks calls in flight.
    async fn call(&self, operation: &str, name: &str) -> Result<()> {
        let (delay, failure) = {
            let mut state = self.state();
            state.calls.push(format!("{operation} {name}"));
            let delay = state.delays.iter().find(|(o, n, _)| o == operation && n == name).map(|(_, _, d)| *d);
            let failure = state.failures.iter_mut().find(|(o, n, _, left)| o == operation && n == name && *left > 0);
            let failure = failure.map(|f| {
                f.3 -= 1;
                f.2.clone()
            });
            (delay, failure)
        };
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        if let Some(d) = delay {
            tokio::time::sleep(d).await;
        } else {
            tokio::task::yield_now().await;
        }
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        match failure {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }

    fn outputs(&self, live: &Live) -> Outputs {
        live.spec.outputs(&live.arn)
    }

    /// Stores `spec` as live in `location`, as the kind's cloud holds it after one more write.
    fn store(&self, location: &Location, spec: &Spec) -> Live {
        let times = {
            let mut state = self.state();
            let n = state.writes.entry(key(spec.kind(), spec.physical_name(), location)).or_insert(0);
            *n += 1;
            *n
        };
        let spec = spec.written(times);
        if let Some(container) = spec.listed_in() {
            let owner = spec.tags().get(OWNER_TAG).cloned();
            self.state().databases.entry(container.to_string()).or_insert(owner);
        }
        let live = live_of(spec, location);
        let k = key(live.spec.kind(), live.spec.physical_name(), location);
        self.state().resources.insert(k, live.clone());
        live
    }
}

/// What discovery in `found_in` returns of a live resource.
fn owned_of(l: &Live, found_in: &Location) -> Owned {
    Owned {
        address: l.spec.tags().get(ADDRESS_TAG).map(String::as_str).map_or_else(
            || Address::new(l.spec.kind(), l.spec.physical_name()),
            |a| Address::from_tag(Some(a), l.spec.kind(), l.spec.physical_name()),
        ),
        physical_name: l.spec.physical_name().to_string(),
        tags: Some(l.spec.tags().clone()),
        found_in: found_in.clone(),
    }
}

fn live_of(spec: Spec, location: &Location) -> Live {
    let arn = spec.arn(&location.env());
    Live { location: location.clone(), ..Live::new(spec, arn) }
}

#[async_trait]
impl Provider for FakeProvider {
    fn region(&self) -> &str {
        REGION
    }

    async fn account_id(&self) -> Result<String> {
        self.call("account_id", "").await?;
        Ok(ACCOUNT.into())
    }

    async fn discover(&self, location: &Location, scope: &Scope) -> Result<Vec<Owned>> {
        self.call("discover", &scope.stack).await?;
        let state = self.state();
        // As AWS's discovery does: everything of the stack's, but what is listed in a container
        // (a table in its database) only in the scope's containers and the stack's own.
        let in_scope = |spec: &Spec| match spec.listed_in() {
            Some(container) => {
                scope.containers(spec.kind()).iter().any(|d| d == container)
                    || state.databases.get(container).is_some_and(|o| o.as_deref() == Some(scope.stack.as_str()))
            }
            None => true,
        };
        // A location's listings: its own resources, an account's roles, every bucket.
        Ok(state
            .resources
            .iter()
            .filter(|((kind, _, at), _)| *at == kind.info().names.key(location))
            .map(|(_, l)| l)
            .filter(|l| l.owner() == Some(scope.stack.as_str()) && in_scope(&l.spec))
            .map(|l| owned_of(l, location))
            .chain(state.stale_index.iter().filter(|o| &o.found_in == location).cloned())
            .collect())
    }

    async fn read(&self, location: &Location, what: Lookup<'_>) -> Result<Option<Live>> {
        let Lookup { kind, name, desired: _, tags } = what;
        self.call("read", name).await?;
        // As the AWS readers do, tags discovery returned are taken as they are; the live
        // resource says where it was read.
        Ok(self.get_at(location, kind, name).map(|mut live| {
            live.location = location.clone();
            if let Some(tags) = tags {
                *live.spec.tags_mut() = tags.clone();
            }
            live
        }))
    }

    /// As AWS's create call answers for the kind (see [`crate::model::kinds::OnExisting`]): one
    /// that fails on an existing resource is converged by provision's reader when that resource
    /// is the stack's and refused otherwise (the AWS adapters' `ensure_ours`); PutMetricAlarm
    /// overwrites whatever is there; CreateTopic fails on a topic of other tags. So a foreign
    /// alarm is kept only by provision's own checks, here as on AWS.
    async fn create(&self, location: &Location, spec: &Spec, _wait: Duration) -> Result<Outputs> {
        use crate::model::kinds::OnExisting;
        self.call("create", spec.physical_name()).await?;
        if let Some(existing) = self.get_at(location, spec.kind(), spec.physical_name()) {
            let ours = existing.owner() == spec.tags().get(OWNER_TAG).map(String::as_str)
                && existing.home().is_none_or(|h| Some(h.tag_value()).as_ref() == spec.tags().get(HOME_TAG));
            match spec.kind().info().on_existing {
                OnExisting::Fails(_) if !ours => {
                    return Err(crate::error::NotOwned { kind: spec.kind(), name: spec.physical_name().into() }.into());
                }
                OnExisting::ReturnsExisting(code) if existing.spec.tags() != spec.tags() => {
                    return Err(
                        AwsError::service(Some(code), Some("already exists with different tags"), Some(400)).into()
                    );
                }
                OnExisting::Fails(_) | OnExisting::ReturnsExisting(_) | OnExisting::Upserts => {}
            }
        }
        if spec.unresolved() {
            bail!("internal error: {} was created before what it references was applied", spec.physical_name());
        }
        let live = self.store(location, spec);
        Ok(self.outputs(&live))
    }

    async fn update(&self, desired: &Spec, live: &Live, _wait: Duration) -> Result<Outputs> {
        self.call("update", desired.physical_name()).await?;
        let live = self.store(&live.location, desired);
        Ok(self.outputs(&live))
    }

    async fn delete(&self, live: &Live, force_destroy: bool, _wait: Duration) -> Result<()> {
        let name = live.spec.physical_name().to_string();
        self.call("delete", &name).await?;
        let mut state = self.state();
        // As AWS: S3 refuses a bucket holding objects (emptied first only with force_destroy);
        // DeleteLogGroup deletes the events with the group, whatever provision checked before.
        let info = live.spec.kind().info();
        if info.holds.is_some() {
            let objects = state.objects.get(&name).copied().unwrap_or(0);
            if objects > 0 && !force_destroy && info.delete_refused_while_holding {
                return Err(AwsError::service(Some("NotEmpty"), Some("It holds data"), Some(409)).into());
            }
            state.objects.remove(&name);
        }
        state.resources.remove(&key(live.spec.kind(), &name, &live.location));
        Ok(())
    }

    async fn tags_now(&self, live: &Live) -> Result<Option<Tags>> {
        let name = live.spec.physical_name().to_string();
        self.call("tags_now", &name).await?;
        Ok(self.state().resources.get(&key(live.spec.kind(), &name, &live.location)).map(|l| l.spec.tags().clone()))
    }

    async fn tag(&self, live: &Live, tags: &Tags) -> Result<()> {
        let name = live.spec.physical_name().to_string();
        self.call("tag", &name).await?;
        if let Some(l) = self.state().resources.get_mut(&key(live.spec.kind(), &name, &live.location)) {
            l.spec.tags_mut().extend(tags.clone());
        }
        Ok(())
    }

    async fn untag(&self, live: &Live, keys: &[String]) -> Result<()> {
        let name = live.spec.physical_name().to_string();
        self.call("untag", &name).await?;
        if let Some(l) = self.state().resources.get_mut(&key(live.spec.kind(), &name, &live.location)) {
            l.spec.tags_mut().retain(|k, _| !keys.contains(k));
        }
        Ok(())
    }

    async fn policy_exists(&self, arn: &str) -> Result<bool> {
        self.call("policy_exists", arn).await?;
        Ok(!arn.contains("DoesNotExist"))
    }

    async fn data_held(&self, live: &Live) -> Result<Option<String>> {
        let name = live.spec.physical_name();
        self.call("data_held", name).await?;
        let n = self.state().objects.get(name).copied().unwrap_or(0);
        Ok(live.spec.kind().info().holds.filter(|_| n > 0).map(|what| format!("{n} {what}")))
    }

    async fn discover_at_home(&self, scope: &Scope) -> Result<Vec<Owned>> {
        self.discover(&Self::home(), scope).await
    }

    /// One account, one Region: nothing to reach.
    fn set_access(&self, _access: &BTreeMap<String, AssumeRole>) {}

    async fn reach(&self, _locations: &[Location]) -> Result<()> {
        Ok(())
    }
}

#[async_trait]
impl StateStore for FakeProvider {
    async fn try_lock(&self, settings: &LockSettings, holder: &Holder) -> Result<LockAttempt> {
        let stack = settings.stack.as_str();
        self.call("lock", stack).await?;
        let mut state = self.state();
        if let Some((h, etag)) = &state.lock {
            return Ok(LockAttempt::Held { holder: h.clone(), etag: etag.clone() });
        }
        state.locks_taken += 1;
        let etag = format!("etag-{}", state.locks_taken);
        state.lock = Some((holder.clone(), etag.clone()));
        Ok(LockAttempt::Taken(LockHandle {
            bucket: settings.bucket.clone(),
            key: format!("{stack}.lock"),
            etag,
            took_over: None,
            legacy: None,
        }))
    }

    async fn take_over(&self, settings: &LockSettings, holder: &Holder, etag: &str) -> Result<Option<LockHandle>> {
        let stack = settings.stack.as_str();
        self.call("take_over", stack).await?;
        let mut state = self.state();
        if state.lock.as_ref().map(|(_, e)| e.as_str()) != Some(etag) {
            return Ok(None);
        }
        state.locks_taken += 1;
        let etag = format!("etag-{}", state.locks_taken);
        state.lock = Some((holder.clone(), etag.clone()));
        Ok(Some(LockHandle {
            bucket: settings.bucket.clone(),
            key: format!("{stack}.lock"),
            etag,
            took_over: None,
            legacy: None,
        }))
    }

    async fn release(&self, lock: &LockHandle) -> Result<Released> {
        self.call("release", &lock.key).await?;
        let mut state = self.state();
        match &state.lock {
            Some((_, etag)) if *etag == lock.etag => {
                state.lock = None;
                Ok(Released::Ours)
            }
            other => Ok(Released::NotOurs(other.as_ref().map(|(h, _)| h.clone()))),
        }
    }

    async fn break_lock(&self, settings: &LockSettings) -> Result<Option<Holder>> {
        let stack = settings.stack.as_str();
        self.call("break_lock", stack).await?;
        Ok(self.state().lock.take().map(|(h, _)| h))
    }

    async fn indexed_locations(&self, settings: &LockSettings) -> Result<Vec<Location>> {
        let stack = settings.stack.as_str();
        self.call("indexed_locations", stack).await?;
        Ok(self.state().index.clone())
    }

    async fn index_locations(&self, settings: &LockSettings, locations: &[Location]) -> Result<()> {
        let stack = settings.stack.as_str();
        self.call("index_locations", stack).await?;
        self.state().index = locations.to_vec();
        Ok(())
    }
}
