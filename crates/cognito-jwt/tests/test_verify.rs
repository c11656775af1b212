//! Every rule of the verifier, with a named negative test per rejection, and the key-set
//! behaviour: caching, rotation, outages and the refetch penalty box.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cognito_jwt::testing::{ManualClock, TestKey, access_claims, hs256, jwks, unsigned};
use cognito_jwt::{
    CognitoVerifier, JwksFuture, JwksSource, ScopePolicy, TokenUse, VerifierBuilder, VerifyError,
};
use serde_json::{Value, json};

const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool";
const CLIENT: &str = "client-one";

/// A key set whose document tests can swap, that can go down, and that counts fetches.
#[derive(Debug, Clone, Default)]
struct Source {
    body: Arc<Mutex<Option<Vec<u8>>>>,
    fetches: Arc<AtomicUsize>,
}

impl Source {
    fn serving(body: Vec<u8>) -> Self {
        let s = Self::default();
        s.set(Some(body));
        s
    }
    fn set(&self, body: Option<Vec<u8>>) {
        *self.body.lock().expect("lock") = body;
    }
    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

impl JwksSource for Source {
    fn fetch(&self) -> JwksFuture<'_> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let body = self.body.lock().expect("lock").clone();
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            body.ok_or_else(|| "connection refused".to_owned())
        })
    }
}

struct Setup {
    key: TestKey,
    clock: ManualClock,
    source: Source,
    verifier: CognitoVerifier,
}

fn setup() -> Setup {
    let key = TestKey::generate("key-1");
    let clock = ManualClock::now();
    let source = Source::serving(jwks(&[&key]));
    let verifier = VerifierBuilder::new(ISSUER)
        .jwks_source(source.clone())
        .allow_client(CLIENT)
        .clock(Arc::new(clock.clone()))
        .build()
        .expect("verifier");
    Setup {
        key,
        clock,
        source,
        verifier,
    }
}

impl Setup {
    fn claims(&self) -> Value {
        access_claims(ISSUER, CLIENT, self.clock.secs())
    }
    fn token(&self) -> String {
        self.key.sign(&self.claims())
    }
    fn with(&self, f: impl FnOnce(&mut Value)) -> String {
        let mut c = self.claims();
        f(&mut c);
        self.key.sign(&c)
    }
    async fn reject(&self, token: &str) -> VerifyError {
        self.verifier
            .verify(token)
            .await
            .expect_err("the token must be rejected")
    }
}

#[tokio::test]
async fn valid_access_token_passes_with_typed_claims() {
    let s = setup();
    let token = s.with(|c| {
        c["custom:department"] = json!("eng");
        c["scope"] = json!("mcp/read openid");
    });
    let claims = s.verifier.verify(&token).await.expect("valid");
    assert_eq!(claims.username.as_deref(), Some("alice"));
    assert_eq!(claims.client_id, CLIENT);
    assert_eq!(claims.groups, ["ReadOnly"]);
    assert_eq!(claims.scopes, ["mcp/read", "openid"]);
    assert_eq!(
        claims.custom.get("department").map(String::as_str),
        Some("eng")
    );
    assert_eq!(claims.token_use, TokenUse::Access);
    let p = ScopePolicy::default().principal(claims);
    assert!(p.has_scope("mcp/read"));
    assert!(!p.has_scope("mcp/write"));
}

#[tokio::test]
async fn empty_token_fails() {
    assert_eq!(setup().reject("").await.code(), "malformed");
}

#[tokio::test]
async fn malformed_token_fails() {
    let s = setup();
    // "e30" is `{}`; "bm90IGpzb24" is `not json`.
    for bad in [
        "abc",
        "a.b",
        "a.b.c.d",
        "!!!.e30.sig",
        "bm90IGpzb24.e30.c2ln",
    ] {
        assert_eq!(s.reject(bad).await.code(), "malformed", "{bad}");
    }
}

#[tokio::test]
async fn alg_none_fails() {
    let s = setup();
    let token = unsigned(&json!({"alg": "none", "kid": "key-1"}), &s.claims(), b"");
    assert_eq!(
        s.reject(&token).await,
        VerifyError::UnsupportedAlgorithm("none".into())
    );
    let token = unsigned(&json!({"kid": "key-1"}), &s.claims(), b"");
    assert_eq!(s.reject(&token).await.code(), "unsupported_algorithm");
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_fails() {
    let s = setup();
    let token = hs256(
        &json!({"alg": "HS256", "kid": "key-1"}),
        &s.claims(),
        &s.key.public_bytes(),
    );
    assert_eq!(
        s.reject(&token).await,
        VerifyError::UnsupportedAlgorithm("HS256".into())
    );
}

#[tokio::test]
async fn missing_kid_fails() {
    let s = setup();
    let token = s
        .key
        .sign_with_header(&json!({"alg": "RS256"}), &s.claims());
    assert_eq!(s.reject(&token).await, VerifyError::MissingKid);
}

#[tokio::test]
async fn unknown_kid_fails() {
    let s = setup();
    let other = TestKey::generate("key-unknown");
    assert_eq!(
        s.reject(&other.sign(&s.claims())).await,
        VerifyError::UnknownKid("key-unknown".into())
    );
}

#[tokio::test]
async fn known_kid_signed_by_another_key_fails() {
    let s = setup();
    let impostor = TestKey::generate("key-1");
    assert_eq!(
        s.reject(&impostor.sign(&s.claims())).await,
        VerifyError::BadSignature
    );
}

#[tokio::test]
async fn forged_groups_fail() {
    let s = setup();
    let token = s.token();
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims = s.claims();
    claims["cognito:groups"] = json!(["Admins"]);
    let forged = unsigned(&json!({"alg": "RS256", "kid": "key-1"}), &claims, &[]);
    let forged = format!(
        "{}.{}",
        &forged[..forged.rfind('.').expect("dot")],
        parts[2]
    );
    assert_eq!(s.reject(&forged).await, VerifyError::BadSignature);
}

#[tokio::test]
async fn expired_token_fails() {
    let s = setup();
    let now = s.clock.secs();
    let token = s.with(|c| c["exp"] = json!(now - 61));
    assert_eq!(s.reject(&token).await.code(), "expired");
    // Within the 60 s leeway it still passes.
    let token = s.with(|c| c["exp"] = json!(now - 30));
    s.verifier.verify(&token).await.expect("within leeway");
}

#[tokio::test]
async fn cached_token_expires_on_time() {
    let s = setup();
    let now = s.clock.secs();
    let token = s.with(|c| c["exp"] = json!(now + 10));
    s.verifier.verify(&token).await.expect("valid now");
    assert_eq!(s.verifier.cached_tokens(), 1);
    s.clock.advance(Duration::from_secs(71));
    assert_eq!(s.reject(&token).await.code(), "expired");
}

#[tokio::test]
async fn nbf_in_the_future_fails() {
    let s = setup();
    let now = s.clock.secs();
    let token = s.with(|c| c["nbf"] = json!(now + 120));
    assert_eq!(s.reject(&token).await.code(), "not_yet_valid");
}

#[tokio::test]
async fn iat_in_the_future_fails() {
    let s = setup();
    let now = s.clock.secs();
    let token = s.with(|c| c["iat"] = json!(now + 120));
    assert_eq!(s.reject(&token).await.code(), "issued_in_future");
}

#[tokio::test]
async fn wrong_issuer_fails() {
    let s = setup();
    let token = s.with(|c| c["iss"] = json!("https://evil.example.com/us-east-1_Pool"));
    assert_eq!(s.reject(&token).await.code(), "wrong_issuer");
}

#[tokio::test]
async fn token_from_another_pool_fails() {
    let s = setup();
    let token =
        s.with(|c| c["iss"] = json!("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"));
    assert_eq!(s.reject(&token).await.code(), "wrong_issuer");
    let token = s.with(|c| c["iss"] = json!(format!("{ISSUER}/")));
    assert_eq!(s.reject(&token).await.code(), "wrong_issuer");
}

#[tokio::test]
async fn id_token_used_as_access_token_fails() {
    let s = setup();
    let token = s.with(|c| {
        c["token_use"] = json!("id");
        c["aud"] = json!(CLIENT);
    });
    assert_eq!(
        s.reject(&token).await,
        VerifyError::WrongTokenUse {
            expected: "access",
            found: "id".into()
        }
    );
    // Where id tokens are asked for, it passes, with aud as the client.
    let claims = s.verifier.verify_id_token(&token).await.expect("id token");
    assert_eq!(claims.client_id, CLIENT);
    // And an access token is no id token.
    let access = s.token();
    assert_eq!(
        s.verifier
            .verify_id_token(&access)
            .await
            .expect_err("access")
            .code(),
        "wrong_token_use"
    );
}

#[tokio::test]
async fn missing_token_use_fails() {
    let s = setup();
    let token = s.with(|c| {
        c.as_object_mut().expect("object").remove("token_use");
    });
    assert_eq!(
        s.reject(&token).await,
        VerifyError::MissingClaim("token_use")
    );
}

#[tokio::test]
async fn client_not_allowed_fails() {
    let s = setup();
    let token = s.with(|c| c["client_id"] = json!("another-client-of-the-pool"));
    assert_eq!(
        s.reject(&token).await,
        VerifyError::ClientNotAllowed("another-client-of-the-pool".into())
    );
}

#[tokio::test]
async fn oversized_token_fails() {
    let s = setup();
    let token = s.with(|c| c["padding"] = json!("x".repeat(20_000)));
    assert_eq!(s.reject(&token).await.code(), "too_large");
}

#[tokio::test]
async fn verifier_without_client_ids_cannot_be_built() {
    let e = VerifierBuilder::new(ISSUER)
        .jwks_source(Source::default())
        .build()
        .expect_err("no clients");
    assert!(e.to_string().contains("COGNITO_CLIENT_ID"));
}

#[tokio::test]
async fn a_token_seen_again_is_served_from_the_cache() {
    let s = setup();
    let token = s.token();
    s.verifier.verify(&token).await.expect("first");
    assert_eq!(s.verifier.cached_tokens(), 1);
    // Even with the key set gone and the key replaced, the cached verdict stands until exp.
    s.source.set(None);
    s.verifier.verify(&token).await.expect("cached");
    assert_eq!(s.source.fetches(), 1);
}

#[tokio::test]
async fn keys_keep_serving_while_the_jwks_endpoint_is_down() {
    let s = setup();
    s.verifier.warm_up().await.expect("warm");
    s.source.set(None);
    for i in 0..3 {
        let token = s.with(|c| c["jti"] = json!(format!("t{i}")));
        s.verifier
            .verify(&token)
            .await
            .expect("cached key still verifies");
    }
    // An unknown kid during the outage fails cleanly and the old key still works after it.
    let other = TestKey::generate("key-2");
    assert_eq!(
        s.reject(&other.sign(&s.claims())).await.code(),
        "unknown_kid"
    );
    let token = s.with(|c| c["jti"] = json!("after"));
    s.verifier.verify(&token).await.expect("still verifies");
}

#[tokio::test]
async fn jwks_down_before_any_fetch_fails_clearly() {
    let s = setup();
    s.source.set(None);
    assert_eq!(s.reject(&s.token()).await.code(), "jwks_unavailable");
}

#[tokio::test]
async fn rotation_fetches_the_new_kid_once() {
    let s = setup();
    s.verifier.warm_up().await.expect("warm");
    assert_eq!(s.source.fetches(), 1);
    let new_key = TestKey::generate("key-2");
    s.source.set(Some(jwks(&[&s.key, &new_key])));
    s.clock.advance(Duration::from_secs(11));
    for i in 0..5 {
        let mut c = s.claims();
        c["jti"] = json!(format!("r{i}"));
        s.verifier
            .verify(&new_key.sign(&c))
            .await
            .expect("rotated key");
    }
    assert_eq!(s.source.fetches(), 2);
}

#[tokio::test]
async fn a_flood_of_unknown_kids_fetches_at_most_once_per_interval() {
    let s = setup();
    s.verifier.warm_up().await.expect("warm");
    s.clock.advance(Duration::from_secs(11));
    let bogus: Vec<String> = (0..4)
        .map(|i| TestKey::generate(&format!("bogus-{i}")).sign(&s.claims()))
        .collect();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let verifier = s.verifier.clone();
        let token = bogus[i % 4].clone();
        tasks.push(tokio::spawn(async move { verifier.verify(&token).await }));
    }
    for t in tasks {
        assert_eq!(
            t.await.expect("task").expect_err("bogus").code(),
            "unknown_kid"
        );
    }
    assert_eq!(s.source.fetches(), 2, "warm-up plus one refetch");
    s.clock.advance(Duration::from_secs(11));
    s.reject(&bogus[0]).await;
    assert_eq!(s.source.fetches(), 3, "one more after the interval");
}

// --- audience-bound tokens (our own, RFC 8707) ---------------------------------------------

const RESOURCE: &str = "https://mcp.example.com/mcp";

fn audience_verifier(key: &TestKey, clock: &ManualClock) -> CognitoVerifier {
    VerifierBuilder::new(ISSUER)
        .jwks_source(Source::serving(jwks(&[key])))
        .require_audience(RESOURCE)
        .clock(Arc::new(clock.clone()))
        .build()
        .expect("an audience alone is enough to build")
}

#[tokio::test]
async fn token_for_another_resource_fails() {
    let key = TestKey::generate("key-1");
    let clock = ManualClock::now();
    let verifier = audience_verifier(&key, &clock);
    let mut claims = access_claims(ISSUER, "any-client", clock.secs());
    claims["aud"] = json!("https://other.example.com/mcp");
    let err = verifier
        .verify(&key.sign(&claims))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), "wrong_audience", "{err}");
}

#[tokio::test]
async fn token_without_audience_fails_when_one_is_required() {
    let key = TestKey::generate("key-1");
    let clock = ManualClock::now();
    let verifier = audience_verifier(&key, &clock);
    let claims = access_claims(ISSUER, "any-client", clock.secs());
    let err = verifier
        .verify(&key.sign(&claims))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), "wrong_audience", "{err}");
}

#[tokio::test]
async fn audience_bound_token_of_any_client_passes() {
    let key = TestKey::generate("key-1");
    let clock = ManualClock::now();
    let verifier = audience_verifier(&key, &clock);
    let mut claims = access_claims(ISSUER, "registered-client-7", clock.secs());
    claims["aud"] = json!([RESOURCE]);
    claims["sid"] = json!("family-1");
    let got = verifier.verify(&key.sign(&claims)).await.expect("valid");
    assert_eq!(got.aud, vec![RESOURCE.to_owned()]);
    assert_eq!(got.sid.as_deref(), Some("family-1"));
    assert_eq!(got.client_id, "registered-client-7");
}

#[test]
fn verifier_without_clients_or_audience_cannot_be_built() {
    let err = VerifierBuilder::new(ISSUER).build().expect_err("refused");
    assert_eq!(err, cognito_jwt::BuildError::NoClientIds);
}

/// Readiness probes of a server whose key-set host is down: each probe may fetch at most once
/// per refetch interval (the probe is public: a flood of probes must not become a flood of
/// fetches), and once the host is back the next probe after the interval has the keys.
#[tokio::test]
async fn readiness_probes_past_the_refetch_interval_fail() {
    let s = setup();
    s.source.set(None);
    assert!(
        s.verifier.ensure_keys().await.is_err(),
        "down: the fetch fails"
    );
    assert_eq!(s.source.fetches(), 1);
    for _ in 0..20 {
        assert_eq!(s.verifier.ensure_keys().await.expect("no fetch"), 0);
    }
    assert_eq!(
        s.source.fetches(),
        1,
        "probes within the interval fetch nothing"
    );
    s.source.set(Some(jwks(&[&s.key])));
    s.clock.advance(Duration::from_secs(11));
    assert_eq!(s.verifier.ensure_keys().await.expect("fetched"), 1);
    assert_eq!(s.source.fetches(), 2);
    assert_eq!(s.verifier.ensure_keys().await.expect("held"), 1);
    assert_eq!(s.source.fetches(), 2, "keys held: no fetch");
}

// --- resource binding (native mode: the pool is the authorization server) -----------------

fn bound_verifier(key: &TestKey, clock: &ManualClock) -> CognitoVerifier {
    VerifierBuilder::new(ISSUER)
        .jwks_source(Source::serving(jwks(&[key])))
        .bind_resource(RESOURCE)
        .allow_client(CLIENT)
        .clock(Arc::new(clock.clone()))
        .build()
        .expect("builds")
}

#[tokio::test]
async fn a_token_bound_to_this_resource_passes_from_a_client_never_listed() {
    // A dynamically registered client: Cognito set aud to the resource it asked for.
    let key = TestKey::generate("key-1");
    let clock = ManualClock::now();
    let mut claims = access_claims(ISSUER, "registered-yesterday", clock.secs());
    claims["aud"] = json!(RESOURCE);
    let got = bound_verifier(&key, &clock)
        .verify(&key.sign(&claims))
        .await
        .expect("bound to us");
    assert_eq!(got.client_id, "registered-yesterday");
}

#[tokio::test]
async fn a_token_bound_to_this_resource_in_another_spelling_passes() {
    // A client that wrote the server's URL with an uppercase host: still this resource (MCP
    // 2026-07-28 SHOULD); only the spelling differs.
    let key = TestKey::generate("key-1");
    let clock = ManualClock::now();
    let mut claims = access_claims(ISSUER, "registered-yesterday", clock.secs());
    claims["aud"] = json!(RESOURCE.to_ascii_uppercase().replace("/MCP", "/mcp"));
    bound_verifier(&key, &clock)
        .verify(&key.sign(&claims))
        .await
        .expect("the same resource");
}

#[tokio::test]
async fn a_token_bound_to_another_resource_is_refused_even_from_a_listed_client() {
    // The attack: a token the pool minted for another API, replayed here by its holder.
    let key = TestKey::generate("key-1");
    let clock = ManualClock::now();
    let mut claims = access_claims(ISSUER, CLIENT, clock.secs());
    claims["aud"] = json!(["https://other.example.com/api"]);
    let err = bound_verifier(&key, &clock)
        .verify(&key.sign(&claims))
        .await
        .expect_err("bound elsewhere");
    assert_eq!(err.code(), "wrong_audience", "{err}");
}

#[tokio::test]
async fn an_unbound_token_must_come_from_a_listed_client() {
    // Another app client of the pool (a mobile app's) whose token names no resource.
    let key = TestKey::generate("key-1");
    let clock = ManualClock::now();
    let verifier = bound_verifier(&key, &clock);
    let err = verifier
        .verify(&key.sign(&access_claims(ISSUER, "the-mobile-app", clock.secs())))
        .await
        .expect_err("not bound, not listed");
    assert_eq!(err.code(), "client_not_allowed", "{err}");
    verifier
        .verify(&key.sign(&access_claims(ISSUER, CLIENT, clock.secs())))
        .await
        .expect("listed");
}

#[tokio::test]
async fn binding_a_resource_alone_builds_and_takes_only_bound_tokens() {
    let key = TestKey::generate("key-1");
    let clock = ManualClock::now();
    let verifier = VerifierBuilder::new(ISSUER)
        .jwks_source(Source::serving(jwks(&[&key])))
        .bind_resource(RESOURCE)
        .clock(Arc::new(clock.clone()))
        .build()
        .expect("a bound resource is enough to build");
    let err = verifier
        .verify(&key.sign(&access_claims(ISSUER, CLIENT, clock.secs())))
        .await
        .expect_err("unbound");
    assert_eq!(err.code(), "client_not_allowed", "{err}");
}
