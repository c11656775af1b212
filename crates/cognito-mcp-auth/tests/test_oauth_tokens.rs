//! Proxy mode, the token rules: a replayed authorization code revokes what it issued, and
//! `/token` serves a client only the grants it registered. Played against the library's
//! authorization server (`CognitoAuth`, in this process) over a loopback socket, with the
//! hosted-UI stand-in; the negative tests end in `_fails`. (The refresh race
//! is forced in process: `cognito_mcp_auth`'s `authz::token::race_tests`.)

mod common;

use common::*;
use serde_json::{Value, json};

struct Setup {
    _pool: Pool,
    upstream: StandIn,
    _server: Server,
    base: String,
}

async fn setup() -> Setup {
    let pool = new_pool().await;
    let upstream = StandIn::start("alice", &["Admins"]).await;
    let server = serve_proxy(&pool, &upstream, "", "").await;
    let base = server.base.clone();
    Setup {
        _pool: pool,
        upstream,
        _server: server,
        base,
    }
}

/// Registers a public client with `grant_types` (left out when `None`); its id and answer.
async fn client_with_grants(base: &str, grant_types: Option<&[&str]>) -> (String, Value) {
    let mut body = json!({
        "client_name": "public-test-client",
        "redirect_uris": [REDIRECT],
        "scope": "mcp/read",
    });
    if let Some(g) = grant_types {
        body["grant_types"] = json!(g);
    }
    let got = register(base, body).await;
    assert_eq!(got.status, 201, "{}", got.text);
    let reg = got.json();
    (
        reg["client_id"].as_str().expect("client_id").to_owned(),
        reg,
    )
}

/// Signs in for client `id`: (verifier, code).
async fn code_for(base: &str, id: &str) -> (String, String) {
    let (verifier, challenge) = pkce();
    let done = sign_in(&mut Browser::new(), base, id, &challenge, "mcp/read").await;
    (verifier, done.query()["code"].clone())
}

async fn whoami_status(base: &str, access: &str) -> u16 {
    rpc(
        base,
        Some(access),
        "tools/call",
        json!({"name": "whoami", "arguments": {}}),
        &[],
    )
    .await
    .status
}

fn error_of(got: &Got) -> (u16, Value, String) {
    let j = got.json();
    (
        got.status,
        j["error"].clone(),
        j["error_description"].as_str().unwrap_or("").to_owned(),
    )
}

/// Revocations that reached the upstream's `/revoke`, waited for (the server revokes the
/// upstream session in the background); the deadline only bounds a failing test.
async fn upstream_revocations(upstream: &StandIn, at_least: usize) -> Vec<Value> {
    let url = format!(
        "{}/_control/requests",
        upstream.issuer.replace("localhost", "127.0.0.1")
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let log: Vec<Value> = reqwest::get(&url)
            .await
            .expect("requests")
            .json()
            .await
            .expect("json");
        let revokes: Vec<Value> = log
            .into_iter()
            .filter(|e| e["endpoint"] == "revoke")
            .collect();
        if revokes.len() >= at_least || std::time::Instant::now() > deadline {
            return revokes;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn replayed_code_revokes_the_tokens_issued_from_it() {
    let s = setup().await;
    let id = public_client(&s.base, "mcp/read").await;
    let (verifier, code) = code_for(&s.base, &id).await;
    let first = token(&s.base, &code_form(&code, &verifier, &id), None).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let t = first.json();
    let access = t["access_token"].as_str().expect("access token");
    let refresh = t["refresh_token"].as_str().expect("refresh token");
    assert_eq!(whoami_status(&s.base, access).await, 200, "live before");
    assert!(upstream_revocations(&s.upstream, 0).await.is_empty());

    // The attacker presents the same code (stolen from the redirect, a log, a referrer).
    let again = token(&s.base, &code_form(&code, &verifier, &id), None).await;
    let (status, error, why) = error_of(&again);
    assert_eq!((status, error), (400, json!("invalid_grant")), "{why}");
    assert!(
        why.contains("revoked"),
        "the answer says what happened: {why}"
    );

    assert_eq!(
        whoami_status(&s.base, access).await,
        401,
        "the first access token is refused at /mcp"
    );
    let r = token(&s.base, &refresh_form(refresh, &id), None).await;
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (400, json!("invalid_grant")),
        "the refresh token is revoked: {}",
        r.text
    );
    let revokes = upstream_revocations(&s.upstream, 1).await;
    assert_eq!(
        revokes.len(),
        1,
        "the upstream session is revoked once: {revokes:?}"
    );
    assert_eq!(revokes[0]["error"], Value::Null, "{revokes:?}");
}

#[tokio::test]
async fn replayed_code_by_another_client_revokes_too() {
    let s = setup().await;
    let id = public_client(&s.base, "mcp/read").await;
    let (verifier, code) = code_for(&s.base, &id).await;
    let t = token(&s.base, &code_form(&code, &verifier, &id), None)
        .await
        .json();
    let access = t["access_token"].as_str().expect("access token");
    let thief = public_client(&s.base, "mcp/read").await;
    let stolen = token(&s.base, &code_form(&code, &verifier, &thief), None).await;
    assert_eq!(stolen.json()["error"], json!("invalid_grant"));
    assert_eq!(whoami_status(&s.base, access).await, 401);
}

#[tokio::test]
async fn refresh_grant_not_registered_fails() {
    let s = setup().await;
    let (id, reg) = client_with_grants(&s.base, Some(&["authorization_code"])).await;
    assert_eq!(reg["grant_types"], json!(["authorization_code"]));
    let (verifier, code) = code_for(&s.base, &id).await;
    let t = token(&s.base, &code_form(&code, &verifier, &id), None).await;
    assert_eq!(t.status, 200, "{}", t.text);
    assert!(
        t.json().get("refresh_token").is_none(),
        "no refresh token for a client that cannot use one: {}",
        t.text
    );
    // A real refresh token (another client's) or a made-up one: the grant itself is refused
    // before any token is looked at.
    let (other, _) = client_with_grants(&s.base, None).await;
    let (full, _) =
        client_with_grants(&s.base, Some(&["authorization_code", "refresh_token"])).await;
    let (v2, c2) = code_for(&s.base, &full).await;
    let rt = token(&s.base, &code_form(&c2, &v2, &full), None)
        .await
        .json()["refresh_token"]
        .as_str()
        .expect("the full client gets one")
        .to_owned();
    for (client, rt) in [(&id, rt.as_str()), (&other, "not-a-token")] {
        let r = token(&s.base, &refresh_form(rt, client), None).await;
        let (status, error, why) = error_of(&r);
        assert_eq!(
            (status, error),
            (400, json!("unauthorized_client")),
            "{why}"
        );
        assert!(
            why.contains("refresh_token") && why.contains("[authorization_code]"),
            "names the grant and the registration: {why}"
        );
    }
}

#[tokio::test]
async fn refresh_grant_by_default_registration_fails() {
    let s = setup().await;
    let (id, reg) = client_with_grants(&s.base, None).await;
    assert_eq!(
        reg["grant_types"],
        json!(["authorization_code"]),
        "RFC 7591 §2: left out, grant_types is authorization_code"
    );
    let (verifier, code) = code_for(&s.base, &id).await;
    let t = token(&s.base, &code_form(&code, &verifier, &id), None).await;
    assert_eq!(t.status, 200, "{}", t.text);
    assert!(t.json().get("refresh_token").is_none(), "{}", t.text);
    let r = token(&s.base, &refresh_form("any", &id), None).await;
    assert_eq!(
        r.json()["error"],
        json!("unauthorized_client"),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn code_grant_not_registered_fails() {
    let s = setup().await;
    let (id, _) = client_with_grants(&s.base, Some(&["refresh_token"])).await;
    let (verifier, code) = code_for(&s.base, &id).await;
    let t = token(&s.base, &code_form(&code, &verifier, &id), None).await;
    let (status, error, why) = error_of(&t);
    assert_eq!(
        (status, error),
        (400, json!("unauthorized_client")),
        "{why}"
    );
    assert!(
        why.contains("authorization_code") && why.contains("[refresh_token]"),
        "{why}"
    );
}

#[tokio::test]
async fn grant_the_server_does_not_serve_fails() {
    let s = setup().await;
    let id = public_client(&s.base, "mcp/read").await;
    for grant in [
        "client_credentials",
        "password",
        "urn:ietf:params:oauth:grant-type:device_code",
    ] {
        let r = token(
            &s.base,
            &[("grant_type", grant), ("client_id", id.as_str())],
            None,
        )
        .await;
        let (status, error, why) = error_of(&r);
        assert_eq!(
            (status, error),
            (400, json!("unsupported_grant_type")),
            "{why}"
        );
        assert!(
            why.contains(grant) && why.contains("[authorization_code refresh_token]"),
            "names the grant and the registration: {why}"
        );
    }
}
