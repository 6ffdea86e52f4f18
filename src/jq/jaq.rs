//! The fallback engine: a MetadataExtraction query run by the jaq crates, made to behave as jq 1.6
//! for what a partition-key query does. Records are read as jq 1.6 reads them (every number a
//! double: integral ones within 2^53 kept as integers, so that jaq's integer paths apply); jq 1.6's
//! definitions replace jaq's where they differ (see `prelude.jq`); `tostring`, `tojson`, `@text`
//! and string interpolation print numbers and strings as jq 1.6 does; `indices` of strings counts
//! bytes, as jq 1.6 does; the query sees an empty environment (`env`, `$ENV` are `{}`), as
//! Firehose's does.

use super::print;
use super::Outcome;
use jaq_core::box_iter::box_once;
use jaq_core::load::{Arena, File, Loader};
use jaq_core::native::{bome, run, v, Fun};
use jaq_core::{data, unwrap_valr, Compiler, Ctx, Exn, Vars};
use jaq_json::{Num, Val};

type Data = data::JustLut<Val>;
type Filter = jaq_core::compile::Filter<jaq_core::Native<Data>>;

/// jq 1.6's definitions, where jaq's differ.
const PRELUDE: &str = include_str!("prelude.jq");

/// The largest integer a double holds exactly: beyond it, numbers stay doubles.
const EXACT_INTEGERS: f64 = 9_007_199_254_740_992.0;

/// Natives of provision's, found before jaq's own.
fn natives<D: for<'a> jaq_core::DataT<V<'a> = Val>>() -> impl Iterator<Item = Fun<D>> {
    jq16_natives().into_vec().into_iter().map(run)
}

fn jq16_natives<D: for<'a> jaq_core::DataT<V<'a> = Val>>() -> Box<[jaq_core::native::Filter<jaq_core::RunPtr<D>>]> {
    Box::new([
        ("_jq16_tostring", v(0), |cv| bome(Ok(Val::utf8_str(print::text(&cv.1))))),
        ("tojson", v(0), |cv| bome(Ok(Val::utf8_str(print::json(&cv.1))))),
        ("env", v(0), |_| bome(Ok(Val::obj(Default::default())))),
        ("indices", v(1), |mut cv| {
            let needle = cv.0.pop_var();
            match (&cv.1, &needle) {
                (Val::TStr(hay), Val::TStr(n)) => {
                    // jq 1.6's _strindices: byte offsets of every occurrence (none for "").
                    let found = if n.is_empty() {
                        Vec::new()
                    } else {
                        (0..hay.len())
                            .filter(|i| hay[*i..].starts_with(&n[..]))
                            .map(|i| Val::from(i as isize))
                            .collect()
                    };
                    bome(Ok(Val::Arr(found.into())))
                }
                _ => jaq_indices(cv.1, needle),
            }
        }),
        ("input", v(0), |_| bome(Err(jaq_json::Error::str("input is not available to a partition-key query")))),
    ])
}

/// jaq's own `indices`, for what is not a string.
fn jaq_indices<'a>(input: Val, needle: Val) -> jaq_core::ValXs<'a, Val> {
    let items = match (&input, &needle) {
        (Val::Arr(x), Val::Arr(y)) if y.is_empty() || x.len() < y.len() => Vec::new(),
        (Val::Arr(x), Val::Arr(y)) => {
            x.windows(y.len()).enumerate().filter(|(_, w)| **w == y[..]).map(|(i, _)| Val::from(i as isize)).collect()
        }
        (Val::Arr(x), y) => x.iter().enumerate().filter(|(_, v)| *v == y).map(|(i, _)| Val::from(i as isize)).collect(),
        (Val::Null, _) => return box_once(Ok(Val::Null)),
        _ => {
            let message = format!("Cannot determine indices of {} in {}", print::json(&needle), print::json(&input));
            return box_once(Err(Exn::from(jaq_json::Error::str(message))));
        }
    };
    box_once(Ok(Val::Arr(items.into())))
}

/// A compiled query.
pub struct Query {
    filter: Filter,
}

impl std::fmt::Debug for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("jaq::Query")
    }
}

impl Query {
    /// Compiles a query (string interpolation rewritten to jq 1.6's `@text`, see
    /// [`super::syntax::with_text_format`]) on the parser's own stack ([`super::syntax::guarded`]);
    /// errors name the problem and where it is.
    pub fn compile(code: &str) -> Result<Query, String> {
        super::syntax::guarded(code, || Query::compile_unguarded(code)).map_err(|e| e.to_string())?
    }

    /// [`Query::compile`] on the caller's stack: only where [`super::syntax::guarded`] runs it.
    pub(super) fn compile_unguarded(code: &str) -> Result<Query, String> {
        let code = super::syntax::with_locations(&super::syntax::with_text_format(code));
        let prelude =
            jaq_core::load::parse(PRELUDE, |p| p.defs()).ok_or("internal error: the jq prelude does not parse")?;
        let defs = jaq_core::defs().chain(jaq_std::defs()).chain(jaq_json::defs()).chain(prelude);
        let funs = natives::<Data>().chain(jaq_core::funs()).chain(jaq_std::funs()).chain(jaq_json::funs());
        let loader = Loader::new(defs);
        let arena = Arena::default();
        let modules = loader
            .load(&arena, File { code: code.as_str(), path: () })
            .map_err(|errors| super::syntax::describe_load_errors(&code, &errors))?;
        let filter = Compiler::default()
            .with_funs(funs)
            .with_global_vars(["$ENV"])
            .compile(modules)
            .map_err(|errors| super::syntax::describe_compile_errors(&errors))?;
        Ok(Query { filter })
    }

    /// Evaluates the query on one record's bytes, as Firehose's jq 1.6 would.
    pub fn evaluate(&self, record: &[u8]) -> Outcome {
        let input = match read(record) {
            Ok(v) => v,
            Err(e) => return Outcome::Error(e),
        };
        let env = Val::obj(Default::default());
        let ctx = Ctx::<Data>::new(&self.filter.lut, Vars::new([env]));
        let mut outputs = self.filter.id.run((ctx, input)).map(unwrap_valr);
        match outputs.next() {
            None => Outcome::NoOutput,
            Some(Err(e)) => Outcome::Error(error_text(&e)),
            Some(Ok(Val::Obj(object))) => Outcome::Keys(
                object.iter().map(|(k, v)| (print::text(k), print::type_name(v).to_string(), print::text(v))).collect(),
            ),
            Some(Ok(other)) => Outcome::NotObject(print::json(&other).chars().take(200).collect()),
        }
    }
}

/// The message of a jq error: its value as text (jq's `error(x)` gives `x`).
fn error_text(e: &jaq_core::Error<Val>) -> String {
    let text = e.to_string();
    text.chars().take(500).collect()
}

/// A record read as jq 1.6 reads it: one JSON text at most 256 levels deep, numbers as doubles.
pub fn read(record: &[u8]) -> Result<Val, String> {
    if super::nesting_depth(record) > super::MAX_PARSING_DEPTH {
        return Err(format!(
            "Exceeds depth limit for parsing (the record nests deeper than {} levels)",
            super::MAX_PARSING_DEPTH
        ));
    }
    let value = jaq_json::read::parse_single(record).map_err(|e| format!("the record is not valid JSON: {e}"))?;
    Ok(as_doubles(value))
}

/// Every number as the double jq 1.6 holds: integral ones within 2^53 as integers.
fn as_doubles(v: Val) -> Val {
    match v {
        Val::Num(n) => {
            let x = print::as_f64(&n);
            // -0 stays a double: jq 1.6 prints it `-0`.
            if x.fract() == 0.0 && x.abs() <= EXACT_INTEGERS && !(x == 0.0 && x.is_sign_negative()) {
                Val::Num(Num::Int(x as isize))
            } else {
                Val::Num(Num::Float(x))
            }
        }
        Val::Arr(items) => Val::Arr(items.iter().cloned().map(as_doubles).collect::<Vec<_>>().into()),
        Val::Obj(map) => Val::obj(map.iter().map(|(k, v)| (k.clone(), as_doubles(v.clone()))).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(query: &str, record: &str) -> Vec<(String, String)> {
        match Query::compile(query).unwrap().evaluate(record.as_bytes()) {
            Outcome::Keys(k) => k.into_iter().map(|(k, _, v)| (k, v)).collect(),
            other => panic!("{query} on {record}: {other:?}"),
        }
    }

    #[test]
    fn numbers_and_strings_come_out_as_jq_1_6_prints_them() {
        let k = keys(
            "{a: .a, b: .b, c: (.a | tostring), d: \"x\\(.a)\", e: (.b | @text), f: ([.a] | tojson)}",
            r#"{"a": 1.0, "b": 12345678901234567890}"#,
        );
        let got: Vec<&str> = k.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(got, ["1", "12345678901234567000", "1", "x1", "12345678901234567000", "[1]"]);
    }

    #[test]
    fn string_indices_are_byte_offsets_as_in_jq_1_6() {
        let k = keys("{i: (.s | index(\"b\")), all: (.s | indices(\"b\") | tostring)}", r#"{"s": "aé b b"}"#);
        assert_eq!(k, [("i".to_string(), "4".to_string()), ("all".to_string(), "[4,6]".to_string())]);
    }

    #[test]
    fn dollar_loc_is_jq_1_6_s() {
        let k = keys("{f: $__loc__.file,\n l: ($__loc__.line | tostring)}", "{}");
        assert_eq!(k, [("f".to_string(), "<top-level>".to_string()), ("l".to_string(), "2".to_string())]);
    }

    #[test]
    fn the_query_sees_no_environment() {
        // The test process has an environment (PATH at least): none of it reaches the query.
        assert!(std::env::vars_os().count() > 0);
        let k = keys("{a: (env | length | tostring), b: ($ENV | length | tostring)}", "{}");
        assert_eq!(k, [("a".to_string(), "0".to_string()), ("b".to_string(), "0".to_string())]);
    }

    #[test]
    fn jq_1_6_builtins_jaq_lacks_are_there() {
        let k = keys("{c: ([.a, \"x\\\"y\", null, true] | @csv), t: ([.a, \"a\\tb\"] | @tsv), j: ([.a, null, \"z\"] | join(\"-\"))}", r#"{"a": 2.50}"#);
        assert_eq!(k[0].1, "2.5,\"x\"\"y\",,true");
        assert_eq!(k[1].1, "2.5\ta\\tb");
        assert_eq!(k[2].1, "2.5--z");
    }
}
