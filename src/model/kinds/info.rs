//! The facts of a kind ([`KindInfo`]) and the changes that replace a resource ([`ReplaceRule`]).

use super::Kind;
use crate::model::{Environment, Location};

/// A change AWS cannot make in place (rules D1, S5 and the names of things).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReplaceRule {
    /// The name AWS knows a resource by cannot be changed.
    Name,
    /// A role's path cannot be changed.
    RolePath,
    /// D1: dynamic partitioning can only be set at creation.
    DynamicPartitioning,
    /// S5: S3 backup goes from disabled to enabled only.
    BackupDisabled,
}

impl ReplaceRule {
    /// Why, for people.
    pub fn why(self) -> &'static str {
        match self {
            ReplaceRule::Name => "the name cannot be changed in place",
            ReplaceRule::RolePath => "a role's path cannot be changed in place",
            ReplaceRule::DynamicPartitioning => "dynamic partitioning can only be set at creation",
            ReplaceRule::BackupDisabled => "S3 backup can only go from disabled to enabled in place",
        }
    }
}

/// The facts of a kind.
#[derive(Debug)]
pub struct KindInfo {
    /// Its name in stack.toml and in addresses: `bucket` in `[bucket.data]`, `bucket.data`.
    pub name: &'static str,
    /// A noun for messages.
    pub noun: &'static str,
    /// How discovery finds the resources of this kind the stack owns, including those stack.toml
    /// no longer declares.
    pub found_by: FoundBy,
    /// The physical name in an ARN of this kind, if the ARN is one.
    pub name_in_arn: fn(&str) -> Option<String>,
    /// The kinds a resource of this kind may reference: it is created after them and deleted
    /// before them (also when stack.toml no longer says what it references).
    pub may_reference: &'static [Kind],
    /// How long apply waits for it to be usable (or gone), by default, in seconds.
    pub default_wait_seconds: u64,
    /// Whether its create call carries the ownership tags wherever the service runs. Where it
    /// does not (S3-compatible endpoints drop CreateBucket's tags), a run killed between the
    /// create and its tagging leaves an untagged resource: never adopted, a conflict whose
    /// remedy says so (`provision import`).
    pub create_carries_tags: bool,
    /// The attributes `provision watch` may change at once (keys, or key prefixes ending in
    /// `.`); any other change is shown for `provision apply`.
    pub hotswap: &'static [&'static str],
    /// The data it may hold that deleting it deletes, for people (a bucket's "object
    /// version(s)"): destroy refuses to delete one holding any without its `force_destroy`.
    pub holds: Option<&'static str>,
    /// Whether AWS's delete refuses a resource holding data (S3's DeleteBucket: BucketNotEmpty)
    /// or deletes the data with it (DeleteLogGroup deletes its events): where AWS does not
    /// refuse, provision's own check before the delete is all that keeps the data.
    pub delete_refused_while_holding: bool,
    /// What AWS's create call does when a resource of that name exists already. The in-memory
    /// provider answers the same, so that provision's own checks (the plan's conflict, the read
    /// before the create) are what keep a foreign resource safe, on the fake as on AWS.
    pub on_existing: OnExisting,
    /// Its ARN from the name AWS knows it by (a role's at path `/`: a role's spec adds its
    /// path, see [`super::KindSpec::arn`]).
    pub arn: fn(&Environment, &str) -> String,
    /// Whether a resource of this kind that exists outside the stack may be used: by its name
    /// (`{ existing = "name" }`, its ARN from [`KindInfo::arn`]) or by its ARN.
    pub may_be_existing: bool,
    /// AWS's default API rates for its calls, requests per second by `Service.Action` or
    /// `Service` (see [`crate::aws::pacing`]), with their source in a comment.
    pub rates: &'static [(&'static str, f64)],
    /// From where a resource of another kind may reference one of this kind (rule G4).
    pub reached_from: Reach,
    /// What `forget` changes besides the ownership tags, for people (a role's description).
    pub forget_also: Option<&'static str>,
    /// Where a name of this kind is unique: one resource per name in that scope.
    pub names: Names,
    /// Whether AWS compares its names ignoring case (IAM: `Events` and `events` are one role).
    pub names_ignore_case: bool,
}

/// What a kind's create call does when a resource of the name exists already, as AWS answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnExisting {
    /// It fails with this error code (CreateRole: EntityAlreadyExists).
    Fails(&'static str),
    /// It replaces every setting of the existing one (PutMetricAlarm): nothing in the call can
    /// refuse to overwrite another's.
    Upserts,
    /// It returns the existing one, unchanged, when the call's tags equal its tags, and fails
    /// with this error code when they differ (CreateTopic: InvalidParameter, "Topic already
    /// exists with different tags").
    ReturnsExisting(&'static str),
}

/// From where AWS lets a resource reference one of a kind: never from another account (that
/// would need policies provision does not write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// From its own Region only (a stream's function, log group or table; an alarm's topic).
    Region,
    /// From every Region of its account (an IAM role; a bucket a stream delivers to).
    Account,
}

/// Where AWS keeps a kind's names apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Names {
    /// Every account and Region (S3 buckets of the global namespace).
    Global,
    /// An account (IAM roles).
    Account,
    /// An account and Region (streams, functions, log groups, tables, topics, alarms).
    Regional,
}

impl Names {
    /// The part of a location that keeps names apart: two resources of a kind with one name
    /// and one key are the same resource.
    pub fn key(self, location: &Location) -> String {
        match self {
            Names::Global => String::new(),
            Names::Account => location.account.clone(),
            Names::Regional => location.tag_value(),
        }
    }
}

/// How discovery finds the resources of a kind that a stack owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoundBy {
    /// The Resource Groups Tagging API, by this resource type (`s3`, `lambda:function`...).
    TaggingApi(&'static str),
    /// IAM's list of roles (not in the tagging API), by the stack's description marker.
    RoleList,
    /// The tables of the databases the stack's tables name or it created (tables take no tags),
    /// by their ownership parameters.
    DatabaseTables,
}

impl KindInfo {
    /// A name as AWS compares names of this kind.
    pub fn compared_name(&self, name: &str) -> String {
        if self.names_ignore_case {
            name.to_lowercase()
        } else {
            name.to_string()
        }
    }

    /// Its ARN shape, for people: `arn:aws:sns:REGION:ACCOUNT:NAME`.
    pub fn example_arn(&self) -> String {
        let env = Environment { account_id: "ACCOUNT".into(), region: "REGION".into(), ..Default::default() };
        (self.arn)(&env, "NAME")
    }

    /// Its resource type in the Resource Groups Tagging API, if discovery finds it there.
    pub fn tag_type(&self) -> Option<&'static str> {
        match self.found_by {
            FoundBy::TaggingApi(t) => Some(t),
            FoundBy::RoleList | FoundBy::DatabaseTables => None,
        }
    }
}

/// The part of an ARN after `arn:PARTITION:SERVICE:REGION:ACCOUNT:`, if `service` is its service.
pub fn arn_resource<'a>(arn: &'a str, service: &str) -> Option<&'a str> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    (parts.len() == 6 && parts[0] == "arn" && parts[2] == service).then_some(parts[5])
}
