//! Rules D1 and S5: which attribute changes AWS cannot make in place, so that the plan replaces
//! the resource (destroy, then create) and says why.

use crate::model::{Attr, Spec};

/// Why changing `key` of `spec` to `after` needs a replacement, if it does.
pub fn reason(spec: &Spec, key: &str, after: &Option<Attr>) -> Option<&'static str> {
    let to_false = matches!(after, Some(Attr::Value(serde_json::Value::Bool(false))));
    match (spec, key) {
        (_, "name") => Some("the name cannot be changed in place"),
        (Spec::Role(_), "path") => Some("a role's path cannot be changed in place"),
        // D1
        (Spec::Firehose(_), "dynamic_partitioning") => Some("dynamic partitioning can only be set at creation"),
        // S5: S3BackupMode goes from Disabled to Enabled only.
        (Spec::Firehose(_), "s3_backup") if to_false => Some("S3 backup can only go from disabled to enabled in place"),
        _ => None,
    }
}
