//! Evaluating a prefix for one record, as Firehose does: partition keys from the Lambda and the
//! jq query, timestamps of the arrival time in UTC, `firehose:` values.

use super::timefmt;
use super::{parse, Part};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// What `!{firehose:random-string}` shows: Firehose puts 11 random characters there, new for
/// each object (so it never makes a partition of its own); the placeholder is 11 characters too,
/// so that the 512-character limit is checked as Firehose checks it.
pub const RANDOM_STRING: &str = "<random-11>";

/// Firehose's error output types (the value of `!{firehose:error-output-type}`).
pub const PROCESSING_FAILED: &str = "processing-failed";
/// Records whose partition keys cannot be extracted, or whose prefix cannot be evaluated.
pub const PARTITIONING_FAILED: &str = "partitioning-failed";

/// The parts, once every timestamp pattern is one Java's DateTimeFormatter formats.
fn checked(parts: Vec<Part>) -> Result<Vec<Part>, String> {
    for part in &parts {
        if let Part::Expression { namespace, value } = part {
            if namespace == "timestamp" {
                timefmt::check(value).map_err(|e| format!("!{{timestamp:{value}}}: {e}: Firehose would refuse it"))?;
            }
        }
    }
    Ok(parts)
}

/// The values a record's prefix is evaluated with.
#[derive(Debug, Clone, Default)]
pub struct Inputs<'a> {
    pub lambda_keys: Option<&'a BTreeMap<String, String>>,
    pub query_keys: Option<&'a BTreeMap<String, String>>,
    pub error_output_type: Option<&'a str>,
}

/// Why a prefix could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    pub code: &'static str,
    pub message: String,
}

/// A prefix parsed once, evaluated per record.
#[derive(Debug, Clone)]
pub struct Prefix {
    parts: Vec<Part>,
    /// The prefix has no expression: Firehose appends `yyyy/MM/dd/HH/` (P17).
    default_time_suffix: bool,
}

impl Prefix {
    /// Parses a data prefix (a timestamp pattern Java refuses is an error here, never a failure
    /// of each record).
    pub fn new(text: &str) -> Result<Prefix, String> {
        let parts = checked(parse(text).map_err(|e| e.message)?)?;
        let has_expressions = parts.iter().any(|p| matches!(p, Part::Expression { .. }));
        Ok(Prefix { parts, default_time_suffix: !has_expressions })
    }

    /// Parses an error prefix. A static one gets the error type and the hour appended; none at
    /// all means the data prefix (static then, rule P9) followed by the error type: failed
    /// records land under `<prefix><error-output-type>/yyyy/MM/dd/HH/` (S3 prefix rules).
    pub fn error(text: &str, data_prefix: &str) -> Result<Prefix, String> {
        let mut parts =
            checked(if text.is_empty() { parse(data_prefix) } else { parse(text) }.map_err(|e| e.message)?)?;
        let has_expressions = parts.iter().any(|p| matches!(p, Part::Expression { .. }));
        if !has_expressions {
            parts.push(Part::Expression { namespace: "firehose".into(), value: "error-output-type".into() });
            parts.push(Part::Literal("/".into()));
        }
        Ok(Prefix { parts, default_time_suffix: !has_expressions })
    }

    /// The keys of `namespace` (`partitionKeyFromLambda`, `partitionKeyFromQuery`) it uses.
    pub fn keys(&self, namespace: &str) -> Vec<&str> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Expression { namespace: n, value } if n == namespace => Some(value.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The evaluated prefix for one record arriving at `at`.
    pub fn evaluate(&self, at: DateTime<Utc>, inputs: &Inputs) -> Result<String, EvalError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Expression { namespace, value } => {
                    let missing = |from: &str| EvalError {
                        code: "DynamicPartitioning.MetadataExtractionFailed",
                        message: format!("no partition key `{value}` from the {from}"),
                    };
                    match namespace.as_str() {
                        "partitionKeyFromLambda" => {
                            let v = inputs.lambda_keys.and_then(|k| k.get(value)).ok_or_else(|| missing("Lambda"))?;
                            out.push_str(v);
                        }
                        "partitionKeyFromQuery" => {
                            let v = inputs.query_keys.and_then(|k| k.get(value)).ok_or_else(|| missing("jq query"))?;
                            out.push_str(v);
                        }
                        "timestamp" => {
                            let text = timefmt::format(value, at).map_err(|e| EvalError {
                                code: "DynamicPartitioning.InvalidPrefix",
                                message: e.to_string(),
                            })?;
                            out.push_str(&text);
                        }
                        "firehose" if value == "random-string" => out.push_str(RANDOM_STRING),
                        "firehose" if value == "error-output-type" => {
                            out.push_str(inputs.error_output_type.unwrap_or(PROCESSING_FAILED))
                        }
                        _ => {
                            return Err(EvalError {
                                code: "DynamicPartitioning.InvalidPrefix",
                                message: format!("cannot evaluate !{{{namespace}:{value}}}"),
                            })
                        }
                    }
                }
            }
        }
        if self.default_time_suffix {
            if !out.is_empty() && !out.ends_with('/') {
                out.push('/');
            }
            out.push_str(&timefmt::format("yyyy/MM/dd/HH/", at).unwrap_or_default());
        }
        if out.chars().count() > 512 {
            return Err(EvalError {
                code: "DynamicPartitioning.PrefixTooLong",
                message: format!("the evaluated prefix has {} characters; Firehose allows 512", out.chars().count()),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1565382027, 0).unwrap()
    }

    #[test]
    fn the_sample_prefix_evaluates_from_lambda_keys() {
        let p = Prefix::new("region=!{partitionKeyFromLambda:region}/hour=!{partitionKeyFromLambda:hour}/").unwrap();
        let keys =
            BTreeMap::from([("region".to_string(), "us-east-1".to_string()), ("hour".to_string(), "20".to_string())]);
        let out = p.evaluate(at(), &Inputs { lambda_keys: Some(&keys), ..Default::default() }).unwrap();
        assert_eq!(out, "region=us-east-1/hour=20/");
        let missing = p.evaluate(at(), &Inputs::default()).unwrap_err();
        assert!(missing.message.contains("region"));
    }

    #[test]
    fn error_prefixes_get_their_type_and_static_prefixes_the_hour() {
        let e = Prefix::error("error/!{timestamp:yyyy}/!{firehose:error-output-type}", "").unwrap();
        let inputs = Inputs { error_output_type: Some(PARTITIONING_FAILED), ..Default::default() };
        assert_eq!(e.evaluate(at(), &inputs).unwrap(), "error/2019/partitioning-failed");
        let static_error = Prefix::error("errors/", "").unwrap();
        assert_eq!(static_error.evaluate(at(), &inputs).unwrap(), "errors/partitioning-failed/2019/08/09/20/");
        let plain = Prefix::new("data").unwrap();
        assert_eq!(plain.evaluate(at(), &Inputs::default()).unwrap(), "data/2019/08/09/20/");
        // No error prefix: the data prefix, then the type.
        let none = Prefix::error("", "logs/").unwrap();
        assert_eq!(none.evaluate(at(), &inputs).unwrap(), "logs/partitioning-failed/2019/08/09/20/");
    }

    #[test]
    fn the_random_string_takes_eleven_characters_as_in_firehose() {
        assert_eq!(RANDOM_STRING.chars().count(), 11);
        // 501 characters and a random string: 512, the limit, not over it.
        let text = format!("{}!{{firehose:random-string}}", "a".repeat(501));
        assert!(Prefix::new(&text).unwrap().evaluate(at(), &Inputs::default()).is_ok());
        let text = format!("{}!{{firehose:random-string}}", "a".repeat(502));
        assert!(Prefix::new(&text).unwrap().evaluate(at(), &Inputs::default()).is_err());
    }
}
