//! Proxy mode, where the browser is sent: errors before consent stay on this server (RFC 9700
//! §4.11.2) unless the operator trusts the redirect URI, never for a client ID metadata
//! document; `*` in redirect patterns stays within a host label run or a path segment; and
//! metadata-document fetches ignore proxies from the environment and tell the caller nothing of
//! the server's network. The negative tests end in `_fails`.

mod common;

use common::new_pool;
use common::proxy::*;
use serde_json::json;

struct Setup {
    _pool: common::Pool,
    _upstream: StandIn,
    server: common::HttpServer,
    _state: tempfile::TempDir,
    base: String,
}

async fn setup_with(extra_dcr: &str, env: &[(&str, &str)]) -> Setup {
    let pool = new_pool().await;
    let upstream = StandIn::start("alice", &["Admins"]).await;
    let state = tempfile::tempdir().expect("state dir");
    let cfg = config(state.path(), "", extra_dcr);
    let server = serve_proxy(&pool, &upstream, &cfg, &state.path().join("state"), env).await;
    let base = server.base.clone();
    Setup {
        _pool: pool,
        _upstream: upstream,
        server,
        _state: state,
        base,
    }
}

/// `got` is this server's error page for OAuth error `code`, saying `says`, not a redirect.
fn assert_page(got: &Got, code: &str, says: &str) {
    assert_eq!(got.status, 400, "{got:?}");
    assert!(
        got.location.is_none(),
        "no redirect before consent: {got:?}"
    );
    assert!(
        got.text.contains(code) && got.text.contains(says),
        "the page names {code} and says {says:?}: {}",
        got.text
    );
}

/// The pre-consent errors, as (what to change in the request, OAuth code, what the page says).
fn pre_consent_errors(base: &str, id: &str) -> Vec<(String, &'static str, &'static str)> {
    let (_, challenge) = pkce();
    let good = authorize_url(base, id, &challenge, "mcp/read", &[]);
    let without_pkce = {
        let mut u = url::Url::parse(&good).expect("url");
        let kept: Vec<(String, String)> = u
            .query_pairs()
            .filter(|(k, _)| !k.starts_with("code_challenge"))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        u.query_pairs_mut().clear().extend_pairs(kept);
        u.to_string()
    };
    let resource =
        url::form_urlencoded::byte_serialize(format!("{base}/mcp").as_bytes()).collect::<String>();
    vec![
        (without_pkce, "invalid_request", "PKCE is required"),
        (
            good.replace("code_challenge_method=S256", "code_challenge_method=plain"),
            "invalid_request",
            "plain is not accepted",
        ),
        (
            good.replace("response_type=code", "response_type=token"),
            "unsupported_response_type",
            "response_type must be code",
        ),
        (
            authorize_url(base, id, &challenge, "mcp/read mcp/admin", &[]),
            "invalid_scope",
            "the scope mcp/admin was not registered by this client",
        ),
        (
            good.replace(&resource, "https%3A%2F%2Fother.example%2Fmcp"),
            "invalid_target",
            "is not served here",
        ),
    ]
}

/// The attack: register a client with your own redirect URI, then send a victim a link to
/// `/authorize` with a bad scope; a redirect would bounce them from this trusted origin to
/// you. Every error before consent is a page here, naming what went wrong.
#[tokio::test]
async fn pre_consent_error_redirect_to_an_untrusted_uri_fails() {
    let s = setup_with("", &[]).await;
    let id = public_client(&s.base, "mcp/read").await;
    for (url, code, says) in pre_consent_errors(&s.base, &id) {
        let got = Browser::new().get(&url).await;
        assert_page(&got, code, says);
        assert!(
            got.text.contains("127.0.0.1:53682"),
            "names the app: {}",
            got.text
        );
        assert_eq!(got.headers["x-frame-options"], "DENY");
    }
}

/// A redirect URI the operator trusts gets the error as OAuth says, with state and iss.
#[tokio::test]
async fn pre_consent_error_redirects_to_a_trusted_uri() {
    let s = setup_with(
        "trusted_redirect_patterns = [\"http://127.0.0.1:53682/oauth/*\"]",
        &[],
    )
    .await;
    let id = public_client(&s.base, "mcp/read").await;
    for (url, code, says) in pre_consent_errors(&s.base, &id) {
        let got = Browser::new().get(&url).await;
        let loc = got.location.as_deref().unwrap_or_default();
        assert!(loc.starts_with(REDIRECT), "{got:?}");
        let q = got.query();
        assert_eq!(q["error"], code, "{got:?}");
        assert!(q["error_description"].contains(says), "{q:?}");
        assert_eq!(q["state"], "client-state-123");
        assert_eq!(q["iss"], s.base);
    }
}

/// Anyone can publish a metadata document with any redirect URI, so its errors before consent
/// are pages even when a trusted pattern covers that URI. After consent, errors redirect.
#[tokio::test]
async fn metadata_document_pre_consent_redirect_fails() {
    let s = setup_with(
        "trusted_redirect_patterns = [\"http://127.0.0.1:53682/oauth/*\"]\n\
         dangerously_allow_private_metadata_documents = true",
        &[],
    )
    .await;
    let client_id = serve_metadata_document("127.0.0.1", None).await;
    for (url, code, says) in pre_consent_errors(&s.base, &client_id) {
        assert_page(&Browser::new().get(&url).await, code, says);
    }
    // The user denies at the consent page: that error goes back to the client.
    let (_, challenge) = pkce();
    let mut b = Browser::new();
    let page = b
        .get(&authorize_url(
            &s.base,
            &client_id,
            &challenge,
            "mcp/read",
            &[],
        ))
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    let (txn, csrf) = consent_fields(&page.text);
    let denied = submit_consent(&mut b, &s.base, &txn, &csrf, "deny").await;
    assert_eq!(denied.query()["error"], "access_denied", "{denied:?}");
    assert_eq!(denied.query()["state"], "client-state-123");
}

/// `*` within one host label run or path segment: `https://*.example.com/*` must not admit
/// `https://attacker.net/.example.com/cb`, nor `attacker.net\.example.com` (a browser reads
/// `\` as `/`), nor an encoded slash in the host.
#[tokio::test]
async fn redirect_pattern_wildcard_across_a_slash_fails() {
    let s = setup_with(
        "allowed_redirect_patterns = [\"https://*.example.com/*\"]",
        &[],
    )
    .await;
    for evil in [
        "https://attacker.net/.example.com/cb",
        "https://attacker.net\\.example.com/cb",
        "https://attacker.net%2F.example.com/cb",
        "https://app.example.com@attacker.net/cb",
        "https://attacker.net?.example.com/cb",
    ] {
        let got = register(
            &s.base,
            json!({"client_name": "x", "redirect_uris": [evil]}),
        )
        .await;
        assert_eq!(
            (got.status, got.json()["error"].clone()),
            (400, json!("invalid_redirect_uri")),
            "{evil}: {}",
            got.text
        );
    }
    let ok = register(
        &s.base,
        json!({"client_name": "x", "redirect_uris": ["https://app.example.com/cb"]}),
    )
    .await;
    assert_eq!(ok.status, 201, "{}", ok.text);
}

/// A proxy from the environment would resolve and connect on its own, undoing the address
/// check and the pinning. The server runs with every proxy variable pointing at a closed
/// port (loopback names excepted, for moto and the stand-in); the document, on 127.0.0.2,
/// is fetched directly all the same.
#[tokio::test]
async fn metadata_document_fetch_ignores_proxy_from_the_environment() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", l.local_addr().expect("addr"))
    };
    let env: Vec<(&str, &str)> = [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ]
    .into_iter()
    .map(|k| (k, closed.as_str()))
    .chain([
        ("NO_PROXY", "localhost,127.0.0.1"),
        ("no_proxy", "localhost,127.0.0.1"),
    ])
    .collect();
    let s = setup_with("dangerously_allow_private_metadata_documents = true", &env).await;
    let client_id = serve_metadata_document("127.0.0.2", None).await;
    let (_, challenge) = pkce();
    let page = Browser::new()
        .get(&authorize_url(
            &s.base,
            &client_id,
            &challenge,
            "mcp/read",
            &[],
        ))
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.text.contains("Metadata Document Agent"),
        "{}",
        page.text
    );
}

/// A fetch that fails tells the caller what to fix, never the server's view of the network:
/// not the address a name resolved to, nor the resolver's or TLS stack's words. The log has it.
#[tokio::test]
async fn metadata_document_error_detail_to_the_caller_fails() {
    let s = setup_with("", &[]).await;
    let (_, challenge) = pkce();
    for client_id in [
        "https://localhost:9/clients/agent.json",
        "https://no-such-host.invalid/clients/agent.json",
    ] {
        let got = Browser::new()
            .get(&authorize_url(
                &s.base,
                client_id,
                &challenge,
                "mcp/read",
                &[],
            ))
            .await;
        assert_eq!(got.status, 400, "{got:?}");
        assert!(got.location.is_none());
        assert!(got.text.contains("could not be fetched"), "{}", got.text);
        let text = got
            .text
            .to_lowercase()
            .replace(&client_id.to_lowercase(), "");
        for word in [
            "127.0.0.1",
            "::1",
            "loopback",
            "private",
            "resolve",
            "lookup",
            "dns",
            "os error",
        ] {
            assert!(
                !text.contains(word),
                "{word:?} reaches the caller: {}",
                got.text
            );
        }
    }
    let log = std::fs::read_to_string(s.server.dir.path().join("stderr.log")).expect("log");
    assert!(
        log.contains("metadata document refused") && log.contains("loopback"),
        "the detail is logged: {log}"
    );
}
