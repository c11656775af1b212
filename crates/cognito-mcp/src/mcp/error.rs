//! The one place a call that does not end with its result becomes an MCP answer: an
//! [`AdminError`] or a [`Refusal`] becomes a tool error (`isError: true`, a text that says what
//! went wrong and how to retry, `_meta` with the stable code), and an [`AdminError`] of a
//! resource read becomes a JSON-RPC error. Each also says how the audit records it.

use cognito_admin::AdminError;
use cognito_admin::audit::AuditOutcome;
use rmcp::ErrorData;
use rmcp::handler::server::tool::IntoCallToolResult;
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock, MetaObject};
use serde_json::{Value, json};

use crate::mcp::refusal::Refusal;

/// The key in a tool error's `_meta` that holds the error code.
pub(crate) const ERROR_CODE_META: &str = "cognito-mcp/error";
/// The key in a tool error's `_meta` that carries its audit outcome from the tool to the
/// pipeline's outcome stage, which takes it out: it is never sent.
const OUTCOME_META: &str = "cognito-mcp/outcome";

/// A tool call that ends without its normal result.
#[derive(Debug)]
pub(crate) enum ToolError {
    /// An admin operation failed, or `cognito-admin` refused it (a protected principal, or a
    /// target beyond the caller's privilege).
    Admin(AdminError),
    /// The call was refused before anything changed.
    Refused(Refusal),
    /// The call waits for the client's answer (an `input_required` result).
    InputRequired(Box<CallToolResponse>),
    /// The server could not do its part (build a request, ask the person).
    Failed {
        code: &'static str,
        retryable: bool,
        text: String,
    },
}

impl ToolError {
    /// A failure of the server itself.
    pub(crate) fn internal(message: String) -> Self {
        Self::Failed {
            code: "internal_error",
            retryable: false,
            text: format!("Error (internal_error): {message}."),
        }
    }

    /// How the audit records it.
    fn outcome(&self) -> AuditOutcome {
        match self {
            Self::Admin(e) => admin_outcome(e),
            Self::Refused(r) => r.outcome(),
            Self::InputRequired(_) => AuditOutcome::InputRequired,
            Self::Failed { .. } => AuditOutcome::Error,
        }
    }
}

impl From<AdminError> for ToolError {
    fn from(e: AdminError) -> Self {
        Self::Admin(e)
    }
}

impl From<Refusal> for ToolError {
    fn from(r: Refusal) -> Self {
        Self::Refused(r)
    }
}

/// How the audit records an admin error: protected principals and targets beyond the caller's
/// privilege are refusals; everything else failed. A change stopped partway is recorded as
/// what stopped it (its code is that error's code too).
fn admin_outcome(e: &AdminError) -> AuditOutcome {
    match e {
        AdminError::Protected { .. } | AdminError::InsufficientPrivilege { .. } => {
            AuditOutcome::Refused
        }
        AdminError::Incomplete { source, .. } => admin_outcome(source),
        _ => AuditOutcome::Error,
    }
}

/// A tool error result with `text` and the error `code` in `_meta`.
pub(crate) fn error_result(code: &str, retryable: bool, text: String) -> CallToolResult {
    let mut meta = MetaObject::new();
    meta.insert(
        ERROR_CODE_META.into(),
        json!({ "code": code, "retryable": retryable }),
    );
    CallToolResult::error(vec![ContentBlock::text(text)]).with_meta(Some(meta))
}

/// The tool error a refused call answers with.
pub(crate) fn refused(refusal: &Refusal) -> CallToolResult {
    error_result(refusal.code(), false, refusal.text())
}

/// Arguments that do not match the tool's input schema: the agent's to fix.
pub(crate) fn invalid_arguments(detail: &str) -> CallToolResult {
    error_result(
        "invalid_arguments",
        false,
        format!(
            "Error (invalid_arguments): {detail}.\nHow to fix: send arguments that match the \
             tool's inputSchema (field names, types and required fields)."
        ),
    )
}

/// Marks `result` with the audit outcome of the error it reports.
fn with_outcome(mut result: CallToolResult, outcome: AuditOutcome) -> CallToolResult {
    if let (Some(meta), Ok(v)) = (result.meta.as_mut(), serde_json::to_value(outcome)) {
        meta.insert(OUTCOME_META.into(), v);
    }
    result
}

/// The audit outcome and error code of a tool error result, taking the outcome mark out. An
/// error without the mark failed (`AuditOutcome::Error`).
pub(crate) fn take_outcome(result: &mut CallToolResult) -> (AuditOutcome, Option<String>) {
    let meta = result.meta.as_mut();
    let outcome = meta
        .as_ref()
        .and_then(|m| m.get(OUTCOME_META))
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or(AuditOutcome::Error);
    if let Some(m) = meta {
        m.remove(OUTCOME_META);
    }
    let code = result
        .meta
        .as_ref()
        .and_then(|m| m.get(ERROR_CODE_META))
        .and_then(|v| v.get("code"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    (outcome, code)
}

/// Whether a tool error result is one of ours (rmcp answers arguments that do not deserialize
/// with a bare tool error, without a code).
pub(crate) fn has_code(result: &CallToolResult) -> bool {
    result
        .meta
        .as_ref()
        .is_some_and(|m| m.contains_key(ERROR_CODE_META))
}

impl IntoCallToolResult for ToolError {
    fn into_call_tool_result(self) -> Result<CallToolResponse, ErrorData> {
        let outcome = self.outcome();
        let result = match self {
            Self::Admin(e) => {
                let text = format!("Error ({}): {e}.\nHow to fix: {}", e.code(), e.hint());
                error_result(e.code(), e.is_retryable(), text)
            }
            Self::Refused(r) => refused(&r),
            Self::InputRequired(r) => return Ok(*r),
            Self::Failed {
                code,
                retryable,
                text,
            } => error_result(code, retryable, text),
        };
        Ok(with_outcome(result, outcome).into())
    }
}

/// A resource read's admin error, as a JSON-RPC error: not found, invalid, or internal.
pub(crate) fn resource_error(e: &AdminError) -> ErrorData {
    let message = format!("{e}. How to fix: {}", e.hint());
    match e {
        AdminError::UserNotFound { .. } => ErrorData::resource_not_found(message, None),
        AdminError::Invalid(_) => ErrorData::invalid_params(message, None),
        _ => ErrorData::internal_error(message, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settle(e: ToolError) -> (AuditOutcome, Option<String>, CallToolResult) {
        let CallToolResponse::Complete(mut r) = e.into_call_tool_result().expect("a result") else {
            panic!("a complete result");
        };
        let (outcome, code) = take_outcome(&mut r);
        (outcome, code, r)
    }

    /// A protected user is a refusal, an AWS failure an error; the mark never leaves.
    #[test]
    fn outcomes_come_from_the_variant_and_the_mark_is_taken_out() {
        let protected = AdminError::Protected {
            field: "username".into(),
            kind: "user",
            name: "root".into(),
        };
        let (outcome, code, r) = settle(protected.into());
        assert_eq!(outcome, AuditOutcome::Refused);
        assert_eq!(code.as_deref(), Some("protected"));
        let meta = serde_json::to_string(&r.meta).expect("json");
        assert!(!meta.contains(OUTCOME_META), "{meta}");

        let (outcome, code, _) = settle(ToolError::internal("boom".into()));
        assert_eq!(outcome, AuditOutcome::Error);
        assert_eq!(code.as_deref(), Some("internal_error"));

        let refused = Refusal::Declined {
            tool: "delete_user",
            target: "bob".into(),
        };
        let (outcome, code, _) = settle(refused.into());
        assert_eq!(outcome, AuditOutcome::Refused);
        assert_eq!(code.as_deref(), Some("declined"));
    }

    /// A result no tool error made (no mark) is an error, not a refusal.
    #[test]
    fn an_unmarked_error_is_an_error() {
        let mut r = error_result("declined", false, "x".into());
        assert_eq!(take_outcome(&mut r).0, AuditOutcome::Error);
    }
}
