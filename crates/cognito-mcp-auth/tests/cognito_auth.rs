//! `CognitoAuth` end to end in one process: a loopback JWKS, tokens signed with a test key, and
//! the layer, routes, `Caller` and guards on a real axum app.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::routing::{get, post};
use cognito_jwt::testing::{TestKey, access_claims, jwks};
use cognito_mcp_auth::config::{Problem, StoreKind};
use cognito_mcp_auth::{AuthConfig, Caller, CognitoAuth, Forbidden, SetupError};
use http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

const POOL: &str = "us-east-1_TestPool";
const CLIENT: &str = "client-1";
const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// Serves `key`'s JWKS on a loopback port; returns its URL.
async fn serve_jwks(key: &TestKey) -> String {
    let body = jwks(&[key]);
    let app = Router::new().route(
        "/jwks.json",
        get(move || {
            let body = body.clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/jwks.json")
}

fn env(pairs: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
    move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
}

fn config(jwks_url: &str) -> AuthConfig {
    let pairs = vec![
        ("COGNITO_USER_POOL_ID", POOL.to_owned()),
        ("COGNITO_CLIENT_ID", CLIENT.to_owned()),
        ("COGNITO_JWKS_URL", jwks_url.to_owned()),
        ("COGNITO_MCP_PUBLIC_URL", "http://127.0.0.1:3000".to_owned()),
    ];
    AuthConfig::load(None, &env(pairs)).expect("config")
}

/// `CognitoAuth` for the test pool, trusting `key`, outside proxy mode.
async fn resource_server(key: &TestKey) -> CognitoAuth {
    CognitoAuth::builder(config(&serve_jwks(key).await))
        .build()
        .await
        .expect("auth")
}

fn token(key: &TestKey, groups: &[&str], scope: &str) -> String {
    let mut c = access_claims(ISSUER, CLIENT, now());
    c["cognito:groups"] = json!(groups);
    c["scope"] = json!(scope);
    key.sign(&c)
}

async fn send(
    app: &Router,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> (StatusCode, String, String) {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::from(body.to_string())).expect("request"))
        .await
        .expect("infallible");
    let status = resp.status();
    let challenge = resp
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        challenge,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// An app shaped like the guide's: the MCP endpoint (here an echo of the caller), the auth
/// routes, a public route, and the layer over all of it.
fn app(auth: &CognitoAuth) -> Router {
    let mcp = Router::new().fallback(|caller: Caller| async move { caller.sub().to_owned() });
    Router::new()
        .nest_service("/mcp", mcp)
        .route("/public", get(|| async { "public" }))
        .route("/mcpx", get(|| async { "not the MCP path" }))
        .route(
            "/admin",
            post(|caller: Caller| async move {
                caller.require_group("Admins")?;
                Ok::<_, Forbidden>("done")
            }),
        )
        .merge(auth.routes())
        .layer(auth.layer())
}

#[tokio::test]
async fn layer_over_the_whole_app_guards_only_the_mcp_path() {
    let key = TestKey::generate("k1");
    let auth = resource_server(&key).await;
    let app = app(&auth);
    // The MCP endpoint and anything below it need a token.
    for path in ["/mcp", "/mcp/", "/mcp/anything"] {
        let (status, challenge, _) = send(&app, "POST", path, None, json!({})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(challenge.contains("resource_metadata="), "{challenge}");
    }
    // The metadata, and routes that are not the MCP path, stay public.
    let (status, _, body) = send(
        &app,
        "GET",
        "/.well-known/oauth-protected-resource/mcp",
        None,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let doc: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(doc["resource"], "http://127.0.0.1:3000/mcp");
    assert_eq!(doc["authorization_servers"], json!([ISSUER]));
    assert_eq!(
        send(&app, "GET", "/public", None, json!({})).await.0,
        StatusCode::OK
    );
    assert_eq!(
        send(&app, "GET", "/mcpx", None, json!({})).await.0,
        StatusCode::OK
    );
    // A good token reaches the service, which reads the caller.
    let t = token(&key, &["ReadOnly"], "");
    let (status, _, body) = send(&app, "POST", "/mcp", Some(&t), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, "8a1f6c1e-0000-4000-8000-000000000001");
}

#[tokio::test]
async fn layer_inside_a_nested_service_still_guards() {
    let key = TestKey::generate("k1");
    let auth = resource_server(&key).await;
    let inner = Router::new()
        .fallback(|caller: Caller| async move { caller.sub().to_owned() })
        .layer(auth.layer());
    let app = Router::new().nest_service("/mcp", inner);
    assert_eq!(
        send(&app, "POST", "/mcp", None, json!({})).await.0,
        StatusCode::UNAUTHORIZED
    );
    let t = token(&key, &["ReadOnly"], "");
    assert_eq!(
        send(&app, "POST", "/mcp", Some(&t), json!({})).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn caller_without_the_layer_is_401_and_group_guard_is_403() {
    let key = TestKey::generate("k1");
    let auth = resource_server(&key).await;
    let app = app(&auth);
    // /admin is outside the MCP path: no layer check, so the extractor refuses.
    let (status, _, body) = send(&app, "POST", "/admin", None, json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body.contains("no verified caller"), "{body}");
    // Behind the layer, a caller outside the group gets 403 naming the group.
    let guarded = Router::new()
        .route(
            "/mcp",
            post(|caller: Caller| async move {
                caller.require_group("Admins")?;
                caller.require_scope("mcp/admin")?;
                Ok::<_, Forbidden>("done")
            }),
        )
        .layer(auth.layer());
    let reader = token(&key, &["ReadOnly"], "");
    let (status, _, body) = send(&guarded, "POST", "/mcp", Some(&reader), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("Cognito group Admins"), "{body}");
    // In the group (Admins grant mcp/admin by the standard mapping): allowed.
    let admin = token(&key, &["Admins"], "");
    let (status, _, body) = send(&guarded, "POST", "/mcp", Some(&admin), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn scope_guard_is_403_with_insufficient_scope() {
    let key = TestKey::generate("k1");
    let auth = resource_server(&key).await;
    let guarded = Router::new()
        .route(
            "/mcp",
            post(|caller: Caller| async move {
                caller.require_scope("mcp/write")?;
                Ok::<_, Forbidden>("written")
            }),
        )
        .layer(auth.layer());
    let reader = token(&key, &["ReadOnly"], "");
    let (status, challenge, body) = send(&guarded, "POST", "/mcp", Some(&reader), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    assert!(challenge.contains("scope=\"mcp/write\""), "{challenge}");
    let dev = token(&key, &["Developers"], "");
    assert_eq!(
        send(&guarded, "POST", "/mcp", Some(&dev), json!({}))
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn tool_scopes_from_config_override_the_code_and_gate_calls() {
    let key = TestKey::generate("k1");
    let dir = tempdir();
    let file = dir.join("auth.toml");
    std::fs::write(&file, "[auth.tool_scopes]\nadd_note = \"mcp/admin\"\n").expect("write");
    let mut pairs = vec![
        ("COGNITO_USER_POOL_ID", POOL.to_owned()),
        ("COGNITO_CLIENT_ID", CLIENT.to_owned()),
        ("COGNITO_JWKS_URL", serve_jwks(&key).await),
    ];
    pairs.push(("COGNITO_MCP_PUBLIC_URL", "http://127.0.0.1:3000".to_owned()));
    let config = AuthConfig::load(Some(&file), &env(pairs)).expect("config");
    let auth = CognitoAuth::builder(config)
        .tool_scopes([("add_note", "mcp/write"), ("list_notes", "mcp/read")])
        .build()
        .await
        .expect("auth");
    assert_eq!(auth.required_scope("add_note"), Some("mcp/admin"));
    assert_eq!(auth.required_scope("list_notes"), Some("mcp/read"));
    assert_eq!(auth.required_scope("whoami"), None);
    let app = app(&auth);
    let dev = token(&key, &["Developers"], "");
    let call = |tool: &str| json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": {}}});
    let (status, challenge, _) = send(&app, "POST", "/mcp", Some(&dev), call("add_note")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(challenge.contains("scope=\"mcp/admin\""), "{challenge}");
    assert_eq!(
        send(&app, "POST", "/mcp", Some(&dev), call("list_notes"))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        send(&app, "POST", "/mcp", Some(&dev), call("whoami"))
            .await
            .0,
        StatusCode::OK
    );
    let claims = auth
        .protected_resource()
        .verify_token(&dev)
        .await
        .expect("verified");
    assert!(auth.allows(&claims, "list_notes") && !auth.allows(&claims, "add_note"));
}

#[tokio::test]
async fn proxy_mode_is_switched_on_by_configuration() {
    let key = TestKey::generate("k1");
    let dir = tempdir();
    let file = dir.join("auth.toml");
    std::fs::write(&file, "[auth]\nenabled = true\nstore = \"memory\"\n").expect("write");
    let pairs = vec![
        ("COGNITO_USER_POOL_ID", POOL.to_owned()),
        ("COGNITO_CLIENT_ID", CLIENT.to_owned()),
        ("COGNITO_JWKS_URL", serve_jwks(&key).await),
        (
            "COGNITO_DOMAIN",
            "https://example.auth.us-east-1.amazoncognito.com".to_owned(),
        ),
        ("COGNITO_MCP_PUBLIC_URL", "http://127.0.0.1:3000".to_owned()),
    ];
    let config = AuthConfig::load(Some(&file), &env(pairs)).expect("config");
    assert_eq!(
        config.proxy.as_ref().map(|p| p.store),
        Some(StoreKind::Memory)
    );
    let auth = CognitoAuth::builder(config).build().await.expect("auth");
    assert!(auth.authorization_server().is_some());
    let app = app(&auth);
    let (status, _, body) = send(
        &app,
        "GET",
        "/.well-known/oauth-authorization-server",
        None,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let doc: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(doc["issuer"], "http://127.0.0.1:3000");
    assert_eq!(
        doc["registration_endpoint"],
        "http://127.0.0.1:3000/register"
    );
    let (_, _, body) = send(
        &app,
        "GET",
        "/.well-known/oauth-protected-resource/mcp",
        None,
        json!({}),
    )
    .await;
    let prm: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        prm["authorization_servers"],
        json!(["http://127.0.0.1:3000"])
    );
    // The pool's own tokens do not pass in proxy mode unless auth.client_ids lists their client.
    let t = token(&key, &["Admins"], "");
    assert_eq!(
        send(&app, "POST", "/mcp", Some(&t), json!({})).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn bad_configuration_is_refused_with_what_to_fix() {
    let none = AuthConfig::load(None, &env(vec![])).expect("loads");
    let problems: Vec<String> = none.problems().iter().map(Problem::to_string).collect();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("COGNITO_USER_POOL_ID is not set")),
        "{problems:?}"
    );
    let err = CognitoAuth::builder(none)
        .build()
        .await
        .expect_err("no pool");
    assert!(matches!(err, SetupError::Config(_)), "{err}");

    // No app client and no proxy: nobody could be checked.
    let pairs = vec![
        ("COGNITO_USER_POOL_ID", POOL.to_owned()),
        ("COGNITO_MCP_PUBLIC_URL", "http://h".to_owned()),
    ];
    let err = CognitoAuth::builder(AuthConfig::load(None, &env(pairs)).expect("loads"))
        .build()
        .await
        .expect_err("no client");
    assert!(err.to_string().contains("set COGNITO_CLIENT_ID"), "{err}");

    // No public URL.
    let pairs = vec![
        ("COGNITO_USER_POOL_ID", POOL.to_owned()),
        ("COGNITO_CLIENT_ID", CLIENT.to_owned()),
    ];
    let err = CognitoAuth::builder(AuthConfig::load(None, &env(pairs)).expect("loads"))
        .build()
        .await
        .expect_err("no public url");
    assert!(err.to_string().contains("COGNITO_MCP_PUBLIC_URL"), "{err}");

    // Redis without its URL and key; a store that does not exist; a secret never echoed.
    let dir = tempdir();
    let file = dir.join("auth.toml");
    std::fs::write(
        &file,
        "[auth]\nenabled = true\nstore = \"redis\"\n[auth.login]\nflow = \"magic\"\n",
    )
    .expect("write");
    let pairs = vec![
        ("COGNITO_USER_POOL_ID", POOL.to_owned()),
        ("COGNITO_CLIENT_ID", CLIENT.to_owned()),
        ("COGNITO_CLIENT_SECRET", "hunter2-secret".to_owned()),
    ];
    let config = AuthConfig::load(Some(&file), &env(pairs)).expect("loads");
    let text = config
        .problems()
        .iter()
        .map(Problem::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(text.contains("set COGNITO_MCP_REDIS_URL"), "{text}");
    assert!(text.contains("COGNITO_MCP_STATE_KEY"), "{text}");
    assert!(text.contains("auth.login.flow is \"magic\""), "{text}");
    assert!(!format!("{config:?}").contains("hunter2"), "{config:?}");

    // A file with a typo names the key and line, not the value.
    std::fs::write(&file, "[cognito]\nclient_secrte = \"hunter2\"\n").expect("write");
    let err = AuthConfig::load(Some(&file), &env(vec![])).expect_err("typo");
    assert!(err.to_string().contains("line 2"), "{err}");
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

/// A fresh directory under the system's temp dir.
fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "cognito-mcp-auth-test-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn the_region_defaults_to_the_pool_ids() {
    let pool = |id: &str| vec![("COGNITO_USER_POOL_ID", id.to_owned())];
    let c = AuthConfig::load(None, &env(pool("eu-west-1_Abc"))).expect("loads");
    assert_eq!(c.region, "eu-west-1");
    assert!(c.problems().is_empty(), "{:?}", c.problems());
    // An explicit Region still wins (and a mismatch is still a problem); a pool id without a
    // Region leaves the default.
    let mut pairs = pool("eu-west-1_Abc");
    pairs.push(("AWS_REGION", "us-east-1".to_owned()));
    let c = AuthConfig::load(None, &env(pairs)).expect("loads");
    assert_eq!(c.region, "us-east-1");
    assert!(!c.problems().is_empty());
    let c = AuthConfig::load(None, &env(pool("nonsense"))).expect("loads");
    assert_eq!(c.region, "us-east-1");
}

/// A route answering with the code of `Caller::aws_credentials`'s error (or "credentials").
fn credentials_app(auth: &CognitoAuth) -> Router {
    let mcp = Router::new().fallback(|caller: Caller| async move {
        match caller.aws_credentials().await {
            Ok(_) => "credentials".to_owned(),
            Err(e) => format!("{}: {e}", e.code()),
        }
    });
    Router::new()
        .nest_service("/mcp", mcp)
        .merge(auth.routes())
        .layer(auth.layer())
}

#[tokio::test]
async fn a_caller_with_a_cognito_access_token_gets_no_aws_credentials_and_is_told_why() {
    // JWT mode: only an access token reaches the server, and identity pools take ID tokens.
    // The library says so instead of calling the identity pool with a token it would refuse
    // (or, worse, with the server's own credentials).
    let key = TestKey::generate("k1");
    let jwks_url = serve_jwks(&key).await;
    let pairs = vec![
        ("COGNITO_USER_POOL_ID", POOL.to_owned()),
        ("COGNITO_CLIENT_ID", CLIENT.to_owned()),
        ("COGNITO_JWKS_URL", jwks_url),
        ("COGNITO_MCP_PUBLIC_URL", "http://127.0.0.1:3000".to_owned()),
        (
            "COGNITO_IDENTITY_POOL_ID",
            "us-east-1:2ab8ab6f-1e4b-4e0f-9f5b-3a3f0b8c2d11".to_owned(),
        ),
        // Nothing listens here: a call to it would fail differently.
        (
            "AWS_ENDPOINT_URL_COGNITO_IDENTITY",
            "http://127.0.0.1:9".to_owned(),
        ),
    ];
    let config = AuthConfig::load(None, &env(pairs)).expect("config");
    assert!(config.identity_pool.is_some());
    let auth = CognitoAuth::builder(config).build().await.expect("auth");
    let t = token(&key, &["Admins"], "openid");
    let (status, _, body) =
        send(&credentials_app(&auth), "POST", "/mcp", Some(&t), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.starts_with("no_id_token: "), "{body}");
    assert!(
        body.contains("access token") && body.contains("proxy"),
        "{body}"
    );

    // Without [identity_pool]: not configured, said so.
    let auth = resource_server(&key).await;
    let (_, _, body) = send(&credentials_app(&auth), "POST", "/mcp", Some(&t), json!({})).await;
    assert!(body.starts_with("identity_pool_not_configured: "), "{body}");
}

#[test]
fn a_malformed_identity_pool_id_is_refused_with_what_to_set() {
    let pairs = vec![
        ("COGNITO_USER_POOL_ID", POOL.to_owned()),
        (
            "COGNITO_IDENTITY_POOL_ID",
            "us-east-1_NotAnIdentityPool".to_owned(),
        ),
    ];
    let config = AuthConfig::load(None, &env(pairs)).expect("config");
    let problems: Vec<String> = config.problems().iter().map(|p| p.to_string()).collect();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("COGNITO_IDENTITY_POOL_ID") && p.contains("REGION:UUID")),
        "{problems:?}"
    );
    assert!(config.identity_pool.is_none());
}
