//! The preview: what Firehose would do to each record, offline. The stream's processors run in
//! their order (de-aggregation, delimiters, jq, the Lambda run locally), the Lambda contract is
//! checked (L1-L3, L6), and each record's prefix is evaluated: where it lands, or under which
//! error prefix and why. Decompression and CloudWatchLogProcessing are not simulated.

use super::records::Record;
pub use super::steps::MAX_SUB_RECORDS;
use super::steps::{merged_keys, processor_names, record_id, run_steps, steps, Failure, Step, Working};
pub use super::steps::{Settings, Trace, OVER_BUDGET};
use crate::prefix::eval::{Inputs, Prefix, PARTITIONING_FAILED, PROCESSING_FAILED};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// Firehose's quota of partitions buffered at once per stream (rule D5).
pub const ACTIVE_PARTITIONS_QUOTA: usize = 500;
/// Records are read and run through the stream this many at a time: preview's memory follows
/// the partitions (counts per prefix), never the number of records.
const CHUNK_RECORDS: usize = 1_000;
/// Not an error type of Firehose's: the record never enters the stream (PutRecord refuses it).
const REJECTED: &str = "rejected";

/// What happened to one record.
#[derive(Debug, Clone, Serialize)]
pub struct RecordResult {
    /// 0-based position of the input record (sub-records of one input share it).
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub record_id: String,
    /// `Ok`, `Dropped` (by the function), `ProcessingFailed` (the function failed it, or the
    /// invocation failed) or `PartitioningFailed` (keys missing, data not JSON, prefix invalid).
    pub result: &'static str,
    /// Where it lands: the data prefix, or the error prefix for a failed record.
    pub prefix: Option<String>,
    pub partition_keys: BTreeMap<String, String>,
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
}

/// An error prefix, how many records it gets and why.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ErrorGroup {
    /// Records failed under this prefix.
    pub count: usize,
    /// The first [`REASONS_KEPT`] distinct reasons, with their records.
    pub reasons: BTreeMap<String, usize>,
    /// Records whose reason came after the first [`REASONS_KEPT`] (a reason names its line).
    #[serde(skip_serializing_if = "is_zero")]
    pub other_reasons: usize,
}

/// Distinct reasons kept per error prefix: a reason names its record's line, so a file of failing
/// records would otherwise keep one per record.
pub const REASONS_KEPT: usize = 100;

impl ErrorGroup {
    /// One more record for this reason; kept by name among the first [`REASONS_KEPT`] reasons.
    fn count_reason(&mut self, reason: String) {
        let room = self.reasons.len() < REASONS_KEPT;
        match self.reasons.get_mut(&reason) {
            Some(n) => *n += 1,
            None if room => {
                self.reasons.insert(reason, 1);
            }
            None => self.other_reasons += 1,
        }
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Active partitions per buffer interval (rule D5).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ActivePartitions {
    pub max: usize,
    pub quota: usize,
    /// Records per buffer interval the estimate assumes (all of them without `--rate`).
    pub records_per_interval: usize,
    /// The `--rate` the estimate assumes, if one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    pub exceeded: bool,
    /// `max` is a lower bound: an interval had more than [`ACTIVE_PARTITIONS_COUNTED`] distinct
    /// prefixes, and no more were counted.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub more_than_max: bool,
}

/// The whole preview.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The stream's address in stack.toml (`firehose.events`).
    pub stream: String,
    /// The stream's name in AWS.
    pub stream_name: String,
    /// The arrival time the prefixes were evaluated at (RFC 3339, seconds).
    pub arrival: String,
    /// Records delivered, by the prefix they land under.
    pub partitions: BTreeMap<String, usize>,
    /// Records failed, by the error output prefix they land under.
    pub errors: BTreeMap<String, ErrorGroup>,
    /// The counts for the summary line.
    pub summary: Summary,
    /// The partitions active at once in a buffer interval, against the quota.
    pub active_partitions: ActivePartitions,
    /// The stream's processors, in the order Firehose runs them.
    pub processors: Vec<String>,
    /// The record format conversion, if the stream converts (`Parquet (SNAPPY) through
    /// table.events, OpenX JSON SerDe`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversion: Option<String>,
    /// What evaluated the MetadataExtraction query, if the stream has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jq_engine: Option<String>,
    /// What the processors noted as they ran (what is not simulated, the function's
    /// invocations and its output when one failed).
    #[serde(flatten)]
    pub trace: Trace,
    /// Records the query could not evaluate within preview's budget.
    #[serde(skip)]
    pub over_budget: usize,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Records read from the input.
    pub input_records: usize,
    /// Records after the processors (de-aggregation may make more of one).
    pub records: usize,
    /// Records delivered under a prefix.
    pub delivered: usize,
    /// Records the function answered `Dropped`.
    pub dropped: usize,
    /// Records written to the error output prefix.
    pub failed: usize,
    /// Records PutRecord would refuse (over 1,000 KiB): never in the stream.
    pub rejected: usize,
    /// Distinct prefixes records were delivered under.
    pub partitions: usize,
}

/// Runs the records through the stream's processors and prefixes, a chunk at a time; each
/// record's result is handed to `each` in order as soon as it is known (none is kept).
pub fn run(
    settings: Settings,
    records: impl Iterator<Item = std::io::Result<Record>>,
    each: &mut dyn FnMut(&RecordResult),
) -> Result<Report, String> {
    let stream = settings.stream;
    let mut steps = steps(&settings)?;
    let mut ends = Ends {
        prefix: Prefix::new(&stream.prefix)?,
        error_prefix: Prefix::error(&stream.error_output_prefix, &stream.prefix)?,
        reader: stream.format_conversion.as_deref().map(super::convert::Reader::new),
        windows: Windows::new(settings.rate, stream.buffer_interval_seconds),
        at: settings.at,
        dynamic_partitioning: stream.dynamic_partitioning,
    };
    let mut report = Report {
        stream: settings.address.clone(),
        stream_name: stream.name.clone(),
        arrival: settings.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        partitions: BTreeMap::new(),
        errors: BTreeMap::new(),
        summary: Summary::default(),
        active_partitions: ActivePartitions { quota: ACTIVE_PARTITIONS_QUOTA, ..Default::default() },
        processors: processor_names(stream),
        conversion: stream.format_conversion.as_deref().map(describe_conversion),
        jq_engine: steps.iter().any(|s| matches!(s, Step::Extract(_))).then(|| settings.jq.describe()),
        trace: Trace::default(),
        over_budget: 0,
    };
    let mut records = records.enumerate().peekable();
    while records.peek().is_some() {
        let mut working = Vec::with_capacity(CHUNK_RECORDS.min(1024));
        for (index, record) in records.by_ref().take(CHUNK_RECORDS) {
            let record = record.map_err(|e| e.to_string())?;
            let failure = record.refusal().map(|message| Failure {
                error_type: REJECTED,
                code: "PutRecord.RecordTooLarge".into(),
                message,
            });
            working.push(Working {
                index,
                line: record.line,
                id: record_id(index, 0),
                data: record.data,
                query_keys: None,
                lambda_keys: None,
                dropped: false,
                failure,
            });
        }
        report.summary.input_records += working.len();
        let last = records.peek().is_none();
        let working = run_steps(&mut steps, working, &settings, &mut report.trace, last)?;
        report.summary.records += working.len();
        for w in working {
            let result = ends.finish(w, &mut report)?;
            each(&result);
        }
    }
    report.active_partitions = ends.windows.finish();
    report.summary.partitions = report.partitions.len();
    Ok(report)
}

/// What happens to a record once the processors are done: its prefix, record format
/// conversion, the active-partition quota, and where it lands.
struct Ends<'a> {
    prefix: Prefix,
    error_prefix: Prefix,
    reader: Option<super::convert::Reader<'a>>,
    windows: Windows,
    at: DateTime<Utc>,
    dynamic_partitioning: bool,
}

impl Ends<'_> {
    /// The record's result, counted into the report.
    fn finish(&mut self, mut w: Working, report: &mut Report) -> Result<RecordResult, String> {
        let mut landed = None;
        if w.live() {
            let inputs = Inputs {
                lambda_keys: w.lambda_keys.as_ref(),
                query_keys: w.query_keys.as_ref(),
                error_output_type: None,
            };
            match self.prefix.evaluate(self.at, &inputs) {
                Ok(p) => landed = Some(p),
                Err(e) => w.fail(PARTITIONING_FAILED, e.code, e.message),
            }
        }
        // Record format conversion comes after partitioning: a record the deserializer cannot
        // read into the table's columns goes to the error prefix as `format-conversion-failed`.
        if let (Some(reader), Some(_)) = (&self.reader, &landed) {
            if w.live() {
                if let Err(f) = reader.check(&w.data) {
                    w.fail(super::convert::FORMAT_CONVERSION_FAILED, f.code, f.message);
                }
            }
        }
        // Beyond the quota of active partitions, Firehose sends the records of further
        // partitions to the error prefix as `activePartitionExceeded` (developer guide, "Buffer
        // data for dynamic partitioning").
        if let Some(p) = &landed {
            if self.windows.land(p) && self.dynamic_partitioning {
                let message =
                    format!("the stream already buffers {ACTIVE_PARTITIONS_QUOTA} active partitions (rule D5)");
                w.fail(ACTIVE_PARTITION_EXCEEDED, ACTIVE_PARTITION_EXCEEDED, message);
            }
        }
        let keys = merged_keys(&w);
        let landed = landed.filter(|_| w.failure.is_none());
        let (result, prefix_out, error, code) = match (&w.failure, w.dropped, landed) {
            (Some(f), _, _) if f.error_type == REJECTED => {
                ("Rejected", None, Some(f.message.clone()), Some(f.code.clone()))
            }
            (Some(f), _, _) => {
                let inputs = Inputs { error_output_type: Some(f.error_type), ..Default::default() };
                let p = self.error_prefix.evaluate(self.at, &inputs).map_err(|e| e.message)?;
                let group = report.errors.entry(p.clone()).or_default();
                group.count += 1;
                group.count_reason(format!("{}: {}", f.code, f.message));
                let result = match f.error_type {
                    PROCESSING_FAILED => "ProcessingFailed",
                    super::convert::FORMAT_CONVERSION_FAILED => "FormatConversionFailed",
                    _ => "PartitioningFailed",
                };
                (result, Some(p), Some(f.message.clone()), Some(f.code.clone()))
            }
            (None, true, _) => ("Dropped", None, None, None),
            (None, false, Some(p)) => {
                *report.partitions.entry(p.clone()).or_default() += 1;
                ("Ok", Some(p), None, None)
            }
            (None, false, None) => {
                w.fail(PARTITIONING_FAILED, "Preview.NoPrefix", "no prefix".into());
                ("PartitioningFailed", None, Some("no prefix".into()), None)
            }
        };
        match result {
            "Ok" => report.summary.delivered += 1,
            "Dropped" => report.summary.dropped += 1,
            "Rejected" => report.summary.rejected += 1,
            _ => report.summary.failed += 1,
        }
        if code.as_deref() == Some(OVER_BUDGET) {
            report.over_budget += 1;
        }
        Ok(RecordResult {
            index: w.index,
            line: w.line,
            record_id: w.id,
            result,
            prefix: prefix_out,
            partition_keys: keys,
            error,
            error_code: code,
        })
    }
}

/// One line on the conversion: output, compression, table, deserializer.
fn describe_conversion(c: &crate::model::kinds::conversion::FormatConversion) -> String {
    use crate::model::kinds::conversion::{Deserializer, Serializer};
    let (output, compression) = match &c.serializer {
        Serializer::Parquet { compression, .. } => ("Parquet", compression),
        Serializer::Orc { compression, .. } => ("ORC", compression),
    };
    let table = c.table.as_ref().map_or_else(|| format!("{}.{}", c.schema.database, c.schema.table), |t| t.to_string());
    let deserializer = match c.deserializer {
        Deserializer::OpenX { .. } => "the OpenX JSON SerDe",
        Deserializer::Hive { .. } => "the Hive JSON SerDe",
    };
    format!("to {output} ({compression}) through {table}'s columns, read with {deserializer}")
}

/// Distinct prefixes of one buffer interval counted exactly, at most: beyond it (ten times the
/// most active partitions Firehose grants a stream on request), preview says "more than" it, and
/// its memory stays bounded whatever the records' keys (a key per record, a million records).
pub const ACTIVE_PARTITIONS_COUNTED: usize = 50_000;

/// Firehose's error output type for records of partitions beyond the active-partition quota.
pub const ACTIVE_PARTITION_EXCEEDED: &str = "activePartitionExceeded";

/// Which landed records find the quota of active partitions full: records arrive in order,
/// `window` of them per buffer interval, and a partition is active within its interval.
/// Active partitions per buffer interval, record by record in arrival order (rule D5): the
/// distinct prefixes of each interval's records (all records form one interval without a
/// rate), and which records find the quota of partitions already buffered. Holds one
/// interval's prefixes, never the records.
struct Windows {
    /// Records per interval; `None`: every record arrives in one interval.
    window: Option<usize>,
    rate: Option<f64>,
    quota: usize,
    /// Distinct prefixes counted per interval, at most (then the count is a lower bound).
    counted: usize,
    seen: usize,
    distinct: std::collections::HashSet<String>,
    /// An interval had more distinct prefixes than `counted`.
    uncounted: bool,
    /// The first `ACTIVE_PARTITIONS_QUOTA` prefixes of the interval: buffered.
    active: std::collections::HashSet<String>,
    max: usize,
}

impl Windows {
    fn new(rate: Option<f64>, interval_seconds: i32) -> Windows {
        let rate = rate.filter(|r| *r > 0.0);
        let window = rate.map(|r| ((r * f64::from(interval_seconds.max(1))).ceil() as usize).max(1));
        Windows::sized(window, rate, ACTIVE_PARTITIONS_QUOTA, ACTIVE_PARTITIONS_COUNTED)
    }

    fn sized(window: Option<usize>, rate: Option<f64>, quota: usize, counted: usize) -> Windows {
        Windows {
            window,
            rate,
            quota,
            counted,
            seen: 0,
            distinct: Default::default(),
            uncounted: false,
            active: Default::default(),
            max: 0,
        }
    }

    /// A record lands under `prefix`; whether its partition is beyond the quota.
    fn land(&mut self, prefix: &str) -> bool {
        if self.window.is_some_and(|w| self.seen % w == 0) {
            self.max = self.max.max(self.distinct.len());
            self.distinct.clear();
            self.active.clear();
        }
        self.seen += 1;
        if !self.distinct.contains(prefix) {
            if self.distinct.len() < self.counted {
                self.distinct.insert(prefix.to_string());
            } else {
                self.uncounted = true;
            }
        }
        if self.active.contains(prefix) {
            return false;
        }
        if self.active.len() >= self.quota {
            return true;
        }
        self.active.insert(prefix.to_string());
        false
    }

    fn finish(&self) -> ActivePartitions {
        let max = self.max.max(self.distinct.len());
        ActivePartitions {
            max,
            quota: self.quota,
            records_per_interval: self.window.unwrap_or(self.seen.max(1)),
            rate: self.rate,
            exceeded: max > self.quota,
            more_than_max: self.uncounted,
        }
    }
}

impl Report {
    /// Why the preview cannot say what Firehose would do with every record, if it cannot.
    pub fn incomplete(&self) -> Option<String> {
        let over = self.over_budget;
        (over > 0).then(|| {
            let budget = crate::datapath::query::Budget::default();
            format!(
                "the preview is incomplete: the jq query exceeded preview's budget ({} and {} MiB per record) for {over} record(s), so where Firehose would put them is unknown",
                crate::output::duration(budget.per_record),
                budget.memory_mib
            )
        })
    }
}

/// The most distinct partitions buffered at once: records arrive at `rate` per second and each
/// buffer interval's records share the buffers (all records at once without a rate).
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// Rule D5.
    fn records_of_partitions_beyond_the_quota_are_over() {
        let landed: Vec<String> = (0..10).map(|i| format!("p{}/", i % 4)).collect();
        let over_quota = |window| {
            let mut w = Windows::sized(window, None, 3, 100);
            landed.iter().map(|p| w.land(p)).collect::<Vec<bool>>()
        };
        let over = over_quota(None);
        assert_eq!(over.iter().filter(|o| **o).count(), 2, "the two records of the fourth partition");
        assert!(over[3] && over[7]);
        // A new interval starts with no partition active.
        assert_eq!(over_quota(Some(3)).iter().filter(|o| **o).count(), 0);
    }

    #[test]
    fn active_partitions_count_distinct_prefixes_per_interval() {
        let prefixes: Vec<String> = (0..1000).map(|i| format!("p{}/", i % 600)).collect();
        let active_partitions = |rate| {
            let mut w = Windows::new(rate, 60);
            prefixes.iter().for_each(|p| {
                w.land(p);
            });
            w.finish()
        };
        let all = active_partitions(None);
        assert_eq!((all.max, all.records_per_interval, all.exceeded), (600, 1000, true));
        let slow = active_partitions(Some(1.0));
        assert_eq!((slow.max, slow.records_per_interval, slow.exceeded), (60, 60, false));
        assert!(!all.more_than_max && !slow.more_than_max);
    }

    #[test]
    fn an_error_prefix_keeps_a_bounded_number_of_reasons() {
        let mut group = ErrorGroup::default();
        for line in 0..REASONS_KEPT + 50 {
            group.count_reason(format!("Preview.NotJson: not JSON (line {line})"));
            group.count_reason("Preview.NoKey: no key".to_string());
        }
        assert_eq!(group.reasons.len(), REASONS_KEPT);
        assert_eq!(group.reasons["Preview.NoKey: no key"], REASONS_KEPT + 50, "a kept reason counts on");
        assert_eq!(group.other_reasons, 51);
    }

    #[test]
    fn distinct_prefixes_are_counted_up_to_a_bound() {
        let count = |distinct: usize| {
            let mut w = Windows::sized(None, None, 3, 10);
            let over: usize = (0..100).filter(|i| w.land(&format!("p{}/", i % distinct))).count();
            assert!(w.distinct.len() <= 10, "never more prefixes held than counted");
            (w.finish(), over)
        };
        let (within, over) = count(10);
        assert_eq!((within.max, within.more_than_max, within.exceeded, over), (10, false, true, 70));
        // The quota's records stay exact beyond the count: only the distinct count stops.
        let (beyond, over) = count(1000);
        assert_eq!((beyond.max, beyond.more_than_max, beyond.exceeded, over), (10, true, true, 97));
    }
}
