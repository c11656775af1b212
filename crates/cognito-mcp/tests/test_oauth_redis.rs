//! Proxy mode with its state in Redis (`auth.store = "redis"`): two instances behind one public
//! URL share registrations, codes, refresh tokens and the signing key; a Redis outage is a 503
//! that heals by itself; registrations survive a Redis restart with the append-only file.

mod common;

use base64::Engine as _;
use common::proxy::*;
use common::redis::RedisServer;
use common::{new_pool, rpc};
use serde_json::json;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A fresh `COGNITO_MCP_STATE_KEY`.
fn state_key() -> String {
    let mut key = [0u8; 32];
    aws_lc_rs::rand::fill(&mut key).expect("random");
    base64::engine::general_purpose::STANDARD.encode(key)
}

#[tokio::test]
async fn two_instances_share_state_in_redis() {
    let pool = new_pool().await;
    let upstream = StandIn::start("alice", &["Admins"]).await;
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().expect("dir");
    let cfg = config(dir.path(), "store = \"redis\"", "");
    let (url, key) = (redis.url(), state_key());
    // Both instances answer for one public URL, as behind a load balancer.
    let public = format!("http://127.0.0.1:{}", free_port());
    let bind_a = public.trim_start_matches("http://").to_owned();
    let shared = [
        ("COGNITO_MCP_REDIS_URL", url.as_str()),
        ("COGNITO_MCP_STATE_KEY", key.as_str()),
        ("COGNITO_MCP_PUBLIC_URL", public.as_str()),
    ];
    let mut env_a = shared.to_vec();
    env_a.push(("COGNITO_MCP_BIND", &bind_a));
    let a = serve_proxy(&pool, &upstream, &cfg, &dir.path().join("a"), &env_a).await;
    let b = serve_proxy(&pool, &upstream, &cfg, &dir.path().join("b"), &shared).await;
    assert_eq!(a.base, public);
    assert_ne!(a.base, b.base);

    // Registered and signed in at A; the code is redeemed at B.
    let id = public_client(&a.base, "mcp/read").await;
    let (verifier, challenge) = pkce();
    let code = sign_in(&mut Browser::new(), &a.base, &id, &challenge, "mcp/read")
        .await
        .query()["code"]
        .clone();
    let t = token(
        &b.base,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
            ("client_id", &id),
        ],
        None,
    )
    .await;
    assert_eq!(t.status, 200, "B redeems A's code: {}", t.text);
    let t = t.json();
    // The code was one-time for both.
    let again = token(
        &a.base,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
            ("client_id", &id),
        ],
        None,
    )
    .await;
    assert_eq!(again.status, 400, "{}", again.text);

    // B's access token works at A: one signing key.
    let access = t["access_token"].as_str().expect("at");
    let r = rpc(
        &a.base,
        Some(access),
        "tools/call",
        json!({"name": "whoami", "arguments": {}}),
        &[],
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    // B's refresh token rotates at A.
    let r = token(
        &a.base,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().expect("rt")),
            ("client_id", &id),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn redis_outage_is_503_then_heals_and_registrations_survive() {
    let pool = new_pool().await;
    let upstream = StandIn::start("alice", &["Admins"]).await;
    let mut redis = RedisServer::start_persistent();
    let dir = tempfile::tempdir().expect("dir");
    let cfg = config(dir.path(), "store = \"redis\"", "");
    let (url, key) = (redis.url(), state_key());
    let env = [
        ("COGNITO_MCP_REDIS_URL", url.as_str()),
        ("COGNITO_MCP_STATE_KEY", key.as_str()),
    ];
    let server = serve_proxy(&pool, &upstream, &cfg, &dir.path().join("state"), &env).await;
    let id = public_client(&server.base, "mcp/read").await;

    redis.stop();
    let started = std::time::Instant::now();
    let got = register(
        &server.base,
        json!({"client_name": "public-test-client", "redirect_uris": [REDIRECT]}),
    )
    .await;
    assert_eq!(got.status, 503, "{}", got.text);
    assert_eq!(
        got.json()["error"],
        "temporarily_unavailable",
        "{}",
        got.text
    );
    assert!(got.headers.contains_key("retry-after"));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "an outage answers quickly, took {:?}",
        started.elapsed()
    );
    let log = std::fs::read_to_string(server.dir.path().join("stderr.log")).unwrap_or_default();
    assert!(
        log.contains(&format!("redis at 127.0.0.1:{} is unreachable", redis.port)),
        "the log names the address: {log}"
    );

    // Back without a restart of the server; the registration from before is still there.
    redis.restart();
    let got = register(
        &server.base,
        json!({"client_name": "public-test-client", "redirect_uris": [REDIRECT]}),
    )
    .await;
    assert_eq!(got.status, 201, "{}", got.text);
    let (_, challenge) = pkce();
    let page = Browser::new()
        .get(&authorize_url(
            &server.base,
            &id,
            &challenge,
            "mcp/read",
            &[],
        ))
        .await;
    assert_eq!(page.status, 200, "the client is known: {}", page.text);
}
