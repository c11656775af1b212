//! The checks every MCP server acting as an OAuth 2.0 protected resource for a Cognito pool
//! must pass: RFC 9728 metadata and the `WWW-Authenticate` challenge, 401 for missing or bad
//! tokens (one check per way a token can be bad), 403 `insufficient_scope` for calls beyond
//! the caller's scopes, and `tools/list` filtered by scope.
//!
//! A check is an `async fn(&Pool, base, &Profile)`: a fresh pool, the server under test
//! already serving it at `base` (its MCP endpoint is `{base}/mcp`), and a [`Profile`] naming
//! the server's tools. [`resource_server_checks!`](crate::resource_server_checks) makes one
//! named test per check.
//!
//! What the server must be configured as: a resource server (not proxy mode) for the pool,
//! accepting access tokens of the pool's app client `pool.client_id` only, that client also
//! listed as a machine client holding [`READ_SCOPE`] and [`WRITE_SCOPE`]
//! (`COGNITO_MCP_MACHINE_CLIENTS="{client_id}=mcp/read mcp/write"`), with the pool's
//! standard group scopes (ReadOnly: [`READ_SCOPE`]; Developers: read and [`WRITE_SCOPE`];
//! Admins: all three), its metadata at `/.well-known/oauth-protected-resource/mcp` (and the
//! root form), and [`READ_SCOPE`] as the scope of its no-token challenge (cognito-mcp-auth's
//! defaults).

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::{
    Pool, Reply, http_call, http_tools, moto, new_pool, rpc, sign_with_moto_key, tokens_for,
};

/// The scope the pool's ReadOnly group (and every other group) carries.
pub const READ_SCOPE: &str = "mcp/read";
/// The scope of the Developers and Admins groups.
pub const WRITE_SCOPE: &str = "mcp/write";
/// The scope of the Admins group only.
pub const ADMIN_SCOPE: &str = "mcp/admin";
/// The read-only user of [`read_only_user_reads_and_gets_403_on_writes`], so that a profile's
/// write and admin calls can aim at someone who exists (if they ran, the read would differ).
pub const READ_ONLY_USER: &str = "rory";

/// The server under test, as the checks see it.
#[derive(Debug, Clone)]
pub struct Profile {
    /// A tool needing [`READ_SCOPE`], and arguments it succeeds with. Its answer must be the
    /// same on two calls when nothing changed in between.
    pub read_tool: (&'static str, Value),
    /// A tool needing [`WRITE_SCOPE`], and arguments (a call that would change what the read
    /// tool answers, if it ran).
    pub write_tool: (&'static str, Value),
    /// A tool needing [`ADMIN_SCOPE`], and arguments (likewise).
    pub admin_tool: (&'static str, Value),
    /// The tools that need no scope beyond [`READ_SCOPE`] (every request needs that one):
    /// every reader sees them in `tools/list`.
    pub open_tools: &'static [&'static str],
    /// The metadata's `scopes_supported`, in its order.
    pub scopes_supported: &'static [&'static str],
}

/// A server started for a check: its base URL (MCP at `{base}/mcp`, no trailing slash) and
/// whatever stops it when dropped (a child process with `kill_on_drop`, a task's abort
/// handle, a shutdown sender, ...).
pub struct Running {
    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub base: String,
    _guard: Box<dyn std::any::Any>,
}

impl Running {
    /// `base`, kept alive by `guard` until the check ends.
    pub fn new(base: impl Into<String>, guard: impl std::any::Any) -> Self {
        Self {
            base: base.into(),
            _guard: Box::new(guard),
        }
    }
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// Runs one check: a fresh pool, the server `start`ed for it, then `check`. This is what each
/// test of [`resource_server_checks!`](crate::resource_server_checks) does, on a
/// current-thread Tokio runtime (as `#[tokio::test]` would).
pub fn run<S, C>(start: S, profile: Profile, check: C)
where
    S: AsyncFnOnce(&Pool) -> Running,
    C: AsyncFnOnce(&Pool, &str, &Profile),
{
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime")
        .block_on(async move {
            let pool = new_pool().await;
            let server = start(&pool).await;
            check(&pool, &server.base, &profile).await;
            drop(server);
        });
}

/// Expands to one named `#[test]` per check of [`resource_checks`](crate::resource_checks),
/// each against a fresh pool and a server of its own:
///
/// ```rust,ignore
/// use cognito_mcp_testkit::Pool;
/// use cognito_mcp_testkit::resource_checks::{Profile, READ_ONLY_USER, Running};
/// use serde_json::json;
///
/// async fn start(pool: &Pool) -> Running {
///     let server = my_server_for(pool).await; // serving http://127.0.0.1:PORT/mcp
///     Running::new(server.base_url.clone(), server)
/// }
///
/// fn profile() -> Profile {
///     Profile {
///         read_tool: ("list_notes", json!({})),
///         write_tool: ("add_note", json!({"text": "nope"})),
///         admin_tool: ("delete_all_notes", json!({})),
///         open_tools: &["whoami"],
///         scopes_supported: &["mcp/admin", "mcp/read", "mcp/write"],
///     }
/// }
///
/// cognito_mcp_testkit::resource_server_checks!(start, profile());
/// ```
///
/// `start` is any expression callable as `async (&Pool) -> Running` (an `async fn`, an async
/// closure); the profile expression is evaluated once per test. The tests are plain `#[test]`
/// functions running a current-thread Tokio runtime, so the caller needs no Tokio macros.
#[macro_export]
macro_rules! resource_server_checks {
    ($start:expr, $profile:expr $(,)?) => {
        $crate::resource_server_checks!(@each ($start, $profile)
            metadata_and_challenge_point_at_each_other,
            no_token_fails,
            basic_auth_fails,
            read_only_user_reads_and_gets_403_on_writes,
            tools_list_differs_by_group,
            client_credentials_token_with_read_scope_can_read,
            malformed_token_fails,
            alg_none_fails,
            hs256_signed_with_the_public_key_fails,
            unknown_kid_fails,
            known_kid_signed_by_another_key_fails,
            expired_token_fails,
            nbf_in_the_future_fails,
            wrong_issuer_fails,
            token_from_another_pool_fails,
            id_token_used_as_access_token_fails,
            client_not_allowed_fails,
            forged_groups_fail,
            oversized_token_fails,
        );
    };
    (@each ($start:expr, $profile:expr) $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                $crate::resource_checks::run(
                    $start,
                    $profile,
                    $crate::resource_checks::$check,
                );
            }
        )*
    };
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// Access-token claims shaped like Cognito's for the pool's app client (scope
/// [`READ_SCOPE`], no username, no groups), to sign with [`sign_with_moto_key`].
pub fn access_claims(pool: &Pool) -> Value {
    let now = now();
    json!({
        "iss": pool.issuer(),
        "sub": "c0ffee00-0000-4000-8000-000000000000",
        "client_id": pool.client_id,
        "token_use": "access",
        "scope": READ_SCOPE,
        "iat": now,
        "auth_time": now,
        "exp": now + 3600,
        "jti": "jti-1",
    })
}

/// `claims` signed with moto's own key, which the pool's JWKS serves.
fn signed(claims: Value) -> String {
    sign_with_moto_key(&[(json!({}), claims)]).remove(0)
}

/// Asserts a 401 `invalid_token` challenge naming the metadata, whose description contains
/// `why`.
pub async fn assert_rejected(base: &str, token: &str, why: &str) {
    let r = rpc(base, Some(token), "tools/list", json!({}), &[]).await;
    assert_eq!(r.status, 401, "{:?}", r.body);
    assert!(
        r.www_authenticate.starts_with("Bearer "),
        "{}",
        r.www_authenticate
    );
    assert!(
        r.www_authenticate.contains("error=\"invalid_token\""),
        "{}",
        r.www_authenticate
    );
    assert!(
        r.www_authenticate.contains("resource_metadata=\""),
        "{}",
        r.www_authenticate
    );
    let description = r.body["error_description"].as_str().unwrap_or_default();
    assert!(
        description.contains(why),
        "wanted {why:?} in {description:?}"
    );
}

/// Asserts a 403 `insufficient_scope` naming `scope` and the metadata.
pub fn assert_insufficient_scope(r: &Reply, scope: &str) {
    assert_eq!(r.status, 403, "{:?}", r.body);
    assert!(
        r.www_authenticate.starts_with("Bearer "),
        "{}",
        r.www_authenticate
    );
    assert!(
        r.www_authenticate.contains("error=\"insufficient_scope\""),
        "{}",
        r.www_authenticate
    );
    assert!(
        r.www_authenticate.contains(&format!("scope=\"{scope}\"")),
        "wanted scope {scope:?} in {}",
        r.www_authenticate
    );
    assert!(
        r.www_authenticate.contains("resource_metadata=\""),
        "{}",
        r.www_authenticate
    );
}

/// Calls `tool` and asserts a 200 whose result is not an error; returns the result.
async fn call_ok(base: &str, token: &str, (tool, args): &(&'static str, Value)) -> Value {
    let r = http_call(base, token, tool, args.clone()).await;
    assert_eq!(r.status, 200, "{tool}: {:?}", r.body);
    assert_eq!(r.body["result"]["isError"], false, "{tool}: {:?}", r.body);
    r.body["result"].clone()
}

async fn call(base: &str, token: &str, (tool, args): &(&'static str, Value)) -> Reply {
    http_call(base, token, tool, args.clone()).await
}

/// The `resource_metadata` URL of a challenge.
fn metadata_url(challenge: &str) -> String {
    challenge
        .split("resource_metadata=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no resource_metadata in {challenge:?}"))
        .to_owned()
}

/// The challenge without a token names the metadata, whose two paths describe this resource:
/// `resource` is the MCP endpoint, the pool is its authorization server, bearer tokens go in
/// the header, and the scopes are listed.
pub async fn metadata_and_challenge_point_at_each_other(pool: &Pool, base: &str, p: &Profile) {
    let r = rpc(base, None, "tools/list", json!({}), &[]).await;
    assert_eq!(r.status, 401, "{:?}", r.body);
    assert!(
        !r.www_authenticate.contains("error="),
        "no token, no error: {}",
        r.www_authenticate
    );
    assert!(
        r.www_authenticate
            .contains(&format!("scope=\"{READ_SCOPE}\"")),
        "{}",
        r.www_authenticate
    );
    let url = metadata_url(&r.www_authenticate);
    assert_eq!(
        url,
        format!("{base}/.well-known/oauth-protected-resource/mcp")
    );
    for url in [url, format!("{base}/.well-known/oauth-protected-resource")] {
        let resp = reqwest::get(&url).await.expect("GET the metadata");
        assert_eq!(resp.status().as_u16(), 200, "{url}");
        let doc: Value = resp.json().await.expect("the metadata is JSON");
        assert_eq!(doc["resource"], format!("{base}/mcp"), "{url}: {doc}");
        assert_eq!(
            doc["authorization_servers"],
            json!([pool.issuer()]),
            "{url}: {doc}"
        );
        assert_eq!(
            doc["bearer_methods_supported"],
            json!(["header"]),
            "{url}: {doc}"
        );
        assert_eq!(
            doc["scopes_supported"],
            json!(p.scopes_supported),
            "{url}: {doc}"
        );
    }
}

/// No token: 401 with a challenge that is no error (RFC 6750 §3.1) but names the scope and
/// the metadata; for a tool call as for `tools/list`.
pub async fn no_token_fails(_pool: &Pool, base: &str, p: &Profile) {
    let (tool, args) = &p.read_tool;
    for (method, params) in [
        ("tools/list", json!({})),
        ("tools/call", json!({"name": tool, "arguments": args})),
    ] {
        let r = rpc(base, None, method, params, &[]).await;
        assert_eq!(r.status, 401, "{method}: {:?}", r.body);
        let c = &r.www_authenticate;
        assert!(c.starts_with("Bearer "), "{method}: {c}");
        assert!(!c.contains("error="), "{method}: {c}");
        assert!(c.contains("scope=\""), "{method}: {c}");
        assert!(c.contains("resource_metadata=\""), "{method}: {c}");
    }
}

/// HTTP Basic instead of a bearer token: 401 `invalid_token`.
pub async fn basic_auth_fails(_pool: &Pool, base: &str, _p: &Profile) {
    let r = rpc(
        base,
        None,
        "tools/list",
        json!({}),
        &[("authorization", "Basic dXNlcjpwYXNz")],
    )
    .await;
    assert_eq!(r.status, 401, "{:?}", r.body);
    assert!(
        r.www_authenticate.contains("error=\"invalid_token\""),
        "{}",
        r.www_authenticate
    );
    assert!(
        r.www_authenticate.contains("resource_metadata=\""),
        "{}",
        r.www_authenticate
    );
}

/// A ReadOnly user reads, and gets 403 `insufficient_scope` naming the missing scope on a
/// write and on an admin tool; neither changed anything.
pub async fn read_only_user_reads_and_gets_403_on_writes(pool: &Pool, base: &str, p: &Profile) {
    let (reader, _) = tokens_for(pool, READ_ONLY_USER, &["ReadOnly"]).await;
    let before = call_ok(base, &reader, &p.read_tool).await;
    let r = call(base, &reader, &p.write_tool).await;
    assert_insufficient_scope(&r, WRITE_SCOPE);
    let r = call(base, &reader, &p.admin_tool).await;
    assert_insufficient_scope(&r, ADMIN_SCOPE);
    let after = call_ok(base, &reader, &p.read_tool).await;
    assert_eq!(
        before, after,
        "a refused call changed what the read tool sees"
    );
}

/// `tools/list` shows each caller the tools its scopes allow: ReadOnly < Developers < Admins;
/// a user in no group holds no scope, and gets the 403 the challenge promises.
pub async fn tools_list_differs_by_group(pool: &Pool, base: &str, p: &Profile) {
    let (reader, _) = tokens_for(pool, "r1", &["ReadOnly"]).await;
    let (dev, _) = tokens_for(pool, "d1", &["Developers"]).await;
    let (admin, _) = tokens_for(pool, "a1", &["Admins"]).await;
    let (nobody, _) = tokens_for(pool, "n1", &[]).await;
    let (read, write, adm) = (p.read_tool.0, p.write_tool.0, p.admin_tool.0);
    let has = |tools: &[String], t: &str| tools.iter().any(|x| x == t);
    let r = http_tools(base, &reader).await;
    let d = http_tools(base, &dev).await;
    let a = http_tools(base, &admin).await;
    assert!(has(&r, read) && !has(&r, write) && !has(&r, adm), "{r:?}");
    assert!(has(&d, read) && has(&d, write) && !has(&d, adm), "{d:?}");
    assert!(has(&a, read) && has(&a, write) && has(&a, adm), "{a:?}");
    assert!(r.len() < d.len() && d.len() < a.len(), "{r:?} {d:?} {a:?}");
    for t in &r {
        assert!(has(&d, t), "Developers lack {t}");
    }
    for t in &d {
        assert!(has(&a, t), "Admins lack {t}");
    }
    // No group, no scope: even tools/list needs the challenge's scope.
    let refused = rpc(base, Some(&nobody), "tools/list", json!({}), &[]).await;
    assert_insufficient_scope(&refused, READ_SCOPE);
    // The tools that need no scope beyond the challenge's are listed to every reader.
    for t in p.open_tools {
        assert!(has(&r, t), "ReadOnly does not see {t}: {r:?}");
    }
}

/// A client-credentials token (no username, no groups; `sub` is the client) of the listed
/// machine client is worth its scope within the listed ones: [`READ_SCOPE`] reads and gets 403
/// on a write.
pub async fn client_credentials_token_with_read_scope_can_read(
    pool: &Pool,
    base: &str,
    p: &Profile,
) {
    let mut c = access_claims(pool);
    c["sub"] = json!(pool.client_id);
    let token = signed(c);
    call_ok(base, &token, &p.read_tool).await;
    let r = call(base, &token, &p.write_tool).await;
    assert_insufficient_scope(&r, WRITE_SCOPE);
}

/// Not a JWT, or three segments that are not base64url JSON.
pub async fn malformed_token_fails(_pool: &Pool, base: &str, _p: &Profile) {
    assert_rejected(base, "not-a-jwt", "malformed").await;
    assert_rejected(base, "a.b.c", "malformed").await;
}

/// An unsigned token (`alg: none`).
pub async fn alg_none_fails(pool: &Pool, base: &str, _p: &Profile) {
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let token = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "kid": "dummy"})),
        b64(&access_claims(pool))
    );
    assert_rejected(base, &token, "\"none\" is not allowed").await;
}

/// Algorithm confusion: HS256 with the pool's public JWKS as the HMAC key.
pub async fn hs256_signed_with_the_public_key_fails(pool: &Pool, base: &str, _p: &Profile) {
    let jwks = reqwest::get(format!(
        "{}/{}/.well-known/jwks.json",
        moto().endpoint,
        pool.id
    ))
    .await
    .expect("jwks")
    .text()
    .await
    .expect("text");
    let token = cognito_jwt::testing::hs256(
        &json!({"alg": "HS256", "kid": "dummy"}),
        &access_claims(pool),
        jwks.as_bytes(),
    );
    assert_rejected(base, &token, "\"HS256\" is not allowed").await;
}

/// A `kid` the pool's JWKS does not have.
pub async fn unknown_kid_fails(pool: &Pool, base: &str, _p: &Profile) {
    let token =
        cognito_jwt::testing::TestKey::generate("not-in-the-pool").sign(&access_claims(pool));
    assert_rejected(base, &token, "no key with kid").await;
}

/// The pool's `kid`, signed by another key.
pub async fn known_kid_signed_by_another_key_fails(pool: &Pool, base: &str, _p: &Profile) {
    let token = cognito_jwt::testing::TestKey::generate("dummy").sign(&access_claims(pool));
    assert_rejected(base, &token, "signature is invalid").await;
}

/// Expired two minutes ago (past any leeway).
pub async fn expired_token_fails(pool: &Pool, base: &str, _p: &Profile) {
    let mut c = access_claims(pool);
    c["exp"] = json!(now() - 120);
    assert_rejected(base, &signed(c), "expired").await;
}

/// Not valid for another ten minutes.
pub async fn nbf_in_the_future_fails(pool: &Pool, base: &str, _p: &Profile) {
    let mut c = access_claims(pool);
    c["nbf"] = json!(now() + 600);
    assert_rejected(base, &signed(c), "not valid before").await;
}

/// Correctly signed, but `iss` is not the pool.
pub async fn wrong_issuer_fails(pool: &Pool, base: &str, _p: &Profile) {
    let mut c = access_claims(pool);
    c["iss"] = json!("https://evil.example.com/us-east-1_x");
    assert_rejected(base, &signed(c), "issued by").await;
}

/// A genuine Admins token of another pool.
pub async fn token_from_another_pool_fails(_pool: &Pool, base: &str, _p: &Profile) {
    let other = new_pool().await;
    let (foreign, _) = tokens_for(&other, "eve", &["Admins"]).await;
    assert_rejected(base, &foreign, "issued by").await;
}

/// A genuine id token in place of an access token.
pub async fn id_token_used_as_access_token_fails(pool: &Pool, base: &str, _p: &Profile) {
    let (_, id) = tokens_for(pool, "ivan", &["Admins"]).await;
    assert_rejected(base, &id, "\"id\" token").await;
}

/// A genuine access token of another app client of the same pool.
pub async fn client_not_allowed_fails(pool: &Pool, base: &str, _p: &Profile) {
    use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ExplicitAuthFlowsType};
    let second = pool
        .admin
        .client()
        .create_user_pool_client()
        .user_pool_id(&pool.id)
        .client_name("another-app")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
        .send()
        .await
        .expect("second client");
    let second_id = second
        .user_pool_client()
        .and_then(|c| c.client_id())
        .expect("id")
        .to_owned();
    tokens_for(pool, "carl", &["Admins"]).await;
    let out = pool
        .admin
        .client()
        .admin_initiate_auth()
        .user_pool_id(&pool.id)
        .client_id(&second_id)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", "carl")
        .auth_parameters("PASSWORD", crate::USER_PASSWORD)
        .send()
        .await
        .expect("auth with the second client");
    let token = out
        .authentication_result()
        .and_then(|r| r.access_token())
        .expect("token")
        .to_owned();
    assert_rejected(base, &token, "is not allowed").await;
}

/// A ReadOnly token whose payload now says Admins; the genuine token keeps its real rights.
pub async fn forged_groups_fail(pool: &Pool, base: &str, p: &Profile) {
    let (reader, _) = tokens_for(pool, "fred", &["ReadOnly"]).await;
    let parts: Vec<&str> = reader.split('.').collect();
    let mut payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
    payload["cognito:groups"] = json!(["Admins"]);
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        parts[2]
    );
    assert_rejected(base, &forged, "signature is invalid").await;
    let tools = http_tools(base, &reader).await;
    assert!(
        tools.iter().any(|t| t == p.read_tool.0) && !tools.iter().any(|t| t == p.admin_tool.0),
        "{tools:?}"
    );
}

/// A signed token over the size cap is refused before parsing; a 200 KB header gets a 4xx,
/// and the server still serves.
pub async fn oversized_token_fails(pool: &Pool, base: &str, _p: &Profile) {
    let mut c = access_claims(pool);
    c["padding"] = json!("x".repeat(20_000));
    assert_rejected(base, &signed(c), "over the").await;
    let huge = "y".repeat(200_000);
    let r = rpc(base, Some(&huge), "tools/list", json!({}), &[]).await;
    assert!((400..500).contains(&r.status), "{}", r.status);
    let (sane, _) = tokens_for(pool, "sanity", &["ReadOnly"]).await;
    let r = rpc(base, Some(&sane), "tools/list", json!({}), &[]).await;
    assert_eq!(r.status, 200, "the server still serves: {:?}", r.body);
}
