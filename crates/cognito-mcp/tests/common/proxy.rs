//! Proxy-mode harness: the server in proxy mode against the Cognito hosted-UI stand-in (which
//! lives in `cognito_mcp_testkit::standin`, shared with other servers' tests). The headless
//! browser and the OAuth client requests are `cognito_mcp_testkit::oauth`, re-exported here.

use std::path::Path;

#[allow(unused_imports)]
pub use cognito_mcp_testkit::oauth::*;
#[allow(unused_imports)]
pub use cognito_mcp_testkit::standin::{REDIRECT, StandIn, UPSTREAM_CLIENT, UPSTREAM_SECRET};

use super::{HttpServer, Pool};

/// The `[auth]` config of proxy mode, plus `extra` TOML lines appended to `[auth]`.
pub fn config(dir: &Path, extra_auth: &str, extra_dcr: &str) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[auth]\nenabled = true\nprovider = \"cognito\"\n{extra_auth}\n\n[auth.dcr]\n\
             public_client_patterns = [\"public-test-client\", \"mcp-inspector\", \"claude\"]\n{extra_dcr}\n"
        ),
    )
    .expect("write config");
    path
}

/// The server in proxy mode for `pool`, signing in at `upstream`, keeping state in
/// `state_dir`.
pub async fn serve_proxy(
    pool: &Pool,
    upstream: &StandIn,
    config: &Path,
    state_dir: &Path,
    env: &[(&str, &str)],
) -> HttpServer {
    let discovery = format!("{}/.well-known/openid-configuration", upstream.issuer);
    let mut all: Vec<(&str, &str)> = vec![
        ("COGNITO_MCP_CONFIG", config.to_str().expect("utf-8 path")),
        ("COGNITO_CLIENT_ID", UPSTREAM_CLIENT),
        ("COGNITO_CLIENT_SECRET", UPSTREAM_SECRET),
        ("COGNITO_DISCOVERY_URL", &discovery),
        ("COGNITO_UPSTREAM_ISSUER", &upstream.issuer),
        (
            "COGNITO_MCP_STATE_DIR",
            state_dir.to_str().expect("utf-8 path"),
        ),
    ];
    all.extend_from_slice(env);
    super::serve_http(pool, &all).await
}
