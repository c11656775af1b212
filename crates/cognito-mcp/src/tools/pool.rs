//! The pool tools: its description (app clients are in `clients.rs`).

use cognito_admin::PoolDescription;
use rmcp::{Json, tool, tool_router};

use crate::mcp::error::ToolError;
use crate::mcp::state::State;

#[tool_router(router = pool_router, vis = "pub(crate)")]
impl State {
    #[tool(
        description = "Describe the user pool: name, estimated users, sign-in attributes, \
        the password policy, the MFA configuration and custom attributes."
    )]
    async fn describe_user_pool(&self) -> Result<Json<PoolDescription>, ToolError> {
        Ok(Json(self.admin.get().await.describe_user_pool().await?))
    }
}
