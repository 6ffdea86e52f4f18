//! Firehose's S3 prefix language, in one bottom layer: the parser (literal text and
//! `!{namespace:value}`, here), `timefmt` (`!{timestamp:PATTERN}` as Java formats it) and `eval`
//! (a prefix for one record, as Firehose evaluates it). Validation, preview, verify's key
//! matching and the Glue table's projection all read prefixes through it.

pub mod eval;
pub mod inverse;
pub mod timefmt;

/// One piece of a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Literal(String),
    Expression { namespace: String, value: String },
}

/// A prefix that cannot be parsed, with the byte offset of the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
    /// The expression was left open by an unpaired `'` in a timestamp pattern (rule P5).
    pub unclosed_quote: bool,
}

/// Expression namespaces Firehose knows (rule P3).
pub const NAMESPACES: [&str; 4] = ["timestamp", "firehose", "partitionKeyFromQuery", "partitionKeyFromLambda"];

/// Splits a prefix into literals and expressions. Never panics.
pub fn parse(prefix: &str) -> Result<Vec<Part>, ParseError> {
    let mut parts = Vec::new();
    let mut rest = prefix;
    let mut offset = 0;
    while let Some(start) = rest.find("!{") {
        if start > 0 {
            parts.push(Part::Literal(rest[..start].to_string()));
        }
        let body_start = start + 2;
        let close = find_close(&rest[body_start..]).ok_or_else(|| {
            let unclosed_quote = rest[body_start..].contains('\'');
            let message = if unclosed_quote {
                "a quote `'` in the expression is not closed, so neither is `!{`"
            } else {
                "`!{` is not closed by `}`"
            };
            ParseError { offset: offset + start, message: message.into(), unclosed_quote }
        })?;
        let body = &rest[body_start..body_start + close];
        let (namespace, value) = body.split_once(':').ok_or_else(|| ParseError {
            offset: offset + start,
            message: format!("`!{{{body}}}` is not of the form `!{{namespace:value}}`"),
            unclosed_quote: false,
        })?;
        if namespace.is_empty() || value.is_empty() || body.contains("!{") {
            return Err(ParseError {
                offset: offset + start,
                message: format!("invalid expression usage `!{{{body}}}`"),
                unclosed_quote: false,
            });
        }
        parts.push(Part::Expression { namespace: namespace.to_string(), value: value.to_string() });
        let consumed = body_start + close + 1;
        offset += consumed;
        rest = &rest[consumed..];
    }
    if !rest.is_empty() {
        parts.push(Part::Literal(rest.to_string()));
    }
    Ok(parts)
}

/// Index of the `}` closing an expression body, skipping quoted literals in timestamp patterns.
fn find_close(body: &str) -> Option<usize> {
    let mut quoted = false;
    for (i, c) in body.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '}' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

/// Expressions of a parsed prefix.
pub fn expressions(parts: &[Part]) -> impl Iterator<Item = (&str, &str)> {
    parts.iter().filter_map(|p| match p {
        Part::Expression { namespace, value } => Some((namespace.as_str(), value.as_str())),
        Part::Literal(_) => None,
    })
}

/// Lower bound of the evaluated length (rule P2): literals, plus each expression's shortest output.
pub fn min_evaluated_len(parts: &[Part]) -> usize {
    parts
        .iter()
        .map(|p| match p {
            Part::Literal(s) => s.chars().count(),
            Part::Expression { namespace, value } => match (namespace.as_str(), value.as_str()) {
                ("firehose", "random-string") => 11,
                ("timestamp", pattern) => timestamp_len(pattern),
                _ => 1,
            },
        })
        .sum()
}

/// Output length of a DateTimeFormatter pattern, counting quoted text literally.
fn timestamp_len(pattern: &str) -> usize {
    let mut len = 0;
    let mut quoted = false;
    for c in pattern.chars() {
        if c == '\'' {
            quoted = !quoted;
        } else {
            len += 1;
        }
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_seed_prefix() {
        let parts = parse("region=!{partitionKeyFromLambda:region}/hour=!{partitionKeyFromLambda:hour}/").unwrap();
        let exprs: Vec<_> = expressions(&parts).collect();
        assert_eq!(exprs, vec![("partitionKeyFromLambda", "region"), ("partitionKeyFromLambda", "hour")]);
        assert_eq!(parts.last(), Some(&Part::Literal("/".into())));
    }

    #[test]
    fn quoted_literals_may_hold_braces() {
        let parts = parse("!{timestamp:'y}='yyyy}/").unwrap();
        assert_eq!(expressions(&parts).next(), Some(("timestamp", "'y}='yyyy")));
        assert_eq!(min_evaluated_len(&parts), 8);
    }

    #[test]
    fn rejects_unclosed_and_malformed_expressions() {
        assert!(parse("a/!{timestamp:yyyy").is_err());
        assert!(parse("a/!{timestamp}").is_err());
        assert!(parse("a/!{:x}").is_err());
        assert!(parse("!{a:!{b:c}}").is_err());
    }

    #[test]
    fn never_panics_on_odd_input() {
        for s in ["", "!", "!{", "}", "!{}", "é!{ü:ß}", "'!{timestamp:'", "!{{:}}", "!{a:b}!{"] {
            let _ = parse(s);
        }
    }
}
