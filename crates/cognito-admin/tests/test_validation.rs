//! Bad input is refused before AWS sees it, with an error naming the field to fix, what is
//! wrong, what Cognito requires and a value that would pass.
//!
//! The refusals run against a client whose endpoint nobody listens on: an answer other than
//! `Invalid` (`Unreachable`) would mean the call left for AWS. The accepted inputs run against
//! moto, so the same call with the field fixed goes through.

use std::collections::BTreeMap;

use cognito_admin::validate::Invalid;
use cognito_admin::{AdminError, CognitoAdmin, CreateUser, ListUsers};
use cognito_mcp_testkit::{new_pool, sdk_client_at};

/// A handle on a pool at an endpoint nobody listens on.
async fn unreachable_admin() -> CognitoAdmin {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let client = sdk_client_at(&format!("http://127.0.0.1:{port}")).await;
    CognitoAdmin::new(client, "us-east-1_NoSuchPool")
}

fn user(username: &str) -> CreateUser {
    CreateUser {
        username: username.into(),
        email: None,
        email_verified: None,
        attributes: BTreeMap::new(),
        temporary_password: None,
        suppress_invitation: true,
        groups: Vec::new(),
    }
}

/// The `Invalid` inside `e`, or a panic naming what came instead.
fn invalid(e: AdminError) -> Invalid {
    assert_eq!(e.code(), "invalid_input", "{e}");
    match e {
        AdminError::Invalid(i) => i,
        other => panic!("expected a validation error, got {other}"),
    }
}

/// The error says which field, what is wrong, what is required, and gives an example.
fn names_the_fix(i: &Invalid, field: &str) {
    assert_eq!(i.field, field, "{i:?}");
    assert!(!i.problem.is_empty(), "{i:?}");
    assert!(!i.requirement.is_empty(), "{i:?}");
    assert!(!i.example.is_empty(), "{i:?}");
    assert!(i.to_string().contains(&format!("`{field}`")), "{i}");
}

#[tokio::test]
async fn username_with_whitespace_is_refused_before_aws() {
    let admin = unreachable_admin().await;
    let i = invalid(
        admin
            .create_user(&user("alice smith"))
            .await
            .expect_err("a space"),
    );
    names_the_fix(&i, "username");
    assert!(i.problem.contains("' '"), "{i:?}");
    // The example passes the same check.
    assert!(cognito_admin::validate::username("username", &i.example).is_ok());
}

#[tokio::test]
async fn empty_and_overlong_usernames_are_refused_before_aws() {
    let admin = unreachable_admin().await;
    for bad in [String::new(), "a".repeat(129)] {
        let i = invalid(admin.delete_user(&bad).await.expect_err("bad username"));
        names_the_fix(&i, "username");
    }
}

#[tokio::test]
async fn bad_email_is_refused_before_aws() {
    let admin = unreachable_admin().await;
    for (email, says) in [
        ("alice", "no `@`"),
        ("@example.com", "nothing before"),
        ("alice@localhost", "domain"),
        ("a@b@example.com", "more than one"),
    ] {
        let mut req = user("alice");
        req.email = Some(email.into());
        let i = invalid(admin.create_user(&req).await.expect_err(email));
        names_the_fix(&i, "email");
        assert!(i.problem.contains(says), "{email}: {i:?}");
        // A secret-free field may be echoed, but the problem never needs the value.
        assert_eq!(i.example, "alice@example.com");
    }
}

#[tokio::test]
async fn email_given_twice_differently_is_refused_before_aws() {
    let admin = unreachable_admin().await;
    let mut req = user("alice");
    req.email = Some("alice@example.com".into());
    req.attributes
        .insert("email".into(), "other@example.com".into());
    let i = invalid(admin.create_user(&req).await.expect_err("two emails"));
    names_the_fix(&i, "attributes.email");
}

#[tokio::test]
async fn bad_group_name_is_refused_before_aws() {
    let admin = unreachable_admin().await;
    let i = invalid(
        admin
            .add_user_to_group("alice", "Beta Testers")
            .await
            .expect_err("a space"),
    );
    names_the_fix(&i, "group");
}

#[tokio::test]
async fn page_limit_out_of_range_is_refused_before_aws() {
    let admin = unreachable_admin().await;
    for limit in [0, 61, -1] {
        let i = invalid(
            admin
                .list_users(&ListUsers {
                    limit: Some(limit),
                    ..Default::default()
                })
                .await
                .expect_err("limit"),
        );
        names_the_fix(&i, "limit");
    }
}

#[tokio::test]
async fn a_valid_call_reaches_aws() {
    // The control: with the fields fixed, the unreachable endpoint is what fails.
    let admin = unreachable_admin().await;
    let e = admin
        .delete_user("alice")
        .await
        .expect_err("nobody listens");
    assert_ne!(e.code(), "invalid_input", "{e}");
}

#[tokio::test]
async fn refused_input_leaves_the_pool_unchanged_and_fixed_input_passes() {
    let pool = new_pool().await;
    let mut bad = user("bob");
    bad.email = Some("bob@".into());
    let i = invalid(pool.admin.create_user(&bad).await.expect_err("bad email"));
    names_the_fix(&i, "email");
    let users = pool
        .admin
        .list_users(&ListUsers::default())
        .await
        .expect("list users");
    assert!(
        users.users.iter().all(|u| u.username != "bob"),
        "nothing was created: {:?}",
        users.users
    );
    bad.email = Some("bob@example.com".into());
    let created = pool.admin.create_user(&bad).await.expect("fixed input");
    assert_eq!(created.username, "bob");
}
