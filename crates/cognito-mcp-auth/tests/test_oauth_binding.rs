//! The browser-binding cookie: a value of this server's own for each transaction, never one
//! the browser already sends, and `__Host-` prefixed with `Secure` on https. The attacks: a
//! cookie planted for the domain (from a sibling subdomain, or over http) fixes the value a
//! victim's sign-in is bound to, so that the attacker's browser can finish it (or the
//! victim's browser the attacker's). Played against the library (`CognitoAuth`, in this
//! process) with the hosted-UI stand-in, and with the sign-in page against moto. Negative
//! tests end in `_fails`.

mod common;

use cognito_mcp_testkit::login::{fields, password_client, to_login_page, user};
use common::*;

/// What an attacker plants for the victim's domain, under the name today's server read.
const PLANTED: &str = "attacker-chosen-value-attacker-chosen-value";

/// The binding cookies (name, value) a browser holds.
fn bindings(b: &Browser) -> Vec<(String, String)> {
    b.cookies
        .iter()
        .filter(|(k, _)| k.contains("cognito_mcp_bind_"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A browser holding only the planted value: under the old name, and under every binding
/// cookie name the victim's browser holds (names are not secret; values are).
fn attacker_browser(victim: &Browser) -> Browser {
    let mut a = Browser::new();
    a.cookies
        .insert("cognito_mcp_binding".into(), PLANTED.into());
    for (name, _) in bindings(victim) {
        a.cookies.insert(name, PLANTED.into());
    }
    a
}

/// A victim browser with the planted cookie already in its jar.
fn planted_browser() -> Browser {
    let mut b = Browser::new();
    b.cookies
        .insert("cognito_mcp_binding".into(), PLANTED.into());
    b
}

async fn hosted(env: &[(&'static str, &str)], extra_auth: &str) -> (StandIn, Server) {
    let pool = new_pool().await;
    let upstream = StandIn::start("alice", &["Admins"]).await;
    let server = serve_proxy_env(&pool, &upstream, extra_auth, "", env).await;
    (upstream, server)
}

#[tokio::test]
async fn planted_binding_cookie_at_the_callback_fails() {
    let (_up, server) = hosted(&[], "").await;
    let base = &server.base;
    let id = public_client(base, "mcp/read").await;
    let (_, challenge) = pkce();
    let mut victim = planted_browser();
    let callback = approve_to_callback(&mut victim, base, &id, &challenge, "mcp/read").await;
    // The attacker knows only the planted value: their copy of the callback is refused.
    let got = attacker_browser(&victim).get(&callback).await;
    assert_eq!(got.status, 400, "{got:?}");
    assert!(got.location.is_none(), "{got:?}");
    // The server issued its own value for this transaction, not the planted one.
    let issued = bindings(&victim);
    assert_eq!(issued.len(), 1, "one binding cookie: {issued:?}");
    assert_ne!(issued[0].1, PLANTED);
}

#[tokio::test]
async fn planted_binding_cookie_at_the_sign_in_page_fails() {
    let pool = new_pool().await;
    let client = password_client(&pool, false).await;
    user(&pool, "vic", &["ReadOnly"], false).await;
    let server = serve_login(&pool, &client, "").await;
    let base = &server.base;
    let id = public_client(base, "openid mcp/read").await;
    let (_, challenge) = pkce();
    let mut victim = planted_browser();
    let page = to_login_page(&mut victim, base, &id, &challenge, "openid mcp/read").await;
    let f = fields(&page.text);
    let mut attacker = attacker_browser(&victim);
    let shown = attacker
        .get(&format!("{base}/login?state={}", f["state"]))
        .await;
    assert_eq!(shown.status, 400, "{}", shown.text);
    let posted = attacker
        .post_form(
            &format!("{base}/login"),
            &[
                ("state", &f["state"]),
                ("csrf", &f["csrf"]),
                ("username", "vic"),
                ("password", cognito_mcp_testkit::login::PASSWORD),
            ],
        )
        .await;
    assert_eq!(posted.status, 400, "{}", posted.text);
    assert!(bindings(&victim).iter().all(|(_, v)| v != PLANTED));
}

#[tokio::test]
async fn planted_binding_cookie_at_consent_fails() {
    let (_up, server) = hosted(&[], "").await;
    let base = &server.base;
    let id = public_client(base, "mcp/read").await;
    let (_, challenge) = pkce();
    let mut victim = planted_browser();
    let page = victim
        .get(&authorize_url(base, &id, &challenge, "mcp/read", &[]))
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    let (txn, csrf) = consent_fields(&page.text);
    // A page posting the consent form from a browser holding the planted value.
    let got = submit_consent(&mut attacker_browser(&victim), base, &txn, &csrf, "approve").await;
    assert_eq!(got.status, 400, "{got:?}");
    assert!(got.location.is_none());
}

#[tokio::test]
async fn two_sign_ins_in_one_browser_keep_their_own_bindings() {
    let (_up, server) = hosted(&[], "").await;
    let base = &server.base;
    let id = public_client(base, "mcp/read").await;
    let (verifier, challenge) = pkce();
    let mut b = Browser::new();
    // The first tab's consent page, then a second sign-in started before it is approved.
    let first = b
        .get(&authorize_url(base, &id, &challenge, "mcp/read", &[]))
        .await;
    let second = b
        .get(&authorize_url(base, &id, &challenge, "mcp/read", &[]))
        .await;
    assert_eq!(bindings(&b).len(), 2, "{:?}", b.cookies);
    for page in [first, second] {
        let (txn, csrf) = consent_fields(&page.text);
        let got = submit_consent(&mut b, base, &txn, &csrf, "approve").await;
        let done = b.follow(got).await;
        let code = done.query()["code"].clone();
        let t = token(base, &code_form(&code, &verifier, &id), None).await;
        assert_eq!(t.status, 200, "{}", t.text);
    }
}

/// `url` with its `resource` parameter set to `resource`.
fn with_resource(url: &str, resource: &str) -> String {
    let mut u = url::Url::parse(url).expect("url");
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .filter(|(k, _)| k != "resource")
        .collect();
    u.query_pairs_mut()
        .clear()
        .extend_pairs(pairs)
        .append_pair("resource", resource);
    u.into()
}

/// The `Set-Cookie` headers of a response.
fn set_cookies(got: &Got) -> Vec<String> {
    got.headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .collect()
}

#[tokio::test]
async fn https_binding_cookie_is_host_prefixed() {
    let public = "https://mcp.example.test";
    let (_up, server) = hosted(
        &[("COGNITO_MCP_PUBLIC_URL", public)],
        "consent_memory_days = 1",
    )
    .await;
    let base = &server.base;
    let id = public_client(base, "mcp/read").await;
    let (_, challenge) = pkce();
    let mut b = Browser::new();
    let url = with_resource(
        &authorize_url(base, &id, &challenge, "mcp/read", &[]),
        &format!("{public}/mcp"),
    );
    let page = b.get(&url).await;
    assert_eq!(page.status, 200, "{}", page.text);
    let cookies = set_cookies(&page);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let c = &cookies[0];
    assert!(c.starts_with("__Host-cognito_mcp_bind_"), "{c}");
    assert!(c.contains("; Secure") && c.contains("Path=/"), "{c}");
    assert!(!c.to_ascii_lowercase().contains("domain="), "{c}");
    // The consent-memory cookie too.
    let (txn, csrf) = consent_fields(&page.text);
    let got = submit_consent(&mut b, base, &txn, &csrf, "approve").await;
    assert_eq!(got.status, 303, "{got:?}");
    let memory = set_cookies(&got);
    assert!(
        memory
            .iter()
            .any(|c| c.starts_with("__Host-cognito_mcp_consent=") && c.contains("; Secure")),
        "{memory:?}"
    );
}

#[tokio::test]
async fn http_binding_cookie_is_plain_for_loopback_development() {
    let (_up, server) = hosted(&[], "").await;
    let base = &server.base;
    let id = public_client(base, "mcp/read").await;
    let (_, challenge) = pkce();
    let page = Browser::new()
        .get(&authorize_url(base, &id, &challenge, "mcp/read", &[]))
        .await;
    let cookies = set_cookies(&page);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    // Browsers refuse `__Host-` and `Secure` cookies from http origins: a plain name.
    assert!(cookies[0].starts_with("cognito_mcp_bind_"), "{cookies:?}");
    assert!(!cookies[0].contains("Secure"), "{cookies:?}");
}

#[tokio::test]
async fn used_binding_cookie_is_cleared_at_the_callback() {
    let (_up, server) = hosted(&[], "").await;
    let base = &server.base;
    let id = public_client(base, "mcp/read").await;
    let (_, challenge) = pkce();
    let mut b = Browser::new();
    let callback = approve_to_callback(&mut b, base, &id, &challenge, "mcp/read").await;
    let name = bindings(&b)[0].0.clone();
    let got = b.get(&callback).await;
    assert_eq!(got.status, 303, "{got:?}");
    assert!(
        set_cookies(&got)
            .iter()
            .any(|c| c.starts_with(&format!("{name}=;")) && c.contains("Max-Age=0")),
        "{got:?}"
    );
}
