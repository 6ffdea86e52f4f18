//! The boundary between the core (plan, apply, commands) and a cloud, as Terraform core talks to
//! providers: everything the core needs from AWS, as one trait. `aws::Clients` implements it with
//! the AWS SDK; [`fake::FakeProvider`] implements it in memory for fast tests of planning and
//! execution.

pub mod fake;

use crate::model::{Address, Kind, Live, LockSettings, Outputs, Owned, Spec, Tags};
use anyhow::Result;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Who holds a stack's lock, and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// `user@host (pid N)`.
    pub who: String,
    pub command: String,
    pub since: String,
    /// The host and process, so that a run on the same host can tell the holder is gone.
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub pid: u32,
}

impl Holder {
    /// This process, about to run `command`.
    pub fn current(command: &str) -> Holder {
        let user = std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "unknown".into());
        let host = hostname();
        let pid = std::process::id();
        let since = aws_smithy_types::DateTime::from(std::time::SystemTime::now())
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .unwrap_or_default();
        Holder { who: format!("{user}@{host} (pid {pid})"), command: command.into(), since, host, pid }
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
        }
    }

    /// Whether the holding process is known to be gone: it ran on this host and no process with
    /// its id exists any more.
    pub fn is_gone_from_this_host(&self) -> bool {
        !self.host.is_empty()
            && self.host == hostname()
            && self.pid != 0
            && self.pid != std::process::id()
            && !std::path::Path::new(&format!("/proc/{}", self.pid)).exists()
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".into())
}

/// A lock this run holds; release it with [`Provider::release`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHandle {
    pub bucket: String,
    pub key: String,
    /// The ETag of the lock object this run wrote: release deletes only that object.
    pub etag: String,
    /// The holder whose lock this run took over (a process of this host that is gone).
    pub took_over: Option<Holder>,
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

/// A resource an apply is about to create, recorded before the create so that a run killed in
/// between leaves a trace: the next plan adopts the untagged resource instead of calling it a
/// conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    pub address: String,
    pub physical_name: String,
}

impl Intent {
    pub fn new(address: &Address, physical_name: &str) -> Intent {
        Intent { address: address.to_string(), physical_name: physical_name.to_string() }
    }

    /// Whether this intent is for `address` under `physical_name`.
    pub fn is_for(&self, address: &Address, physical_name: &str) -> bool {
        self.address == address.to_string() && self.physical_name == physical_name
    }
}

/// Everything the core needs from a cloud.
#[async_trait]
pub trait Provider: Send + Sync {
    /// The region every call goes to.
    fn region(&self) -> &str;

    /// The account the credentials belong to.
    async fn account_id(&self) -> Result<String>;

    /// Every resource tagged as owned by `stack`, with its tags where the search returns them.
    async fn discover(&self, stack: &str) -> Result<Vec<Owned>>;

    /// Reads a resource by physical name (`None`: it does not exist). `desired` tells which log
    /// streams to look for; `tags`, when discovery already returned them, saves the tag call.
    async fn read(&self, kind: Kind, name: &str, desired: Option<&Spec>, tags: Option<&Tags>) -> Result<Option<Live>>;

    /// Creates a resource (with its tags in the create call where the service allows), waiting
    /// up to `wait` for it to become usable.
    async fn create(&self, spec: &Spec, wait: Duration) -> Result<Outputs>;

    /// Changes a live resource in place to match `desired`.
    async fn update(&self, desired: &Spec, live: &Live, wait: Duration) -> Result<Outputs>;

    /// Deletes a live resource; a bucket holding objects only with `force_destroy`.
    async fn delete(&self, live: &Live, force_destroy: bool, wait: Duration) -> Result<()>;

    /// Adds tags to a live resource (import takes ownership this way).
    async fn tag(&self, live: &Live, tags: &Tags) -> Result<()>;

    /// Object versions and delete markers in a bucket.
    async fn object_count(&self, bucket: &str) -> Result<usize>;

    /// Takes the stack's lock, or fails at once naming the holder.
    async fn lock(&self, settings: &LockSettings, stack: &str, holder: &Holder) -> Result<LockHandle>;

    /// Releases a lock taken by this run, and only if it is still this run's.
    async fn release(&self, lock: &LockHandle) -> Result<Released>;

    /// Breaks the stack's lock, whoever holds it; returns who held it.
    async fn break_lock(&self, settings: &LockSettings, stack: &str) -> Result<Option<Holder>>;

    /// Records what an apply is about to create (an empty list clears the record).
    async fn write_intents(&self, settings: &LockSettings, stack: &str, intents: &[Intent]) -> Result<()>;

    /// What an interrupted apply was creating, if it left a record.
    async fn read_intents(&self, settings: &LockSettings, stack: &str) -> Result<Vec<Intent>>;
}
