use std::collections::HashMap;

use serde_json::{Value, json};

use super::*;

const URL_DOMAIN: &str = "abcdefgh.lambda-url.us-east-1.on.aws";
const API_DOMAIN: &str = "a1b2c3.execute-api.eu-west-1.amazonaws.com";

/// A payload-format-2.0 event (HTTP API or Function URL).
struct Event {
    domain: Option<String>,
    host: Option<String>,
    stage: String,
    method: &'static str,
    path: &'static str,
    body: Option<String>,
    base64: bool,
}

impl Event {
    fn get(path: &'static str) -> Self {
        Self {
            domain: Some(URL_DOMAIN.into()),
            host: Some(URL_DOMAIN.into()),
            stage: "$default".into(),
            method: "GET",
            path,
            body: None,
            base64: false,
        }
    }

    fn rpc(method: &str) -> Self {
        Self {
            method: "POST",
            body: Some(
                json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": {}}).to_string(),
            ),
            ..Self::get("/mcp")
        }
    }

    fn request(&self) -> lambda_http::Request {
        let mut headers = serde_json::Map::new();
        if let Some(h) = &self.host {
            headers.insert("host".into(), h.as_str().into());
        }
        headers.insert("content-type".into(), "application/json".into());
        headers.insert(
            "accept".into(),
            "application/json, text/event-stream".into(),
        );
        let mut ctx = json!({
            "accountId": "anonymous",
            "apiId": "abcdefgh",
            "requestId": "r-1",
            "routeKey": "$default",
            "stage": self.stage,
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": 0,
            "http": {"method": self.method, "path": self.path, "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.7", "userAgent": "test"},
        });
        if let Some(d) = &self.domain {
            ctx["domainName"] = d.as_str().into();
            ctx["domainPrefix"] = d.split('.').next().unwrap_or_default().into();
        }
        let e = json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": self.path,
            "rawQueryString": "",
            "headers": headers,
            "requestContext": ctx,
            "body": self.body,
            "isBase64Encoded": self.base64,
        });
        lambda_http::request::from_str(&e.to_string()).expect("an HTTP API v2 event")
    }
}

/// The handler for a pool that needs no network until a token arrives.
async fn handler(extra: &[(&str, &str)]) -> Handler {
    let mut vars: HashMap<String, String> = [
        ("COGNITO_USER_POOL_ID", "us-east-1_Test1"),
        ("COGNITO_CLIENT_ID", "testclient"),
        ("COGNITO_JWKS_URL", "http://127.0.0.1:9/jwks.json"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let settings = Settings::load(None, &|k| vars.get(k).cloned()).expect("settings");
    let pool = settings.auth.user_pool_id.clone().expect("pool");
    let policy = crate::policy::ToolPolicy::from_settings(&settings);
    let admin = crate::aws::LazyAdmin::new(settings.clone(), pool.clone());
    let server = CognitoMcp::new(admin, policy, None, "anonymous");
    let base = AppBase::new(settings, server).expect("app base");
    Handler::new(base).await.expect("handler")
}

async fn send(h: &Handler, e: &Event) -> (u16, http::HeaderMap, Value) {
    let resp = h.handle(e.request()).await;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .expect("body");
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, headers, body)
}

fn www_authenticate(headers: &http::HeaderMap) -> String {
    headers
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn no_token_fails_naming_the_learned_url() {
    let h = handler(&[]).await;
    let (status, headers, _) = send(&h, &Event::rpc("tools/list")).await;
    assert_eq!(status, 401);
    let challenge = www_authenticate(&headers);
    assert!(
        challenge.contains(&format!(
            "resource_metadata=\"https://{URL_DOMAIN}/.well-known/oauth-protected-resource/mcp\""
        )),
        "{challenge}"
    );
    let (status, _, doc) = send(&h, &Event::get("/.well-known/oauth-protected-resource/mcp")).await;
    assert_eq!(status, 200);
    assert_eq!(doc["resource"], format!("https://{URL_DOMAIN}/mcp"));
}

#[tokio::test]
async fn http_api_domain_is_learned_too() {
    let h = handler(&[]).await;
    let e = Event {
        domain: Some(API_DOMAIN.into()),
        host: Some(API_DOMAIN.into()),
        ..Event::get("/.well-known/oauth-protected-resource")
    };
    let (status, _, doc) = send(&h, &e).await;
    assert_eq!(status, 200);
    assert_eq!(doc["resource"], format!("https://{API_DOMAIN}/mcp"));
}

#[tokio::test]
async fn first_request_with_a_wrong_host_fails_and_teaches_nothing() {
    let h = handler(&[]).await;
    let wrong = Event {
        host: Some("evil.example.com".into()),
        ..Event::get("/.well-known/oauth-protected-resource/mcp")
    };
    let (status, _, _) = send(&h, &wrong).await;
    assert_eq!(status, 403);
    assert!(h.inner.app.get().is_none(), "nothing was learned");
    let (status, _, doc) = send(&h, &Event::get("/.well-known/oauth-protected-resource/mcp")).await;
    assert_eq!(status, 200);
    assert_eq!(doc["resource"], format!("https://{URL_DOMAIN}/mcp"));
}

#[tokio::test]
async fn later_request_from_another_domain_does_not_move_the_url() {
    let h = handler(&[]).await;
    send(&h, &Event::get("/healthz")).await;
    let other = Event {
        domain: Some(API_DOMAIN.into()),
        host: Some(API_DOMAIN.into()),
        ..Event::get("/.well-known/oauth-protected-resource/mcp")
    };
    let (_, _, doc) = send(&h, &other).await;
    assert_eq!(doc["resource"], format!("https://{URL_DOMAIN}/mcp"));
}

#[tokio::test]
async fn event_without_a_domain_fails() {
    let h = handler(&[]).await;
    let e = Event {
        domain: None,
        ..Event::get("/healthz")
    };
    let (status, _, _) = send(&h, &e).await;
    assert_eq!(status, 400);
    assert!(h.inner.app.get().is_none());
}

#[tokio::test]
async fn configured_public_url_wins_over_the_domain() {
    let h = handler(&[("COGNITO_MCP_PUBLIC_URL", "https://mcp.example.com/")]).await;
    assert!(h.inner.app.get().is_some(), "built at start");
    let e = Event {
        domain: None,
        host: Some("mcp.example.com".into()),
        ..Event::rpc("tools/list")
    };
    let (status, headers, _) = send(&h, &e).await;
    assert_eq!(status, 401);
    assert!(
        www_authenticate(&headers).contains(
            "resource_metadata=\"https://mcp.example.com/.well-known/oauth-protected-resource/mcp\""
        ),
        "{}",
        www_authenticate(&headers)
    );
}

#[tokio::test]
async fn plain_http_public_url_is_ignored_on_lambda() {
    let h = handler(&[("COGNITO_MCP_PUBLIC_URL", "http://localhost:8080")]).await;
    assert!(h.inner.app.get().is_none(), "not built for a loopback URL");
    let (_, _, doc) = send(&h, &Event::get("/.well-known/oauth-protected-resource/mcp")).await;
    assert_eq!(doc["resource"], format!("https://{URL_DOMAIN}/mcp"));
}

#[test]
fn function_url_domain_becomes_the_public_url() {
    let req = Event::get("/healthz").request();
    assert_eq!(
        learned_public_url(&req),
        Ok(format!("https://{URL_DOMAIN}"))
    );
    assert_eq!(source_ip(&req), Some("203.0.113.7".parse().expect("ip")));
}

#[test]
fn host_with_the_default_port_is_the_same_host() {
    let e = Event {
        domain: Some(API_DOMAIN.into()),
        host: Some(format!("{API_DOMAIN}:443")),
        ..Event::get("/healthz")
    };
    assert_eq!(
        learned_public_url(&e.request()),
        Ok(format!("https://{API_DOMAIN}"))
    );
}

#[test]
fn host_other_than_the_domain_fails() {
    let e = Event {
        host: Some("evil.example.com".into()),
        ..Event::get("/healthz")
    };
    assert_eq!(learned_public_url(&e.request()), Err(Refusal::HostMismatch));
}

#[test]
fn domain_with_a_path_or_port_fails() {
    for d in [
        "evil.example.com/x",
        "evil.example.com:8443",
        "a..b",
        "-a.b",
        "user@host",
    ] {
        // lambda_http builds the URI from the Host header when there is one.
        let e = Event {
            domain: Some(d.into()),
            host: Some("ok.example.com".into()),
            ..Event::get("/healthz")
        };
        assert_eq!(
            learned_public_url(&e.request()),
            Err(Refusal::BadDomain),
            "{d}"
        );
    }
}

#[test]
fn named_stage_fails() {
    let e = Event {
        domain: Some(API_DOMAIN.into()),
        host: Some(API_DOMAIN.into()),
        stage: "prod".into(),
        ..Event::get("/healthz")
    };
    assert_eq!(
        learned_public_url(&e.request()),
        Err(Refusal::NamedStage("prod".into()))
    );
}
