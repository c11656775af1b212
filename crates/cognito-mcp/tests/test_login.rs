//! The sign-in page (proxy mode without a hosted UI) against moto: password and SRP sign-in,
//! a first sign-in's new password, TOTP enrollment and TOTP sign-in, and the page's own
//! rules (the lockout is the library's: `cognito-mcp-auth/tests/test_login_lockout.rs`). Negative tests end in `_fails`.

mod common;

use common::login::*;
use common::proxy::{
    Browser, Got, REDIRECT, claims, code_form, config, pkce, public_client, refresh_form, token,
};
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
    let t = token(base, &code_form(code, verifier, client_id), None).await;
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
    scope: &str,
) -> Got {
    let page = to_login_page(b, &s.base, client_id, challenge, scope).await;
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
    let got = password_step(
        &s,
        &mut b,
        &id,
        &challenge,
        "alex",
        PASSWORD,
        "openid mcp/read mcp/admin",
    )
    .await;
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
        &refresh_form(t["refresh_token"].as_str().expect("refresh"), &id),
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

#[tokio::test]
async fn first_sign_in_sets_a_new_password() {
    let pool = new_pool().await;
    let client = password_client(&pool, true).await;
    user(&pool, "nina", &["Developers"], true).await;
    let s = setup(pool, client, "").await;
    let id = public_client(&s.base, "openid mcp/read").await;
    let (verifier, challenge) = pkce();
    let mut b = Browser::new();
    let page = to_login_page(&mut b, &s.base, &id, &challenge, "openid mcp/read").await;
    let page = submit(
        &mut b,
        &s.base,
        &page,
        "/login",
        &[("username", "nina"), ("password", TEMPORARY)],
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("Choose a new password"), "{}", page.text);
    // The pool's policy is shown (bootstrap sets 12 characters, every class).
    assert!(
        page.text.contains("at least 12 characters"),
        "{}",
        page.text
    );

    // Checked before Cognito sees it: the two fields differ, then a weak password.
    let differ = submit(
        &mut b,
        &s.base,
        &page,
        "/login/challenge",
        &[
            ("new_password", "New-Password-123"),
            ("confirm_password", "New-Password-124"),
        ],
    )
    .await;
    assert_eq!(differ.status, 400);
    assert!(differ.text.contains("not the same"), "{}", differ.text);
    let weak = submit(
        &mut b,
        &s.base,
        &differ,
        "/login/challenge",
        &[("new_password", "short"), ("confirm_password", "short")],
    )
    .await;
    assert_eq!(weak.status, 400);
    assert!(weak.text.contains("shorter than 12"), "{}", weak.text);
    assert!(weak.text.contains("role=\"alert\""), "{}", weak.text);

    let done = submit(
        &mut b,
        &s.base,
        &weak,
        "/login/challenge",
        &[
            ("new_password", "New-Password-123"),
            ("confirm_password", "New-Password-123"),
        ],
    )
    .await;
    let code = through_callback(&s, &mut b, done).await;
    let t = redeem(&s.base, &id, &code, &verifier).await;
    assert_eq!(
        claims(t["access_token"].as_str().expect("access"))["username"],
        json!("nina")
    );

    // The new password is now the password: a second sign-in goes straight through.
    let (verifier, challenge) = pkce();
    let mut b = Browser::new();
    let got = password_step(
        &s,
        &mut b,
        &id,
        &challenge,
        "nina",
        "New-Password-123",
        "openid mcp/read",
    )
    .await;
    let code = through_callback(&s, &mut b, got).await;
    redeem(&s.base, &id, &code, &verifier).await;
}

#[tokio::test]
async fn totp_enrollment_then_totp_sign_in() {
    let pool = new_pool().await;
    require_totp(&pool).await;
    let client = srp_client(&pool, true).await;
    user(&pool, "tom", &["ReadOnly"], false).await;
    let s = setup(pool, client, "").await;
    let id = public_client(&s.base, "openid mcp/read").await;

    // First sign-in: the pool requires MFA and tom has none, so he enrolls an app.
    let (verifier, challenge) = pkce();
    let mut b = Browser::new();
    let page = to_login_page(&mut b, &s.base, &id, &challenge, "openid mcp/read").await;
    let setup_page = submit(
        &mut b,
        &s.base,
        &page,
        "/login",
        &[("username", "tom"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(setup_page.status, 200, "{}\n{}", setup_page.text, s.log());
    assert!(
        setup_page.text.contains("Set up your authenticator app"),
        "{}",
        setup_page.text
    );
    assert!(setup_page.text.contains("<svg"), "a QR code is shown");
    let secret = shown_secret(&setup_page.text);
    // moto's key is short ("asdfasdfasdf"); Cognito's are 32 characters. Either is base32.
    assert!(
        !secret.is_empty()
            && secret
                .chars()
                .all(|c| c.is_ascii_alphabetic() || ('2'..='7').contains(&c)),
        "{secret}"
    );
    // A malformed code never reaches Cognito; a wrong one is refused by it.
    let malformed = submit(
        &mut b,
        &s.base,
        &setup_page,
        "/login/challenge",
        &[("code", "12ab56")],
    )
    .await;
    assert_eq!(malformed.status, 400);
    assert!(malformed.text.contains("6-digit"), "{}", malformed.text);
    assert_eq!(
        shown_secret(&malformed.text),
        secret,
        "the same key is shown again"
    );
    let good = fresh_totp(&secret).await;
    let wrong = if good == "000000" { "111111" } else { "000000" };
    let refused = submit(
        &mut b,
        &s.base,
        &malformed,
        "/login/challenge",
        &[("code", wrong)],
    )
    .await;
    assert_eq!(refused.status, 401, "{}", refused.text);
    let done = submit(
        &mut b,
        &s.base,
        &refused,
        "/login/challenge",
        &[("code", &fresh_totp(&secret).await)],
    )
    .await;
    let code = through_callback(&s, &mut b, done).await;
    redeem(&s.base, &id, &code, &verifier).await;

    // Second sign-in: the app's code is asked for.
    let (verifier, challenge) = pkce();
    let mut b = Browser::new();
    let page = to_login_page(&mut b, &s.base, &id, &challenge, "openid mcp/read").await;
    let ask = submit(
        &mut b,
        &s.base,
        &page,
        "/login",
        &[("username", "tom"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(ask.status, 200, "{}", ask.text);
    assert!(
        ask.text.contains("Enter your authenticator code"),
        "{}",
        ask.text
    );
    assert!(ask.text.contains("autocomplete=\"one-time-code\""));
    let done = submit(
        &mut b,
        &s.base,
        &ask,
        "/login/challenge",
        &[("code", &fresh_totp(&secret).await)],
    )
    .await;
    let code = through_callback(&s, &mut b, done).await;
    redeem(&s.base, &id, &code, &verifier).await;
}

#[tokio::test]
async fn unknown_user_reads_like_a_wrong_password() {
    let pool = new_pool().await;
    let client = password_client(&pool, false).await;
    user(&pool, "kim", &["ReadOnly"], false).await;
    let s = setup(pool, client, "").await;
    let id = public_client(&s.base, "openid mcp/read").await;
    let (_, challenge) = pkce();
    let mut b = Browser::new();
    let page = to_login_page(&mut b, &s.base, &id, &challenge, "openid mcp/read").await;
    let wrong = submit(
        &mut b,
        &s.base,
        &page,
        "/login",
        &[("username", "kim"), ("password", "Not-Her-Password-1")],
    )
    .await;
    let unknown = submit(
        &mut b,
        &s.base,
        &wrong,
        "/login",
        &[
            ("username", "nobody-here"),
            ("password", "Not-Her-Password-1"),
        ],
    )
    .await;
    assert_eq!(wrong.status, unknown.status);
    let message = |html: &str| {
        let at = html.find("role=\"alert\"").expect("an alert");
        html[at..at + 80].to_owned()
    };
    assert_eq!(message(&wrong.text), message(&unknown.text));
}

#[tokio::test]
async fn per_address_limit_fails() {
    let pool = new_pool().await;
    let client = password_client(&pool, false).await;
    let s = setup(
        pool,
        client,
        "[auth.login]\nmax_failures_per_address = 3\nmax_failures_per_username = 10",
    )
    .await;
    let id = public_client(&s.base, "openid mcp/read").await;
    let (_, challenge) = pkce();
    let mut b = Browser::new();
    let mut page = to_login_page(&mut b, &s.base, &id, &challenge, "openid mcp/read").await;
    let mut statuses = Vec::new();
    for n in 0..4 {
        page = submit(
            &mut b,
            &s.base,
            &page,
            "/login",
            &[
                ("username", &format!("guess-{n}")),
                ("password", "Guess-Password-1"),
            ],
        )
        .await;
        statuses.push(page.status);
    }
    assert_eq!(statuses, [401, 401, 429, 429], "{}", page.text);
}

#[tokio::test]
async fn login_form_without_its_csrf_token_fails() {
    let pool = new_pool().await;
    let client = password_client(&pool, false).await;
    user(&pool, "cara", &["ReadOnly"], false).await;
    let s = setup(pool, client, "").await;
    let id = public_client(&s.base, "openid mcp/read").await;
    let (_, challenge) = pkce();
    let mut b = Browser::new();
    let page = to_login_page(&mut b, &s.base, &id, &challenge, "openid mcp/read").await;
    let f = fields(&page.text);
    let forged = b
        .post_form(
            &format!("{}/login", s.base),
            &[
                ("state", &f["state"]),
                ("csrf", "forged"),
                ("username", "cara"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.text);
    // A used token is stale too: the page after a failure carries a new one.
    let failed = submit(
        &mut b,
        &s.base,
        &page,
        "/login",
        &[("username", "cara"), ("password", "Wrong-Password-1")],
    )
    .await;
    assert_eq!(failed.status, 401);
    let replay = submit(
        &mut b,
        &s.base,
        &page,
        "/login",
        &[("username", "cara"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(replay.status, 403, "{}", replay.text);
}

#[tokio::test]
async fn login_page_in_another_browser_fails() {
    let pool = new_pool().await;
    let client = password_client(&pool, false).await;
    user(&pool, "dan", &["ReadOnly"], false).await;
    let s = setup(pool, client, "").await;
    let id = public_client(&s.base, "openid mcp/read").await;
    let (_, challenge) = pkce();
    let mut b = Browser::new();
    let page = to_login_page(&mut b, &s.base, &id, &challenge, "openid mcp/read").await;
    let f = fields(&page.text);
    // Without the browser-binding cookie set at /authorize, neither the page nor the form work.
    let mut other = Browser::new();
    let shown = other
        .get(&format!("{}/login?state={}", s.base, f["state"]))
        .await;
    assert_eq!(shown.status, 400, "{}", shown.text);
    let posted = other
        .post_form(
            &format!("{}/login", s.base),
            &[
                ("state", &f["state"]),
                ("csrf", &f["csrf"]),
                ("username", "dan"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(posted.status, 400, "{}", posted.text);
}

#[tokio::test]
async fn login_code_of_another_sign_in_fails() {
    let pool = new_pool().await;
    let client = password_client(&pool, false).await;
    user(&pool, "eve", &["ReadOnly"], false).await;
    let s = setup(pool, client, "").await;
    let id = public_client(&s.base, "openid mcp/read").await;
    let (_, challenge) = pkce();
    let mut b = Browser::new();
    // Two sign-ins in one browser; the first one's code is presented with the second's state.
    let first = to_login_page(&mut b, &s.base, &id, &challenge, "openid mcp/read").await;
    let second = to_login_page(&mut b, &s.base, &id, &challenge, "openid mcp/read").await;
    let done = submit(
        &mut b,
        &s.base,
        &first,
        "/login",
        &[("username", "eve"), ("password", PASSWORD)],
    )
    .await;
    let to_callback =
        url::Url::parse(done.location.as_deref().expect("to the callback")).expect("url");
    let code = to_callback
        .query_pairs()
        .find(|(k, _)| k == "code")
        .expect("code")
        .1
        .into_owned();
    let other_state = fields(&second.text)["state"].clone();
    let swapped = b
        .get(&format!(
            "{}/auth/callback?code={code}&state={other_state}",
            s.base
        ))
        .await;
    let loc = swapped.location.clone().unwrap_or_default();
    assert!(
        loc.starts_with(REDIRECT) && loc.contains("error=access_denied"),
        "{swapped:?}"
    );
    // And the code is spent: the right state no longer redeems it.
    let original = b.get(to_callback.as_str()).await;
    assert!(
        !original.location.unwrap_or_default().contains("code="),
        "a spent code"
    );
}

#[tokio::test]
async fn login_pages_are_plain_labelled_forms() {
    let pool = new_pool().await;
    let client = password_client(&pool, false).await;
    let s = setup(pool, client, "").await;
    let id = public_client(&s.base, "openid mcp/read").await;
    let (_, challenge) = pkce();
    let mut b = Browser::new();
    let page = to_login_page(&mut b, &s.base, &id, &challenge, "openid mcp/read").await;
    let csp = page.headers["content-security-policy"]
        .to_str()
        .expect("csp");
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!page.text.contains("<script"), "works without JavaScript");
    assert!(
        page.text
            .contains("<form method=\"post\" action=\"/login\">")
    );
    for input in ["username", "password"] {
        assert!(
            page.text.contains(&format!("<label for=\"{input}\">")),
            "label for {input}"
        );
        assert!(
            page.text.contains(&format!("id=\"{input}\"")),
            "input {input}"
        );
    }
    assert!(page.text.contains("autocomplete=\"current-password\""));
    assert_eq!(
        page.text.matches("autofocus").count(),
        1,
        "one field has the focus"
    );
}

#[tokio::test]
async fn sms_code_sign_in() {
    use aws_sdk_cognitoidentityprovider::types::SmsMfaSettingsType;
    let pool = new_pool().await;
    let client = password_client(&pool, true).await;
    user(&pool, "sue", &["ReadOnly"], false).await;
    common::sdk_client()
        .await
        .admin_set_user_mfa_preference()
        .user_pool_id(&pool.id)
        .username("sue")
        .sms_mfa_settings(
            SmsMfaSettingsType::builder()
                .enabled(true)
                .preferred_mfa(true)
                .build(),
        )
        .send()
        .await
        .expect("SMS MFA preferred");
    let s = setup(pool, client, "").await;
    let id = public_client(&s.base, "openid mcp/read").await;
    let (verifier, challenge) = pkce();
    let mut b = Browser::new();
    let page = to_login_page(&mut b, &s.base, &id, &challenge, "openid mcp/read").await;
    let ask = submit(
        &mut b,
        &s.base,
        &page,
        "/login",
        &[("username", "sue"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(ask.status, 200, "{}", ask.text);
    assert!(
        ask.text.contains("Enter the code we texted you"),
        "{}",
        ask.text
    );
    // The format is checked here (moto accepts any SMS code).
    let bad = submit(
        &mut b,
        &s.base,
        &ask,
        "/login/challenge",
        &[("code", "12345")],
    )
    .await;
    assert_eq!(bad.status, 400);
    let done = submit(
        &mut b,
        &s.base,
        &bad,
        "/login/challenge",
        &[("code", "123456")],
    )
    .await;
    let code = through_callback(&s, &mut b, done).await;
    redeem(&s.base, &id, &code, &verifier).await;
}
