//! MetadataExtraction queries, evaluated as Firehose evaluates them: with jq 1.6. When jq 1.6
//! itself is installed (`jq --version` says `jq-1.6`, or `PROVISION_JQ` names one), preview runs
//! it; otherwise the jaq crates, made to behave as jq 1.6 (see [`jaq`]). Either way the query
//! runs in a separate process with a budget per record (time, memory; input depth is jq 1.6's
//! own limit), an empty environment, and no way to read anything but its record.

pub mod check;
pub mod engine;
pub mod jaq;
pub mod print;
pub mod syntax;

pub use engine::{Budget, Engine, Evaluator};

/// jq 1.6's parser refuses documents nested deeper than this (`MAX_PARSING_DEPTH` in jv_parse.c).
pub const MAX_PARSING_DEPTH: usize = 256;

/// What a query made of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The first output is an object: each key, its value's jq type, and its text (a string as
    /// is, anything else as jq 1.6 prints it).
    Keys(Vec<(String, String, String)>),
    /// The query produced no output.
    NoOutput,
    /// The first output is not an object (its JSON, cut at 200 characters).
    NotObject(String),
    /// jq raised an error (the record is not JSON, or the query failed).
    Error(String),
    /// The query did not finish within the budget, or its process ended (out of memory or stack).
    OverBudget(String),
}

/// How deep arrays and objects nest in a JSON text (strings skipped), counted without parsing it.
pub fn nesting_depth(data: &[u8]) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in data {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}
