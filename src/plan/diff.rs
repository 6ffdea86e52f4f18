//! Pure attribute diff of a desired spec against a live one.

use super::Reason;
use crate::model::{Attr, Spec};

/// One attribute that differs. `before` is `None` for a create, `after` `None` for a delete:
/// left out of `plan --json` then, so that a value that is JSON `null` stays told apart.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AttrChange {
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Attr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Attr>,
    pub forces_replacement: bool,
}

/// The outcome of comparing one resource.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Create(Vec<AttrChange>),
    Update(Vec<AttrChange>),
    /// Replacement, with the reasons (one per attribute that forces it).
    Replace(Vec<AttrChange>, Vec<Reason>),
    Delete,
    NoOp,
}

/// Compares desired and live, attribute by attribute (by name, never by position).
pub fn diff(desired: Option<&Spec>, live: Option<&Spec>) -> Outcome {
    match (desired, live) {
        (None, None) => Outcome::NoOp,
        (None, Some(_)) => Outcome::Delete,
        (Some(d), None) => Outcome::Create(
            d.attributes()
                .into_iter()
                .map(|(key, value)| AttrChange { key, before: None, after: Some(value), forces_replacement: false })
                .collect(),
        ),
        (Some(d), Some(l)) => {
            let after = d.attributes();
            let before = l.attributes();
            let mut changes = Vec::new();
            for (key, value) in &after {
                let old = before.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
                if old.as_ref() != Some(value) {
                    changes.push(AttrChange {
                        key: key.clone(),
                        before: old,
                        after: Some(value.clone()),
                        forces_replacement: false,
                    });
                }
            }
            for (key, value) in &before {
                if !after.iter().any(|(k, _)| k == key) {
                    changes.push(AttrChange {
                        key: key.clone(),
                        before: Some(value.clone()),
                        after: None,
                        forces_replacement: false,
                    });
                }
            }
            let mut reasons = Vec::new();
            for c in &mut changes {
                if let Some(r) = d.replaces(&c.key, &c.after) {
                    c.forces_replacement = true;
                    reasons.push(Reason::Forces { attribute: c.key.clone(), rule: r });
                }
            }
            if changes.is_empty() {
                Outcome::NoOp
            } else if reasons.is_empty() {
                Outcome::Update(changes)
            } else {
                Outcome::Replace(changes, reasons)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;
    use std::collections::BTreeMap;

    fn stream() -> FirehoseSpec {
        FirehoseSpec {
            name: "s".into(),
            role_arn: "arn:aws:iam::1:role/r".into(),
            bucket_arn: "arn:aws:s3:::b".into(),
            prefix: "p/".into(),
            error_output_prefix: "e/".into(),
            buffer_size_mb: 128,
            buffer_interval_seconds: 60,
            compression: "UNCOMPRESSED".into(),
            file_extension: String::new(),
            kms_key_arn: None,
            logging: None,
            dynamic_partitioning: true,
            dynamic_partitioning_retry_seconds: Some(300),
            s3_backup: None,
            processors: vec![Processor {
                kind: "Lambda".into(),
                parameters: BTreeMap::from([
                    ("NumberOfRetries".into(), Param::Text("3".into())),
                    ("BufferSizeInMBs".into(), Param::Text("3".into())),
                ]),
            }],
            format_conversion: None,
            tags: Tags::new(),
        }
    }

    #[test]
    fn identical_specs_are_no_op() {
        let s = Spec::Firehose(stream());
        assert_eq!(diff(Some(&s), Some(&s)), Outcome::NoOp);
    }

    #[test]
    fn processor_parameters_compare_by_name_not_order() {
        let a = stream();
        let mut b = stream();
        // Same parameters inserted in another order (as AWS may return them).
        b.processors[0].parameters =
            a.processors[0].parameters.iter().rev().map(|(k, v)| (k.clone(), v.clone())).collect();
        assert_eq!(diff(Some(&Spec::Firehose(a)), Some(&Spec::Firehose(b))), Outcome::NoOp);
    }

    #[test]
    fn buffer_change_is_an_update_of_that_attribute_only() {
        let mut d = stream();
        d.buffer_interval_seconds = 120;
        match diff(Some(&Spec::Firehose(d)), Some(&Spec::Firehose(stream()))) {
            Outcome::Update(changes) => {
                assert_eq!(changes.len(), 1);
                assert_eq!(changes[0].key, "buffer_interval_seconds");
            }
            other => panic!("expected update, got {other:?}"),
        }
    }

    #[test]
    fn toggling_dynamic_partitioning_replaces_with_reason() {
        let mut d = stream();
        d.dynamic_partitioning = false;
        d.dynamic_partitioning_retry_seconds = None;
        match diff(Some(&Spec::Firehose(d)), Some(&Spec::Firehose(stream()))) {
            Outcome::Replace(_, reasons) => assert_eq!(
                reasons[0],
                Reason::Forces { attribute: "dynamic_partitioning".into(), rule: ReplaceRule::DynamicPartitioning }
            ),
            other => panic!("expected replace, got {other:?}"),
        }
    }

    #[test]
    fn enabling_backup_is_in_place_disabling_replaces() {
        let mut with_backup = stream();
        with_backup.s3_backup = Some(S3Backup { bucket_arn: "arn:aws:s3:::b".into(), prefix: String::new() });
        let enable = diff(Some(&Spec::Firehose(with_backup.clone())), Some(&Spec::Firehose(stream())));
        assert!(matches!(enable, Outcome::Update(_)), "{enable:?}");
        let disable = diff(Some(&Spec::Firehose(stream())), Some(&Spec::Firehose(with_backup)));
        assert!(matches!(disable, Outcome::Replace(..)), "{disable:?}");
    }

    #[test]
    fn create_and_delete() {
        let s = Spec::Firehose(stream());
        assert!(matches!(diff(Some(&s), None), Outcome::Create(c) if !c.is_empty()));
        assert_eq!(diff(None, Some(&s)), Outcome::Delete);
    }
}
