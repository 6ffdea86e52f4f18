//! Executes a plan: a walker over its dependency edges ([`Change::after`]): a change starts once
//! those it waits for are done, independent changes run in parallel (bounded), dependents of a
//! failed change are skipped. Reports events; prints nothing itself.

use crate::model::{Address, Outputs};
use crate::plan::{Action, Change, Plan};
use crate::provider::Provider;
use anyhow::Context as _;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use tokio::task::JoinSet;

/// Something that happened while applying.
#[derive(Debug, Clone)]
pub enum Event {
    Started {
        address: Address,
        action: Action,
    },
    StillRunning {
        address: Address,
        action: Action,
        elapsed: Duration,
    },
    Finished {
        address: Address,
        action: Action,
        elapsed: Duration,
    },
    Failed {
        address: Address,
        action: Action,
        error: String,
    },
    Skipped {
        address: Address,
        because: Address,
    },
    /// Not started because the run was interrupted (Ctrl-C).
    NotStarted {
        address: Address,
    },
    /// Not deleted: read again right before its delete, it no longer carries the stack's tags.
    Left {
        address: Address,
        physical_name: String,
    },
}

/// What an apply did.
#[derive(Debug, Default)]
pub struct Report {
    pub done: Vec<Address>,
    pub failed: Vec<(Address, String)>,
    pub skipped: Vec<Address>,
    /// Left alone because the run was interrupted.
    pub not_started: Vec<Address>,
    /// Not deleted because they no longer carry the stack's tags (see [`Event::Left`]).
    pub left: Vec<Address>,
    pub outputs: HashMap<Address, Outputs>,
}

impl Report {
    /// Whether everything planned was done.
    pub fn complete(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty() && self.not_started.is_empty()
    }
}

/// How often a long-running change reports that it is still running.
const HEARTBEAT: Duration = Duration::from_secs(10);

/// Runs every change of the plan. `parallelism` bounds changes in flight in each location (each
/// location's quotas are its own: one's changes never wait for another's slots). Once `stop` turns true
/// (Ctrl-C), nothing new starts; changes in flight finish and are reported.
pub async fn execute(
    plan: &Plan,
    provider: &Arc<dyn Provider>,
    parallelism: usize,
    mut stop: tokio::sync::watch::Receiver<bool>,
    on_event: impl Fn(Event),
) -> Report {
    // The plan's edges, to the changes that run (a no-op is nothing to wait for).
    let active: Vec<&Address> = plan.changes.iter().filter(|c| c.is_active()).map(|c| &c.address).collect();
    let mut waiting: Vec<(Change, Vec<Address>)> = plan
        .changes
        .iter()
        .filter(|c| c.is_active())
        .map(|c| (c.clone(), c.after.iter().filter(|a| active.contains(a)).cloned().collect()))
        .collect();
    in_pipeline_order(&mut waiting);
    let outputs = Arc::new(Mutex::new(plan.known_outputs.clone()));
    let mut report = Report::default();
    let mut running: JoinSet<(Address, Action, Duration, anyhow::Result<Option<Outputs>>)> = JoinSet::new();
    let mut in_flight: HashMap<Address, (Action, Instant)> = HashMap::new();
    let mut in_flight_at: HashMap<crate::model::Location, usize> = HashMap::new();
    let location_of: HashMap<Address, crate::model::Location> =
        plan.changes.iter().map(|c| (c.address.clone(), c.location.clone())).collect();
    let mut tasks: HashMap<tokio::task::Id, Address> = HashMap::new();
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.tick().await;

    loop {
        if *stop.borrow() {
            for (change, _) in waiting.drain(..) {
                on_event(Event::NotStarted { address: change.address.clone() });
                report.not_started.push(change.address);
            }
        }
        // Skip what depends on a failure; start what is ready.
        let mut i = 0;
        while i < waiting.len() {
            let (change, deps) = &waiting[i];
            let failed = |d: &&Address| report.failed.iter().any(|(f, _)| f == *d) || report.skipped.contains(d);
            if let Some(bad) = deps.iter().find(failed) {
                on_event(Event::Skipped { address: change.address.clone(), because: bad.clone() });
                report.skipped.push(change.address.clone());
                waiting.remove(i);
                // A skip may cascade to entries already passed: look again from the start.
                i = 0;
                continue;
            }
            let ready = deps.iter().all(|d| report.done.contains(d) || report.left.contains(d));
            let room = in_flight_at.get(&change.location).copied().unwrap_or(0) < parallelism.max(1);
            if ready && room {
                let (change, _) = waiting.remove(i);
                *in_flight_at.entry(change.location.clone()).or_default() += 1;
                let address = change.address.clone();
                let change_address = address.clone();
                on_event(Event::Started { address: address.clone(), action: change.action });
                in_flight.insert(address.clone(), (change.action, Instant::now()));
                let provider = provider.clone();
                let outputs = outputs.clone();
                let stack = plan.stack.clone();
                let task = running.spawn(async move {
                    let start = Instant::now();
                    let result = perform(provider.as_ref(), &change, &stack, outputs).await;
                    (address, change.action, start.elapsed(), result)
                });
                tasks.insert(task.id(), change_address);
                continue;
            }
            i += 1;
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            Some(joined) = running.join_next_with_id() => {
                let (address, action, elapsed, result) = match joined {
                    Ok((id, r)) => {
                        tasks.remove(&id);
                        r
                    }
                    Err(e) => {
                        // A bug, not an AWS error: report it against the change that was running.
                        if let Some(address) = tasks.remove(&e.id()) {
                            in_flight.remove(&address);
                            release(&mut in_flight_at, &location_of[&address]);
                            report.failed.push((address, format!("internal error: {e}")));
                        }
                        continue;
                    }
                };
                in_flight.remove(&address);
                release(&mut in_flight_at, &location_of[&address]);
                match result {
                    Ok(out) => {
                        if let Some(out) = out {
                            outputs.lock().await.insert(address.clone(), out);
                        }
                        on_event(Event::Finished { address: address.clone(), action, elapsed });
                        report.done.push(address);
                    }
                    // A delete not made is what the stack wants (the resource is not its own);
                    // a replacement not made is a failure (its dependents need the new one).
                    Err(e) if e.is::<NoLongerOurs>() && action == Action::Delete => {
                        let physical_name = plan.changes.iter().find(|c| c.address == address).map(|c| c.physical_name.clone()).unwrap_or_default();
                        on_event(Event::Left { address: address.clone(), physical_name });
                        report.left.push(address);
                    }
                    Err(e) => {
                        let error = format!("{e:#}");
                        on_event(Event::Failed { address: address.clone(), action, error: error.clone() });
                        report.failed.push((address, error));
                    }
                }
            }
            Ok(()) = stop.changed() => {}
            _ = heartbeat.tick() => {
                for (address, (action, start)) in &in_flight {
                    on_event(Event::StillRunning { address: address.clone(), action: *action, elapsed: start.elapsed() });
                }
            }
        }
    }
    report.outputs = outputs.lock().await.clone();
    report
}

/// Orders the changes so that those a same final change waits for start together: each is
/// ranked by the first change, in plan order, that nothing waits for and that waits on it
/// (itself, if nothing waits for it). A fleet's roles, functions and log groups then start
/// pipeline by pipeline, so the first streams can start while later roles are still being made,
/// instead of every role of one kind first (each API paced by its quota, the calls queue in the
/// order they start).
fn in_pipeline_order(waiting: &mut Vec<(Change, Vec<Address>)>) {
    let position: HashMap<&Address, usize> = waiting.iter().enumerate().map(|(i, (c, _))| (&c.address, i)).collect();
    let mut waited_by: Vec<Vec<usize>> = vec![Vec::new(); waiting.len()];
    for (i, (_, deps)) in waiting.iter().enumerate() {
        for d in deps {
            if let Some(&j) = position.get(d) {
                waited_by[j].push(i);
            }
        }
    }
    // Ranks from the last change backwards would need a topological order; a memoized walk
    // does without (the plan's edges have no cycle).
    fn rank(i: usize, waited_by: &[Vec<usize>], memo: &mut [Option<usize>]) -> usize {
        if let Some(r) = memo[i] {
            return r;
        }
        let r = waited_by[i].iter().map(|&j| rank(j, waited_by, memo)).min().unwrap_or(i);
        memo[i] = Some(r);
        r
    }
    let mut memo = vec![None; waiting.len()];
    let ranks: Vec<usize> = (0..waiting.len()).map(|i| rank(i, &waited_by, &mut memo)).collect();
    let mut entries: Vec<(usize, (Change, Vec<Address>))> = std::mem::take(waiting).into_iter().enumerate().collect();
    entries.sort_by_key(|(i, _)| (ranks[*i], *i));
    *waiting = entries.into_iter().map(|(_, entry)| entry).collect();
}

/// One change of `location` no longer in flight.
fn release(in_flight_at: &mut HashMap<crate::model::Location, usize>, location: &crate::model::Location) {
    if let Some(n) = in_flight_at.get_mut(location) {
        *n = n.saturating_sub(1);
    }
}

/// A delete not made: read again right before it, the resource no longer carries the stack's
/// tags (the tagging index lagged, or someone took it over or forgot it meanwhile).
#[derive(Debug)]
struct NoLongerOurs;

impl std::fmt::Display for NoLongerOurs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no longer tagged by this stack")
    }
}

impl std::error::Error for NoLongerOurs {}

/// Reads the tags of what is about to be deleted with its own service's API: only a resource
/// that carries `stack`'s tag now, and the deployment's home it carried when planned, is
/// deleted (`Ok(false)`: it is already gone). Planned without a read of its tags, it may carry
/// the stack's own home or none, as a read would have planned it.
async fn still_ours(provider: &dyn Provider, live: &crate::model::Live, stack: &str) -> anyhow::Result<bool> {
    use crate::model::{HOME_TAG, OWNER_TAG};
    let planned_home = live.spec.tags().get(HOME_TAG);
    match provider.tags_now(live).await? {
        None => Ok(false),
        Some(tags)
            if tags.get(OWNER_TAG).map(String::as_str) == Some(stack)
                && (tags.get(HOME_TAG) == planned_home || (live.tags_unread && !tags.contains_key(HOME_TAG))) =>
        {
            Ok(true)
        }
        Some(_) => Err(NoLongerOurs.into()),
    }
}

/// Performs one change. Returns the resource's outputs (none for a delete). Every delete is
/// decided on the resource's tags read right before it.
async fn perform(
    provider: &dyn Provider,
    change: &Change,
    stack: &str,
    outputs: Arc<Mutex<HashMap<Address, Outputs>>>,
) -> anyhow::Result<Option<Outputs>> {
    let mut desired = change.desired.as_ref().map(|d| d.spec.clone());
    if let Some(spec) = &mut desired {
        spec.resolve(&*outputs.lock().await);
    }
    let wait = change.desired.as_ref().map_or(change.address.kind.default_wait(), |d| d.wait_timeout);
    match (change.action, desired, &change.live) {
        (Action::Create, Some(spec), _) => provider.create(&change.location, &spec, wait).await.map(Some),
        (Action::Update, Some(spec), Some(live)) => provider.update(&spec, live, wait).await.map(Some),
        (Action::Replace, Some(spec), Some(live)) => {
            if still_ours(provider, live, stack).await.context("left alone, not replaced")? {
                provider.delete(live, change.force_destroy, wait).await?;
            }
            provider.create(&change.location, &spec, wait).await.map(Some)
        }
        (Action::Delete, _, Some(live)) => {
            if still_ours(provider, live, stack).await? {
                provider.delete(live, change.force_destroy, wait).await?;
            }
            Ok(None)
        }
        (action, _, _) => anyhow::bail!("internal error: cannot {action:?} {}", change.address),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan;
    use crate::provider::fake::FakeProvider;
    use crate::testing::{stack, DEFAULT_STACK};

    async fn plan_for(fake: &Arc<FakeProvider>, text: &str) -> Plan {
        let s = stack(text);
        let provider: Arc<dyn Provider> = fake.clone();
        let live = crate::live::read(&s, &provider, &[]).await.unwrap();
        plan::build(&s, &live).unwrap()
    }

    async fn run_plan(
        fake: &Arc<FakeProvider>,
        plan: &Plan,
        parallelism: usize,
        stop_after_first: bool,
    ) -> (Report, Vec<Event>) {
        let provider: Arc<dyn Provider> = fake.clone();
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let events = std::sync::Mutex::new(Vec::new());
        let report = execute(plan, &provider, parallelism, stopped, |e| {
            if stop_after_first && matches!(e, Event::Started { .. }) {
                let _ = stop.send(true);
            }
            events.lock().unwrap().push(e);
        })
        .await;
        (report, events.into_inner().unwrap())
    }

    fn names(addresses: &[Address]) -> Vec<String> {
        let mut v: Vec<String> = addresses.iter().map(|a| a.to_string()).collect();
        v.sort();
        v
    }

    #[tokio::test]
    async fn a_failure_skips_its_dependents_and_only_them() {
        let fake = Arc::new(FakeProvider::new());
        fake.fail("create", "firehose-dp-demo-extractor", "AccessDenied", 1);
        let plan = plan_for(&fake, DEFAULT_STACK).await;
        let (report, _) = run_plan(&fake, &plan, 10, false).await;
        assert_eq!(report.failed.len(), 1);
        assert_eq!(report.failed[0].0.to_string(), "role.extractor");
        assert!(report.failed[0].1.contains("AccessDenied"), "{:?}", report.failed);
        // The function needs the role, the stream needs the function: both skipped, in cascade.
        assert_eq!(names(&report.skipped), ["firehose.events", "lambda.extractor"]);
        assert_eq!(names(&report.done), ["bucket.data", "log_group.delivery", "role.delivery"]);
        assert!(!fake.calls().iter().any(|c| c == "create MetadataExtractor"));
    }

    /// The most changes in flight applying eight buckets that each take a second to create,
    /// spread over `regions` in turn, with `parallelism`.
    async fn most_in_flight(regions: &[&str], parallelism: usize) -> usize {
        let fake = Arc::new(FakeProvider::new());
        let mut text = String::from("[stack]\nname = \"wide\"\n");
        for i in 0..8 {
            let region = regions[i % regions.len()];
            text.push_str(&format!("[bucket.b{i}]\nname = \"wide-bucket-{i}\"\nregion = \"{region}\"\n"));
            fake.delay("create", &format!("wide-bucket-{i}"), std::time::Duration::from_secs(1));
        }
        let plan = plan_for(&fake, &text).await;
        fake.reset_calls();
        let (report, _) = run_plan(&fake, &plan, parallelism, false).await;
        assert!(report.complete());
        fake.max_in_flight()
    }

    #[tokio::test(start_paused = true)]
    async fn changes_in_flight_never_exceed_the_parallelism() {
        assert_eq!(most_in_flight(&["us-east-1"], 3).await, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn each_location_has_its_own_parallelism() {
        assert_eq!(most_in_flight(&["us-east-1", "eu-west-1"], 3).await, 6, "three in each of the two Regions");
    }

    #[tokio::test]
    async fn changes_start_pipeline_by_pipeline() {
        let fake = Arc::new(FakeProvider::new());
        let mut text = String::from("[stack]\nname = \"two\"\n");
        for i in 0..2 {
            text.push_str(&format!(
                "[bucket.b{i}]\nname = \"two-bucket-{i}\"\n[role.r{i}]\ntrust = [\"firehose.amazonaws.com\"]\n\
                 [firehose.f{i}]\nname = \"two-stream-{i}\"\nrole = \"role.r{i}\"\nbucket = \"bucket.b{i}\"\nprefix = \"data/\"\n"
            ));
        }
        let plan = plan_for(&fake, &text).await;
        let (report, events) = run_plan(&fake, &plan, 1, false).await;
        assert!(report.complete());
        let started: Vec<String> = events
            .iter()
            .filter_map(|e| match e {
                Event::Started { address, .. } => Some(address.to_string()),
                _ => None,
            })
            .collect();
        // One at a time: the first stream's bucket, role and stream before the second's.
        let at = |a: &str| started.iter().position(|s| s == a).unwrap();
        assert!(at("firehose.f0") < at("bucket.b1") && at("firehose.f0") < at("role.r1"), "{started:?}");
    }

    #[tokio::test]
    async fn an_interrupt_starts_nothing_new_and_lets_work_in_flight_finish() {
        let fake = Arc::new(FakeProvider::new());
        let plan = plan_for(&fake, DEFAULT_STACK).await;
        let (report, events) = run_plan(&fake, &plan, 1, true).await;
        let started = events.iter().filter(|e| matches!(e, Event::Started { .. })).count();
        assert_eq!(started, 1, "one change started before the interrupt");
        assert_eq!(report.done.len(), 1, "and it finished");
        assert_eq!(report.not_started.len(), 5);
        assert!(!report.complete());
    }

    #[tokio::test]
    async fn a_delete_is_decided_on_tags_read_right_before_it_never_on_the_index() {
        let fake = Arc::new(FakeProvider::new());
        // Someone's untagged function, which a lagging tagging index still lists as the stack's
        // (it was tagged once; or forgotten with `provision forget` a moment ago).
        let theirs = "their-function";
        let s = stack(DEFAULT_STACK);
        let mut spec = s.get(&Address::parse("lambda.extractor").unwrap()).unwrap().spec.clone();
        if let crate::model::Spec::Lambda(l) = &mut spec {
            l.name = theirs.into();
        }
        spec.tags_mut().clear();
        fake.insert(spec);
        let mut tags = crate::model::Tags::new();
        tags.insert(crate::model::OWNER_TAG.into(), s.name.clone());
        tags.insert(crate::model::ADDRESS_TAG.into(), "lambda.old\u{202e}x".into());
        fake.stale_index(crate::model::Owned {
            address: Address::parse("lambda.old\u{202e}x").unwrap(),
            physical_name: theirs.into(),
            tags: Some(tags),
            found_in: FakeProvider::home(),
        });
        let provider: Arc<dyn Provider> = fake.clone();
        let live = crate::testing::live_of(&s, &provider).await;
        let plan = plan::build(&s, &live).unwrap();
        let orphan = plan.changes.iter().find(|c| c.action == Action::Delete).expect("the index makes it an orphan");
        assert_eq!(orphan.address.to_string(), "lambda.old\\u{202e}x", "printed escaped");
        fake.reset_calls();
        let (report, events) = run_plan(&fake, &plan, 4, false).await;
        assert_eq!(names(&report.left), ["lambda.old\\u{202e}x"]);
        assert!(report.complete(), "left alone is not a failure: {report:?}");
        assert!(events.iter().any(|e| matches!(e, Event::Left { physical_name, .. } if physical_name == theirs)));
        assert!(fake.get(crate::model::Kind::Lambda, theirs).is_some(), "their function is still there");
        let calls = fake.calls();
        assert!(calls.contains(&format!("tags_now {theirs}")), "{calls:?}");
        assert!(!calls.contains(&format!("delete {theirs}")), "{calls:?}");
        // What the stack does own is deleted as planned, each after a fresh read of its tags.
        let destroy = plan::build_destroy(&s, &crate::testing::live_of(&s, &provider).await);
        fake.reset_calls();
        let (report, _) = run_plan(&fake, &destroy, 4, false).await;
        assert!(report.complete() && report.done.len() == 6, "{report:?}");
        let calls = fake.calls();
        let deletes = calls.iter().filter(|c| c.starts_with("delete ")).count();
        let reads = calls.iter().filter(|c| c.starts_with("tags_now ")).count();
        assert_eq!(reads, deletes + 1, "one read per delete (and one for the function left): {calls:?}");
    }

    #[tokio::test]
    async fn a_replacement_of_what_is_no_longer_ours_fails_and_its_dependents_wait() {
        let fake = Arc::new(FakeProvider::new());
        let plan = plan_for(&fake, DEFAULT_STACK).await;
        assert!(run_plan(&fake, &plan, 4, false).await.0.complete());
        let s = stack(DEFAULT_STACK);
        let provider: Arc<dyn Provider> = fake.clone();
        let live = crate::testing::live_of(&s, &provider).await;
        let request = plan::Request {
            replace: vec![crate::model::address::Selector::parse("lambda.extractor").unwrap()],
            ..Default::default()
        };
        let replace = plan::build_requested(&s, &live, &request).unwrap();
        // Between the plan and the replacement, the function is forgotten (its tags removed).
        fake.modify(crate::model::Kind::Lambda, "MetadataExtractor", |spec| spec.tags_mut().clear());
        fake.reset_calls();
        let (report, _) = run_plan(&fake, &replace, 4, false).await;
        assert_eq!(report.failed.len(), 1, "{report:?}");
        assert!(report.failed[0].1.contains("left alone, not replaced: no longer tagged by this stack"), "{report:?}");
        assert_eq!(names(&report.skipped), ["firehose.events"]);
        assert!(!fake.calls().iter().any(|c| c == "delete MetadataExtractor" || c == "create MetadataExtractor"));
    }
}
