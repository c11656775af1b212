//! Proxy mode survives `kill -9`: registrations, codes and refresh tokens are durable in the
//! encrypted embedded store, and the signing key is the same after restart.

mod common;

use common::proxy::*;
use common::{new_pool, rpc};
use serde_json::json;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

#[tokio::test]
async fn flow_completes_across_kill_9_restarts() {
    let pool = new_pool().await;
    let upstream = StandIn::start("alice", &["Admins"]).await;
    let dir = tempfile::tempdir().expect("dir");
    let cfg = config(dir.path(), "", "");
    let state = dir.path().join("state");
    let bind = format!("127.0.0.1:{}", free_port());
    let env = [("COGNITO_MCP_BIND", bind.as_str())];

    // Registration and sign-in on the first process; it dies before the token request.
    let mut first = serve_proxy(&pool, &upstream, &cfg, &state, &env).await;
    let base = first.base.clone();
    let client = register_client(&base, "public-test-client", "mcp/read").await;
    let id = client["client_id"].as_str().expect("id").to_owned();
    let (verifier, challenge) = pkce();
    let code = sign_in(&mut Browser::new(), &base, &id, &challenge, "mcp/read")
        .await
        .query()["code"]
        .clone();
    first.child.start_kill().expect("kill -9");
    first.child.wait().await.expect("reaped");

    // The second process knows the client and the code, and signs with the same key.
    let mut second = serve_proxy(&pool, &upstream, &cfg, &state, &env).await;
    assert_eq!(second.base, base);
    let t = token(&base, &code_form(&code, &verifier, &id), None).await;
    assert_eq!(t.status, 200, "{}", t.text);
    let t = t.json();
    second.child.start_kill().expect("kill -9");
    second.child.wait().await.expect("reaped");

    // The third process still accepts the access token and honours the refresh token.
    let third = serve_proxy(&pool, &upstream, &cfg, &state, &env).await;
    let access = t["access_token"].as_str().expect("at");
    let r = rpc(
        &base,
        Some(access),
        "tools/call",
        json!({"name": "whoami", "arguments": {}}),
        &[],
    )
    .await;
    assert_eq!(r.status, 200, "the signing key survived: {:?}", r.body);
    let r = token(
        &base,
        &refresh_form(t["refresh_token"].as_str().expect("rt"), &id),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    drop(third);
}

#[tokio::test]
async fn state_is_encrypted_at_rest() {
    let pool = new_pool().await;
    let upstream = StandIn::start("alice", &["Admins"]).await;
    let dir = tempfile::tempdir().expect("dir");
    let cfg = config(dir.path(), "", "");
    let state = dir.path().join("state");
    let server = serve_proxy(&pool, &upstream, &cfg, &state, &[]).await;
    let (id, t) = public_tokens(&server.base, "mcp/read").await;
    drop(server);
    let db = std::fs::read(state.join("oauth.redb")).expect("the state file");
    let rt = t["refresh_token"].as_str().expect("rt");
    for secret in [id.as_str(), rt, "alice", "public-test-client", REDIRECT] {
        assert!(
            !db.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret:?} is readable in the state file"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(state.join("state.key"))
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
