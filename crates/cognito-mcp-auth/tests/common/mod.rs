//! The in-process harness of the library's proxy-mode tests: [`CognitoAuth`] built from an
//! [`AuthConfig`] in this process, its routes and bearer layer around a small MCP endpoint,
//! served on a loopback listener, with a manual clock. The pool is moto's and the hosted UI
//! is the stand-in (`cognito_mcp_testkit`); the browser and the OAuth client requests are
//! `cognito_mcp_testkit::oauth`, re-exported here. No `cognito-mcp` binary is involved.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::routing::post;
use cognito_jwt::testing::ManualClock;
use cognito_mcp_auth::{AuthConfig, Caller, CognitoAuth};
use serde_json::{Value, json};

#[allow(unused_imports)]
pub use cognito_mcp_testkit::oauth::*;
#[allow(unused_imports)]
pub use cognito_mcp_testkit::standin::{REDIRECT, StandIn, UPSTREAM_CLIENT, UPSTREAM_SECRET};
#[allow(unused_imports)]
pub use cognito_mcp_testkit::{Pool, Reply, moto, new_pool, rpc, sdk_client, tokens_for};

/// The scope the endpoint's one write tool needs, as the binary's admin tools do.
pub const ADMIN_TOOL: (&str, &str) = ("disable_user", "mcp/admin");

/// `CognitoAuth` in proxy mode, served on a loopback port; stops when dropped.
pub struct Server {
    /// `http://127.0.0.1:PORT`, the issuer and public URL.
    pub base: String,
    /// The library object under test.
    pub auth: CognitoAuth,
    /// The clock of the authorization server, its store and the sign-in page.
    pub clock: ManualClock,
    _state: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The `[auth]` config of proxy mode (the binary's tests use the same), plus `extra_auth`
/// lines in `[auth]` and `extra_dcr` lines in `[auth.dcr]`.
pub fn config_toml(extra_auth: &str, extra_dcr: &str) -> String {
    format!(
        "[auth]\nenabled = true\nprovider = \"cognito\"\n{extra_auth}\n\n[auth.dcr]\n\
         public_client_patterns = [\"public-test-client\", \"mcp-inspector\", \"claude\"]\n{extra_dcr}\n"
    )
}

/// What an MCP server would answer, enough for the rules: `tools/list`, and `tools/call`
/// returning the caller (`whoami`). The bearer layer has already verified the token and
/// checked the tool's scope when this runs.
async fn mcp(caller: Caller, Json(req): Json<Value>) -> Json<Value> {
    let result = match req["method"].as_str() {
        Some("tools/list") => json!({"tools": [{"name": "whoami"}, {"name": ADMIN_TOOL.0}]}),
        Some("tools/call") => json!({"structuredContent": {
            "username": caller.username(),
            "groups": caller.groups(),
            "scopes": caller.scopes(),
        }}),
        _ => json!({}),
    };
    Json(json!({"jsonrpc": "2.0", "id": req["id"], "result": result}))
}

/// Proxy mode for `pool`, signing in at `upstream`, its state in a fresh directory.
pub async fn serve_proxy(
    pool: &Pool,
    upstream: &StandIn,
    extra_auth: &str,
    extra_dcr: &str,
) -> Server {
    serve_proxy_env(pool, upstream, extra_auth, extra_dcr, &[]).await
}

/// [`serve_proxy`] with `env` first: its values win (`COGNITO_MCP_PUBLIC_URL`, say, for a
/// public URL other than the listener's).
pub async fn serve_proxy_env(
    pool: &Pool,
    upstream: &StandIn,
    extra_auth: &str,
    extra_dcr: &str,
    env: &[(&'static str, &str)],
) -> Server {
    let mut env: Vec<(&'static str, String)> =
        env.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
    env.extend([
        ("COGNITO_CLIENT_ID", UPSTREAM_CLIENT.to_owned()),
        ("COGNITO_CLIENT_SECRET", UPSTREAM_SECRET.to_owned()),
        (
            "COGNITO_DISCOVERY_URL",
            format!("{}/.well-known/openid-configuration", upstream.issuer),
        ),
        ("COGNITO_UPSTREAM_ISSUER", upstream.issuer.clone()),
    ]);
    serve(pool, env, extra_auth, extra_dcr).await
}

/// Proxy mode with the sign-in page (no hosted UI: moto has none) for app client `client`
/// (id, secret) of `pool`, calling moto.
pub async fn serve_login(
    pool: &Pool,
    client: &(String, Option<String>),
    extra_auth: &str,
) -> Server {
    let mut env = vec![("COGNITO_CLIENT_ID", client.0.clone())];
    if let Some(secret) = &client.1 {
        env.push(("COGNITO_CLIENT_SECRET", secret.clone()));
    }
    serve(pool, env, extra_auth, "").await
}

/// Proxy mode for `pool` with `env` on top of the pool's (the first value of a name wins), its
/// state in a fresh directory.
async fn serve(
    pool: &Pool,
    env: Vec<(&'static str, String)>,
    extra_auth: &str,
    extra_dcr: &str,
) -> Server {
    let state = tempfile::tempdir().expect("state dir");
    let path = state.path().join("config.toml");
    std::fs::write(&path, config_toml(extra_auth, extra_dcr)).expect("write config");
    // Bind first: the public URL names the port.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let mut env = env;
    env.extend([
        ("AWS_REGION", cognito_mcp_testkit::REGION.to_owned()),
        (
            "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
            moto().endpoint.clone(),
        ),
        ("COGNITO_USER_POOL_ID", pool.id.clone()),
        (
            "COGNITO_MCP_STATE_DIR",
            state.path().join("state").display().to_string(),
        ),
        ("COGNITO_MCP_PUBLIC_URL", base.clone()),
    ]);
    let lookup = move |k: &str| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone());
    let config = AuthConfig::load(Some(&path), &lookup).expect("config");
    let clock = ManualClock::now();
    let auth = CognitoAuth::builder(config)
        .tool_scope(ADMIN_TOOL.0, ADMIN_TOOL.1)
        .clock(Arc::new(clock.clone()))
        // The sign-in page calls moto (the process environment names no endpoint).
        .cognito_client(sdk_client().await)
        .build()
        .await
        .expect("CognitoAuth in proxy mode");
    let app = Router::new()
        .route("/mcp", post(mcp))
        .merge(auth.routes())
        .layer(auth.layer())
        .into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Server {
        base,
        auth,
        clock,
        _state: state,
        task,
    }
}
