//! The privilege rules (`cognito_admin::privilege`), against moto: inside `acting_as`, no write
//! gives anyone a privilege the caller lacks, nor changes an account holding more than the
//! caller holds; the refusal names what is missing and comes before the change. Outside
//! `acting_as` nothing is checked.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use cognito_admin::privilege::{Privilege, acting_as};
use cognito_admin::{AdminError, CreateUser, ListGroupsForUser, Secret, SetUserPassword};
use cognito_mcp_testkit::{Pool, USER_PASSWORD, new_pool};

/// The standard groups' scopes.
fn grants() -> Arc<BTreeMap<String, BTreeSet<String>>> {
    let set = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<BTreeSet<_>>();
    Arc::new(BTreeMap::from([
        (
            "Admins".into(),
            set(&["mcp/admin", "mcp/write", "mcp/read"]),
        ),
        ("Developers".into(), set(&["mcp/write", "mcp/read"])),
        ("ReadOnly".into(), set(&["mcp/read"])),
    ]))
}

/// A caller holding what a Developer holds.
fn developer() -> Arc<Privilege> {
    Arc::new(Privilege::new(
        ["mcp/read", "mcp/write"].map(String::from).into(),
        grants(),
    ))
}

async fn create(pool: &Pool, username: &str, groups: &[&str]) {
    pool.admin
        .create_user(&CreateUser {
            username: username.into(),
            email: None,
            email_verified: None,
            attributes: Default::default(),
            temporary_password: None,
            suppress_invitation: true,
            groups: groups.iter().map(|g| g.to_string()).collect(),
        })
        .await
        .expect("create user");
}

async fn groups_of(pool: &Pool, username: &str) -> Vec<String> {
    pool.admin
        .list_groups_for_user(&ListGroupsForUser {
            username: username.into(),
            limit: None,
            pagination_token: None,
        })
        .await
        .expect("list groups")
        .groups
        .into_iter()
        .map(|g| g.name)
        .collect()
}

/// `e` refuses `kind` `name` (input `field`) for lacking exactly `missing`.
fn lacks(e: AdminError, kind: &str, name: &str, field: &str, missing: &[&str]) {
    assert_eq!(e.code(), "insufficient_scope", "{e}");
    match &e {
        AdminError::InsufficientPrivilege {
            field: f,
            kind: k,
            name: n,
            missing: m,
        } => {
            assert_eq!((f.as_str(), *k, n.as_str()), (field, kind, name), "{e}");
            assert_eq!(m, missing, "{e}");
        }
        other => panic!("expected InsufficientPrivilege, got {other}"),
    }
    for scope in missing {
        assert!(e.to_string().contains(scope), "{e}");
    }
}

fn password(username: &str) -> SetUserPassword {
    SetUserPassword {
        username: username.into(),
        password: Secret::new(format!("{USER_PASSWORD}-new")),
        permanent: true,
    }
}

#[tokio::test]
async fn joining_a_group_that_grants_more_than_the_caller_holds_fails() {
    let pool = new_pool().await;
    create(&pool, "erin", &[]).await;
    let e = acting_as(developer(), pool.admin.add_user_to_group("erin", "Admins"))
        .await
        .expect_err("escalation");
    lacks(e, "group", "Admins", "group", &["mcp/admin"]);
    assert!(groups_of(&pool, "erin").await.is_empty(), "nothing changed");
    // A group within the caller's privilege is fine.
    acting_as(
        developer(),
        pool.admin.add_user_to_group("erin", "Developers"),
    )
    .await
    .expect("within privilege");
    assert_eq!(groups_of(&pool, "erin").await, ["Developers"]);
}

#[tokio::test]
async fn creating_a_user_in_a_stronger_group_fails() {
    let pool = new_pool().await;
    let req = CreateUser {
        username: "mallory".into(),
        email: None,
        email_verified: None,
        attributes: Default::default(),
        temporary_password: None,
        suppress_invitation: true,
        groups: vec!["Admins".into()],
    };
    let e = acting_as(developer(), pool.admin.create_user(&req))
        .await
        .expect_err("escalation");
    let e = match e {
        AdminError::Incomplete { source, .. } => *source,
        e => e,
    };
    assert_eq!(e.code(), "insufficient_scope", "{e}");
    let in_admins = pool
        .admin
        .get_user("mallory")
        .await
        .ok()
        .and_then(|u| u.groups)
        .unwrap_or_default();
    assert!(
        !in_admins.iter().any(|g| g == "Admins"),
        "nobody joined Admins: {in_admins:?}"
    );
}

#[tokio::test]
async fn taking_over_a_stronger_account_fails() {
    let pool = new_pool().await;
    create(&pool, "root", &["Admins"]).await;
    create(&pool, "dev2", &["Developers"]).await;
    let e = acting_as(developer(), pool.admin.set_user_password(&password("root")))
        .await
        .expect_err("takeover");
    lacks(e, "user", "root", "username", &["mcp/admin"]);
    let e = acting_as(developer(), pool.admin.delete_user("root"))
        .await
        .expect_err("delete");
    lacks(e, "user", "root", "username", &["mcp/admin"]);
    pool.admin.get_user("root").await.expect("still there");
    // An account holding no more than the caller is within reach.
    acting_as(developer(), pool.admin.set_user_password(&password("dev2")))
        .await
        .expect("a peer's password");
}

#[tokio::test]
async fn removing_from_a_stronger_group_fails() {
    let pool = new_pool().await;
    create(&pool, "frank", &["Admins"]).await;
    let e = acting_as(
        developer(),
        pool.admin.remove_user_from_group("frank", "Admins"),
    )
    .await
    .expect_err("demotion of an admin");
    assert_eq!(e.code(), "insufficient_scope", "{e}");
    assert_eq!(groups_of(&pool, "frank").await, ["Admins"]);
}

#[tokio::test]
async fn a_user_that_does_not_exist_holds_nothing() {
    let pool = new_pool().await;
    let e = acting_as(developer(), pool.admin.disable_user("nobody"))
        .await
        .expect_err("no such user");
    assert_eq!(e.code(), "user_not_found", "{e}");
}

#[tokio::test]
async fn outside_acting_as_nothing_is_checked() {
    let pool = new_pool().await;
    create(&pool, "grace", &[]).await;
    pool.admin
        .add_user_to_group("grace", "Admins")
        .await
        .expect("the local operator");
    assert_eq!(groups_of(&pool, "grace").await, ["Admins"]);
}
