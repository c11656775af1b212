//! Safety rails against moto: protected principals refused on every write tool (one test
//! each), and confirmations through a client that elicits (yes and no) and one that cannot.

mod common;

use common::{new_pool, serve};
use serde_json::{Value, json};

/// The break-glass user and group every test protects.
const KEEPER: &str = "breakglass";
const KEEPER_EMAIL: &str = "keeper@example.com";
const KEEPERS: &str = "BreakGlass";

struct Rig {
    pool: common::Pool,
    server: common::Server,
    _dir: tempfile::TempDir,
}

/// A pool with the protected user (in the protected group) and an ordinary user `olga` in
/// group `staff`, served with both on the protected list and confirmations off, so each
/// refusal can only come from the protection.
async fn rig() -> Rig {
    let pool = new_pool().await;
    let admin = &pool.admin;
    for g in [KEEPERS, "staff"] {
        admin
            .create_group(&cognito_admin::CreateGroup {
                group: g.into(),
                description: None,
                precedence: None,
            })
            .await
            .expect("group");
    }
    for (user, email, group) in [
        (KEEPER, KEEPER_EMAIL, KEEPERS),
        ("olga", "olga@example.com", "staff"),
    ] {
        admin
            .create_user(
                &serde_json::from_value(json!({
                    "username": user, "email": email, "suppress_invitation": true, "groups": [group]
                }))
                .expect("input"),
            )
            .await
            .expect("user");
    }
    let dir = tempfile::tempdir().expect("dir");
    let mut toml = format!(
        "[safety]\nprotected_users = [{KEEPER:?}]\nprotected_groups = [{KEEPERS:?}]\n\
         [safety.confirm]\n"
    );
    for tool in [
        "delete_user",
        "delete_group",
        "disable_user",
        "disable_users",
        "sign_out_user",
        "reset_user_password",
        "set_user_password",
    ] {
        toml.push_str(&format!("{tool} = \"never\"\n"));
    }
    let path = dir.path().join("cognito-mcp.toml");
    std::fs::write(&path, toml).expect("config");
    let server = serve(&pool, &["--config", &path.display().to_string()], &[]).await;
    Rig {
        pool,
        server,
        _dir: dir,
    }
}

impl Rig {
    /// The protected user and group are as they were.
    async fn intact(&self) {
        let u = self.pool.admin.get_user(KEEPER).await.expect("still there");
        assert!(u.enabled, "still enabled");
        assert_eq!(u.groups.as_deref(), Some(&[KEEPERS.to_owned()][..]));
        assert_eq!(
            u.attributes.get("email").map(String::as_str),
            Some(KEEPER_EMAIL)
        );
        assert!(!u.attributes.contains_key("given_name"));
        let members = self
            .pool
            .admin
            .list_users_in_group(&cognito_admin::ListUsersInGroup {
                group: KEEPERS.into(),
                limit: None,
                pagination_token: None,
            })
            .await
            .expect("the group is still there");
        assert_eq!(members.count, 1, "nobody joined or left it");
    }

    /// `tool` is refused as `protected`, audited as refused, and nothing changed.
    async fn refused(&self, tool: &str, args: Value) {
        let (code, text) = self.server.err(tool, args).await;
        assert_eq!(code, "protected", "{tool}: {text}");
        assert!(
            text.contains("protected list"),
            "the refusal says why: {text}"
        );
        let audit = self.server.audit();
        let last = audit.last().expect("audited");
        assert_eq!(last["tool"], tool);
        assert_eq!(last["outcome"], "refused", "{last}");
        assert_eq!(last["error"], "protected");
        self.intact().await;
    }

    /// The bulk `tool` reports the protected item as failed (`protected`), changes the others,
    /// and leaves the protected one as it was.
    async fn refused_item(&self, tool: &str, args: Value, protected_item: usize) {
        let report = self.server.ok(tool, args).await;
        let item = &report["items"][protected_item];
        assert_eq!(item["outcome"], "failed", "{report:#}");
        assert_eq!(item["code"], "protected", "{report:#}");
        self.intact().await;
    }
}

macro_rules! protected {
    ($($name:ident: $tool:literal $args:tt;)*) => {$(
        #[tokio::test]
        async fn $name() {
            let r = rig().await;
            r.refused($tool, json!($args)).await;
        }
    )*};
}

protected! {
    create_user_cannot_reuse_a_protected_name: "create_user"
        {"username": KEEPER, "suppress_invitation": true};
    create_user_cannot_join_a_protected_group: "create_user"
        {"username": "newbie", "suppress_invitation": true, "groups": [KEEPERS]};
    set_user_password_refuses_a_protected_user: "set_user_password"
        {"username": KEEPER, "password": "Another-Pass-77!"};
    reset_user_password_refuses_a_protected_user: "reset_user_password" {"username": KEEPER};
    enable_user_refuses_a_protected_user: "enable_user" {"username": KEEPER};
    disable_user_refuses_a_protected_user: "disable_user" {"username": KEEPER};
    disable_user_refuses_a_protected_user_by_email_alias: "disable_user"
        {"username": "Keeper@Example.com"};
    delete_user_refuses_a_protected_user: "delete_user" {"username": KEEPER};
    update_user_attributes_refuses_a_protected_user: "update_user_attributes"
        {"username": KEEPER, "attributes": {"given_name": "Mallory"}};
    delete_user_attributes_refuses_a_protected_user: "delete_user_attributes"
        {"username": KEEPER, "attribute_names": ["email"]};
    sign_out_user_refuses_a_protected_user: "sign_out_user" {"username": KEEPER};
    create_group_refuses_a_protected_name: "create_group" {"group": KEEPERS};
    delete_group_refuses_a_protected_group: "delete_group" {"group": KEEPERS};
    add_user_to_group_refuses_a_protected_group: "add_user_to_group"
        {"username": "olga", "group": KEEPERS};
    add_user_to_group_refuses_a_protected_user: "add_user_to_group"
        {"username": KEEPER, "group": "staff"};
    remove_user_from_group_refuses_a_protected_group: "remove_user_from_group"
        {"username": KEEPER, "group": KEEPERS};
    remove_user_from_group_refuses_a_protected_user: "remove_user_from_group"
        {"username": KEEPER, "group": "staff"};
    create_users_refuses_a_protected_group: "create_users"
        {"users": [{"username": "n1", "suppress_invitation": true}], "groups": [KEEPERS]};
    add_users_to_group_refuses_a_protected_group: "add_users_to_group"
        {"group": KEEPERS, "usernames": ["olga"]};
    remove_users_from_group_refuses_a_protected_group: "remove_users_from_group"
        {"group": KEEPERS, "usernames": [KEEPER]};
    set_user_mfa_preference_refuses_a_protected_user: "set_user_mfa_preference"
        {"username": KEEPER, "totp": {"enabled": false}};
}

#[tokio::test]
async fn create_users_fails_the_protected_item_only() {
    let r = rig().await;
    r.refused_item(
        "create_users",
        json!({"users": [
            {"username": "fresh-1", "suppress_invitation": true},
            {"username": KEEPER, "suppress_invitation": true},
        ]}),
        1,
    )
    .await;
    assert!(r.pool.admin.get_user("fresh-1").await.is_ok());
}

#[tokio::test]
async fn add_users_to_group_fails_the_protected_item_only() {
    let r = rig().await;
    r.refused_item(
        "add_users_to_group",
        json!({"group": "staff", "usernames": [KEEPER, "olga"]}),
        0,
    )
    .await;
}

#[tokio::test]
async fn remove_users_from_group_fails_the_protected_item_only() {
    let r = rig().await;
    // By filter too: the protected user is found by the filter and still left alone.
    r.server
        .ok(
            "add_user_to_group",
            json!({"username": "olga", "group": "staff"}),
        )
        .await;
    let report = r
        .server
        .ok(
            "remove_users_from_group",
            json!({"group": "staff", "usernames": ["olga", "Keeper@example.com"]}),
        )
        .await;
    assert_eq!(report["items"][0]["outcome"], "done", "{report:#}");
    assert_eq!(report["items"][1]["code"], "protected", "{report:#}");
    r.intact().await;
}

#[tokio::test]
async fn disable_users_fails_the_protected_item_only() {
    let r = rig().await;
    r.refused_item("disable_users", json!({"usernames": [KEEPER, "olga"]}), 0)
        .await;
    assert!(!r.pool.admin.get_user("olga").await.expect("olga").enabled);
}

#[tokio::test]
async fn enable_users_fails_the_protected_item_only() {
    let r = rig().await;
    r.refused_item("enable_users", json!({"usernames": [KEEPER]}), 0)
        .await;
}

#[tokio::test]
async fn test_sign_in_refuses_a_protected_user() {
    // Failed sign-ins count toward Cognito's lockout: a protected user is never tried.
    let pool = new_pool().await;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("cognito-mcp.toml");
    std::fs::write(
        &path,
        format!(
            "[safety]\nprotected_users = [{KEEPER:?}]\n[sign_in]\nenabled = true\nclient_id = {:?}\n",
            pool.client_id
        ),
    )
    .expect("config");
    let s = serve(&pool, &["--config", &path.display().to_string()], &[]).await;
    let (code, text) = s
        .err(
            "test_sign_in",
            json!({"username": KEEPER, "password": "Whatever-Pass-1"}),
        )
        .await;
    assert_eq!(code, "protected", "{text}");
    let (code, text) = s
        .err(
            "respond_to_auth_challenge",
            json!({"username": KEEPER, "challenge": "NEW_PASSWORD_REQUIRED", "session": "s-123456", "new_password": "Another-Pass-77!"}),
        )
        .await;
    assert_eq!(code, "protected", "{text}");
}

#[tokio::test]
async fn reads_of_protected_principals_still_work() {
    let r = rig().await;
    let u = r.server.ok("get_user", json!({"username": KEEPER})).await;
    assert_eq!(u["username"], KEEPER);
    r.server
        .ok("list_users_in_group", json!({"group": KEEPERS}))
        .await;
}

/// The TypeScript SDK over stdio with default confirmations.
async fn ts(scenario: &str, pool: &common::Pool, tool: &str, args: Value) -> Value {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("cognito-mcp.toml");
    std::fs::write(&path, "").expect("config");
    let lines = common::drivers::ts_stdio(
        pool,
        &path.display().to_string(),
        &dir.path().join("audit.jsonl"),
        scenario,
        &[("MCP_TOOL", tool), ("MCP_ARGS", &args.to_string())],
    )
    .await;
    let step = common::drivers::step(&lines, "result").clone();
    let audit = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap_or_default();
    json!({"step": step, "audit": audit})
}

async fn user(pool: &common::Pool, name: &str) {
    pool.admin
        .create_user(
            &serde_json::from_value(json!({"username": name, "suppress_invitation": true}))
                .expect("input"),
        )
        .await
        .expect("user");
}

#[tokio::test]
async fn a_client_that_elicits_is_asked_and_its_yes_goes_through() {
    let pool = new_pool().await;
    user(&pool, "alice").await;
    let out = ts(
        "elicit-accept",
        &pool,
        "delete_user",
        json!({"username": "alice"}),
    )
    .await;
    let step = &out["step"];
    assert_ne!(step["result"]["isError"], true, "{step:#}");
    assert_eq!(
        step["result"]["structuredContent"]["action"],
        "user_deleted"
    );
    let asked = step["asked"].as_array().expect("asked");
    assert_eq!(asked.len(), 1, "asked once: {asked:?}");
    let message = asked[0]["message"].as_str().expect("message");
    assert!(
        message.contains("alice") && message.contains("cannot be undone"),
        "the target and the effect are shown: {message}"
    );
    assert!(pool.admin.get_user("alice").await.is_err(), "deleted");
    assert!(
        out["audit"]
            .as_str()
            .expect("audit")
            .contains("\"confirmed_by\":\"elicitation\""),
        "{out}"
    );
}

#[tokio::test]
async fn a_client_that_elicits_can_say_no() {
    let pool = new_pool().await;
    user(&pool, "bob").await;
    let out = ts(
        "elicit-decline",
        &pool,
        "delete_user",
        json!({"username": "bob", "confirm": "bob"}),
    )
    .await;
    let step = &out["step"];
    assert_eq!(step["result"]["isError"], true, "{step:#}");
    assert_eq!(
        step["result"]["_meta"]["cognito-mcp/error"]["code"], "declined",
        "{step:#}"
    );
    assert_eq!(step["asked"].as_array().map(Vec::len), Some(1));
    assert!(
        pool.admin.get_user("bob").await.is_ok(),
        "the agent's own `confirm` does not replace the person's no"
    );
}

#[tokio::test]
async fn a_client_that_elicits_confirms_a_bulk_change_with_its_count() {
    let pool = new_pool().await;
    for u in ["b-1", "b-2"] {
        user(&pool, u).await;
    }
    let out = ts(
        "elicit-accept",
        &pool,
        "disable_users",
        json!({"usernames": ["b-1", "b-2"]}),
    )
    .await;
    let step = &out["step"];
    assert_eq!(
        step["result"]["structuredContent"]["counts"]["done"], 2,
        "{step:#}"
    );
    let message = step["asked"][0]["message"].as_str().expect("message");
    assert!(
        message.contains("2 users") && message.contains("\"b-1\""),
        "{message}"
    );
    assert!(!pool.admin.get_user("b-2").await.expect("user").enabled);
}

#[tokio::test]
async fn a_client_without_elicitation_gets_the_confirm_path() {
    let pool = new_pool().await;
    user(&pool, "carol").await;
    let out = ts(
        "no-elicit",
        &pool,
        "delete_user",
        json!({"username": "carol"}),
    )
    .await;
    let result = &out["step"]["result"];
    assert_eq!(result["isError"], true, "{result:#}");
    let text = result["content"][0]["text"].as_str().expect("text");
    assert!(
        text.contains("confirmation_required") && text.contains("\"confirm\": \"carol\""),
        "{text}"
    );
    assert!(pool.admin.get_user("carol").await.is_ok());
    let out = ts(
        "no-elicit",
        &pool,
        "delete_user",
        json!({"username": "carol", "confirm": "carol"}),
    )
    .await;
    assert_eq!(
        out["step"]["result"]["structuredContent"]["action"], "user_deleted",
        "{out}"
    );
    assert!(pool.admin.get_user("carol").await.is_err());
}

/// The Python SDK on protocol 2026-07-28 (`server/discover`), confirming through an
/// `input_required` result: (the client's report, the audit file's text).
async fn py_mrtr(pool: &common::Pool, scenario: &str, tool: &str, args: Value) -> (Value, String) {
    let dir = tempfile::tempdir().expect("dir");
    let audit = dir.path().join("audit.jsonl");
    let mut cmd = tokio::process::Command::new(common::peers().join("mcp-venv/bin/python"));
    cmd.arg(common::drivers::script("py_mrtr_client.py"))
        .arg(scenario)
        .arg(tool)
        .arg(args.to_string())
        .env_clear()
        .envs(common::base_env())
        .env("COGNITO_USER_POOL_ID", &pool.id)
        .env("COGNITO_MCP_AUDIT_FILE", &audit)
        .env(
            "MCP_SERVER_CMD",
            json!([common::bin(), "serve"]).to_string(),
        )
        .kill_on_drop(true);
    let out = tokio::time::timeout(std::time::Duration::from_secs(120), cmd.output())
        .await
        .expect("the client finished in time")
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    (report, common::settled_audit(&audit))
}

#[tokio::test]
async fn a_2026_client_confirms_through_an_input_required_round() {
    let pool = new_pool().await;
    user(&pool, "dora").await;
    let (r, audit) = py_mrtr(&pool, "accept", "delete_user", json!({"username": "dora"})).await;
    assert_eq!(r["version"], "2026-07-28", "{r:#}");
    assert_eq!(r["first"]["resultType"], "input_required", "{r:#}");
    assert!(
        r["first"]["requestState"]
            .as_str()
            .is_some_and(|s| s.starts_with("v1.")),
        "a keyed state (confirm_state.rs): {r:#}"
    );
    let message = r["asked"][0]["params"]["message"]
        .as_str()
        .expect("message");
    assert!(
        message.contains("\"dora\"") && message.contains("cannot be undone"),
        "{message}"
    );
    assert_eq!(
        r["retried"]["structuredContent"]["action"], "user_deleted",
        "{r:#}"
    );
    assert!(pool.admin.get_user("dora").await.is_err(), "deleted");
    assert!(audit.contains("\"outcome\":\"input_required\""), "{audit}");
    assert!(
        audit.contains("\"confirmed_by\":\"elicitation\""),
        "{audit}"
    );
}

#[tokio::test]
async fn a_2026_client_can_say_no_in_the_input_required_round() {
    let pool = new_pool().await;
    user(&pool, "emil").await;
    let (r, _) = py_mrtr(&pool, "decline", "delete_user", json!({"username": "emil"})).await;
    assert_eq!(r["retried"]["isError"], true, "{r:#}");
    assert_eq!(
        r["retried"]["_meta"]["cognito-mcp/error"]["code"], "declined",
        "{r:#}"
    );
    assert!(pool.admin.get_user("emil").await.is_ok(), "not deleted");
}

#[tokio::test]
async fn a_yes_for_one_call_does_not_confirm_another() {
    // The answer was asked for "fred"; replayed with other arguments, the request state no
    // longer matches, so the call is refused instead of deleting "fred-other"
    // (test_confirm_state.rs has one test per way of bending the state).
    let pool = new_pool().await;
    user(&pool, "fred").await;
    user(&pool, "fred-other").await;
    let (r, _) = py_mrtr(&pool, "other", "delete_user", json!({"username": "fred"})).await;
    assert_eq!(r["retried"]["isError"], true, "{r:#}");
    assert_eq!(
        r["retried"]["_meta"]["cognito-mcp/error"]["code"], "confirmation_state_mismatch",
        "{r:#}"
    );
    assert!(
        pool.admin.get_user("fred-other").await.is_ok(),
        "not deleted"
    );
    assert!(pool.admin.get_user("fred").await.is_ok(), "not deleted");
}
