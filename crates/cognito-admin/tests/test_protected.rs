//! Protected principals, against moto: no write touches a protected user (by username or any
//! alias, whatever the case) or a protected group, and the refusal comes before the change.

use cognito_admin::protect::Protected;
use cognito_admin::{AdminError, CognitoAdmin, CreateUser, ListGroupsForUser};
use cognito_mcp_testkit::{Pool, new_pool};

async fn create(admin: &CognitoAdmin, username: &str, email: Option<&str>) {
    admin
        .create_user(&CreateUser {
            username: username.into(),
            email: email.map(str::to_owned),
            email_verified: email.map(|_| true),
            attributes: Default::default(),
            temporary_password: None,
            suppress_invitation: true,
            groups: Vec::new(),
        })
        .await
        .expect("create user");
}

fn protecting(pool: &Pool, users: &[&str], groups: &[&str]) -> CognitoAdmin {
    pool.admin.clone().protecting(Protected::new(
        users.iter().map(|s| s.to_string()).collect(),
        groups.iter().map(|s| s.to_string()).collect(),
    ))
}

/// `e` is the protected refusal of `kind` `name`, named by input `field`.
fn refused(e: AdminError, kind: &str, name: &str, field: &str) {
    assert_eq!(e.code(), "protected", "{e}");
    match &e {
        AdminError::Protected {
            field: f,
            kind: k,
            name: n,
        } => {
            assert_eq!((f.as_str(), *k, n.as_str()), (field, kind, name), "{e}");
        }
        other => panic!("expected Protected, got {other}"),
    }
    assert!(e.to_string().contains("is protected"), "{e}");
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

#[tokio::test]
async fn protected_user_by_username_is_never_changed() {
    let pool = new_pool().await;
    create(&pool.admin, "breakglass", None).await;
    let admin = protecting(&pool, &["breakglass"], &[]);
    refused(
        admin.delete_user("breakglass").await.expect_err("delete"),
        "user",
        "breakglass",
        "username",
    );
    refused(
        admin.disable_user("breakglass").await.expect_err("disable"),
        "user",
        "breakglass",
        "username",
    );
    refused(
        admin
            .add_user_to_group("breakglass", "ReadOnly")
            .await
            .expect_err("membership"),
        "user",
        "breakglass",
        "username",
    );
    let user = pool
        .admin
        .get_user("breakglass")
        .await
        .expect("still there");
    assert!(user.enabled, "still enabled: {user:?}");
    assert!(groups_of(&pool, "breakglass").await.is_empty());
}

#[tokio::test]
async fn protected_user_matches_without_regard_to_case() {
    let pool = new_pool().await;
    create(&pool.admin, "breakglass", None).await;
    let admin = protecting(&pool, &["BreakGlass"], &[]);
    refused(
        admin.delete_user("BREAKGLASS").await.expect_err("delete"),
        "user",
        "BREAKGLASS",
        "username",
    );
    pool.admin
        .get_user("breakglass")
        .await
        .expect("still there");
}

#[tokio::test]
async fn protected_user_by_email_alias_is_never_changed() {
    let pool = new_pool().await;
    create(&pool.admin, "ops", Some("ops@example.com")).await;
    let admin = protecting(&pool, &["ops@example.com"], &[]);
    let resolved = admin.resolve_protected().await.expect("resolve");
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].usernames, ["ops"], "{resolved:?}");
    refused(
        admin.delete_user("ops").await.expect_err("delete"),
        "user",
        "ops",
        "username",
    );
    pool.admin.get_user("ops").await.expect("still there");
}

#[tokio::test]
async fn protected_group_is_never_changed() {
    let pool = new_pool().await;
    create(&pool.admin, "carol", None).await;
    let admin = protecting(&pool, &[], &["Admins"]);
    refused(
        admin
            .add_user_to_group("carol", "Admins")
            .await
            .expect_err("join"),
        "group",
        "Admins",
        "group",
    );
    refused(
        admin.delete_group("Admins").await.expect_err("delete"),
        "group",
        "Admins",
        "group",
    );
    assert!(groups_of(&pool, "carol").await.is_empty());
    // Exact match, as Cognito: another group is not protected.
    admin
        .add_user_to_group("carol", "Developers")
        .await
        .expect("an unprotected group");
    assert_eq!(groups_of(&pool, "carol").await, ["Developers"]);
}

#[tokio::test]
async fn unprotected_users_stay_writable() {
    // The control: the same writes go through for a user not on the list.
    let pool = new_pool().await;
    create(&pool.admin, "breakglass", None).await;
    create(&pool.admin, "dave", None).await;
    let admin = protecting(&pool, &["breakglass"], &[]);
    admin.disable_user("dave").await.expect("disable");
    admin.delete_user("dave").await.expect("delete");
    let e = pool.admin.get_user("dave").await.expect_err("gone");
    assert_eq!(e.code(), "user_not_found", "{e}");
}
