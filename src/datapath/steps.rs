//! The stream's processors as preview runs them, in Firehose's order: de-aggregation (JSON or
//! DELIMITED), the Lambda (batched as Firehose batches, its contract checked: L1-L3), the jq
//! query of MetadataExtraction, and the delimiter appended to each record.

use super::lambda_runner::{InvocationError, Runner};
use crate::datapath::query::Evaluator;
use crate::jq::Outcome;
use crate::model::{FirehoseSpec, Param};
use crate::prefix::eval::{PARTITIONING_FAILED, PROCESSING_FAILED};
use base64::Engine;
use std::collections::{BTreeMap, HashMap};

/// What preview needs besides the records.
pub struct Settings<'a> {
    /// `firehose.NAME`, for the report.
    pub address: String,
    pub stream: &'a FirehoseSpec,
    pub stream_arn: String,
    pub region: String,
    /// The function of the Lambda processor, if any (resolved from the stack).
    pub function: Option<super::lambda_runner::Function>,
    /// Arrival time of every record (`--at`).
    pub at: chrono::DateTime<chrono::Utc>,
    /// Records per second, for the active-partition estimate (`--rate`).
    pub rate: Option<f64>,
    /// What evaluates the MetadataExtraction query.
    pub jq: crate::datapath::query::Engine,
}

/// What the processors note as they run, for the report.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Trace {
    pub not_simulated: Vec<String>,
    /// What the function printed when an invocation failed (the first failure).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_logs: Option<String>,
    pub invocations: usize,
}

/// The error code of a record the query could not evaluate within preview's budget.
pub const OVER_BUDGET: &str = "Preview.QueryBudgetExceeded";

/// At most this many sub-records per record with de-aggregation (rule B3).
pub const MAX_SUB_RECORDS: usize = 500;

/// What the stream's processors are, ready to run.
pub(super) enum Step {
    DeAggregateJson,
    DeAggregateDelimited(Vec<u8>),
    AppendDelimiter,
    Extract(Box<Evaluator>),
    Lambda(Box<LambdaStep>),
    NotSimulated(String),
}

/// A record on its way through the stream.
#[derive(Debug, Clone)]
pub(super) struct Working {
    pub(super) index: usize,
    pub(super) line: Option<usize>,
    pub(super) id: String,
    pub(super) data: Vec<u8>,
    pub(super) query_keys: Option<BTreeMap<String, String>>,
    pub(super) lambda_keys: Option<BTreeMap<String, String>>,
    pub(super) dropped: bool,
    pub(super) failure: Option<Failure>,
}

#[derive(Debug, Clone)]
pub(super) struct Failure {
    pub(super) error_type: &'static str,
    pub(super) code: String,
    pub(super) message: String,
}

/// Runs one chunk of records through the stream's processors, in their order.
pub(super) fn run_steps(
    steps: &mut [Step],
    mut working: Vec<Working>,
    settings: &Settings,
    trace: &mut Trace,
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
            Step::Lambda(lambda) => lambda.take(working, settings, trace, last)?,
            Step::NotSimulated(what) => {
                if !trace.not_simulated.contains(what) {
                    trace.not_simulated.push(what.clone());
                }
                working
            }
        };
    }
    Ok(working)
}

impl Working {
    pub(super) fn live(&self) -> bool {
        self.failure.is_none() && !self.dropped
    }

    pub(super) fn fail(&mut self, error_type: &'static str, code: &str, message: String) {
        let message = match self.line {
            Some(line) => format!("{message} (line {line})"),
            None => message,
        };
        self.failure = Some(Failure { error_type, code: code.to_string(), message });
    }
}

/// Record ids in Firehose's style: long decimal strings, unique per record and sub-record.
pub(super) fn record_id(index: usize, sub: usize) -> String {
    format!("49546986683135544286507457936321625675700192471156785154{index:010}{sub:03}")
}

pub(super) fn merged_keys(w: &Working) -> BTreeMap<String, String> {
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

pub(super) fn processor_names(stream: &FirehoseSpec) -> Vec<String> {
    in_firehose_order(stream)
        .into_iter()
        .map(|p| match (p.kind.as_str(), p.parameters.get("SubRecordType").and_then(Param::known)) {
            ("RecordDeAggregation", Some(t)) => format!("RecordDeAggregation ({t})"),
            (kind, _) => kind.to_string(),
        })
        .collect()
}

pub(super) fn steps(settings: &Settings) -> Result<Vec<Step>, String> {
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
pub(super) struct LambdaStep {
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
        trace: &mut Trace,
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
                self.invoke(settings, trace)?;
                out.append(&mut self.pending);
            }
        }
        if last {
            self.invoke(settings, trace)?;
            out.append(&mut self.pending);
        }
        Ok(out)
    }

    /// Invokes the function with the live records pending, if any.
    fn invoke(&mut self, settings: &Settings, trace: &mut Trace) -> Result<(), String> {
        self.pending_bytes = 0;
        let live: Vec<usize> = (0..self.pending.len()).filter(|i| self.pending[*i].live()).collect();
        if live.is_empty() {
            return Ok(());
        }
        trace.invocations += 1;
        let mut slots: Vec<Option<Working>> = std::mem::take(&mut self.pending).into_iter().map(Some).collect();
        let mut batch: Vec<Working> = live.iter().filter_map(|i| slots[*i].take()).collect();
        let event =
            event(&batch, &settings.stream_arn, &settings.region, settings.at.timestamp_millis(), trace.invocations);
        match self.runner.invoke(&event)? {
            Ok(answer) => apply_answer(&mut batch, &answer),
            Err(failure) => fail_batch(&mut batch, &failure, self.retries, &self.arn, &mut trace.function_logs),
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
}
