//! The group tools: list, create, delete, membership.

use cognito_admin::{
    CreateGroup, Group, GroupPage, GroupRef, ListGroups, ListGroupsForUser, ListUsersInGroup,
    Membership, Outcome, UserPage,
};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::{Json, tool, tool_router};

use crate::mcp::error::ToolError;
use crate::mcp::state::State;

#[tool_router(router = groups_router, vis = "pub(crate)")]
impl State {
    #[tool(description = "List the pool's groups, up to 60 per page.")]
    async fn list_groups(
        &self,
        Parameters(req): Parameters<ListGroups>,
    ) -> Result<Json<GroupPage>, ToolError> {
        Ok(Json(self.admin.get().await.list_groups(&req).await?))
    }

    #[tool(description = "Create a group, with an optional description and precedence.")]
    async fn create_group(
        &self,
        Parameters(req): Parameters<CreateGroup>,
    ) -> Result<Json<Group>, ToolError> {
        Ok(Json(self.admin.get().await.create_group(&req).await?))
    }

    #[tool(description = "Delete a group. Its members stay in the pool.")]
    async fn delete_group(
        &self,
        Parameters(req): Parameters<GroupRef>,
    ) -> Result<Json<Outcome>, ToolError> {
        Ok(Json(self.admin.get().await.delete_group(&req.group).await?))
    }

    #[tool(description = "Add a user to a group.")]
    async fn add_user_to_group(
        &self,
        Parameters(req): Parameters<Membership>,
    ) -> Result<Json<Outcome>, ToolError> {
        Ok(Json(
            self.admin
                .get()
                .await
                .add_user_to_group(&req.username, &req.group)
                .await?,
        ))
    }

    #[tool(description = "Remove a user from a group.")]
    async fn remove_user_from_group(
        &self,
        Parameters(req): Parameters<Membership>,
    ) -> Result<Json<Outcome>, ToolError> {
        Ok(Json(
            self.admin
                .get()
                .await
                .remove_user_from_group(&req.username, &req.group)
                .await?,
        ))
    }

    #[tool(description = "List the groups a user belongs to.")]
    async fn list_groups_for_user(
        &self,
        Parameters(req): Parameters<ListGroupsForUser>,
    ) -> Result<Json<GroupPage>, ToolError> {
        Ok(Json(
            self.admin.get().await.list_groups_for_user(&req).await?,
        ))
    }

    #[tool(description = "List the members of a group, up to 60 per page.")]
    async fn list_users_in_group(
        &self,
        Parameters(req): Parameters<ListUsersInGroup>,
    ) -> Result<Json<UserPage>, ToolError> {
        Ok(Json(
            self.admin.get().await.list_users_in_group(&req).await?,
        ))
    }
}
