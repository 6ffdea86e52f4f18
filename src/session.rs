//! The pipeline every command that reaches AWS runs, in one place (the counterpart of
//! Terraform's `Context`): stack.toml validated offline, the account looked up while the home
//! location is searched for what the stack owns, the stack built for that account, every other
//! location reached (its role assumed) and searched, then the live state read beside the
//! stack's index of locations. Commands call it and print what it notes; it prints nothing.

use crate::aws::{pacing, Fleet};
use crate::config;
use crate::model::{Environment, Location, Owned, Spec, Stack};
use crate::plan::LiveState;
use crate::provider::{Provider, Scope};
use anyhow::{Context as _, Result};
use std::sync::Arc;

/// Where a note goes: a command prints it (or not, with `-q`).
pub type Notes<'a> = &'a dyn Fn(&str);

/// How to reach AWS.
pub struct Connection {
    /// One endpoint for every service (a local emulator).
    pub endpoint: Option<String>,
    pub rates: pacing::Rates,
}

/// A stack built for the real account, with the provider to reach it and what discovery found.
pub struct Session {
    pub stack: Stack,
    /// The core's view of AWS.
    pub provider: Arc<dyn Provider>,
    /// The same clients, by location, for the data path and the call counts.
    pub fleet: Arc<Fleet>,
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
    /// Connects and builds the stack of `loaded` (stack.toml read and checked offline: no API
    /// call for an invalid file) for the real account and region. With `discover`, the stack's
    /// owned resources are searched for: in the home location while the account is looked up,
    /// then in every other location the stack declares, side by side. Every location is
    /// reached (its role assumed) before anything is read or changed.
    pub async fn open(
        loaded: config::Loaded,
        connection: Connection,
        discover: bool,
        note: Notes<'_>,
    ) -> Result<Session> {
        let (offline, _) = config::check_offline(&loaded)?;
        crate::output::set_secrets(loaded.sensitive.clone());
        let role = config::stack_role(&loaded);
        let fleet = Fleet::connect(
            config::declared_region(&loaded),
            connection.endpoint,
            connection.rates,
            role.as_ref(),
            &loaded.name,
        )
        .await?;
        let fleet = Arc::new(fleet);
        let provider: Arc<dyn Provider> = fleet.clone();
        // Role paths are written as they are; a database's name may use the account, known
        // only after the lookup: the offline build's scope is searched while the account is
        // looked up, and the rest after.
        let offline_scope = Scope::of(&offline, &offline.home());
        let (account, owned) = tokio::join!(provider.account_id(), async {
            if discover {
                fleet.home().discover_unplaced(&offline_scope).await.map(Some)
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
        fleet.set_access(&stack.access);
        let home = stack.home();
        let elsewhere: Vec<Location> = stack.locations().into_iter().filter(|l| *l != home).collect();
        fleet.reach(&elsewhere).await?;
        let mut owned: Vec<Owned> =
            owned?.unwrap_or_default().into_iter().map(|o| Owned { found_in: home.clone(), ..o }).collect();
        if discover {
            let scope = Scope::of(&stack, &home);
            let databases: Vec<String> =
                scope.databases.into_iter().filter(|d| !offline_scope.databases.contains(d)).collect();
            let (more, others) = tokio::join!(
                async {
                    if databases.is_empty() {
                        return Ok(Vec::new());
                    }
                    provider.discover(&home, &Scope { stack: stack.name.clone(), databases }).await
                },
                crate::live::discover(&stack, &provider, &elsewhere)
            );
            owned.extend(more?);
            owned.extend(others?);
            owned = crate::live::once_each(owned);
        }
        Ok(Session { stack, provider, fleet, owned, indexed: Vec::new(), config: loaded })
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
                Some(settings) => self.provider.indexed_locations(settings, &self.stack.name).await,
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
