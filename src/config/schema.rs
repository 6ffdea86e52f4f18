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
