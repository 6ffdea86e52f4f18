//! The core's [`Provider`] over every location a stack uses: one set of [`Clients`] per account
//! and Region, each paced by its own quotas (AWS's API quotas are per account and Region), the
//! home's connected first and the others when first used. Accounts other than the credentials'
//! own are reached through the role stack.toml names for them (STS AssumeRole from the default
//! credential chain, refreshed before the credentials expire).

use super::{pacing, Clients, Connection};
use crate::model::{AssumeRole, Live, Location, LockSettings, Outputs, Owned, Spec, Tags};
use crate::provider::{Holder, LockAttempt, LockHandle, Lookup, Provider, Released, Scope, StateStore};
use anyhow::{Context as _, Result};
use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

/// Every location's clients.
pub struct AwsCloud {
    home: Clients,
    connection: Connection,
    /// The session name of assumed roles (names the stack in CloudTrail).
    session: String,
    /// How accounts other than the credentials' own are reached.
    access: Mutex<BTreeMap<String, AssumeRole>>,
    /// The clients of each location but the home's, connected when first used.
    others: tokio::sync::Mutex<HashMap<Location, Clients>>,
    /// The same, for counting calls without waiting.
    connected: Mutex<Vec<Clients>>,
}

impl AwsCloud {
    /// Connects the home location: `region` (or the default chain's), with the default
    /// credentials, or those of `role` when `[stack] assume_role` names one.
    pub async fn connect(
        region: Option<String>,
        connection: Connection,
        role: Option<&AssumeRole>,
        stack: &str,
    ) -> Result<AwsCloud> {
        let session = session_name(stack);
        let home = Clients::connect(region, &connection, role, &session).await?;
        Ok(AwsCloud {
            home,
            connection,
            session,
            access: Mutex::new(BTreeMap::new()),
            others: Default::default(),
            connected: Mutex::new(Vec::new()),
        })
    }

    /// The home location's clients (the lock, the account lookup, the data path of the home).
    pub fn home(&self) -> &Clients {
        &self.home
    }

    /// The roles through which other accounts are reached (from the built stack).
    pub fn set_access(&self, access: &BTreeMap<String, AssumeRole>) {
        *self.access.lock().unwrap_or_else(|e| e.into_inner()) = access.clone();
    }

    /// The clients of `location`, connected on first use. An account reached through a role is
    /// checked to be the role's (GetCallerIdentity with the assumed credentials): a role that
    /// cannot be assumed is an error naming it.
    pub async fn at(&self, location: &Location) -> Result<Clients> {
        if self.home.location()? == *location {
            return Ok(self.home.clone());
        }
        let mut others = self.others.lock().await;
        if let Some(c) = others.get(location) {
            return Ok(c.clone());
        }
        let role = self.access.lock().unwrap_or_else(|e| e.into_inner()).get(&location.account).cloned();
        // Another Region of an account already reached shares its credentials and its IAM pace.
        let same_account = std::iter::once(&self.home)
            .chain(others.values())
            .find(|c| c.owner().ok() == Some(location.account.as_str()))
            .cloned();
        let clients = if let Some(same) = same_account {
            same.in_region(&location.region).await?
        } else {
            let Some(role) = role else {
                anyhow::bail!(
                    "provision has no way into account {}: stack.toml names no assume_role for it",
                    location.account
                );
            };
            let c =
                Clients::connect(Some(location.region.clone()), &self.connection, Some(&role), &self.session).await?;
            let account = c
                .caller_account()
                .await
                .with_context(|| format!("assuming the role {}", crate::output::escape(&role.arn)))?;
            if account != location.account {
                anyhow::bail!(
                    "the role {} acts in account {account}, not in {}",
                    crate::output::escape(&role.arn),
                    location.account
                );
            }
            c
        };
        others.insert(location.clone(), clients.clone());
        self.connected.lock().unwrap_or_else(|e| e.into_inner()).push(clients.clone());
        Ok(clients)
    }

    /// Connects every location, side by side: a role that cannot be assumed stops the run here,
    /// before any change anywhere.
    pub async fn reach(&self, locations: &[Location]) -> Result<()> {
        let all = futures::future::join_all(locations.iter().map(|l| self.at(l))).await;
        all.into_iter().collect::<Result<Vec<_>>>().map(|_| ())
    }

    /// Calls per action and throttled answers over every location.
    pub fn counts(&self) -> Vec<pacing::ActionCount> {
        let mut by_action: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        let connected = self.connected.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for c in std::iter::once(&self.home).chain(connected.iter()) {
            for count in c.pacer.counts() {
                let entry = by_action.entry(count.operation).or_default();
                entry.0 += count.calls;
                entry.1 += count.throttled;
            }
        }
        by_action
            .into_iter()
            .map(|(operation, (calls, throttled))| pacing::ActionCount { operation, calls, throttled })
            .collect()
    }
}

/// The role session name: `provision-<stack>`, cut to STS's 64 characters.
fn session_name(stack: &str) -> String {
    let mut name = format!("provision-{stack}");
    name.truncate(64);
    name
}

#[async_trait]
impl Provider for AwsCloud {
    fn region(&self) -> &str {
        self.home.region()
    }

    async fn account_id(&self) -> Result<String> {
        self.home.account_id().await
    }

    async fn discover(&self, location: &Location, scope: &Scope) -> Result<Vec<Owned>> {
        self.at(location).await?.discover_here(scope).await
    }

    async fn read(&self, location: &Location, what: Lookup<'_>) -> Result<Option<Live>> {
        self.at(location).await?.read(what).await
    }

    async fn create(&self, location: &Location, spec: &Spec, wait: Duration) -> Result<Outputs> {
        self.at(location).await?.create_kind(spec, wait).await
    }

    async fn update(&self, desired: &Spec, live: &Live, wait: Duration) -> Result<Outputs> {
        self.at(&live.location).await?.update_kind(desired, live, wait).await
    }

    async fn delete(&self, live: &Live, force_destroy: bool, wait: Duration) -> Result<()> {
        self.at(&live.location).await?.delete_kind(live, force_destroy, wait).await
    }

    async fn tags_now(&self, live: &Live) -> Result<Option<Tags>> {
        self.at(&live.location).await?.tags_now(live).await
    }

    async fn tag(&self, live: &Live, tags: &Tags) -> Result<()> {
        self.at(&live.location).await?.tag_kind(live, tags).await
    }

    async fn untag(&self, live: &Live, keys: &[String]) -> Result<()> {
        self.at(&live.location).await?.untag_kind(live, keys).await
    }

    async fn data_held(&self, live: &Live) -> Result<Option<String>> {
        self.at(&live.location).await?.data_held_kind(live).await
    }

    async fn policy_exists(&self, arn: &str) -> Result<bool> {
        self.home.policy_exists(arn).await
    }

    async fn discover_at_home(&self, scope: &Scope) -> Result<Vec<Owned>> {
        self.home.discover_unplaced(scope).await
    }

    fn set_access(&self, access: &BTreeMap<String, AssumeRole>) {
        AwsCloud::set_access(self, access)
    }

    async fn reach(&self, locations: &[Location]) -> Result<()> {
        AwsCloud::reach(self, locations).await
    }
}

#[async_trait]
impl StateStore for AwsCloud {
    async fn try_lock(&self, settings: &LockSettings, holder: &Holder) -> Result<LockAttempt> {
        self.home.try_lock(settings, holder).await
    }

    async fn take_over(&self, settings: &LockSettings, holder: &Holder, etag: &str) -> Result<Option<LockHandle>> {
        self.home.take_over(settings, holder, etag).await
    }

    async fn release(&self, lock: &LockHandle) -> Result<Released> {
        self.home.release(lock).await
    }

    async fn break_lock(&self, settings: &LockSettings) -> Result<Option<Holder>> {
        self.home.break_lock(settings).await
    }

    async fn indexed_locations(&self, settings: &LockSettings) -> Result<Vec<Location>> {
        self.home.indexed_locations(settings).await
    }

    async fn index_locations(&self, settings: &LockSettings, locations: &[Location]) -> Result<()> {
        self.home.index_locations(settings, locations).await
    }
}
