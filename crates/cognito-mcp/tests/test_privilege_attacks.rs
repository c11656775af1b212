//! A hostile pool user against the privilege rule: a user in no group, then a `Developers`
//! user (and an `Admins` user against a group that grants more), trying every escalation of
//! issue 16 in JWT mode, in proxy mode through the hosted-UI stand-in (which grants whatever
//! scope the sign-in URL asks, as Cognito grants whatever the app client allows), and through
//! the sign-in page. Every test ends in `_fails` and fails without the rule it names.

mod common;

use common::login::{PASSWORD, password_client, serve_login, submit, to_login_page, user};
use common::proxy::*;
use common::{HttpServer, Pool, http_call, new_pool, rpc, serve_http, tokens_for};
use serde_json::{Value, json};

/// Moto-signed access-token claims for `username` in `groups`, carrying `scope`: a token the
/// pool's hosted UI would issue to that user for an app client allowing those scopes.
fn user_token(pool: &Pool, username: Option<&str>, groups: &[&str], scope: &str) -> String {
    let mut c = cognito_mcp_testkit::resource_checks::access_claims(pool);
    if let Some(u) = username {
        c["username"] = json!(u);
    } else {
        c["sub"] = json!(pool.client_id);
    }
    c["cognito:groups"] = json!(groups);
    c["scope"] = json!(scope);
    cognito_mcp_testkit::sign_with_moto_key(&[(json!({}), c)]).remove(0)
}

const ALL_SCOPES: &str = "openid email mcp/read mcp/write mcp/admin";

/// The tool error code of an answer (200 with isError), or the HTTP status otherwise.
fn refusal(r: &common::Reply) -> String {
    if r.status != 200 {
        return format!("http {}", r.status);
    }
    let res = &r.body["result"];
    if res["isError"] == json!(true) {
        res["_meta"]["cognito-mcp/error"]["code"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("error {}", res))
    } else {
        "ok".to_owned()
    }
}

fn assert_insufficient(r: &common::Reply, missing: &str, what: &str) {
    assert_eq!(refusal(r), "insufficient_scope", "{what}: {:?}", r.body);
    let text = r.body["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(text.contains(missing), "{what} must name {missing}: {text}");
}

async fn groups_of(pool: &Pool, username: &str) -> Vec<String> {
    let page = pool
        .admin
        .list_groups_for_user(&cognito_admin::ListGroupsForUser {
            username: username.into(),
            limit: None,
            pagination_token: None,
        })
        .await
        .expect("groups");
    page.groups.into_iter().map(|g| g.name).collect()
}

async fn exists(pool: &Pool, username: &str) -> bool {
    pool.admin.get_user(username).await.is_ok()
}

#[tokio::test]
async fn jwt_user_in_no_group_with_an_admin_scope_token_fails() {
    let pool = new_pool().await;
    let _ = tokens_for(&pool, "victim", &["ReadOnly"]).await;
    // The AdminInitiateAuth token (only aws.cognito.signin.user.admin) of a user in no group,
    // and a hosted-UI token whose URL the user edited to ask for every scope.
    let (plain, _) = tokens_for(&pool, "mallory", &[]).await;
    let edited = user_token(&pool, Some("mallory"), &[], ALL_SCOPES);
    let s = serve_http(&pool, &[]).await;
    for token in [&plain, &edited] {
        let r = http_call(
            &s.base,
            token,
            "delete_user",
            json!({"username": "victim", "confirm": "victim"}),
        )
        .await;
        assert_eq!(r.status, 403, "{:?}", r.body);
        let r = http_call(&s.base, token, "list_users", json!({})).await;
        assert_eq!(r.status, 403, "{:?}", r.body);
    }
    assert!(exists(&pool, "victim").await);
}

#[tokio::test]
async fn jwt_developer_with_an_admin_scope_token_cannot_delete_fails() {
    let pool = new_pool().await;
    let _ = tokens_for(&pool, "victim", &[]).await;
    let dev = user_token(&pool, Some("dev"), &["Developers"], ALL_SCOPES);
    let s = serve_http(&pool, &[]).await;
    let r = http_call(
        &s.base,
        &dev,
        "delete_user",
        json!({"username": "victim", "confirm": "victim"}),
    )
    .await;
    assert_eq!(r.status, 403, "{:?}", r.body);
    assert!(r.www_authenticate.contains("scope=\"mcp/admin\""));
    assert!(exists(&pool, "victim").await);
    // The developer's own privilege still works, and whoami says what it allows.
    let r = http_call(&s.base, &dev, "list_users", json!({})).await;
    assert_eq!(refusal(&r), "ok", "{:?}", r.body);
    let me = http_call(&s.base, &dev, "whoami", json!({})).await;
    let me = &me.body["result"]["structuredContent"];
    assert_eq!(me["scopes"], json!(["mcp/read", "mcp/write"]), "{me}");
    let allowed: Vec<&str> = me["allows"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|row| row["scope"].as_str())
        .collect();
    assert_eq!(allowed, ["mcp/read", "mcp/write"], "{me}");
}

#[tokio::test]
async fn jwt_token_without_privilege_gets_the_403_the_challenge_promises() {
    let pool = new_pool().await;
    let s = serve_http(&pool, &[]).await;
    let anonymous = rpc(&s.base, None, "tools/list", json!({}), &[]).await;
    assert_eq!(anonymous.status, 401);
    assert!(anonymous.www_authenticate.contains("scope=\"mcp/read\""));
    let token = user_token(&pool, Some("nobody"), &[], "openid email");
    for method in ["initialize", "tools/list"] {
        let r = rpc(&s.base, Some(&token), method, json!({}), &[]).await;
        assert_eq!(r.status, 403, "{method}: {:?}", r.body);
        assert!(r.www_authenticate.contains("insufficient_scope"));
        assert!(r.www_authenticate.contains("scope=\"mcp/read\""));
        assert!(
            r.body["error_description"]
                .as_str()
                .is_some_and(|d| d.contains("no group")),
            "{:?}",
            r.body
        );
    }
}

#[tokio::test]
async fn jwt_machine_token_of_an_unlisted_client_fails() {
    let pool = new_pool().await;
    let token = user_token(&pool, None, &["Admins"], "mcp/read mcp/write mcp/admin");
    let s = serve_http(&pool, &[]).await;
    let r = http_call(&s.base, &token, "list_users", json!({})).await;
    assert_eq!(r.status, 403, "{:?}", r.body);
    assert!(
        r.body["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("auth.machine_clients")),
        "{:?}",
        r.body
    );
    // Listed, it holds exactly what the listing allows: forged groups add nothing.
    let listed = format!("{}=mcp/read", pool.client_id);
    let s = serve_http(&pool, &[("COGNITO_MCP_MACHINE_CLIENTS", &listed)]).await;
    let r = http_call(&s.base, &token, "list_users", json!({})).await;
    assert_eq!(refusal(&r), "ok", "{:?}", r.body);
    let r = http_call(&s.base, &token, "create_group", json!({"group": "x"})).await;
    assert_eq!(r.status, 403, "{:?}", r.body);
}

#[tokio::test]
async fn jwt_developer_adds_themselves_to_admins_fails() {
    let pool = new_pool().await;
    let (dev, _) = tokens_for(&pool, "dev", &["Developers"]).await;
    let _ = tokens_for(&pool, "ada", &["Admins"]).await;
    let s = serve_http(&pool, &[]).await;
    let r = http_call(
        &s.base,
        &dev,
        "add_user_to_group",
        json!({"username": "dev", "group": "Admins"}),
    )
    .await;
    assert_insufficient(&r, "mcp/admin", "add self to Admins");
    // Nor out of it: removing an admin from Admins is a change to that group too.
    let r = http_call(
        &s.base,
        &dev,
        "remove_user_from_group",
        json!({"username": "ada", "group": "Admins"}),
    )
    .await;
    assert_insufficient(&r, "mcp/admin", "remove an admin from Admins");
    // Nor by creating a user straight into Admins.
    let r = http_call(
        &s.base,
        &dev,
        "create_user",
        json!({"username": "sock", "suppress_invitation": true, "groups": ["Admins"]}),
    )
    .await;
    assert_insufficient(&r, "mcp/admin", "create a user in Admins");
    assert_eq!(groups_of(&pool, "dev").await, ["Developers"]);
    assert_eq!(groups_of(&pool, "ada").await, ["Admins"]);
    assert!(!exists(&pool, "sock").await);
    // Developers may still manage the groups they hold.
    let r = http_call(
        &s.base,
        &dev,
        "add_user_to_group",
        json!({"username": "ada", "group": "ReadOnly"}),
    )
    .await;
    assert_eq!(refusal(&r), "ok", "{:?}", r.body);
}

#[tokio::test]
async fn jwt_developer_bulk_adds_to_admins_fails() {
    let pool = new_pool().await;
    let (dev, _) = tokens_for(&pool, "dev", &["Developers"]).await;
    let s = serve_http(&pool, &[]).await;
    let r = http_call(
        &s.base,
        &dev,
        "add_users_to_group",
        json!({"group": "Admins", "usernames": ["dev"]}),
    )
    .await;
    assert_insufficient(&r, "mcp/admin", "bulk add to Admins");
    let r = http_call(
        &s.base,
        &dev,
        "create_users",
        json!({"users": [{"username": "sock1", "suppress_invitation": true}], "groups": ["Admins"]}),
    )
    .await;
    assert_insufficient(&r, "mcp/admin", "bulk create into Admins");
    // A user's own groups in the list are checked item by item.
    let r = http_call(
        &s.base,
        &dev,
        "create_users",
        json!({"users": [
            {"username": "sock2", "suppress_invitation": true, "groups": ["Admins"]},
            {"username": "fine2", "suppress_invitation": true, "groups": ["ReadOnly"]}
        ]}),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let items = r.body["result"]["structuredContent"]["items"].to_string();
    assert!(items.contains("mcp/admin"), "{items}");
    assert_eq!(groups_of(&pool, "dev").await, ["Developers"]);
    assert!(!exists(&pool, "sock1").await);
    assert!(!exists(&pool, "sock2").await);
    assert_eq!(groups_of(&pool, "fine2").await, ["ReadOnly"]);
}

#[tokio::test]
async fn jwt_developer_takes_over_an_admin_fails() {
    let pool = new_pool().await;
    let (dev, _) = tokens_for(&pool, "dev", &["Developers"]).await;
    let _ = tokens_for(&pool, "ada", &["Admins"]).await;
    let _ = tokens_for(&pool, "rory", &["ReadOnly"]).await;
    let s = serve_http(&pool, &[]).await;
    let before = pool.admin.get_user("ada").await.expect("ada");
    let attempts = [
        (
            "set_user_password",
            json!({"username": "ada", "password": "Taken-Over-Pass-9", "permanent": true, "confirm": "ada"}),
        ),
        (
            "reset_user_password",
            json!({"username": "ada", "confirm": "ada"}),
        ),
        (
            "update_user_attributes",
            json!({"username": "ada", "attributes": {"email": "mallory@evil.example"}}),
        ),
        (
            "delete_user_attributes",
            json!({"username": "ada", "attribute_names": ["email"]}),
        ),
    ];
    for (tool, args) in attempts {
        let r = http_call(&s.base, &dev, tool, args).await;
        assert_insufficient(&r, "mcp/admin", tool);
    }
    let after = pool.admin.get_user("ada").await.expect("ada");
    assert_eq!(
        serde_json::to_value(&before.attributes).expect("attrs"),
        serde_json::to_value(&after.attributes).expect("attrs")
    );
    assert_eq!(before.status, after.status);
    // The same change to a user whose groups grant no more than the developer holds works.
    let r = http_call(
        &s.base,
        &dev,
        "update_user_attributes",
        json!({"username": "rory", "attributes": {"given_name": "Rory"}}),
    )
    .await;
    assert_eq!(refusal(&r), "ok", "{:?}", r.body);
}

/// A pool whose `Owners` group grants a scope even Admins lack, so the admin-level tools can be
/// played against a target with more privilege than the caller.
async fn with_owners() -> (Pool, HttpServer, tempfile::TempDir) {
    let pool = new_pool().await;
    pool.admin
        .create_group(&cognito_admin::CreateGroup {
            group: "Owners".into(),
            description: None,
            precedence: None,
        })
        .await
        .expect("Owners");
    let dir = tempfile::tempdir().expect("dir");
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        "[auth.group_scopes]\nAdmins = [\"mcp/read\", \"mcp/write\", \"mcp/admin\"]\n\
         Developers = [\"mcp/read\", \"mcp/write\"]\nReadOnly = [\"mcp/read\"]\n\
         Owners = [\"mcp/read\", \"mcp/write\", \"mcp/admin\", \"mcp/owner\"]\n",
    )
    .expect("config");
    let s = serve_http(
        &pool,
        &[("COGNITO_MCP_CONFIG", cfg.to_str().expect("utf-8"))],
    )
    .await;
    (pool, s, dir)
}

#[tokio::test]
async fn jwt_admin_takes_over_an_owner_fails() {
    let (pool, s, _dir) = with_owners().await;
    let (admin, _) = tokens_for(&pool, "ada", &["Admins"]).await;
    let _ = tokens_for(&pool, "olga", &["Owners"]).await;
    let attempts = [
        (
            "disable_user",
            json!({"username": "olga", "confirm": "olga"}),
        ),
        ("enable_user", json!({"username": "olga"})),
        (
            "delete_user",
            json!({"username": "olga", "confirm": "olga"}),
        ),
        (
            "sign_out_user",
            json!({"username": "olga", "confirm": "olga"}),
        ),
        (
            "set_user_mfa_preference",
            json!({"username": "olga", "totp": {"enabled": false}}),
        ),
        (
            "add_user_to_group",
            json!({"username": "ada", "group": "Owners"}),
        ),
        (
            "delete_group",
            json!({"group": "Owners", "confirm": "Owners"}),
        ),
    ];
    for (tool, args) in attempts {
        let r = http_call(&s.base, &admin, tool, args).await;
        assert_insufficient(&r, "mcp/owner", tool);
    }
    assert!(exists(&pool, "olga").await);
    let olga = pool.admin.get_user("olga").await.expect("olga");
    assert!(olga.enabled);
    assert_eq!(groups_of(&pool, "ada").await, ["Admins"]);
}

#[tokio::test]
async fn jwt_admin_bulk_enable_fails_for_owners_only() {
    let (pool, s, _dir) = with_owners().await;
    let (admin, _) = tokens_for(&pool, "ada", &["Admins"]).await;
    let _ = tokens_for(&pool, "olga", &["Owners"]).await;
    let _ = tokens_for(&pool, "rory", &["ReadOnly"]).await;
    for u in ["olga", "rory"] {
        pool.admin.disable_user(u).await.expect("disable");
    }
    let r = http_call(
        &s.base,
        &admin,
        "enable_users",
        json!({"usernames": ["olga", "rory"]}),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let items = r.body["result"]["structuredContent"]["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let outcome = |u: &str| -> Value {
        items
            .iter()
            .find(|i| i["username"] == json!(u))
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(outcome("olga")["outcome"], json!("failed"), "{items:?}");
    assert!(
        outcome("olga").to_string().contains("mcp/owner"),
        "{items:?}"
    );
    assert_eq!(outcome("rory")["outcome"], json!("done"), "{items:?}");
    assert!(!pool.admin.get_user("olga").await.expect("olga").enabled);
    assert!(pool.admin.get_user("rory").await.expect("rory").enabled);
}

#[tokio::test]
async fn proxy_user_in_no_group_edits_the_upstream_scope_to_admin_fails() {
    let pool = new_pool().await;
    let _ = tokens_for(&pool, "victim", &[]).await;
    let upstream = StandIn::start("mallory", &[]).await;
    let state = tempfile::tempdir().expect("state");
    let cfg = config(state.path(), "", "");
    let s = serve_proxy(&pool, &upstream, &cfg, &state.path().join("state"), &[]).await;
    let base = s.base.clone();
    let id = public_client(&base, "openid mcp/read mcp/write mcp/admin").await;
    let (verifier, challenge) = pkce();
    let mut b = Browser::new();
    let page = b
        .get(&authorize_url(
            &base,
            &id,
            &challenge,
            "openid mcp/read mcp/write mcp/admin",
            &[],
        ))
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    // The consent page says what the scopes allow in the words of the enforced table.
    assert!(
        page.text
            .contains("only for users and groups that hold no scope you lack"),
        "{}",
        page.text
    );
    let (txn, csrf) = consent_fields(&page.text);
    let to_upstream = submit_consent(&mut b, &base, &txn, &csrf, "approve").await;
    // The user edits the hosted-UI URL to ask Cognito for every scope; Cognito grants them.
    let mut url =
        url::Url::parse(to_upstream.location.as_deref().expect("to the hosted UI")).expect("url");
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "scope" {
                ALL_SCOPES.to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    let back = b.get(url.as_str()).await;
    let done = b.follow(back).await;
    let code = done.query()["code"].clone();
    let t = token(&base, &code_form(&code, &verifier, &id), None).await;
    assert_eq!(t.status, 200, "{}", t.text);
    let t = t.json();
    assert_eq!(t["scope"], json!("openid"), "{t}");
    let access = t["access_token"].as_str().expect("access");
    let r = http_call(
        &base,
        access,
        "delete_user",
        json!({"username": "victim", "confirm": "victim"}),
    )
    .await;
    assert_eq!(r.status, 403, "{:?}", r.body);
    assert!(exists(&pool, "victim").await);
    let log = std::fs::read_to_string(s.dir.path().join("stderr.log")).unwrap_or_default();
    assert!(
        log.contains("did not ask for") && log.contains("mcp/admin"),
        "the extra scopes are logged: {log}"
    );
}

#[tokio::test]
async fn proxy_refresh_rereads_the_groups_and_drops_what_they_no_longer_grant_fails() {
    let pool = new_pool().await;
    let upstream = StandIn::start("alice", &["Admins"]).await;
    let state = tempfile::tempdir().expect("state");
    let cfg = config(state.path(), "", "");
    let s = serve_proxy(&pool, &upstream, &cfg, &state.path().join("state"), &[]).await;
    let (id, t) = public_tokens(&s.base, "openid mcp/read mcp/admin").await;
    assert_eq!(t["scope"], json!("openid mcp/read mcp/admin"));
    // Alice leaves Admins for ReadOnly at Cognito; her next refresh holds only mcp/read.
    upstream.set_user("alice", &["ReadOnly"]).await;
    let r = token(
        &s.base,
        &refresh_form(t["refresh_token"].as_str().expect("refresh"), &id),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let t2 = r.json();
    assert_eq!(t2["scope"], json!("openid mcp/read"), "{t2}");
    let r = http_call(
        &s.base,
        t2["access_token"].as_str().expect("access"),
        "read_audit",
        json!({}),
    )
    .await;
    assert_eq!(r.status, 403, "{:?}", r.body);
}

#[tokio::test]
async fn login_page_user_in_no_group_gets_no_privilege_fails() {
    let pool = new_pool().await;
    let client = password_client(&pool, true).await;
    user(&pool, "mallory", &[], false).await;
    let state = tempfile::tempdir().expect("state");
    let cfg = config(state.path(), "", "");
    let s = serve_login(&pool, &client, &cfg, &state.path().join("state"), &[]).await;
    let scope = "openid mcp/read mcp/write mcp/admin";
    let id = public_client(&s.base, scope).await;
    let (verifier, challenge) = pkce();
    let mut b = Browser::new();
    let page = to_login_page(&mut b, &s.base, &id, &challenge, scope).await;
    let got = submit(
        &mut b,
        &s.base,
        &page,
        "/login",
        &[("username", "mallory"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(got.status, 303, "{}", got.text);
    let done = b.follow(got).await;
    let code = done.query()["code"].clone();
    let t = token(&s.base, &code_form(&code, &verifier, &id), None).await;
    assert_eq!(t.status, 200, "{}", t.text);
    let t = t.json();
    assert_eq!(t["scope"], json!("openid"), "{t}");
    let r = http_call(
        &s.base,
        t["access_token"].as_str().expect("access"),
        "list_users",
        json!({}),
    )
    .await;
    assert_eq!(r.status, 403, "{:?}", r.body);
}
