//! How an [`AdminError`] becomes an MCP tool error: `isError: true`, a text that says what
//! went wrong and how to retry, and `_meta` with the stable error code.

use cognito_admin::AdminError;
use rmcp::handler::server::tool::IntoCallToolResult;
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock, MetaObject};
use serde_json::json;

/// The key in a tool error's `_meta` that holds the error code.
pub(crate) const ERROR_CODE_META: &str = "cognito-mcp/error";

/// A tool call that ends without its normal result.
#[derive(Debug)]
pub(crate) enum ToolError {
    /// An admin operation failed.
    Admin(AdminError),
    /// The answer is already made: a refusal, or an `input_required` result.
    Result(Box<CallToolResponse>),
}

impl ToolError {
    /// An answer made already.
    pub(crate) fn result(r: CallToolResponse) -> Self {
        Self::Result(Box::new(r))
    }

    /// A failure of the server itself.
    pub(crate) fn internal(message: String) -> Self {
        Self::Result(Box::new(
            error_result(
                "internal_error",
                false,
                format!("Error (internal_error): {message}."),
            )
            .into(),
        ))
    }
}

impl From<AdminError> for ToolError {
    fn from(e: AdminError) -> Self {
        Self::Admin(e)
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

impl IntoCallToolResult for ToolError {
    fn into_call_tool_result(self) -> Result<CallToolResponse, rmcp::ErrorData> {
        let e = match self {
            Self::Admin(e) => e,
            Self::Result(r) => return Ok(*r),
        };
        let e = &e;
        let text = format!("Error ({}): {e}.\nHow to fix: {}", e.code(), e.hint());
        Ok(error_result(e.code(), e.is_retryable(), text).into())
    }
}
