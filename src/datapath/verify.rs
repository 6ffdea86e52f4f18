//! Verifying delivery: the stream's bucket listed under its prefixes, objects, bytes and records
//! per partition (partition values parsed back from the keys), error objects by error type with a
//! few failed records decoded, and what can be concluded from it.

use crate::datapath::preview::Report;
use crate::model::FirehoseSpec;
use crate::prefix::inverse::{error_type_of, match_key, static_part};
use base64::Engine;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

pub use super::scan::{count_records, scan, Content, ObjectScan, MAX_OBJECT_BYTES, MAX_SAMPLE_BYTES, SAMPLES};

/// One S3 object of the stream, as scanned (its bytes are never kept).
#[derive(Debug, Clone)]
pub struct Object {
    pub key: String,
    pub size: u64,
    pub content: Content,
}

/// Counts of a partition.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PartitionCount {
    /// Objects found under the partition's prefix.
    pub objects: usize,
    /// Their size, as listed.
    pub bytes: u64,
    /// Records read from them.
    pub records: usize,
    /// Partition values parsed back from the key (`region` -> `us-east-1`).
    pub values: BTreeMap<String, String>,
}

/// A failed record, decoded from an error object.
#[derive(Debug, Clone, Serialize)]
pub struct FailedRecord {
    pub error_code: String,
    pub error_message: String,
    pub data: String,
}

/// Objects under an error type.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ErrorCount {
    /// Error objects of the type.
    pub objects: usize,
    /// Failed records read from them.
    pub records: usize,
    /// The first failed records, decoded.
    pub samples: Vec<FailedRecord>,
}

/// What verify found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Findings {
    /// Delivered objects found (error objects are counted in `errors`).
    pub objects: usize,
    /// Their size, as listed.
    pub bytes: u64,
    /// Records read from them.
    pub records: usize,
    /// Delivered objects, by partition prefix.
    pub partitions: BTreeMap<String, PartitionCount>,
    /// Error objects, by error type (`processing-failed`).
    pub errors: BTreeMap<String, ErrorCount>,
    /// Objects were written under the literal prefix, expressions unevaluated (an emulator).
    pub unpartitioned: bool,
    /// Objects not read to their end, and why (their records are not all counted).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<String>,
    /// Data objects that are not JSON documents, whose records were counted as lines.
    #[serde(skip_serializing_if = "is_zero")]
    pub counted_as_lines: usize,
    /// Objects not compressed though the stream compresses (an emulator writes records as sent).
    #[serde(skip_serializing_if = "is_zero")]
    pub not_compressed: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// What the findings mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Conclusion {
    /// No object under the stream's prefixes (yet).
    NothingYet,
    /// Objects under the literal prefix, expressions unevaluated: an emulator wrote them.
    Unprocessed,
    /// Records partitioned as the prefix says.
    Partitioned,
}

/// Expected against found, when `verify --records` previewed the records.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub expected_records: usize,
    pub found_records: usize,
    /// The bytes of the records sent, and of the objects found, when records cannot be counted
    /// one by one (an emulator writes them back to back, and some are not JSON): then the sizes
    /// are compared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_size: Option<(u64, u64)>,
    /// Partitions with fewer records than expected: prefix -> (expected, found).
    pub missing: BTreeMap<String, (usize, usize)>,
}

/// What `verify` reports.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub stream: String,
    pub stream_name: String,
    pub bucket: String,
    /// The stream's compression (what its objects should be).
    pub compression: String,
    /// Objects, bytes and records, per partition and per error type.
    #[serde(flatten)]
    pub found: Findings,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_log: Option<(String, Vec<String>)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    pub conclusion: Conclusion,
    /// How record format conversion bears on what was read, when the stream converts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversion: Option<String>,
    /// The verdict: what was expected arrived (with `--records`), or something arrived.
    pub matches_expectation: bool,
}

/// Where a converting stream's objects are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Converted {
    /// The stream does not convert: objects hold JSON.
    No,
    /// AWS wrote Parquet or ORC: objects are counted, not their records.
    Columnar,
    /// An endpoint that is not AWS stores the conversion and writes JSON.
    NotHere,
}

impl VerifyReport {
    /// The report of `f`, compared with the preview of the records sent when there is one.
    pub fn new(
        address: &str,
        spec: &FirehoseSpec,
        bucket: &str,
        f: Findings,
        expected: Option<(&Report, u64)>,
        delivery_log: Option<(String, Vec<String>)>,
        converted: Converted,
    ) -> VerifyReport {
        let columnar = converted == Converted::Columnar;
        let comparison = expected.map(|(e, sent_bytes)| {
            let mut missing = BTreeMap::new();
            if !f.unpartitioned {
                for (prefix, n) in &e.partitions {
                    // Found partitions are keyed escaped (keys are anyone's text); so are these.
                    let prefix = crate::output::escape(prefix);
                    let found = f.partitions.get(&prefix);
                    // Columnar objects are counted, not their records: a partition is there or not.
                    let there = if columnar { found.is_some_and(|p| p.objects > 0) } else { false };
                    let found = found.map(|p| p.records).unwrap_or(0);
                    if found < *n && !there {
                        missing.insert(prefix, (*n, found));
                    }
                }
            }
            let expected_records = if f.unpartitioned { e.summary.records } else { e.summary.delivered };
            // An emulator writes the records as sent, back to back: records that are not all
            // JSON cannot be told apart, but their bytes can be counted.
            let by_size = (f.unpartitioned && f.counted_as_lines > 0).then_some((sent_bytes, f.bytes));
            Comparison { expected_records, found_records: f.records, by_size, missing }
        });
        let matches_expectation = match &comparison {
            Some(Comparison { by_size: Some((sent, found)), .. }) => sent == found,
            Some(c) if f.unpartitioned => c.found_records == c.expected_records,
            Some(c) if columnar => c.missing.is_empty(),
            Some(c) => c.missing.is_empty() && c.found_records >= c.expected_records,
            None => f.objects + f.errors.len() > 0,
        };
        let output = spec.format_conversion.as_ref().map(|c| c.serializer.output()).unwrap_or("json");
        let conversion = match converted {
            Converted::No => None,
            Converted::Columnar => Some(format!(
                "the objects hold {output}: their objects and bytes are counted, not their records (query them with Athena through the stream's table)"
            )),
            Converted::NotHere => Some(format!(
                "this endpoint is not AWS: it keeps the stream's conversion but writes JSON, so the objects here are JSON and read as such (on AWS they hold {output})"
            )),
        };
        let conclusion = if f.objects == 0 && f.errors.is_empty() {
            Conclusion::NothingYet
        } else if f.unpartitioned {
            Conclusion::Unprocessed
        } else {
            Conclusion::Partitioned
        };
        VerifyReport {
            stream: address.to_string(),
            stream_name: spec.name.clone(),
            bucket: bucket.to_string(),
            compression: spec.compression.clone(),
            found: f,
            delivery_log,
            comparison,
            conclusion,
            conversion,
            matches_expectation,
        }
    }
}

/// One object of a bucket listing.
#[derive(Debug, Clone)]
pub struct ListedObject {
    pub key: String,
    pub size: u64,
    /// Seconds since the epoch.
    pub modified: i64,
}

/// What verify reads from the destination bucket: `aws::Clients` reads S3 (naming the expected
/// owner); tests read memory.
#[async_trait::async_trait]
pub trait Bucket: Send + Sync {
    /// Every object under `prefix`.
    async fn list(&self, bucket: &str, prefix: &str) -> anyhow::Result<Vec<ListedObject>>;
    /// Reads an object as it downloads (see [`ObjectScan`]).
    async fn scan(&self, bucket: &str, key: &str, gzip: bool) -> anyhow::Result<Content>;
}

/// Lists and reads the stream's objects (data prefix and error prefix) modified at or after
/// `since`. Objects never change, so those already read (`seen`, kept across `--wait` polls)
/// are not downloaded again. With `columnar` (the data objects hold Parquet or ORC), data objects
/// are listed, not read: their records are not counted (error objects are JSON, and read).
pub async fn read(
    reader: &dyn Bucket,
    bucket: &str,
    spec: &FirehoseSpec,
    since: Option<i64>,
    columnar: bool,
    seen: &mut HashMap<String, Object>,
) -> anyhow::Result<Findings> {
    use anyhow::Context as _;
    use futures::stream::{self, StreamExt, TryStreamExt};
    let data_root = static_part(&spec.prefix);
    let error_root = static_part(&spec.error_output_prefix);
    let listed = reader
        .list(bucket, &data_root)
        .await
        .with_context(|| format!("listing s3://{bucket}/{}", crate::output::escape(&data_root)))?;
    // Error objects are listed with the data when they live under the data's root.
    let errors_listed = if error_root.is_empty() || error_root.starts_with(&data_root) {
        Vec::new()
    } else {
        reader.list(bucket, &error_root).await?
    };
    let is_error = |key: &str| !error_root.is_empty() && key.starts_with(&error_root);
    let fresh: Vec<ListedObject> =
        listed.into_iter().chain(errors_listed).filter(|l| since.is_none_or(|s| l.modified >= s)).collect();
    let gzip = spec.compression == "GZIP";
    let fetch = |l: ListedObject| async move {
        let content =
            if columnar && !is_error(&l.key) { Content::default() } else { reader.scan(bucket, &l.key, gzip).await? };
        Ok::<Object, anyhow::Error>(Object { key: l.key, size: l.size, content })
    };
    let new = fresh.iter().filter(|l| !seen.contains_key(&l.key)).cloned().map(fetch);
    let fetched: Vec<Object> = stream::iter(new).buffer_unordered(16).try_collect().await?;
    seen.extend(fetched.into_iter().map(|o| (o.key.clone(), o)));
    let (errors, data): (Vec<Object>, Vec<Object>) =
        fresh.iter().filter_map(|l| seen.get(&l.key).cloned()).partition(|o| is_error(&o.key));
    Ok(tally(&spec.prefix, &spec.error_output_prefix, &spec.name, &data, &errors))
}

/// Failed records of an error object: Firehose writes one JSON document per failed record, with
/// the error and the record's data in base64.
pub fn failed_records(samples: &[Vec<u8>], limit: usize) -> Vec<FailedRecord> {
    let b64 = base64::engine::general_purpose::STANDARD;
    samples
        .iter()
        .filter_map(|doc| serde_json::from_slice::<serde_json::Value>(doc).ok())
        .take(limit)
        .map(|doc| {
            let text = |k: &str, alt: &str| {
                doc[k].as_str().or_else(|| doc[alt].as_str()).map(crate::output::escape).unwrap_or_default()
            };
            let data = doc["rawData"]
                .as_str()
                .and_then(|d| b64.decode(d).ok())
                .map(|d| crate::output::escape(&String::from_utf8_lossy(&d)))
                .unwrap_or_default();
            FailedRecord {
                error_code: text("errorCode", "ErrorCode"),
                error_message: text("errorMessage", "ErrorMessage"),
                data,
            }
        })
        .collect()
}

/// Tallies objects of the data prefix and of the error prefix.
pub fn tally(prefix: &str, error_prefix: &str, stream: &str, data: &[Object], errors: &[Object]) -> Findings {
    let mut f = Findings::default();
    for o in data.iter().chain(errors) {
        if let Some(why) = &o.content.unread {
            f.unreadable.push(format!("{}: {}", crate::output::escape(&o.key), crate::output::escape(why)));
        }
    }
    for o in data.iter().chain(errors) {
        f.not_compressed += usize::from(o.content.not_compressed);
    }
    for o in data {
        let records = o.content.records;
        f.counted_as_lines += usize::from(o.content.as_lines);
        f.objects += 1;
        f.bytes += o.size;
        f.records += records;
        let (partition, values) = match_key(prefix, &o.key).unwrap_or_else(|| {
            (o.key.rsplit_once('/').map(|(p, _)| format!("{p}/")).unwrap_or_default(), BTreeMap::new())
        });
        if values.values().any(|v| v.contains("!{")) || partition.contains("!{") {
            f.unpartitioned = true;
        }
        let count = f.partitions.entry(crate::output::escape(&partition)).or_default();
        count.objects += 1;
        count.bytes += o.size;
        count.records += records;
        count.values = values.into_iter().map(|(k, v)| (k, crate::output::escape(&v))).collect();
    }
    for o in errors {
        // The type is read from the whole key: under a static error prefix, Firehose writes it
        // as the next path segment, past the prefix itself.
        let error_type = match_key(error_prefix, &o.key)
            .map(|_| error_type_of(error_prefix, &o.key, stream))
            .unwrap_or_else(|| "unknown".into());
        let entry = f.errors.entry(error_type).or_default();
        entry.objects += 1;
        entry.records += o.content.records;
        if entry.samples.len() < SAMPLES {
            let room = SAMPLES - entry.samples.len();
            entry.samples.extend(failed_records(&o.content.samples, room));
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREFIX: &str =
        "region=!{partitionKeyFromLambda:region}/device=!{partitionKeyFromLambda:device}/year=!{timestamp:yyyy}/";

    #[test]
    fn an_emulator_s_literal_prefix_is_recognised() {
        let key = "region=!{partitionKeyFromLambda:region}/device=!{partitionKeyFromLambda:device}/year=!{timestamp:yyyy}/2026/11/26/10/s-1-x";
        let f = tally(PREFIX, "error/", "s", &[object(key, b"{}{}")], &[]);
        assert!(f.unpartitioned);
        assert_eq!((f.objects, f.records), (1, 2));
    }

    #[test]
    fn an_emulator_s_records_that_are_not_all_json_are_compared_by_size() {
        let key = "region=!{partitionKeyFromLambda:region}/2026/11/26/10/s-1-x";
        let body = b"{\"a\":1}{\"b\":2}not json";
        let f = tally(PREFIX, "error/", "s", &[object(key, body)], &[]);
        assert_eq!((f.unpartitioned, f.counted_as_lines), (true, 1));
        let e = expected(&[("p/", 3)]);
        let same = VerifyReport::new("firehose.events", &stream(), "b", f.clone(), Some((&e, 22)), None, Converted::No);
        assert_eq!(same.comparison.as_ref().unwrap().by_size, Some((22, 22)));
        assert!(same.matches_expectation);
        let short = VerifyReport::new("firehose.events", &stream(), "b", f, Some((&e, 40)), None, Converted::No);
        assert!(!short.matches_expectation, "bytes missing");
        // JSON documents are counted one by one, as before.
        let json = tally(PREFIX, "error/", "s", &[object(key, b"{}{}{}")], &[]);
        let counted = VerifyReport::new("firehose.events", &stream(), "b", json, Some((&e, 6)), None, Converted::No);
        assert_eq!(counted.comparison.as_ref().unwrap().by_size, None);
        assert!(counted.matches_expectation);
    }

    fn object(key: &str, body: &[u8]) -> Object {
        Object { key: key.into(), size: body.len() as u64, content: scan(body, false) }
    }

    #[test]
    fn error_objects_are_grouped_by_type_and_decoded() {
        let error_prefix = "error/!{timestamp:yyyy}/!{firehose:error-output-type}/";
        let body =
            serde_json::json!({"errorCode": "Lambda.FunctionError", "errorMessage": "boom", "rawData": "eyJhIjoxfQ=="})
                .to_string();
        let o = object("error/2026/processing-failed/s-1-x", body.as_bytes());
        let f = tally(PREFIX, error_prefix, "s", &[], &[o]);
        let e = &f.errors["processing-failed"];
        assert_eq!((e.objects, e.records), (1, 1));
        assert_eq!(e.samples[0].error_code, "Lambda.FunctionError");
        assert_eq!(e.samples[0].data, "{\"a\":1}");
        // The default stack's error prefix ends in the type, no `/`: the object's name follows it
        // at once (`<evaluated prefix><suffix>`, the suffix starting with the stream's name).
        let default = "error/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/!{firehose:error-output-type}";
        let keys = [
            "error/year=2019/month=08/day=09/hour=20/processing-failedPUT-S3-lambda-1-2019-08-09-20-21-00-0f1e",
            "error/year=2019/month=08/day=09/hour=20/partitioning-failedPUT-S3-lambda-1-2019-08-09-20-21-00-9a8b",
        ];
        let objects: Vec<Object> = keys.iter().map(|k| object(k, body.as_bytes())).collect();
        let f = tally(PREFIX, default, "PUT-S3-lambda", &[], &objects);
        assert_eq!(f.errors.keys().collect::<Vec<_>>(), ["partitioning-failed", "processing-failed"]);
        // A static error prefix: the type is the next segment of the key.
        let o = object("errors/partitioning-failed/2026/11/26/10/s-1-x", b"");
        let f = tally(PREFIX, "errors/", "s", &[], &[o]);
        assert!(f.errors.contains_key("partitioning-failed"), "{:?}", f.errors.keys().collect::<Vec<_>>());
    }

    /// A bucket in memory: (key, body, modified), counting the objects read.
    struct Memory {
        objects: Vec<(String, Vec<u8>, i64)>,
        reads: std::sync::atomic::AtomicUsize,
    }

    #[async_trait::async_trait]
    impl Bucket for Memory {
        async fn list(&self, _bucket: &str, prefix: &str) -> anyhow::Result<Vec<ListedObject>> {
            Ok(self
                .objects
                .iter()
                .filter(|(k, _, _)| k.starts_with(prefix))
                .map(|(k, b, m)| ListedObject { key: k.clone(), size: b.len() as u64, modified: *m })
                .collect())
        }

        async fn scan(&self, _bucket: &str, key: &str, gzip: bool) -> anyhow::Result<Content> {
            self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let body = &self.objects.iter().find(|(k, _, _)| k == key).unwrap().1;
            Ok(scan(&body[..], gzip))
        }
    }

    /// The report of `f` against the partitions a preview expected.
    fn verdict(f: &Findings, expected_partitions: Option<&[(&str, usize)]>, converted: Converted) -> VerifyReport {
        let e = expected_partitions.map(expected);
        VerifyReport::new(
            "firehose.events",
            &stream_of(converted),
            "b",
            f.clone(),
            e.as_ref().map(|e| (e, 0)),
            None,
            converted,
        )
    }

    /// The test stream, converting when `converted` says so.
    fn stream_of(converted: Converted) -> FirehoseSpec {
        let mut spec = stream();
        if converted != Converted::No {
            spec.format_conversion = Some(Box::new(crate::model::kinds::conversion::FormatConversion::example()));
        }
        spec
    }

    fn stream() -> FirehoseSpec {
        let stack = crate::testing::stack(crate::testing::DEFAULT_STACK);
        stack
            .resources
            .iter()
            .find_map(|r| match &r.spec {
                crate::model::Spec::Firehose(f) => Some(f.clone()),
                _ => None,
            })
            .unwrap()
    }

    fn expected(partitions: &[(&str, usize)]) -> Report {
        let records = partitions.iter().map(|p| p.1).sum();
        Report {
            stream: "firehose.events".into(),
            stream_name: "s".into(),
            arrival: String::new(),
            partitions: partitions.iter().map(|(p, n)| (p.to_string(), *n)).collect(),
            errors: BTreeMap::new(),
            summary: crate::datapath::preview::Summary { records, delivered: records, ..Default::default() },
            active_partitions: Default::default(),
            processors: vec![],
            conversion: None,
            jq_engine: None,
            trace: Default::default(),
            over_budget: 0,
        }
    }

    const PARTITION: &str = "region=eu-west-1/device=mobile/year=2026/month=12/day=01/hour=10/";

    #[tokio::test]
    async fn verify_reads_each_object_once_and_judges_what_arrived_against_the_preview() {
        let spec = stream();
        let old = format!("{PARTITION}old-object");
        let first = format!("{PARTITION}s-1-2026-12-01-10-00-00-a");
        let error = "error/year=2026/month=12/day=01/hour=10/processing-failed/s-1-x".to_string();
        let bucket = Memory {
            objects: vec![
                (old, b"{\"a\":1}\n".to_vec(), 100),
                (first.clone(), b"{\"a\":1}\n{\"a\":2}\n".to_vec(), 200),
                (error, b"".to_vec(), 200),
            ],
            reads: Default::default(),
        };
        let mut seen = HashMap::new();
        let f = read(&bucket, "b", &spec, Some(150), false, &mut seen).await.unwrap();
        assert_eq!((f.objects, f.records), (1, 2), "objects modified before --since are left out");
        assert_eq!(f.partitions[PARTITION].records, 2);
        assert!(f.errors.contains_key("processing-failed"), "{:?}", f.errors);
        let reads = bucket.reads.load(std::sync::atomic::Ordering::SeqCst);
        let again = read(&bucket, "b", &spec, Some(150), false, &mut seen).await.unwrap();
        assert_eq!(again.records, 2);
        assert_eq!(bucket.reads.load(std::sync::atomic::Ordering::SeqCst), reads, "objects are read once");

        // The verdict: every expected partition has its records.
        let report = verdict(&f, Some(&[(PARTITION, 2)]), Converted::No);
        assert!(report.matches_expectation);
        assert_eq!(report.conclusion, Conclusion::Partitioned);
        let short = verdict(&f, Some(&[(PARTITION, 3)]), Converted::No);
        assert!(!short.matches_expectation);
        assert_eq!(short.comparison.unwrap().missing[PARTITION], (3, 2));
        // Without expectations, anything arrived is enough; nothing is not.
        assert!(verdict(&f, None, Converted::No).matches_expectation);
        let empty = verdict(&Findings::default(), None, Converted::No);
        assert!(!empty.matches_expectation);
        assert_eq!(empty.conclusion, Conclusion::NothingYet);
    }

    #[tokio::test]
    async fn columnar_objects_are_counted_not_read_and_an_emulator_s_json_is_said_so() {
        let spec = stream_of(Converted::Columnar);
        let data = format!("{PARTITION}s-1-2026-12-01-10-00-00-a.parquet");
        let error = "error/year=2026/month=12/day=01/hour=10/format-conversion-failed/s-1-x".to_string();
        let failed = serde_json::json!({"errorCode": "DataFormatConversion.MalformedData", "rawData": "eyJhIjoxfQ=="});
        let bucket = Memory {
            objects: vec![(data, b"PAR1 not json PAR1".to_vec(), 200), (error, failed.to_string().into_bytes(), 200)],
            reads: Default::default(),
        };
        let f = read(&bucket, "b", &spec, None, true, &mut HashMap::new()).await.unwrap();
        assert_eq!(bucket.reads.load(std::sync::atomic::Ordering::SeqCst), 1, "only the error object is read");
        assert_eq!((f.objects, f.records, f.partitions[PARTITION].objects), (1, 0, 1));
        assert_eq!(f.errors["format-conversion-failed"].records, 1);
        let found = verdict(&f, Some(&[(PARTITION, 2)]), Converted::Columnar);
        assert!(found.matches_expectation, "the partition is there: its records are not counted");
        assert!(found.conversion.unwrap().contains("not their records"));
        assert!(!verdict(&f, Some(&[("other/", 1)]), Converted::Columnar).matches_expectation);
        let here = verdict(&f, None, Converted::NotHere);
        assert!(here.conversion.unwrap().contains("not AWS"));
    }
}
