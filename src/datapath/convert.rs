//! Record format conversion, as preview reproduces it: whether Firehose can read a record into
//! the table's columns with the stream's deserializer, or sends it to the error prefix as
//! `format-conversion-failed` (the Parquet or ORC bytes themselves are not written here).
//!
//! Firehose's builds of its deserializers are not public. What is reproduced, and from where
//! (the manual's fidelity table, docs/src/data-path.md, says the same):
//! - the input: concatenated JSON objects, each a row; an array, a scalar or invalid JSON is
//!   `DataFormatConversion.ParseError` (developer guide, "Convert input data format");
//! - OpenX JSON SerDe (rcongiu/Hive-JSON-Serde, `ParsePrimitiveUtils` and its object
//!   inspectors): keys lowercased (CaseInsensitive), dots to underscores, column mappings;
//!   unknown keys ignored, missing columns NULL; its JSON tokenizer keeps a number as its text
//!   (`JSONObject.stringToValue`), so a JSON number and a string holding one are read alike:
//!   `Integer.parseInt` and its kin for integer columns (`"42"` and `42` fill an int, `"0x2A"`
//!   too; `3.5`, `1e3` or a value beyond the column's type fail), `Boolean.parseBoolean` never
//!   fails; a value given to an array column that is not an array is a one-element array
//!   (`JsonListObjectInspector`), a blank string NULL for an array, map or struct, an array
//!   fills a struct's fields by position (`JsonStructObjectInspector`); the
//!   timestamp forms the developer guide lists (ISO-8601 with `Z`, `yyyy-[M]M-[d]d HH:mm:ss[.S]`,
//!   epoch seconds, milliseconds from 13 digits, fractional seconds);
//! - Hive JSON SerDe (Apache Hive's hcatalog `JsonSerDe.extractCurrentField`): keys matched
//!   lowercased, unknown keys skipped; numeric columns need JSON numbers (Jackson's
//!   `getIntValue` refuses a string), a float for an int is truncated, a value out of the type's
//!   range fails; `Boolean.valueOf` of any scalar; BINARY always fails; timestamps by
//!   `java.sql.Timestamp.valueOf` or the stream's `timestamp_formats` (Joda patterns, `millis`);
//!   a decimal that does not parse is NULL;
//! - both: `date` is `yyyy-[M]M-[d]d`; arrays, maps and structs need their JSON shape and their
//!   elements are checked the same way; a value the column cannot take is
//!   `DataFormatConversion.MalformedData`.

use crate::model::kinds::conversion::{Deserializer, FormatConversion};
use serde_json::Value;

/// The error output type of records that fail conversion.
pub const FORMAT_CONVERSION_FAILED: &str = "format-conversion-failed";
/// Error codes Firehose reports.
pub const PARSE_ERROR: &str = "DataFormatConversion.ParseError";
pub const MALFORMED_DATA: &str = "DataFormatConversion.MalformedData";

/// A Hive column type.
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    Boolean,
    /// An integer type and its bounds.
    Integer(i128, i128),
    Float,
    Decimal,
    Text,
    Binary,
    Date,
    Timestamp,
    Array(Box<Type>),
    Map(Box<Type>, Box<Type>),
    Struct(Vec<(String, Type)>),
}

/// Parses a column type as Glue holds it (`bigint`, `array<struct<a:int>>`); `None`: unknown.
pub fn parse_type(text: &str) -> Option<Type> {
    let (t, rest) = parse_prefix(text.trim())?;
    rest.trim().is_empty().then_some(t)
}

fn parse_prefix(text: &str) -> Option<(Type, &str)> {
    let text = text.trim_start();
    let end = text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(text.len());
    let (word, rest) = text.split_at(end);
    let bounds = |bits: u32| Type::Integer(-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1);
    Some(match word.to_ascii_lowercase().as_str() {
        "boolean" => (Type::Boolean, rest),
        "tinyint" => (bounds(8), rest),
        "smallint" => (bounds(16), rest),
        "int" | "integer" => (bounds(32), rest),
        "bigint" => (bounds(64), rest),
        "float" | "double" => (Type::Float, rest),
        "decimal" => (Type::Decimal, sized(rest)?),
        "string" => (Type::Text, rest),
        "varchar" | "char" => (Type::Text, sized(rest)?),
        "binary" => (Type::Binary, rest),
        "date" => (Type::Date, rest),
        "timestamp" => (Type::Timestamp, rest),
        "array" => {
            let (of, rest) = parse_prefix(rest.trim_start().strip_prefix('<')?)?;
            (Type::Array(Box::new(of)), rest.trim_start().strip_prefix('>')?)
        }
        "map" => {
            let (k, rest) = parse_prefix(rest.trim_start().strip_prefix('<')?)?;
            let (v, rest) = parse_prefix(rest.trim_start().strip_prefix(',')?)?;
            (Type::Map(Box::new(k), Box::new(v)), rest.trim_start().strip_prefix('>')?)
        }
        "struct" => {
            let mut rest = rest.trim_start().strip_prefix('<')?;
            let mut fields = Vec::new();
            loop {
                let (name, after) = rest.split_once(':')?;
                let (t, after) = parse_prefix(after)?;
                fields.push((name.trim().to_ascii_lowercase(), t));
                let after = after.trim_start();
                if let Some(r) = after.strip_prefix(',') {
                    rest = r;
                } else {
                    break (Type::Struct(fields), after.strip_prefix('>')?);
                }
            }
        }
        _ => return None,
    })
}

/// What follows `(P,S)` or `(N)`, if the type is sized.
fn sized(rest: &str) -> Option<&str> {
    match rest.trim_start().strip_prefix('(') {
        Some(r) => Some(&r[r.find(')')? + 1..]),
        None => Some(rest),
    }
}

/// Why a record cannot be converted: the error code and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: &'static str,
    pub message: String,
}

fn malformed(message: String) -> Failure {
    Failure { code: MALFORMED_DATA, message }
}

/// A stream's conversion ready to read records: the table's column types parsed once.
pub struct Reader<'a> {
    conversion: &'a FormatConversion,
    /// The columns, lowercased, with their parsed types (`None`: a type this does not check).
    columns: Vec<(String, Option<Type>)>,
}

impl<'a> Reader<'a> {
    pub fn new(conversion: &'a FormatConversion) -> Reader<'a> {
        let columns = conversion.columns.iter().map(|(name, t)| (name.to_ascii_lowercase(), parse_type(t))).collect();
        Reader { conversion, columns }
    }

    /// Checks one record (its data after the processors) against the table's columns.
    pub fn check(&self, data: &[u8]) -> Result<(), Failure> {
        check_columns(data, self.conversion, &self.columns)
    }
}

fn check_columns(
    data: &[u8],
    conversion: &FormatConversion,
    columns: &[(String, Option<Type>)],
) -> Result<(), Failure> {
    let mut documents = 0;
    for document in serde_json::Deserializer::from_slice(data).into_iter::<Value>() {
        let document =
            document.map_err(|e| Failure { code: PARSE_ERROR, message: format!("the record is not JSON: {e}") })?;
        let Value::Object(fields) = document else {
            return Err(Failure {
                code: PARSE_ERROR,
                message: format!(
                    "a record holds JSON objects (several may be concatenated), not {}",
                    kind_of(&document)
                ),
            });
        };
        documents += 1;
        for (key, value) in &fields {
            let Some(column) = column_of(key, &conversion.deserializer, columns) else { continue };
            let (name, t) = &columns[column];
            if let Some(t) = t {
                value_fits(value, t, &conversion.deserializer)
                    .map_err(|why| malformed(format!("column `{name}` ({}): {why}", conversion.columns[column].1)))?;
            }
        }
    }
    if documents == 0 {
        return Err(Failure { code: PARSE_ERROR, message: "the record holds no JSON object".into() });
    }
    Ok(())
}

/// The column a JSON key fills, as the deserializer matches them.
fn column_of(key: &str, deserializer: &Deserializer, columns: &[(String, Option<Type>)]) -> Option<usize> {
    let position = |name: &str| columns.iter().position(|(c, _)| c == name);
    match deserializer {
        Deserializer::OpenX { case_insensitive, convert_dots, mappings } => {
            let same = |a: &str, b: &str| if *case_insensitive { a.eq_ignore_ascii_case(b) } else { a == b };
            if let Some((column, _)) = mappings.iter().find(|(_, json_key)| same(json_key, key)) {
                return position(&column.to_ascii_lowercase());
            }
            let mut name = if *case_insensitive { key.to_ascii_lowercase() } else { key.to_string() };
            if *convert_dots {
                name = name.replace('.', "_");
            }
            position(&name)
        }
        Deserializer::Hive { .. } => position(&key.to_ascii_lowercase()),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Whether `value` fills a column of type `t`; why not.
fn value_fits(value: &Value, t: &Type, d: &Deserializer) -> Result<(), String> {
    let hive = matches!(d, Deserializer::Hive { .. });
    if hive && *t == Type::Binary {
        return Err("the Hive JSON SerDe does not support BINARY".into());
    }
    if value.is_null() {
        return Ok(());
    }
    let refuse = || Err(format!("{} cannot fill it", kind_of(value)));
    match (t, value) {
        (Type::Text, Value::Object(_) | Value::Array(_)) if hive => refuse(),
        (Type::Text, _) => Ok(()),
        (Type::Binary, Value::String(_)) => Ok(()),
        (Type::Binary, _) => refuse(),
        (Type::Boolean, Value::Bool(_)) => Ok(()),
        // `Boolean.valueOf`: any text, "true" in any case being true.
        (Type::Boolean, Value::String(_)) => Ok(()),
        // Hive: `Boolean.valueOf` of the token's text; OpenX: `Boolean.parseBoolean` of the
        // number's text (false).
        (Type::Boolean, Value::Number(_)) => Ok(()),
        (Type::Boolean, _) => refuse(),
        // Hive: Jackson's `getIntValue`, a float truncated.
        (Type::Integer(low, high), Value::Number(n)) if hive => {
            let v = n.as_f64().unwrap_or(f64::NAN).trunc();
            if v.is_nan() || (v as i128) < *low || (v as i128) > *high {
                return Err(format!("{n} is out of the column's range"));
            }
            Ok(())
        }
        // OpenX: the number's text through `Integer.parseInt` (and its kin): a whole number in
        // the type's range. serde_json keeps a whole number in range of i64/u64 as an integer;
        // anything else (a fraction, an exponent, beyond u64) was no Java integer either.
        (Type::Integer(low, high), Value::Number(n)) => match n.as_i64().map(i128::from).or(n.as_u64().map(i128::from))
        {
            Some(v) if v >= *low && v <= *high => Ok(()),
            Some(_) => Err(format!("{n} is out of the column's range")),
            None => Err(format!("{n} is not a whole number (Integer.parseInt of its text)")),
        },
        (Type::Integer(low, high), Value::String(s)) if !hive => match java_integer(s) {
            Some(v) if v >= *low && v <= *high => Ok(()),
            Some(_) => Err(format!("{s:?} is out of the column's range")),
            None => Err(format!("{s:?} is not a number")),
        },
        (Type::Integer(..), _) => refuse(),
        (Type::Float, Value::Number(_)) => Ok(()),
        (Type::Float, Value::String(s)) if !hive => {
            java_double(s).then_some(()).ok_or_else(|| format!("{s:?} is not a number"))
        }
        (Type::Float, _) => refuse(),
        // A decimal that does not parse is NULL (HiveDecimal.create), not a failure.
        (Type::Decimal, Value::Number(_) | Value::String(_) | Value::Bool(_)) => Ok(()),
        (Type::Decimal, _) => refuse(),
        (Type::Date, Value::String(s)) => {
            sql_date(s).then_some(()).ok_or_else(|| format!("{s:?} is not a date (yyyy-MM-dd)"))
        }
        (Type::Date, _) => refuse(),
        (Type::Timestamp, _) => timestamp_fits(value, d),
        (Type::Array(of), Value::Array(items)) => items.iter().try_for_each(|v| value_fits(v, of, d)),
        // OpenX: a blank string is NULL; any other value is a one-element array.
        (Type::Array(_) | Type::Map(..) | Type::Struct(_), Value::String(s)) if !hive && s.trim().is_empty() => Ok(()),
        (Type::Array(of), _) if !hive => {
            value_fits(value, of, d).map_err(|why| format!("as a one-element array: {why}"))
        }
        (Type::Array(_), _) => refuse(),
        (Type::Map(k, v), Value::Object(entries)) => entries.iter().try_for_each(|(key, value)| {
            // A key is text: the Hive SerDe parses it to the key's type
            // (`getObjectOfCorrespondingPrimitiveType`), OpenX as it parses a string.
            match **k {
                Type::Integer(low, high) if hive => match java_integer(key) {
                    Some(n) if n >= low && n <= high => Ok(()),
                    _ => Err(format!("map key {key:?} is not a number of the key's type")),
                },
                Type::Float if hive => {
                    java_double(key).then_some(()).ok_or_else(|| format!("map key {key:?} is not a number"))
                }
                _ => value_fits(&Value::String(key.clone()), k, d),
            }
            .and_then(|_| value_fits(value, v, d))
        }),
        (Type::Map(..), _) => refuse(),
        (Type::Struct(fields), Value::Object(entries)) => {
            let columns: Vec<(String, Option<Type>)> =
                fields.iter().map(|(n, t)| (n.clone(), Some(t.clone()))).collect();
            for (key, value) in entries {
                if let Some(i) = column_of(key, d, &columns) {
                    value_fits(value, &fields[i].1, d).map_err(|why| format!("field `{}`: {why}", fields[i].0))?;
                }
            }
            Ok(())
        }
        // OpenX: an array fills the fields by position (an empty one is NULL).
        (Type::Struct(fields), Value::Array(items)) if !hive => items
            .iter()
            .zip(fields)
            .try_for_each(|(v, (name, t))| value_fits(v, t, d).map_err(|why| format!("field `{name}`: {why}"))),
        (Type::Struct(_), _) => refuse(),
    }
}

/// Timestamps, as each deserializer reads them.
fn timestamp_fits(value: &Value, d: &Deserializer) -> Result<(), String> {
    match d {
        Deserializer::OpenX { .. } => match value {
            Value::Number(_) => Ok(()),
            Value::String(s) => openx_timestamp(s).then_some(()).ok_or_else(|| {
                format!("{s:?} is none of the OpenX JSON SerDe's timestamp forms (yyyy-MM-ddTHH:mm:ss[.S]Z, yyyy-MM-dd HH:mm:ss[.S], epoch seconds or milliseconds)")
            }),
            _ => Err(format!("{} cannot fill it", kind_of(value))),
        },
        Deserializer::Hive { timestamp_formats } => {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return Err(format!("{} cannot fill it", kind_of(value))),
            };
            if timestamp_formats.is_empty() {
                return sql_timestamp(&text)
                    .then_some(())
                    .ok_or_else(|| format!("{text:?} is not yyyy-MM-dd HH:mm:ss[.fffffffff] (java.sql.Timestamp)"));
            }
            let fits = timestamp_formats.iter().any(|f| {
                if f == "millis" {
                    text.parse::<i64>().is_ok()
                } else {
                    joda_matches(f, &text).unwrap_or(true)
                }
            });
            fits.then_some(()).ok_or_else(|| format!("{text:?} matches none of timestamp_formats {timestamp_formats:?}"))
        }
    }
}

/// Java's `Long.parseLong` (and OpenX's `0x` hexadecimal): an optional sign, then digits.
fn java_integer(s: &str) -> Option<i128> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (radix, digits) = match digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        Some(hex) => (16, hex),
        None => (10, digits),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) || digits.len() > 40 {
        return None;
    }
    let v = i128::from_str_radix(digits, radix).ok()?;
    Some(if negative { -v } else { v })
}

/// Java's `Double.parseDouble`: surrounding whitespace, a `d`/`f` suffix, NaN and Infinity.
fn java_double(s: &str) -> bool {
    let t = s.trim();
    let t = t.strip_suffix(['d', 'D', 'f', 'F']).unwrap_or(t);
    let unsigned = t.trim_start_matches(['+', '-']);
    if ["NaN", "Infinity"].contains(&unsigned) {
        return true;
    }
    !unsigned.is_empty()
        && unsigned.chars().all(|c| c.is_ascii_digit() || ".eE+-".contains(c))
        && t.parse::<f64>().is_ok()
}

/// `java.sql.Date.valueOf`: `yyyy-[m]m-[d]d`.
fn sql_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let number = |p: &str, widths: std::ops::RangeInclusive<usize>| {
        widths.contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit())
    };
    parts.len() == 3
        && number(parts[0], 4..=4)
        && number(parts[1], 1..=2)
        && number(parts[2], 1..=2)
        && chrono::NaiveDate::from_ymd_opt(
            parts[0].parse().unwrap_or(0),
            parts[1].parse().unwrap_or(0),
            parts[2].parse().unwrap_or(0),
        )
        .is_some()
}

/// `java.sql.Timestamp.valueOf`: `yyyy-[m]m-[d]d hh:mm:ss[.f...]` (up to 9 fraction digits).
fn sql_timestamp(s: &str) -> bool {
    let Some((date, time)) = s.trim().split_once(' ') else { return false };
    let (clock, fraction) = time.split_once('.').unwrap_or((time, "0"));
    let hms: Vec<&str> = clock.split(':').collect();
    sql_date(date)
        && hms.len() == 3
        && hms.iter().zip([23, 59, 59]).all(|(p, max)| {
            (1..=2).contains(&p.len())
                && p.chars().all(|c| c.is_ascii_digit())
                && p.parse::<u32>().is_ok_and(|v| v <= max)
        })
        && (1..=9).contains(&fraction.len())
        && fraction.chars().all(|c| c.is_ascii_digit())
}

/// The timestamp forms the developer guide lists for the OpenX JSON SerDe.
fn openx_timestamp(s: &str) -> bool {
    if s.contains(':') {
        if let Some(iso) = s.strip_suffix('Z') {
            // yyyy-MM-dd'T'HH:mm:ss[.S]'Z'
            return iso.split_once('T').is_some_and(|(date, time)| sql_timestamp(&format!("{date} {time}")));
        }
        if let Some((local, _offset)) = s.rsplit_once(['+', '-']).filter(|(_, o)| {
            let o = o.replace(':', "");
            o.len() == 4 && o.chars().all(|c| c.is_ascii_digit())
        }) {
            // ParsePrimitiveUtils.OFFSET_FORMAT, `yyyy-MM-dd'T'HH:mm:ssX`: no fraction.
            return local
                .split_once('T')
                .is_some_and(|(date, time)| !time.contains('.') && sql_timestamp(&format!("{date} {time}")));
        }
        return sql_timestamp(s);
    }
    if s.contains('.') {
        return s.parse::<f64>().is_ok();
    }
    s.parse::<i64>().is_ok()
}

/// Whether `text` matches a Joda-Time pattern; `None` when the pattern has a letter this does not
/// check (then the record is taken as converted, and the manual says so).
fn joda_matches(pattern: &str, text: &str) -> Option<bool> {
    let mut regex = String::from("^");
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let mut n = 1;
        while i + n < chars.len() && chars[i + n] == c && c.is_ascii_alphabetic() {
            n += 1;
        }
        match c {
            '\'' => {
                let end = chars[i + 1..].iter().position(|x| *x == '\'')? + i + 1;
                let literal: String = chars[i + 1..end].iter().collect();
                regex.push_str(&regex_syntax::escape(if literal.is_empty() { "'" } else { &literal }));
                i = end + 1;
                continue;
            }
            'y' | 'Y' | 'x' => regex.push_str(if n == 2 { r"\d{2}" } else { r"-?\d{1,9}" }),
            'M' if n >= 3 => regex.push_str(r"[A-Za-z]{3,9}"),
            'M' | 'd' | 'H' | 'h' | 'm' | 's' | 'k' | 'K' => regex.push_str(if n == 1 { r"\d{1,2}" } else { "\\d{2}" }),
            'S' => regex.push_str(&format!(r"\d{{1,{}}}", n.max(1))),
            'a' => regex.push_str("(?i:AM|PM)"),
            'Z' => regex.push_str(r"(Z|[+-]\d{2}:?\d{2})"),
            'E' => regex.push_str(r"[A-Za-z]{3,9}"),
            c if c.is_ascii_alphabetic() => return None,
            c => regex.push_str(&regex_syntax::escape(&c.to_string())),
        }
        i += n;
    }
    regex.push('$');
    Some(regex_automata::meta::Regex::new(&regex).ok()?.is_match(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn conversion(deserializer: Deserializer, columns: &[(&str, &str)]) -> FormatConversion {
        FormatConversion {
            deserializer,
            columns: columns.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect(),
            ..FormatConversion::example()
        }
    }

    fn openx() -> Deserializer {
        Deserializer::OpenX { case_insensitive: true, convert_dots: false, mappings: BTreeMap::new() }
    }

    fn hive(formats: &[&str]) -> Deserializer {
        Deserializer::Hive { timestamp_formats: formats.iter().map(|s| s.to_string()).collect() }
    }

    /// The code of the outcome: "ok", or the failure's code.
    fn outcome(record: &str, d: Deserializer, columns: &[(&str, &str)]) -> &'static str {
        match Reader::new(&conversion(d, columns)).check(record.as_bytes()) {
            Ok(()) => "ok",
            Err(f) => f.code,
        }
    }

    const M: &str = MALFORMED_DATA;

    /// Rule C8: what is not JSON objects is a ParseError.
    #[test]
    fn rule_c8_input_is_concatenated_json_objects() {
        // Developer guide: `{"a":1}{"b":1}` is correct input, `[{"a":1}, {"a":2}]` is not.
        let c = [("a", "int"), ("b", "int")];
        assert_eq!(outcome(r#"{"a":1}{"b":1}"#, openx(), &c), "ok");
        assert_eq!(outcome(r#"[{"a":1}, {"a":2}]"#, openx(), &c), PARSE_ERROR);
        assert_eq!(outcome(r#"{"a":1"#, openx(), &c), PARSE_ERROR);
        assert_eq!(outcome("42", openx(), &c), PARSE_ERROR);
        assert_eq!(outcome("  \n", openx(), &c), PARSE_ERROR);
        // A line the delimiter processor ended is still one object.
        assert_eq!(outcome("{\"a\":1}\n", openx(), &c), "ok");
    }

    #[test]
    fn openx_parses_numbers_in_strings_and_refuses_what_is_no_number() {
        // rcongiu/Hive-JSON-Serde ParsePrimitiveUtils.parseInt: decimal or 0x hexadecimal.
        let c = [("n", "int"), ("x", "double"), ("big", "bigint")];
        assert_eq!(outcome(r#"{"n":"42","x":"1.5e3","big":"-9000000000"}"#, openx(), &c), "ok");
        assert_eq!(outcome(r#"{"n":"0x2A"}"#, openx(), &c), "ok");
        assert_eq!(outcome(r#"{"n":"4x2"}"#, openx(), &c), M);
        assert_eq!(outcome(r#"{"n":"3000000000"}"#, openx(), &c), M);
        assert_eq!(outcome(r#"{"x":"lots"}"#, openx(), &c), M);
        assert_eq!(outcome(r#"{"n":true}"#, openx(), &c), M);
        assert_eq!(outcome(r#"{"n":{"v":1}}"#, openx(), &c), M);
        // Its tokenizer keeps a JSON number as text (JSONObject.stringToValue): parsed the same.
        assert_eq!(outcome(r#"{"n":42,"big":-9000000000}"#, openx(), &c), "ok");
        assert_eq!(outcome(r#"{"n":3000000000}"#, openx(), &c), M);
        assert_eq!(outcome(r#"{"n":3.5}"#, openx(), &c), M);
        assert_eq!(outcome(r#"{"n":1e3}"#, openx(), &c), M);
        assert_eq!(outcome(r#"{"big":99999999999999999999}"#, openx(), &c), M);
        // Missing columns are NULL, extra fields are ignored.
        assert_eq!(outcome(r#"{"other":"x"}"#, openx(), &c), "ok");
    }

    #[test]
    fn openx_matches_keys_by_its_options() {
        let c = [("customer_id", "int"), ("a_b", "int"), ("ts", "int")];
        // CaseInsensitive (default true): `Customer_ID` fills customer_id (its bad value shows it).
        assert_eq!(outcome(r#"{"Customer_ID":"x"}"#, openx(), &c), M);
        let exact = Deserializer::OpenX { case_insensitive: false, convert_dots: false, mappings: BTreeMap::new() };
        assert_eq!(outcome(r#"{"Customer_ID":"x"}"#, exact, &c), "ok");
        // ConvertDotsInJsonKeysToUnderscores: `a.b` fills a_b only when set.
        assert_eq!(outcome(r#"{"a.b":"x"}"#, openx(), &c), "ok");
        let dots = Deserializer::OpenX { case_insensitive: true, convert_dots: true, mappings: BTreeMap::new() };
        assert_eq!(outcome(r#"{"a.b":"x"}"#, dots, &c), M);
        // ColumnToJsonKeyMappings: the key `timestamp` fills the column ts.
        let mapped = Deserializer::OpenX {
            case_insensitive: true,
            convert_dots: false,
            mappings: BTreeMap::from([("ts".to_string(), "timestamp".to_string())]),
        };
        assert_eq!(outcome(r#"{"timestamp":"x"}"#, mapped, &c), M);
    }

    #[test]
    fn openx_reads_the_timestamp_forms_the_developer_guide_lists() {
        let c = [("t", "timestamp"), ("d", "date")];
        for ok in [
            r#"{"t":"2017-02-07T15:13:01.39256Z"}"#,
            r#"{"t":"2017-02-07T15:13:01.123456789Z"}"#,
            r#"{"t":"2017-02-07 15:13:01.14"}"#,
            r#"{"t":"2017-2-7 15:13:01"}"#,
            r#"{"t":"1518033528"}"#,
            r#"{"t":"1518033528123"}"#,
            r#"{"t":"1518033528.123"}"#,
            r#"{"t":1518033528123}"#,
            r#"{"d":"2024-02-29"}"#,
        ] {
            assert_eq!(outcome(ok, openx(), &c), "ok", "{ok}");
        }
        for bad in [
            r#"{"t":"yesterday"}"#,
            r#"{"t":"2017-02-07T25:13:01Z"}"#,
            r#"{"d":"2023-02-29"}"#,
            r#"{"d":"07/02/2017"}"#,
        ] {
            assert_eq!(outcome(bad, openx(), &c), M, "{bad}");
        }
    }

    #[test]
    fn hive_needs_json_numbers_and_its_timestamp_forms() {
        // Apache Hive hcatalog JsonSerDe.extractCurrentField: getIntValue() of a string fails,
        // a float is truncated, a value out of range fails.
        let c = [("n", "int"), ("s", "string"), ("dec", "decimal(10,2)"), ("b", "boolean")];
        assert_eq!(outcome(r#"{"n":"42"}"#, hive(&[]), &c), M);
        assert_eq!(outcome(r#"{"n":42.7}"#, hive(&[]), &c), "ok");
        assert_eq!(outcome(r#"{"n":3000000000}"#, hive(&[]), &c), M);
        // HiveDecimal.create of what is no number is NULL, not a failure; Boolean.valueOf never fails.
        assert_eq!(outcome(r#"{"dec":"abc","b":"yes"}"#, hive(&[]), &c), "ok");
        // A string column takes scalars; an object is not text to the Hive SerDe (OpenX keeps its JSON).
        assert_eq!(outcome(r#"{"s":12}"#, hive(&[]), &c), "ok");
        assert_eq!(outcome(r#"{"s":{"a":1}}"#, hive(&[]), &c), M);
        assert_eq!(outcome(r#"{"s":{"a":1}}"#, openx(), &c), "ok");
        // Keys match lowercased.
        assert_eq!(outcome(r#"{"N":"x"}"#, hive(&[]), &c), M);
        // Timestamps: java.sql.Timestamp.valueOf without formats; Joda patterns; `millis`.
        let t = [("t", "timestamp")];
        assert_eq!(outcome(r#"{"t":"2017-02-07 15:13:01.123"}"#, hive(&[]), &t), "ok");
        assert_eq!(outcome(r#"{"t":"2017-02-07T15:13:01Z"}"#, hive(&[]), &t), M);
        assert_eq!(outcome(r#"{"t":"2017-02-07T15:13:01Z"}"#, hive(&["yyyy-MM-dd'T'HH:mm:ss'Z'"]), &t), "ok");
        assert_eq!(outcome(r#"{"t":1518033528123}"#, hive(&["millis"]), &t), "ok");
        assert_eq!(outcome(r#"{"t":"07/02/2017"}"#, hive(&["yyyy-MM-dd'T'HH:mm:ss'Z'", "millis"]), &t), M);
        // BINARY: "JsonSerDe does not support BINARY type".
        assert_eq!(outcome(r#"{"bin":"AAEC"}"#, hive(&[]), &[("bin", "binary")]), M);
        assert_eq!(outcome(r#"{"bin":"AAEC"}"#, openx(), &[("bin", "binary")]), "ok");
    }

    #[test]
    fn each_deserializer_s_failure_cases() {
        // Hive: a float in a string is no JSON number (getFloatValue); failures inside nested
        // types; map keys of a numeric type must be numbers; what is not JSON is a ParseError.
        let c = [("x", "double"), ("tags", "array<int>"), ("m", "map<int,string>")];
        assert_eq!(outcome(r#"{"x":"1.5"}"#, hive(&[]), &c), M);
        assert_eq!(outcome(r#"{"x":"1.5"}"#, openx(), &c), "ok");
        assert_eq!(outcome(r#"{"tags":[1,"2"]}"#, hive(&[]), &c), M);
        assert_eq!(outcome(r#"{"m":{"1":"a"}}"#, hive(&[]), &c), "ok");
        assert_eq!(outcome(r#"{"m":{"x":"a"}}"#, hive(&[]), &c), M);
        assert_eq!(outcome(r#"{"m":{"x":"a"}}"#, openx(), &c), M);
        assert_eq!(outcome("x=1", hive(&[]), &c), PARSE_ERROR);
        // OpenX: a boolean column takes a number (Boolean.parseBoolean of its text: false);
        // binary needs a string; timestamps with an offset need the `T` form and no fraction.
        let c = [("b", "boolean"), ("bin", "binary"), ("t", "timestamp")];
        assert_eq!(outcome(r#"{"b":1}"#, openx(), &c), "ok");
        assert_eq!(outcome(r#"{"b":[true]}"#, openx(), &c), M);
        assert_eq!(outcome(r#"{"bin":12}"#, openx(), &c), M);
        assert_eq!(outcome(r#"{"t":"2017-02-07T15:13:01+02:00"}"#, openx(), &c), "ok");
        assert_eq!(outcome(r#"{"t":"2017-02-07T15:13:01-0600"}"#, openx(), &c), "ok");
        assert_eq!(outcome(r#"{"t":"2017-02-07T15:13:01+2"}"#, openx(), &c), M);
        assert_eq!(outcome(r#"{"t":"2017-02-07T15:13:01.5+02:00"}"#, openx(), &c), M);
        assert_eq!(outcome(r#"{"t":"2017-02-07 15:13:01+02:00"}"#, openx(), &c), M);
        // Both: decimal or date given an array or an object; tinyint and smallint bounds.
        let c = [("dec", "decimal(10,2)"), ("d", "date"), ("tiny", "tinyint"), ("small", "smallint")];
        for d in [openx(), hive(&[])] {
            assert_eq!(outcome(r#"{"dec":[1]}"#, d.clone(), &c), M);
            assert_eq!(outcome(r#"{"dec":{"v":1}}"#, d.clone(), &c), M);
            assert_eq!(outcome(r#"{"d":["2024-01-01"]}"#, d.clone(), &c), M);
            assert_eq!(outcome(r#"{"d":{"y":2024}}"#, d.clone(), &c), M);
            assert_eq!(outcome(r#"{"tiny":127,"small":32767}"#, d.clone(), &c), "ok");
            assert_eq!(outcome(r#"{"tiny":-128,"small":-32768}"#, d.clone(), &c), "ok");
            assert_eq!(outcome(r#"{"tiny":128}"#, d.clone(), &c), M);
            assert_eq!(outcome(r#"{"tiny":-129}"#, d.clone(), &c), M);
            assert_eq!(outcome(r#"{"small":32768}"#, d.clone(), &c), M);
            assert_eq!(outcome(r#"{"small":-32769}"#, d, &c), M);
        }
    }

    #[test]
    fn nested_types_are_checked_element_by_element() {
        let c = [("tags", "array<int>"), ("attrs", "map<string,boolean>"), ("who", "struct<Name:string,age:int>")];
        assert_eq!(outcome(r#"{"tags":[1,"2"],"attrs":{"x":true},"who":{"name":"a","AGE":3}}"#, openx(), &c), "ok");
        assert_eq!(outcome(r#"{"tags":[1,"two"]}"#, openx(), &c), M);
        // OpenX: a scalar is a one-element array (JsonListObjectInspector.getJSONArray), checked
        // as such; the Hive SerDe wants START_ARRAY.
        assert_eq!(outcome(r#"{"tags":1}"#, openx(), &c), "ok");
        assert_eq!(outcome(r#"{"tags":"two"}"#, openx(), &c), M);
        assert_eq!(outcome(r#"{"tags":1}"#, hive(&[]), &c), M);
        assert_eq!(outcome(r#"{"attrs":[true]}"#, openx(), &c), M);
        // OpenX: a blank string is NULL for an array, a map or a struct; an array fills a
        // struct's fields by position.
        assert_eq!(outcome(r#"{"tags":" ","attrs":"","who":""}"#, openx(), &c), "ok");
        assert_eq!(outcome(r#"{"who":["a",3]}"#, openx(), &c), "ok");
        assert_eq!(outcome(r#"{"who":["a","old"]}"#, openx(), &c), M);
        assert_eq!(outcome(r#"{"who":["a",3]}"#, hive(&[]), &c), M);
        assert_eq!(outcome(r#"{"who":"someone"}"#, openx(), &c), M);
        assert_eq!(outcome(r#"{"who":{"age":"old"}}"#, openx(), &c), M);
        assert!(parse_type("array<struct<a:int,b:map<string,decimal(5,2)>>>").is_some());
        assert!(parse_type("array<int").is_none() && parse_type("set<int>").is_none());
    }
}
