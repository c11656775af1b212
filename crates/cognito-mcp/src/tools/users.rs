//! The user tools: create, read, list, passwords, enable/disable, delete, attributes, sign-out.

use cognito_admin::{
    CreateUser, DeleteUserAttributes, ListUsers, Outcome, SetUserPassword, UpdateUserAttributes,
    User, UserPage, UserRef,
};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::{Json, tool, tool_router};

use crate::mcp::error::ToolError;
use crate::mcp::state::State;

#[tool_router(router = users_router, vis = "pub(crate)")]
impl State {
    #[tool(
        description = "Create a user. Give a username and usually an email; other attributes \
        by name (standard ones, or custom:NAME). Leave temporary_password out to let Cognito \
        generate one and send the invitation; set suppress_invitation to send nothing. \
        Optionally add the user to groups. Returns the new user (status FORCE_CHANGE_PASSWORD)."
    )]
    async fn create_user(
        &self,
        Parameters(req): Parameters<CreateUser>,
    ) -> Result<Json<User>, ToolError> {
        Ok(Json(self.admin.get().await.create_user(&req).await?))
    }

    #[tool(
        description = "Get one user: status (CONFIRMED, FORCE_CHANGE_PASSWORD, ...), whether \
        enabled, attributes, MFA settings and groups."
    )]
    async fn get_user(
        &self,
        Parameters(req): Parameters<UserRef>,
    ) -> Result<Json<User>, ToolError> {
        Ok(Json(self.admin.get().await.get_user(&req.username).await?))
    }

    #[tool(
        description = "List users, up to 60 per page (limit). Narrow with one filter such as \
        email ^= \"alice\" or cognito:user_status = \"UNCONFIRMED\" (only = and ^=; only \
        username, email, phone_number, name, given_name, family_name, preferred_username, \
        cognito:user_status, status, sub). Continue with pagination_token, or set all_pages to \
        fetch every page up to max_users."
    )]
    async fn list_users(
        &self,
        Parameters(req): Parameters<ListUsers>,
    ) -> Result<Json<UserPage>, ToolError> {
        Ok(Json(self.admin.get().await.list_users(&req).await?))
    }

    #[tool(
        description = "Set a user's password. permanent=true makes it final and confirms the \
        user; permanent=false (default) makes it temporary, to be changed at next sign-in. The \
        password is checked against the pool's policy first and never echoed."
    )]
    async fn set_user_password(
        &self,
        Parameters(req): Parameters<SetUserPassword>,
    ) -> Result<Json<Outcome>, ToolError> {
        Ok(Json(self.admin.get().await.set_user_password(&req).await?))
    }

    #[tool(
        description = "Reset a user's password: the current password stops working and \
        Cognito sends the user a code to choose a new one."
    )]
    async fn reset_user_password(
        &self,
        Parameters(req): Parameters<UserRef>,
    ) -> Result<Json<Outcome>, ToolError> {
        Ok(Json(
            self.admin
                .get()
                .await
                .reset_user_password(&req.username)
                .await?,
        ))
    }

    #[tool(description = "Enable a disabled user so they can sign in again.")]
    async fn enable_user(
        &self,
        Parameters(req): Parameters<UserRef>,
    ) -> Result<Json<Outcome>, ToolError> {
        Ok(Json(
            self.admin.get().await.enable_user(&req.username).await?,
        ))
    }

    #[tool(
        description = "Disable a user: they can no longer sign in. Reversible with enable_user."
    )]
    async fn disable_user(
        &self,
        Parameters(req): Parameters<UserRef>,
    ) -> Result<Json<Outcome>, ToolError> {
        Ok(Json(
            self.admin.get().await.disable_user(&req.username).await?,
        ))
    }

    #[tool(
        description = "Delete a user permanently. This cannot be undone; disable_user is the \
        reversible alternative."
    )]
    async fn delete_user(
        &self,
        Parameters(req): Parameters<UserRef>,
    ) -> Result<Json<Outcome>, ToolError> {
        Ok(Json(
            self.admin.get().await.delete_user(&req.username).await?,
        ))
    }

    #[tool(
        description = "Set user attributes, by name: standard ones (given_name, \
        phone_number in E.164 like +14155550123, ...) or custom:NAME."
    )]
    async fn update_user_attributes(
        &self,
        Parameters(req): Parameters<UpdateUserAttributes>,
    ) -> Result<Json<Outcome>, ToolError> {
        Ok(Json(
            self.admin.get().await.update_user_attributes(&req).await?,
        ))
    }

    #[tool(description = "Remove attributes from a user, by name.")]
    async fn delete_user_attributes(
        &self,
        Parameters(req): Parameters<DeleteUserAttributes>,
    ) -> Result<Json<Outcome>, ToolError> {
        Ok(Json(
            self.admin.get().await.delete_user_attributes(&req).await?,
        ))
    }

    #[tool(
        description = "Sign a user out of every device: revokes their refresh tokens. \
        Access tokens already issued stay valid until they expire."
    )]
    async fn sign_out_user(
        &self,
        Parameters(req): Parameters<UserRef>,
    ) -> Result<Json<Outcome>, ToolError> {
        Ok(Json(
            self.admin.get().await.sign_out_user(&req.username).await?,
        ))
    }
}
