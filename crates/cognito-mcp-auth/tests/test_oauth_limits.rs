//! Proxy mode under a flood: each limit against state exhaustion is filled over a loopback
//! socket (the attacker's connections come from 127.0.0.2 and 127.0.0.3, everyone else's from
//! 127.0.0.1), and the library's authorization server (`CognitoAuth`, in this process) must
//! refuse with 429 or 503 and `Retry-After`, keep serving the sign-ins it already has, and
//! recover once the window has passed. Time is the server's manual clock: a test moves it by
//! what `Retry-After` says (or past a lifetime), never sleeps, and asserts nothing about speed.

mod common;

use std::net::IpAddr;
use std::time::Duration;

use common::*;
use serde_json::{Value, json};

struct Setup {
    _pool: Pool,
    _upstream: StandIn,
    server: Server,
    base: String,
}

async fn setup_with(extra_auth: &str, extra_dcr: &str) -> Setup {
    let pool = new_pool().await;
    let upstream = StandIn::start("alice", &["Admins"]).await;
    let server = serve_proxy(&pool, &upstream, extra_auth, extra_dcr).await;
    let base = server.base.clone();
    Setup {
        _pool: pool,
        _upstream: upstream,
        server,
        base,
    }
}

impl Setup {
    /// Lets `by` pass on the server's clock.
    fn elapse(&self, by: Duration) {
        self.server.clock.advance(by);
    }
}

fn attacker(n: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, n])
}

/// `Retry-After` of a refusal, in whole seconds.
fn retry_after(got: &Got) -> u64 {
    got.headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After on {got:?}"))
}

/// Lets what `Retry-After` says pass on the server's clock: then the server must recover.
fn wait_out(s: &Setup, got: &Got) {
    s.elapse(Duration::from_secs(retry_after(got)));
}

/// Requests `/authorize` for `client` from `b` until it is refused; returns the refusal.
async fn authorize_until_refused(b: &mut Browser, base: &str, client: &str) -> Got {
    let (_, challenge) = pkce();
    for _ in 0..2000 {
        let got = b
            .get(&authorize_url(base, client, &challenge, "mcp/read", &[]))
            .await;
        if got.status != 200 {
            return got;
        }
    }
    panic!("2000 authorization requests were all accepted");
}

/// Registers from `b` until refused; returns the refusal.
async fn register_until_refused(b: &mut Browser, base: &str) -> Got {
    for _ in 0..2000 {
        let got = b
            .post_json(
                &format!("{base}/register"),
                &json!({"client_name": "flood", "redirect_uris": [REDIRECT]}),
            )
            .await;
        if got.status != 201 {
            return got;
        }
    }
    panic!("2000 registrations were all accepted");
}

/// A sign-in from 127.0.0.1 that ends in tokens: (client id, token response).
async fn signed_in(base: &str) -> (String, Value) {
    public_tokens(base, "openid mcp/read").await
}

/// The existing sign-in still refreshes: its family and client were not lost.
async fn refreshes(base: &str, id: &str, t: &Value) -> Value {
    let r = token(
        base,
        &refresh_form(t["refresh_token"].as_str().expect("refresh token"), id),
        None,
    )
    .await;
    assert_eq!(
        r.status, 200,
        "an existing sign-in still refreshes: {}",
        r.text
    );
    r.json()
}

/// A refusal page of `status` naming `what` ran out.
fn assert_page(got: &Got, status: u16, what: &str) {
    assert_eq!(got.status, status, "{}", got.text);
    assert!(got.text.contains(what), "expected {what:?}: {}", got.text);
    assert!(
        got.text.contains("<h1>"),
        "an error page, not a redirect: {got:?}"
    );
    assert!(got.location.is_none(), "no redirect: {got:?}");
    assert!(retry_after(got) >= 1);
}

fn assert_oauth_error(got: &Got, status: u16) {
    assert_eq!(got.status, status, "{}", got.text);
    assert_eq!(
        got.json()["error"],
        json!("temporarily_unavailable"),
        "{}",
        got.text
    );
    assert!(retry_after(got) >= 1);
}

#[tokio::test]
async fn authorize_flood_from_one_address_fails() {
    // Only the rate can refuse here: the caps on waiting sign-ins are out of reach.
    let s = setup_with(
        "\n[auth.limits]\nauthorize_per_minute = 30\npending_per_address = 100000\n",
        "",
    )
    .await;
    let (id, t) = signed_in(&s.base).await;
    let mut flood = Browser::from_address(attacker(2));
    let refused = authorize_until_refused(&mut flood, &s.base, &id).await;
    assert_page(&refused, 429, "Too many sign-in requests");

    // Everyone else is unaffected: a new sign-in from another address, and the old one.
    signed_in(&s.base).await;
    refreshes(&s.base, &id, &t).await;

    wait_out(&s, &refused);
    let (_, challenge) = pkce();
    let again = flood
        .get(&authorize_url(&s.base, &id, &challenge, "mcp/read", &[]))
        .await;
    assert_eq!(again.status, 200, "recovered: {}", again.text);
}

#[tokio::test]
async fn authorize_flood_from_everyone_fails() {
    let s = setup_with(
        "\n[auth.limits]\nauthorize_per_minute = 100000\nauthorize_per_minute_total = 60\npending_per_address = 100000\n",
        "",
    )
    .await;
    let (id, t) = signed_in(&s.base).await;
    let mut flood = Browser::from_address(attacker(2));
    let refused = authorize_until_refused(&mut flood, &s.base, &id).await;
    assert_page(&refused, 503, "too many sign-in requests");

    // The sign-ins the server already has keep working while it refuses new ones.
    let t = refreshes(&s.base, &id, &t).await;
    let reply = rpc(
        &s.base,
        t["access_token"].as_str(),
        "tools/list",
        json!({}),
        &[],
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);

    wait_out(&s, &refused);
    signed_in(&s.base).await;
}

#[tokio::test]
async fn pending_sign_ins_past_the_address_cap_fail() {
    // Only the cap can refuse here: the rate limit is out of reach.
    let s = setup_with(
        "\n[auth.limits]\npending_per_address = 5\nauthorize_per_minute = 100000\n",
        "",
    )
    .await;
    let (id, t) = signed_in(&s.base).await;
    // The attacker's browser starts one real sign-in first, then floods.
    let mut flood = Browser::from_address(attacker(2));
    let (verifier, challenge) = pkce();
    let page = flood
        .get(&authorize_url(&s.base, &id, &challenge, "mcp/read", &[]))
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    let refused = authorize_until_refused(&mut flood, &s.base, &id).await;
    assert_page(&refused, 429, "Too many sign-ins waiting");

    // Other addresses and existing sign-ins are unaffected.
    signed_in(&s.base).await;
    refreshes(&s.base, &id, &t).await;

    // No waiting sign-in was dropped to make room: the first one completes.
    let (txn, csrf) = consent_fields(&page.text);
    let approved = submit_consent(&mut flood, &s.base, &txn, &csrf, "approve").await;
    let done = flood.follow(approved).await;
    let code = done.query()["code"].clone();
    let got = token(&s.base, &code_form(&code, &verifier, &id), None).await;
    assert_eq!(got.status, 200, "{}", got.text);

    // And a finished sign-in frees its room at once.
    let again = flood
        .get(&authorize_url(&s.base, &id, &challenge, "mcp/read", &[]))
        .await;
    assert_eq!(again.status, 200, "room again: {}", again.text);
}

#[tokio::test]
async fn pending_sign_ins_expire_and_free_their_room() {
    let s = setup_with(
        "transaction_ttl_secs = 3\n\n[auth.limits]\npending_per_address = 3\n\
         authorize_per_minute = 100000\n",
        "",
    )
    .await;
    let id = public_client(&s.base, "mcp/read").await;
    let mut flood = Browser::from_address(attacker(2));
    let refused = authorize_until_refused(&mut flood, &s.base, &id).await;
    assert_page(&refused, 429, "Too many sign-ins waiting");
    assert!(
        retry_after(&refused) <= 3,
        "the oldest waiting sign-in ends within its lifetime"
    );
    wait_out(&s, &refused);
    let (_, challenge) = pkce();
    let again = flood
        .get(&authorize_url(&s.base, &id, &challenge, "mcp/read", &[]))
        .await;
    assert_eq!(again.status, 200, "recovered: {}", again.text);
}

#[tokio::test]
async fn pending_sign_ins_past_the_total_cap_fail() {
    let s = setup_with(
        "\n[auth.limits]\npending_total = 8\nauthorize_per_minute = 100000\n\
         authorize_per_minute_total = 100000\n",
        "",
    )
    .await;
    let (id, t) = signed_in(&s.base).await;
    // One sign-in is waiting at consent before the flood.
    let mut waiting = Browser::new();
    let (verifier, challenge) = pkce();
    let page = waiting
        .get(&authorize_url(&s.base, &id, &challenge, "mcp/read", &[]))
        .await;
    assert_eq!(page.status, 200);
    let mut flood = Browser::from_address(attacker(2));
    let refused = authorize_until_refused(&mut flood, &s.base, &id).await;
    assert_page(&refused, 503, "waiting to finish");
    // Another address is refused too: the room is everyone's.
    let (_, c) = pkce();
    let other = Browser::from_address(attacker(3))
        .get(&authorize_url(&s.base, &id, &c, "mcp/read", &[]))
        .await;
    assert_page(&other, 503, "waiting to finish");

    refreshes(&s.base, &id, &t).await;
    // The waiting sign-in completes, and frees room for the next.
    let (txn, csrf) = consent_fields(&page.text);
    let approved = submit_consent(&mut waiting, &s.base, &txn, &csrf, "approve").await;
    let done = waiting.follow(approved).await;
    let code = done.query()["code"].clone();
    let got = token(&s.base, &code_form(&code, &verifier, &id), None).await;
    assert_eq!(got.status, 200, "{}", got.text);
    signed_in(&s.base).await;
}

#[tokio::test]
async fn registration_flood_from_one_address_fails() {
    let s = setup_with("", "registrations_per_minute = 30").await;
    let (id, t) = signed_in(&s.base).await;
    let mut flood = Browser::from_address(attacker(2));
    let refused = register_until_refused(&mut flood, &s.base).await;
    assert_oauth_error(&refused, 429);
    public_client(&s.base, "mcp/read").await;
    refreshes(&s.base, &id, &t).await;
    wait_out(&s, &refused);
    let got = flood
        .post_json(
            &format!("{}/register", s.base),
            &json!({"client_name": "x", "redirect_uris": [REDIRECT]}),
        )
        .await;
    assert_eq!(got.status, 201, "recovered: {}", got.text);
}

#[tokio::test]
async fn registration_flood_from_everyone_fails() {
    let s = setup_with(
        "",
        "registrations_per_minute = 100000\nregistrations_per_minute_total = 60",
    )
    .await;
    let (id, t) = signed_in(&s.base).await;
    let mut flood = Browser::from_address(attacker(2));
    let refused = register_until_refused(&mut flood, &s.base).await;
    assert_oauth_error(&refused, 503);
    refreshes(&s.base, &id, &t).await;
    wait_out(&s, &refused);
    public_client(&s.base, "mcp/read").await;
}

#[tokio::test]
async fn registrations_past_the_store_limit_fail_then_unused_ones_expire() {
    // The used registration is used before the unused lifetime ends: the clock stands still.
    let s = setup_with("", "max_clients = 3\nunused_client_ttl_secs = 15").await;
    let (id, t) = signed_in(&s.base).await;
    let mut flood = Browser::from_address(attacker(2));
    let full = register_until_refused(&mut flood, &s.base).await;
    assert_oauth_error(&full, 503);
    assert!(
        full.text.contains("max") || full.text.contains("limit"),
        "{}",
        full.text
    );
    // The flood's registrations were never used; they expire, the used one stays.
    s.elapse(Duration::from_secs(16));
    refreshes(&s.base, &id, &t).await;
    public_client(&s.base, "mcp/read").await;
}

#[tokio::test]
async fn an_unused_registration_expires_fails() {
    let s = setup_with("", "unused_client_ttl_secs = 2").await;
    let unused = public_client(&s.base, "mcp/read").await;
    s.elapse(Duration::from_secs(3));
    let (_, challenge) = pkce();
    let got = Browser::new()
        .get(&authorize_url(
            &s.base,
            &unused,
            &challenge,
            "mcp/read",
            &[],
        ))
        .await;
    assert_eq!(got.status, 400, "{}", got.text);
    assert!(got.text.contains("not registered"), "{}", got.text);
}

#[tokio::test]
async fn a_used_registration_outlives_the_unused_lifetime() {
    let s = setup_with("", "unused_client_ttl_secs = 15").await;
    let (id, t) = signed_in(&s.base).await;
    s.elapse(Duration::from_secs(16));
    refreshes(&s.base, &id, &t).await;
}

#[tokio::test]
async fn an_idle_registration_expires_fails() {
    let s = setup_with(
        "refresh_token_ttl_secs = 2",
        "unused_client_ttl_secs = 86400\nidle_client_ttl_secs = 2",
    )
    .await;
    let (id, t) = signed_in(&s.base).await;
    s.elapse(Duration::from_secs(3));
    let got = token(
        &s.base,
        &refresh_form(t["refresh_token"].as_str().expect("rt"), &id),
        None,
    )
    .await;
    assert_eq!(got.status, 401, "{}", got.text);
    assert_eq!(got.json()["error"], json!("invalid_client"), "{}", got.text);
}

#[tokio::test]
async fn pending_transactions_past_the_address_cap_fail() {
    // Approved consents whose browser never comes back from the upstream: each leaves a
    // transaction record, and those count too.
    let s = setup_with(
        "\n[auth.limits]\npending_per_address = 4\nauthorize_per_minute = 100000\n",
        "",
    )
    .await;
    let id = public_client(&s.base, "mcp/read").await;
    let mut flood = Browser::from_address(attacker(2));
    let (_, challenge) = pkce();
    let mut refused = None;
    for _ in 0..200 {
        let page = flood
            .get(&authorize_url(&s.base, &id, &challenge, "mcp/read", &[]))
            .await;
        if page.status != 200 {
            refused = Some(page);
            break;
        }
        let (txn, csrf) = consent_fields(&page.text);
        let to_upstream = submit_consent(&mut flood, &s.base, &txn, &csrf, "approve").await;
        if to_upstream.status != 303 {
            refused = Some(to_upstream);
            break;
        }
    }
    let refused = refused.expect("200 abandoned sign-ins were all accepted");
    assert_page(&refused, 429, "Too many sign-ins waiting");
    signed_in(&s.base).await;
}

/// Registers from local address `from`, sending `X-Forwarded-For: forwarded_for`, until
/// refused; returns how many were accepted (at most `max`).
async fn registrations_accepted(
    base: &str,
    from: IpAddr,
    forwarded_for: &str,
    max: usize,
) -> usize {
    let http = reqwest::Client::builder()
        .local_address(from)
        .build()
        .expect("client");
    for n in 0..max {
        let got = http
            .post(format!("{base}/register"))
            .header("x-forwarded-for", forwarded_for)
            .json(&json!({"client_name": "flood", "redirect_uris": [REDIRECT]}))
            .send()
            .await
            .expect("POST /register");
        if got.status() != 201 {
            assert_eq!(got.status(), 429, "{:?}", got.text().await);
            return n;
        }
    }
    max
}

/// The attack: with no trusted proxies, a client sends a new `X-Forwarded-For` with every
/// request to get a fresh budget each time. The header is not read, so one budget holds.
#[tokio::test]
async fn spoofed_forwarded_for_without_trusted_proxies_fails() {
    let s = setup_with("", "registrations_per_minute = 5").await;
    let mut accepted = 0;
    for n in 0..10u8 {
        accepted +=
            registrations_accepted(&s.base, attacker(2), &format!("198.51.100.{n}"), 1).await;
    }
    assert_eq!(accepted, 5, "one budget of 5 for every spoofed address");
}

/// Behind a trusted balancer (127.0.0.9), its `X-Forwarded-For` names the client: two clients
/// behind it have a budget each, and a client's own spoofed entry left of the balancer's is
/// ignored. From a peer the server does not trust (127.0.0.2), the same header is ignored.
#[tokio::test]
async fn forwarded_for_from_a_trusted_proxy_names_the_client() {
    let pool = new_pool().await;
    let upstream = StandIn::start("alice", &["Admins"]).await;
    let server = serve_proxy_env(
        &pool,
        &upstream,
        "",
        "registrations_per_minute = 3\nregistrations_per_minute_total = 1000",
        &[("COGNITO_MCP_TRUSTED_PROXIES", "127.0.0.9/32")],
    )
    .await;
    let base = &server.base;
    let balancer = attacker(9);
    assert_eq!(
        registrations_accepted(base, balancer, "198.51.100.1", 10).await,
        3
    );
    // Another client behind the same balancer has its own budget.
    assert_eq!(
        registrations_accepted(base, balancer, "198.51.100.2", 10).await,
        3
    );
    // The first client spoofing a new address left of the balancer's entry: still refused.
    assert_eq!(
        registrations_accepted(base, balancer, "203.0.113.77, 198.51.100.1", 10).await,
        0
    );
    // An IPv6 client is counted by its /64.
    assert_eq!(
        registrations_accepted(base, balancer, "2001:db8:1:2::1", 10).await,
        3
    );
    assert_eq!(
        registrations_accepted(base, balancer, "2001:db8:1:2::ffff", 10).await,
        0
    );
    // Not through the balancer: the header is the client's own, and it is ignored.
    assert_eq!(
        registrations_accepted(base, attacker(2), "198.51.100.3", 10).await,
        3
    );
    assert_eq!(
        registrations_accepted(base, attacker(2), "198.51.100.4", 10).await,
        0
    );
}

/// A bad trusted-proxy entry is a configuration problem naming the setting and the fix, and
/// then no proxy is trusted.
#[test]
fn a_bad_trusted_proxy_entry_is_a_problem() {
    let env = |k: &str| match k {
        "COGNITO_USER_POOL_ID" => Some("us-east-1_AbCdEf123".to_owned()),
        "COGNITO_MCP_TRUSTED_PROXIES" => Some("10.0.0.0/8, 0.0.0.0/0".to_owned()),
        _ => None,
    };
    let config = cognito_mcp_auth::AuthConfig::load(None, &env).expect("readable");
    let problems: Vec<String> = config.problems().iter().map(|p| p.to_string()).collect();
    assert!(
        problems.iter().any(
            |p| p.contains("COGNITO_MCP_TRUSTED_PROXIES") && p.contains("trusts every address")
        ),
        "{problems:?}"
    );
    assert!(config.trusted_proxies.is_empty());
}
