//! The MCP server: the tools, the resources, and the wrapper every call goes through
//! (policy check, AWS call recording, secret scrubbing, audit).

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use cognito_admin::audit::{AuditCall, AuditOutcome, AuditRecord, AuditWriter, is_secret_field};
use cognito_admin::privilege::{Privilege, acting_as};
use cognito_admin::{
    AppClientPage, CreateGroup, CreateUser, DeleteUserAttributes, Group, GroupPage, GroupRef,
    ListGroups, ListGroupsForUser, ListUserPoolClients, ListUsers, ListUsersInGroup, Membership,
    Outcome, PoolDescription, SetUserPassword, UpdateUserAttributes, User, UserPage, UserRef,
    calls,
};
use cognito_jwt::{CognitoVerifier, Principal, TokenUse};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ErrorCode, Extensions,
    Implementation, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult,
    Resource, ResourceContents, ResourceTemplate, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, Json, RoleServer, ServerHandler, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::{self, Effect, ToolSpec};
use crate::mcp::error::{ERROR_CODE_META, ToolError, error_result};
use crate::mcp::refusal::Refusal;
use crate::policy::ToolPolicy;
use crate::policy::ToolScopes;
use rmcp::handler::server::tool::IntoCallToolResult;

/// The pool description resource.
pub(crate) const POOL_URI: &str = "cognito://pool";
/// The user resource template.
pub(crate) const USER_URI_TEMPLATE: &str = "cognito://users/{username}";
const USER_URI_PREFIX: &str = "cognito://users/";

/// The Cognito admin MCP server.
#[derive(Clone)]
pub(crate) struct CognitoMcp {
    /// Everything, shared: over HTTP every request gets its own handler, a clone of this.
    shared: Arc<Shared>,
}

/// The server's state, shared by all clones of [`CognitoMcp`].
pub(crate) struct Shared {
    pub(crate) admin: crate::aws::LazyAdmin,
    pub(crate) safety: crate::config::SafetySettings,
    pub(crate) bulk: cognito_admin::BulkLimits,
    policy: ToolPolicy,
    audit: Option<Arc<AuditWriter>>,
    actor: String,
    instructions: String,
    scopes: Arc<ToolScopes>,
    /// What each Cognito group grants: a caller may change only groups, and users in groups,
    /// whose scopes they hold (`cognito_admin::privilege`).
    grants: Arc<std::collections::BTreeMap<String, std::collections::BTreeSet<String>>>,
    verifier: Option<CognitoVerifier>,
    tool_router: ToolRouter<CognitoMcp>,
    /// The sign-in checks' app client and whether they return raw tokens (`tools_mfa`).
    pub(crate) sign_in: crate::config::SignInSettings,
}

impl std::ops::Deref for CognitoMcp {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.shared
    }
}

impl CognitoMcp {
    /// The audit writer, when the audit is on: `read_audit` reads its file.
    pub(crate) fn audit_writer(&self) -> Option<&Arc<AuditWriter>> {
        self.audit.as_ref()
    }
}

/// The verified caller of an HTTP request (absent over stdio).
fn principal_of(ext: &Extensions) -> Option<Principal> {
    cognito_mcp_auth::Caller::from_mcp_extensions(ext).map(|c| c.0)
}

impl std::fmt::Debug for CognitoMcp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CognitoMcp")
            .field("pool_id", &self.admin.pool_id())
            .finish_non_exhaustive()
    }
}

/// Drops schemars' integer `format`s (`int32`, `uint64`, ...): they are not JSON Schema
/// formats, and strict validators (Ajv in the MCP Inspector and the TypeScript SDK) warn on them.
fn drop_integer_formats(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let integer_format = map.get("format").and_then(Value::as_str).is_some_and(|f| {
                matches!(
                    f,
                    "int8"
                        | "int16"
                        | "int32"
                        | "int64"
                        | "uint"
                        | "uint8"
                        | "uint16"
                        | "uint32"
                        | "uint64"
                )
            });
            if integer_format {
                map.remove("format");
            }
            map.values_mut().for_each(drop_integer_formats);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_integer_formats),
        _ => {}
    }
}

fn clean_schema(schema: &mut Arc<serde_json::Map<String, Value>>) {
    let mut v = Value::Object((**schema).clone());
    drop_integer_formats(&mut v);
    if let Value::Object(map) = v {
        *schema = Arc::new(map);
    }
}

/// Adds the `confirm` argument to a tool's input schema.
fn add_confirm_arg(schema: &mut Arc<serde_json::Map<String, Value>>, bulk: bool) {
    let target = if bulk {
        "the number of users the server names, like \"37 users\""
    } else {
        "the exact username (or group) of this call"
    };
    let mut map = (**schema).clone();
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        props.insert(
            crate::mcp::confirm::CONFIRM_ARG.into(),
            serde_json::json!({
                "type": "string",
                "description": format!(
                    "Only when this server answered confirmation_required: {target}. It is \
                     your own deliberate second call, not proof that a person agreed (the server \
                     cannot tell), so send it only after the person agreed to exactly this \
                     change. Clients that support MCP elicitation are asked directly instead, \
                     and this is ignored; a server with safety.confirm.require_person refuses \
                     it."
                ),
            }),
        );
    }
    *schema = Arc::new(map);
}

/// The router with each tool's title and annotations taken from the catalogue.
fn annotated_router() -> ToolRouter<CognitoMcp> {
    let mut router = CognitoMcp::tool_router()
        + CognitoMcp::bulk_router()
        + CognitoMcp::audit_router()
        + CognitoMcp::mfa_router();
    for route in router.map.values_mut() {
        let spec = catalog::find(&route.attr.name).expect("every routed tool is in the catalogue");
        route.attr.title = Some(spec.title.to_owned());
        clean_schema(&mut route.attr.input_schema);
        if let Some(out) = route.attr.output_schema.as_mut() {
            clean_schema(out);
        }
        route.attr.annotations = Some(
            ToolAnnotations::with_title(spec.title)
                .read_only(spec.is_read())
                .destructive(spec.effect == Effect::Destructive)
                .idempotent(spec.idempotent)
                .open_world(spec.sends_messages),
        );
    }
    router
}

impl CognitoMcp {
    pub(crate) fn new(
        admin: crate::aws::LazyAdmin,
        policy: ToolPolicy,
        audit: Option<Arc<AuditWriter>>,
        actor: &str,
    ) -> Self {
        let mode = if policy.enabled().iter().all(|t| t.is_read()) {
            " It is read-only."
        } else {
            ""
        };
        let instructions = format!(
            "Administers the Amazon Cognito user pool {}.{mode} Find users with list_users (filter \
             like email ^= \"ali\"), inspect them with get_user, then change them with the write \
             tools. Every failed call says what to change; retry with that change. Passwords are \
             checked against the pool's policy (describe_user_pool shows it) and never echoed.",
            admin.pool_id()
        );
        let safety = admin.settings().safety.clone();
        let bulk = admin.settings().bulk;
        let mut tool_router = annotated_router();
        for route in tool_router.map.values_mut() {
            let spec = catalog::find(&route.attr.name).expect("in the catalogue");
            if safety.confirm_mode(spec) != catalog::ConfirmMode::Never {
                add_confirm_arg(&mut route.attr.input_schema, spec.bulk);
            }
        }
        Self {
            shared: Arc::new(Shared {
                admin,
                safety,
                bulk,
                policy,
                audit,
                actor: actor.to_owned(),
                instructions,
                scopes: Arc::new(ToolScopes::new("mcp", Default::default())),
                grants: Default::default(),
                verifier: None,
                tool_router,
                sign_in: Default::default(),
            }),
        }
    }

    /// The scopes each tool needs over HTTP, what each group grants, and the verifier
    /// `verify_token` uses.
    pub(crate) fn with_auth(
        mut self,
        scopes: Arc<ToolScopes>,
        policy: &cognito_jwt::ScopePolicy,
        verifier: Option<CognitoVerifier>,
    ) -> Self {
        let shared = Arc::get_mut(&mut self.shared).expect("configured before it is shared");
        shared.scopes = scopes;
        shared.grants = Arc::new(policy.groups().clone());
        shared.verifier = verifier;
        self
    }

    /// The acting caller's privilege for the writes of one call: what they hold, checked
    /// against what each target group and user holds. `None` over stdio.
    fn privilege(&self, principal: Option<&Principal>) -> Option<Arc<Privilege>> {
        principal.map(|p| Arc::new(Privilege::new(p.scopes().clone(), self.grants.clone())))
    }

    /// The app client the sign-in checks use, and whether they return raw tokens.
    pub(crate) fn with_sign_in(mut self, sign_in: crate::config::SignInSettings) -> Self {
        let shared = Arc::get_mut(&mut self.shared).expect("configured before it is shared");
        shared.sign_in = sign_in;
        self
    }

    /// Whether `spec` may run for `principal` (no message built: listing is on the hot path).
    fn allowed(&self, spec: &ToolSpec, principal: Option<&Principal>) -> bool {
        self.policy.allows(spec)
            && principal.is_none_or(|p| self.scopes.required(spec).is_none_or(|s| p.has_scope(s)))
    }

    /// Why `spec` may not run for `principal`, or `None`.
    fn refusal(&self, spec: &ToolSpec, principal: Option<&Principal>) -> Option<Refusal> {
        if let Some(reason) = self.policy.refusal(spec) {
            return Some(Refusal::ToolDisabled { reason });
        }
        let p = principal?;
        let needed = self.scopes.required(spec)?;
        if p.has_scope(needed) {
            return None;
        }
        Some(Refusal::InsufficientScope {
            tool: spec.name,
            needed: needed.to_owned(),
            held: p.scopes().iter().cloned().collect(),
        })
    }

    /// The audit actor: the caller's identity over HTTP, `local` over stdio.
    fn actor_for(&self, principal: Option<&Principal>) -> String {
        principal
            .map(Principal::actor)
            .unwrap_or_else(|| self.actor.clone())
    }

    /// The tools this server lists, with their annotations.
    pub(crate) fn listed_tools(&self, principal: Option<&Principal>) -> Vec<Tool> {
        let mut tools: Vec<Tool> = self
            .tool_router
            .list_all()
            .into_iter()
            .filter(|t| catalog::find(&t.name).is_some_and(|s| self.allowed(s, principal)))
            .collect();
        tools.sort_by(|a, b| a.name.cmp(&b.name));
        tools
    }

    fn write_audit(&self, record: AuditRecord) {
        if let Some(writer) = &self.audit {
            writer.record(record);
        }
    }
}

/// Who is calling (`whoami`).
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct WhoAmI {
    /// `http` (a verified Cognito token) or `stdio` (the local user, trusted without a token).
    transport: String,
    /// The identity the audit trail records.
    actor: String,
    /// The token's subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    /// The username (client-credentials tokens have none).
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    /// Cognito groups.
    groups: Vec<String>,
    /// Effective scopes: what the caller's groups grant, narrowed by the server's scopes their
    /// token carries (a token's own scopes never add to them).
    scopes: Vec<String>,
    /// What each scope held allows, and the tools needing it. A write also needs every scope
    /// its target group, or its target user's groups, grant.
    allows: Vec<crate::scopes::ScopeRow>,
    /// The app client the token was issued to.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    /// When the token expires, seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<u64>,
    /// The tools this caller may call.
    tools: Vec<String>,
}

/// Which kind of token `verify_token` expects.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TokenKind {
    /// An access token (`token_use` = `access`).
    #[default]
    Access,
    /// An id token (`token_use` = `id`).
    Id,
}

/// Input of `verify_token`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VerifyTokenInput {
    /// The JWT to check. It is never echoed or logged.
    token: cognito_admin::Secret,
    /// `access` (default) or `id`.
    #[serde(default)]
    token_use: TokenKind,
}

/// The claims of a valid token.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct TokenClaims {
    /// `access` or `id`.
    token_use: String,
    /// Subject.
    sub: String,
    /// Username, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    /// App client.
    client_id: String,
    /// Cognito groups.
    groups: Vec<String>,
    /// Scopes of the token itself.
    scopes: Vec<String>,
    /// Email (id tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    /// Custom attributes, without the `custom:` prefix.
    custom: std::collections::BTreeMap<String, String>,
    /// Expiry, seconds since the epoch.
    exp: u64,
    /// Issued at.
    #[serde(skip_serializing_if = "Option::is_none")]
    iat: Option<u64>,
}

/// The verdict of `verify_token`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct TokenVerdict {
    /// Whether the token passed every check.
    valid: bool,
    /// The rule that rejected it (`expired`, `bad_signature`, `wrong_issuer`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    reason_code: Option<String>,
    /// The rejection in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    /// The claims, when valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    claims: Option<TokenClaims>,
}

#[tool_router]
impl CognitoMcp {
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

    #[tool(
        description = "Who am I: the caller's identity as this server sees it: subject, \
        username, groups, effective scopes, app client, token expiry, and the tools they may call."
    )]
    async fn whoami(&self, ext: Extensions) -> Result<Json<WhoAmI>, ToolError> {
        let principal = principal_of(&ext);
        let tools = catalog::TOOLS
            .iter()
            .filter(|t| self.allowed(t, principal.as_ref()))
            .map(|t| t.name.to_owned())
            .collect();
        let allows = crate::scopes::table(self.scopes.resource_server(), &self.scopes)
            .into_iter()
            .filter(|row| principal.as_ref().is_none_or(|p| p.has_scope(&row.scope)))
            .collect();
        Ok(Json(match &principal {
            Some(p) => WhoAmI {
                transport: "http".into(),
                actor: p.actor(),
                sub: Some(p.sub().to_owned()),
                username: p.username().map(str::to_owned),
                groups: p.groups().to_vec(),
                scopes: p.scopes().iter().cloned().collect(),
                client_id: Some(p.claims().client_id.clone()),
                expires_at: Some(p.claims().exp),
                allows,
                tools,
            },
            None => WhoAmI {
                transport: "stdio".into(),
                actor: self.actor.clone(),
                sub: None,
                username: None,
                groups: Vec::new(),
                scopes: Vec::new(),
                client_id: None,
                expires_at: None,
                allows,
                tools,
            },
        }))
    }

    #[tool(
        description = "Verify a Cognito JWT (access by default, or id) against this pool: \
        signature, issuer, token_use, app client and time. Returns the claims, or the exact rule \
        that rejected it. The token is never echoed."
    )]
    async fn verify_token(
        &self,
        Parameters(req): Parameters<VerifyTokenInput>,
    ) -> Result<Json<TokenVerdict>, ToolError> {
        let Some(verifier) = &self.verifier else {
            return Err(ToolError::Admin(cognito_admin::AdminError::Invalid(cognito_admin::validate::Invalid {
                field: "token".into(),
                problem: "cannot be checked: this server has no app client id to check tokens against".into(),
                requirement: "the operator sets COGNITO_CLIENT_ID, or auth.client_ids (in proxy mode, auth.client_ids only)".into(),
                example: "COGNITO_CLIENT_ID=1example23456789".into(),
            })));
        };
        let kind = match req.token_use {
            TokenKind::Access => TokenUse::Access,
            TokenKind::Id => TokenUse::Id,
        };
        Ok(Json(
            match verifier.verify_as(req.token.expose(), kind).await {
                Ok(c) => TokenVerdict {
                    valid: true,
                    reason_code: None,
                    reason: None,
                    claims: Some(TokenClaims {
                        token_use: c.token_use.as_str().to_owned(),
                        sub: c.sub.clone(),
                        username: c.username.clone(),
                        client_id: c.client_id.clone(),
                        groups: c.groups.clone(),
                        scopes: c.scopes.clone(),
                        email: c.email.clone(),
                        custom: c.custom.clone(),
                        exp: c.exp,
                        iat: c.iat,
                    }),
                },
                Err(e) => TokenVerdict {
                    valid: false,
                    reason_code: Some(e.code().to_owned()),
                    reason: Some(e.to_string()),
                    claims: None,
                },
            },
        ))
    }
}

/// Secrets shorter than this are not scrubbed from answers (they are still never echoed).
const MIN_SCRUB_LEN: usize = 6;

/// The values of secret fields in `args` (any scalar, at any depth), to scrub from anything
/// sent back.
fn secret_values(args: &Value, out: &mut Vec<String>) {
    match args {
        Value::Object(map) => {
            for (k, v) in map {
                if is_secret_field(k) {
                    let text = match v {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    };
                    // Cognito passwords are at least 6 characters; shorter strings would
                    // scrub ordinary words out of the answer and say nothing secret.
                    if let Some(t) = text.filter(|t| t.chars().count() >= MIN_SCRUB_LEN) {
                        // The text block of a structured result holds the JSON-escaped form.
                        let escaped = Value::String(t.clone()).to_string();
                        let escaped = &escaped[1..escaped.len() - 1];
                        if escaped != t {
                            out.push(escaped.to_owned());
                        }
                        out.push(t);
                    }
                }
                secret_values(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| secret_values(v, out)),
        _ => {}
    }
}

fn scrub_text(text: &mut String, secrets: &[String]) {
    for s in secrets {
        if text.contains(s.as_str()) {
            *text = text.replace(s.as_str(), cognito_admin::audit::REDACTED);
        }
    }
}

fn scrub_value(value: &mut Value, secrets: &[String]) {
    match value {
        Value::String(s) => scrub_text(s, secrets),
        Value::Array(items) => items.iter_mut().for_each(|v| scrub_value(v, secrets)),
        Value::Object(map) => map.values_mut().for_each(|v| scrub_value(v, secrets)),
        _ => {}
    }
}

/// Replaces every secret of the call that appears in the result.
fn scrub(result: &mut CallToolResult, secrets: &[String]) {
    if secrets.is_empty() {
        return;
    }
    for block in &mut result.content {
        if let ContentBlock::Text(t) = block {
            scrub_text(&mut t.text, secrets);
        }
    }
    if let Some(v) = result.structured_content.as_mut() {
        scrub_value(v, secrets);
    }
}

/// The arguments as the audit records them: secret fields redacted, and the values of keys
/// the tool does not know (a misspelt `pasword`, say) withheld, since they cannot be told
/// apart from secrets.
fn audit_arguments(arguments: &Value, known: Option<&serde_json::Map<String, Value>>) -> Value {
    match arguments {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let keep = known.is_some_and(|props| props.contains_key(k));
                    let v = if keep {
                        v.clone()
                    } else {
                        Value::String(cognito_admin::audit::REDACTED.into())
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

impl CognitoMcp {
    async fn run_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let started = SystemTime::now();
        let clock = Instant::now();
        let name = request.name.to_string();
        let principal = principal_of(&context.extensions);
        let actor = self.actor_for(principal.as_ref());
        let mut request = request;
        let mut context = context;
        let confirm = request
            .arguments
            .as_mut()
            .and_then(|a| a.remove(crate::mcp::confirm::CONFIRM_ARG));
        // Shared with the tool through the request's extensions, without copying the arguments.
        let call = Arc::new(crate::mcp::confirm::CallState {
            actor: actor.clone(),
            confirm: confirm.as_ref().and_then(Value::as_str).map(str::to_owned),
            arguments: Value::Object(request.arguments.clone().unwrap_or_default()),
            responses: request.input_responses.clone(),
            request_state: request.request_state.clone(),
            notes: Default::default(),
        });
        context.extensions.insert(call.clone());
        let raw_arguments = &call.arguments;
        let mut secrets = Vec::new();
        secret_values(raw_arguments, &mut secrets);
        let known = self.tool_router.get(&name).map(|t| t.input_schema.clone());
        let known_props = known
            .as_ref()
            .and_then(|s| s.get("properties"))
            .and_then(Value::as_object);
        let arguments = audit_arguments(raw_arguments, known_props);
        let Some(spec) = catalog::find(&name) else {
            let mut record = AuditRecord::new(started, clock.elapsed(), &actor, &name, arguments);
            record.outcome = AuditOutcome::Error;
            record.error = Some("unknown_tool".into());
            self.write_audit(record);
            return Err(ErrorData::invalid_params(
                format!("unknown tool {name:?}; the tools are: {}", catalog::names()),
                None,
            ));
        };

        if let Some(refusal) = self.refusal(spec, principal.as_ref()) {
            let mut record = AuditRecord::new(started, clock.elapsed(), &actor, &name, arguments);
            record.outcome = refusal.outcome();
            record.error = Some(refusal.code().into());
            self.write_audit(record);
            return Ok(refusal.into_result().into());
        }

        let privilege = self.privilege(principal.as_ref());
        // Boxed: the tool futures are large, and the privilege scope wraps them once more.
        let work = Box::pin(async {
            if let Err(e) = self.confirm_single(spec, &context, &call).await {
                return e.into_call_tool_result();
            }
            let ctx = ToolCallContext::new(self, request, context);
            self.tool_router.call(ctx).await
        });
        let (result, aws_calls) = calls::collect(async {
            match privilege {
                Some(p) => acting_as(p, work).await,
                None => work.await,
            }
        })
        .await;
        let mut result = match result {
            Err(e) if e.code == ErrorCode::INVALID_PARAMS => {
                // Bad arguments are the agent's to fix: answer as a tool error it can read.
                let text = format!(
                    "Error (invalid_arguments): {}.\nHow to fix: send arguments that match the \
                     tool's inputSchema (field names, types and required fields).",
                    e.message
                );
                CallToolResponse::Complete(error_result("invalid_arguments", false, text))
            }
            Err(e) => {
                let mut record =
                    AuditRecord::new(started, clock.elapsed(), &actor, &name, arguments);
                record.outcome = AuditOutcome::Error;
                record.error = Some("internal_error".into());
                record.aws_calls = aws_calls.iter().map(AuditCall::from).collect();
                self.write_audit(record);
                return Err(e);
            }
            Ok(r) => r,
        };
        let mut record = AuditRecord::new(started, clock.elapsed(), &actor, &name, arguments);
        record.aws_calls = aws_calls.iter().map(AuditCall::from).collect();
        {
            let notes = call.notes.lock().unwrap_or_else(|p| p.into_inner());
            record.confirmed_by = notes.confirmed_by.map(str::to_owned);
            record.summary = notes.summary.clone();
            if notes
                .summary
                .as_ref()
                .and_then(|s| s.get("cancelled"))
                .and_then(Value::as_bool)
                == Some(true)
            {
                record.outcome = AuditOutcome::Cancelled;
            }
        }
        if let CallToolResponse::InputRequired(_) = &result {
            record.outcome = AuditOutcome::InputRequired;
        }
        if let CallToolResponse::Complete(r) = &mut result {
            scrub(r, &secrets);
            if r.is_error == Some(true)
                && r.meta
                    .as_ref()
                    .is_none_or(|m| !m.contains_key(ERROR_CODE_META))
            {
                // rmcp answers arguments that do not deserialize with a bare tool error.
                let detail = crate::mcp::server::text_of(r);
                *r = error_result(
                    "invalid_arguments",
                    false,
                    format!(
                        "Error (invalid_arguments): {detail}.\nHow to fix: send arguments that \
                         match the tool's inputSchema (field names, types and required fields)."
                    ),
                );
            }
            if r.is_error == Some(true) {
                record.error = r
                    .meta
                    .as_ref()
                    .and_then(|m| m.get(ERROR_CODE_META))
                    .and_then(|v| v.get("code"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or(Some("error".into()));
                record.outcome = match record.error.as_deref() {
                    Some(
                        "declined"
                        | "confirmation_required"
                        | "protected"
                        | "insufficient_scope"
                        | "person_required",
                    ) => AuditOutcome::Refused,
                    Some(c) if crate::mcp::confirm_state::STATE_ERROR_CODES.contains(&c) => {
                        AuditOutcome::Refused
                    }
                    _ => AuditOutcome::Error,
                };
            }
        }
        self.write_audit(record);
        Ok(result)
    }

    /// Confirms a single-target tool (delete_user, disable_user, ...) before it runs, when
    /// its confirmation mode asks for it. Protected names are refused first, so no one is
    /// asked to confirm what would be refused anyway. Arguments without a valid target are left
    /// to the tool, which rejects them.
    async fn confirm_single(
        &self,
        spec: &ToolSpec,
        context: &RequestContext<RoleServer>,
        call: &crate::mcp::confirm::CallState,
    ) -> Result<(), ToolError> {
        if spec.bulk || !self.needs_confirm(spec, 1) {
            return Ok(());
        }
        let arg = |k: &str| call.arguments.get(k).and_then(Value::as_str);
        let admin = self.admin.get().await;
        let valid_user =
            arg("username").filter(|u| cognito_admin::validate::username("username", u).is_ok());
        let valid_group =
            arg("group").filter(|g| cognito_admin::validate::group_name("group", g).is_ok());
        let (target, effect) = if let Some(username) = valid_user {
            admin.check_user_writable("username", username).await?;
            admin.check_user_privilege("username", username).await?;
            let effect = spec.single_effect(username);
            (username.to_owned(), effect)
        } else if let Some(group) = valid_group {
            admin.check_group_writable("group", group)?;
            admin.check_group_privilege("group", group)?;
            let effect = spec.single_effect(group);
            (group.to_owned(), effect)
        } else if spec.target == catalog::Target::Pool {
            let pool = self.admin.pool_id().to_owned();
            let effect = spec.single_effect(&pool);
            (pool, effect)
        } else {
            return Ok(());
        };
        self.confirm(
            spec,
            context,
            call,
            &crate::mcp::confirm::Ask { target, effect },
        )
        .await
    }

    /// Which resource a URI names: the tool that serves it and the username, if any.
    fn resolve(uri: &str) -> Result<(&'static str, Option<String>), ErrorData> {
        if uri == POOL_URI {
            Ok(("describe_user_pool", None))
        } else if let Some(username) = uri.strip_prefix(USER_URI_PREFIX) {
            let username = percent_decode(username).ok_or_else(|| {
                ErrorData::invalid_params(format!("{uri:?} is not a valid user URI"), None)
            })?;
            Ok(("get_user", Some(username)))
        } else {
            Err(ErrorData::resource_not_found(
                format!(
                    "no resource {uri:?}; the resources are {POOL_URI} and {USER_URI_TEMPLATE}"
                ),
                None,
            ))
        }
    }

    /// Reads a resource whose tool is allowed (checked by the caller, before any AWS call).
    async fn read(
        &self,
        uri: &str,
        username: Option<&str>,
    ) -> Result<ReadResourceResult, ErrorData> {
        let value = match username {
            None => self
                .admin
                .get()
                .await
                .describe_user_pool()
                .await
                .map(serde_json::to_value),
            Some(username) => self
                .admin
                .get()
                .await
                .get_user(username)
                .await
                .map(serde_json::to_value),
        };
        match value {
            Ok(Ok(v)) => Ok(ReadResourceResult::new(vec![
                ResourceContents::text(v.to_string(), uri).with_mime_type("application/json"),
            ])),
            Ok(Err(e)) => Err(ErrorData::internal_error(
                format!("cannot serialize {uri}: {e}"),
                None,
            )),
            Err(e) => {
                let message = format!("{e}. How to fix: {}", e.hint());
                Err(match e {
                    cognito_admin::AdminError::UserNotFound { .. } => {
                        ErrorData::resource_not_found(message, None)
                    }
                    cognito_admin::AdminError::Invalid(_) => {
                        ErrorData::invalid_params(message, None)
                    }
                    _ => ErrorData::internal_error(message, None),
                })
            }
        }
    }
}

/// Decodes `%XX` escapes of a URI path segment.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl ServerHandler for CognitoMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new(
            "cognito-mcp",
            env!("CARGO_PKG_VERSION"),
        ))
        .with_instructions(self.instructions.clone())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let principal = principal_of(&context.extensions);
        Ok(ListToolsResult::with_all_items(
            self.listed_tools(principal.as_ref()),
        ))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        let spec = catalog::find(name).filter(|s| self.allowed(s, None))?;
        self.tool_router.get(spec.name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        self.run_tool(request, context).await
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let principal = principal_of(&context.extensions);
        let mut resources = Vec::new();
        if catalog::find("describe_user_pool").is_some_and(|s| self.allowed(s, principal.as_ref()))
        {
            resources.push(
                Resource::new(POOL_URI, "user_pool")
                    .with_title("The user pool")
                    .with_description("The pool's settings, password policy and MFA configuration")
                    .with_mime_type("application/json"),
            );
        }
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let principal = principal_of(&context.extensions);
        let mut templates = Vec::new();
        if catalog::find("get_user").is_some_and(|s| self.allowed(s, principal.as_ref())) {
            templates.push(
                ResourceTemplate::new(USER_URI_TEMPLATE, "user")
                    .with_title("A user")
                    .with_description("One user: status, attributes, MFA settings and groups")
                    .with_mime_type("application/json"),
            );
        }
        Ok(ListResourceTemplatesResult::with_all_items(templates))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let started = SystemTime::now();
        let clock = Instant::now();
        let uri = request.uri.clone();
        let principal = principal_of(&context.extensions);
        let actor = self.actor_for(principal.as_ref());
        let audit_args = serde_json::json!({ "uri": uri });
        let (tool, username) = Self::resolve(&uri)?;
        let spec = catalog::find(tool).expect("resource tools are in the catalogue");
        if let Some(refusal) = self.refusal(spec, principal.as_ref()) {
            let mut record = AuditRecord::new(
                started,
                clock.elapsed(),
                &actor,
                "read_resource",
                audit_args,
            );
            record.outcome = refusal.outcome();
            record.error = Some(refusal.code().into());
            self.write_audit(record);
            return Err(ErrorData::invalid_request(
                format!("resource {uri} is unavailable: {}", refusal.reason()),
                None,
            ));
        }
        let (result, aws_calls) = calls::collect(self.read(&uri, username.as_deref())).await;
        let mut record = AuditRecord::new(
            started,
            clock.elapsed(),
            &actor,
            "read_resource",
            audit_args,
        );
        record.aws_calls = aws_calls.iter().map(AuditCall::from).collect();
        if let Err(e) = &result {
            record.outcome = AuditOutcome::Error;
            record.error = Some(format!("{:?}", e.code));
        }
        self.write_audit(record);
        result.map(Into::into)
    }
}

/// The text blocks of a result, joined.
pub(crate) fn text_of(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| match c {
            ContentBlock::Text(t) => Some(t.text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn router_and_catalogue_agree() {
        let router = annotated_router();
        let mut routed: Vec<String> = router
            .list_all()
            .iter()
            .map(|t| t.name.to_string())
            .collect();
        routed.sort();
        let mut listed: Vec<String> = catalog::TOOLS.iter().map(|t| t.name.to_owned()).collect();
        listed.sort();
        assert_eq!(routed, listed);
    }

    #[test]
    fn every_tool_has_schemas_and_truthful_annotations() {
        for tool in annotated_router().list_all() {
            let spec = catalog::find(&tool.name).expect("in catalogue");
            let a = tool.annotations.as_ref().expect("annotations");
            assert_eq!(a.read_only_hint, Some(spec.is_read()), "{}", tool.name);
            assert_eq!(
                a.destructive_hint,
                Some(spec.effect == Effect::Destructive),
                "{}",
                tool.name
            );
            assert_eq!(a.idempotent_hint, Some(spec.idempotent), "{}", tool.name);
            assert_eq!(
                a.open_world_hint,
                Some(spec.sends_messages),
                "{}",
                tool.name
            );
            assert!(
                tool.output_schema.is_some(),
                "{} has no output schema",
                tool.name
            );
            let text = format!("{:?}{:?}", tool.input_schema, tool.output_schema);
            assert!(
                !text.contains("uint") && !text.contains("int32"),
                "{} keeps integer formats",
                tool.name
            );
            assert_eq!(
                tool.input_schema.get("type").and_then(Value::as_str),
                Some("object"),
                "{}",
                tool.name
            );
            assert!(
                tool.description.as_deref().is_some_and(|d| d.len() > 20),
                "{}",
                tool.name
            );
        }
    }

    #[test]
    fn secrets_are_found_and_scrubbed() {
        let args = serde_json::json!({"username": "a", "password": "Very-Secret-1", "x": [{"temporary_password": "T3mp-Secret!"}], "client_secret": 12345678});
        let mut secrets = Vec::new();
        secret_values(&args, &mut secrets);
        assert_eq!(secrets.len(), 3);
        let mut r = CallToolResult::structured(
            serde_json::json!({"echo": "Very-Secret-1 and T3mp-Secret!"}),
        );
        scrub(&mut r, &secrets);
        let all = format!("{:?}", r);
        assert!(
            !all.contains("Very-Secret-1") && !all.contains("T3mp-Secret!"),
            "{all}"
        );
    }

    #[test]
    fn unknown_argument_values_are_withheld_from_audit() {
        let known: serde_json::Map<String, Value> =
            serde_json::from_value(serde_json::json!({"username": {}, "password": {}}))
                .expect("map");
        let args = serde_json::json!({"username": "a", "pasword": "S3cret-typo", "pwd": 5});
        let v = audit_arguments(&args, Some(&known));
        assert_eq!(v["username"], "a");
        assert_eq!(v["pasword"], "[REDACTED]");
        assert_eq!(v["pwd"], "[REDACTED]");
        assert!(!v.to_string().contains("S3cret"));
    }

    #[test]
    fn quoted_secrets_are_scrubbed_from_structured_content() {
        let secrets = [r#"Pa"ss\word-1"#.to_owned()];
        let mut found = Vec::new();
        secret_values(&serde_json::json!({"password": secrets[0]}), &mut found);
        let mut r = CallToolResult::structured(serde_json::json!({"echo": r#"x Pa"ss\word-1 y"#}));
        scrub(&mut r, &found);
        assert_eq!(
            r.structured_content.as_ref().expect("structured")["echo"],
            "x [REDACTED] y"
        );
        assert!(!text_of(&r).contains("word-1"), "{}", text_of(&r));
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(
            percent_decode("alice%40example.com").as_deref(),
            Some("alice@example.com")
        );
        assert_eq!(percent_decode("plain").as_deref(), Some("plain"));
        assert_eq!(percent_decode("bad%4"), None);
        assert_eq!(percent_decode("bad%zz"), None);
        assert_eq!(percent_decode("bad%+1"), None);
    }
}
