//! Why the gate refuses a call before anything runs: the tool policy, or over HTTP the
//! caller's scopes. Each reason is a variant; its code, its text and its audit outcome come
//! from it.

use cognito_admin::audit::AuditOutcome;
use rmcp::model::CallToolResult;

use crate::mcp::error::error_result;

/// A call the gate refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The tool policy turns the tool off: read-only mode, the allow or deny list, or sign-in
    /// checks not enabled. `reason` says which, and what the operator can change.
    ToolDisabled { reason: String },
    /// Over HTTP: the caller's effective scopes lack the one the tool needs.
    InsufficientScope {
        tool: &'static str,
        needed: String,
        held: Vec<String>,
    },
}

impl Refusal {
    /// The stable error code in `_meta` and the audit record.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::ToolDisabled { .. } => "tool_disabled",
            Self::InsufficientScope { .. } => "insufficient_scope",
        }
    }

    /// How the audit records it.
    pub(crate) fn outcome(&self) -> AuditOutcome {
        AuditOutcome::Refused
    }

    /// What is refused and what to do about it.
    pub(crate) fn reason(&self) -> String {
        match self {
            Self::ToolDisabled { reason } => reason.clone(),
            Self::InsufficientScope { tool, needed, held } => format!(
                "`{tool}` needs the scope {needed}; you hold {}. Privilege comes only from \
                 Cognito groups (a token's own scopes only narrow it): ask an administrator to \
                 add you to a group that grants it, then sign in again.",
                if held.is_empty() {
                    "no scopes".to_owned()
                } else {
                    held.join(", ")
                }
            ),
        }
    }

    /// The tool error a refused call answers with.
    pub(crate) fn into_result(self) -> CallToolResult {
        error_result(self.code(), false, format!("Refused: {}", self.reason()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_refusal_names_what_is_needed_and_what_is_held() {
        let r = Refusal::InsufficientScope {
            tool: "delete_user",
            needed: "mcp/admin".into(),
            held: vec!["mcp/read".into()],
        };
        assert_eq!(r.code(), "insufficient_scope");
        let text = r.reason();
        assert!(
            text.contains("mcp/admin") && text.contains("you hold mcp/read"),
            "{text}"
        );
        let none = Refusal::InsufficientScope {
            tool: "delete_user",
            needed: "mcp/admin".into(),
            held: vec![],
        };
        assert!(none.reason().contains("you hold no scopes"));
        assert_eq!(
            Refusal::ToolDisabled { reason: "x".into() }.code(),
            "tool_disabled"
        );
    }
}
