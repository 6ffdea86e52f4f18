//! `[log_group.NAME]`: a CloudWatch Logs group and the log streams created with it.

use super::BuildSite;
use super::{push, CheckSite, Kind, KindInfo, KindSpec, ReplaceRule};
use crate::defaults as d;
use crate::model::diagnostic::{Diagnostic, Rule};
use crate::model::{Attr, Attributes, Resource, Tags};
use serde_json::json;

/// The facts of the log group kind.
pub(crate) const INFO: KindInfo = KindInfo {
    name: "log_group",
    noun: "log group",
    found_by: super::FoundBy::TaggingApi("logs"),
    name_in_arn: |arn| {
        let group = super::arn_resource(arn, "logs")?.strip_prefix("log-group:")?;
        Some(group.trim_end_matches(":*").to_string())
    },
    may_reference: &[],
    default_wait_seconds: d::OTHER_WAIT_SECONDS,
    create_carries_tags: true,
    hotswap: &[],
    holds: Some("log event(s)"),
    delete_refused_while_holding: false,
    on_existing: super::OnExisting::Fails("ResourceAlreadyExistsException"),
    arn: |env, name| env.log_group_arn(name),
    may_be_existing: false,
    // "CloudWatch Logs quotas": DescribeLogGroups 10/s, DescribeLogStreams 25/s, CreateLogStream
    // 50/s, CreateLogGroup / PutRetentionPolicy / DeleteLogGroup 5-10/s; FilterLogEvents (destroy's
    // check that a group holds no events) 5/s, a hard limit (AWS Knowledge Center, "How do I
    // determine throttling in my CloudWatch logs?").
    rates: &[
        ("CloudWatchLogs", 5.0),
        ("CloudWatchLogs.DescribeLogGroups", 10.0),
        ("CloudWatchLogs.DescribeLogStreams", 25.0),
        ("CloudWatchLogs.CreateLogStream", 50.0),
        ("CloudWatchLogs.DeleteLogGroup", 10.0),
        ("CloudWatchLogs.ListTagsForResource", 10.0),
        ("CloudWatchLogs.GetLogEvents", 25.0),
    ],
    reached_from: crate::model::kinds::Reach::Region,
    forget_also: None,
    names: super::Names::Regional,
    names_ignore_case: false,
};

/// The retentions CloudWatch Logs accepts, in days (rule N5).
pub const RETENTION_DAYS: [i32; 22] =
    [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

kind_section! {
    /// `[log_group.NAME]`
    pub struct LogGroupSection {
        /// Log group name (rule N4).
        pub name: String,
        /// Retention in days, one of CloudWatch's values (rule N5): 1, 3, 5, 7, 14, 30, 60, 90,
        /// 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653; absent
        /// keeps logs forever.
        pub retention_days: Option<i32>,
        /// Log streams created with the group (Firehose needs its stream to exist). Streams are
        /// never deleted: they hold logs.
        #[serde(default)]
        pub streams: Vec<String>,
        /// Let destroy delete the group while it holds log events (they go with it); without it,
        /// destroy refuses a group holding events, as it refuses a bucket holding objects: ahead
        /// of any delete by the bytes AWS says it stores, and right before its own delete by
        /// asking for one event (a group found holding events then is kept).
        #[serde(default)]
        pub force_destroy: bool,
    }
}

/// A log group, desired or live.
#[derive(Debug, Clone, PartialEq)]
pub struct LogGroupSpec {
    pub name: String,
    pub retention_days: Option<i32>,
    pub streams: Vec<String>,
    pub tags: Tags,
    /// Whether destroy may delete it holding events (stack.toml only, never compared).
    pub force_destroy: bool,
}

/// Builds `[log_group.NAME]`.
pub(crate) fn build(b: &mut dyn BuildSite<'_>, name: &str, s: &LogGroupSection) -> Option<Resource> {
    let (address, key) = b.address(Kind::LogGroup, name);
    let mut streams: Vec<String> =
        s.streams.iter().enumerate().map(|(i, stream)| b.text(&key.at("streams").index(i), stream)).collect();
    streams.sort();
    streams.dedup();
    let spec = LogGroupSpec {
        name: b.text(&key.at("name"), &s.name),
        retention_days: s.retention_days,
        streams,
        tags: b.tags(&address),
        force_destroy: s.force_destroy,
    };
    Some(b.resource(address, spec.into(), vec![], s.prevent_destroy, None))
}

impl KindSpec for LogGroupSpec {
    fn attributes(&self) -> Attributes {
        let LogGroupSpec {
            name,
            retention_days,
            streams,
            tags: _,
            force_destroy: _, // local: what destroy may do
        } = self;
        let mut a = Attributes::new();
        push(&mut a, "name", json!(name));
        push(&mut a, "retention_days", json!(retention_days));
        push(&mut a, "streams", json!(streams));
        a
    }

    fn replaces(&self, _key: &str, _after: &Option<Attr>) -> Option<ReplaceRule> {
        None
    }

    fn with_local_settings(&self, desired: &Self) -> Self {
        LogGroupSpec { force_destroy: desired.force_destroy, ..self.clone() }
    }

    fn force_destroy(&self) -> bool {
        self.force_destroy
    }
}

/// N4, N5: log group name and retention.
pub(crate) fn check(g: &LogGroupSpec, site: &CheckSite<'_, LogGroupSection>, out: &mut Vec<Diagnostic>) {
    let key = &site.key();
    if g.name.is_empty()
        || g.name.len() > 512
        || !super::matches_charset(&g.name, "._-/#")
        || g.name.starts_with("aws/")
    {
        out.push(
            Diagnostic::error(Rule::N4, key.at("name"), format!("invalid log group name {:?}", g.name))
                .with_help("1 to 512 of a-z A-Z 0-9 . - _ / #, not starting with `aws/`"),
        );
    }
    const RETENTION: [i32; 22] = crate::model::kinds::log_group::RETENTION_DAYS;
    if let Some(days) = g.retention_days {
        if !RETENTION.contains(&days) {
            out.push(
                Diagnostic::error(
                    Rule::N5,
                    key.at("retention_days"),
                    format!("{days} is not a retention CloudWatch accepts"),
                )
                .with_help(format!("one of {RETENTION:?}, or leave it out to keep logs forever")),
            );
        }
    }
}

#[cfg(test)]
pub(crate) const EXAMPLE: super::Example = super::Example {
    toml: "[log_group.g]\nname = \"/generic/group\"\nretention_days = 7\nstreams = [\"s\"]\n",
    address: "log_group.g",
    replaced: "[log_group.g]\nname = \"/generic/other\"\nretention_days = 7\nstreams = [\"s\"]\n",
    drift: drift!(LogGroup, |g| g.retention_days = Some(14)),
};
