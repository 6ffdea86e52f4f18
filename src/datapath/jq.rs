//! MetadataExtraction: the stream's jq query, run in-process with jaq (a Rust implementation of
//! jq; no jq binary). Its object's values become the `partitionKeyFromQuery` keys.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{data, unwrap_valr, Compiler, Ctx, Vars};
use jaq_json::Val;
use std::collections::BTreeMap;

type Filter = jaq_core::compile::Filter<jaq_core::Native<data::JustLut<Val>>>;

/// jq 1.6's parser refuses documents nested deeper than this (`MAX_PARSING_DEPTH` in jv_parse.c).
pub const MAX_PARSING_DEPTH: usize = 256;

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

/// A compiled MetadataExtraction query.
pub struct Query {
    filter: Filter,
}

impl std::fmt::Debug for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Query")
    }
}

impl Query {
    /// Parses and compiles a jq program.
    pub fn compile(code: &str) -> Result<Query, String> {
        let defs = jaq_core::defs().chain(jaq_std::defs()).chain(jaq_json::defs());
        let funs = jaq_core::funs().chain(jaq_std::funs()).chain(jaq_json::funs());
        let loader = Loader::new(defs);
        let arena = Arena::default();
        let modules = loader
            .load(&arena, File { code, path: () })
            .map_err(|errors| format!("the jq query does not parse ({} error(s)): {code}", errors.len()))?;
        let filter = Compiler::default()
            .with_funs(funs)
            .compile(modules)
            .map_err(|errors| format!("the jq query does not compile ({} error(s)): {code}", errors.len()))?;
        Ok(Query { filter })
    }

    /// The partition keys for one record's data: the query's first output must be an object of
    /// scalar values (strings as they are, numbers and booleans as their JSON text).
    pub fn keys(&self, data: &[u8]) -> Result<BTreeMap<String, String>, String> {
        if nesting_depth(data) > MAX_PARSING_DEPTH {
            return Err(format!(
                "the record nests deeper than {MAX_PARSING_DEPTH} levels: jq 1.6 refuses it (Exceeds depth limit for parsing)"
            ));
        }
        let input = jaq_json::read::parse_single(data).map_err(|_| "the record is not valid JSON".to_string())?;
        let ctx = Ctx::<data::JustLut<Val>>::new(&self.filter.lut, Vars::new([]));
        let mut outputs = self.filter.id.run((ctx, input)).map(unwrap_valr);
        let output = match outputs.next() {
            Some(Ok(v)) => v,
            Some(Err(e)) => return Err(format!("the jq query failed: {e}")),
            None => return Err("the jq query produced no output".into()),
        };
        let Val::Obj(object) = output else {
            return Err(format!("the jq query produced {output}, not an object"));
        };
        let mut keys = BTreeMap::new();
        for (k, v) in object.iter() {
            let key = match k {
                Val::TStr(b) | Val::BStr(b) => String::from_utf8_lossy(b).to_string(),
                other => other.to_string(),
            };
            let value = match v {
                Val::TStr(b) | Val::BStr(b) => String::from_utf8_lossy(b).to_string(),
                Val::Null => return Err(format!("the query's key `{key}` is null")),
                Val::Arr(_) | Val::Obj(_) => return Err(format!("the query's key `{key}` is not a scalar: {v}")),
                other => other.to_string(),
            };
            keys.insert(key, value);
        }
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_values_become_partition_keys() {
        let q = Query::compile("{customer_id: .customer_id, device: .type.device, ts: .event_timestamp}").unwrap();
        let keys = q.keys(br#"{"customer_id":"123","type":{"device":"pc"},"event_timestamp":1565382027}"#).unwrap();
        assert_eq!(keys["customer_id"], "123");
        assert_eq!(keys["device"], "pc");
        assert_eq!(keys["ts"], "1565382027");
    }

    #[test]
    fn failures_are_explained() {
        let q = Query::compile("{customer_id: .customer_id}").unwrap();
        assert!(q.keys(b"not json").unwrap_err().contains("not valid JSON"));
        assert!(q.keys(b"{}").unwrap_err().contains("is null"));
        assert!(Query::compile("{a: .a").is_err());
        let q = Query::compile(".a").unwrap();
        assert!(q.keys(br#"{"a": 1}"#).unwrap_err().contains("not an object"));
    }

    #[test]
    fn records_deeper_than_jq_1_6_parses_fail_as_in_jq() {
        let q = Query::compile("{a: .a}").unwrap();
        let deep = |n: usize| format!("{{\"a\":{}{}}}", "[".repeat(n - 1), "]".repeat(n - 1));
        assert!(q.keys(deep(256).as_bytes()).is_err_and(|e| e.contains("not a scalar")));
        assert!(q.keys(deep(257).as_bytes()).unwrap_err().contains("Exceeds depth limit"));
        assert!(q.keys(deep(200_000).as_bytes()).unwrap_err().contains("Exceeds depth limit"));
        assert_eq!(nesting_depth(br#"{"a":"[[[[{{{"}"#), 1);
    }
}
