//! The sign-in page (proxy mode without a hosted UI) against moto: password and SRP sign-in,
//! a first sign-in's new password, TOTP enrollment and TOTP sign-in, the lockout, and the
//! page's own rules. Negative tests end in `_fails`.

mod common;

use common::login::*;
use common::proxy::{Browser, Got, REDIRECT, claims, config, pkce, public_client, token};
use common::{HttpServer, Pool, http_call, new_pool};
use serde_json::{Value, json};

struct Setup {
    pool: Pool,
    server: HttpServer,
    _state: tempfile::TempDir,
    base: String,
}

async fn setup(pool: Pool, client: (String, Option<String>), extra_auth: &str) -> Setup {
    let state = tempfile::tempdir().expect("state dir");
    let cfg = config(state.path(), extra_auth, "");
    let server = serve_login(&pool, &client, &cfg, &state.path().join("state"), &[]).await;
    let base = server.base.clone();
    Setup {
        pool,
        server,
        _state: state,
        base,
    }
}

impl Setup {
    /// The server's log so far.
    fn log(&self) -> String {
        std::fs::read_to_string(self.server.dir.path().join("stderr.log")).unwrap_or_default()
    }
}

/// The code the client receives at its redirect URI after the callback.
async fn through_callback(s: &Setup, b: &mut Browser, got: Got) -> String {
    assert_eq!(
        got.status,
        303,
        "a redirect to the callback: {}\nserver log:\n{}",
        got.text,
        s.log()
    );
    let done = b.follow(got).await;
    let loc = done.location.clone().expect("redirect to the client");
    assert!(loc.starts_with(REDIRECT), "{loc}");
    done.query()
        .get("code")
        .cloned()
        .unwrap_or_else(|| panic!("no code in {loc}"))
}

async fn redeem(base: &str, client_id: &str, code: &str, verifier: &str) -> Value {
    let t = token(
        base,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
            ("client_id", client_id),
        ],
        None,
    )
    .await;
    assert_eq!(t.status, 200, "{}", t.text);
    t.json()
}

/// Signs `username` in with `password` from the start; returns the sign-in POST's answer.
async fn password_step(
    s: &Setup,
    b: &mut Browser,
    client_id: &str,
    challenge: &str,
    username: &str,
    password: &str,
) -> Got {
    let page = to_login_page(b, &s.base, client_id, challenge, "openid mcp/read mcp/admin").await;
    submit(
        b,
        &s.base,
        &page,
        "/login",
        &[("username", username), ("password", password)],
    )
    .await
}

#[tokio::test]
async fn password_sign_in_end_to_end() {
    let pool = new_pool().await;
    let client = password_client(&pool, true).await;
    user(&pool, "alex", &["Admins"], false).await;
    let s = setup(pool, client, "").await;
    let id = public_client(&s.base, "openid mcp/read mcp/admin").await;
    let (verifier, challenge) = pkce();
    let mut b = Browser::new();
    let got = password_step(&s, &mut b, &id, &challenge, "alex", PASSWORD).await;
    let code = through_callback(&s, &mut b, got).await;
    let t = redeem(&s.base, &id, &code, &verifier).await;
    let access = t["access_token"].as_str().expect("access token");
    let c = claims(access);
    assert_eq!(c["username"], json!("alex"));
    assert_eq!(c["iss"], json!(s.base));
    assert_eq!(t["scope"], json!("openid mcp/read mcp/admin"));
    let who = http_call(&s.base, access, "whoami", json!({})).await;
    assert_eq!(who.status, 200, "{:?}", who.body);
    assert_eq!(
        who.body["result"]["structuredContent"]["username"],
        json!("alex")
    );
    // Refresh goes to Cognito (REFRESH_TOKEN_AUTH with SECRET_HASH) and re-reads the groups.
    let r = token(
        &s.base,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().expect("refresh")),
            ("client_id", &id),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let _ = &s.pool;
}

#[tokio::test]
async fn srp_sign_in_end_to_end() {
    let pool = new_pool().await;
    let client = srp_client(&pool, false).await;
    user(&pool, "sam", &["ReadOnly"], false).await;
    let s = setup(pool, client, "").await;
    let id = public_client(&s.base, "openid mcp/read").await;
    let (verifier, challenge) = pkce();
    let mut b = Browser::new();
    let page = to_login_page(&mut b, &s.base, &id, &challenge, "openid mcp/read").await;
    let got = submit(
        &mut b,
        &s.base,
        &page,
        "/login",
        &[("username", "sam"), ("password", PASSWORD)],
    )
    .await;
    let code = through_callback(&s, &mut b, got).await;
    let t = redeem(&s.base, &id, &code, &verifier).await;
    assert_eq!(
        claims(t["access_token"].as_str().expect("access"))["username"],
        json!("sam")
    );
}
