//! The HTTP transport as an OAuth protected resource: real Cognito tokens from moto
//! (AdminInitiateAuth), verified against moto's JWKS; group scopes; 401 and 403; and a named
//! negative test per rejection.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{
    Pool, http_call, http_tools, new_pool, rpc, serve_http, sign_with_moto_key, tokens_for,
};
use serde_json::{Value, json};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

fn issuer(pool: &Pool) -> String {
    format!("https://cognito-idp.us-east-1.amazonaws.com/{}", pool.id)
}

/// Access-token claims shaped like Cognito's, for tokens signed with moto's key.
fn claims(pool: &Pool) -> Value {
    let now = now();
    json!({
        "iss": issuer(pool),
        "sub": "c0ffee00-0000-4000-8000-000000000000",
        "client_id": pool.client_id,
        "token_use": "access",
        "scope": "mcp/read",
        "iat": now,
        "auth_time": now,
        "exp": now + 3600,
        "jti": "jti-1",
    })
}

/// Asserts a 401 `invalid_token` whose description contains `why`.
async fn assert_rejected(base: &str, token: &str, why: &str) {
    let r = rpc(base, Some(token), "tools/list", json!({}), &[]).await;
    assert_eq!(r.status, 401, "{:?}", r.body);
    assert!(
        r.www_authenticate.starts_with("Bearer "),
        "{}",
        r.www_authenticate
    );
    assert!(
        r.www_authenticate.contains("error=\"invalid_token\""),
        "{}",
        r.www_authenticate
    );
    assert!(
        r.www_authenticate.contains("resource_metadata=\""),
        "{}",
        r.www_authenticate
    );
    let description = r.body["error_description"].as_str().unwrap_or_default();
    assert!(
        description.contains(why),
        "wanted {why:?} in {description:?}"
    );
}

#[tokio::test]
async fn admins_user_calls_everything() {
    let pool = new_pool().await;
    let (admin, _) = tokens_for(&pool, "ada", &["Admins"]).await;
    let s = serve_http(&pool, &[]).await;
    assert_eq!(http_tools(&s.base, &admin).await.len(), 31);
    let r = http_call(
        &s.base,
        &admin,
        "create_user",
        json!({"username": "temp", "suppress_invitation": true}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["result"]["isError"], false, "{:?}", r.body);
    let r = http_call(
        &s.base,
        &admin,
        "disable_user",
        json!({"username": "temp", "confirm": "temp"}),
    )
    .await;
    assert_eq!(
        r.body["result"]["structuredContent"]["action"], "user_disabled",
        "{:?}",
        r.body
    );
    let r = http_call(
        &s.base,
        &admin,
        "delete_user",
        json!({"username": "temp", "confirm": "temp"}),
    )
    .await;
    assert_eq!(
        r.body["result"]["structuredContent"]["action"], "user_deleted",
        "{:?}",
        r.body
    );
    // The audit names the caller.
    let audit = common::settled_audit(&s.dir.path().join("audit.jsonl"));
    assert!(audit.contains("(ada) via"), "{audit}");
}

#[tokio::test]
async fn read_only_user_reads_and_gets_403_on_writes() {
    let pool = new_pool().await;
    let (reader, _) = tokens_for(&pool, "rory", &["ReadOnly"]).await;
    let s = serve_http(&pool, &[]).await;
    let r = http_call(&s.base, &reader, "list_users", json!({})).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body["result"]["structuredContent"]["count"], 1,
        "{:?}",
        r.body
    );

    let r = http_call(&s.base, &reader, "create_user", json!({"username": "nope"})).await;
    assert_eq!(r.status, 403, "{:?}", r.body);
    assert!(
        r.www_authenticate.contains("error=\"insufficient_scope\""),
        "{}",
        r.www_authenticate
    );
    assert!(
        r.www_authenticate.contains("scope=\"mcp/write\""),
        "{}",
        r.www_authenticate
    );
    assert!(
        r.www_authenticate.contains("resource_metadata=\""),
        "{}",
        r.www_authenticate
    );
    let r = http_call(
        &s.base,
        &reader,
        "delete_user",
        json!({"username": "rory", "confirm": "rory"}),
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(
        r.www_authenticate.contains("scope=\"mcp/admin\""),
        "{}",
        r.www_authenticate
    );
    // Nothing was created or deleted.
    let r = http_call(&s.base, &reader, "list_users", json!({})).await;
    assert_eq!(r.body["result"]["structuredContent"]["count"], 1);
}

#[tokio::test]
async fn tools_list_differs_by_group() {
    let pool = new_pool().await;
    let (reader, _) = tokens_for(&pool, "r1", &["ReadOnly"]).await;
    let (dev, _) = tokens_for(&pool, "d1", &["Developers"]).await;
    let (admin, _) = tokens_for(&pool, "a1", &["Admins"]).await;
    let (nobody, _) = tokens_for(&pool, "n1", &[]).await;
    let s = serve_http(&pool, &[]).await;
    let r = http_tools(&s.base, &reader).await;
    let d = http_tools(&s.base, &dev).await;
    let a = http_tools(&s.base, &admin).await;
    assert!(
        r.contains(&"list_users".into()) && !r.contains(&"create_user".into()),
        "{r:?}"
    );
    assert!(
        d.contains(&"create_user".into()) && !d.contains(&"delete_user".into()),
        "{d:?}"
    );
    assert!(a.contains(&"delete_user".into()), "{a:?}");
    assert!(r.len() < d.len() && d.len() < a.len());
    // No group, no scope: only whoami.
    assert_eq!(http_tools(&s.base, &nobody).await, ["whoami"]);
}

#[tokio::test]
async fn whoami_reports_the_caller() {
    let pool = new_pool().await;
    let (dev, _) = tokens_for(&pool, "dana", &["Developers"]).await;
    let s = serve_http(&pool, &[]).await;
    let r = http_call(&s.base, &dev, "whoami", json!({})).await;
    let me = &r.body["result"]["structuredContent"];
    assert_eq!(me["transport"], "http");
    assert_eq!(me["username"], "dana");
    assert_eq!(me["groups"], json!(["Developers"]));
    assert_eq!(me["client_id"], pool.client_id.as_str());
    let scopes: Vec<&str> = me["scopes"]
        .as_array()
        .expect("scopes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        scopes.contains(&"mcp/write")
            && scopes.contains(&"mcp/read")
            && !scopes.contains(&"mcp/admin")
    );
    assert!(me["expires_at"].as_u64().is_some_and(|e| e > now()));
}

#[tokio::test]
async fn verify_token_returns_claims_or_the_reason() {
    let pool = new_pool().await;
    let (reader, id) = tokens_for(&pool, "vic", &["ReadOnly"]).await;
    let s = serve_http(&pool, &[]).await;
    let r = http_call(
        &s.base,
        &reader,
        "verify_token",
        json!({"token": id, "token_use": "id"}),
    )
    .await;
    let v = &r.body["result"]["structuredContent"];
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["claims"]["token_use"], "id");
    assert_eq!(v["claims"]["username"], "vic");
    let r = http_call(&s.base, &reader, "verify_token", json!({"token": id})).await;
    let v = &r.body["result"]["structuredContent"];
    assert_eq!(v["valid"], false);
    assert_eq!(v["reason_code"], "wrong_token_use");
    // The token never reaches the audit trail.
    let audit = common::settled_audit(&s.dir.path().join("audit.jsonl"));
    assert!(!audit.contains(&id[..40]), "{audit}");
}

#[tokio::test]
async fn client_credentials_token_with_read_scope_can_read() {
    let pool = new_pool().await;
    let s = serve_http(&pool, &[]).await;
    // Client-credentials tokens have no username and no groups; their scope is all they have.
    let mut c = claims(&pool);
    c["sub"] = json!(pool.client_id);
    let token = sign_with_moto_key(&[(json!({}), c)]).remove(0);
    let r = http_call(&s.base, &token, "list_groups", json!({})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["result"]["isError"], false, "{:?}", r.body);
    let r = http_call(&s.base, &token, "create_group", json!({"group": "x"})).await;
    assert_eq!(r.status, 403);
    let me = http_call(&s.base, &token, "whoami", json!({})).await;
    assert!(
        me.body["result"]["structuredContent"]
            .get("username")
            .is_none()
    );
}

#[tokio::test]
async fn metadata_and_challenge_point_at_each_other() {
    let pool = new_pool().await;
    let s = serve_http(&pool, &[]).await;
    let r = rpc(&s.base, None, "tools/list", json!({}), &[]).await;
    assert_eq!(r.status, 401);
    assert!(
        !r.www_authenticate.contains("error="),
        "no token, no error: {}",
        r.www_authenticate
    );
    assert!(
        r.www_authenticate.contains("scope=\"mcp/read\""),
        "{}",
        r.www_authenticate
    );
    let url = r
        .www_authenticate
        .split("resource_metadata=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("url");
    assert_eq!(
        url,
        format!("{}/.well-known/oauth-protected-resource/mcp", s.base)
    );
    for path in [
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource",
    ] {
        let doc: Value = reqwest::get(format!("{}{path}", s.base))
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert_eq!(doc["resource"], format!("{}/mcp", s.base));
        assert_eq!(doc["authorization_servers"], json!([issuer(&pool)]));
        assert_eq!(doc["bearer_methods_supported"], json!(["header"]));
        assert_eq!(
            doc["scopes_supported"],
            json!(["mcp/admin", "mcp/read", "mcp/write"])
        );
    }
    let health: Value = reqwest::get(format!("{}/healthz", s.base))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(health["status"], "ok");
}

#[tokio::test]
async fn no_token_fails() {
    let pool = new_pool().await;
    let s = serve_http(&pool, &[]).await;
    let r = rpc(&s.base, None, "tools/list", json!({}), &[]).await;
    assert_eq!(r.status, 401);
    let r = rpc(
        &s.base,
        None,
        "tools/list",
        json!({}),
        &[("authorization", "Basic dXNlcjpwYXNz")],
    )
    .await;
    assert_eq!(r.status, 401);
    assert!(r.www_authenticate.contains("invalid_token"));
}

#[tokio::test]
async fn malformed_token_fails() {
    let pool = new_pool().await;
    let s = serve_http(&pool, &[]).await;
    assert_rejected(&s.base, "not-a-jwt", "malformed").await;
    assert_rejected(&s.base, "a.b.c", "malformed").await;
}

#[tokio::test]
async fn alg_none_fails() {
    let pool = new_pool().await;
    let s = serve_http(&pool, &[]).await;
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let token = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "kid": "dummy"})),
        b64(&claims(&pool))
    );
    assert_rejected(&s.base, &token, "\"none\" is not allowed").await;
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_fails() {
    let pool = new_pool().await;
    let s = serve_http(&pool, &[]).await;
    let jwks = reqwest::get(format!(
        "{}/{}/.well-known/jwks.json",
        common::moto().endpoint,
        pool.id
    ))
    .await
    .expect("jwks")
    .text()
    .await
    .expect("text");
    let token = cognito_jwt::testing::hs256(
        &json!({"alg": "HS256", "kid": "dummy"}),
        &claims(&pool),
        jwks.as_bytes(),
    );
    assert_rejected(&s.base, &token, "\"HS256\" is not allowed").await;
}

#[tokio::test]
async fn unknown_kid_fails() {
    let pool = new_pool().await;
    let s = serve_http(&pool, &[]).await;
    let token = cognito_jwt::testing::TestKey::generate("not-in-the-pool").sign(&claims(&pool));
    assert_rejected(&s.base, &token, "no key with kid").await;
}

#[tokio::test]
async fn known_kid_signed_by_another_key_fails() {
    let pool = new_pool().await;
    let s = serve_http(&pool, &[]).await;
    let token = cognito_jwt::testing::TestKey::generate("dummy").sign(&claims(&pool));
    assert_rejected(&s.base, &token, "signature is invalid").await;
}

#[tokio::test]
async fn expired_token_fails() {
    let pool = new_pool().await;
    let s = serve_http(&pool, &[]).await;
    let mut c = claims(&pool);
    c["exp"] = json!(now() - 120);
    let token = sign_with_moto_key(&[(json!({}), c)]).remove(0);
    assert_rejected(&s.base, &token, "expired").await;
}

#[tokio::test]
async fn nbf_in_the_future_fails() {
    let pool = new_pool().await;
    let s = serve_http(&pool, &[]).await;
    let mut c = claims(&pool);
    c["nbf"] = json!(now() + 600);
    let token = sign_with_moto_key(&[(json!({}), c)]).remove(0);
    assert_rejected(&s.base, &token, "not valid before").await;
}

#[tokio::test]
async fn wrong_issuer_fails() {
    let pool = new_pool().await;
    let s = serve_http(&pool, &[]).await;
    let mut c = claims(&pool);
    c["iss"] = json!("https://evil.example.com/us-east-1_x");
    let token = sign_with_moto_key(&[(json!({}), c)]).remove(0);
    assert_rejected(&s.base, &token, "issued by").await;
}

#[tokio::test]
async fn token_from_another_pool_fails() {
    let pool = new_pool().await;
    let other = new_pool().await;
    let (foreign, _) = tokens_for(&other, "eve", &["Admins"]).await;
    let s = serve_http(&pool, &[]).await;
    assert_rejected(&s.base, &foreign, "issued by").await;
}

#[tokio::test]
async fn id_token_used_as_access_token_fails() {
    let pool = new_pool().await;
    let (_, id) = tokens_for(&pool, "ivan", &["Admins"]).await;
    let s = serve_http(&pool, &[]).await;
    assert_rejected(&s.base, &id, "\"id\" token").await;
}

#[tokio::test]
async fn client_not_allowed_fails() {
    let pool = new_pool().await;
    let second = pool
        .admin
        .client()
        .create_user_pool_client()
        .user_pool_id(&pool.id)
        .client_name("another-app")
        .explicit_auth_flows(aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
        .send()
        .await
        .expect("second client");
    let second_id = second
        .user_pool_client()
        .and_then(|c| c.client_id())
        .expect("id")
        .to_owned();
    let (_, _) = tokens_for(&pool, "carl", &["Admins"]).await;
    let out = pool
        .admin
        .client()
        .admin_initiate_auth()
        .user_pool_id(&pool.id)
        .client_id(&second_id)
        .auth_flow(aws_sdk_cognitoidentityprovider::types::AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", "carl")
        .auth_parameters("PASSWORD", "Correct-Horse-42")
        .send()
        .await
        .expect("auth with the second client");
    let token = out
        .authentication_result()
        .and_then(|r| r.access_token())
        .expect("token")
        .to_owned();
    let s = serve_http(&pool, &[]).await;
    assert_rejected(&s.base, &token, "is not allowed").await;
}

#[tokio::test]
async fn forged_groups_fail() {
    let pool = new_pool().await;
    let (reader, _) = tokens_for(&pool, "fred", &["ReadOnly"]).await;
    let s = serve_http(&pool, &[]).await;
    let parts: Vec<&str> = reader.split('.').collect();
    let mut payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
    payload["cognito:groups"] = json!(["Admins"]);
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        parts[2]
    );
    assert_rejected(&s.base, &forged, "signature is invalid").await;
    // The genuine token still works, with its real group.
    assert!(
        !http_tools(&s.base, &reader)
            .await
            .contains(&"delete_user".to_owned())
    );
}

#[tokio::test]
async fn oversized_token_fails() {
    let pool = new_pool().await;
    let s = serve_http(&pool, &[]).await;
    let mut c = claims(&pool);
    c["padding"] = json!("x".repeat(20_000));
    let token = sign_with_moto_key(&[(json!({}), c)]).remove(0);
    assert_rejected(&s.base, &token, "over the").await;
    // A header far past any token: refused with a 4xx, never a crash.
    let huge = "y".repeat(200_000);
    let r = rpc(&s.base, Some(&huge), "tools/list", json!({}), &[]).await;
    assert!((400..500).contains(&r.status), "{}", r.status);
    let r = rpc(
        &s.base,
        Some(&reader_sanity(&pool).await),
        "tools/list",
        json!({}),
        &[],
    )
    .await;
    assert_eq!(r.status, 200, "the server still serves");
}

async fn reader_sanity(pool: &Pool) -> String {
    tokens_for(pool, "sanity", &["ReadOnly"]).await.0
}

#[tokio::test]
async fn evil_host_fails() {
    let pool = new_pool().await;
    let (reader, _) = tokens_for(&pool, "hal", &["ReadOnly"]).await;
    let s = serve_http(&pool, &[]).await;
    let r = rpc(
        &s.base,
        Some(&reader),
        "tools/list",
        json!({}),
        &[("host", "evil.example.com")],
    )
    .await;
    assert!((400..500).contains(&r.status), "{}", r.status);
}

#[tokio::test]
async fn evil_origin_fails() {
    let pool = new_pool().await;
    let (reader, _) = tokens_for(&pool, "otto", &["ReadOnly"]).await;
    let s = serve_http(&pool, &[]).await;
    let r = rpc(
        &s.base,
        Some(&reader),
        "tools/list",
        json!({}),
        &[("origin", "http://evil.example.com")],
    )
    .await;
    assert!((400..500).contains(&r.status), "{}", r.status);
    // A loopback origin is fine.
    let r = rpc(
        &s.base,
        Some(&reader),
        "tools/list",
        json!({}),
        &[("origin", "http://localhost:3000")],
    )
    .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn speaks_protocol_2026_07_28_statelessly() {
    let pool = new_pool().await;
    let (reader, _) = tokens_for(&pool, "stella", &["ReadOnly"]).await;
    let s = serve_http(&pool, &[]).await;
    // No initialize: 2026-07-28 requests carry their version and capabilities themselves.
    let body = json!({
        "jsonrpc": "2.0", "id": 7, "method": "tools/call",
        "params": {
            "name": "whoami", "arguments": {},
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {},
            },
        },
    });
    let resp = reqwest::Client::new()
        .post(format!("{}/mcp", s.base))
        .header("authorization", format!("Bearer {reader}"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", "whoami")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.expect("json");
    assert_eq!(
        v["result"]["structuredContent"]["username"], "stella",
        "{v}"
    );
}

#[tokio::test]
async fn oversized_body_fails() {
    let pool = new_pool().await;
    let (reader, _) = tokens_for(&pool, "bob", &["ReadOnly"]).await;
    let s = serve_http(&pool, &[]).await;
    let big = json!({"username": "x".repeat(2 * 1024 * 1024)});
    let r = http_call(&s.base, &reader, "get_user", big).await;
    assert_eq!(r.status, 413, "{:?}", r.body);
}

#[tokio::test]
async fn sigterm_shuts_down_gracefully() {
    let pool = new_pool().await;
    let mut s = serve_http(&pool, &[]).await;
    let pid = s.child.id().expect("pid");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = tokio::time::timeout(std::time::Duration::from_secs(10), s.child.wait())
        .await
        .expect("the server stops within 10 s")
        .expect("wait");
    assert!(exit.success(), "{exit:?}");
    let log = std::fs::read_to_string(s.dir.path().join("stderr.log")).unwrap_or_default();
    assert!(log.contains("shutting down"), "{log}");
}
