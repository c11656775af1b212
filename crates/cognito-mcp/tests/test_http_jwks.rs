//! The key set over HTTP: the server keeps verifying while the JWKS endpoint is down, fetches a
//! rotated key once, and a flood of unknown `kid`s costs at most one fetch per interval. The
//! JWKS is moto's, served through a counting proxy the test can switch off.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use axum::Router;
use axum::routing::get;
use cognito_jwt::testing::TestKey;
use common::{Pool, http_call, new_pool, serve_http, sign_with_moto_key, tokens_for};
use serde_json::{Value, json};

#[derive(Clone)]
struct Proxy {
    fetches: Arc<AtomicUsize>,
    down: Arc<AtomicBool>,
    keys: Arc<std::sync::Mutex<Value>>,
}

/// Serves moto's key set for `pool` (plus keys the test adds) at /jwks, counting fetches.
async fn proxy(pool: &Pool) -> (String, Proxy) {
    let moto_jwks: Value = reqwest::get(format!(
        "{}/{}/.well-known/jwks.json",
        common::moto().endpoint,
        pool.id
    ))
    .await
    .expect("moto jwks")
    .json()
    .await
    .expect("json");
    let state = Proxy {
        fetches: Arc::new(AtomicUsize::new(0)),
        down: Arc::new(AtomicBool::new(false)),
        keys: Arc::new(std::sync::Mutex::new(moto_jwks)),
    };
    let s = state.clone();
    let app = Router::new().route(
        "/jwks",
        get(move || {
            let s = s.clone();
            async move {
                s.fetches.fetch_add(1, Ordering::SeqCst);
                if s.down.load(Ordering::SeqCst) {
                    return Err(axum::http::StatusCode::SERVICE_UNAVAILABLE);
                }
                Ok(axum::Json(s.keys.lock().expect("lock").clone()))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (format!("http://{addr}/jwks"), state)
}

fn config(dir: &std::path::Path, interval_secs: u64) -> String {
    let path = dir.join("c.toml");
    std::fs::write(
        &path,
        format!("[auth]\njwks_refetch_interval_secs = {interval_secs}\n"),
    )
    .expect("write");
    path.display().to_string()
}

fn claims(pool: &Pool, jti: &str) -> Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    json!({
        "iss": format!("https://cognito-idp.us-east-1.amazonaws.com/{}", pool.id),
        "sub": "s", "username": "u", "cognito:groups": ["ReadOnly"],
        "client_id": pool.client_id, "token_use": "access", "scope": "mcp/read",
        "iat": now, "exp": now + 600, "jti": jti,
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_still_verify_while_the_jwks_endpoint_is_down() {
    let pool = new_pool().await;
    let (url, p) = proxy(&pool).await;
    let (first, _) = tokens_for(&pool, "u1", &["ReadOnly"]).await;
    let s = serve_http(&pool, &[("COGNITO_JWKS_URL", &url)]).await;
    assert_eq!(
        http_call(&s.base, &first, "whoami", json!({})).await.status,
        200
    );
    p.down.store(true, Ordering::SeqCst);
    // A token never seen before, signed by the same (cached) key.
    let (second, _) = tokens_for(&pool, "u2", &["ReadOnly"]).await;
    let r = http_call(&s.base, &second, "whoami", json!({})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["result"]["structuredContent"]["username"], "u2");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotated_key_is_fetched_once() {
    let pool = new_pool().await;
    let (url, p) = proxy(&pool).await;
    let dir = tempfile::tempdir().expect("dir");
    let cfg = config(dir.path(), 1);
    let s = serve_http(
        &pool,
        &[("COGNITO_JWKS_URL", &url), ("COGNITO_MCP_CONFIG", &cfg)],
    )
    .await;
    let warm = sign_with_moto_key(&[(json!({}), claims(&pool, "w"))]).remove(0);
    assert_eq!(
        http_call(&s.base, &warm, "whoami", json!({})).await.status,
        200
    );
    let before = p.fetches.load(Ordering::SeqCst);
    // Cognito rotates: a new key appears in the set.
    let rotated = TestKey::generate("rotated-key");
    p.keys.lock().expect("lock")["keys"]
        .as_array_mut()
        .expect("keys")
        .push(rotated.jwk());
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    for i in 0..5 {
        let token = rotated.sign(&claims(&pool, &format!("r{i}")));
        let r = http_call(&s.base, &token, "whoami", json!({})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
    assert_eq!(
        p.fetches.load(Ordering::SeqCst),
        before + 1,
        "one fetch for the new kid"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_unknown_kids_costs_at_most_one_fetch_per_interval() {
    let pool = new_pool().await;
    let (url, p) = proxy(&pool).await;
    let s = serve_http(&pool, &[("COGNITO_JWKS_URL", &url)]).await;
    let warm = sign_with_moto_key(&[(json!({}), claims(&pool, "w"))]).remove(0);
    assert_eq!(
        http_call(&s.base, &warm, "whoami", json!({})).await.status,
        200
    );
    let before = p.fetches.load(Ordering::SeqCst);
    let bogus: Vec<String> = (0..4)
        .map(|i| TestKey::generate(&format!("bogus-{i}")).sign(&claims(&pool, "b")))
        .collect();
    let mut tasks = Vec::new();
    for i in 0..100 {
        let base = s.base.clone();
        let token = bogus[i % 4].clone();
        tasks.push(tokio::spawn(async move {
            http_call(&base, &token, "whoami", json!({})).await.status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.expect("task"), 401);
    }
    // Within the default 10 s interval since the warm-up fetch: no fetch at all.
    assert!(
        p.fetches.load(Ordering::SeqCst) <= before + 1,
        "{} fetches",
        p.fetches.load(Ordering::SeqCst) - before
    );
}
