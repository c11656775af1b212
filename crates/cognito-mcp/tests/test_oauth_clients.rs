//! Proxy mode with the real clients: the official TypeScript and Python SDKs, the MCP
//! Inspector CLI, headless Chromium on the consent page, and the conformance suite's
//! authorization-server scenarios. Each signs in through the server to the hosted-UI stand-in.

mod common;

use common::drivers::{run, script, step};
use common::proxy::*;
use common::{new_pool, node_bin, peers};
use serde_json::Value;

struct Setup {
    _upstream: StandIn,
    _server: common::HttpServer,
    _state: tempfile::TempDir,
    base: String,
}

async fn setup(groups: &[&str]) -> Setup {
    let pool = new_pool().await;
    let upstream = StandIn::start("alice", groups).await;
    let state = tempfile::tempdir().expect("state dir");
    let cfg = config(state.path(), "", "");
    let server = serve_proxy(&pool, &upstream, &cfg, &state.path().join("state"), &[]).await;
    let base = server.base.clone();
    Setup {
        _upstream: upstream,
        _server: server,
        _state: state,
        base,
    }
}

#[tokio::test]
async fn typescript_sdk_signs_in_refreshes_and_calls_tools() {
    let s = setup(&["Developers"]).await;
    let url = format!("{}/mcp", s.base);
    let (code, lines, err) = run(
        &node_bin().join("node"),
        &[
            &script("ts_oauth_client.mjs"),
            &url,
            "public-test-client",
            "list_users",
            "{}",
        ],
    )
    .await;
    assert_eq!(code, 0, "{lines:?}\n{err}");
    let first = step(&lines, "first");
    assert_eq!(first["whoami"]["username"], "alice", "{first}");
    assert_eq!(first["client"]["token_endpoint_auth_method"], "none");
    let scopes = first["claims"]["scope"].as_str().expect("scope");
    assert!(
        scopes.contains("mcp/read") && !scopes.contains("mcp/admin"),
        "{scopes}"
    );
    let refreshed = step(&lines, "refreshed");
    assert_eq!(refreshed["whoami"]["username"], "alice");
    assert_eq!(refreshed["new_access_token"], true);
    assert!(step(&lines, "call").get("result").is_some(), "{lines:?}");
}

#[tokio::test]
async fn typescript_sdk_as_a_confidential_client() {
    let s = setup(&["Admins"]).await;
    let url = format!("{}/mcp", s.base);
    let (code, lines, err) = run(
        &node_bin().join("node"),
        &[
            &script("ts_oauth_client.mjs"),
            &url,
            "Acme Back Office Agent",
        ],
    )
    .await;
    assert_eq!(code, 0, "{lines:?}\n{err}");
    let first = step(&lines, "first");
    assert_eq!(first["client"]["client_secret"], true, "{first}");
    assert_eq!(step(&lines, "refreshed")["whoami"]["username"], "alice");
}

#[tokio::test]
async fn python_sdk_signs_in_refreshes_and_calls_tools() {
    let s = setup(&["ReadOnly"]).await;
    let url = format!("{}/mcp", s.base);
    let python = peers().join("mcp-venv/bin/python");
    let (code, lines, err) = run(
        &python,
        &[
            &script("py_oauth_client.py"),
            &url,
            "public-test-client",
            "list_users",
            "{}",
        ],
    )
    .await;
    assert_eq!(code, 0, "{lines:?}\n{err}");
    assert_eq!(step(&lines, "first")["whoami"]["username"], "alice");
    assert_eq!(step(&lines, "refreshed")["whoami"]["username"], "alice");
    assert!(step(&lines, "call").get("result").is_some(), "{lines:?}");
}

#[tokio::test]
async fn inspector_cli_signs_in_and_refreshes() {
    let s = setup(&["Admins"]).await;
    let url = format!("{}/mcp", s.base);
    let lines = common::drivers::inspector_signs_in(&url, "alice").await;
    assert_eq!(
        step(&lines, "stored")["browser_launches"],
        0,
        "the stored token is reused"
    );
}

#[tokio::test]
async fn chromium_shows_the_consent_page_and_lands_on_the_client() {
    let s = setup(&["Admins"]).await;
    let client = register_client(&s.base, "public-test-client", "openid mcp/read mcp/write").await;
    let id = client["client_id"].as_str().expect("id");
    let (verifier, challenge) = pkce();
    let url = authorize_url(&s.base, id, &challenge, "openid mcp/read mcp/write", &[]);
    let (code, lines, err) = run(
        &node_bin().join("node"),
        &[&script("browser_consent.mjs"), &url, REDIRECT],
    )
    .await;
    assert_eq!(code, 0, "{lines:?}\n{err}");
    let consent = step(&lines, "consent");
    let text = consent["text"].as_str().expect("text");
    for shown in [
        "public-test-client",
        "127.0.0.1:53682",
        "mcp/read",
        "mcp/write",
    ] {
        assert!(text.contains(shown), "the page shows {shown}: {text}");
    }
    assert_eq!(consent["headers"]["x-frame-options"], "DENY");
    let landed = step(&lines, "redirect");
    assert_eq!(landed["state"], "client-state-123");
    assert_eq!(landed["iss"], Value::String(s.base.clone()));
    let code = landed["code"].as_str().expect("a code");
    let t = token(&s.base, &code_form(code, &verifier, id), None).await;
    assert_eq!(t.status, 200, "{}", t.text);
}

#[tokio::test]
async fn conformance_authorization_server_scenarios_pass() {
    let s = setup(&["Admins"]).await;
    let (code, lines, err) = run(
        &node_bin().join("node"),
        &[
            &script("conformance_auth.mjs"),
            &s.base,
            "--client-name",
            "public-test-client conformance",
        ],
    )
    .await;
    assert_eq!(code, 0, "{lines:?}\n{err}");
}
