//! The JSON Schema of stack.toml, generated from the types serde reads it into.

pub use crate::model::stack_file::{DeclaredVariable, StackSection, VariableSection};
pub use crate::model::StackFile;

/// The JSON Schema of stack.toml, as `provision schema` prints it and `stack.schema.json` holds it.
pub fn json_schema() -> String {
    // Draft 7: what Taplo-based editors (Even Better TOML) understand.
    let schema = schemars::generate::SchemaSettings::draft07().into_generator().into_root_schema_for::<StackFile>();
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serializes");
    text.push('\n');
    text
}

/// The manual's table of the keys of one schema definition (`BucketSection`, `StackSection`...):
/// each key, its default and its meaning, from the same doc comments as the schema's
/// descriptions, so that the manual and an editor's hover say one thing. `None`: no such
/// definition.
pub fn key_table(definition: &str) -> Option<String> {
    let schema: serde_json::Value = serde_json::from_str(&json_schema()).ok()?;
    let def = schema.get("definitions")?.get(definition)?;
    let required: Vec<&str> = def
        .get("required")
        .and_then(|r| r.as_array())
        .map(|r| r.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    let mut out = String::from("| key | default | meaning |\n|---|---|---|\n");
    for (key, property) in def.get("properties")?.as_object()? {
        let meaning = property.get("description").and_then(|d| d.as_str()).unwrap_or_default();
        let default = match property.get("default") {
            _ if required.contains(&key.as_str()) => "required".to_string(),
            Some(value) => format!("`{value}`"),
            // A default the meaning gives (a derived name, the instance's Region).
            None if meaning.contains("default") => "see meaning".to_string(),
            None => "none".to_string(),
        };
        out.push_str(&format!("| `{key}` | {default} | {} |\n", table_cell(meaning)));
    }
    Some(out)
}

/// A description as one cell of a Markdown table: one line, `|` escaped.
fn table_cell(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").replace('|', "\\|")
}

/// Every definition of the schema, by name: what the manual's key tables may name.
pub fn definitions() -> Vec<String> {
    let schema: serde_json::Value = serde_json::from_str(&json_schema()).unwrap_or_default();
    schema.get("definitions").and_then(|d| d.as_object()).map(|d| d.keys().cloned().collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_table_has_every_key_its_default_and_its_meaning_on_one_line() {
        let table = key_table("BucketSection").unwrap();
        assert!(table.contains("| `name` | required | Bucket name"), "{table}");
        assert!(table.contains("| `versioning` | `false` |"), "{table}");
        assert!(table.contains("| `namespace` | `\"global\"` |"), "{table}");
        assert!(table.contains("| `region` | see meaning |"), "a default the meaning gives: {table}");
        assert!(table.contains("| `for_each` | none |"), "{table}");
        assert!(table.lines().all(|l| l.starts_with('|') && l.ends_with('|')), "{table}");
        assert_eq!(key_table("NoSuchSection"), None);
        assert_eq!(table_cell("a |\n b"), "a \\| b");
    }
}
