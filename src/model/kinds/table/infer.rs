//! Columns inferred from JSON documents (`preview --columns`): each top-level key of an object,
//! typed by its values merged over every document.

use super::*;

/// Columns inferred from JSON documents, for `preview --columns`.
#[derive(Debug, Default, PartialEq)]
pub struct Inferred {
    /// Column name (lowercased: the JSON SerDe matches keys case-insensitively) and type.
    pub columns: BTreeMap<String, String>,
    /// Keys that are not column names Athena can query.
    pub skipped: Vec<String>,
}

/// What JSON values of one place look like, merged over every document.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    Boolean,
    Integer,
    Decimal,
    Text,
    /// An array, with the shape of its items (`None`: only empty arrays seen).
    Array(Option<Box<Shape>>),
    Object(BTreeMap<String, Shape>),
}

impl Shape {
    /// The shape of a value; `None` for null (no evidence).
    fn of(value: &serde_json::Value) -> Option<Shape> {
        use serde_json::Value;
        Some(match value {
            Value::Null => return None,
            Value::Bool(_) => Shape::Boolean,
            Value::Number(n) if n.is_i64() || n.is_u64() => Shape::Integer,
            Value::Number(_) => Shape::Decimal,
            Value::String(_) => Shape::Text,
            Value::Array(items) => Shape::Array(items.iter().filter_map(Shape::of).reduce(Shape::merge).map(Box::new)),
            Value::Object(map) => {
                let mut fields: BTreeMap<String, Shape> = BTreeMap::new();
                for (k, v) in map {
                    let (k, Some(shape)) = (k.to_ascii_lowercase(), Shape::of(v)) else { continue };
                    if athena_name(&k) {
                        let merged = match fields.remove(&k) {
                            Some(old) => old.merge(shape),
                            None => shape,
                        };
                        fields.insert(k, merged);
                    }
                }
                Shape::Object(fields)
            }
        })
    }

    /// One shape for two observations: the same, a decimal for integers and decimals, arrays
    /// and objects merged inside, else text.
    fn merge(self, other: Shape) -> Shape {
        match (self, other) {
            (a, b) if a == b => a,
            (Shape::Integer, Shape::Decimal) | (Shape::Decimal, Shape::Integer) => Shape::Decimal,
            (Shape::Array(a), Shape::Array(b)) => Shape::Array(match (a, b) {
                (Some(a), Some(b)) => Some(Box::new(a.merge(*b))),
                (a, b) => a.or(b),
            }),
            (Shape::Object(mut a), Shape::Object(b)) => {
                for (k, shape) in b {
                    let merged = match a.remove(&k) {
                        Some(old) => old.merge(shape),
                        None => shape,
                    };
                    a.insert(k, merged);
                }
                Shape::Object(a)
            }
            _ => Shape::Text,
        }
    }

    /// The Athena type.
    fn athena(&self) -> String {
        match self {
            Shape::Boolean => "boolean".into(),
            Shape::Integer => "bigint".into(),
            Shape::Decimal => "double".into(),
            Shape::Text => "string".into(),
            Shape::Array(of) => format!("array<{}>", of.as_ref().map_or("string".into(), |s| s.athena())),
            Shape::Object(fields) if fields.is_empty() => "string".into(),
            Shape::Object(fields) => {
                format!(
                    "struct<{}>",
                    fields.iter().map(|(k, s)| format!("{k}:{}", s.athena())).collect::<Vec<_>>().join(",")
                )
            }
        }
    }
}

/// The columns of JSON documents: each top-level key of an object, typed by its values.
pub fn infer_columns(documents: &[serde_json::Value]) -> Inferred {
    let mut shapes: BTreeMap<String, Option<Shape>> = BTreeMap::new();
    let mut skipped = Vec::new();
    for doc in documents {
        let serde_json::Value::Object(map) = doc else { continue };
        for (key, value) in map {
            let column = key.to_ascii_lowercase();
            if !athena_name(&column) || column.starts_with(|c: char| c.is_ascii_digit()) {
                if !skipped.contains(key) {
                    skipped.push(key.clone());
                }
                continue;
            }
            let seen = shapes.remove(&column).flatten();
            let merged = match (seen, Shape::of(value)) {
                (Some(old), Some(new)) => Some(old.merge(new)),
                (old, new) => old.or(new),
            };
            shapes.insert(column, merged);
        }
    }
    let columns = shapes.into_iter().map(|(k, s)| (k, s.map_or("string".into(), |s| s.athena()))).collect();
    Inferred { columns, skipped }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_inferred_from_json_documents() {
        let docs: Vec<serde_json::Value> = [
            r#"{"customerId": "a", "amount": 3, "tags": ["x"], "geo": {"lat": 1.5}, "bad-key": 1, "note": null}"#,
            r#"{"customerId": "b", "amount": 2.5, "tags": [], "geo": {"lat": 2}, "note": 7}"#,
        ]
        .iter()
        .map(|t| serde_json::from_str(t).unwrap())
        .collect();
        let inferred = infer_columns(&docs);
        let got: Vec<(&str, &str)> = inferred.columns.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            got,
            [
                ("amount", "double"),
                ("customerid", "string"),
                ("geo", "struct<lat:double>"),
                ("note", "bigint"),
                ("tags", "array<string>")
            ]
        );
        assert_eq!(inferred.skipped, ["bad-key"]);
        assert!(inferred.columns.values().all(|t| athena_type(t)), "every inferred type is one Athena takes");
    }
}
