//! The sign-in page's lockout, the library's rule (`login::lockout`), in process against moto:
//! failures counted per username before Cognito is asked, a lockout that refuses even the
//! right password, and (on the server's manual clock, without waiting) its end. Negative tests
//! end in `_fails`.

mod common;

use std::time::Duration;

use cognito_mcp_testkit::login::*;
use common::*;

struct Setup {
    server: Server,
    base: String,
}

async fn setup(_pool: Pool, client: (String, Option<String>), extra_auth: &str) -> Setup {
    let server = serve_login(&_pool, &client, extra_auth).await;
    let base = server.base.clone();
    Setup { server, base }
}

/// Submits `password` for `username` on `page`.
async fn try_password(
    b: &mut Browser,
    s: &Setup,
    page: &Got,
    username: &str,
    password: &str,
) -> Got {
    submit(
        b,
        &s.base,
        page,
        "/login",
        &[("username", username), ("password", password)],
    )
    .await
}

#[tokio::test]
async fn wrong_passwords_until_the_lockout_fails() {
    let pool = new_pool().await;
    let client = password_client(&pool, false).await;
    user(&pool, "lee", &["ReadOnly"], false).await;
    let s = setup(
        pool,
        client,
        "[auth.login]\nmax_failures_per_username = 3\nlockout_secs = 60",
    )
    .await;
    let id = public_client(&s.base, "openid mcp/read").await;
    let (_, challenge) = pkce();
    let mut b = Browser::new();
    let mut page = to_login_page(&mut b, &s.base, &id, &challenge, "openid mcp/read").await;
    for attempt in 1..=2 {
        page = try_password(&mut b, &s, &page, "lee", "Wrong-Password-1").await;
        assert_eq!(page.status, 401, "attempt {attempt}: {}", page.text);
        assert!(page.text.contains("Incorrect username or password."));
        assert!(!page.text.contains("Wait"), "no lockout yet: {}", page.text);
    }
    // The third failure starts the lockout...
    page = submit(
        &mut b,
        &s.base,
        &page,
        "/login",
        &[("username", "lee"), ("password", "Wrong-Password-1")],
    )
    .await;
    assert_eq!(page.status, 429, "{}", page.text);
    assert!(
        page.text.contains("Too many failed sign-in attempts"),
        "{}",
        page.text
    );
    let retry: u64 = page.headers["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("secs");
    assert!((55..=60).contains(&retry), "{retry}");
    // ...and even the right password is refused until it ends, without asking Cognito.
    page = submit(
        &mut b,
        &s.base,
        &page,
        "/login",
        &[("username", " lee "), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(page.status, 429, "{}", page.text);
    // Another username from the same address is still served.
    page = submit(
        &mut b,
        &s.base,
        &page,
        "/login",
        &[
            ("username", "someone-else"),
            ("password", "Wrong-Password-1"),
        ],
    )
    .await;
    assert_eq!(page.status, 401, "{}", page.text);
}

#[tokio::test]
async fn the_lockout_ends_when_its_period_has_passed() {
    let pool = new_pool().await;
    let client = password_client(&pool, false).await;
    user(&pool, "lou", &["ReadOnly"], false).await;
    let s = setup(
        pool,
        client,
        "[auth.login]\nmax_failures_per_username = 2\nlockout_secs = 60\nmax_lockout_secs = 600",
    )
    .await;
    // The counters live in fixed 15-minute windows (login::lockout): start at a window's
    // beginning, so that the minutes this test moves the clock stay in one window. The clock
    // starts at the real time, and a window edge inside the test used to end the lockout early
    // about one run in fifteen.
    let window = 15 * 60;
    s.server
        .clock
        .advance(Duration::from_secs(window - s.server.clock.secs() % window));
    let id = public_client(&s.base, "openid mcp/read").await;
    let (_, challenge) = pkce();
    let mut b = Browser::new();
    let mut page = to_login_page(&mut b, &s.base, &id, &challenge, "openid mcp/read").await;
    page = try_password(&mut b, &s, &page, "lou", "Wrong-Password-1").await;
    assert_eq!(page.status, 401, "{}", page.text);
    page = try_password(&mut b, &s, &page, "lou", "Wrong-Password-1").await;
    assert_eq!(page.status, 429, "the budget is spent: {}", page.text);
    // One second short of the period: still refused, the right password too.
    s.server.clock.advance(Duration::from_secs(59));
    page = try_password(&mut b, &s, &page, "lou", PASSWORD).await;
    assert_eq!(page.status, 429, "{}", page.text);
    // The period has passed: one attempt is earned, and it reaches Cognito (the answer is
    // about the password), but a wrong one spends it and the next period doubles...
    s.server.clock.advance(Duration::from_secs(1));
    page = try_password(&mut b, &s, &page, "lou", "Wrong-Password-1").await;
    assert_eq!(page.status, 429, "{}", page.text);
    assert!(
        page.text.contains("Incorrect username or password."),
        "the earned attempt was tried: {}",
        page.text
    );
    let retry: u64 = page.headers["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("secs");
    assert_eq!(retry, 120, "the second period doubles");
    page = try_password(&mut b, &s, &page, "lou", PASSWORD).await;
    assert_eq!(page.status, 429, "not yet: {}", page.text);
    // ...then, after the doubled period, the right password signs in.
    s.server.clock.advance(Duration::from_secs(120));
    page = try_password(&mut b, &s, &page, "lou", PASSWORD).await;
    assert_eq!(page.status, 303, "signed in: {}", page.text);
}
