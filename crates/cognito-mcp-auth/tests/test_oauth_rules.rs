//! Proxy mode, rule by rule: the library's authorization server (`CognitoAuth`, in this
//! process) in front of the Cognito hosted-UI stand-in, driven by a headless browser over a
//! loopback socket, with a manual clock. One named test per rule; the negative ones end in
//! `_fails`.

mod common;

use common::*;
use serde_json::{Value, json};

struct Setup {
    pool: Pool,
    _upstream: StandIn,
    server: Server,
    base: String,
}

async fn setup_with(groups: &[&str], extra_auth: &str, extra_dcr: &str) -> Setup {
    let pool = new_pool().await;
    let upstream = StandIn::start("alice", groups).await;
    let server = serve_proxy(&pool, &upstream, extra_auth, extra_dcr).await;
    let base = server.base.clone();
    Setup {
        pool,
        _upstream: upstream,
        server,
        base,
    }
}

async fn setup() -> Setup {
    setup_with(&["Admins"], "", "").await
}

/// An error before consent: this server's page naming `code` and saying `says`, no redirect.
fn refused_here(got: &Got, code: &str, says: &str) {
    assert_eq!(got.status, 400, "{got:?}");
    assert!(
        got.location.is_none(),
        "no redirect before consent: {got:?}"
    );
    assert!(
        got.text.contains(code) && got.text.contains(says),
        "{}",
        got.text
    );
}

fn whoami(r: &Reply) -> Value {
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["result"]["structuredContent"].clone()
}

#[tokio::test]
async fn sign_in_refresh_and_call_through_the_proxy() {
    let s = setup().await;
    let (id, t) = public_tokens(&s.base, "openid email mcp/read mcp/admin").await;
    let access = t["access_token"].as_str().expect("access");
    let c = claims(access);
    assert_eq!(c["iss"], json!(s.base));
    assert_eq!(c["aud"], json!([format!("{}/mcp", s.base)]));
    assert_eq!(c["client_id"], json!(id));
    assert_eq!(c["username"], json!("alice"));
    assert_eq!(t["scope"], json!("openid email mcp/read mcp/admin"));
    let who = whoami(
        &rpc(
            &s.base,
            Some(access),
            "tools/call",
            json!({"name": "whoami", "arguments": {}}),
            &[],
        )
        .await,
    );
    assert_eq!(who["username"], json!("alice"), "{who}");

    let r = token(
        &s.base,
        &refresh_form(t["refresh_token"].as_str().expect("rt"), &id),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let t2 = r.json();
    assert_ne!(
        t2["refresh_token"], t["refresh_token"],
        "refresh tokens rotate"
    );
    let access2 = t2["access_token"].as_str().expect("access");
    let who = whoami(
        &rpc(
            &s.base,
            Some(access2),
            "tools/call",
            json!({"name": "whoami", "arguments": {}}),
            &[],
        )
        .await,
    );
    assert_eq!(who["username"], json!("alice"));
    drop(s.server);
}

/// A public client and a code for it: (client id, verifier, code).
async fn public_code(base: &str, scope: &str) -> (String, String, String) {
    let client = register_client(base, "public-test-client", scope).await;
    let id = client["client_id"].as_str().expect("id").to_owned();
    let (verifier, challenge) = pkce();
    let done = sign_in(&mut Browser::new(), base, &id, &challenge, scope).await;
    let q = done.query();
    assert_eq!(
        q.get("state").map(String::as_str),
        Some("client-state-123"),
        "state passes through"
    );
    assert_eq!(q.get("iss"), Some(&base.to_owned()), "RFC 9207 iss");
    (id, verifier, q["code"].clone())
}

#[tokio::test]
async fn metadata_names_this_server_exactly() {
    let s = setup().await;
    let http = reqwest::Client::new();
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let m: Value = http
            .get(format!("{}{path}", s.base))
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert_eq!(m["issuer"], json!(s.base), "no trailing-slash drift");
        assert_eq!(m["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(
            m["grant_types_supported"],
            json!(["authorization_code", "refresh_token"])
        );
        assert_eq!(
            m["registration_endpoint"],
            json!(format!("{}/register", s.base))
        );
        assert_eq!(m["client_id_metadata_document_supported"], json!(true));
        // RFC 9207 iss on every authorization response, and said so (MCP 2026-07-28 MUST).
        assert_eq!(
            m["authorization_response_iss_parameter_supported"],
            json!(true)
        );
        assert!(
            m["scopes_supported"]
                .as_array()
                .expect("scopes")
                .contains(&json!("mcp/admin"))
        );
    }
    let prm: Value = http
        .get(format!(
            "{}/.well-known/oauth-protected-resource/mcp",
            s.base
        ))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(prm["authorization_servers"], json!([s.base]));
    let jwks: Value = http
        .get(format!("{}/jwks.json", s.base))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(jwks["keys"][0]["alg"], json!("RS256"));
    assert!(jwks["keys"][0].get("d").is_none(), "no private part");
}

#[tokio::test]
async fn missing_pkce_fails() {
    let s = setup().await;
    let id = public_client(&s.base, "mcp/read").await;
    let mut u = url::Url::parse(&authorize_url(&s.base, &id, "x", "mcp/read", &[])).expect("url");
    let kept: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| !k.starts_with("code_challenge"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    u.query_pairs_mut().clear().extend_pairs(kept);
    let got = Browser::new().get(u.as_str()).await;
    // Before consent: a page here, not a redirect (RFC 9700 §4.11.2; test_oauth_redirects).
    refused_here(&got, "invalid_request", "PKCE is required");
}

#[tokio::test]
async fn plain_pkce_fails() {
    let s = setup().await;
    let id = public_client(&s.base, "mcp/read").await;
    let (verifier, _) = pkce();
    let url = authorize_url(&s.base, &id, &verifier, "mcp/read", &[])
        .replace("code_challenge_method=S256", "code_challenge_method=plain");
    let got = Browser::new().get(&url).await;
    refused_here(&got, "invalid_request", "S256");
}

#[tokio::test]
async fn wrong_pkce_verifier_fails() {
    let s = setup().await;
    let (id, _, code) = public_code(&s.base, "mcp/read").await;
    let (other, _) = pkce();
    let t = token(&s.base, &code_form(&code, &other, &id), None).await;
    assert_eq!(
        (t.status, t.json()["error"].clone()),
        (400, json!("invalid_grant")),
        "{}",
        t.text
    );
}

#[tokio::test]
async fn replayed_code_fails() {
    let s = setup().await;
    let (id, verifier, code) = public_code(&s.base, "mcp/read").await;
    assert_eq!(
        token(&s.base, &code_form(&code, &verifier, &id), None)
            .await
            .status,
        200
    );
    let again = token(&s.base, &code_form(&code, &verifier, &id), None).await;
    assert_eq!(
        (again.status, again.json()["error"].clone()),
        (400, json!("invalid_grant"))
    );
}

#[tokio::test]
async fn code_used_by_another_client_fails() {
    let s = setup().await;
    let (_, verifier, code) = public_code(&s.base, "mcp/read").await;
    let thief = public_client(&s.base, "mcp/read").await;
    let t = token(&s.base, &code_form(&code, &verifier, &thief), None).await;
    assert_eq!(
        (t.status, t.json()["error"].clone()),
        (400, json!("invalid_grant")),
        "{}",
        t.text
    );
}

#[tokio::test]
async fn expired_code_fails() {
    let s = setup_with(&["Admins"], "code_ttl_secs = 1", "").await;
    let (id, verifier, code) = public_code(&s.base, "mcp/read").await;
    // Past the code's second on the server's clock; no waiting.
    s.server.clock.advance(std::time::Duration::from_secs(2));
    let t = token(&s.base, &code_form(&code, &verifier, &id), None).await;
    assert_eq!(
        (t.status, t.json()["error"].clone()),
        (400, json!("invalid_grant")),
        "{}",
        t.text
    );
}

#[tokio::test]
async fn redirect_mismatch_fails_without_redirecting() {
    let s = setup().await;
    let id = public_client(&s.base, "mcp/read").await;
    let (_, challenge) = pkce();
    for evil in [
        "https://evil.example/cb",
        "http://127.0.0.1:53682/other",
        "http://localhost:53682/oauth/callback",
    ] {
        let url = authorize_url(&s.base, &id, &challenge, "mcp/read", &[]).replace(
            &url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>(),
            &url::form_urlencoded::byte_serialize(evil.as_bytes()).collect::<String>(),
        );
        let got = Browser::new().get(&url).await;
        assert_eq!(got.status, 400, "{evil}: {got:?}");
        assert!(got.location.is_none(), "no open redirect to {evil}");
    }
    // A loopback redirect may differ in port only.
    let port_changed =
        authorize_url(&s.base, &id, &challenge, "mcp/read", &[]).replace("53682", "40001");
    assert_eq!(Browser::new().get(&port_changed).await.status, 200);
}

#[tokio::test]
async fn unknown_client_at_authorize_fails_without_redirecting() {
    let s = setup().await;
    let (_, challenge) = pkce();
    let got = Browser::new()
        .get(&authorize_url(
            &s.base,
            "no-such-client",
            &challenge,
            "mcp/read",
            &[],
        ))
        .await;
    assert_eq!(got.status, 400);
    assert!(got.location.is_none());
}

#[tokio::test]
async fn dangerous_redirect_uris_at_register_fail() {
    let s = setup().await;
    for uri in [
        "javascript:alert(1)",
        "data:text/html,hi",
        "https://a.example/cb#frag",
        "https://user:pw@a.example/cb",
        "http://evil.example/cb",
        "file:///etc/passwd",
    ] {
        let got = register(&s.base, json!({"client_name": "x", "redirect_uris": [uri]})).await;
        assert_eq!(got.status, 400, "{uri}");
        assert_eq!(
            got.json()["error"],
            json!("invalid_redirect_uri"),
            "{uri}: {}",
            got.text
        );
    }
}

#[tokio::test]
async fn tampered_state_fails() {
    let s = setup().await;
    let id = public_client(&s.base, "mcp/read").await;
    let (_, challenge) = pkce();
    let mut b = Browser::new();
    let callback = approve_to_callback(&mut b, &s.base, &id, &challenge, "mcp/read").await;
    let state = url::Url::parse(&callback)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "state")
        .expect("state")
        .1
        .into_owned();
    let tampered = callback.replace(&state, &format!("{state}x"));
    let got = b.get(&tampered).await;
    assert_eq!(got.status, 400, "{got:?}");
    assert!(got.location.is_none());
}

#[tokio::test]
async fn forged_csrf_token_fails() {
    let s = setup().await;
    let id = public_client(&s.base, "mcp/read").await;
    let (_, challenge) = pkce();
    let mut b = Browser::new();
    let page = b
        .get(&authorize_url(&s.base, &id, &challenge, "mcp/read", &[]))
        .await;
    let (txn, _) = consent_fields(&page.text);
    let got = b
        .post_form(
            &format!("{}/consent", s.base),
            &[("txn", &txn), ("csrf", "forged"), ("action", "approve")],
        )
        .await;
    assert_eq!(got.status, 400);
    assert!(got.location.is_none());
}

#[tokio::test]
async fn missing_binding_cookie_fails() {
    let s = setup().await;
    let id = public_client(&s.base, "mcp/read").await;
    let (_, challenge) = pkce();
    let mut b = Browser::new();
    let page = b
        .get(&authorize_url(&s.base, &id, &challenge, "mcp/read", &[]))
        .await;
    let (txn, csrf) = consent_fields(&page.text);
    // Another browser (an attacker's page posting the victim's form) has no binding cookie.
    let got = submit_consent(&mut Browser::new(), &s.base, &txn, &csrf, "approve").await;
    assert_eq!(got.status, 400);
    assert!(got.location.is_none());

    // At the callback too: a sign-in completed in a browser that did not start it is refused.
    let callback = approve_to_callback(&mut b, &s.base, &id, &challenge, "mcp/read").await;
    let got = Browser::new().get(&callback).await;
    assert_eq!(got.status, 400, "{got:?}");
}

#[tokio::test]
async fn denied_consent_reaches_the_client_as_access_denied() {
    let s = setup().await;
    let id = public_client(&s.base, "mcp/read").await;
    let (_, challenge) = pkce();
    let mut b = Browser::new();
    let page = b
        .get(&authorize_url(&s.base, &id, &challenge, "mcp/read", &[]))
        .await;
    assert!(
        page.text.contains("public-test-client")
            && page.text.contains("127.0.0.1:53682")
            && page.text.contains("mcp/read")
    );
    let (txn, csrf) = consent_fields(&page.text);
    let got = submit_consent(&mut b, &s.base, &txn, &csrf, "deny").await;
    let q = got.query();
    assert_eq!(
        (q["error"].as_str(), q["state"].as_str(), q["iss"].as_str()),
        ("access_denied", "client-state-123", s.base.as_str())
    );
}

#[tokio::test]
async fn upstream_denial_reaches_the_client_as_an_oauth_error() {
    let s = setup().await;
    s._upstream.deny_next().await;
    let id = public_client(&s.base, "mcp/read").await;
    let (_, challenge) = pkce();
    let done = sign_in(&mut Browser::new(), &s.base, &id, &challenge, "mcp/read").await;
    let q = done.query();
    assert_eq!(q["error"], "access_denied", "{done:?}");
    assert_eq!(q["state"], "client-state-123");
}

#[tokio::test]
async fn refresh_replay_revokes_the_family_fails() {
    let s = setup().await;
    let (id, t1) = public_tokens(&s.base, "mcp/read").await;
    let rt1 = t1["refresh_token"].as_str().expect("rt").to_owned();
    let t2 = token(&s.base, &refresh_form(&rt1, &id), None).await;
    assert_eq!(t2.status, 200, "{}", t2.text);
    let t2 = t2.json();
    let access2 = t2["access_token"].as_str().expect("at");
    assert_eq!(
        rpc(&s.base, Some(access2), "tools/list", json!({}), &[])
            .await
            .status,
        200
    );
    // The old token again: a copy exists somewhere. Everything of this sign-in goes.
    let replay = token(&s.base, &refresh_form(&rt1, &id), None).await;
    assert_eq!(
        (replay.status, replay.json()["error"].clone()),
        (400, json!("invalid_grant"))
    );
    let rt2 = t2["refresh_token"].as_str().expect("rt2");
    let after = token(&s.base, &refresh_form(rt2, &id), None).await;
    assert_eq!(
        after.json()["error"],
        json!("invalid_grant"),
        "the live refresh token is revoked too"
    );
    let r = rpc(&s.base, Some(access2), "tools/list", json!({}), &[]).await;
    assert_eq!(
        r.status, 401,
        "the family's access tokens are revoked at once"
    );
    assert!(r.www_authenticate.contains("invalid_token"));
}

#[tokio::test]
async fn revoked_tokens_stop_at_once() {
    let s = setup().await;
    let (id, t) = public_tokens(&s.base, "mcp/read").await;
    let access = t["access_token"].as_str().expect("at");
    let revoke = |tok: String| {
        let base = s.base.clone();
        let id = id.clone();
        async move { revoke(&base, &tok, &id).await }
    };
    assert_eq!(
        rpc(&s.base, Some(access), "tools/list", json!({}), &[])
            .await
            .status,
        200
    );
    assert_eq!(revoke(access.to_owned()).await, 200);
    assert_eq!(
        rpc(&s.base, Some(access), "tools/list", json!({}), &[])
            .await
            .status,
        401
    );
    let rt = t["refresh_token"].as_str().expect("rt").to_owned();
    assert_eq!(revoke(rt.clone()).await, 200);
    let r = token(&s.base, &refresh_form(&rt, &id), None).await;
    assert_eq!(r.json()["error"], json!("invalid_grant"));
}

#[tokio::test]
async fn token_for_another_resource_fails() {
    let s = setup().await;
    let id = public_client(&s.base, "mcp/read").await;
    let (_, challenge) = pkce();
    let url = authorize_url(&s.base, &id, &challenge, "mcp/read", &[]).replace(
        &url::form_urlencoded::byte_serialize(format!("{}/mcp", s.base).as_bytes())
            .collect::<String>(),
        "https%3A%2F%2Fother.example%2Fmcp",
    );
    let got = Browser::new().get(&url).await;
    refused_here(&got, "invalid_target", "is not served here");
    // At the token endpoint too.
    let (id, verifier, code) = public_code(&s.base, "mcp/read").await;
    let mut form = code_form(&code, &verifier, &id);
    form.push(("resource", "https://other.example/mcp"));
    let t = token(&s.base, &form, None).await;
    assert_eq!(t.json()["error"], json!("invalid_target"), "{}", t.text);
}

#[tokio::test]
async fn the_resource_in_another_spelling_passes() {
    // MCP 2026-07-28: an uppercase scheme or host, or a trailing slash, names the same server;
    // the token's aud stays the canonical form.
    let s = setup().await;
    let ours = format!("{}/mcp", s.base);
    let spelled = format!("{}/", ours.replacen("http://", "HTTP://", 1));
    let id = public_client(&s.base, "mcp/read").await;
    let (_, challenge) = pkce();
    let url = authorize_url(&s.base, &id, &challenge, "mcp/read", &[]).replace(
        &url::form_urlencoded::byte_serialize(ours.as_bytes()).collect::<String>(),
        &url::form_urlencoded::byte_serialize(spelled.as_bytes()).collect::<String>(),
    );
    let got = Browser::new().get(&url).await;
    assert_eq!(got.status, 200, "the consent page: {got:?}");
    let (id, verifier, code) = public_code(&s.base, "mcp/read").await;
    let mut form = code_form(&code, &verifier, &id);
    form.push(("resource", &spelled));
    let t = token(&s.base, &form, None).await;
    assert_eq!(t.status, 200, "{}", t.text);
    let at = t.json()["access_token"].as_str().expect("at").to_owned();
    assert_eq!(claims(&at)["aud"], json!([ours]));
}

#[tokio::test]
async fn cognito_tokens_as_bearer_fail_in_proxy_mode() {
    // Tokens of the very pool the server fronts: access and id tokens of its app client.
    let s = setup().await;
    let (access, id) = tokens_for(&s.pool, "bob", &["Admins"]).await;
    for t in [&access, &id] {
        let r = rpc(&s.base, Some(t), "tools/list", json!({}), &[]).await;
        assert_eq!(r.status, 401, "{:?}", r.body);
    }
}

#[tokio::test]
async fn listed_app_client_access_tokens_pass_and_id_tokens_fail() {
    // Machine-to-machine callers: Cognito access tokens of an app client named in
    // auth.client_ids pass beside the proxy's own tokens; that client's id tokens do not.
    let pool = new_pool().await;
    let upstream = StandIn::start("alice", &["Admins"]).await;
    let server = serve_proxy(
        &pool,
        &upstream,
        &format!("client_ids = [\"{}\"]", pool.client_id),
        "",
    )
    .await;
    let (access, id) = tokens_for(&pool, "carol", &["ReadOnly"]).await;
    let r = rpc(
        &server.base,
        Some(&access),
        "tools/call",
        json!({"name": "whoami", "arguments": {}}),
        &[],
    )
    .await;
    assert_eq!(whoami(&r)["username"], json!("carol"));
    let r = rpc(&server.base, Some(&id), "tools/list", json!({}), &[]).await;
    assert_eq!(r.status, 401, "{:?}", r.body);
}

#[tokio::test]
async fn scope_escalation_at_register_fails() {
    let s = setup().await;
    let got = register(
        &s.base,
        json!({"client_name": "x", "redirect_uris": [REDIRECT], "scope": "mcp/read mcp/superuser"}),
    )
    .await;
    assert_eq!(
        got.json()["error"],
        json!("invalid_client_metadata"),
        "{}",
        got.text
    );
    assert!(
        got.json()["error_description"]
            .as_str()
            .expect("d")
            .contains("mcp/superuser")
    );
}

#[tokio::test]
async fn scope_escalation_at_authorize_and_token_fails() {
    let s = setup().await;
    let id = public_client(&s.base, "mcp/read").await;
    let (_, challenge) = pkce();
    let got = Browser::new()
        .get(&authorize_url(
            &s.base,
            &id,
            &challenge,
            "mcp/read mcp/admin",
            &[],
        ))
        .await;
    refused_here(&got, "invalid_scope", "mcp/admin");
    let (id, t) = public_tokens(&s.base, "mcp/read").await;
    let r = token(
        &s.base,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().expect("rt")),
            ("client_id", &id),
            ("scope", "mcp/read mcp/admin"),
        ],
        None,
    )
    .await;
    assert_eq!(r.json()["error"], json!("invalid_scope"), "{}", r.text);
}

#[tokio::test]
async fn groups_cap_the_granted_scopes() {
    let s = setup_with(&["ReadOnly"], "", "").await;
    let (_, t) = public_tokens(&s.base, "openid mcp/read mcp/admin").await;
    assert_eq!(
        t["scope"],
        json!("openid mcp/read"),
        "mcp/admin is not the ReadOnly group's"
    );
    let access = t["access_token"].as_str().expect("at");
    let r = rpc(
        &s.base,
        Some(access),
        "tools/call",
        json!({"name": "disable_user", "arguments": {"username": "x"}}),
        &[],
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(r.www_authenticate.contains("insufficient_scope"));
}

#[tokio::test]
async fn registration_flood_fails() {
    let s = setup_with(&["Admins"], "", "registrations_per_minute = 3").await;
    for _ in 0..3 {
        register_client(&s.base, "public-test-client", "mcp/read").await;
    }
    let got = register(
        &s.base,
        json!({"client_name": "x", "redirect_uris": [REDIRECT]}),
    )
    .await;
    assert_eq!(got.status, 429, "{}", got.text);
    // 3 a minute: the next one is at most 20 s away (less if the three took a while).
    let wait: u64 = got
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=20).contains(&wait), "Retry-After {wait}");
}

#[tokio::test]
async fn registrations_past_the_store_limit_fail() {
    let s = setup_with(&["Admins"], "", "max_clients = 2").await;
    register_client(&s.base, "public-test-client", "mcp/read").await;
    register_client(&s.base, "public-test-client", "mcp/read").await;
    let got = register(
        &s.base,
        json!({"client_name": "x", "redirect_uris": [REDIRECT]}),
    )
    .await;
    assert_eq!(got.status, 503, "{}", got.text);
}

#[tokio::test]
async fn oversized_and_malformed_bodies_fail() {
    let s = setup().await;
    let big = json!({"client_name": "x".repeat(70_000), "redirect_uris": [REDIRECT]});
    let got = register(&s.base, big).await;
    assert_eq!(got.status, 413, "{}", got.text);
    let got = reqwest::Client::new()
        .post(format!("{}/register", s.base))
        .body("{not json")
        .send()
        .await
        .expect("post");
    assert_eq!(got.status().as_u16(), 400);
    let body: Value = got.json().await.expect("json");
    assert_eq!(body["error"], json!("invalid_client_metadata"));
    let t = token(
        &s.base,
        &[
            ("grant_type", "authorization_code"),
            ("grant_type", "refresh_token"),
        ],
        None,
    )
    .await;
    assert_eq!(t.json()["error"], json!("invalid_request"), "{}", t.text);
    let t = token(
        &s.base,
        &[("grant_type", "password"), ("client_id", "nobody")],
        None,
    )
    .await;
    assert_eq!(
        (t.status, t.json()["error"].clone()),
        (401, json!("invalid_client")),
        "unknown clients re-register"
    );
}

#[tokio::test]
async fn confidential_client_authentication_is_enforced() {
    let s = setup().await;
    let c = register_client(&s.base, "Some Server-Side Agent", "mcp/read").await;
    assert_eq!(
        c["token_endpoint_auth_method"],
        json!("client_secret_basic")
    );
    let id = c["client_id"].as_str().expect("id").to_owned();
    let secret = c["client_secret"]
        .as_str()
        .expect("a confidential client gets a secret")
        .to_owned();
    let (verifier, challenge) = pkce();
    let done = sign_in(&mut Browser::new(), &s.base, &id, &challenge, "mcp/read").await;
    let code = done.query()["code"].clone();
    let form = code_form(&code, &verifier, &id);
    let wrong = token(&s.base, &form, Some((&id, "wrong-secret"))).await;
    assert_eq!(
        (wrong.status, wrong.json()["error"].clone()),
        (401, json!("invalid_client"))
    );
    assert!(wrong.headers.get("www-authenticate").is_some());
    // No secret at all: refused, whatever the body says.
    let none = token(&s.base, &form, None).await;
    assert_eq!(none.status, 401);
    // The code was not consumed by failed client authentication.
    let ok = token(&s.base, &form, Some((&id, &secret))).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
}

#[tokio::test]
async fn remembered_consent_skips_the_page_in_the_same_browser_only() {
    let s = setup_with(&["Admins"], "consent_memory_days = 1", "").await;
    let id = public_client(&s.base, "mcp/read").await;
    let (_, challenge) = pkce();
    let mut b = Browser::new();
    let done = sign_in(&mut b, &s.base, &id, &challenge, "mcp/read").await;
    assert!(done.query().contains_key("code"));
    // Same browser, same client, redirect and scopes: straight to the sign-in.
    let again = b
        .get(&authorize_url(&s.base, &id, &challenge, "mcp/read", &[]))
        .await;
    assert_eq!(again.status, 303, "{again:?}");
    let again = b.follow(again).await;
    assert!(again.query().contains_key("code"), "{again:?}");
    // More scopes, or another browser: the page again.
    let wider = public_client(&s.base, "openid mcp/read").await;
    assert_eq!(
        b.get(&authorize_url(
            &s.base,
            &wider,
            &challenge,
            "openid mcp/read",
            &[]
        ))
        .await
        .status,
        200,
        "another client asks again"
    );
    assert_eq!(
        Browser::new()
            .get(&authorize_url(&s.base, &id, &challenge, "mcp/read", &[]))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn client_id_metadata_document_signs_in() {
    let s = setup_with(
        &["Admins"],
        "",
        "dangerously_allow_private_metadata_documents = true",
    )
    .await;
    let client_id = serve_metadata_document("127.0.0.1", Some("max-age=600")).await;
    let (verifier, challenge) = pkce();
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
    assert!(page.text.contains("Metadata Document Agent") && page.text.contains("127.0.0.1:53682"));
    // Its callback is on this machine, where any program could be listening: the page says so.
    assert!(
        page.text.contains("id=\"loopback-warning\""),
        "{}",
        page.text
    );
    let (txn, csrf) = consent_fields(&page.text);
    let got = submit_consent(&mut b, &s.base, &txn, &csrf, "approve").await;
    let code = b.follow(got).await.query()["code"].clone();
    let t = token(&s.base, &code_form(&code, &verifier, &client_id), None).await;
    assert_eq!(t.status, 200, "{}", t.text);
    assert_eq!(
        claims(t.json()["access_token"].as_str().expect("at"))["client_id"],
        json!(client_id)
    );
}

/// `/authorize` of a metadata-document client served with `edit` applied, with `redirect`.
async fn authorize_document(edit: impl FnOnce(&mut Value), redirect: &str) -> Got {
    let s = setup_with(
        &["Admins"],
        "",
        "dangerously_allow_private_metadata_documents = true",
    )
    .await;
    let client_id =
        cognito_mcp_testkit::oauth::serve_metadata_document_with("127.0.0.1", None, edit).await;
    let (_, challenge) = pkce();
    let url = authorize_url(&s.base, &client_id, &challenge, "mcp/read", &[]).replace(
        &url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>(),
        &url::form_urlencoded::byte_serialize(redirect.as_bytes()).collect::<String>(),
    );
    Browser::new().get(&url).await
}

#[tokio::test]
async fn metadata_document_claiming_another_client_id_fails() {
    // The attack: a document at the attacker's URL that claims a client users trust.
    let got = authorize_document(
        |d| d["client_id"] = json!("https://trusted.example.com/client.json"),
        REDIRECT,
    )
    .await;
    refused_here(&got, "cannot sign in", "client_id is not its own URL");
}

#[tokio::test]
async fn metadata_document_redirect_not_listed_fails() {
    // The attack: a real client's document URL with the attacker's callback, to take the code.
    for evil in [
        "https://attacker.example.com/cb",
        "http://127.0.0.1:53682/other",
    ] {
        let got = authorize_document(|_| {}, evil).await;
        refused_here(
            &got,
            "Redirect not registered",
            "is not one this application registered",
        );
    }
    // Its own callback gets the consent page.
    assert_eq!(authorize_document(|_| {}, REDIRECT).await.status, 200);
}

#[tokio::test]
async fn metadata_document_without_a_client_name_fails() {
    // MCP requires client_name of a document: the consent page names the client by it.
    let got = authorize_document(
        |d| {
            d.as_object_mut().expect("object").remove("client_name");
        },
        REDIRECT,
    )
    .await;
    refused_here(&got, "cannot sign in", "client_name");
}

#[tokio::test]
async fn metadata_document_on_a_private_address_fails() {
    let s = setup().await;
    let client_id = serve_metadata_document("127.0.0.1", Some("max-age=600")).await;
    let (_, challenge) = pkce();
    let got = Browser::new()
        .get(&authorize_url(
            &s.base,
            &client_id,
            &challenge,
            "mcp/read",
            &[],
        ))
        .await;
    assert_eq!(got.status, 400, "{got:?}");
    assert!(got.location.is_none());
}
