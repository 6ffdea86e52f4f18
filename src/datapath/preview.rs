//! The preview: what Firehose would do to each record, offline. The stream's processors run in
//! their order (de-aggregation, delimiters, jq, the Lambda run locally), the Lambda contract is
//! checked (L1-L3, L6), and each record's prefix is evaluated: where it lands, or under which
//! error prefix and why. Decompression and CloudWatchLogProcessing are not simulated.

use super::lambda_runner::{Function, InvocationError, Runner};
use super::records::Record;
use crate::datapath::query::{Engine as JqEngine, Evaluator};
use crate::jq::Outcome;
use crate::model::{FirehoseSpec, Param};
use crate::prefix::eval::{Inputs, Prefix, PARTITIONING_FAILED, PROCESSING_FAILED};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Firehose's quota of partitions buffered at once per stream (rule D5).
pub const ACTIVE_PARTITIONS_QUOTA: usize = 500;
/// At most this many sub-records per record with de-aggregation (rule B3).
pub const MAX_SUB_RECORDS: usize = 500;
/// Records are read and run through the stream this many at a time: preview's memory follows
/// the partitions (counts per prefix), never the number of records.
const CHUNK_RECORDS: usize = 1_000;
/// Not an error type of Firehose's: the record never enters the stream (PutRecord refuses it).
const REJECTED: &str = "rejected";

/// What the stream's processors are, ready to run.
enum Step {
    DeAggregateJson,
    DeAggregateDelimited(Vec<u8>),
    AppendDelimiter,
    Extract(Box<Evaluator>),
    Lambda(Box<LambdaStep>),
    NotSimulated(String),
}

/// A record on its way through the stream.
#[derive(Debug, Clone)]
struct Working {
    index: usize,
    line: Option<usize>,
    id: String,
    data: Vec<u8>,
    query_keys: Option<BTreeMap<String, String>>,
    lambda_keys: Option<BTreeMap<String, String>>,
    dropped: bool,
    failure: Option<Failure>,
}

#[derive(Debug, Clone)]
struct Failure {
    error_type: &'static str,
    code: String,
    message: String,
}

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
    pub stream: String,
    pub stream_name: String,
    pub arrival: String,
    pub partitions: BTreeMap<String, usize>,
    pub errors: BTreeMap<String, ErrorGroup>,
    pub summary: Summary,
    pub active_partitions: ActivePartitions,
    pub processors: Vec<String>,
    /// The record format conversion, if the stream converts (`Parquet (SNAPPY) through
    /// table.events, OpenX JSON SerDe`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversion: Option<String>,
    /// What evaluated the MetadataExtraction query, if the stream has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jq_engine: Option<String>,
    pub not_simulated: Vec<String>,
    /// What the function printed when an invocation failed (the first failure).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_logs: Option<String>,
    pub invocations: usize,
    /// Records the query could not evaluate within preview's budget.
    #[serde(skip)]
    pub over_budget: usize,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub input_records: usize,
    pub records: usize,
    pub delivered: usize,
    pub dropped: usize,
    pub failed: usize,
    /// Records PutRecord would refuse (over 1,000 KiB): never in the stream.
    pub rejected: usize,
    pub partitions: usize,
}

/// What preview needs besides the records.
pub struct Settings<'a> {
    /// `firehose.NAME`, for the report.
    pub address: String,
    pub stream: &'a FirehoseSpec,
    pub stream_arn: String,
    pub region: String,
    /// The function of the Lambda processor, if any (resolved from the stack).
    pub function: Option<Function>,
    /// Arrival time of every record (`--at`).
    pub at: DateTime<Utc>,
    /// Records per second, for the active-partition estimate (`--rate`).
    pub rate: Option<f64>,
    /// What evaluates the MetadataExtraction query.
    pub jq: JqEngine,
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
        not_simulated: Vec::new(),
        function_logs: None,
        invocations: 0,
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
        let working = run_steps(&mut steps, working, &settings, &mut report, last)?;
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

/// Runs one chunk of records through the stream's processors, in their order.
fn run_steps(
    steps: &mut [Step],
    mut working: Vec<Working>,
    settings: &Settings,
    report: &mut Report,
    last: bool,
) -> Result<Vec<Working>, String> {
    for step in steps {
        working = match step {
            Step::DeAggregateJson => working.into_iter().flat_map(deaggregate_json).collect(),
            Step::DeAggregateDelimited(delimiter) => {
                working.into_iter().flat_map(|w| deaggregate_delimited(w, delimiter)).collect()
            }
            Step::AppendDelimiter => working
                .into_iter()
                .map(|mut w| {
                    if w.live() {
                        w.data.push(b'\n');
                    }
                    w
                })
                .collect(),
            Step::Extract(evaluator) => {
                let live: Vec<usize> = (0..working.len()).filter(|i| working[*i].live()).collect();
                let data: Vec<&[u8]> = live.iter().map(|i| working[*i].data.as_slice()).collect();
                let outcomes = evaluator.evaluate(&data);
                for (i, outcome) in live.into_iter().zip(outcomes) {
                    let w = &mut working[i];
                    match keys_of(outcome) {
                        Ok(keys) => w.query_keys = Some(keys),
                        Err((code, message)) => w.fail(PARTITIONING_FAILED, code, message),
                    }
                }
                working
            }
            Step::Lambda(lambda) => lambda.take(working, settings, report, last)?,
            Step::NotSimulated(what) => {
                if !report.not_simulated.contains(what) {
                    report.not_simulated.push(what.clone());
                }
                working
            }
        };
    }
    Ok(working)
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

/// The code of a record preview could not evaluate within its budget (not a Firehose error).
pub const OVER_BUDGET: &str = "Preview.QueryBudgetExceeded";

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

impl Working {
    fn live(&self) -> bool {
        self.failure.is_none() && !self.dropped
    }

    fn fail(&mut self, error_type: &'static str, code: &str, message: String) {
        let message = match self.line {
            Some(line) => format!("{message} (line {line})"),
            None => message,
        };
        self.failure = Some(Failure { error_type, code: code.to_string(), message });
    }
}

/// Record ids in Firehose's style: long decimal strings, unique per record and sub-record.
fn record_id(index: usize, sub: usize) -> String {
    format!("49546986683135544286507457936321625675700192471156785154{index:010}{sub:03}")
}

fn merged_keys(w: &Working) -> BTreeMap<String, String> {
    let mut keys = w.query_keys.clone().unwrap_or_default();
    if let Some(l) = &w.lambda_keys {
        keys.extend(l.clone());
    }
    keys
}

/// The order Firehose runs processors in, whatever the order they are listed in: decompression,
/// de-aggregation, the Lambda, then MetadataExtraction's query; AppendDelimiterToRecord's
/// delimiter goes between records of the delivered object, after all of them (developer guide,
/// "dynamic partitioning"; data-path notes).
fn firehose_rank(kind: &str) -> usize {
    match kind {
        "Decompression" => 0,
        "CloudWatchLogProcessing" => 1,
        "RecordDeAggregation" => 2,
        "Lambda" => 3,
        "MetadataExtraction" => 4,
        "AppendDelimiterToRecord" => 5,
        _ => 6,
    }
}

/// The stream's processors in the order Firehose runs them.
fn in_firehose_order(stream: &FirehoseSpec) -> Vec<&crate::model::Processor> {
    let mut processors: Vec<&crate::model::Processor> = stream.processors.iter().collect();
    processors.sort_by_key(|p| firehose_rank(&p.kind));
    processors
}

fn processor_names(stream: &FirehoseSpec) -> Vec<String> {
    in_firehose_order(stream)
        .into_iter()
        .map(|p| match (p.kind.as_str(), p.parameters.get("SubRecordType").and_then(Param::known)) {
            ("RecordDeAggregation", Some(t)) => format!("RecordDeAggregation ({t})"),
            (kind, _) => kind.to_string(),
        })
        .collect()
}

fn steps(settings: &Settings) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    for p in in_firehose_order(settings.stream) {
        let param = |name: &str| p.parameters.get(name).and_then(Param::known).map(String::from);
        steps.push(match p.kind.as_str() {
            "RecordDeAggregation" => match param("SubRecordType").as_deref() {
                Some("DELIMITED") => {
                    let delimiter = base64::engine::general_purpose::STANDARD
                        .decode(param("Delimiter").unwrap_or_default())
                        .map_err(|e| format!("the DELIMITED de-aggregation's delimiter is not base64: {e}"))?;
                    Step::DeAggregateDelimited(delimiter)
                }
                _ => Step::DeAggregateJson,
            },
            "AppendDelimiterToRecord" => Step::AppendDelimiter,
            "MetadataExtraction" => {
                let query = param("MetadataExtractionQuery").unwrap_or_default();
                let evaluator = Evaluator::new(settings.jq.clone(), &query, crate::datapath::query::Budget::default())?;
                Step::Extract(Box::new(evaluator))
            }
            "Lambda" => {
                let function =
                    settings.function.clone().ok_or("the Lambda processor's function is not in the stack")?;
                let mb: f64 = param("BufferSizeInMBs")
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(crate::defaults::PROCESSOR_BUFFER_SIZE_MB);
                let retries = param("NumberOfRetries")
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(crate::defaults::PROCESSOR_RETRIES as u32);
                let arn = param("LambdaArn").unwrap_or_else(|| function.name.clone());
                Step::Lambda(Box::new(LambdaStep {
                    runner: Runner::new(function)?,
                    batch_bytes: (mb * 1024.0 * 1024.0) as usize,
                    retries,
                    arn,
                    pending: Vec::new(),
                    pending_bytes: 0,
                }))
            }
            other => Step::NotSimulated(format!("{other}: not simulated by preview (records pass through unchanged)")),
        });
    }
    Ok(steps)
}

/// The partition keys of a query's outcome (scalars only, as text), or the failure's code and
/// message.
fn keys_of(outcome: Outcome) -> Result<BTreeMap<String, String>, (&'static str, String)> {
    let failed = |m: String| Err(("DynamicPartitioning.MetadataExtractionFailed", m));
    match outcome {
        Outcome::Keys(keys) => {
            let mut out = BTreeMap::new();
            for (key, kind, text) in keys {
                match kind.as_str() {
                    "null" => return failed(format!("the query's key `{key}` is null")),
                    "array" | "object" => return failed(format!("the query's key `{key}` is not a scalar: {text}")),
                    _ => {}
                }
                out.insert(key, text);
            }
            Ok(out)
        }
        Outcome::NoOutput => failed("the jq query produced no output".into()),
        Outcome::NotObject(text) => failed(format!("the jq query produced {text}, not an object")),
        Outcome::Error(e) => failed(format!("the jq query failed: {e}")),
        // Preview's own limit, not Firehose's: said as such.
        Outcome::OverBudget(why) => Err((OVER_BUDGET, why)),
    }
}

/// JSON de-aggregation: a record holding several JSON documents (concatenated or one per line)
/// becomes one sub-record per document.
fn deaggregate_json(w: Working) -> Vec<Working> {
    if !w.live() {
        return vec![w];
    }
    let mut subs = Vec::new();
    let mut stream = serde_json::Deserializer::from_slice(&w.data).into_iter::<serde::de::IgnoredAny>();
    let mut start = 0;
    loop {
        match stream.next() {
            None => break,
            Some(Ok(_)) => {
                let end = stream.byte_offset();
                let text = w.data[start..end].trim_ascii();
                subs.push(text.to_vec());
                start = end;
            }
            Some(Err(e)) => {
                let mut failed = w.clone();
                failed.fail(
                    PARTITIONING_FAILED,
                    "DynamicPartitioning.MetadataExtractionFailed",
                    format!("the record is not JSON: {e}"),
                );
                return vec![failed];
            }
        }
    }
    split_into(w, subs)
}

/// DELIMITED de-aggregation: the record is split at each delimiter.
fn deaggregate_delimited(w: Working, delimiter: &[u8]) -> Vec<Working> {
    if !w.live() || delimiter.is_empty() {
        return vec![w];
    }
    let mut subs = Vec::new();
    let mut rest = &w.data[..];
    while let Some(pos) = rest.windows(delimiter.len()).position(|x| x == delimiter) {
        subs.push(rest[..pos].to_vec());
        rest = &rest[pos + delimiter.len()..];
    }
    if !rest.is_empty() {
        subs.push(rest.to_vec());
    }
    split_into(w, subs)
}

fn split_into(w: Working, subs: Vec<Vec<u8>>) -> Vec<Working> {
    if subs.len() > MAX_SUB_RECORDS {
        let mut failed = w;
        let n = subs.len();
        failed.fail(
            PARTITIONING_FAILED,
            "DynamicPartitioning.TooManySubRecords",
            format!("{n} sub-records; de-aggregation allows at most {MAX_SUB_RECORDS} per record"),
        );
        return vec![failed];
    }
    if subs.len() <= 1 {
        let mut one = w;
        if let Some(data) = subs.into_iter().next() {
            one.data = data;
        }
        return vec![one];
    }
    subs.into_iter().enumerate().map(|(i, data)| Working { id: record_id(w.index, i), data, ..w.clone() }).collect()
}

/// The Lambda processor: records are batched as Firehose batches them (live records in order, a
/// batch sent once it holds `BufferSizeInMBs`), across preview's chunks; the records of a batch
/// not yet full wait in `pending` (with the failed records between them, to keep the order).
struct LambdaStep {
    runner: Runner,
    batch_bytes: usize,
    retries: u32,
    arn: String,
    pending: Vec<Working>,
    pending_bytes: usize,
}

impl LambdaStep {
    /// Takes a chunk of records; returns those whose batch has run (in order), and with `last`
    /// every record left.
    fn take(
        &mut self,
        working: Vec<Working>,
        settings: &Settings,
        report: &mut Report,
        last: bool,
    ) -> Result<Vec<Working>, String> {
        let mut out = Vec::with_capacity(working.len());
        for w in working {
            let live = w.live();
            if live {
                self.pending_bytes += w.data.len();
            }
            self.pending.push(w);
            if live && self.pending_bytes >= self.batch_bytes {
                self.invoke(settings, report)?;
                out.append(&mut self.pending);
            }
        }
        if last {
            self.invoke(settings, report)?;
            out.append(&mut self.pending);
        }
        Ok(out)
    }

    /// Invokes the function with the live records pending, if any.
    fn invoke(&mut self, settings: &Settings, report: &mut Report) -> Result<(), String> {
        self.pending_bytes = 0;
        let live: Vec<usize> = (0..self.pending.len()).filter(|i| self.pending[*i].live()).collect();
        if live.is_empty() {
            return Ok(());
        }
        report.invocations += 1;
        let mut slots: Vec<Option<Working>> = std::mem::take(&mut self.pending).into_iter().map(Some).collect();
        let mut batch: Vec<Working> = live.iter().filter_map(|i| slots[*i].take()).collect();
        let event =
            event(&batch, &settings.stream_arn, &settings.region, settings.at.timestamp_millis(), report.invocations);
        match self.runner.invoke(&event)? {
            Ok(answer) => apply_answer(&mut batch, &answer),
            Err(failure) => fail_batch(&mut batch, &failure, self.retries, &self.arn, &mut report.function_logs),
        }
        for (i, w) in live.into_iter().zip(batch) {
            slots[i] = Some(w);
        }
        self.pending = slots.into_iter().flatten().collect();
        Ok(())
    }
}

/// The Lambda event for a batch (rule L1).
fn event(batch: &[Working], stream_arn: &str, region: &str, arrival_ms: i64, n: usize) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut text = format!(
        "{{\"invocationId\":\"preview-{n}\",\"deliveryStreamArn\":{},\"region\":{},\"records\":[",
        serde_json::Value::String(stream_arn.into()),
        serde_json::Value::String(region.into())
    );
    for (i, w) in batch.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!(
            "{{\"recordId\":\"{}\",\"approximateArrivalTimestamp\":{arrival_ms},\"data\":\"{}\"}}",
            w.id,
            b64.encode(&w.data)
        ));
    }
    text.push_str("]}");
    text
}

fn fail_batch(
    batch: &mut [Working],
    failure: &InvocationError,
    retries: u32,
    lambda_arn: &str,
    logs: &mut Option<String>,
) {
    let message = format!(
        "the invocation of {lambda_arn} failed: {} (Firehose retries it {retries} time(s), then gives up)",
        failure.message
    );
    for w in batch.iter_mut() {
        w.fail(PROCESSING_FAILED, failure.code, message.clone());
    }
    if logs.is_none() && !failure.logs.is_empty() {
        *logs = Some(failure.logs.clone());
    }
}

/// Checks the answer against the Lambda contract (L2, L3) and applies it; a broken contract
/// fails the whole batch, as Firehose does.
fn apply_answer(batch: &mut [Working], answer: &serde_json::Value) {
    let broken = |batch: &mut [Working], code: &'static str, message: String| {
        for w in batch.iter_mut() {
            w.fail(PROCESSING_FAILED, code, message.clone());
        }
    };
    let Some(records) = answer["records"].as_array() else {
        return broken(batch, "Lambda.JsonProcessingException", "the answer has no `records` list".into());
    };
    let mut by_id: HashMap<&str, &serde_json::Value> = HashMap::with_capacity(records.len());
    for r in records {
        let Some(id) = r["recordId"].as_str() else {
            return broken(batch, "Lambda.JsonProcessingException", "an answered record has no recordId".into());
        };
        if by_id.insert(id, r).is_some() {
            return broken(batch, "Lambda.DuplicatedRecordId", format!("recordId {id} is answered twice"));
        }
    }
    if let Some(w) = batch.iter().find(|w| !by_id.contains_key(w.id.as_str())) {
        let id = w.id.clone();
        return broken(batch, "Lambda.MissingRecordId", format!("recordId {id} is missing from the answer"));
    }
    if by_id.len() > batch.len() {
        return broken(batch, "Lambda.JsonProcessingException", "the answer has recordIds that were not sent".into());
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut decoded = Vec::with_capacity(batch.len());
    for w in batch.iter() {
        let r = by_id[w.id.as_str()];
        let result = r["result"].as_str().unwrap_or_default();
        if !matches!(result, "Ok" | "Dropped" | "ProcessingFailed") {
            return broken(
                batch,
                "Lambda.JsonProcessingException",
                format!("recordId {}: result {:?} is not Ok, Dropped or ProcessingFailed", w.id, r["result"]),
            );
        }
        let data = match r["data"].as_str().map(|d| b64.decode(d)) {
            Some(Ok(data)) => Some(data),
            None if result == "Dropped" => None,
            _ => {
                return broken(
                    batch,
                    "Lambda.JsonProcessingException",
                    format!("recordId {}: data is not valid base64", w.id),
                )
            }
        };
        decoded.push((result, data, r));
    }
    for (w, (result, data, r)) in batch.iter_mut().zip(decoded) {
        match result {
            "Dropped" => w.dropped = true,
            "ProcessingFailed" => {
                w.fail(PROCESSING_FAILED, "Lambda.ProcessingFailed", "the function answered ProcessingFailed".into())
            }
            _ => {
                if let Some(data) = data {
                    w.data = data;
                }
                let keys = r["metadata"]["partitionKeys"].as_object();
                // A key without a value cannot name a partition: the record fails to partition,
                // as the same key null from the jq query does.
                let empty = keys.and_then(|o| o.iter().find(|(_, v)| v.is_null() || v.is_array() || v.is_object()));
                if let Some((k, v)) = empty {
                    let message = format!("the function's partition key `{k}` is {v}, not a value");
                    w.fail(PARTITIONING_FAILED, "DynamicPartitioning.MetadataExtractionFailed", message);
                    continue;
                }
                w.lambda_keys = keys.map(|o| {
                    o.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().map(String::from).unwrap_or_else(|| v.to_string())))
                        .collect::<BTreeMap<_, _>>()
                });
            }
        }
    }
}

/// The most distinct partitions buffered at once: records arrive at `rate` per second and each
/// buffer interval's records share the buffers (all records at once without a rate).
#[cfg(test)]
mod tests {
    use super::*;

    fn w(data: &str) -> Working {
        Working {
            index: 0,
            line: Some(1),
            id: record_id(0, 0),
            data: data.as_bytes().to_vec(),
            query_keys: None,
            lambda_keys: None,
            dropped: false,
            failure: None,
        }
    }

    #[test]
    fn json_deaggregation_splits_concatenated_documents() {
        let subs = deaggregate_json(w("{\"a\":1}{\"a\":2}\n{\"a\":3}"));
        let data: Vec<String> = subs.iter().map(|s| String::from_utf8(s.data.clone()).unwrap()).collect();
        assert_eq!(data, ["{\"a\":1}", "{\"a\":2}", "{\"a\":3}"]);
        assert_eq!(subs.iter().map(|s| s.id.clone()).collect::<std::collections::HashSet<_>>().len(), 3);
        let bad = deaggregate_json(w("{\"a\":1} nope"));
        assert!(bad[0].failure.as_ref().unwrap().message.contains("(line 1)"));
    }

    #[test]
    fn rule_b3_deaggregation_yields_at_most_500_sub_records() {
        // Rule B3.
        let at_most = deaggregate_delimited(w(&"a|".repeat(MAX_SUB_RECORDS)), b"|");
        assert_eq!(at_most.len(), MAX_SUB_RECORDS);
        assert!(at_most.iter().all(|s| s.failure.is_none()));
        let over = deaggregate_delimited(w(&"a|".repeat(MAX_SUB_RECORDS + 1)), b"|");
        assert_eq!(over.len(), 1);
        assert_eq!(over[0].failure.as_ref().unwrap().code, "DynamicPartitioning.TooManySubRecords");
    }

    #[test]
    fn rule_l1_the_lambda_event_has_the_documented_shape() {
        // Rule L1.
        let batch = [w("x"), Working { id: record_id(1, 0), index: 1, ..w("y") }];
        let event: serde_json::Value =
            serde_json::from_str(&event(&batch, "arn:aws:firehose:us-east-1:1:deliverystream/s", "us-east-1", 7, 3))
                .unwrap();
        assert_eq!(event["invocationId"], "preview-3");
        assert_eq!(event["deliveryStreamArn"], "arn:aws:firehose:us-east-1:1:deliverystream/s");
        assert_eq!(event["region"], "us-east-1");
        let records = event["records"].as_array().unwrap();
        assert_eq!(records.len(), 2);
        let keys: Vec<&String> = records[1].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["recordId", "approximateArrivalTimestamp", "data"]);
        assert_eq!(records[1]["data"], "eQ==");
        assert_eq!(records[1]["approximateArrivalTimestamp"], 7);
    }

    #[test]
    fn delimited_deaggregation_splits_at_the_delimiter() {
        let subs = deaggregate_delimited(w("a||b||c||"), b"||");
        let data: Vec<&[u8]> = subs.iter().map(|s| s.data.as_slice()).collect();
        assert_eq!(data, [b"a".as_slice(), b"b", b"c"]);
    }

    #[test]
    /// Rule L2 (the answer's shape) and rule L3 (every recordId exactly once).
    fn rule_l2_l3_the_lambda_contract_is_checked() {
        let mut batch = vec![w("x"), Working { id: record_id(1, 0), index: 1, ..w("y") }];
        let ok = |id: &str| serde_json::json!({"recordId": id, "result": "Ok", "data": "eA==", "metadata": {"partitionKeys": {"k": "v"}}});
        apply_answer(&mut batch.clone(), &serde_json::json!({"records": [ok(&batch[0].id)]}));
        let mut missing = batch.clone();
        apply_answer(&mut missing, &serde_json::json!({"records": [ok(&batch[0].id)]}));
        assert!(missing.iter().all(|w| w.failure.as_ref().unwrap().code == "Lambda.MissingRecordId"));
        let mut twice = batch.clone();
        apply_answer(&mut twice, &serde_json::json!({"records": [ok(&batch[0].id), ok(&batch[0].id)]}));
        assert!(twice.iter().all(|w| w.failure.as_ref().unwrap().code == "Lambda.DuplicatedRecordId"));
        let mut bad_result = batch.clone();
        let mut r = ok(&batch[1].id);
        r["result"] = "Maybe".into();
        apply_answer(&mut bad_result, &serde_json::json!({"records": [ok(&batch[0].id), r]}));
        assert!(bad_result.iter().all(|w| w.failure.is_some()));
        let mut fine = batch.clone();
        apply_answer(&mut fine, &serde_json::json!({"records": [ok(&batch[0].id), ok(&batch[1].id)]}));
        assert!(fine.iter().all(|w| w.live() && w.lambda_keys.as_ref().unwrap()["k"] == "v" && w.data == b"x"));
        let mut bad_data = std::mem::take(&mut batch);
        let mut r = ok(&bad_data[1].id);
        r["data"] = "***".into();
        let first = ok(&bad_data[0].id);
        apply_answer(&mut bad_data, &serde_json::json!({"records": [first, r]}));
        assert!(bad_data.iter().all(|w| w.failure.as_ref().unwrap().message.contains("base64")));
    }

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
