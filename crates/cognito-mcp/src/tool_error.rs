//! How an [`AdminError`] becomes an MCP tool error: `isError: true`, a text that says what
//! went wrong and how to retry, and `_meta` with the stable error code.

use cognito_admin::AdminError;
use rmcp::handler::server::tool::IntoCallToolResult;
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock, MetaObject};
use serde_json::json;

/// The key in a tool error's `_meta` that holds the error code.
pub(crate) const ERROR_CODE_META: &str = "cognito-mcp/error";

/// A failed tool call.
#[derive(Debug)]
pub(crate) struct ToolError(pub(crate) AdminError);

impl From<AdminError> for ToolError {
    fn from(e: AdminError) -> Self {
        Self(e)
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
        let e = &self.0;
        let text = format!("Error ({}): {e}.\nHow to fix: {}", e.code(), e.hint());
        Ok(error_result(e.code(), e.is_retryable(), text).into())
    }
}
