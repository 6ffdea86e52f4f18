//! Finds every resource a stack owns by its ownership tag, including those no longer in stack.toml,
//! in bulk and only where the stack puts them (the [`Scope`]), so that a busy account costs no
//! more calls than an empty one: one paginated Resource Groups Tagging API query returns the
//! buckets, functions, log groups, streams and Glue databases tagged with the stack, with all
//! their tags (so reads skip their tag calls). IAM roles are not in that API and ListRoles returns
//! no tags: the account's roles are listed (1,000 a page, whatever their path: a role the stack
//! owns is found wherever it lives) and those carrying the stack's description marker are
//! candidates; their read (GetRole, which returns tags) confirms the ownership tag, so only the
//! stack's roles are read, however many the account holds. Glue tables take no tags: the tables of the declared tables'
//! databases and of the stack's own databases are listed, and their markers checked.

use super::iam::has_marker;
use super::sdk_error;
use crate::model::{Address, Kind, Owned, Tags, ADDRESS_TAG, OWNER_TAG};
use crate::provider::Scope;
use anyhow::Result;
use aws_sdk_resourcegroupstagging::types::TagFilter;
use std::collections::HashSet;

/// The tagging API's type filter for the Glue databases a stack creates for its tables: the
/// service alone (a filter every region accepts); the stack tags no other Glue resource.
const DATABASE_TYPE: &str = "glue";

/// Owned resources of the tagging API's kinds (with tags), candidate roles (without) and
/// tables (with their markers), found by paginated listings run side by side; the tables of the
/// stack's own databases not in the scope are listed once the tagging API has named them.
pub(super) async fn owned(
    tagging: &aws_sdk_resourcegroupstagging::Client,
    iam: &aws_sdk_iam::Client,
    glue: &aws_sdk_glue::Client,
    scope: &Scope,
) -> Result<(Vec<Owned>, HashSet<String>)> {
    let stack = scope.stack.as_str();
    let (tagged, roles, tables) = tokio::join!(
        tagged(tagging, stack),
        roles(iam, stack),
        super::glue::owned(glue, stack, scope.containers(Kind::Table))
    );
    let (mut out, databases) = tagged?;
    let own: Vec<String> = databases.into_iter().filter(|d| !scope.containers(Kind::Table).contains(d)).collect();
    let (roles, role_names) = roles?;
    out.extend(roles);
    out.extend(tables?);
    out.extend(super::glue::owned(glue, stack, &own).await?);
    out.sort_by(|a, b| a.address.cmp(&b.address).then(a.physical_name.cmp(&b.physical_name)));
    out.dedup();
    Ok((out, role_names))
}

/// The tagging API's resources of the stack, and the names of its Glue databases.
async fn tagged(tagging: &aws_sdk_resourcegroupstagging::Client, stack: &str) -> Result<(Vec<Owned>, Vec<String>)> {
    let mut out = Vec::new();
    let mut databases = Vec::new();
    let filter = TagFilter::builder().key(OWNER_TAG).values(stack).build();
    // Service-level type filters (moto matches only these); `Kind::from_arn` drops the other
    // resource types of those services.
    let mut types: Vec<String> = Kind::ALL
        .iter()
        .filter_map(|k| k.info().tag_type())
        .map(|t| t.split(':').next().unwrap_or(t).to_string())
        .chain([DATABASE_TYPE.to_string()])
        .collect();
    types.sort();
    types.dedup();
    let mut pages = tagging
        .get_resources()
        .tag_filters(filter)
        .set_resource_type_filters(Some(types))
        .resources_per_page(100)
        // A page ends at 100 resources or at this many tags, whichever comes first: the API's
        // largest (100 to 500). At 100 tags a page holds about 20 of the stack's resources
        // (four or five tags each), and moto applies 100 when none is given.
        .tags_per_page(500)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        for mapping in page.map_err(sdk_error)?.resource_tag_mapping_list() {
            let tag = |key: &str| mapping.tags().iter().find(|t| t.key() == key).map(|t| t.value().to_string());
            if tag(OWNER_TAG).as_deref() != Some(stack) {
                continue;
            }
            if let Some(database) = mapping.resource_arn().and_then(database_of) {
                databases.push(database);
                continue;
            }
            let Some((kind, name)) = mapping.resource_arn().and_then(Kind::from_arn) else { continue };
            let address = Address::from_tag(tag(ADDRESS_TAG).as_deref(), kind, &name);
            let tags: Tags = mapping.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect();
            out.push(Owned { address, physical_name: name, tags: Some(tags), found_in: Default::default() });
        }
    }
    Ok((out, databases))
}

/// The name of a Glue database from its ARN (`arn:aws:glue:REGION:ACCOUNT:database/NAME`).
fn database_of(arn: &str) -> Option<String> {
    let resource = arn.splitn(6, ':').nth(5)?;
    arn.split(':').nth(2).filter(|s| *s == "glue")?;
    resource.strip_prefix("database/").filter(|n| !n.is_empty() && !n.contains('/')).map(String::from)
}

/// Candidate roles of the stack: the account's roles (ListRoles, every path) carrying its marker;
/// and the name of every role listed (as IAM compares them), so that a declared role not among
/// them is not read.
pub(super) async fn roles(iam: &aws_sdk_iam::Client, stack: &str) -> Result<(Vec<Owned>, HashSet<String>)> {
    let mut out = Vec::new();
    let mut names = HashSet::new();
    let mut pages = iam.list_roles().max_items(1000).into_paginator().send();
    while let Some(page) = pages.next().await {
        for role in page.map_err(sdk_error)?.roles() {
            names.insert(Kind::Role.info().compared_name(role.role_name()));
            if has_marker(role.description(), stack) {
                out.push(Owned {
                    address: Address::from_tag(None, Kind::Role, role.role_name()),
                    physical_name: role.role_name().to_string(),
                    tags: None,
                    found_in: Default::default(),
                });
            }
        }
    }
    Ok((out, names))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_map_to_kinds_and_names() {
        let account = "us-east-1:123456789012";
        let named = [
            ("arn:aws:s3:::my-bucket".to_string(), Kind::Bucket, "my-bucket"),
            (format!("arn:aws:lambda:{account}:function:Fn:3"), Kind::Lambda, "Fn"),
            (
                format!("arn:aws:logs:{account}:log-group:/aws/kinesisfirehose/x:*"),
                Kind::LogGroup,
                "/aws/kinesisfirehose/x",
            ),
            (format!("arn:aws:firehose:{account}:deliverystream/PUT-S3"), Kind::Firehose, "PUT-S3"),
            (format!("arn:aws:glue:{account}:table/db/events"), Kind::Table, "db/events"),
        ];
        for (arn, kind, name) in named {
            assert_eq!(Kind::from_arn(&arn), Some((kind, name.to_string())), "{arn}");
        }
        assert_eq!(Kind::from_arn("arn:aws:glue:us-east-1:123456789012:database/db"), None);
        assert_eq!(Kind::from_arn("arn:aws:sqs:us-east-1:1:q"), None);
    }

    #[test]
    fn database_arns_name_their_database_and_nothing_else() {
        assert_eq!(database_of("arn:aws:glue:us-east-1:123456789012:database/lake"), Some("lake".into()));
        assert_eq!(database_of("arn:aws:glue:us-east-1:123456789012:table/lake/events"), None);
        assert_eq!(database_of("arn:aws:glue:us-east-1:123456789012:database/"), None);
        assert_eq!(database_of("arn:aws:s3:::database/x"), None);
    }
}
