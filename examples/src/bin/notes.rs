//! A notes MCP server protected by Amazon Cognito, with cognito-mcp-auth's public API only. Its
//! settings come from the environment (`COGNITO_USER_POOL_ID`, `COGNITO_CLIENT_ID`, ...) and the
//! file `COGNITO_MCP_CONFIG` names, which can turn on proxy mode: docs/protect-your-server.md.
use std::sync::{Arc, Mutex};

use cognito_mcp_auth::{AuthConfig, Caller, CognitoAuth, Forbidden};
use rmcp::handler::server::{router::tool::ToolRouter, wrapper::Parameters};
use rmcp::model::{ListToolsResult, PaginatedRequestParams};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler, service::RequestContext, tool, tool_handler, tool_router};

static NOTES: Mutex<Vec<String>> = Mutex::new(Vec::new());

#[derive(Clone)]
struct Notes {
    auth: CognitoAuth,
    tool_router: ToolRouter<Self>,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Note {
    text: String,
}

#[tool_router]
impl Notes {
    #[tool(description = "Who is calling: sub, username, groups, scopes")]
    async fn whoami(&self, caller: Caller) -> String {
        serde_json::json!(caller.summary()).to_string()
    }
    #[tool(description = "List the notes")]
    async fn list_notes(&self) -> String {
        NOTES.lock().expect("lock").join("\n")
    }
    #[tool(description = "Add a note")]
    async fn add_note(&self, caller: Caller, Parameters(note): Parameters<Note>) -> String {
        NOTES.lock().expect("lock").push(format!("{} (by {})", note.text, caller.sub()));
        "added".into()
    }
    #[tool(description = "Delete every note (Admins only)")]
    async fn clear_notes(&self, caller: Caller) -> Result<String, Forbidden> {
        caller.require_group("Admins")?;
        NOTES.lock().expect("lock").clear();
        Ok("cleared".into())
    }
}

#[tool_handler]
impl ServerHandler for Notes {
    async fn list_tools(
        &self,
        _: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(self.auth.list_tools(&cx.extensions, self.tool_router.list_all()))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let mut config = AuthConfig::from_env()?;
    config.public_url.get_or_insert(format!("http://{}", listener.local_addr()?));
    let auth = CognitoAuth::builder(config)
        .tool_scopes([("list_notes", "mcp/read"), ("add_note", "mcp/write"), ("clear_notes", "mcp/admin")])
        .build()
        .await?;
    let notes = Notes { auth: auth.clone(), tool_router: Notes::tool_router() };
    let stateless =
        StreamableHttpServerConfig::default().with_legacy_session_mode(false).with_json_response(true);
    let mcp = StreamableHttpService::new(
        move || Ok(notes.clone()),
        Arc::new(LocalSessionManager::default()),
        stateless,
    );
    let app = axum::Router::new().nest_service("/mcp", mcp).merge(auth.routes()).layer(auth.layer());
    println!("listening on {}", auth.resource().trim_end_matches("/mcp"));
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await?;
    Ok(())
}
