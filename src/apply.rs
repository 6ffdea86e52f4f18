//! Executes a plan: a walker over its dependency edges ([`Change::after`]): a change starts once
//! those it waits for are done, independent changes run in parallel (bounded), dependents of a
//! failed change are skipped. Reports events; prints nothing itself.

use crate::model::{Address, LockSettings, Outputs};
use crate::plan::{Action, Change, Plan};
use crate::provider::{Intent, Provider};
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
}

/// What an apply did.
#[derive(Debug, Default)]
pub struct Report {
    pub done: Vec<Address>,
    pub failed: Vec<(Address, String)>,
    pub skipped: Vec<Address>,
    /// Left alone because the run was interrupted.
    pub not_started: Vec<Address>,
    pub outputs: HashMap<Address, Outputs>,
}

impl Report {
    /// Whether everything planned was done.
    pub fn complete(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty() && self.not_started.is_empty()
    }
}

/// Where apply records its intents (see [`Intent`]): the stack's lock bucket.
#[derive(Debug, Clone)]
pub struct IntentLog {
    pub settings: LockSettings,
    pub stack: String,
    /// Intents an earlier run left, cleared once their resource is settled by this run.
    pub left: Vec<Intent>,
}

/// How often a long-running change reports that it is still running.
const HEARTBEAT: Duration = Duration::from_secs(10);

/// Runs every change of the plan. `parallelism` bounds changes in flight. Once `stop` turns true
/// (Ctrl-C), nothing new starts; changes in flight finish and are reported.
pub async fn execute(
    plan: &Plan,
    provider: &Arc<dyn Provider>,
    parallelism: usize,
    intents: Option<&IntentLog>,
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
    let outputs = Arc::new(Mutex::new(plan.known_outputs.clone()));
    let mut report = Report::default();
    let mut running: JoinSet<(Address, Action, Duration, anyhow::Result<Option<Outputs>>)> = JoinSet::new();
    let mut in_flight: HashMap<Address, (Action, Instant)> = HashMap::new();
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
            let ready = deps.iter().all(|d| report.done.contains(d));
            if ready && running.len() < parallelism.max(1) {
                let (change, _) = waiting.remove(i);
                let address = change.address.clone();
                let change_address = address.clone();
                on_event(Event::Started { address: address.clone(), action: change.action });
                in_flight.insert(address.clone(), (change.action, Instant::now()));
                let provider = provider.clone();
                let outputs = outputs.clone();
                let intents = intents.cloned();
                let task = running.spawn(async move {
                    let start = Instant::now();
                    let result = run(provider.as_ref(), change.clone(), outputs, intents.as_ref()).await;
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
                            report.failed.push((address, format!("internal error: {e}")));
                        }
                        continue;
                    }
                };
                in_flight.remove(&address);
                match result {
                    Ok(out) => {
                        if let Some(out) = out {
                            outputs.lock().await.insert(address.clone(), out);
                        }
                        on_event(Event::Finished { address: address.clone(), action, elapsed });
                        report.done.push(address);
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

/// Performs one change, recording an intent right before a create whose call cannot carry the
/// ownership tags, and clearing it once the resource is tagged (or found not to be ours).
async fn run(
    provider: &dyn Provider,
    change: Change,
    outputs: Arc<Mutex<HashMap<Address, Outputs>>>,
    intents: Option<&IntentLog>,
) -> anyhow::Result<Option<Outputs>> {
    let intent = Intent::new(&change.address, &change.physical_name);
    let creates = matches!(change.action, Action::Create | Action::Replace);
    let log = intents.filter(|_| !change.address.kind.create_carries_tags());
    if let (Some(log), true) = (log, creates) {
        provider.record_intent(&log.settings, &log.stack, &intent).await?;
    }
    let result = perform(provider, &change, outputs).await;
    let left_before = log.is_some_and(|l| l.left.iter().any(|i| i == &intent));
    let settled =
        result.is_ok() || result.as_ref().err().is_some_and(|e| e.chain().any(|c| c.is::<crate::error::NotOwned>()));
    if let (Some(log), true) = (log, settled && (creates || left_before)) {
        provider.clear_intent(&log.settings, &log.stack, &intent).await?;
    }
    result
}

/// Performs one change. Returns the resource's outputs (none for a delete).
async fn perform(
    provider: &dyn Provider,
    change: &Change,
    outputs: Arc<Mutex<HashMap<Address, Outputs>>>,
) -> anyhow::Result<Option<Outputs>> {
    let mut desired = change.desired.as_ref().map(|d| d.spec.clone());
    if let Some(spec) = &mut desired {
        spec.resolve(&*outputs.lock().await);
    }
    let wait = change.desired.as_ref().map_or(change.address.kind.default_wait(), |d| d.wait_timeout);
    match (change.action, desired, &change.live) {
        (Action::Create, Some(spec), _) => provider.create(&spec, wait).await.map(Some),
        (Action::Update, Some(spec), Some(live)) => provider.update(&spec, live, wait).await.map(Some),
        (Action::Replace, Some(spec), Some(live)) => {
            provider.delete(live, change.force_destroy, wait).await?;
            provider.create(&spec, wait).await.map(Some)
        }
        (Action::Delete, _, Some(live)) => provider.delete(live, change.force_destroy, wait).await.map(|_| None),
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
        let report = execute(plan, &provider, parallelism, None, stopped, |e| {
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

    #[tokio::test(start_paused = true)]
    async fn changes_in_flight_never_exceed_the_parallelism() {
        let fake = Arc::new(FakeProvider::new());
        let mut text = String::from("[stack]\nname = \"wide\"\n");
        for i in 0..8 {
            text.push_str(&format!("[bucket.b{i}]\nname = \"wide-bucket-{i}\"\n"));
            fake.delay("create", &format!("wide-bucket-{i}"), std::time::Duration::from_secs(1));
        }
        let plan = plan_for(&fake, &text).await;
        fake.reset_calls();
        let (report, _) = run_plan(&fake, &plan, 3, false).await;
        assert!(report.complete());
        assert_eq!(fake.max_in_flight(), 3);
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
    async fn an_intent_is_recorded_before_a_create_that_cannot_carry_tags_and_cleared_once_settled() {
        let fake = Arc::new(FakeProvider::new());
        let s = stack(DEFAULT_STACK);
        let log = IntentLog { settings: s.lock.clone().unwrap(), stack: s.name.clone(), left: vec![] };
        let provider: Arc<dyn Provider> = fake.clone();
        let (_stop, stopped) = tokio::sync::watch::channel(false);
        fake.fail("create", crate::testing::BUCKET, "InternalError", 1);
        let plan = plan_for(&fake, DEFAULT_STACK).await;
        let report = execute(&plan, &provider, 4, Some(&log), stopped.clone(), |_| {}).await;
        assert!(!report.complete());
        // Only the bucket's create cannot carry its tags everywhere: only it leaves an intent,
        // and a failed create keeps it (the bucket may exist).
        let bucket = Intent::new(&Address::parse("bucket.data").unwrap(), crate::testing::BUCKET);
        assert_eq!(fake.intents(), std::slice::from_ref(&bucket));
        let plan = plan_for(&fake, DEFAULT_STACK).await;
        let log = IntentLog { left: vec![bucket], ..log };
        assert!(execute(&plan, &provider, 4, Some(&log), stopped, |_| {}).await.complete());
        assert!(fake.intents().is_empty(), "{:?}", fake.intents());
    }
}
