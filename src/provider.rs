//! The boundary between the core (plan, apply, commands) and a cloud, as Terraform core talks to
//! providers: everything the core needs from AWS, as one trait. `aws::Clients` implements it with
//! the AWS SDK; [`fake::FakeProvider`] implements it in memory for fast tests of planning and
//! execution.

#[cfg(test)]
pub mod fake;

use crate::model::{Kind, Live, Location, LockSettings, Outputs, Owned, Spec, Stack, Tags};
use anyhow::Result;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Where discovery looks for a stack's resources in one location besides the listings of the
/// whole location (the tagging API; IAM's role list, 1,000 roles a page, read only for the roles
/// carrying the stack's marker): the containers whose resources are listed, by the kind listed
/// (a table's Glue database: see [`crate::model::kinds::KindSpec::listed_in`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scope {
    pub stack: String,
    /// The containers of the declared resources, by kind, sorted (the containers the stack
    /// created itself, tagged, are listed too).
    pub containers: std::collections::BTreeMap<Kind, Vec<String>>,
}

impl Scope {
    /// The scope of a built stack in one location.
    pub fn of(stack: &Stack, location: &Location) -> Scope {
        let mut containers: std::collections::BTreeMap<Kind, Vec<String>> = Default::default();
        for r in stack.resources.iter().filter(|r| &r.location == location) {
            if let Some(container) = r.spec.listed_in() {
                containers.entry(r.address.kind).or_default().push(container.to_string());
            }
        }
        for names in containers.values_mut() {
            names.sort();
            names.dedup();
        }
        Scope { stack: stack.name.clone(), containers }
    }

    /// The containers whose resources of `kind` are listed.
    pub fn containers(&self, kind: Kind) -> &[String] {
        self.containers.get(&kind).map(Vec::as_slice).unwrap_or_default()
    }

    /// This scope's containers that `other` does not list.
    pub fn without(&self, other: &Scope) -> Scope {
        let containers = self
            .containers
            .iter()
            .map(|(kind, names)| {
                (*kind, names.iter().filter(|n| !other.containers(*kind).contains(n)).cloned().collect::<Vec<_>>())
            })
            .filter(|(_, names)| !names.is_empty())
            .collect();
        Scope { stack: self.stack.clone(), containers }
    }
}

/// One kind's side of a cloud, implemented once per kind beside the service it calls
/// (`src/aws/<service>.rs`): how a resource of it is read, created, updated, deleted and tagged.
/// The [`Provider`] of a cloud dispatches to it by kind (generated from the registry of kinds),
/// so a kind is one implementation of this, never an arm in a list of kinds.
#[async_trait]
pub trait KindApi<S: Sync>: Sync {
    /// Reads it by physical name (`None`: it does not exist); `desired` says what to look for
    /// (a log group's streams), `tags` are discovery's when it returned them.
    async fn read(&self, name: &str, desired: Option<&S>, tags: Option<&Tags>) -> Result<Option<Live>>;
    /// Creates it, with its tags in the create call where the service allows, waiting up to
    /// `wait` for it to be usable.
    async fn create(&self, spec: &S, wait: Duration) -> Result<Outputs>;
    /// Changes `live` (its settings `was`) to match `desired`.
    async fn update(&self, desired: &S, was: &S, live: &Live, wait: Duration) -> Result<Outputs>;
    /// Deletes it (emptying what it holds first when `force_destroy`).
    async fn delete(&self, spec: &S, live: &Live, force_destroy: bool, wait: Duration) -> Result<()>;
    /// What it holds that deleting it deletes, for people (`None`: nothing). Required of every
    /// kind: a kind that holds data must say so, or destroy would delete it unasked.
    async fn data_held(&self, spec: &S, live: &Live) -> Result<Option<String>>;
}

/// How one kind's tags are read and written, beside its [`KindApi`]: with its own service's
/// calls (most services tag by ARN, and share one implementation: `aws::ArnTagged`).
#[async_trait]
pub trait KindTags<S: Sync>: Sync {
    /// Its tags right now, read with its own service's API (`None`: gone).
    async fn tags_now(&self, spec: &S, live: &Live) -> Result<Option<Tags>>;
    /// Adds tags (import), keeping every other tag it has.
    async fn tag(&self, spec: &S, live: &Live, tags: &Tags) -> Result<()>;
    /// Removes tags (forget).
    async fn untag(&self, spec: &S, live: &Live, keys: &[String]) -> Result<()>;
}

/// Who holds a stack's lock, and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Holder {
    /// `user@host (pid N)`.
    pub who: String,
    pub command: String,
    pub since: String,
    /// The host name, for people (never used to decide anything).
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub pid: u32,
    /// Where the holding process runs, precisely enough to tell that it is gone (see
    /// [`crate::locking::certainly_gone`]); empty where the system does not say.
    #[serde(default)]
    pub process: crate::process::ProcessIdentity,
}

impl Holder {
    /// This process, about to run `command`.
    pub fn current(command: &str) -> Holder {
        let user = std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "unknown".into());
        let host = crate::process::hostname();
        let pid = std::process::id();
        let since = aws_smithy_types::DateTime::from(std::time::SystemTime::now())
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .unwrap_or_default();
        Holder {
            who: format!("{user}@{host} (pid {pid})"),
            command: command.into(),
            since,
            host,
            pid,
            process: crate::process::ProcessIdentity::of_this_process(),
        }
    }

    /// The holder's fields escaped for a terminal: a lock object is text anyone with write access
    /// to the lock bucket can write.
    pub fn escaped(&self) -> Holder {
        use crate::output::escape;
        Holder {
            who: escape(&self.who),
            command: escape(&self.command),
            since: escape(&self.since),
            host: escape(&self.host),
            pid: self.pid,
            process: self.process.clone(),
        }
    }
}

/// A lock this run holds; release it with [`Provider::release`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHandle {
    pub bucket: String,
    pub key: String,
    /// The ETag of the lock object this run wrote: release deletes only that object.
    pub etag: String,
    /// The holder whose lock this run took over (a process certainly gone).
    pub took_over: Option<Holder>,
    /// The same lock written in the legacy lock bucket, where that bucket exists (bucket,
    /// ETag): older versions of provision look only there.
    pub legacy: Option<(String, String)>,
}

/// What one attempt to take a lock found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockAttempt {
    /// The lock is this run's.
    Taken(LockHandle),
    /// Another run holds it; `etag` identifies that lock object (for a conditional takeover).
    Held { holder: Holder, etag: String },
}

/// What releasing a lock found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Released {
    /// Our lock object was deleted.
    Ours,
    /// The lock had been broken (`provision unlock`) and possibly taken by another run; its
    /// object was left alone.
    NotOurs(Option<Holder>),
}

/// Everything the core needs from a cloud. Calls about a resource go to its location: the one
/// given (reads, creates, discovery), or the one a [`Live`] was read in; the stack's lock and
/// the account lookup go to the home location.
#[async_trait]
pub trait Provider: Send + Sync {
    /// The home Region.
    fn region(&self) -> &str;

    /// The account the home credentials act in.
    async fn account_id(&self) -> Result<String>;

    /// Every resource tagged as owned by the stack within `scope` in `location`, with its tags
    /// where the search returns them (roles: candidates, confirmed by their read). Listings of
    /// global names (buckets, an account's roles) may return resources of other locations:
    /// each says where it was found.
    async fn discover(&self, location: &Location, scope: &Scope) -> Result<Vec<Owned>>;

    /// Reads the resource `what` names in `location` (`None`: it does not exist). The [`Live`]
    /// returned says where it was read.
    async fn read(&self, location: &Location, what: Lookup<'_>) -> Result<Option<Live>>;

    /// Creates a resource in `location` (with its tags in the create call where the service
    /// allows), waiting up to `wait` for it to become usable. A resource of that name found in
    /// the way is converged only when it carries the tags of `spec`'s owner; otherwise the
    /// error is [`crate::error::NotOwned`].
    async fn create(&self, location: &Location, spec: &Spec, wait: Duration) -> Result<Outputs>;

    /// Changes a live resource in place to match `desired`.
    async fn update(&self, desired: &Spec, live: &Live, wait: Duration) -> Result<Outputs>;

    /// Deletes a live resource; a bucket holding objects only with `force_destroy`.
    async fn delete(&self, live: &Live, force_destroy: bool, wait: Duration) -> Result<()>;

    /// The resource's tags as its own service says them now (`None`: it is gone), with one call
    /// (S3 GetBucketTagging, IAM GetRole, Lambda ListTags, Logs ListTagsForResource, Firehose
    /// ListTagsForDeliveryStream, Glue GetTable's parameters): what a delete is decided on, never
    /// the tagging index that discovery reads, which lags.
    async fn tags_now(&self, live: &Live) -> Result<Option<Tags>>;

    /// Adds tags to a live resource (import takes ownership this way).
    async fn tag(&self, live: &Live, tags: &Tags) -> Result<()>;

    /// Removes tags from a live resource (forget gives up ownership this way; a role loses its
    /// description marker too).
    async fn untag(&self, live: &Live, keys: &[String]) -> Result<()>;

    /// Whether an IAM managed policy of that ARN exists.
    async fn policy_exists(&self, arn: &str) -> Result<bool>;

    /// What a live resource of a kind that holds data holds, for people (`3 object version(s)`,
    /// `log events`); `None` when it is empty, or its kind holds none.
    async fn data_held(&self, live: &Live) -> Result<Option<String>>;

    /// The stack's resources in the home location before the account is known (the offline
    /// build's scope, searched while the account is looked up): each says where it was found
    /// once the account is known.
    async fn discover_at_home(&self, scope: &Scope) -> Result<Vec<Owned>>;

    /// Says through which role each other account is reached (`[stack]` and module calls'
    /// `assume_role`), before [`Provider::reach`].
    fn set_access(&self, access: &std::collections::BTreeMap<String, crate::model::AssumeRole>);

    /// Reaches every location (its role assumed, its account checked) before anything is read
    /// or changed there.
    async fn reach(&self, locations: &[Location]) -> Result<()>;
}

/// The resource a [`Provider::read`] looks for.
#[derive(Debug, Clone, Copy)]
pub struct Lookup<'a> {
    pub kind: Kind,
    /// Its physical name.
    pub name: &'a str,
    /// Its desired settings, which tell which log streams to look for.
    pub desired: Option<&'a Spec>,
    /// Its tags, when discovery returned them already: saves the tag call.
    pub tags: Option<&'a Tags>,
}

/// Where the stack's own state lives, beside its resources: its lock and its index of the
/// locations it has written to (an S3 bucket of the home location, for AWS).
#[async_trait]
pub trait StateStore: Send + Sync {
    /// One attempt at the stack's lock: taken, or who holds it.
    async fn try_lock(&self, settings: &LockSettings, holder: &Holder) -> Result<LockAttempt>;

    /// Replaces the lock object `etag` (a holder certainly gone) with this run's, only if it is
    /// still that object; `None` when it changed meanwhile.
    async fn take_over(&self, settings: &LockSettings, holder: &Holder, etag: &str) -> Result<Option<LockHandle>>;

    /// Releases a lock taken by this run, and only if it is still this run's.
    async fn release(&self, lock: &LockHandle) -> Result<Released>;

    /// Breaks the stack's lock, whoever holds it; returns who held it.
    async fn break_lock(&self, settings: &LockSettings) -> Result<Option<Holder>>;

    /// The locations the stack's index (beside its lock) says it has written to: where to
    /// look for what stack.toml no longer declares, never what is the stack's.
    async fn indexed_locations(&self, settings: &LockSettings) -> Result<Vec<Location>>;

    /// Writes the stack's index of locations (removes it when empty).
    async fn index_locations(&self, settings: &LockSettings, locations: &[Location]) -> Result<()>;
}

/// A cloud: its resources and the stack's state store, as a session is handed them.
pub trait Cloud: Provider + StateStore {}

impl<T: Provider + StateStore> Cloud for T {}

#[cfg(test)]
mod scope_tests {
    use super::*;
    use crate::provider::fake::FakeProvider;
    use crate::testing::stack;
    use std::sync::Arc;

    #[test]
    fn a_scope_lists_the_tables_databases() {
        let s = stack(
            "[stack]\nname = \"app\"\n[role.a]\ntrust = [\"firehose.amazonaws.com\"]\n\
             [role.b]\ntrust = [\"lambda.amazonaws.com\"]\npath = \"/service/\"\n\
             [role.c]\ntrust = [\"lambda.amazonaws.com\"]\npath = \"/service/etl/\"\n\
             [bucket.b]\nname = \"app-bucket\"\n[firehose.f]\nname = \"app-stream\"\nrole = \"role.a\"\nbucket = \"bucket.b\"\nprefix = \"data/\"\n\
             [table.t]\nname = \"events\"\ndatabase = \"lake\"\nstream = \"firehose.f\"\ncolumns = { id = \"string\" }\n",
        );
        let scope = Scope::of(&s, &s.home());
        assert_eq!(scope.containers(Kind::Table), ["lake"]);
        assert_eq!(scope.without(&scope), Scope { stack: "app".into(), ..Scope::default() });
    }

    /// Discovery finds the stack's roles wherever they live (a path stack.toml no longer
    /// writes included); tables only where the stack puts them: a table in someone else's
    /// database it no longer names is not searched (the manual says so: docs/src/ownership.md), its own databases
    /// always are.
    #[tokio::test]
    async fn discovery_finds_roles_at_any_path_and_tables_of_the_stack_s_databases() {
        let fake = Arc::new(FakeProvider::new());
        let provider: Arc<dyn Provider> = fake.clone();
        fake.add_foreign_database("shared");
        let header = "[stack]\nname = \"app\"\n[role.own]\ntrust = [\"firehose.amazonaws.com\"]\n\
                      [bucket.b]\nname = \"app-bucket\"\n[firehose.f]\nname = \"app-stream\"\nrole = \"role.own\"\n\
                      bucket = \"bucket.b\"\nprefix = \"data/\"\n";
        let full = stack(&format!(
            "{header}[role.elsewhere]\ntrust = [\"lambda.amazonaws.com\"]\npath = \"/service/\"\n\
             [table.mine]\nname = \"events\"\ndatabase = \"app_lake\"\nstream = \"firehose.f\"\ncolumns = {{ id = \"string\" }}\n\
             [table.theirs]\nname = \"events\"\ndatabase = \"shared\"\nstream = \"firehose.f\"\ncolumns = {{ id = \"string\" }}\n"
        ));
        let live = crate::live::read(&full, &provider, &[]).await.unwrap();
        let plan = crate::plan::build(&full, &live).unwrap();
        let (_stop, stopped) = tokio::sync::watch::channel(false);
        assert!(crate::apply::execute(&plan, &provider, 4, stopped, |_| {}).await.complete());

        let names = |owned: Vec<Owned>| owned.into_iter().map(|o| o.physical_name).collect::<Vec<_>>();
        let found = names(crate::live::discover(&full, &provider, &full.locations()).await.unwrap());
        assert!(
            ["app-own", "app-elsewhere", "app_lake/events", "shared/events"]
                .iter()
                .all(|n| found.contains(&n.to_string())),
            "{found:?}"
        );
        // Only role.own left in stack.toml: the role at the path no longer written is still
        // found (to be deleted), and the stack's own database is searched, not someone else's.
        let found = names(crate::live::discover(&stack(header), &provider, &stack(header).locations()).await.unwrap());
        for n in ["app-own", "app-elsewhere", "app_lake/events"] {
            assert!(found.contains(&n.to_string()), "{n}: {found:?}");
        }
        assert!(!found.contains(&"shared/events".to_string()), "{found:?}");
    }
}
