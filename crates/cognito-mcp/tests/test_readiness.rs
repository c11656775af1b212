//! `/readyz` of `serve --transport http`: 503 while the pool's key set cannot be fetched (every
//! call would be 401), 200 once it is, with `/healthz` (liveness) 200 throughout. The body
//! names each check's state and never its detail.

mod common;

use common::{moto, new_pool, serve_http};
use serde_json::Value;

async fn get(url: &str) -> (u16, Value) {
    let r = reqwest::get(url).await.expect("GET");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The attack on availability: a balancer routing callers to an instance that answers every
/// call 401 because it never got the pool's keys.
#[tokio::test]
async fn a_server_without_the_pools_keys_reported_ready_fails() {
    let pool = new_pool().await;
    // The key set's host: nothing listens on the port until the test serves moto's keys there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("cognito-mcp.toml");
    std::fs::write(&config, "[auth]\njwks_refetch_interval_secs = 0\n").expect("config");
    let jwks = format!("http://127.0.0.1:{port}/{}/.well-known/jwks.json", pool.id);
    let s = serve_http(
        &pool,
        &[
            ("COGNITO_JWKS_URL", jwks.as_str()),
            ("COGNITO_MCP_CONFIG", config.to_str().expect("path")),
        ],
    )
    .await;

    let (status, body) = get(&format!("{}/readyz", s.base)).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "not ready");
    assert_eq!(body["checks"]["keys"], "keys_missing");
    assert!(
        body["checks"].get("store").is_none(),
        "no store in JWT mode: {body}"
    );
    assert!(
        !body.to_string().contains(&port.to_string()),
        "no detail: {body}"
    );
    let (live, _) = get(&format!("{}/healthz", s.base)).await;
    assert_eq!(live, 200, "liveness does not depend on the keys");

    // The key set's host comes up: the next probe fetches it (a failed start-up fetch does not
    // leave the server unready for good).
    let keys = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind the key set's port");
    let upstream = moto().endpoint.clone();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let upstream = upstream.clone();
        async move {
            let body = reqwest::get(format!("{upstream}{uri}"))
                .await
                .expect("moto")
                .text()
                .await
                .expect("body");
            ([("content-type", "application/json")], body)
        }
    });
    tokio::spawn(async move { axum::serve(keys, app).await.ok() });
    let (status, body) = get(&format!("{}/readyz", s.base)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"]["keys"], "ok");
}
