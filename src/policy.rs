//! IAM policy documents: generation from the stack's references, and the canonical form used to
//! compare them (IAM returns documents percent-encoded, with its own key and list shapes).

use serde_json::{json, Map, Value};

/// A statement before it becomes JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub effect: String,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    /// A `Condition` block, when the statement has one.
    pub condition: Option<Value>,
}

impl Statement {
    pub fn allow(actions: &[&str], resources: Vec<String>) -> Self {
        Self {
            effect: "Allow".into(),
            actions: actions.iter().map(|s| s.to_string()).collect(),
            resources,
            condition: None,
        }
    }

    /// The KMS statement AWS's Firehose policy template gives a delivery role: decrypt and
    /// generate data keys with this key only, only through S3 in the stack's region, and only for
    /// objects of the stream's bucket.
    pub fn kms_for_bucket(key_arn: &str, region: &str, bucket_arn: &str) -> Self {
        Self {
            condition: Some(json!({
                "StringEquals": { "kms:ViaService": format!("s3.{region}.amazonaws.com") },
                "StringLike": { "kms:EncryptionContext:aws:s3:arn": format!("{bucket_arn}/*") },
            })),
            ..Self::allow(&["kms:Decrypt", "kms:GenerateDataKey"], vec![key_arn.to_string()])
        }
    }
}

/// A policy document from statements, in canonical form.
pub fn document(statements: &[Statement]) -> Value {
    let statements: Vec<Value> = statements
        .iter()
        .map(|s| {
            let mut statement = json!({ "Effect": s.effect, "Action": s.actions, "Resource": s.resources });
            if let Some(condition) = &s.condition {
                statement["Condition"] = condition.clone();
            }
            statement
        })
        .collect();
    canonical(&json!({ "Version": "2012-10-17", "Statement": statements }))
}

/// The trust policy letting the given service principals assume a role. Firehose is
/// restricted to this account with `sts:ExternalId` (rule I1).
pub fn trust_document(services: &[String], account_id: &str) -> Value {
    let mut statements = Vec::new();
    let (firehose, others): (Vec<&String>, Vec<&String>) =
        services.iter().partition(|s| s.as_str() == "firehose.amazonaws.com");
    if !others.is_empty() {
        statements.push(json!({
            "Effect": "Allow",
            "Principal": { "Service": others },
            "Action": "sts:AssumeRole",
        }));
    }
    if !firehose.is_empty() {
        statements.push(json!({
            "Effect": "Allow",
            "Principal": { "Service": firehose },
            "Action": "sts:AssumeRole",
            "Condition": { "StringEquals": { "sts:ExternalId": account_id } },
        }));
    }
    canonical(&json!({ "Version": "2012-10-17", "Statement": statements }))
}

/// A bucket policy that denies every request not made over TLS.
pub fn deny_insecure_transport(bucket_arn: &str) -> Value {
    canonical(&json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, format!("{bucket_arn}/*")],
            "Condition": { "Bool": { "aws:SecureTransport": "false" } },
        }],
    }))
}

/// Decodes a document as IAM returns it: percent-encoded JSON (`+` is not a space here).
pub fn decode(encoded: &str) -> Result<Value, String> {
    let text = percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .map_err(|e| format!("policy is not UTF-8 after percent-decoding: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("policy is not JSON: {e}"))
}

/// Canonical form: single strings become one-element lists, lists are sorted and deduplicated,
/// statements sorted, so that semantically equal documents are equal values.
pub fn canonical(doc: &Value) -> Value {
    let mut doc = doc.clone();
    if let Some(obj) = doc.as_object_mut() {
        if let Some(statements) = obj.get_mut("Statement") {
            let mut list = match statements.take() {
                Value::Array(items) => items,
                single => vec![single],
            };
            for statement in &mut list {
                *statement = canonical_statement(statement);
            }
            list.sort_by_key(|s| s.to_string());
            *statements = Value::Array(list);
        }
    }
    sort_keys(doc)
}

fn canonical_statement(statement: &Value) -> Value {
    let Some(obj) = statement.as_object() else {
        return statement.clone();
    };
    let mut out = Map::new();
    for (key, value) in obj {
        let value = match key.as_str() {
            "Action" | "NotAction" | "Resource" | "NotResource" => string_set(value),
            "Principal" | "NotPrincipal" => match value {
                Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), string_set(v))).collect()),
                other => other.clone(),
            },
            "Condition" => match value {
                Value::Object(ops) => Value::Object(
                    ops.iter()
                        .map(|(op, keys)| {
                            let keys = match keys {
                                Value::Object(m) => {
                                    Value::Object(m.iter().map(|(k, v)| (k.clone(), collapse(string_set(v)))).collect())
                                }
                                other => other.clone(),
                            };
                            (op.clone(), keys)
                        })
                        .collect(),
                ),
                other => other.clone(),
            },
            _ => value.clone(),
        };
        out.insert(key.clone(), value);
    }
    sort_keys(Value::Object(out))
}

/// `"a"` or `["b","a","a"]` -> `["a","b"]`.
fn string_set(value: &Value) -> Value {
    let mut items: Vec<Value> = match value {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    items.sort_by_key(|v| v.to_string());
    items.dedup();
    Value::Array(items)
}

/// A one-element list becomes its element (condition values are shown that way).
fn collapse(value: Value) -> Value {
    match value {
        Value::Array(mut items) if items.len() == 1 => items.remove(0),
        other => other,
    }
}

fn sort_keys(value: Value) -> Value {
    match value {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().map(|(k, v)| (k, sort_keys(v))).collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().collect())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoded_reordered_documents_compare_equal() {
        let ours = document(&[
            Statement::allow(&["s3:PutObject", "s3:GetObject"], vec!["arn:aws:s3:::b".into()]),
            Statement::allow(&["logs:PutLogEvents"], vec!["arn:x".into()]),
        ]);
        let theirs = "%7B%22Statement%22%3A%20%5B%7B%22Resource%22%3A%20%22arn%3Ax%22%2C%20%22Action%22%3A%20%22logs%3APutLogEvents%22%2C%20%22Effect%22%3A%20%22Allow%22%7D%2C%20%7B%22Effect%22%3A%20%22Allow%22%2C%20%22Action%22%3A%20%5B%22s3%3AGetObject%22%2C%20%22s3%3APutObject%22%5D%2C%20%22Resource%22%3A%20%22arn%3Aaws%3As3%3A%3A%3Ab%22%7D%5D%2C%20%22Version%22%3A%20%222012-10-17%22%7D";
        assert_eq!(canonical(&decode(theirs).unwrap()), ours);
    }

    #[test]
    fn plus_signs_are_not_spaces() {
        let v = decode("%7B%22a%22%3A%22x+y%22%7D").unwrap();
        assert_eq!(v["a"], "x+y");
    }

    #[test]
    fn different_resources_differ() {
        let a = document(&[Statement::allow(&["s3:PutObject"], vec!["arn:aws:s3:::a".into()])]);
        let b = document(&[Statement::allow(&["s3:PutObject"], vec!["arn:aws:s3:::b".into()])]);
        assert_ne!(a, b);
    }

    #[test]
    fn firehose_trust_is_scoped_to_the_account() {
        let doc = trust_document(&["firehose.amazonaws.com".into()], "123456789012");
        assert_eq!(doc["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"], "123456789012");
        assert_eq!(doc["Statement"][0]["Principal"]["Service"][0], "firehose.amazonaws.com");
    }
}
