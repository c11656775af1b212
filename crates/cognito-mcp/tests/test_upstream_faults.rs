//! The hosted UI's token endpoint failing (proxy mode): 5xx answers and timeouts are retried a
//! bounded number of times, then the client gets an OAuth error. The stand-in serves Cognito's
//! paths behind a fault proxy on loopback.

mod common;

use std::time::{Duration, Instant};

use common::fault::{Fault, FaultProxy};
use common::proxy::*;
use common::{HttpServer, new_pool};

struct Setup {
    _upstream: StandIn,
    _server: HttpServer,
    _state: tempfile::TempDir,
    faults: FaultProxy,
    base: String,
}

async fn setup() -> Setup {
    let pool = new_pool().await;
    let upstream = StandIn::start_with("alice", &["Admins"], &["--cognito-paths"]).await;
    let origin = upstream.origin();
    let faults = FaultProxy::start(&origin, "/oauth2/token").await;
    let jwks = format!(
        "{}/.well-known/jwks.json",
        upstream.issuer.replace("localhost", "127.0.0.1")
    );
    let state = tempfile::tempdir().expect("state dir");
    let cfg = config(state.path(), "upstream_timeout_secs = 1", "");
    let state_dir = state.path().join("state");
    let server = common::serve_http(
        &pool,
        &[
            ("COGNITO_MCP_CONFIG", cfg.to_str().expect("utf-8")),
            ("COGNITO_CLIENT_ID", UPSTREAM_CLIENT),
            ("COGNITO_CLIENT_SECRET", UPSTREAM_SECRET),
            ("COGNITO_DOMAIN", &faults.base),
            ("COGNITO_UPSTREAM_ISSUER", &upstream.issuer),
            ("COGNITO_JWKS_URL", &jwks),
            ("COGNITO_MCP_STATE_DIR", state_dir.to_str().expect("utf-8")),
        ],
    )
    .await;
    let base = server.base.clone();
    Setup {
        _upstream: upstream,
        _server: server,
        _state: state,
        faults,
        base,
    }
}

/// Signs in up to the client's redirect; returns it and how long the callback took.
async fn attempt(s: &Setup) -> (Got, Duration) {
    let id = public_client(&s.base, "openid mcp/read").await;
    let (_, challenge) = pkce();
    let mut b = Browser::new();
    let to_callback =
        approve_to_callback(&mut b, &s.base, &id, &challenge, "openid mcp/read").await;
    let started = Instant::now();
    let done = b.get(&to_callback).await;
    (done, started.elapsed())
}

#[tokio::test]
async fn upstream_token_5xx_is_retried_then_succeeds() {
    let s = setup().await;
    s.faults.set(Fault::Status(503), 2);
    let (done, _) = attempt(&s).await;
    let loc = done.location.clone().unwrap_or_default();
    assert!(
        loc.starts_with(REDIRECT) && loc.contains("code="),
        "{done:?}"
    );
    assert_eq!(s.faults.seen(), 3, "two failures, then the answer");
}

#[tokio::test]
async fn upstream_token_5xx_persisting_gives_an_oauth_error_fails() {
    let s = setup().await;
    s.faults.set(Fault::Status(500), u32::MAX);
    let (done, _) = attempt(&s).await;
    let loc = done.location.clone().unwrap_or_default();
    assert!(
        loc.starts_with(REDIRECT) && loc.contains("error=temporarily_unavailable"),
        "{done:?}"
    );
    assert!(loc.contains("state=client-state-123"), "{loc}");
    assert_eq!(s.faults.seen(), 3, "bounded: three attempts");
}

#[tokio::test]
async fn upstream_token_timeout_gives_an_oauth_error_fails() {
    let s = setup().await;
    s.faults.set(Fault::Hang, u32::MAX);
    let (done, took) = attempt(&s).await;
    let loc = done.location.clone().unwrap_or_default();
    assert!(
        loc.starts_with(REDIRECT) && loc.contains("error=temporarily_unavailable"),
        "{done:?}"
    );
    assert_eq!(s.faults.seen(), 3, "bounded: three attempts");
    // Three 1-second timeouts and the pauses between them, not a hang.
    assert!(took < Duration::from_secs(8), "{took:?}");
}
