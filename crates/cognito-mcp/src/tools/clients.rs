//! The app-client tools: the pool's app clients (dynamically registered ones included) and
//! the CIMD policies that let MCP clients sign in by a metadata document URL.

use std::time::SystemTime;

use cognito_admin::{
    AppClientPage, BulkReport, CimdPolicy, CimdPolicyPage, CimdPolicyRef, CreateCimdPolicy,
    DeleteUserPoolClient, InvalidateMetadataUrl, ListCimdPolicies, ListUserPoolClients,
    PruneDynamicClients, UpdateCimdPolicy,
};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::service::RequestContext;
use rmcp::{Json, RoleServer, tool, tool_router};
use serde_json::{Value, json};

use crate::mcp::error::ToolError;
use crate::mcp::state::State;

#[tool_router(router = clients_router, vis = "pub(crate)")]
impl State {
    #[tool(
        description = "List the pool's app clients: id, name, whether an application \
        registered it dynamically (`dynamic`; every registered MCP client is an app client and \
        counts toward the pool's quota), and when it was created and last changed. `kind` \
        narrows to dynamic or regular clients. One DescribeUserPoolClient per client, paced."
    )]
    async fn list_user_pool_clients(
        &self,
        Parameters(req): Parameters<ListUserPoolClients>,
    ) -> Result<Json<AppClientPage>, ToolError> {
        Ok(Json(
            self.admin.get().await.list_user_pool_clients(&req).await?,
        ))
    }

    #[tool(
        description = "Delete one app client. Applications using it can no longer sign in or \
        refresh their tokens. The server's own app clients and safety.protected_clients are \
        refused. Asks for confirmation."
    )]
    async fn delete_user_pool_client(
        &self,
        Parameters(req): Parameters<DeleteUserPoolClient>,
    ) -> Result<Json<Value>, ToolError> {
        self.admin
            .get()
            .await
            .delete_user_pool_client(&req.client_id)
            .await?;
        Ok(Json(json!({"deleted": req.client_id})))
    }

    #[tool(
        description = "Delete the dynamically registered app clients created more than \
        `older_than_days` days ago, freeing the pool's app-client quota. Regular and protected \
        clients are never touched. dry_run defaults to true: the first call lists what would \
        be deleted; call again with dry_run false to delete. Paced to Cognito's quota, with \
        progress; every client is reported."
    )]
    async fn prune_dynamic_clients(
        &self,
        Parameters(req): Parameters<PruneDynamicClients>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<BulkReport>, ToolError> {
        let plan = self
            .admin
            .get()
            .await
            .plan_prune_dynamic_clients(&req, SystemTime::now(), self.bulk)
            .await?;
        self.finish_bulk("prune_dynamic_clients", plan, req.dry_run, None, ctx)
            .await
    }

    #[tool(
        description = "List the pool's CIMD policies: which app client each maps client ID \
        metadata document URLs to, and how long documents are cached."
    )]
    async fn list_cimd_policies(
        &self,
        Parameters(req): Parameters<ListCimdPolicies>,
    ) -> Result<Json<CimdPolicyPage>, ToolError> {
        Ok(Json(self.admin.get().await.list_cimd_policies(&req).await?))
    }

    #[tool(
        description = "Describe a CIMD policy: its URL patterns, app client, cache duration, \
        and the metadata document URLs Cognito has cached under it, with when each expires."
    )]
    async fn describe_cimd_policy(
        &self,
        Parameters(req): Parameters<CimdPolicyRef>,
    ) -> Result<Json<CimdPolicy>, ToolError> {
        Ok(Json(
            self.admin
                .get()
                .await
                .describe_cimd_policy(&req.policy_id)
                .await?,
        ))
    }

    #[tool(
        description = "Create a CIMD policy: MCP clients whose client_id is an https URL \
        matching one of `url_patterns` (one to five, `*` a wildcard) sign in with the metadata \
        document at that URL, within what the app client `client_id` allows."
    )]
    async fn create_cimd_policy(
        &self,
        Parameters(req): Parameters<CreateCimdPolicy>,
    ) -> Result<Json<CimdPolicy>, ToolError> {
        Ok(Json(self.admin.get().await.create_cimd_policy(&req).await?))
    }

    #[tool(
        description = "Update a CIMD policy: what is given (url_patterns, client_id, \
        policy_name, cache_duration_secs) replaces the old value, the rest is kept. Narrowing \
        the patterns stops the URLs they no longer match from signing in."
    )]
    async fn update_cimd_policy(
        &self,
        Parameters(req): Parameters<UpdateCimdPolicy>,
    ) -> Result<Json<CimdPolicy>, ToolError> {
        Ok(Json(self.admin.get().await.update_cimd_policy(&req).await?))
    }

    #[tool(
        description = "Delete a CIMD policy: clients whose metadata URLs only it matched can \
        no longer sign in. Asks for confirmation."
    )]
    async fn delete_cimd_policy(
        &self,
        Parameters(req): Parameters<CimdPolicyRef>,
    ) -> Result<Json<Value>, ToolError> {
        self.admin
            .get()
            .await
            .delete_cimd_policy(&req.policy_id)
            .await?;
        Ok(Json(json!({"deleted": req.policy_id})))
    }

    #[tool(
        description = "Drop Cognito's cached copy of one client metadata document, so a \
        changed or withdrawn document takes effect at once; with refetch true, fetch it again \
        now instead."
    )]
    async fn invalidate_client_metadata_url(
        &self,
        Parameters(req): Parameters<InvalidateMetadataUrl>,
    ) -> Result<Json<Value>, ToolError> {
        self.admin.get().await.invalidate_metadata_url(&req).await?;
        Ok(Json(json!({
            "url": req.url,
            "action": if req.refetch { "refreshed" } else { "invalidated" },
        })))
    }
}
