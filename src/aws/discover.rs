//! Finds every resource a stack owns by its ownership tag, including those no longer in stack.toml.
//! The Resource Groups Tagging API covers buckets, functions, log groups and streams; IAM roles
//! are listed and checked one by one (only those whose description carries provision's marker).

use super::iam::DESCRIPTION_MARKER;
use super::sdk_error;
use crate::model::{Address, Kind, ADDRESS_TAG, OWNER_TAG};
use anyhow::Result;
use aws_sdk_resourcegroupstagging::types::TagFilter;

/// A resource carrying the stack's ownership tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owned {
    pub address: Address,
    pub physical_name: String,
}

/// Kind and physical name from an ARN, for the kinds the tagging API returns.
pub fn parse_arn(arn: &str) -> Option<(Kind, String)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let (service, resource) = (*parts.get(2)?, *parts.get(5)?);
    match service {
        "s3" => Some((Kind::Bucket, resource.to_string())),
        "lambda" => {
            resource.strip_prefix("function:").map(|n| (Kind::Lambda, n.split(':').next().unwrap_or(n).to_string()))
        }
        "logs" => resource.strip_prefix("log-group:").map(|n| (Kind::LogGroup, n.trim_end_matches(":*").to_string())),
        "firehose" => resource.strip_prefix("deliverystream/").map(|n| (Kind::Firehose, n.to_string())),
        _ => None,
    }
}

pub async fn owned(
    tagging: &aws_sdk_resourcegroupstagging::Client,
    iam: &aws_sdk_iam::Client,
    stack: &str,
) -> Result<Vec<Owned>> {
    let mut out = Vec::new();
    let filter = TagFilter::builder().key(OWNER_TAG).values(stack).build();
    // Service-level type filters: moto matches only these, and parse_arn drops other resource types.
    let mut pages = tagging
        .get_resources()
        .tag_filters(filter)
        .set_resource_type_filters(Some(["s3", "lambda", "logs", "firehose"].map(String::from).to_vec()))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        for mapping in page.map_err(sdk_error)?.resource_tag_mapping_list() {
            let tag = |key: &str| mapping.tags().iter().find(|t| t.key() == key).map(|t| t.value().to_string());
            if tag(OWNER_TAG).as_deref() != Some(stack) {
                continue;
            }
            let Some((kind, name)) = mapping.resource_arn().and_then(parse_arn) else { continue };
            let address = tag(ADDRESS_TAG)
                .and_then(|a| Address::parse(&a))
                .filter(|a| a.kind == kind)
                .unwrap_or_else(|| Address::new(kind, name.clone()));
            out.push(Owned { address, physical_name: name });
        }
    }
    let marker = format!("{DESCRIPTION_MARKER} {stack}");
    let mut pages = iam.list_roles().into_paginator().send();
    while let Some(page) = pages.next().await {
        for role in page.map_err(sdk_error)?.roles() {
            if role.description() != Some(marker.as_str()) {
                continue;
            }
            let tags = iam.list_role_tags().role_name(role.role_name()).send().await.map_err(sdk_error)?;
            let tag = |key: &str| tags.tags().iter().find(|t| t.key() == key).map(|t| t.value().to_string());
            if tag(OWNER_TAG).as_deref() != Some(stack) {
                continue;
            }
            let address = tag(ADDRESS_TAG)
                .and_then(|a| Address::parse(&a))
                .filter(|a| a.kind == Kind::Role)
                .unwrap_or_else(|| Address::new(Kind::Role, role.role_name()));
            out.push(Owned { address, physical_name: role.role_name().to_string() });
        }
    }
    out.sort_by(|a, b| a.address.cmp(&b.address));
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_map_to_kinds_and_names() {
        assert_eq!(parse_arn("arn:aws:s3:::my-bucket"), Some((Kind::Bucket, "my-bucket".into())));
        assert_eq!(parse_arn("arn:aws:lambda:us-east-1:123456789012:function:Fn:3"), Some((Kind::Lambda, "Fn".into())));
        assert_eq!(
            parse_arn("arn:aws:logs:us-east-1:123456789012:log-group:/aws/kinesisfirehose/x:*"),
            Some((Kind::LogGroup, "/aws/kinesisfirehose/x".into()))
        );
        assert_eq!(
            parse_arn("arn:aws:firehose:us-east-1:123456789012:deliverystream/PUT-S3"),
            Some((Kind::Firehose, "PUT-S3".into()))
        );
        assert_eq!(parse_arn("arn:aws:sqs:us-east-1:1:q"), None);
    }
}
