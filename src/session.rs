//! The pipeline every command that reaches a cloud runs, in one place (the counterpart of
//! Terraform's `Context`), handed its cloud (AWS's clients in every location, or the in-memory fake): stack.toml
//! validated offline, the account looked up while the home location is searched for what the
//! stack owns, the stack built for that account, every other location reached (its role
//! assumed) and searched, the live state read beside the stack's index of locations; then the
//! plan a request asks for, the checks before a change (a stale saved plan, prevent_destroy,
//! data a delete would lose), the stack's lock around what changes, and the execution with the
//! index kept. Commands handle arguments and print what it notes; it prints nothing.

use crate::aws::AwsCloud;
pub use crate::aws::Connection;
use crate::config;
use crate::forget::Release;
use crate::import::{Imported, Prepared};
use crate::model::{Address, Environment, Location, LockSettings, Owned, Spec, Stack};
use crate::plan::saved::SavedPlan;
use crate::plan::{Action, LiveState, Plan, Request};
use crate::provider::{Cloud, Holder, Provider, Released, Scope, StateStore};
use anyhow::{anyhow, bail, Context as _, Result};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

/// Where a note goes: a command prints it (or not, with `-q`).
pub type Notes<'a> = &'a dyn Fn(&str);

/// A stack built for the real account, with the cloud to reach it and what discovery found.
pub struct Session {
    pub stack: Stack,
    /// The core's view of the cloud's resources.
    pub provider: Arc<dyn Provider>,
    /// Where the stack's lock and index of locations live.
    pub store: Arc<dyn StateStore>,
    /// The AWS clients by location, for the data path and the call counts (`None`: a session
    /// on the in-memory cloud).
    aws: Option<Arc<AwsCloud>>,
    /// What discovery found (only when asked for).
    pub owned: Vec<Owned>,
    /// The locations other than the home the stack's index says it has written to (read with
    /// the live state).
    pub indexed: Vec<Location>,
    /// stack.toml as read, to build the stack again when the live read finds roles an earlier
    /// provision created at another path.
    config: config::Loaded,
}

impl Session {
    /// Connects to AWS (the default credential chain, `[stack] assume_role`) once stack.toml is
    /// checked offline (no API call for an invalid file), then opens the session on it.
    pub async fn connect(
        loaded: config::Loaded,
        connection: Connection,
        discover: bool,
        note: Notes<'_>,
    ) -> Result<Session> {
        let (offline, _) = config::check_offline(&loaded)?;
        crate::output::set_secrets(loaded.sensitive.clone());
        let role = config::stack_role(&loaded);
        let aws = AwsCloud::connect(config::declared_region(&loaded), connection, role.as_ref(), &loaded.name).await?;
        let aws = Arc::new(aws);
        Session::open_checked(loaded, offline, aws.clone(), Some(aws), discover, note).await
    }

    /// Builds the stack of `loaded` for `cloud`'s account and region. With `discover`, the
    /// stack's owned resources are searched for: in the home location while the account is
    /// looked up, then in every other location the stack declares, side by side. Every location
    /// is reached (its role assumed) before anything is read or changed.
    pub async fn open(
        loaded: config::Loaded,
        cloud: Arc<dyn Cloud>,
        discover: bool,
        note: Notes<'_>,
    ) -> Result<Session> {
        let (offline, _) = config::check_offline(&loaded)?;
        Session::open_checked(loaded, offline, cloud, None, discover, note).await
    }

    async fn open_checked(
        loaded: config::Loaded,
        offline: Stack,
        cloud: Arc<dyn Cloud>,
        aws: Option<Arc<AwsCloud>>,
        discover: bool,
        note: Notes<'_>,
    ) -> Result<Session> {
        let role = config::stack_role(&loaded);
        let provider: Arc<dyn Provider> = cloud.clone();
        let store: Arc<dyn StateStore> = cloud;
        // Role paths are written as they are; a database's name may use the account, known
        // only after the lookup: the offline build's scope is searched while the account is
        // looked up, and the rest after.
        let offline_scope = Scope::of(&offline, &offline.home());
        let (account, owned) = tokio::join!(provider.account_id(), async {
            if discover {
                provider.discover_at_home(&offline_scope).await.map(Some)
            } else {
                Ok(None)
            }
        });
        let account_id = match (account, &role) {
            (Ok(account), _) => account,
            (Err(e), Some(role)) => {
                return Err(
                    e.context(format!("assuming the role {} ([stack] assume_role)", crate::output::escape(&role.arn)))
                )
            }
            (Err(e), None) => return Err(e.context("finding the AWS account (STS GetCallerIdentity)")),
        };
        let env = Environment { region: provider.region().to_string(), account_id, ..Default::default() };
        let (stack, warnings) = config::build(&loaded, env)?;
        for w in &warnings {
            note(&w.to_string());
        }
        provider.set_access(&stack.access);
        let home = stack.home();
        let elsewhere: Vec<Location> = stack.locations().into_iter().filter(|l| *l != home).collect();
        provider.reach(&elsewhere).await?;
        let mut owned: Vec<Owned> =
            owned?.unwrap_or_default().into_iter().map(|o| Owned { found_in: home.clone(), ..o }).collect();
        if discover {
            let more_containers = Scope::of(&stack, &home).without(&offline_scope);
            let (more, others) = tokio::join!(
                async {
                    if more_containers.containers.is_empty() {
                        return Ok(Vec::new());
                    }
                    provider.discover(&home, &more_containers).await
                },
                crate::live::discover(&stack, &provider, &elsewhere)
            );
            owned.extend(more?);
            owned.extend(others?);
            owned = crate::live::once_each(owned);
        }
        Ok(Session { stack, provider, store, aws, owned, indexed: Vec::new(), config: loaded })
    }

    /// Reads every desired resource and every owned one, concurrently; for `destroy`, what a
    /// plan that only deletes needs. Roles an earlier provision created at another path than
    /// the stack's stay there (see [`Session::keep_earlier_role_paths`]), so `self.stack` may
    /// be built again.
    pub async fn read_live(&mut self, destroy: bool, note: Notes<'_>) -> Result<LiveState> {
        // The stack's index of locations is read beside the live reads: a location it names
        // that stack.toml no longer declares is searched after, for orphans.
        let index = async {
            match &self.stack.lock {
                Some(settings) => self.store.indexed_locations(settings).await,
                None => Ok(Vec::new()),
            }
        };
        let read = async {
            if destroy {
                crate::live::read_for_destroy(&self.stack, &self.provider, &self.owned).await
            } else {
                crate::live::read(&self.stack, &self.provider, &self.owned).await
            }
        };
        let (state, indexed) = tokio::join!(read, index);
        let mut state = state?;
        let indexed = indexed.context("reading the stack's index of locations")?;
        self.search_indexed(&indexed, &mut state, note).await?;
        self.indexed = indexed;
        self.keep_earlier_role_paths(&mut state, note)?;
        for (address, location) in &state.elsewhere {
            let declared = self.stack.get(address).map(|r| r.location.to_string()).unwrap_or_default();
            note(&format!(
                "note: {address} in {location} is another deployment's (stack.toml declares {address} in {declared}): left alone"
            ));
        }
        note_other_homes(&self.stack, &state, note);
        Ok(state)
    }

    /// Searches the locations the index names and stack.toml no longer declares (a Region key
    /// removed from a for_each) for the stack's orphans; one in an account stack.toml no longer
    /// reaches is said, not searched.
    async fn search_indexed(&self, indexed: &[Location], state: &mut LiveState, note: Notes<'_>) -> Result<()> {
        let stack = &self.stack;
        let declared = stack.locations();
        let home = stack.home();
        let (reachable, unreachable): (Vec<Location>, Vec<Location>) = indexed
            .iter()
            .filter(|l| !declared.contains(l))
            .cloned()
            .partition(|l| l.account == home.account || stack.access.contains_key(&l.account));
        for l in &unreachable {
            note(&format!(
                "note: the stack has written to {l}, which stack.toml no longer reaches (no assume_role for account {}): \
                 what it left there is not searched; declare an instance there again to destroy it",
                l.account
            ));
        }
        if reachable.is_empty() {
            return Ok(());
        }
        let found = crate::live::discover(stack, &self.provider, &reachable).await?;
        let known: std::collections::HashSet<_> = self.owned.iter().map(crate::live::identity).collect();
        let new: Vec<Owned> = found.into_iter().filter(|o| !known.contains(&crate::live::identity(o))).collect();
        crate::live::read_more_orphans(stack, &self.provider, &new, state).await
    }

    /// Roles an earlier provision created at another path than the stack's (`/`) stay there:
    /// the live read reads each declared role by name, wherever it is; a declared role at the
    /// default path found as the stack's at another path is kept there (the stack is built
    /// again with its path, so ARNs name it). Discovery lists roles at every path, so nothing
    /// more is searched: no call of its own.
    fn keep_earlier_role_paths(&mut self, state: &mut LiveState, note: Notes<'_>) -> Result<()> {
        let stack = &self.stack;
        let default = crate::model::role_path(&stack.name);
        let mut kept = stack.env.kept_role_paths.clone();
        let before = kept.len();
        for r in &stack.resources {
            let Spec::Role(role) = &r.spec else { continue };
            let Some(Some(live)) = state.by_address.get(&r.address) else { continue };
            if let Spec::Role(found) = &live.spec {
                if role.path == default && found.path != default && live.owner() == Some(stack.name.as_str()) {
                    kept.insert(role.name.clone(), found.path.clone());
                }
            }
        }
        if kept.len() == before {
            return Ok(());
        }
        for (role, path) in kept.iter().filter(|(name, _)| !stack.env.kept_role_paths.contains_key(*name)) {
            note(&format!(
                "note: role {} stays at path {} where an earlier provision created it (new roles go under {default}); \
                 write its `path` in stack.toml to keep it there, or `provision apply --replace` it to move it",
                crate::output::escape(role),
                crate::output::escape(path),
            ));
        }
        let env = Environment { kept_role_paths: kept, ..self.stack.env.clone() };
        let (stack, _) = config::build(&self.config, env)?;
        self.stack = stack;
        Ok(())
    }
}

/// Says, once a run, which resources belong to deployments of the stack's name from other homes
/// (left alone) and how many of the stack's resources were made before provision wrote a home.
fn note_other_homes(stack: &crate::model::Stack, state: &LiveState, note: Notes<'_>) {
    let mut by_home: std::collections::BTreeMap<&Location, Vec<String>> = Default::default();
    for (address, home) in &state.other_homes {
        by_home.entry(home).or_default().push(address.to_string());
    }
    for (home, addresses) in by_home {
        note(&format!(
            "note: {} resource(s) of stack {:?} belong to its deployment from {home}, not this run's home ({}): another deployment's, left alone: {}",
            addresses.len(),
            stack.name,
            stack.home(),
            addresses.join(", ")
        ));
    }
    if state.without_home > 0 {
        note(&format!(
            "note: {} of the stack's resources carry no {} tag (made before provision recorded a deployment's home): each is read as belonging to the home it is in; apply tags the stack's own with {}",
            state.without_home,
            crate::model::HOME_TAG,
            stack.home().tag_value()
        ));
    }
}

impl Session {
    /// The AWS clients, for what only AWS has (the data path, metrics, logs).
    pub fn aws(&self) -> Result<&Arc<AwsCloud>> {
        self.aws.as_ref().context("internal error: this command needs AWS, not the in-memory cloud")
    }

    /// The plan `request` asks for, from the live state read now (a destroy leaves conflicts
    /// alone, as apply executes it).
    pub async fn plan(&mut self, request: &Request, note: Notes<'_>) -> Result<(LiveState, Plan)> {
        let live = self.read_live(request.destroy, note).await?;
        let plan = crate::plan::build_requested(&self.stack, &live, request).map_err(|e| anyhow!(e))?;
        Ok((live, if request.destroy { plan.without_conflicts() } else { plan }))
    }

    /// Refuses a saved plan that no longer applies: made for another stack, account or Region,
    /// another stack.toml, or live state that changed since.
    pub fn refuse_if_changed(&self, saved: &SavedPlan, live: &LiveState, plan: &Plan) -> Result<()> {
        match saved.refusal(&self.stack, live, plan) {
            Some(reason) => bail!(
                "the saved plan cannot be applied: {reason}; nothing was changed. Run `provision plan --out FILE` again"
            ),
            None => Ok(()),
        }
    }

    /// What must hold before `plan` changes anything: no `prevent_destroy` resource deleted or
    /// replaced, no data deleted without its `force_destroy`.
    pub async fn check_before_changes(&self, plan: &Plan) -> Result<()> {
        crate::plan::check_safe(plan).map_err(|e| anyhow!(e))?;
        crate::destroy::refuse_data_loss(plan, self.provider.as_ref()).await
    }

    /// What the stack's lock needs, apart from the session (the work it guards may change the
    /// session's stack).
    pub fn lock_target(&self) -> LockTarget {
        LockTarget { store: self.store.clone(), settings: self.stack.lock.clone(), stack: self.stack.name.clone() }
    }

    /// Executes a plan, `parallelism` changes at a time in each location, `on` told of each
    /// event. The stack's index of locations lists every location the plan touches before it
    /// starts; after a complete run of a whole plan (`partial`: not), only those still holding
    /// the stack's resources.
    pub async fn execute(
        &self,
        plan: &Plan,
        parallelism: usize,
        partial: bool,
        stop: tokio::sync::watch::Receiver<bool>,
        on: impl Fn(crate::apply::Event),
    ) -> Result<crate::apply::Report> {
        let index = LocationIndex::before(plan, self).await?;
        let report = crate::apply::execute(plan, &self.provider, parallelism, stop, on).await;
        if report.complete() && !partial {
            index.after(plan, self, &report).await?;
        }
        Ok(report)
    }
}

impl Session {
    /// What importing `address` would tag, and what apply would change after (see
    /// [`crate::import::prepare`]).
    pub async fn prepare_import(&self, address: &Address) -> Result<Prepared> {
        crate::import::prepare(&self.stack, self.provider.as_ref(), address).await
    }

    /// Tags a prepared resource as the stack's.
    pub async fn import(&self, prepared: Prepared) -> Result<Imported> {
        crate::import::apply(&self.stack, self.provider.as_ref(), prepared).await
    }

    /// The owned resource `address` names, read now, that a forget would release.
    pub async fn prepare_forget(&mut self, address: &Address, note: Notes<'_>) -> Result<Release> {
        let live = self.read_live(false, note).await?;
        crate::forget::find(&self.stack, &live, address)
    }

    /// Removes the stack's ownership tags from a resource; nothing else about it changes.
    pub async fn forget(&self, release: &Release) -> Result<()> {
        crate::forget::release(self.provider.as_ref(), release).await
    }
}

/// The stack's lock, held around what changes the cloud (see [`Session::lock_target`]).
pub struct LockTarget {
    store: Arc<dyn StateStore>,
    settings: Option<LockSettings>,
    stack: String,
}

impl LockTarget {
    /// Runs `work` while holding the stack's lock (unless `[stack] lock = false`), waiting up to
    /// `timeout` for a live holder, and releases it afterwards whatever happened; an interrupt
    /// at any moment (a confirmation prompt included) releases it too.
    pub async fn hold<T>(
        self,
        command: &str,
        timeout: Duration,
        note: Notes<'_>,
        work: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        let Some(settings) = &self.settings else { return work.await };
        let stack = &self.stack;
        let me = Holder::current(command);
        let handle = crate::locking::acquire(self.store.as_ref(), settings, &me, timeout, |h| {
            let h = h.escaped();
            note(&format!(
                "Stack \"{stack}\" is locked by {} running `{}` since {}; waiting up to {} for it (--lock-timeout)...",
                h.who,
                h.command,
                h.since,
                crate::output::duration(timeout)
            ))
        })
        .await?;
        if let Some(gone) = &handle.took_over {
            let gone = gone.escaped();
            note(&format!(
                "Took over the lock of stack \"{stack}\" left by {} running `{}` since {}: that process is gone from this machine.",
                gone.who, gone.command, gone.since
            ));
        }
        crate::interrupt::hold_lock(self.store.clone(), handle.clone());
        let result = work.await;
        crate::interrupt::forget_lock();
        let released = self.store.release(&handle).await;
        let value = result?;
        match released.context("releasing the stack lock (break it with `provision unlock`)")? {
            Released::Ours => {}
            Released::NotOurs(holder) => note(&format!(
                "note: this run's lock was broken while it ran{}; the current lock was left alone",
                holder.map(|h| format!(" (now held by {})", h.escaped().who)).unwrap_or_default()
            )),
        }
        Ok(value)
    }
}

/// The stack's index of the locations other than its home it has written to (see
/// [`StateStore::indexed_locations`]): kept in the lock bucket, so a stack with locking off has
/// none (and searches only what it declares).
struct LocationIndex {
    listed: BTreeSet<Location>,
}

impl LocationIndex {
    /// Adds the locations `plan` touches, before it touches them.
    async fn before(plan: &Plan, session: &Session) -> Result<LocationIndex> {
        let home = session.stack.home();
        let known: BTreeSet<Location> = session.indexed.iter().cloned().collect();
        let touched = plan.changes.iter().filter(|c| c.action != Action::NoOp).map(|c| c.location.clone());
        let listed: BTreeSet<Location> = known.iter().cloned().chain(touched).filter(|l| *l != home).collect();
        if let Some(settings) = &session.stack.lock {
            if listed != known {
                let all: Vec<Location> = listed.iter().cloned().collect();
                session.store.index_locations(settings, &all).await?;
            }
        }
        Ok(LocationIndex { listed })
    }

    /// Keeps only the locations still holding something of the stack after a complete run.
    async fn after(&self, plan: &Plan, session: &Session, report: &crate::apply::Report) -> Result<()> {
        let home = session.stack.home();
        let remaining: BTreeSet<Location> = plan
            .changes
            .iter()
            .filter(|c| !(c.action == Action::Delete && report.done.contains(&c.address)))
            .map(|c| c.location.clone())
            .filter(|l| *l != home)
            .collect();
        if let Some(settings) = &session.stack.lock {
            if remaining != self.listed {
                let all: Vec<Location> = remaining.into_iter().collect();
                session.store.index_locations(settings, &all).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
