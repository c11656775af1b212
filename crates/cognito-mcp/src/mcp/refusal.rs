//! Why a call is refused before anything changes: by the gate (the tool policy, or over HTTP
//! the caller's scopes) or by the confirmation stage (no one said yes). Each reason is a
//! variant; its code, its text and its audit outcome come from it.

use cognito_admin::audit::AuditOutcome;

use crate::mcp::confirm_state::StateError;

/// A refused call.
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
    /// A client that cannot ask a person sent no `confirm`, or one naming another target.
    ConfirmationRequired {
        tool: &'static str,
        /// What the change does, in words.
        effect: String,
        target: String,
        /// Why the call was not made.
        problem: String,
    },
    /// The person said no (or closed the form).
    Declined { tool: &'static str, target: String },
    /// `safety.confirm.require_person`, and a client that cannot ask a person.
    PersonRequired { tool: &'static str, target: String },
    /// A `requestState` that is not this call's fresh, unused one.
    ConfirmationState {
        tool: &'static str,
        target: String,
        error: StateError,
    },
    /// `[aws] act_as = "caller"`, and no AWS credentials could be had for the caller.
    NoCallerCredentials {
        code: &'static str,
        /// Why, without any token or credential.
        detail: String,
        retryable: bool,
    },
}

impl Refusal {
    /// The stable error code in `_meta` and the audit record.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::ToolDisabled { .. } => "tool_disabled",
            Self::InsufficientScope { .. } => "insufficient_scope",
            Self::ConfirmationRequired { .. } => "confirmation_required",
            Self::Declined { .. } => "declined",
            Self::PersonRequired { .. } => "person_required",
            Self::ConfirmationState { error, .. } => error.code(),
            Self::NoCallerCredentials { code, .. } => code,
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
            other => other.text(),
        }
    }

    /// The tool error's text.
    pub(crate) fn text(&self) -> String {
        let code = self.code();
        match self {
            Self::ToolDisabled { .. } | Self::InsufficientScope { .. } => {
                format!("Refused: {}", self.reason())
            }
            Self::ConfirmationRequired {
                tool,
                effect,
                target,
                problem,
            } => format!(
                "Error ({code}): {tool} needs a person's yes first. The change: {effect} Not \
                 made, because {problem}.\nHow to fix: tell the person exactly what the change \
                 does and ask them; if they agree, call {tool} again with the same arguments \
                 plus \"confirm\": {target:?}."
            ),
            Self::Declined { tool, target } => format!(
                "Error ({code}): the person did not confirm `{tool}` on {target}; nothing was \
                 changed.\nHow to fix: do not retry unless they ask for it again."
            ),
            Self::PersonRequired { tool, target } => format!(
                "Error ({code}): {tool} on {target} needs a person's yes, and this server takes \
                 it only from a person (safety.confirm.require_person = true). This client \
                 cannot ask one: it declares no MCP elicitation capability, and a `confirm` \
                 argument is the agent's own word, so it is not accepted. Nothing was \
                 changed.\nHow to fix: make the change from an MCP client that supports \
                 elicitation (form mode), either through elicitation/create requests or \
                 through input_required results on protocol 2026-07-28, such as the official \
                 TypeScript or Python SDK clients with an elicitation handler, or ask the \
                 operator to make it."
            ),
            Self::NoCallerCredentials {
                detail, retryable, ..
            } => format!(
                "Error ({code}): this server calls AWS as each caller ([aws] act_as = \
                 \"caller\"), and it could not get AWS credentials for you: {detail}. Nothing \
                 was changed.\nHow to fix: {}",
                if *retryable {
                    "retry shortly; the identity pool did not answer."
                } else {
                    "sign in again through this server (proxy mode keeps your Cognito ID \
                     token); if it still fails, the operator must check that the identity pool \
                     trusts this user pool and maps your groups to a role."
                }
            ),
            Self::ConfirmationState {
                tool,
                target,
                error,
            } => format!(
                "Error ({code}): {tool} is not confirmed: {error}; nothing was changed.\nHow to \
                 fix: call {tool} again without requestState and inputResponses, so that the \
                 person is asked about this call ({target})."
            ),
        }
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

    /// Every refusal is audited as refused, and its text starts with its code, so the agent
    /// and the audit name the same rule.
    #[test]
    fn every_refusal_is_refused_and_names_its_code() {
        let all = [
            Refusal::ToolDisabled { reason: "r".into() },
            Refusal::InsufficientScope {
                tool: "t",
                needed: "n".into(),
                held: vec![],
            },
            Refusal::ConfirmationRequired {
                tool: "t",
                effect: "e.".into(),
                target: "x".into(),
                problem: "p".into(),
            },
            Refusal::Declined {
                tool: "t",
                target: "x".into(),
            },
            Refusal::PersonRequired {
                tool: "t",
                target: "x".into(),
            },
            Refusal::ConfirmationState {
                tool: "t",
                target: "x".into(),
                error: StateError::Used,
            },
        ];
        for r in all {
            assert_eq!(r.outcome(), AuditOutcome::Refused, "{r:?}");
            let text = r.text();
            assert!(
                text.starts_with("Refused: ") || text.starts_with(&format!("Error ({})", r.code())),
                "{text}"
            );
        }
    }
}
