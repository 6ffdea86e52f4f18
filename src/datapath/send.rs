//! Sending records to a stream with PutRecordBatch: at most 500 records and 4 MiB per call,
//! several calls in flight, paced by the stream's Direct PUT quota and adapting to throttling.
//!
//! Every record is accounted for, and never reported as more than it is known to be:
//! - accepted: the answer names it, without an error code;
//! - failed entries (the answer names them with a code) and calls refused before processing
//!   (throttling) are sent again, exactly those (rule B2), with backoff;
//! - unknown: the request may have been received but its outcome is not known (the answer was
//!   lost, AWS answered 5xx, or the answer does not account for every entry). Firehose has no
//!   way to deduplicate: such records are not resent unless asked (`--resend-unknown`), and
//!   those resent are reported as possible duplicates;
//! - failed: refused for good (over the record limit, a permanent error, or still failing after
//!   every attempt).

use super::records::Record;
pub use super::records::MAX_RECORD_BYTES;
use async_trait::async_trait;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// PutRecordBatch limits (rule B1).
pub const MAX_BATCH_RECORDS: usize = 500;
pub const MAX_BATCH_BYTES: usize = 4 * 1024 * 1024;
/// How many times a batch's failed entries are sent again before they count as failed.
const MAX_ATTEMPTS: u32 = crate::retry::Policy::RECORDS.max_attempts;

/// How a whole PutRecordBatch call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutError {
    /// Refused before anything was processed (throttled, or never sent): send it all again.
    Retry,
    /// The stream does not exist.
    NotFound,
    /// Refused for good (the message says why).
    Rejected(String),
    /// The request may have been received, and its outcome is unknown (a 5xx, a lost answer):
    /// the records may or may not have been stored.
    Unknown(String),
}

/// Where batches go: a stream, through the AWS SDK (`aws::Clients::stream_sink`), or a fake.
#[async_trait]
pub trait BatchSink: Send + Sync {
    /// Sends one PutRecordBatch; returns each entry's error code (`None`: accepted), in order,
    /// as the answer gives them (a short answer leaves the entries after it unaccounted for).
    async fn put(&self, entries: &[Vec<u8>]) -> Result<Vec<Option<String>>, PutError>;
}

/// A stream's Direct PUT quota.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quota {
    pub records_per_second: f64,
    pub requests_per_second: f64,
    pub bytes_per_second: f64,
}

/// The default Direct PUT quota of a region: 5,000 records/s, 2,000 requests/s and 5 MiB/s in
/// us-east-1, us-west-2 and eu-west-1; 1,000 records/s, 1,000 requests/s and 1 MiB/s elsewhere.
pub fn region_quota(region: &str) -> Quota {
    if matches!(region, "us-east-1" | "us-west-2" | "eu-west-1") {
        Quota { records_per_second: 5000.0, requests_per_second: 2000.0, bytes_per_second: 5.0 * 1024.0 * 1024.0 }
    } else {
        Quota { records_per_second: 1000.0, requests_per_second: 1000.0, bytes_per_second: 1024.0 * 1024.0 }
    }
}

/// How fast to send.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// Start at the quota and adapt: slow down when throttled, speed up again after successes.
    Adaptive(Quota),
    /// Exactly this many records per second (`--rate`); throttling is still backed off.
    Exact(f64),
    /// As fast as the endpoint answers (a local emulator has no quota).
    Unpaced,
}

/// Calls to keep in flight for a pace: enough to sustain it at a 250 ms round trip, at least 2
/// (more only adds contention at an emulator, which answers as fast as it can anyway).
pub fn calls_in_flight(pace: Pace) -> usize {
    let calls_per_second = match pace {
        Pace::Unpaced => return 2,
        Pace::Exact(records) => records / MAX_BATCH_RECORDS as f64,
        Pace::Adaptive(q) => q.records_per_second / MAX_BATCH_RECORDS as f64,
    };
    ((calls_per_second * 0.25).ceil() as usize + 1).max(2)
}

/// Totals of a send.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    /// Records the stream accepted.
    pub sent: u64,
    /// Entries sent again after a failure (partial batch or throttled call).
    pub retried: u64,
    /// Records that could not be delivered (too large, or still failing after every retry).
    pub failed: u64,
    /// Records whose outcome is unknown and that were not sent again: they may or may not have
    /// been stored.
    pub unknown: u64,
    /// Records of unknown outcome sent again (`--resend-unknown`): they may be stored twice.
    pub possible_duplicates: u64,
    pub calls: u64,
    pub throttled: u64,
    /// The first reasons records failed, for the report.
    pub reasons: Vec<String>,
    /// Why sending stopped before the end of the records (an unreadable input, an interrupt).
    pub stopped: Option<String>,
}

impl Totals {
    /// Why the send did not deliver everything it was given (exit 1), if so.
    pub fn shortfall(&self) -> Option<String> {
        let t = self;
        let mut problems = Vec::new();
        if t.failed > 0 {
            problems.push(format!("{} record(s) could not be delivered", t.failed));
        }
        if t.unknown > 0 {
            problems.push(format!(
                "{} record(s) may or may not have been stored (Firehose cannot tell, and has no way to deduplicate): `provision verify` counts what arrived; `send --resend-unknown` would send such records again, at the risk of storing them twice",
                t.unknown
            ));
        }
        if t.possible_duplicates > 0 {
            problems.push(format!(
                "{} record(s) were resent after an unknown outcome and may be stored twice",
                t.possible_duplicates
            ));
        }
        if let Some(why) = &t.stopped {
            problems.push(format!("sending stopped before the end of the records: {}", crate::output::escape(why)));
        }
        if problems.is_empty() {
            return None;
        }
        let reasons = t.reasons.iter().map(|r| crate::output::escape(r)).collect::<Vec<_>>().join("; ");
        Some(format!("{}. Reasons: {reasons}", problems.join("; ")))
    }

    fn add(&mut self, other: &Totals) {
        self.sent += other.sent;
        self.retried += other.retried;
        self.failed += other.failed;
        self.unknown += other.unknown;
        self.possible_duplicates += other.possible_duplicates;
        self.calls += other.calls;
        self.throttled += other.throttled;
        for r in &other.reasons {
            if self.reasons.len() < 5 && !self.reasons.contains(r) {
                self.reasons.push(r.clone());
            }
        }
    }
}

/// Paces batches: each batch waits for its records, bytes and request to fit the current rate.
#[derive(Debug)]
struct Pacer {
    pace: Pace,
    /// Fraction of the quota in use (adaptive pace), 0.05 to 1.
    factor: f64,
    next: Instant,
}

impl Pacer {
    /// Reserves the slot for a batch; returns when it may be sent.
    fn reserve(&mut self, records: usize, bytes: usize) -> Instant {
        let seconds = match self.pace {
            Pace::Unpaced => 0.0,
            Pace::Exact(rate) => records as f64 / rate.max(0.001),
            Pace::Adaptive(q) => {
                let by_records = records as f64 / q.records_per_second;
                let by_bytes = bytes as f64 / q.bytes_per_second;
                let by_requests = 1.0 / q.requests_per_second;
                by_records.max(by_bytes).max(by_requests) / self.factor
            }
        };
        let now = Instant::now();
        let at = self.next.max(now);
        self.next = at + Duration::from_secs_f64(seconds);
        at
    }

    fn throttled(&mut self) {
        if matches!(self.pace, Pace::Adaptive(_)) {
            self.factor = (self.factor / 2.0).max(0.05);
        }
    }

    fn succeeded(&mut self) {
        if matches!(self.pace, Pace::Adaptive(_)) {
            self.factor = (self.factor + 0.05).min(1.0);
        }
    }
}

/// Why sending could not go on at all.
#[derive(Debug)]
pub enum SendError {
    /// The stream does not exist or is not ACTIVE (the message says which).
    Stream(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Stream(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for SendError {}

/// How `send` goes about it.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub pace: Pace,
    /// Calls in flight at once.
    pub in_flight: usize,
    /// Send records of unknown outcome again (they may then be stored twice).
    pub resend_unknown: bool,
}

/// Sends every record of `records` to `stream`. The records are read on a thread of their own,
/// so that reading a slow input (a pipe) never holds up an interrupt; once `stop` turns true, no
/// new call starts and the calls in flight finish. `progress` is called after each batch with
/// the totals so far.
pub async fn send(
    sink: Arc<dyn BatchSink>,
    stream: &str,
    records: impl Iterator<Item = std::io::Result<Record>> + Send + 'static,
    options: Options,
    mut stop: tokio::sync::watch::Receiver<bool>,
    progress: impl Fn(&Totals),
) -> Result<Totals, SendError> {
    let pacer = Arc::new(Mutex::new(Pacer { pace: options.pace, factor: 1.0, next: Instant::now() }));
    let mut totals = Totals::default();
    let mut running: JoinSet<Result<Totals, SendError>> = JoinSet::new();
    let mut batch: Vec<Vec<u8>> = Vec::new();
    let mut bytes = 0;
    let (tx, mut rx) = tokio::sync::mpsc::channel(2 * MAX_BATCH_RECORDS);
    std::thread::spawn(move || {
        for record in records {
            if tx.blocking_send(record).is_err() {
                break;
            }
        }
    });
    let ctx = Dispatch { sink: &sink, stream, pacer: &pacer, options };
    loop {
        if *stop.borrow() {
            totals.stopped = Some("interrupted".into());
            break;
        }
        let record = tokio::select! {
            record = rx.recv() => record,
            _ = stop.changed() => continue,
        };
        let record = match record {
            None => break,
            Some(Ok(record)) => record,
            Some(Err(e)) => {
                totals.stopped = Some(e.to_string());
                break;
            }
        };
        if let Some(reason) = record.refusal() {
            totals.add(&Totals { failed: 1, reasons: vec![reason], ..Default::default() });
            continue;
        }
        if batch.len() == MAX_BATCH_RECORDS || bytes + record.data.len() > MAX_BATCH_BYTES {
            ctx.dispatch(&mut running, &mut totals, std::mem::take(&mut batch), &progress).await?;
            bytes = 0;
        }
        bytes += record.data.len();
        batch.push(record.data);
    }
    if !batch.is_empty() && totals.stopped.is_none() {
        ctx.dispatch(&mut running, &mut totals, batch, &progress).await?;
    }
    while let Some(done) = running.join_next().await {
        collect(done, &mut totals, &progress)?;
    }
    Ok(totals)
}

/// What each batch is sent with.
struct Dispatch<'a> {
    sink: &'a Arc<dyn BatchSink>,
    stream: &'a str,
    pacer: &'a Arc<Mutex<Pacer>>,
    options: Options,
}

impl Dispatch<'_> {
    /// Starts a batch once a call slot and its paced time are free.
    async fn dispatch(
        &self,
        running: &mut JoinSet<Result<Totals, SendError>>,
        totals: &mut Totals,
        batch: Vec<Vec<u8>>,
        progress: &impl Fn(&Totals),
    ) -> Result<(), SendError> {
        while running.len() >= self.options.in_flight.max(1) {
            if let Some(done) = running.join_next().await {
                collect(done, totals, progress)?;
            }
        }
        let size: usize = batch.iter().map(Vec::len).sum();
        let at = self.pacer.lock().unwrap_or_else(|e| e.into_inner()).reserve(batch.len(), size);
        tokio::time::sleep_until(at).await;
        let (sink, stream, pacer) = (self.sink.clone(), self.stream.to_string(), self.pacer.clone());
        let resend_unknown = self.options.resend_unknown;
        let n = batch.len() as u64;
        running.spawn(async move {
            // Should the task fail without an answer, its records count as unknown, not lost.
            let guard = Unsettled(n);
            let result = put_batch(sink.as_ref(), &stream, batch, &pacer, resend_unknown).await;
            std::mem::forget(guard);
            result
        });
        Ok(())
    }
}

/// The records of a batch in flight; counted as unknown if its task ends without an answer.
struct Unsettled(u64);

impl Drop for Unsettled {
    fn drop(&mut self) {
        UNSETTLED.fetch_add(self.0, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Records of batches whose task ended without settling them (a bug), counted as unknown.
static UNSETTLED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn collect(
    done: Result<Result<Totals, SendError>, tokio::task::JoinError>,
    totals: &mut Totals,
    progress: &impl Fn(&Totals),
) -> Result<(), SendError> {
    match done {
        Ok(Ok(t)) => totals.add(&t),
        Ok(Err(e)) => return Err(e),
        Err(e) => {
            let unknown = UNSETTLED.swap(0, std::sync::atomic::Ordering::SeqCst);
            totals.add(&Totals { unknown, reasons: vec![format!("internal error: {e}")], ..Default::default() })
        }
    }
    progress(totals);
    Ok(())
}

/// Sends one batch until every entry is accepted, failed for good, or of unknown outcome.
async fn put_batch(
    sink: &dyn BatchSink,
    stream: &str,
    mut entries: Vec<Vec<u8>>,
    pacer: &Mutex<Pacer>,
    resend_unknown: bool,
) -> Result<Totals, SendError> {
    let mut t = Totals::default();
    for attempt in 1..=MAX_ATTEMPTS {
        t.calls += 1;
        let unknown = match sink.put(&entries).await {
            Ok(codes) => {
                let accounted = codes.len().min(entries.len());
                let mut again = Vec::new();
                let mut throttled = false;
                let mut rest = entries.split_off(accounted);
                for (entry, code) in entries.into_iter().zip(codes) {
                    match code {
                        None => t.sent += 1,
                        Some(code) => {
                            throttled |= code == "ServiceUnavailableException";
                            again.push(entry);
                        }
                    }
                }
                let mut p = pacer.lock().unwrap_or_else(|e| e.into_inner());
                if throttled {
                    t.throttled += 1;
                    p.throttled();
                } else {
                    p.succeeded();
                }
                drop(p);
                if !rest.is_empty() {
                    let reason = format!(
                        "an answer accounted for {accounted} of {} records: the others may or may not have been stored",
                        accounted + rest.len()
                    );
                    if !settle_unknown(&mut t, &mut rest, reason, resend_unknown) {
                        again.append(&mut rest);
                    }
                }
                if again.is_empty() {
                    return Ok(t);
                }
                t.retried += again.len() as u64;
                entries = again;
                None
            }
            Err(PutError::Retry) => {
                // Refused as a whole before processing: nothing was stored, all of it goes again.
                t.throttled += 1;
                t.retried += entries.len() as u64;
                pacer.lock().unwrap_or_else(|e| e.into_inner()).throttled();
                None
            }
            Err(PutError::NotFound) => {
                return Err(SendError::Stream(format!(
                    "the stream {stream} does not exist: run `provision apply` first"
                )))
            }
            Err(PutError::Rejected(reason)) => {
                t.failed += entries.len() as u64;
                t.reasons.push(reason);
                return Ok(t);
            }
            Err(PutError::Unknown(reason)) => Some(reason),
        };
        if let Some(reason) = unknown {
            pacer.lock().unwrap_or_else(|e| e.into_inner()).throttled();
            let reason = format!("a call's outcome is unknown ({reason}): its records may or may not have been stored");
            if settle_unknown(&mut t, &mut entries, reason, resend_unknown) {
                return Ok(t);
            }
        }
        tokio::time::sleep(crate::retry::Policy::RECORDS.delay(attempt - 1)).await;
    }
    t.failed += entries.len() as u64;
    t.reasons.push(format!("{} record(s) still failing after {MAX_ATTEMPTS} attempts", entries.len()));
    Ok(t)
}

/// Records of unknown outcome: counted and left (returns true), or, with `resend`, kept to be
/// sent again and counted as possible duplicates (returns false).
fn settle_unknown(t: &mut Totals, entries: &mut Vec<Vec<u8>>, reason: String, resend: bool) -> bool {
    t.reasons.push(reason);
    if resend {
        t.possible_duplicates += entries.len() as u64;
        t.retried += entries.len() as u64;
        false
    } else {
        t.unknown += entries.len() as u64;
        entries.clear();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream that fails the first entries of its first calls, then accepts; remembers what
    /// it accepted.
    #[derive(Default)]
    struct Flaky {
        accepted: Mutex<Vec<Vec<u8>>>,
        calls: Mutex<usize>,
    }

    #[async_trait]
    impl BatchSink for Flaky {
        async fn put(&self, entries: &[Vec<u8>]) -> Result<Vec<Option<String>>, PutError> {
            let call = {
                let mut c = self.calls.lock().unwrap();
                *c += 1;
                *c
            };
            match call % 4 {
                // Throttled as a whole.
                1 => Err(PutError::Retry),
                // The first three entries fail, the rest are accepted.
                2 => Ok(entries
                    .iter()
                    .enumerate()
                    .map(|(i, e)| {
                        if i < 3 {
                            Some("ServiceUnavailableException".to_string())
                        } else {
                            self.accepted.lock().unwrap().push(e.clone());
                            None
                        }
                    })
                    .collect()),
                _ => {
                    self.accepted.lock().unwrap().extend(entries.iter().cloned());
                    Ok(vec![None; entries.len()])
                }
            }
        }
    }

    /// Rule B2.
    #[tokio::test(start_paused = true)]
    async fn rule_b2_failed_entries_and_throttled_calls_are_resent_accepted_ones_never() {
        let sink = Arc::new(Flaky::default());
        let records = (0..2000).map(|i| Ok(Record::new(format!("{{\"n\":{i}}}").into_bytes(), None)));
        let (_stop, stopped) = tokio::sync::watch::channel(false);
        let totals = send(sink.clone(), "s", records, options(1), stopped, |_| {}).await.unwrap();
        assert_eq!((totals.sent, totals.failed, totals.unknown), (2000, 0, 0));
        assert!(totals.retried > 0 && totals.throttled > 0);
        let mut accepted = sink.accepted.lock().unwrap().clone();
        assert_eq!(accepted.len(), 2000, "each record accepted exactly once");
        accepted.sort();
        accepted.dedup();
        assert_eq!(accepted.len(), 2000);
    }

    /// Rule B1.
    #[tokio::test(start_paused = true)]
    async fn rule_b1_batches_respect_the_record_and_size_limits() {
        struct Sizes(Mutex<Vec<(usize, usize)>>);
        #[async_trait]
        impl BatchSink for Sizes {
            async fn put(&self, entries: &[Vec<u8>]) -> Result<Vec<Option<String>>, PutError> {
                self.0.lock().unwrap().push((entries.len(), entries.iter().map(Vec::len).sum()));
                Ok(vec![None; entries.len()])
            }
        }
        let sink = Arc::new(Sizes(Mutex::new(Vec::new())));
        let big = vec![b'x'; 600 * 1024];
        let records = (0..1200)
            .map(move |i| Ok(Record::new(if i % 100 == 0 { big.clone() } else { vec![b'y'; 10] }, None)))
            .chain(std::iter::once(Ok(Record::new(vec![b'z'; MAX_RECORD_BYTES + 1], Some(7)))));
        let (_stop, stopped) = tokio::sync::watch::channel(false);
        let totals = send(sink.clone(), "s", records, options(2), stopped, |_| {}).await.unwrap();
        assert_eq!((totals.sent, totals.failed), (1200, 1));
        assert!(totals.reasons[0].contains("line 7"));
        for (n, bytes) in sink.0.lock().unwrap().iter() {
            assert!(*n <= MAX_BATCH_RECORDS && *bytes <= MAX_BATCH_BYTES, "{n} records, {bytes} bytes");
        }
    }

    fn options(in_flight: usize) -> Options {
        Options { pace: Pace::Unpaced, in_flight, resend_unknown: false }
    }

    /// A stream that stores what it is sent, then answers as told.
    struct Answers {
        stored: Mutex<usize>,
        answer: fn(usize) -> Result<Vec<Option<String>>, PutError>,
        calls: Mutex<usize>,
    }

    #[async_trait]
    impl BatchSink for Answers {
        async fn put(&self, entries: &[Vec<u8>]) -> Result<Vec<Option<String>>, PutError> {
            *self.stored.lock().unwrap() += entries.len();
            *self.calls.lock().unwrap() += 1;
            (self.answer)(entries.len())
        }
    }

    async fn send_to(answer: fn(usize) -> Result<Vec<Option<String>>, PutError>, resend: bool) -> (Totals, usize) {
        let sink = Arc::new(Answers { stored: Mutex::new(0), answer, calls: Mutex::new(0) });
        let records = (0..10).map(|_| Ok(Record::new(b"{}".to_vec(), None)));
        let (_stop, stopped) = tokio::sync::watch::channel(false);
        let options = Options { resend_unknown: resend, ..options(1) };
        let totals = send(sink.clone(), "s", records, options, stopped, |_| {}).await.unwrap();
        let stored = *sink.stored.lock().unwrap();
        (totals, stored)
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_that_accounts_for_fewer_entries_never_counts_them_accepted() {
        let (empty, stored) = send_to(|_| Ok(vec![]), false).await;
        assert_eq!((empty.sent, empty.unknown, empty.failed, stored), (0, 10, 0, 10));
        assert!(empty.reasons[0].contains("accounted for 0 of 10"), "{:?}", empty.reasons);
        let (short, _) = send_to(|n| Ok(vec![None; n - 4]), false).await;
        assert_eq!((short.sent, short.unknown), (6, 4));
    }

    #[tokio::test(start_paused = true)]
    async fn a_server_error_is_an_unknown_outcome_resent_only_when_asked() {
        let error = |_| Err(PutError::Unknown("HTTP 500".into()));
        let (t, stored) = send_to(error, false).await;
        assert_eq!((t.sent, t.unknown, t.possible_duplicates, stored), (0, 10, 0, 10), "sent once, not resent");
        // Asked to resend: every attempt stores them again; all reported as possible duplicates.
        let (t, stored) = send_to(error, true).await;
        assert_eq!(t.sent, 0);
        assert_eq!(stored as u64, 10 * u64::from(MAX_ATTEMPTS));
        assert!(t.possible_duplicates >= 10 && t.failed == 10, "{t:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn unreadable_input_stops_sending_and_says_why() {
        let sink = Arc::new(Answers { stored: Mutex::new(0), answer: |n| Ok(vec![None; n]), calls: Mutex::new(0) });
        let records = (0..3)
            .map(|_| Ok(Record::new(b"{}".to_vec(), None)))
            .chain(std::iter::once(Err(std::io::Error::other("line 4 has no end"))));
        let (_stop, stopped) = tokio::sync::watch::channel(false);
        let t = send(sink.clone(), "s", records, options(1), stopped, |_| {}).await.unwrap();
        assert_eq!(t.sent, 0, "the last partial batch is not sent after a read error");
        assert_eq!(t.stopped.as_deref(), Some("line 4 has no end"));
    }

    #[tokio::test(start_paused = true)]
    async fn lost_answers_are_reported_never_resent() {
        struct Lossy(Mutex<usize>);
        #[async_trait]
        impl BatchSink for Lossy {
            async fn put(&self, entries: &[Vec<u8>]) -> Result<Vec<Option<String>>, PutError> {
                *self.0.lock().unwrap() += 1;
                let _ = entries;
                Err(PutError::Unknown("connection reset".into()))
            }
        }
        let sink = Arc::new(Lossy(Mutex::new(0)));
        let records = (0..10).map(|_| Ok(Record::new(b"{}".to_vec(), None)));
        let (_stop, stopped) = tokio::sync::watch::channel(false);
        let totals = send(sink.clone(), "s", records, options(1), stopped, |_| {}).await.unwrap();
        assert_eq!((totals.sent, totals.unknown), (0, 10));
        assert_eq!(*sink.0.lock().unwrap(), 1, "sent once");
    }

    #[test]
    fn calls_in_flight_follow_the_pace() {
        assert_eq!(calls_in_flight(Pace::Unpaced), 2);
        assert_eq!(calls_in_flight(Pace::Adaptive(region_quota("us-east-1"))), 4);
        assert_eq!(calls_in_flight(Pace::Exact(100_000.0)), 51);
    }

    #[test]
    fn quotas_follow_the_region() {
        assert_eq!(region_quota("us-east-1").records_per_second, 5000.0);
        assert_eq!(region_quota("ap-south-1").records_per_second, 1000.0);
    }

    #[tokio::test(start_paused = true)]
    async fn the_pacer_keeps_to_the_quota_and_adapts() {
        let quota = region_quota("us-east-1");
        let mut p = Pacer { pace: Pace::Adaptive(quota), factor: 1.0, next: Instant::now() };
        let start = Instant::now();
        let mut last = start;
        for _ in 0..10 {
            last = p.reserve(500, 500 * 100);
        }
        // 10 batches of 500 records at 5,000 records/s: the 10th starts 0.9 s after the first.
        assert_eq!(last - start, Duration::from_millis(900));
        p.throttled();
        assert_eq!(p.factor, 0.5);
        p.succeeded();
        assert_eq!(p.factor, 0.55);
        let mut exact = Pacer { pace: Pace::Exact(100.0), factor: 1.0, next: Instant::now() };
        exact.reserve(50, 0);
        assert_eq!(exact.reserve(50, 0) - Instant::now(), Duration::from_millis(500));
    }
}
