//! Adding one server entry to a client's configuration file without disturbing anything else:
//! the file is edited as a concrete syntax tree (`jsonc-parser`), so every other entry, the
//! key order, the indentation and the comments of a JSONC file (VS Code's) stay as written.

use jsonc_parser::ParseOptions;
use jsonc_parser::cst::{CstInputValue, CstObject, CstRootNode};

use super::clients::{Fields, Value};

/// Why the file could not take the entry. The file is never changed when one of these is
/// returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum EditError {
    /// The file is not JSON (or JSONC).
    #[error("is not valid JSON ({0}); fix it, or move it away and run install again")]
    Malformed(String),
    /// The file's top level is not an object.
    #[error("holds JSON whose top level is not an object; an MCP configuration is one object")]
    NotAnObject,
    /// The servers' key holds something other than an object.
    #[error("has a {0:?} that is not an object; it should map server names to their entries")]
    ServersNotAnObject(String),
    /// An entry of the same name is there already.
    #[error(
        "already has a server named {0:?}; pass --force to replace it (the file is backed up \
         first), or --name to add this one under another name"
    )]
    Exists(String),
}

fn input(v: &Value) -> CstInputValue {
    match v {
        Value::String(s) => CstInputValue::String(s.clone()),
        Value::Strings(list) => CstInputValue::Array(
            list.iter()
                .map(|s| CstInputValue::String(s.clone()))
                .collect(),
        ),
        Value::Map(pairs) => CstInputValue::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.clone(), CstInputValue::String(v.clone())))
                .collect(),
        ),
    }
}

fn object(fields: &Fields) -> CstInputValue {
    CstInputValue::Object(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), input(v)))
            .collect(),
    )
}

/// `text` (a whole file, or empty for a new one) with the entry `name` under `servers_key`
/// set to `fields`; replacing one of that name only when `force`.
pub(crate) fn add_entry(
    text: &str,
    servers_key: &str,
    name: &str,
    fields: &Fields,
    force: bool,
) -> Result<String, EditError> {
    let text = if text.trim().is_empty() { "{}\n" } else { text };
    let options = ParseOptions {
        allow_comments: true,
        allow_trailing_commas: true,
        allow_loose_object_property_names: false,
        ..ParseOptions::default()
    };
    let root =
        CstRootNode::parse(text, &options).map_err(|e| EditError::Malformed(e.to_string()))?;
    let top = root.object_value().ok_or(EditError::NotAnObject)?;
    let servers: CstObject = match top.get(servers_key) {
        Some(prop) => prop
            .value()
            .and_then(|v| v.as_object())
            .ok_or_else(|| EditError::ServersNotAnObject(servers_key.to_owned()))?,
        None => top
            .append(servers_key, CstInputValue::Object(Vec::new()))
            .value()
            .and_then(|v| v.as_object())
            .ok_or_else(|| EditError::ServersNotAnObject(servers_key.to_owned()))?,
    };
    match servers.get(name) {
        Some(_) if !force => return Err(EditError::Exists(name.to_owned())),
        Some(existing) => existing.set_value(object(fields)),
        None => {
            servers.append(name, object(fields));
        }
    }
    let mut out = root.to_string();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// The entry as a `{"mcpServers": {name: ...}}` document, for `mcp-json`.
pub(crate) fn document(servers_key: &str, name: &str, fields: &Fields) -> String {
    add_entry("", servers_key, name, fields, false).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Fields {
        vec![
            (
                "command",
                Value::String("/usr/local/bin/cognito-mcp".into()),
            ),
            ("args", Value::Strings(vec!["serve".into()])),
            (
                "env",
                Value::Map(vec![("AWS_REGION".into(), "eu-west-1".into())]),
            ),
        ]
    }

    #[test]
    fn other_entries_and_comments_stay_as_written() {
        let before = "{\n  // my servers\n  \"servers\": {\n    \"memory\": { \"command\": \"npx\" } // keep\n  },\n  \"inputs\": []\n}\n";
        let after = add_entry(before, "servers", "cognito-mcp", &fields(), false).expect("added");
        assert!(
            after.contains("// my servers") && after.contains("// keep"),
            "{after}"
        );
        assert!(
            after.contains("\"memory\": { \"command\": \"npx\" }"),
            "{after}"
        );
        assert!(after.contains("\"inputs\": []"), "{after}");
        let parsed: serde_json::Value =
            jsonc_parser::parse_to_serde_value(&after, &Default::default()).expect("valid");
        assert_eq!(parsed["servers"]["cognito-mcp"]["args"][0], "serve");
        assert_eq!(
            parsed["servers"]["cognito-mcp"]["env"]["AWS_REGION"],
            "eu-west-1"
        );
    }

    #[test]
    fn an_entry_of_the_same_name_needs_force() {
        let before = "{\"mcpServers\": {\"cognito-mcp\": {\"command\": \"old\"}}}";
        assert_eq!(
            add_entry(before, "mcpServers", "cognito-mcp", &fields(), false),
            Err(EditError::Exists("cognito-mcp".into()))
        );
        let after =
            add_entry(before, "mcpServers", "cognito-mcp", &fields(), true).expect("forced");
        assert!(!after.contains("\"old\""), "{after}");
    }

    #[test]
    fn what_is_not_a_configuration_is_refused() {
        assert!(matches!(
            add_entry("{\"mcpServers\": {", "mcpServers", "x", &fields(), false),
            Err(EditError::Malformed(_))
        ));
        assert_eq!(
            add_entry("[1, 2]", "mcpServers", "x", &fields(), false),
            Err(EditError::NotAnObject)
        );
        assert_eq!(
            add_entry("{\"mcpServers\": []}", "mcpServers", "x", &fields(), false),
            Err(EditError::ServersNotAnObject("mcpServers".into()))
        );
    }

    #[test]
    fn an_empty_or_missing_file_becomes_one_entry() {
        let doc = document("mcpServers", "cognito-mcp", &fields());
        let parsed: serde_json::Value = serde_json::from_str(&doc).expect("plain JSON");
        assert_eq!(
            parsed["mcpServers"]["cognito-mcp"]["command"],
            "/usr/local/bin/cognito-mcp"
        );
    }
}
