//! Protected users against moto, beyond one refusal per tool (test_safety_rails.rs): an entry
//! that names no user is a `check` error and a startup warning, and a user protected by an
//! alias stays protected when the alias changes, whoever holds it later.
//!
//! The pool here signs users in by email (`UsernameAttributes = ["email"]`, as `deploy
//! template` makes it): each username is a generated id, and the email is the alias.

mod common;

use aws_sdk_cognitoidentityprovider::types::{AttributeType, UsernameAttributeType};
use common::{run_cli, serve};
use serde_json::{Value, json};

const BOSS: &str = "boss@example.com";
const NEW_EMAIL: &str = "chief@example.com";

/// A pool whose users sign in by email, with `boss@example.com` and `olga@example.com`.
async fn email_pool() -> common::Pool {
    let client = common::sdk_client().await;
    let out = client
        .create_user_pool()
        .pool_name("protected")
        .username_attributes(UsernameAttributeType::Email)
        .send()
        .await
        .expect("create pool");
    let id = out.user_pool().and_then(|p| p.id()).expect("id").to_owned();
    let pool = common::Pool {
        admin: cognito_admin::CognitoAdmin::new(client, id.clone()),
        id,
        client_id: String::new(),
    };
    for email in [BOSS, "olga@example.com"] {
        pool.admin
            .create_user(
                &serde_json::from_value(json!({"username": email, "suppress_invitation": true}))
                    .expect("input"),
            )
            .await
            .expect("user");
    }
    pool
}

/// The generated username of the user `email` signs in as.
async fn username_of(pool: &common::Pool, email: &str) -> String {
    pool.admin.get_user(email).await.expect("user").username
}

/// Sets `username`'s email, as the server's own AWS caller, straight in moto.
async fn set_email(pool: &common::Pool, username: &str, email: &str) {
    common::sdk_client()
        .await
        .admin_update_user_attributes()
        .user_pool_id(&pool.id)
        .username(username)
        .user_attributes(
            AttributeType::builder()
                .name("email")
                .value(email)
                .build()
                .expect("attribute"),
        )
        .send()
        .await
        .expect("update email");
}

fn config(dir: &std::path::Path, users: &[&str]) -> String {
    let path = dir.join("cognito-mcp.toml");
    std::fs::write(
        &path,
        format!(
            "[safety]\nprotected_users = {}\n[safety.confirm]\ndisable_user = \"never\"\n",
            json!(users)
        ),
    )
    .expect("config");
    path.display().to_string()
}

/// `tool` on `username` is refused as protected, and audited as refused.
async fn refused(s: &common::Server, tool: &str, args: Value) -> Value {
    let (code, text) = s.err(tool, args.clone()).await;
    assert_eq!(code, "protected", "{tool} {args}: {text}");
    let audit = s.audit();
    let last = audit.last().expect("audited").clone();
    assert_eq!(last["outcome"], "refused", "{last}");
    last
}

#[tokio::test]
async fn check_reports_a_protected_entry_that_names_no_user() {
    let pool = email_pool().await;
    let dir = tempfile::tempdir().expect("dir");
    let path = config(dir.path(), &[BOSS, "nobody@example.com"]);
    let (status, stdout, stderr) = run_cli(
        &["check", "--config", &path],
        &[("COGNITO_USER_POOL_ID", &pool.id)],
    );
    assert_ne!(status, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains(
            "error: safety.protected_users entry \"nobody@example.com\" names no user of pool"
        ) && stdout.contains("protects no one"),
        "{stdout}"
    );
    let boss = username_of(&pool, BOSS).await;
    assert!(
        stdout.contains(&format!("ok: protected user \"{BOSS}\" is {boss}")),
        "{stdout}"
    );
}

#[tokio::test]
async fn check_passes_when_every_protected_entry_names_a_user() {
    // The control: the same check with only the resolvable entry passes.
    let pool = email_pool().await;
    let dir = tempfile::tempdir().expect("dir");
    let path = config(dir.path(), &[BOSS]);
    let (status, stdout, stderr) = run_cli(
        &["check", "--config", &path],
        &[("COGNITO_USER_POOL_ID", &pool.id)],
    );
    assert_eq!(status, 0, "{stdout}{stderr}");
}

#[tokio::test]
async fn startup_warns_about_a_protected_entry_that_names_no_user() {
    let pool = email_pool().await;
    let dir = tempfile::tempdir().expect("dir");
    let path = config(dir.path(), &[BOSS, "nobody@example.com"]);
    let s = serve(&pool, &["--config", &path], &[]).await;
    // The server resolves the list in the background once it starts: wait for its line.
    let mut log = String::new();
    for _ in 0..600 {
        log = s.file("stderr.log");
        if log.contains("nobody@example.com") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let line = log
        .lines()
        .find(|l| l.contains("nobody@example.com"))
        .unwrap_or_else(|| panic!("no warning: {log}"));
    assert!(
        line.contains("WARN") && line.contains("names no user") && !line.contains(BOSS),
        "{line}"
    );
}

#[tokio::test]
async fn a_protected_user_stays_protected_after_their_email_changes() {
    let pool = email_pool().await;
    let boss = username_of(&pool, BOSS).await;
    let dir = tempfile::tempdir().expect("dir");
    let path = config(dir.path(), &[BOSS]);
    let s = serve(&pool, &["--config", &path], &[]).await;
    // Any write makes the server resolve the list (as its start does): the boss is known.
    s.ok("disable_user", json!({"username": "olga@example.com"}))
        .await;
    refused(&s, "disable_user", json!({"username": BOSS})).await;

    set_email(&pool, &boss, NEW_EMAIL).await;
    assert_eq!(
        username_of(&pool, NEW_EMAIL).await,
        boss,
        "moto moved the alias"
    );

    // By username: remembered since the resolution.
    refused(&s, "disable_user", json!({"username": boss})).await;
    // By the new email, at once: the user it names is read, and is the protected one.
    let first = refused(&s, "disable_user", json!({"username": NEW_EMAIL})).await;
    assert!(
        first["aws_calls"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["operation"] == "AdminGetUser")),
        "{first}"
    );
    // The new alias is now known: the next refusal does not look the user up.
    let again = refused(
        &s,
        "update_user_attributes",
        json!({"username": NEW_EMAIL, "attributes": {"email": "mallory@example.com"}}),
    )
    .await;
    let lookups = |r: &Value| {
        r["aws_calls"].as_array().map_or(0, |c| {
            c.iter()
                .filter(|c| c["operation"] == "AdminGetUser")
                .count()
        })
    };
    assert!(lookups(&again) < lookups(&first), "{first}\n{again}");
    refused(
        &s,
        "delete_user",
        json!({"username": NEW_EMAIL, "confirm": NEW_EMAIL}),
    )
    .await;

    let u = pool.admin.get_user(NEW_EMAIL).await.expect("still there");
    assert!(u.enabled, "still enabled");
    assert_eq!(
        u.attributes.get("email").map(String::as_str),
        Some(NEW_EMAIL)
    );
}

#[tokio::test]
async fn a_user_who_takes_a_protected_alias_is_protected() {
    // The protected user is deleted, and another user is created with the alias: the entry
    // names them now, and they are refused at once, by their username too.
    let pool = email_pool().await;
    let dir = tempfile::tempdir().expect("dir");
    let path = config(dir.path(), &[BOSS]);
    let s = serve(&pool, &["--config", &path], &[]).await;
    s.ok("disable_user", json!({"username": "olga@example.com"}))
        .await;
    let old = username_of(&pool, BOSS).await;
    pool.admin.delete_user(&old).await.expect("delete");
    pool.admin
        .create_user(
            &serde_json::from_value(json!({"username": BOSS, "suppress_invitation": true}))
                .expect("input"),
        )
        .await
        .expect("user");
    let new = username_of(&pool, BOSS).await;
    assert_ne!(new, old);
    refused(&s, "disable_user", json!({"username": new})).await;
    assert!(pool.admin.get_user(&new).await.expect("user").enabled);
    // Others are still writable.
    s.ok("enable_user", json!({"username": "olga@example.com"}))
        .await;
}
