//! Group tools, pool tools and resources against moto over real stdio.

mod common;

use common::{new_pool, serve};
use rmcp::model::{ReadResourceRequestParams, ResourceContents};
use serde_json::{Value, json};

#[tokio::test]
async fn group_lifecycle_and_membership() {
    let pool = new_pool().await;
    let s = serve(&pool, &[], &[]).await;

    let groups = s.ok("list_groups", json!({})).await;
    let names: Vec<&str> = groups["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["name"].as_str())
        .collect();
    for g in ["Admins", "Developers", "ReadOnly"] {
        assert!(names.contains(&g), "{names:?}");
    }

    let created = s
        .ok(
            "create_group",
            json!({"group": "beta-testers", "description": "Beta", "precedence": 5}),
        )
        .await;
    assert_eq!(created["name"], "beta-testers");
    assert_eq!(created["precedence"], 5);
    let (code, text) = s
        .err("create_group", json!({"group": "beta-testers"}))
        .await;
    assert_eq!(code, "group_exists", "{text}");

    s.ok(
        "create_user",
        json!({"username": "gina", "suppress_invitation": true}),
    )
    .await;
    let out = s
        .ok(
            "add_user_to_group",
            json!({"username": "gina", "group": "beta-testers"}),
        )
        .await;
    assert_eq!(out["action"], "added_to_group");

    let mine = s
        .ok("list_groups_for_user", json!({"username": "gina"}))
        .await;
    assert_eq!(mine["groups"][0]["name"], "beta-testers");
    let members = s
        .ok("list_users_in_group", json!({"group": "beta-testers"}))
        .await;
    assert_eq!(members["count"], 1);
    assert_eq!(members["users"][0]["username"], "gina");

    s.ok(
        "remove_user_from_group",
        json!({"username": "gina", "group": "beta-testers"}),
    )
    .await;
    let members = s
        .ok("list_users_in_group", json!({"group": "beta-testers"}))
        .await;
    assert_eq!(members["count"], 0);

    let out = s
        .ok(
            "delete_group",
            json!({"group": "beta-testers", "confirm": "beta-testers"}),
        )
        .await;
    assert_eq!(out["action"], "group_deleted");
    let (code, text) = s
        .err("list_users_in_group", json!({"group": "beta-testers"}))
        .await;
    assert_eq!(code, "group_not_found", "{text}");
    assert!(text.contains("list_groups"), "{text}");
}

#[tokio::test]
async fn unknown_group_and_user_in_membership_tools() {
    let pool = new_pool().await;
    let s = serve(&pool, &[], &[]).await;
    s.ok(
        "create_user",
        json!({"username": "hank", "suppress_invitation": true}),
    )
    .await;
    let (code, text) = s
        .err(
            "add_user_to_group",
            json!({"username": "hank", "group": "nope"}),
        )
        .await;
    assert_eq!(code, "group_not_found", "{text}");
    let (code, text) = s
        .err(
            "add_user_to_group",
            json!({"username": "ghost", "group": "Admins"}),
        )
        .await;
    assert_eq!(code, "user_not_found", "{text}");
    let (code, text) = s
        .err("delete_group", json!({"group": "nope", "confirm": "nope"}))
        .await;
    assert_eq!(code, "group_not_found", "{text}");
    let (code, text) = s.err("create_group", json!({"group": "bad name"})).await;
    assert_eq!(code, "invalid_input", "{text}");
    let (code, _) = s.err("list_groups", json!({"limit": 0})).await;
    assert_eq!(code, "invalid_input");
}

#[tokio::test]
async fn describe_pool_and_list_clients() {
    let pool = new_pool().await;
    let s = serve(&pool, &[], &[]).await;
    let d = s.ok("describe_user_pool", json!({})).await;
    assert_eq!(d["id"], pool.id.as_str());
    assert_eq!(d["name"], "test");
    assert_eq!(d["password_policy"]["minimum_length"], 12);
    assert_eq!(d["password_policy"]["require_symbols"], true);
    assert!(d["mfa"]["mode"].is_string(), "{d}");
    let clients = s.ok("list_user_pool_clients", json!({})).await;
    assert_eq!(clients["clients"][0]["client_id"], pool.client_id.as_str());
}

#[tokio::test]
async fn resources_serve_the_pool_and_users() {
    let pool = new_pool().await;
    let s = serve(&pool, &[], &[]).await;
    s.ok(
        "create_user",
        json!({"username": "ivy@example.com", "suppress_invitation": true}),
    )
    .await;

    let resources = s.client.list_all_resources().await.expect("resources/list");
    assert!(
        resources.iter().any(|r| r.uri == "cognito://pool"),
        "{resources:?}"
    );
    let templates = s
        .client
        .list_all_resource_templates()
        .await
        .expect("templates/list");
    assert!(
        templates
            .iter()
            .any(|t| t.uri_template == "cognito://users/{username}"),
        "{templates:?}"
    );

    let read = |uri: &str| {
        let uri = uri.to_owned();
        let client = &s.client;
        async move {
            client
                .read_resource(ReadResourceRequestParams::new(uri))
                .await
        }
    };
    let pool_json = read("cognito://pool").await.expect("read pool");
    let ResourceContents::TextResourceContents { text, .. } = &pool_json.contents[0] else {
        panic!("text")
    };
    let v: Value = serde_json::from_str(text).expect("json");
    assert_eq!(v["id"], pool.id.as_str());

    let user = read("cognito://users/ivy%40example.com")
        .await
        .expect("read user");
    let ResourceContents::TextResourceContents { text, .. } = &user.contents[0] else {
        panic!("text")
    };
    let v: Value = serde_json::from_str(text).expect("json");
    assert_eq!(v["username"], "ivy@example.com");

    let err = read("cognito://users/ghost")
        .await
        .expect_err("unknown user");
    assert!(err.to_string().contains("ghost"), "{err}");
}
