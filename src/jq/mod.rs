//! The MetadataExtraction query language: jq 1.6 itself, built into provision ([`native`]), the
//! bounds on a query's text before jq sees it ([`syntax`]), the rules a query is checked against
//! (R18, R19: [`check`]) and the keys an object constructor emits. A bottom layer: preview
//! evaluates queries in worker processes (`crate::datapath::query`).

pub mod check;
pub mod keys;
pub mod native;
pub mod syntax;

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
