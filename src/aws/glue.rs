//! Glue Data Catalog tables (and the databases they are created in). Tables take no AWS tags:
//! the ownership markers live in the table's parameters, set by the create call itself.

use super::sdk_error;
use crate::error::NotOwned;
use crate::model::kinds::table::TableSpec;
use crate::model::{Address, Kind, Live, Outputs, Owned, Spec, Tags, ADDRESS_TAG, OWNER_TAG};
use anyhow::{Context, Result};
use aws_sdk_glue::types::{Column, DatabaseInput, SerDeInfo, StorageDescriptor, Table, TableInput};
use aws_sdk_glue::Client;
use std::collections::HashMap;

/// Whether a parameter is one of provision's ownership markers.
fn is_marker(key: &str) -> bool {
    crate::model::is_ownership_tag(key)
}

fn columns(columns: &[(String, String)]) -> Result<Vec<Column>> {
    columns.iter().map(|(n, t)| Ok(Column::builder().name(n).r#type(t).build()?)).collect()
}

/// The TableInput of a spec: what create and update both send, so that they never diverge.
fn table_input(spec: &TableSpec) -> Result<TableInput> {
    let mut parameters: HashMap<String, String> = spec.parameters.clone().into_iter().collect();
    parameters.extend(spec.tags.iter().filter(|(k, _)| is_marker(k)).map(|(k, v)| (k.clone(), v.clone())));
    let storage = StorageDescriptor::builder()
        .set_columns(Some(columns(&spec.columns)?))
        .location(&spec.location)
        .input_format(&spec.input_format)
        .output_format(&spec.output_format)
        .serde_info(SerDeInfo::builder().serialization_library(&spec.serde).build())
        .build();
    Ok(TableInput::builder()
        .name(spec.table())
        .table_type("EXTERNAL_TABLE")
        .set_parameters(Some(parameters))
        .set_partition_keys(Some(columns(&spec.partition_keys)?))
        .storage_descriptor(storage)
        .build()?)
}

fn pairs(columns: &[Column]) -> Vec<(String, String)> {
    columns.iter().map(|c| (c.name().to_string(), c.r#type().unwrap_or_default().to_string())).collect()
}

/// The spec of a table as Glue returns it; the markers among its parameters are its tags.
fn spec_of(database: &str, t: &Table) -> TableSpec {
    let storage = t.storage_descriptor();
    let (tags, parameters) = t.parameters().cloned().unwrap_or_default().into_iter().partition(|(k, _)| is_marker(k));
    TableSpec {
        name: format!("{database}/{}", t.name()),
        location: storage.and_then(|s| s.location()).unwrap_or_default().to_string(),
        columns: storage.map(|s| pairs(s.columns())).unwrap_or_default(),
        partition_keys: pairs(t.partition_keys()),
        parameters,
        serde: storage
            .and_then(|s| s.serde_info())
            .and_then(|s| s.serialization_library())
            .unwrap_or_default()
            .to_string(),
        input_format: storage.and_then(|s| s.input_format()).unwrap_or_default().to_string(),
        output_format: storage.and_then(|s| s.output_format()).unwrap_or_default().to_string(),
        tags,
        stream: None,
    }
}

/// `database/table` split.
fn split(name: &str) -> (&str, &str) {
    name.split_once('/').unwrap_or(("", name))
}

/// The raw table, if it (and its database) exist.
async fn get(client: &Client, name: &str) -> Result<Option<Table>> {
    let (database, table) = split(name);
    Ok(super::unless_missing(client.get_table().database_name(database).name(table).send().await, |s| {
        s.is_entity_not_found_exception()
    })?
    .and_then(|out| out.table().cloned()))
}

/// Replaces the table's definition with the spec's (UpdateTable takes the whole input).
pub(super) async fn update(client: &Client, spec: &TableSpec) -> Result<()> {
    let (database, _) = split(&spec.name);
    client.update_table().database_name(database).table_input(table_input(spec)?).send().await.map_err(sdk_error)?;
    Ok(())
}

/// Whether Lake Formation governs a database, so that GetTables may hide tables from this
/// caller: its default permissions for new tables are reported and do not grant ALL to
/// `IAM_ALLOWED_PRINCIPALS` (the mark of IAM access control). Not reported at all (an emulator):
/// IAM access control.
fn lake_formation_filters(database: &aws_sdk_glue::types::Database) -> bool {
    let Some(defaults) = &database.create_table_default_permissions else { return false };
    !defaults.iter().any(|p| {
        p.principal().and_then(|x| x.data_lake_principal_identifier()) == Some("IAM_ALLOWED_PRINCIPALS")
            && p.permissions().contains(&aws_sdk_glue::types::Permission::All)
    })
}

/// Updates a table with its parameters changed by `change`, every other field as it is.
async fn rewrite_parameters(
    client: &Client,
    name: &str,
    change: impl FnOnce(&mut HashMap<String, String>),
) -> Result<()> {
    let (database, _) = split(name);
    let t = get(client, name).await?.with_context(|| format!("table {name} is gone"))?;
    let mut parameters = t.parameters().cloned().unwrap_or_default();
    change(&mut parameters);
    let input = TableInput::builder()
        .name(t.name())
        .set_description(t.description().map(String::from))
        .set_owner(t.owner().map(String::from))
        .retention(t.retention())
        .set_storage_descriptor(t.storage_descriptor().cloned())
        .set_partition_keys(Some(t.partition_keys().to_vec()))
        .set_view_original_text(t.view_original_text().map(String::from))
        .set_view_expanded_text(t.view_expanded_text().map(String::from))
        .set_table_type(t.table_type().map(String::from))
        .set_parameters(Some(parameters))
        .build()?;
    client.update_table().database_name(database).table_input(input).send().await.map_err(sdk_error)?;
    Ok(())
}

/// Every table carrying `stack`'s ownership marker in `databases` (one missing holds none).
pub(super) async fn owned(client: &Client, stack: &str, databases: &[String]) -> Result<Vec<Owned>> {
    let per_database = futures::future::join_all(databases.iter().map(|database| async move {
        let mut out = Vec::new();
        let mut pages = client.get_tables().database_name(database).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(page) => page,
                Err(e) if e.as_service_error().is_some_and(|s| s.is_entity_not_found_exception()) => break,
                Err(e) => return Err(sdk_error(e)),
            };
            for t in page.table_list() {
                let spec = spec_of(database, t);
                if spec.tags.get(OWNER_TAG).map(String::as_str) != Some(stack) {
                    continue;
                }
                let address =
                    Address::from_tag(spec.tags.get(ADDRESS_TAG).map(String::as_str), Kind::Table, &spec.name);
                out.push(Owned {
                    address,
                    physical_name: spec.name.clone(),
                    tags: Some(spec.tags),
                    found_in: Default::default(),
                });
            }
        }
        Ok::<_, anyhow::Error>(out)
    }))
    .await;
    let mut out = Vec::new();
    for tables in per_database {
        out.extend(tables?);
    }
    Ok(out)
}

#[async_trait::async_trait]
impl crate::provider::KindApi<TableSpec> for super::Clients {
    async fn read(&self, name: &str, _: Option<&TableSpec>, _: Option<&Tags>) -> Result<Option<Live>> {
        let (database, table) = split(name);
        let (client, arn) = (&self.glue, &self.env()?.table_arn(database, table));
        let (database, _) = split(name);
        Ok(get(client, name).await?.map(|t| Live::new(Spec::Table(spec_of(database, &t)), arn.to_string())))
    }
    /// Creates the table, and its database when missing (tagged as the stack's). A table of that
    /// name found in the way is converged only when its markers say it is the stack's.
    async fn create(&self, spec: &TableSpec, _: std::time::Duration) -> Result<Outputs> {
        let (database, table) = split(&spec.name);
        let (client, arn) = (&self.glue, &self.env()?.table_arn(database, table));
        let (database, _) = split(&spec.name);
        let missing = match client.get_database().name(database).send().await {
            Ok(_) => false,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_entity_not_found_exception()) => true,
            Err(e) => return Err(sdk_error(e)),
        };
        if missing {
            let owner = spec.tags.get(OWNER_TAG).cloned().unwrap_or_default();
            let input = DatabaseInput::builder()
                .name(database)
                .description(format!("Created by provision stack {owner} for its tables"))
                .build()?;
            let created = client.create_database().database_input(input).tags(OWNER_TAG, owner).send().await;
            match created {
                Ok(_) => {}
                Err(e) if e.as_service_error().is_some_and(|s| s.is_already_exists_exception()) => {}
                Err(e) => return Err(sdk_error(e)).context("creating the table's database"),
            }
        }
        match client.create_table().database_name(database).table_input(table_input(spec)?).send().await {
            Ok(_) => {}
            Err(e) if e.as_service_error().is_some_and(|s| s.is_already_exists_exception()) => {
                let existing = get(client, &spec.name).await?.map(|t| spec_of(database, &t));
                let ours = existing.is_some_and(|t| t.tags.get(OWNER_TAG) == spec.tags.get(OWNER_TAG));
                if !ours {
                    return Err(NotOwned { kind: Kind::Table, name: spec.name.clone() }.into());
                }
                update(client, spec).await?;
            }
            Err(e) => return Err(sdk_error(e)),
        }
        Ok(Outputs { arn: arn.to_string(), qualified_arn: None })
    }
    async fn update(&self, desired: &TableSpec, _: &TableSpec, live: &Live, _: std::time::Duration) -> Result<Outputs> {
        update(&self.glue, desired).await?;
        Ok(Outputs { arn: live.arn.clone(), qualified_arn: None })
    }
    /// Deletes the table; then its database, if the stack created it and no table is left in it.
    async fn delete(&self, spec: &TableSpec, _: &Live, _: bool, _: std::time::Duration) -> Result<()> {
        let (client, database_arn) = (&self.glue, &self.env()?.database_arn(spec.database()));
        let (database, table) = split(&spec.name);
        match client.delete_table().database_name(database).name(table).send().await {
            Ok(_) => {}
            Err(e) if e.as_service_error().is_some_and(|s| s.is_entity_not_found_exception()) => {}
            Err(e) => return Err(sdk_error(e)),
        }
        let tags = match client.get_tags().resource_arn(database_arn).send().await {
            Ok(out) => out.tags().cloned().unwrap_or_default(),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_entity_not_found_exception()) => return Ok(()),
            Err(e) => return Err(sdk_error(e)),
        };
        if tags.get(OWNER_TAG) != spec.tags.get(OWNER_TAG) {
            return Ok(());
        }
        // Under Lake Formation, GetTables lists only the tables this caller may see, and deleting the
        // database deletes every table in it: only a database under IAM access control, where the
        // listing is whole, is deleted.
        match client.get_database().name(database).send().await {
            Ok(out) if out.database().is_some_and(lake_formation_filters) => return Ok(()),
            Ok(_) => {}
            Err(e) if e.as_service_error().is_some_and(|s| s.is_entity_not_found_exception()) => return Ok(()),
            Err(e) => return Err(sdk_error(e)),
        }
        // Empty only when every page says so: a page may be empty and still have a next one.
        let mut pages = client.get_tables().database_name(database).into_paginator().send();
        let mut empty = true;
        while let Some(page) = pages.next().await {
            match page {
                Ok(page) if !page.table_list().is_empty() => {
                    empty = false;
                    break;
                }
                Ok(_) => {}
                Err(e) if e.as_service_error().is_some_and(|s| s.is_entity_not_found_exception()) => return Ok(()),
                Err(e) => return Err(sdk_error(e)),
            }
        }
        if empty {
            match client.delete_database().name(database).send().await {
                Ok(_) => {}
                Err(e) if e.as_service_error().is_some_and(|s| s.is_entity_not_found_exception()) => {}
                Err(e) => return Err(sdk_error(e)),
            }
        }
        Ok(())
    }
    /// Nothing: a table is metadata over the bucket\'s objects, which deleting it leaves.
    async fn data_held(&self, _: &TableSpec, _: &Live) -> Result<Option<String>> {
        Ok(None)
    }
}

#[async_trait::async_trait]
impl crate::provider::KindTags<TableSpec> for super::Clients {
    /// The table's ownership markers now, from GetTable's parameters (`None`: gone).
    async fn tags_now(&self, spec: &TableSpec, _: &Live) -> Result<Option<Tags>> {
        let (client, name) = (&self.glue, &spec.name);
        let (database, _) = split(name);
        Ok(get(client, name).await?.map(|t| spec_of(database, &t).tags))
    }
    /// Adds the ownership markers to a table (import), everything else about it kept as it is.
    async fn tag(&self, spec: &TableSpec, _: &Live, tags: &Tags) -> Result<()> {
        let (client, name) = (&self.glue, &spec.name);
        let markers: Vec<(String, String)> =
            tags.iter().filter(|(k, _)| is_marker(k)).map(|(k, v)| (k.clone(), v.clone())).collect();
        rewrite_parameters(client, name, |p| p.extend(markers)).await
    }
    /// Removes the ownership markers among `keys` from a table (forget), everything else kept.
    async fn untag(&self, spec: &TableSpec, _: &Live, keys: &[String]) -> Result<()> {
        let (client, name) = (&self.glue, &spec.name);
        rewrite_parameters(client, name, |p| p.retain(|k, _| !keys.contains(k))).await
    }
}
