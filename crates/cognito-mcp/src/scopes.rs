//! What each scope allows: one table, read by the consent page, `whoami`, and (through a test
//! that compares them) docs/tools.md and docs/security.md. It is built from the same
//! [`ToolScopes`] the server checks, so what they say is what is enforced.

use schemars::JsonSchema;
use serde::Serialize;

use crate::catalog::{self, Access};
use crate::policy::ToolScopes;

/// One scope: what it allows in words, and the tools that need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub(crate) struct ScopeRow {
    /// The scope, like `mcp/write`.
    pub(crate) scope: String,
    /// What it allows.
    pub(crate) allows: String,
    /// The tools that need it.
    pub(crate) tools: Vec<String>,
}

/// Every scope some tool needs, lowest level first, then other (configured) scopes by name.
pub(crate) fn table(resource_server: &str, tool_scopes: &ToolScopes) -> Vec<ScopeRow> {
    let level_of = |scope: &str| {
        Access::ALL
            .into_iter()
            .find(|a| scope == format!("{resource_server}/{}", a.name()))
    };
    let mut scopes: Vec<String> = tool_scopes.all().into_iter().collect();
    scopes.sort_by_key(|s| (level_of(s).map_or(usize::MAX, |a| a as usize), s.clone()));
    scopes
        .into_iter()
        .map(|scope| {
            let tools = catalog::TOOLS
                .iter()
                .filter(|t| tool_scopes.required(t) == Some(scope.as_str()))
                .map(|t| t.name.to_owned())
                .collect();
            let allows = match level_of(&scope) {
                Some(level) => level.allows().to_owned(),
                None => "the tools below (a scope set by auth.tool_scopes)".to_owned(),
            };
            ScopeRow {
                scope,
                allows,
                tools,
            }
        })
        .collect()
}

/// The consent page's text for a row.
pub(crate) fn consent_text(row: &ScopeRow) -> String {
    format!("{} (tools: {})", row.allows, row.tools.join(", "))
}

/// The table as Markdown, as docs/tools.md and docs/security.md show it.
#[cfg(test)]
pub(crate) fn markdown(rows: &[ScopeRow]) -> String {
    let mut out = String::from("| scope | allows | tools |\n| --- | --- | --- |\n");
    for r in rows {
        let tools: Vec<String> = r.tools.iter().map(|t| format!("`{t}`")).collect();
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            r.scope,
            r.allows,
            tools.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEGIN: &str =
        "<!-- scope-table:begin (generated: cargo test -p cognito-mcp scope_table) -->\n";
    const END: &str = "<!-- scope-table:end -->";

    fn default_rows() -> Vec<ScopeRow> {
        table("mcp", &ToolScopes::new("mcp", Default::default()))
    }

    #[test]
    fn every_tool_but_whoami_is_in_exactly_one_row() {
        let rows = default_rows();
        assert_eq!(
            rows.iter().map(|r| r.scope.as_str()).collect::<Vec<_>>(),
            ["mcp/read", "mcp/write", "mcp/admin"]
        );
        for t in catalog::TOOLS {
            let n = rows
                .iter()
                .filter(|r| r.tools.iter().any(|x| x == t.name))
                .count();
            assert_eq!(n, usize::from(!t.open), "{}", t.name);
        }
        let admin = &rows[2];
        for t in ["delete_user", "sign_out_user", "read_audit"] {
            assert!(admin.tools.iter().any(|x| x == t), "{t}");
        }
    }

    #[test]
    fn a_configured_scope_gets_its_own_row() {
        let scopes = ToolScopes::new(
            "mcp",
            [("read_audit".to_owned(), "audit/read".to_owned())].into(),
        );
        let rows = table("mcp", &scopes);
        let last = rows.last().expect("rows");
        assert_eq!(last.scope, "audit/read");
        assert_eq!(last.tools, ["read_audit"]);
    }

    /// docs/tools.md and docs/security.md hold the table between markers; rewrite them with
    /// `SCOPE_TABLE_WRITE=1 cargo test -p cognito-mcp scope_table`.
    #[test]
    fn scope_table_in_the_docs_is_the_enforced_one() {
        let want = markdown(&default_rows());
        let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs");
        for file in ["tools.md", "security.md"] {
            let path = docs.join(file);
            let text = std::fs::read_to_string(&path).expect("read the doc");
            let start = text
                .find(BEGIN)
                .unwrap_or_else(|| panic!("{file} has no {BEGIN}"));
            let body_start = start + BEGIN.len();
            let end = body_start
                + text[body_start..]
                    .find(END)
                    .unwrap_or_else(|| panic!("{file} has no {END}"));
            if std::env::var_os("SCOPE_TABLE_WRITE").is_some() {
                let new = format!("{}{want}{}", &text[..body_start], &text[end..]);
                std::fs::write(&path, new).expect("write the doc");
                continue;
            }
            assert_eq!(
                &text[body_start..end],
                want,
                "{file}'s scope table differs from what the server enforces; rewrite it with \
                 SCOPE_TABLE_WRITE=1 cargo test -p cognito-mcp scope_table"
            );
        }
    }
}
