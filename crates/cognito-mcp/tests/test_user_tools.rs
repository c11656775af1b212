//! Every user tool against moto over real stdio: success paths and the main failures.

mod common;

use common::{new_pool, serve};
use serde_json::json;

const GOOD: &str = "Correct-Horse-42";

#[tokio::test]
async fn create_get_list_and_delete_a_user() {
    let pool = new_pool().await;
    let s = serve(&pool, &[], &[]).await;

    let user = s
        .ok(
            "create_user",
            json!({
                "username": "alice",
                "email": "alice@example.com",
                "attributes": {"given_name": "Alice"},
                "temporary_password": GOOD,
                "suppress_invitation": true,
                "groups": ["Developers"],
            }),
        )
        .await;
    assert_eq!(user["username"], "alice");
    assert_eq!(user["status"], "FORCE_CHANGE_PASSWORD");
    assert_eq!(user["confirmed"], false);
    assert_eq!(user["attributes"]["email"], "alice@example.com");
    // An agent-supplied address is not marked verified unless asked.
    assert_ne!(user["attributes"]["email_verified"], "true");
    assert_eq!(user["groups"], json!(["Developers"]));

    let got = s.ok("get_user", json!({"username": "alice"})).await;
    assert_eq!(got["enabled"], true);
    assert_eq!(got["attributes"]["given_name"], "Alice");
    assert_eq!(got["groups"], json!(["Developers"]));
    assert!(got["mfa"]["enabled"].is_array(), "{got}");

    // Cognito generates the temporary password when none is given.
    s.ok(
        "create_user",
        json!({"username": "bob", "email": "bob@example.com", "suppress_invitation": true}),
    )
    .await;

    let page = s.ok("list_users", json!({})).await;
    assert_eq!(page["count"], 2);
    let page = s
        .ok("list_users", json!({"filter": "email ^= \"ali\""}))
        .await;
    assert_eq!(page["count"], 1);
    assert_eq!(page["users"][0]["username"], "alice");

    let done = s
        .ok("delete_user", json!({"username": "bob", "confirm": "bob"}))
        .await;
    assert_eq!(done["action"], "user_deleted");
    let (code, _) = s.err("get_user", json!({"username": "bob"})).await;
    assert_eq!(code, "user_not_found");
}

#[tokio::test]
async fn list_users_pages_and_fetches_all_pages_up_to_a_cap() {
    let pool = new_pool().await;
    for i in 0..5 {
        pool.admin
            .create_user(&cognito_admin::CreateUser {
                username: format!("user{i}"),
                email: None,
                email_verified: None,
                attributes: Default::default(),
                temporary_password: None,
                suppress_invitation: true,
                groups: vec![],
            })
            .await
            .expect("seed user");
    }
    let s = serve(&pool, &[], &[]).await;
    let first = s.ok("list_users", json!({"limit": 2})).await;
    assert_eq!(first["count"], 2);
    let token = first["pagination_token"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let second = s
        .ok("list_users", json!({"limit": 2, "pagination_token": token}))
        .await;
    assert_eq!(second["count"], 2);
    assert_ne!(
        first["users"][0]["username"],
        second["users"][0]["username"]
    );

    let all = s
        .ok("list_users", json!({"limit": 2, "all_pages": true}))
        .await;
    assert_eq!(all["count"], 5);
    assert!(all.get("pagination_token").is_none(), "{all}");

    let capped = s
        .ok(
            "list_users",
            json!({"limit": 2, "all_pages": true, "max_users": 3}),
        )
        .await;
    assert_eq!(capped["count"], 3);
}

#[tokio::test]
async fn passwords_enable_disable_attributes_and_sign_out() {
    let pool = new_pool().await;
    let s = serve(&pool, &[], &[]).await;
    s.ok(
        "create_user",
        json!({"username": "carol", "email": "carol@example.com", "email_verified": true, "suppress_invitation": true}),
    )
    .await;

    // A user who never signed in cannot be reset: the hint says what to do instead.
    let (code, text) = s
        .err(
            "reset_user_password",
            json!({"username": "carol", "confirm": "carol"}),
        )
        .await;
    assert_eq!(code, "not_authorized", "{text}");
    assert!(text.contains("set_user_password"), "{text}");

    let out = s
        .ok(
            "set_user_password",
            json!({"username": "carol", "confirm": "carol", "password": "Another-Pass-77"}),
        )
        .await;
    assert_eq!(out["action"], "password_set_temporary");
    assert_eq!(
        s.ok("get_user", json!({"username": "carol"})).await["status"],
        "FORCE_CHANGE_PASSWORD"
    );

    let out = s
        .ok(
            "set_user_password",
            json!({"username": "carol", "confirm": "carol", "password": GOOD, "permanent": true}),
        )
        .await;
    assert_eq!(out["action"], "password_set_permanent");
    assert_eq!(
        s.ok("get_user", json!({"username": "carol"})).await["status"],
        "CONFIRMED"
    );

    s.ok(
        "reset_user_password",
        json!({"username": "carol", "confirm": "carol"}),
    )
    .await;
    assert_eq!(
        s.ok("get_user", json!({"username": "carol"})).await["status"],
        "RESET_REQUIRED"
    );

    s.ok(
        "disable_user",
        json!({"username": "carol", "confirm": "carol"}),
    )
    .await;
    assert_eq!(
        s.ok("get_user", json!({"username": "carol"})).await["enabled"],
        false
    );
    s.ok("enable_user", json!({"username": "carol"})).await;
    assert_eq!(
        s.ok("get_user", json!({"username": "carol"})).await["enabled"],
        true
    );

    let out = s
        .ok(
            "update_user_attributes",
            json!({"username": "carol", "attributes": {"family_name": "Jones", "phone_number": "+14155550123"}}),
        )
        .await;
    assert_eq!(out["attributes"], json!(["family_name", "phone_number"]));
    let got = s.ok("get_user", json!({"username": "carol"})).await;
    assert_eq!(got["attributes"]["family_name"], "Jones");

    s.ok(
        "delete_user_attributes",
        json!({"username": "carol", "attribute_names": ["family_name"]}),
    )
    .await;
    let got = s.ok("get_user", json!({"username": "carol"})).await;
    assert!(got["attributes"].get("family_name").is_none(), "{got}");

    let out = s
        .ok(
            "sign_out_user",
            json!({"username": "carol", "confirm": "carol"}),
        )
        .await;
    assert_eq!(out["action"], "signed_out");
}

#[tokio::test]
async fn duplicate_user_fails_with_a_hint() {
    let pool = new_pool().await;
    let s = serve(&pool, &[], &[]).await;
    s.ok(
        "create_user",
        json!({"username": "dave", "suppress_invitation": true}),
    )
    .await;
    let (code, text) = s
        .err(
            "create_user",
            json!({"username": "dave", "suppress_invitation": true}),
        )
        .await;
    assert_eq!(code, "username_exists");
    assert!(
        text.contains("already exists") && text.contains("get_user"),
        "{text}"
    );
}

#[tokio::test]
async fn unknown_user_fails_for_every_user_tool() {
    let pool = new_pool().await;
    let s = serve(&pool, &[], &[]).await;
    for (tool, args) in [
        ("get_user", json!({"username": "ghost"})),
        (
            "disable_user",
            json!({"username": "ghost", "confirm": "ghost"}),
        ),
        ("enable_user", json!({"username": "ghost"})),
        (
            "delete_user",
            json!({"username": "ghost", "confirm": "ghost"}),
        ),
        (
            "reset_user_password",
            json!({"username": "ghost", "confirm": "ghost"}),
        ),
        (
            "sign_out_user",
            json!({"username": "ghost", "confirm": "ghost"}),
        ),
        (
            "set_user_password",
            json!({"username": "ghost", "confirm": "ghost", "password": GOOD}),
        ),
        (
            "update_user_attributes",
            json!({"username": "ghost", "attributes": {"name": "G"}}),
        ),
    ] {
        let (code, text) = s.err(tool, args).await;
        assert_eq!(code, "user_not_found", "{tool}: {text}");
        assert!(text.contains("list_users"), "{tool}: {text}");
    }
}

#[tokio::test]
async fn weak_password_fails_naming_the_rule_before_aws() {
    let pool = new_pool().await;
    let s = serve(&pool, &[], &[]).await;
    // moto does not check temporary passwords; we must.
    let (code, text) = s
        .err(
            "create_user",
            json!({"username": "erin", "temporary_password": "nouppercase-123"}),
        )
        .await;
    assert_eq!(code, "weak_password");
    assert!(text.contains("require_uppercase"), "{text}");
    assert!(text.contains("uppercase letter"), "{text}");
    assert!(
        !text.contains("nouppercase-123"),
        "the password was echoed: {text}"
    );
    let (code, text) = s
        .err(
            "create_user",
            json!({"username": "erin", "temporary_password": "Short-1"}),
        )
        .await;
    assert_eq!(code, "weak_password");
    assert!(
        text.contains("minimum_length") && text.contains("at least 12 characters"),
        "{text}"
    );
    // Nothing was created.
    let (code, _) = s.err("get_user", json!({"username": "erin"})).await;
    assert_eq!(code, "user_not_found");

    s.ok(
        "create_user",
        json!({"username": "erin", "suppress_invitation": true}),
    )
    .await;
    let (code, text) = s
        .err(
            "set_user_password",
            json!({"username": "erin", "confirm": "erin", "password": "NoSymbolsAtAll12"}),
        )
        .await;
    assert_eq!(code, "weak_password");
    assert!(text.contains("require_symbols"), "{text}");
}

#[tokio::test]
async fn bad_filter_and_limit_61_fail_before_aws() {
    let pool = new_pool().await;
    let s = serve(&pool, &[], &[]).await;
    let (code, text) = s
        .err(
            "list_users",
            json!({"filter": "custom:department = \"eng\""}),
        )
        .await;
    assert_eq!(code, "invalid_input");
    assert!(
        text.contains("custom attributes") && text.contains("email ^= \"alice\""),
        "{text}"
    );
    let (code, text) = s
        .err("list_users", json!({"filter": "email contains \"x\""}))
        .await;
    assert_eq!(code, "invalid_input");
    assert!(text.contains("`=` or `^=`"), "{text}");
    let (code, text) = s.err("list_users", json!({"limit": 61})).await;
    assert_eq!(code, "invalid_input");
    assert!(text.contains("1 to 60"), "{text}");
    // None of these reached AWS.
    let audit = s.audit();
    assert_eq!(audit.len(), 3);
    assert!(
        audit
            .iter()
            .all(|r| r["aws_calls"].as_array().is_some_and(|c| c.is_empty())),
        "{audit:?}"
    );
}

#[tokio::test]
async fn bad_formats_fail_naming_the_field() {
    let pool = new_pool().await;
    let s = serve(&pool, &[], &[]).await;
    let cases = [
        (json!({"username": "has space"}), "`username`"),
        (
            json!({"username": "frank", "email": "not-an-email"}),
            "`email`",
        ),
        (
            json!({"username": "frank", "attributes": {"department": "x"}}),
            "custom:department",
        ),
        (
            json!({"username": "frank", "attributes": {"phone_number": "555"}}),
            "E.164",
        ),
    ];
    for (args, needle) in cases {
        let (code, text) = s.err("create_user", args.clone()).await;
        assert_eq!(code, "invalid_input", "{args}: {text}");
        assert!(text.contains(needle), "{args}: {text}");
    }
    // Wrong argument types are tool errors the agent can read, not protocol errors.
    let (code, text) = s.err("get_user", json!({"user": "frank"})).await;
    assert_eq!(code, "invalid_arguments", "{text}");
    assert!(text.contains("username"), "{text}");
}

#[tokio::test]
async fn create_user_into_a_missing_group_says_what_was_done() {
    let pool = new_pool().await;
    let s = serve(&pool, &[], &[]).await;
    let (code, text) = s
        .err("create_user", json!({"username": "ursula", "suppress_invitation": true, "groups": ["Admins", "nope"]}))
        .await;
    assert_eq!(code, "group_not_found", "{text}");
    assert!(text.contains("was created and added to Admins"), "{text}");
    assert!(
        text.contains("Do not repeat the whole call") && text.contains("add_user_to_group"),
        "{text}"
    );
    let user = s.ok("get_user", json!({"username": "ursula"})).await;
    assert_eq!(user["groups"], json!(["Admins"]));
}
