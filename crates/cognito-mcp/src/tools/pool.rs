//! The pool tools: its description and its app clients.

use cognito_admin::{AppClientPage, ListUserPoolClients, PoolDescription};
use rmcp::handler::server::wrapper::Parameters;
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

    #[tool(description = "List the pool's app clients (id and name).")]
    async fn list_user_pool_clients(
        &self,
        Parameters(req): Parameters<ListUserPoolClients>,
    ) -> Result<Json<AppClientPage>, ToolError> {
        Ok(Json(
            self.admin.get().await.list_user_pool_clients(&req).await?,
        ))
    }
}
