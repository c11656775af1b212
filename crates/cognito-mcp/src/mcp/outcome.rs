//! The outcome stage: what the client gets and what the audit records, from what the tool
//! answered. Secrets of the call are scrubbed from the answer; arguments rmcp could not
//! deserialize become an `invalid_arguments` error the agent can act on; and the audit outcome
//! comes from the error's own variant (marked by [`crate::mcp::error`]), never from its code.

use cognito_admin::audit::AuditOutcome;
use rmcp::ErrorData;
use rmcp::model::{CallToolResponse, ErrorCode};
use serde_json::Value;

use crate::mcp::confirm::Notes;
use crate::mcp::error::{has_code, invalid_arguments, take_outcome};
use crate::mcp::scrub::{scrub, text_of};

/// A settled call.
#[derive(Debug)]
pub(crate) struct Settled {
    /// What the client gets.
    pub(crate) response: CallToolResponse,
    /// How the audit records it.
    pub(crate) outcome: AuditOutcome,
    /// The error code, if it failed or was refused.
    pub(crate) error: Option<String>,
}

/// Settles what the tool answered. An error of the server itself (not of the call) stays a
/// JSON-RPC error: the caller audits it as `internal_error`.
pub(crate) fn settle(
    answer: Result<CallToolResponse, ErrorData>,
    secrets: &[String],
    notes: &Notes,
) -> Result<Settled, ErrorData> {
    let mut response = match answer {
        // Bad arguments are the agent's to fix: answer as a tool error it can read.
        Err(e) if e.code == ErrorCode::INVALID_PARAMS => {
            CallToolResponse::Complete(invalid_arguments(&e.message))
        }
        Err(e) => return Err(e),
        Ok(r) => r,
    };
    let cancelled = notes
        .summary
        .as_ref()
        .and_then(|s| s.get("cancelled"))
        .and_then(Value::as_bool)
        == Some(true);
    let mut outcome = if cancelled {
        AuditOutcome::Cancelled
    } else {
        AuditOutcome::Ok
    };
    let mut error = None;
    if let CallToolResponse::InputRequired(_) = &response {
        outcome = AuditOutcome::InputRequired;
    }
    if let CallToolResponse::Complete(r) = &mut response {
        scrub(r, secrets);
        if r.is_error == Some(true) && !has_code(r) {
            // rmcp answers arguments that do not deserialize with a bare tool error.
            *r = invalid_arguments(&text_of(r));
        }
        if r.is_error == Some(true) {
            let (o, code) = take_outcome(r);
            outcome = o;
            error = Some(code.unwrap_or_else(|| "error".into()));
        }
    }
    Ok(Settled {
        response,
        outcome,
        error,
    })
}

/// The refusal that says the client cannot ask a person (`safety.confirm.require_person`).
const PERSON_REQUIRED: &str = "person_required";

/// At protocol 2026-07-28 or later, a call refused only because the client declared no
/// elicitation is the protocol's `MissingRequiredClientCapability` error (-32021, HTTP 400)
/// naming the capability, which a client can act on, instead of a tool result: "If processing a
/// request requires a capability the client did not include ..., the server MUST return" it.
/// The audit records it as the refusal it is.
pub(crate) fn missing_capability(settled: &Settled) -> Option<ErrorData> {
    if settled.error.as_deref() != Some(PERSON_REQUIRED) {
        return None;
    }
    let CallToolResponse::Complete(r) = &settled.response else {
        return None;
    };
    Some(ErrorData::new(
        ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY,
        text_of(r),
        Some(serde_json::json!({ "requiredCapabilities": { "elicitation": {} } })),
    ))
}

#[cfg(test)]
mod tests {
    use rmcp::handler::server::tool::IntoCallToolResult;
    use rmcp::model::{CallToolResult, ContentBlock};

    use super::*;
    use crate::mcp::error::ToolError;
    use crate::mcp::refusal::Refusal;

    fn complete(s: &Settled) -> &CallToolResult {
        match &s.response {
            CallToolResponse::Complete(r) => r,
            other => panic!("not complete: {other:?}"),
        }
    }

    #[test]
    fn a_refusal_is_refused_and_a_bare_error_is_invalid_arguments() {
        let refused = ToolError::from(Refusal::Declined {
            tool: "delete_user",
            target: "bob".into(),
        })
        .into_call_tool_result();
        let s = settle(refused, &[], &Notes::default()).expect("settled");
        assert_eq!(s.outcome, AuditOutcome::Refused);
        assert_eq!(s.error.as_deref(), Some("declined"));

        let bare = CallToolResult::error(vec![ContentBlock::text("missing field `username`")]);
        let s = settle(Ok(bare.into()), &[], &Notes::default()).expect("settled");
        assert_eq!(s.outcome, AuditOutcome::Error);
        assert_eq!(s.error.as_deref(), Some("invalid_arguments"));
        assert!(text_of(complete(&s)).contains("missing field `username`"));
    }

    #[test]
    fn a_cancelled_bulk_run_is_cancelled_and_secrets_are_scrubbed() {
        let notes = Notes {
            summary: Some(serde_json::json!({"cancelled": true})),
            ..Notes::default()
        };
        let ok = CallToolResult::success(vec![ContentBlock::text("set to Secret-Pass-1")]);
        let s = settle(Ok(ok.into()), &["Secret-Pass-1".into()], &notes).expect("settled");
        assert_eq!(s.outcome, AuditOutcome::Cancelled);
        assert!(!text_of(complete(&s)).contains("Secret-Pass-1"));
    }
}
