//! `[topic.NAME]`: an SNS topic alarms notify, with its subscriptions.

use super::{push, BuildSite, CheckSite, Kind, KindInfo, KindSpec, ReplaceRule};
use crate::defaults as d;
use crate::model::diagnostic::{Diagnostic, Rule};
use crate::model::{Attr, Attributes, Resource, Tags};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

/// The facts of the topic kind.
pub(crate) const INFO: KindInfo = KindInfo {
    name: "topic",
    noun: "topic",
    found_by: super::FoundBy::TaggingApi("sns"),
    name_in_arn: |arn| super::arn_resource(arn, "sns").filter(|n| !n.contains(':')).map(String::from),
    may_reference: &[Kind::Lambda],
    default_wait_seconds: d::OTHER_WAIT_SECONDS,
    create_carries_tags: true,
    hotswap: &[],
    holds: None,
    delete_refused_while_holding: false,
    on_existing: super::OnExisting::ReturnsExisting("InvalidParameter"),
    arn: |env, name| env.topic_arn(name),
    may_be_existing: true,
    // "Amazon Simple Notification Service endpoints and quotas", API throttling, the lowest of the
    // Regions' defaults: CreateTopic, DeleteTopic, SetTopicAttributes and the tag calls 10/s;
    // GetTopicAttributes, ListSubscriptionsByTopic, Subscribe, Unsubscribe 30/s.
    rates: &[
        ("SNS", 10.0),
        ("SNS.GetTopicAttributes", 30.0),
        ("SNS.ListSubscriptionsByTopic", 30.0),
        ("SNS.Subscribe", 30.0),
        ("SNS.Unsubscribe", 30.0),
    ],
    reached_from: crate::model::kinds::Reach::Region,
    forget_also: None,
    names: super::Names::Regional,
    names_ignore_case: false,
};

/// The protocols a subscription may use (rule A11): what an alarm's notification can reach.
pub const PROTOCOLS: [&str; 4] = ["email", "https", "sqs", "lambda"];

kind_section! {
    /// `[topic.NAME]`: an SNS standard topic.
    pub struct TopicSection {
        /// Topic name: 1-256 of `[a-zA-Z0-9_-]` (rule N9); default `<stack>-<NAME>`.
        pub name: Option<String>,
        /// Who is notified: `{ protocol = "email" | "https" | "sqs" | "lambda", endpoint = "..." }`
        /// (rule A11). An email or https subscription waits for its owner to confirm it, which is
        /// not drift. provision writes no queue policy and no function permission: an `sqs` or
        /// `lambda` endpoint must let SNS in.
        #[serde(default)]
        #[schemars(extend("default" = []))]
        pub subscriptions: Vec<SubscriptionSection>,
    }
}

/// One subscription of a topic.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionSection {
    /// `email`, `https`, `sqs` or `lambda`.
    pub protocol: String,
    /// An email address, an `https://` URL, or a queue's or function's ARN (`${lambda.NAME.arn}`).
    pub endpoint: String,
}

/// A subscription: protocol and endpoint.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Subscription {
    pub protocol: String,
    pub endpoint: String,
}

/// A topic, desired or live.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicSpec {
    pub name: String,
    /// Sorted, each once; live, the pending ones included.
    pub subscriptions: Vec<Subscription>,
    pub tags: Tags,
}

/// Builds `[topic.NAME]`.
pub(crate) fn build(b: &mut dyn BuildSite<'_>, name: &str, s: &TopicSection) -> Option<Resource> {
    let (address, key) = b.address(Kind::Topic, name);
    let topic_name = b.aws_name(&key, s.name.as_ref(), name);
    let mut subscriptions: Vec<Subscription> = s
        .subscriptions
        .iter()
        .enumerate()
        .map(|(i, sub)| Subscription {
            protocol: b.text(&key.at("subscriptions").index(i).at("protocol"), &sub.protocol),
            endpoint: b.text(&key.at("subscriptions").index(i).at("endpoint"), &sub.endpoint),
        })
        .collect();
    subscriptions.sort();
    subscriptions.dedup();
    let spec = TopicSpec { name: topic_name, subscriptions, tags: b.tags(&address) };
    Some(b.resource(address, spec.into(), vec![], s.prevent_destroy, None))
}

impl KindSpec for TopicSpec {
    fn attributes(&self) -> Attributes {
        let TopicSpec { name, subscriptions, tags: _ } = self;
        let mut a = Attributes::new();
        push(&mut a, "name", json!(name));
        let subscriptions: Vec<String> =
            subscriptions.iter().map(|s| format!("{}:{}", s.protocol, s.endpoint)).collect();
        push(&mut a, "subscriptions", json!(subscriptions));
        a
    }

    fn replaces(&self, _key: &str, _after: &Option<Attr>) -> Option<ReplaceRule> {
        None
    }
}

/// Rules N9, A11 (SNS API reference, CreateTopic and Subscribe).
pub(crate) fn check(t: &TopicSpec, site: &CheckSite<'_, TopicSection>, out: &mut Vec<Diagnostic>) {
    let key = site.key();
    if t.name.is_empty() || t.name.len() > 256 || !super::matches_charset(&t.name, "_-") {
        out.push(
            Diagnostic::error(Rule::N9, key.at("name"), format!("invalid topic name {:?}", t.name))
                .with_help("1 to 256 of a-z A-Z 0-9 _ - (a standard topic: FIFO topics are not supported)"),
        );
    }
    for (i, s) in t.subscriptions.iter().enumerate() {
        let at = key.at("subscriptions").index(i);
        if !PROTOCOLS.contains(&s.protocol.as_str()) {
            out.push(
                Diagnostic::error(Rule::A11, at.at("protocol"), format!("unknown protocol {:?}", s.protocol))
                    .with_help(format!("one of {}", PROTOCOLS.join(", "))),
            );
            continue;
        }
        let (fits, expected) = match s.protocol.as_str() {
            "email" => {
                let parts: Vec<&str> = s.endpoint.split('@').collect();
                (parts.len() == 2 && !parts[0].is_empty() && parts[1].contains('.'), "an email address")
            }
            "https" => (s.endpoint.starts_with("https://") && s.endpoint.len() > 8, "an https:// URL"),
            "sqs" => (s.endpoint.starts_with("arn:") && s.endpoint.contains(":sqs:"), "a queue's ARN"),
            _ => (s.endpoint.starts_with("arn:") && s.endpoint.contains(":lambda:"), "a function's ARN"),
        };
        if !fits {
            out.push(
                Diagnostic::error(
                    Rule::A11,
                    at.at("endpoint"),
                    format!("{:?} is not {expected}", crate::output::escape(&s.endpoint)),
                )
                .with_help(format!("a {} subscription's endpoint is {expected}", s.protocol)),
            );
        }
    }
}

#[cfg(test)]
pub(crate) const EXAMPLE: super::Example = super::Example {
    toml: "[topic.t]\nname = \"generic-topic\"\nsubscriptions = [{ protocol = \"email\", endpoint = \"ops@example.com\" }]\n",
    address: "topic.t",
    replaced: "[topic.t]\nname = \"generic-topic-2\"\nsubscriptions = [{ protocol = \"email\", endpoint = \"ops@example.com\" }]\n",
    drift: drift!(Topic, |t| t.subscriptions.clear()),
};
