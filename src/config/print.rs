//! `print-config`: the effective settings written back as TOML, in the sections of
//! `defaults.toml`, secrets redacted by their own `Serialize`.

use super::Settings;

/// serde_json → TOML-ish rendering keeps us off an extra TOML writer dependency.
pub(super) fn toml_string(settings: &Settings) -> anyhow::Result<String> {
    let value = serde_json::to_value(settings)?;
    let mut out = String::new();
    if let serde_json::Value::Object(sections) = value {
        for (section, fields) in sections {
            out.push_str(&format!("[{section}]\n"));
            if let serde_json::Value::Object(fields) = fields {
                for (key, value) in fields {
                    if !value.is_null() {
                        out.push_str(&format!("{key} = {}\n", toml_value(&value)));
                    }
                }
            }
            out.push('\n');
        }
    }
    Ok(out)
}

/// JSON scalars and arrays are valid TOML as written; objects become inline tables.
/// TOML has no null: unset values are left out, as in the top-level tables.
fn toml_value(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(fields) => {
            let inner: Vec<String> = fields
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| format!("{k} = {}", toml_value(v)))
                .collect();
            format!("{{ {} }}", inner.join(", "))
        }
        // Arrays of tables (`[[login.oidc]]`) as arrays of inline tables.
        serde_json::Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(toml_value).collect();
            format!("[{}]", inner.join(", "))
        }
        other => other.to_string(),
    }
}
