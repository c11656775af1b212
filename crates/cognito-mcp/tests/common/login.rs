//! The binary in login mode (the sign-in page against moto). The app clients, users, TOTP and
//! form steps are `cognito_mcp_testkit::login`, re-exported here.

use std::path::Path;

#[allow(unused_imports)]
pub use cognito_mcp_testkit::login::*;

use super::{HttpServer, Pool};

/// The server in proxy mode with the sign-in page, for app client `client`.
pub async fn serve_login(
    pool: &Pool,
    client: &(String, Option<String>),
    config: &Path,
    state_dir: &Path,
    env: &[(&str, &str)],
) -> HttpServer {
    let mut all: Vec<(&str, &str)> = vec![
        ("COGNITO_MCP_CONFIG", config.to_str().expect("utf-8 path")),
        ("COGNITO_CLIENT_ID", &client.0),
        (
            "COGNITO_MCP_STATE_DIR",
            state_dir.to_str().expect("utf-8 path"),
        ),
    ];
    if let Some(secret) = &client.1 {
        all.push(("COGNITO_CLIENT_SECRET", secret));
    }
    all.extend_from_slice(env);
    super::serve_http(pool, &all).await
}
