//! Verifying delivery: the stream's bucket listed under its prefixes, objects, bytes and records
//! per partition (partition values parsed back from the keys), error objects by error type with a
//! few failed records decoded, and what can be concluded from it.

use crate::validate::prefix::{parse, Part};
use base64::Engine;
use serde::Serialize;
use std::collections::BTreeMap;

/// One S3 object of the stream.
#[derive(Debug, Clone)]
pub struct Object {
    pub key: String,
    pub size: u64,
    pub body: Option<Vec<u8>>,
}

/// Counts of a partition.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PartitionCount {
    pub objects: usize,
    pub bytes: u64,
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
    pub objects: usize,
    pub records: usize,
    pub samples: Vec<FailedRecord>,
}

/// What verify found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Findings {
    pub objects: usize,
    pub bytes: u64,
    pub records: usize,
    pub partitions: BTreeMap<String, PartitionCount>,
    pub errors: BTreeMap<String, ErrorCount>,
    /// Objects were written under the literal prefix, expressions unevaluated (an emulator).
    pub unpartitioned: bool,
}

/// The part of a prefix before its first expression: where listing starts.
pub fn static_part(prefix: &str) -> String {
    prefix.split("!{").next().unwrap_or_default().to_string()
}

/// Matches an object key against a prefix: the evaluated prefix and the values of its
/// expressions (`partitionKeyFromLambda:region` -> `us-east-1`), or `None` if it does not match.
pub fn match_key(prefix: &str, key: &str) -> Option<(String, BTreeMap<String, String>)> {
    let parts = parse(prefix).ok()?;
    let mut values = BTreeMap::new();
    let mut pos = 0;
    for (i, part) in parts.iter().enumerate() {
        match part {
            Part::Literal(text) => {
                if !key[pos..].starts_with(text.as_str()) {
                    return None;
                }
                pos += text.len();
            }
            Part::Expression { namespace, value } => {
                let rest = &key[pos..];
                let len = match (namespace.as_str(), parts.get(i + 1)) {
                    // A timestamp has the width of its pattern when all its fields are numeric.
                    ("timestamp", _) if rest.starts_with("!{") => rest.find('}').map(|e| e + 1)?,
                    ("timestamp", _) => super::timefmt::format(value, chrono::DateTime::UNIX_EPOCH).ok()?.len(),
                    (_, Some(Part::Literal(next))) => rest.find(next.as_str())?,
                    _ => rest.find('/').unwrap_or(rest.len()),
                };
                let captured = rest.get(..len)?;
                if namespace.starts_with("partitionKeyFrom") {
                    values.insert(value.clone(), captured.to_string());
                }
                pos += len;
            }
        }
    }
    Some((key[..pos].to_string(), values))
}

/// Records in an object: JSON documents (concatenated or one per line), else non-empty lines.
pub fn count_records(body: &[u8]) -> usize {
    let mut stream = serde_json::Deserializer::from_slice(body).into_iter::<serde::de::IgnoredAny>();
    let mut n = 0;
    loop {
        match stream.next() {
            None => return n,
            Some(Ok(_)) => n += 1,
            Some(Err(_)) => {
                return body.split(|b| *b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace)).count()
            }
        }
    }
}

/// Failed records of an error object: Firehose writes one JSON document per failed record, with
/// the error and the record's data in base64.
pub fn failed_records(body: &[u8], limit: usize) -> Vec<FailedRecord> {
    let b64 = base64::engine::general_purpose::STANDARD;
    serde_json::Deserializer::from_slice(body)
        .into_iter::<serde_json::Value>()
        .map_while(Result::ok)
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
pub fn tally(prefix: &str, error_prefix: &str, data: &[Object], errors: &[Object]) -> Findings {
    let mut f = Findings::default();
    for o in data {
        let records = o.body.as_deref().map(count_records).unwrap_or(0);
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
    let error_type_at = parse(error_prefix).ok();
    for o in errors {
        // The type is read from the whole key: under a static error prefix, Firehose writes it
        // as the next path segment, past the prefix itself.
        let error_type = error_type_at
            .as_ref()
            .and_then(|_| match_key(error_prefix, &o.key))
            .map(|_| error_type_of(error_prefix, &o.key))
            .unwrap_or_else(|| "unknown".into());
        let body = o.body.as_deref().unwrap_or_default();
        let entry = f.errors.entry(error_type).or_default();
        entry.objects += 1;
        entry.records += count_records(body);
        if entry.samples.len() < 3 {
            let room = 3 - entry.samples.len();
            entry.samples.extend(failed_records(body, room));
        }
    }
    f
}

/// The error type in an object key under an error prefix: the text where
/// `!{firehose:error-output-type}` stood, or the segment after a static prefix.
fn error_type_of(error_prefix: &str, evaluated: &str) -> String {
    let parts = parse(error_prefix).unwrap_or_default();
    let mut rest = evaluated;
    for (i, part) in parts.iter().enumerate() {
        let len = match part {
            Part::Literal(t) => t.len(),
            Part::Expression { namespace, value } => {
                let len = match parts.get(i + 1) {
                    Some(Part::Literal(next)) => rest.find(next.as_str()).unwrap_or(rest.len()),
                    _ if namespace == "timestamp" => {
                        super::timefmt::format(value, chrono::DateTime::UNIX_EPOCH).map(|s| s.len()).unwrap_or(0)
                    }
                    _ => rest.find('/').unwrap_or(rest.len()),
                };
                if namespace == "firehose" && value == "error-output-type" {
                    return crate::output::escape(rest.get(..len).unwrap_or(rest));
                }
                len
            }
        };
        // Keys read from S3 are anyone's text: slice only at character boundaries.
        rest = rest.get(len..).unwrap_or_default();
    }
    // A static error prefix: Firehose adds the type as the next path segment.
    crate::output::escape(rest.split('/').next().filter(|t| !t.is_empty()).unwrap_or("unknown"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREFIX: &str =
        "region=!{partitionKeyFromLambda:region}/device=!{partitionKeyFromLambda:device}/year=!{timestamp:yyyy}/";

    #[test]
    fn partition_values_are_parsed_back_from_keys() {
        let key = "region=us-east-1/device=mobile/year=2019/PUT-S3-lambda-1-2019-08-09-20-20-27-abc";
        let (prefix, values) = match_key(PREFIX, key).unwrap();
        assert_eq!(prefix, "region=us-east-1/device=mobile/year=2019/");
        assert_eq!(values["region"], "us-east-1");
        assert_eq!(values["device"], "mobile");
        assert!(match_key(PREFIX, "other/key").is_none());
    }

    #[test]
    fn an_emulator_s_literal_prefix_is_recognised() {
        let key = "region=!{partitionKeyFromLambda:region}/device=!{partitionKeyFromLambda:device}/year=!{timestamp:yyyy}/2026/11/26/10/s-1-x";
        let f = tally(PREFIX, "error/", &[Object { key: key.into(), size: 10, body: Some(b"{}{}".to_vec()) }], &[]);
        assert!(f.unpartitioned);
        assert_eq!((f.objects, f.records), (1, 2));
    }

    #[test]
    fn records_are_json_documents_or_lines() {
        assert_eq!(count_records(b"{\"a\":1}{\"a\":2}\n{\"a\":3}\n"), 3);
        assert_eq!(count_records(b"one\ntwo\n\nthree"), 3);
    }

    #[test]
    fn error_objects_are_grouped_by_type_and_decoded() {
        let error_prefix = "error/!{timestamp:yyyy}/!{firehose:error-output-type}/";
        let body =
            serde_json::json!({"errorCode": "Lambda.FunctionError", "errorMessage": "boom", "rawData": "eyJhIjoxfQ=="})
                .to_string();
        let o = Object { key: "error/2026/processing-failed/s-1-x".into(), size: 1, body: Some(body.into_bytes()) };
        let f = tally(PREFIX, error_prefix, &[], &[o]);
        let e = &f.errors["processing-failed"];
        assert_eq!((e.objects, e.records), (1, 1));
        assert_eq!(e.samples[0].error_code, "Lambda.FunctionError");
        assert_eq!(e.samples[0].data, "{\"a\":1}");
        // A static error prefix: the type is the next segment of the key.
        let o =
            Object { key: "errors/partitioning-failed/2026/11/26/10/s-1-x".into(), size: 1, body: Some(Vec::new()) };
        let f = tally(PREFIX, "errors/", &[], &[o]);
        assert!(f.errors.contains_key("partitioning-failed"), "{:?}", f.errors.keys().collect::<Vec<_>>());
    }
}
