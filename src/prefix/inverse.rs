//! The inverse of a prefix's evaluation: reading an object key back into the prefix it was
//! written under and the values of its expressions (what `verify` counts by partition and by
//! error type).

use super::{parse, Part};
use std::collections::BTreeMap;

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
                    ("timestamp", _) => crate::prefix::timefmt::format(value, chrono::DateTime::UNIX_EPOCH).ok()?.len(),
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

/// The error type in an object key under an error prefix: the text where
/// `!{firehose:error-output-type}` stood, or the segment after a static prefix.
pub fn error_type_of(error_prefix: &str, evaluated: &str, stream: &str) -> String {
    let parts = parse(error_prefix).unwrap_or_default();
    let mut rest = evaluated;
    for (i, part) in parts.iter().enumerate() {
        let len = match part {
            Part::Literal(t) => t.len(),
            Part::Expression { namespace, value } => {
                let len = match parts.get(i + 1) {
                    Some(Part::Literal(next)) => rest.find(next.as_str()).unwrap_or(rest.len()),
                    // Last in a prefix that does not end in `/`: the key goes on with the object's
                    // name, `<stream>-<version>-<date>-<uuid>` ("<evaluated prefix><suffix>",
                    // Firehose developer guide, "Configure Amazon S3 object name format"), with
                    // no `/` between: the type ends where the stream's name begins.
                    None if namespace == "firehose" && value == "error-output-type" => rest
                        .find(&format!("{stream}-"))
                        .filter(|at| *at > 0)
                        .unwrap_or_else(|| rest.find('/').unwrap_or(rest.len())),
                    _ if namespace == "timestamp" => {
                        crate::prefix::timefmt::format(value, chrono::DateTime::UNIX_EPOCH)
                            .map(|s| s.len())
                            .unwrap_or(0)
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
}
