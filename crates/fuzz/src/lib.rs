//! Fuzz targets: one function per parser of outside input, each `fn(&[u8])`, each running the
//! code the server itself runs and asserting what must hold for any input (no panic, no 5xx,
//! no redirect anywhere but a registered URI, nothing accepted that the rule refuses).
//!
//! Two drivers run the same targets: `tests/smoke.rs` (stable Rust: seeds plus deterministic
//! mutations, a short run in CI; `FUZZ_ITERATIONS` makes it longer), and cargo-fuzz in the
//! repository's `fuzz/` directory (libFuzzer, coverage-guided, for the long run). The commands
//! are in docs/security.md.

use std::cell::OnceCell;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use cognito_jwt::testing::{TestKey, access_claims, jwks};
use cognito_jwt::{CognitoVerifier, StaticJwks, VerifierBuilder};
use cognito_mcp_auth::authz::{AuthorizationServer, DcrPolicy, HostedUi, HostedUiConfig};
use cognito_mcp_auth::store::MemoryStore;
use http::Request;
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

/// A fuzz target: any bytes in, a panic when what must hold does not.
pub type Target = fn(&[u8]);

/// Every target by name, for the drivers.
pub const TARGETS: &[(&str, Target)] = &[
    ("jwt", jwt),
    ("jwks", jwks_document),
    ("redirect_uri", redirect_uri),
    ("redirect_pattern", redirect_pattern),
    ("register", register),
    ("client_metadata", client_metadata),
    ("authorize", authorize),
    ("token", token),
    ("list_users_filter", list_users_filter),
    ("pre_token_event", pre_token_event),
];

const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_FuzzPool";
const CLIENT: &str = "fuzzclient";
const PUBLIC_URL: &str = "http://127.0.0.1:9";
/// The one redirect URI registered for [`authorize`]'s client.
pub const REGISTERED_REDIRECT: &str = "http://127.0.0.1:9/cb";

/// What the targets share on a thread: a runtime, a key, a verifier and an authorization server.
struct World {
    rt: tokio::runtime::Runtime,
    key: TestKey,
    verifier: CognitoVerifier,
    server: AuthorizationServer,
    router: Router,
    client_id: String,
}

thread_local! {
    static WORLD: OnceCell<World> = const { OnceCell::new() };
}

fn with_world<T>(f: impl FnOnce(&World) -> T) -> T {
    WORLD.with(|cell| f(cell.get_or_init(World::new)))
}

impl World {
    fn new() -> Self {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a Tokio runtime");
        let key = TestKey::generate("fuzz-key");
        let verifier = VerifierBuilder::new(ISSUER)
            .jwks_source(StaticJwks(jwks(&[&key])))
            .allow_client(CLIENT)
            .build()
            .expect("verifier");
        let (server, router, client_id) = rt.block_on(async {
            let mut up = HostedUiConfig::new(ISSUER, CLIENT);
            // The hosted UI is never called: authorize_url is built from the domain alone.
            up.domain = Some("https://auth.example.invalid".into());
            let mut dcr = DcrPolicy::for_resource_server("mcp");
            // A fetch would leave the machine; documents are fuzzed by `client_metadata`.
            dcr.client_id_metadata_documents = false;
            dcr.public_client_patterns = vec!["fuzz".into()];
            let server = AuthorizationServer::builder(
                PUBLIC_URL,
                format!("{PUBLIC_URL}/mcp"),
                Arc::new(MemoryStore::new()),
                Arc::new(HostedUi::new(up)),
            )
            .dcr(dcr)
            .build()
            .await
            .expect("authorization server");
            let router: Router = server.routes();
            let reg = json!({"client_name": "fuzz", "redirect_uris": [REGISTERED_REDIRECT],
                "token_endpoint_auth_method": "none", "scope": "openid mcp/read"});
            let (status, body) = send(
                &router,
                Request::post("/register")
                    .header("content-type", "application/json")
                    .body(Body::from(reg.to_string()))
                    .expect("request"),
            )
            .await;
            assert_eq!(status, 201, "{body}");
            let v: Value = serde_json::from_str(&body).expect("json");
            let client_id = v["client_id"].as_str().expect("client_id").to_owned();
            (server, router, client_id)
        });
        Self {
            rt,
            key,
            verifier,
            server,
            router,
            client_id,
        }
    }
}

/// Sends `req` through `router` in process; (status, body, Location).
async fn send_full(router: &Router, req: Request<Body>) -> (u16, String, Option<String>) {
    let resp = router.clone().oneshot(req).await.expect("infallible");
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        String::from_utf8_lossy(&body).into_owned(),
        location,
    )
}

async fn send(router: &Router, req: Request<Body>) -> (u16, String) {
    let (s, b, _) = send_full(router, req).await;
    (s, b)
}

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// A valid access token of the fuzz pool (a seed for [`jwt`]).
pub fn valid_token() -> String {
    with_world(|w| w.key.sign(&access_claims(ISSUER, CLIENT, now())))
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A bearer token: whatever verifies has the pool's issuer and an allowed client.
pub fn jwt(data: &[u8]) {
    let token = text(data);
    with_world(|w| {
        if let Ok(c) = w.rt.block_on(w.verifier.verify(&token)) {
            assert_eq!(c.iss, ISSUER);
            assert_eq!(c.client_id, CLIENT);
        }
        let _ =
            w.rt.block_on(w.verifier.verify_as(&token, cognito_jwt::TokenUse::Id));
    });
}

/// A key set: a verifier built on it never panics, and accepts a token only when the set holds
/// its key.
pub fn jwks_document(data: &[u8]) {
    with_world(|w| {
        let Ok(v) = VerifierBuilder::new(ISSUER)
            .jwks_source(StaticJwks(data.to_vec()))
            .allow_client(CLIENT)
            .build()
        else {
            return;
        };
        let token = w.key.sign(&access_claims(ISSUER, CLIENT, now()));
        if w.rt.block_on(v.verify(&token)).is_ok() {
            let doc: Value = serde_json::from_slice(data).expect("a key set that verified is JSON");
            assert!(
                doc.to_string().contains(&w.key.kid),
                "verified without the key"
            );
        }
    });
}

/// A redirect URI at registration: what passes has no fragment, no credentials, and an https,
/// loopback http, or pattern-admitted scheme.
pub fn redirect_uri(data: &[u8]) {
    let uri = text(data);
    let patterns = [
        "https://*.example.com/*".to_owned(),
        "cursor://*".to_owned(),
    ];
    for p in [&[][..], &patterns[..]] {
        if cognito_mcp_auth::fuzzing::redirect_check(&uri, p).is_ok() {
            assert!(!uri.contains('#'), "{uri}");
            assert!(!uri.chars().any(char::is_whitespace), "{uri}");
            let lower = uri.to_ascii_lowercase();
            assert!(
                lower.starts_with("https://")
                    || lower.starts_with("http://")
                    || p.iter().any(|pat| {
                        cognito_mcp_auth::fuzzing::redirect_pattern_matches(pat, &uri)
                    }),
                "{uri}"
            );
        }
    }
}

/// A pattern and a URI (split at the first newline): matching never panics, a pattern without
/// `*` matches only itself, and an exact registration matches itself.
pub fn redirect_pattern(data: &[u8]) {
    let all = text(data);
    let (pattern, uri) = all.split_once('\n').unwrap_or((&all, ""));
    let m = cognito_mcp_auth::fuzzing::redirect_glob(pattern, uri);
    if !pattern.contains('*') && m {
        assert_eq!(pattern, uri);
    }
    let _ = cognito_mcp_auth::fuzzing::redirect_matches(pattern, uri);
    let _ = cognito_mcp_auth::fuzzing::redirect_matches(uri, uri);
    // `*` never leaves a host label run or a path segment: whatever the text, a URI the
    // subdomain pattern admits goes to a subdomain.
    if cognito_mcp_auth::fuzzing::redirect_pattern_matches("https://*.example.com/*", uri) {
        let host = cognito_mcp_auth::fuzzing::redirect_host(uri);
        assert!(host.ends_with(".example.com"), "{uri} goes to {host}");
    }
}

/// A `/register` body: never a 5xx, and a registered client's redirect URIs each pass the
/// registration check.
pub fn register(data: &[u8]) {
    with_world(|w| {
        let req = Request::post("/register")
            .header("content-type", "application/json")
            .body(Body::from(data.to_vec()))
            .expect("request");
        let (status, body) = w.rt.block_on(send(&w.router, req));
        assert!(status < 500, "{status}: {body}");
        if status == 201 {
            let v: Value = serde_json::from_str(&body).expect("a registration answer is JSON");
            for uri in v["redirect_uris"].as_array().into_iter().flatten() {
                let uri = uri.as_str().expect("redirect URIs are strings");
                assert!(
                    cognito_mcp_auth::fuzzing::redirect_check(uri, &[]).is_ok(),
                    "{uri}"
                );
            }
        }
    });
}

/// A fetched client ID metadata document: never a panic; what is accepted lists only redirect
/// URIs that pass the registration check.
pub fn client_metadata(data: &[u8]) {
    with_world(|w| {
        let url = "https://client.example.com/metadata.json";
        if let Ok(uris) = cognito_mcp_auth::fuzzing::client_metadata(&w.server, url, data) {
            for uri in uris {
                assert!(
                    cognito_mcp_auth::fuzzing::redirect_check(&uri, &[]).is_ok(),
                    "{uri}"
                );
            }
        }
    });
}

/// An `/authorize` query (the first byte, when odd, prefixes the registered client): never a
/// 5xx, and a redirect only ever to the registered redirect URI or to this server.
pub fn authorize(data: &[u8]) {
    with_world(|w| {
        let rest = text(data.get(1..).unwrap_or_default());
        let query = if data.first().is_some_and(|b| b & 1 == 1) {
            format!("client_id={}&{rest}", w.client_id)
        } else {
            rest
        };
        let Ok(req) = Request::get(format!("/authorize?{query}")).body(Body::empty()) else {
            return;
        };
        let (status, body, location) = w.rt.block_on(send_full(&w.router, req));
        assert!(status < 500, "{status}: {body}");
        if let Some(loc) = location {
            // The registered URI (a loopback one on any port, RFC 8252 §7.3), or this server.
            let target = loc.split('?').next().unwrap_or_default();
            assert!(
                cognito_mcp_auth::fuzzing::redirect_matches(REGISTERED_REDIRECT, target)
                    || loc.starts_with(&format!("{PUBLIC_URL}/")),
                "an open redirect to {loc}"
            );
        }
    });
}

/// A `/token` form body: the form reader and the endpoint never panic, never answer 5xx but 503.
pub fn token(data: &[u8]) {
    let _ = cognito_mcp_auth::fuzzing::token_form(data);
    with_world(|w| {
        let req = Request::post("/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(data.to_vec()))
            .expect("request");
        let (status, body) = w.rt.block_on(send(&w.router, req));
        assert!(status < 500 || status == 503, "{status}: {body}");
    });
}

/// A `list_users` filter: what parses is one of the forms Cognito accepts.
pub fn list_users_filter(data: &[u8]) {
    let input = text(data);
    if let Ok(f) = cognito_admin::Filter::parse("filter", &input) {
        let shown = format!("{f:?}");
        assert!(!shown.is_empty());
        assert!(input.contains('='), "{input}");
    }
}

/// A pre-token-generation event: the trigger never panics, and answers an object.
pub fn pre_token_event(data: &[u8]) {
    let Ok(event) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let config = pre_token_trigger::Config::from_lookup(|_| None).expect("default config");
    if let Ok(out) = pre_token_trigger::respond(&config, event) {
        assert!(out.is_object(), "{out}");
    }
}
