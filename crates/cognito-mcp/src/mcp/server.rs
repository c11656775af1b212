//! The MCP server: a thin rmcp adapter. It holds the [`State`] (the pipeline's stages and what
//! the tools act with) and the tools' router, and hands each request to the code that serves
//! it: tool calls to [`crate::mcp::pipeline`], resources to [`crate::mcp::resources`].

use std::sync::Arc;

use cognito_admin::audit::AuditWriter;
use cognito_jwt::{CognitoVerifier, Principal};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams,
    ReadResourceResponse, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use tracing::Instrument as _;

use crate::aws::LazyAdmin;
use crate::catalog::{self, ConfirmMode};
use crate::config::SignInSettings;
use crate::mcp::act_as::Acting;
use crate::mcp::audit::Auditor;
use crate::mcp::confirm::Confirmer;
use crate::mcp::confirm_state::ConfirmStates;
use crate::mcp::gate::Gate;
use crate::mcp::schema::{add_confirm_arg, annotated_router};
use crate::mcp::state::State;
use crate::mcp::{pipeline, principal_of, resources};
use crate::policy::{ToolPolicy, ToolScopes};
use crate::spans;

/// The Cognito admin MCP server.
#[derive(Clone)]
pub(crate) struct CognitoMcp {
    /// Everything, shared: over HTTP every request gets its own handler, a clone of this.
    shared: Arc<Shared>,
}

/// What all clones of [`CognitoMcp`] share.
struct Shared {
    state: State,
    tool_router: ToolRouter<State>,
    instructions: String,
}

impl std::ops::Deref for CognitoMcp {
    type Target = State;

    fn deref(&self) -> &State {
        &self.shared.state
    }
}

impl std::fmt::Debug for CognitoMcp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CognitoMcp")
            .field("pool_id", &self.admin.pool_id())
            .finish_non_exhaustive()
    }
}

impl CognitoMcp {
    pub(crate) fn new(
        admin: LazyAdmin,
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
        let acting = Acting::new(admin.settings().act_as);
        let mut tool_router = annotated_router();
        for route in tool_router.map.values_mut() {
            let spec = catalog::find(&route.attr.name).expect("in the catalogue");
            if safety.confirm_mode(spec) != ConfirmMode::Never {
                add_confirm_arg(&mut route.attr.input_schema, spec.bulk);
            }
        }
        Self {
            shared: Arc::new(Shared {
                state: State {
                    admin,
                    bulk,
                    gate: Gate::new(policy),
                    confirmer: Confirmer::new(safety),
                    auditor: Auditor::new(audit, actor),
                    acting,
                    verifier: None,
                    sign_in: Default::default(),
                },
                tool_router,
                instructions,
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
        let state = self.configure();
        state
            .gate
            .with_auth(scopes, Arc::new(policy.groups().clone()));
        state.verifier = verifier;
        self
    }

    /// The key of confirmation states (`COGNITO_MCP_STATE_KEY`, the proxy's key, or random).
    pub(crate) fn with_confirm_states(mut self, states: ConfirmStates) -> Self {
        self.configure().confirmer.with_states(states);
        self
    }

    /// The app client the sign-in checks use, and whether they return raw tokens.
    pub(crate) fn with_sign_in(mut self, sign_in: SignInSettings) -> Self {
        self.configure().sign_in = sign_in;
        self
    }

    /// The state, while the server is being configured (before it is shared).
    fn configure(&mut self) -> &mut State {
        &mut Arc::get_mut(&mut self.shared)
            .expect("configured before it is shared")
            .state
    }

    /// The tools this server lists to `principal`, with their annotations.
    pub(crate) fn listed_tools(&self, principal: Option<&Principal>) -> Vec<Tool> {
        let mut tools: Vec<Tool> = self
            .shared
            .tool_router
            .list_all()
            .into_iter()
            .filter(|t| catalog::find(&t.name).is_some_and(|s| self.gate.allows(s, principal)))
            .collect();
        tools.sort_by(|a, b| a.name.cmp(&b.name));
        tools
    }
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
        .with_instructions(self.shared.instructions.clone())
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
        let spec = catalog::find(name).filter(|s| self.gate.allows(s, None))?;
        self.shared.tool_router.get(spec.name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let span = spans::tool_call(&request.name, &context.extensions);
        pipeline::call_tool(
            &self.shared.state,
            &self.shared.tool_router,
            request,
            context,
        )
        .instrument(span)
        .await
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let principal = principal_of(&context.extensions);
        Ok(ListResourcesResult::with_all_items(resources::list(
            self,
            principal.as_ref(),
        )))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let principal = principal_of(&context.extensions);
        Ok(ListResourceTemplatesResult::with_all_items(
            resources::templates(self, principal.as_ref()),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let principal = principal_of(&context.extensions);
        let span = spans::resource_read(&context.extensions);
        resources::read(self, &request.uri, principal.as_ref(), &context.extensions)
            .instrument(span)
            .await
            .map(Into::into)
    }
}
