//! The limits against state exhaustion, in process: the router with an injected clock and
//! client addresses, over the memory store and an upstream that signs nobody in.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use cognito_jwt::testing::ManualClock;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::upstream::{Upstream, UpstreamError, UpstreamFuture, UpstreamGrant, UpstreamRequest};
use super::{AuthorizationServer, DcrPolicy, Limits, model};
use crate::store::{Kind, MemoryStore, Store};

const BASE: &str = "https://as.example.com";
const REDIRECT: &str = "http://127.0.0.1:9/cb";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

#[derive(Debug)]
struct Nobody;

impl Upstream for Nobody {
    fn authorize_url<'a>(&'a self, r: &'a UpstreamRequest) -> UpstreamFuture<'a, String> {
        let url = format!("https://upstream.example.com/authorize?state={}", r.state);
        Box::pin(async move { Ok(url) })
    }
    fn exchange<'a>(
        &'a self,
        _: &'a str,
        _: &'a UpstreamRequest,
    ) -> UpstreamFuture<'a, UpstreamGrant> {
        Box::pin(async { Err(UpstreamError::Unavailable("test".into())) })
    }
    fn refresh<'a>(&'a self, _: &'a str) -> UpstreamFuture<'a, UpstreamGrant> {
        Box::pin(async { Err(UpstreamError::Unavailable("test".into())) })
    }
    fn revoke<'a>(&'a self, _: &'a str) -> UpstreamFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
}

struct Fixture {
    server: AuthorizationServer,
    app: Router,
    clock: ManualClock,
    store: Arc<MemoryStore>,
}

async fn fixture(limits: Limits, dcr: DcrPolicy) -> Fixture {
    let store = Arc::new(MemoryStore::new());
    let clock = ManualClock::now();
    let server =
        AuthorizationServer::builder(BASE, format!("{BASE}/mcp"), store.clone(), Arc::new(Nobody))
            .limits(limits)
            .dcr(dcr)
            .clock(Arc::new(clock.clone()))
            .build()
            .await
            .expect("server");
    let app = server.routes();
    Fixture {
        server,
        app,
        clock,
        store,
    }
}

struct Reply {
    status: StatusCode,
    retry_after: Option<String>,
    body: String,
}

async fn send(app: &Router, from: &str, req: http::request::Builder, body: Body) -> Reply {
    let mut req = req.body(body).expect("request");
    let peer: SocketAddr = format!("[{from}]:4000")
        .parse()
        .or_else(|_| format!("{from}:4000").parse())
        .expect("peer");
    req.extensions_mut().insert(ConnectInfo(peer));
    let resp = app.clone().oneshot(req).await.expect("infallible");
    let status = resp.status();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap_or("").to_owned());
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    Reply {
        status,
        retry_after,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn register(app: &Router, from: &str) -> Reply {
    let body = json!({"client_name": "t", "redirect_uris": [REDIRECT]}).to_string();
    send(
        app,
        from,
        Request::post("/register").header("content-type", "application/json"),
        Body::from(body),
    )
    .await
}

async fn client_id(app: &Router) -> String {
    let r = register(app, "192.0.2.200").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let v: Value = serde_json::from_str(&r.body).expect("json");
    v["client_id"].as_str().expect("id").to_owned()
}

async fn authorize(app: &Router, from: &str, client: &str) -> Reply {
    let uri = format!(
        "/authorize?response_type=code&client_id={client}&redirect_uri={}&code_challenge={CHALLENGE}&code_challenge_method=S256",
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
    );
    send(app, from, Request::get(uri), Body::empty()).await
}

fn limits(f: impl FnOnce(&mut Limits)) -> Limits {
    let mut l = Limits::default();
    f(&mut l);
    l
}

#[tokio::test]
async fn authorize_flood_from_one_address_fails() {
    let fx = fixture(limits(|l| l.authorize_per_minute = 3), DcrPolicy::default()).await;
    let id = client_id(&fx.app).await;
    for _ in 0..3 {
        let r = authorize(&fx.app, "192.0.2.1", &id).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let r = authorize(&fx.app, "192.0.2.1", &id).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert_eq!(r.retry_after.as_deref(), Some("20"));
    assert!(
        r.body.contains("Too many sign-in requests"),
        "an error page: {}",
        r.body
    );
    let other = authorize(&fx.app, "192.0.2.2", &id).await;
    assert_eq!(
        other.status,
        StatusCode::OK,
        "another address is not limited"
    );
    fx.clock.advance(Duration::from_secs(20));
    let again = authorize(&fx.app, "192.0.2.1", &id).await;
    assert_eq!(again.status, StatusCode::OK, "room again after Retry-After");
}

#[tokio::test]
async fn authorize_flood_from_one_ipv6_64_fails() {
    let fx = fixture(limits(|l| l.authorize_per_minute = 2), DcrPolicy::default()).await;
    let id = client_id(&fx.app).await;
    assert_eq!(
        authorize(&fx.app, "2001:db8:7:7::1", &id).await.status,
        StatusCode::OK
    );
    assert_eq!(
        authorize(&fx.app, "2001:db8:7:7::2", &id).await.status,
        StatusCode::OK
    );
    let r = authorize(&fx.app, "2001:db8:7:7:1:2:3:4", &id).await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "one /64, one budget"
    );
    let r = authorize(&fx.app, "2001:db8:7:8::1", &id).await;
    assert_eq!(r.status, StatusCode::OK, "another /64");
}

#[tokio::test]
async fn authorize_flood_from_everyone_fails() {
    let fx = fixture(
        limits(|l| l.authorize_per_minute_total = 3),
        DcrPolicy::default(),
    )
    .await;
    let id = client_id(&fx.app).await;
    for i in 1..=3 {
        let r = authorize(&fx.app, &format!("192.0.2.{i}"), &id).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let r = authorize(&fx.app, "192.0.2.9", &id).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert_eq!(r.retry_after.as_deref(), Some("20"));
    fx.clock.advance(Duration::from_secs(20));
    assert_eq!(
        authorize(&fx.app, "192.0.2.9", &id).await.status,
        StatusCode::OK
    );
}

/// The hidden fields of a consent page.
fn consent_form(html: &str) -> String {
    let field = |name: &str| {
        let at = html
            .find(&format!("name=\"{name}\" value=\""))
            .unwrap_or_else(|| panic!("no {name} in {html}"));
        let rest = &html[at + name.len() + 15..];
        rest[..rest.find('"').expect("quote")].to_owned()
    };
    format!("txn={}&csrf={}&action=approve", field("txn"), field("csrf"))
}

#[tokio::test]
async fn pending_sign_ins_past_the_address_cap_fail() {
    let fx = fixture(limits(|l| l.pending_per_address = 2), DcrPolicy::default()).await;
    let id = client_id(&fx.app).await;
    let first = authorize(&fx.app, "192.0.2.1", &id).await;
    let second = authorize(&fx.app, "192.0.2.1", &id).await;
    assert_eq!(
        (first.status, second.status),
        (StatusCode::OK, StatusCode::OK)
    );
    let r = authorize(&fx.app, "192.0.2.1", &id).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.body.contains("Too many sign-ins waiting"), "{}", r.body);
    assert_eq!(
        r.retry_after.as_deref(),
        Some("600"),
        "the first consent's lifetime"
    );
    assert_eq!(
        fx.store.count(Kind::Consent).await.expect("count"),
        2,
        "no record lost"
    );
    assert_eq!(
        authorize(&fx.app, "192.0.2.2", &id).await.status,
        StatusCode::OK,
        "another address has its own room"
    );
    fx.clock.advance(Duration::from_secs(600));
    assert_eq!(
        authorize(&fx.app, "192.0.2.1", &id).await.status,
        StatusCode::OK,
        "room again once the waiting sign-ins' lifetime ended"
    );
}

#[tokio::test]
async fn a_consent_in_progress_survives_the_cap() {
    let fx = fixture(limits(|l| l.pending_per_address = 1), DcrPolicy::default()).await;
    let id = client_id(&fx.app).await;
    let page = authorize(&fx.app, "192.0.2.1", &id).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        authorize(&fx.app, "192.0.2.1", &id).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // The waiting consent still works: taking it frees its room for its transaction.
    // (No binding cookie here, so the consent is refused after being taken; what matters is
    // that the refusals above did not remove it.)
    let r = send(
        &fx.app,
        "192.0.2.1",
        Request::post("/consent").header("content-type", "application/x-www-form-urlencoded"),
        Body::from(consent_form(&page.body)),
    )
    .await;
    assert!(r.body.contains("did not start the request"), "{}", r.body);
    assert_eq!(
        authorize(&fx.app, "192.0.2.1", &id).await.status,
        StatusCode::OK,
        "a taken consent frees its room at once"
    );
}

#[tokio::test]
async fn pending_sign_ins_past_the_total_cap_fail() {
    let fx = fixture(limits(|l| l.pending_total = 3), DcrPolicy::default()).await;
    let id = client_id(&fx.app).await;
    for i in 1..=3 {
        let r = authorize(&fx.app, &format!("192.0.2.{i}"), &id).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let r = authorize(&fx.app, "192.0.2.9", &id).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert!(r.retry_after.is_some());
    assert_eq!(fx.store.count(Kind::Consent).await.expect("count"), 3);
}

#[tokio::test]
async fn registration_flood_from_everyone_fails() {
    let dcr = DcrPolicy {
        registrations_per_minute_total: 2,
        ..DcrPolicy::default()
    };
    let fx = fixture(Limits::default(), dcr).await;
    assert_eq!(
        register(&fx.app, "192.0.2.1").await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        register(&fx.app, "192.0.2.2").await.status,
        StatusCode::CREATED
    );
    let r = register(&fx.app, "192.0.2.3").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert_eq!(r.retry_after.as_deref(), Some("30"));
    let v: Value = serde_json::from_str(&r.body).expect("an OAuth error body");
    assert_eq!(v["error"], json!("temporarily_unavailable"));
    fx.clock.advance(Duration::from_secs(30));
    assert_eq!(
        register(&fx.app, "192.0.2.3").await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn registration_flood_from_one_ipv6_64_fails() {
    let dcr = DcrPolicy {
        registrations_per_minute: 1,
        ..DcrPolicy::default()
    };
    let fx = fixture(Limits::default(), dcr).await;
    assert_eq!(
        register(&fx.app, "2001:db8::1").await.status,
        StatusCode::CREATED
    );
    let r = register(&fx.app, "2001:db8::2").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert_eq!(r.retry_after.as_deref(), Some("60"));
    assert_eq!(
        register(&fx.app, "2001:db8:0:1::1").await.status,
        StatusCode::CREATED
    );
}

async fn stored(fx: &Fixture, id: &str) -> Option<model::Client> {
    fx.server
        .get_record::<model::Client>(Kind::Client, id)
        .await
        .expect("store")
}

#[tokio::test]
async fn a_used_registration_records_its_use() {
    let fx = fixture(Limits::default(), DcrPolicy::default()).await;
    let id = client_id(&fx.app).await;
    let c = stored(&fx, &id).await.expect("registered");
    assert_eq!(c.last_used, None);
    fx.server.client_used(&c).await;
    let used = stored(&fx, &id).await.expect("still registered");
    assert_eq!(used.last_used, Some(fx.clock.secs()));
    // Used again soon after: not rewritten (at most daily).
    fx.clock.advance(Duration::from_secs(3600));
    fx.server.client_used(&used).await;
    assert_eq!(
        stored(&fx, &id).await.expect("kept").last_used,
        used.last_used
    );
    fx.clock.advance(Duration::from_secs(24 * 3600));
    fx.server.client_used(&used).await;
    assert_eq!(
        stored(&fx, &id).await.expect("kept").last_used,
        Some(fx.clock.secs())
    );
}

#[tokio::test]
async fn metadata_document_clients_are_never_stored() {
    let fx = fixture(Limits::default(), DcrPolicy::default()).await;
    let cimd = model::Client {
        client_id: "https://app.example.com/client.json".into(),
        secret_hash: None,
        client_name: None,
        redirect_uris: vec![REDIRECT.into()],
        auth_method: "none".into(),
        scopes: vec!["openid".into()],
        grant_types: vec!["authorization_code".into()],
        issued_at: fx.clock.secs(),
        metadata_document: true,
        last_used: None,
    };
    fx.server.client_used(&cimd).await;
    assert_eq!(fx.store.count(Kind::Client).await.expect("count"), 0);
}
