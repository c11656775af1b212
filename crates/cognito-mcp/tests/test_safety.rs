//! Safety rails: read-only mode, allow and deny lists, and the IAM policy that matches them.

mod common;

use std::collections::BTreeSet;

use common::{new_pool, policy_actions, run_cli, serve};
use serde_json::{Value, json};

const READ_TOOLS: [&str; 13] = [
    "describe_cimd_policy",
    "describe_user_pool",
    "get_user",
    "get_user_pool_mfa_config",
    "list_cimd_policies",
    "list_groups",
    "list_groups_for_user",
    "list_user_pool_clients",
    "list_users",
    "list_users_in_group",
    "read_audit",
    "verify_token",
    "whoami",
];

fn write_config(dir: &std::path::Path, toml: &str) -> String {
    let path = dir.join("cognito-mcp.toml");
    std::fs::write(&path, toml).expect("write config");
    path.display().to_string()
}

async fn tool_names(s: &common::Server) -> BTreeSet<String> {
    s.client
        .list_all_tools()
        .await
        .expect("tools/list")
        .into_iter()
        .map(|t| t.name.to_string())
        .collect()
}

#[tokio::test]
async fn read_only_mode_lists_only_read_tools_and_refuses_writes() {
    let pool = new_pool().await;
    let s = serve(&pool, &["--read-only"], &[]).await;
    let names = tool_names(&s).await;
    let want: BTreeSet<String> = READ_TOOLS.iter().map(|s| s.to_string()).collect();
    assert_eq!(names, want);
    for tool in s.client.list_all_tools().await.expect("tools") {
        assert_eq!(
            tool.annotations.and_then(|a| a.read_only_hint),
            Some(true),
            "{}",
            tool.name
        );
    }

    let (code, text) = s.err("create_user", json!({"username": "mallory"})).await;
    assert_eq!(code, "tool_disabled");
    assert!(text.contains("read-only"), "{text}");
    let (code, _) = s
        .err(
            "delete_user",
            json!({"username": "anyone", "confirm": "anyone"}),
        )
        .await;
    assert_eq!(code, "tool_disabled");
    // Reads still work, and the refused write never reached AWS.
    assert_eq!(s.ok("list_users", json!({})).await["count"], 0);
    let audit = s.audit();
    let refused: Vec<&Value> = audit.iter().filter(|r| r["outcome"] == "refused").collect();
    assert_eq!(refused.len(), 2);
    assert!(
        refused
            .iter()
            .all(|r| r["aws_calls"].as_array().is_some_and(|c| c.is_empty()))
    );
}

#[tokio::test]
async fn read_only_from_the_environment() {
    let pool = new_pool().await;
    let s = serve(&pool, &[], &[("COGNITO_MCP_READ_ONLY", "true")]).await;
    assert!(!tool_names(&s).await.contains("create_user"));
}

#[tokio::test]
async fn deny_list_hides_and_refuses_the_tool() {
    let pool = new_pool().await;
    let dir = tempfile::tempdir().expect("dir");
    let config = write_config(
        dir.path(),
        "[tools]\ndeny = [\"delete_user\", \"delete_group\"]\n",
    );
    let s = serve(&pool, &["--config", &config], &[]).await;
    let names = tool_names(&s).await;
    assert!(!names.contains("delete_user") && !names.contains("delete_group"));
    assert!(names.contains("create_user"));
    s.ok(
        "create_user",
        json!({"username": "nina", "suppress_invitation": true}),
    )
    .await;
    let (code, text) = s
        .err(
            "delete_user",
            json!({"username": "nina", "confirm": "nina"}),
        )
        .await;
    assert_eq!(code, "tool_disabled");
    assert!(text.contains("deny list"), "{text}");
    // Still there.
    s.ok("get_user", json!({"username": "nina"})).await;
}

#[tokio::test]
async fn allow_list_keeps_only_the_named_tools() {
    let pool = new_pool().await;
    let dir = tempfile::tempdir().expect("dir");
    let config = write_config(
        dir.path(),
        "[tools]\nallow = [\"list_users\", \"get_user\"]\n",
    );
    let s = serve(&pool, &["--config", &config], &[]).await;
    let want: BTreeSet<String> = ["get_user", "list_users"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(tool_names(&s).await, want);
    let (code, text) = s.err("describe_user_pool", json!({})).await;
    assert_eq!(code, "tool_disabled");
    assert!(text.contains("allow list"), "{text}");
    // The pool resource goes with its tool.
    let resources = s.client.list_all_resources().await.expect("resources");
    assert!(resources.is_empty(), "{resources:?}");
    // Reading it anyway is refused before any AWS call.
    let err = s
        .client
        .read_resource(rmcp::model::ReadResourceRequestParams::new(
            "cognito://pool",
        ))
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("allow list"), "{err}");
    let audit = s.audit();
    let read = audit
        .iter()
        .find(|r| r["tool"] == "read_resource")
        .expect("audited");
    assert_eq!(read["outcome"], "refused");
    assert!(
        read["aws_calls"].as_array().is_some_and(|c| c.is_empty()),
        "{read}"
    );
}

#[test]
fn server_refuses_to_start_with_an_unknown_tool_in_the_deny_list() {
    let dir = tempfile::tempdir().expect("dir");
    let config = write_config(dir.path(), "[tools]\ndeny = [\"delet_user\"]\n");
    let (status, _, stderr) = run_cli(
        &["serve", "--config", &config],
        &[("COGNITO_USER_POOL_ID", "us-east-1_Abc")],
    );
    assert_ne!(status, 0);
    assert!(
        stderr.contains("tools.deny names \"delet_user\""),
        "{stderr}"
    );
}

#[test]
fn iam_policy_changes_with_read_only_and_the_lists() {
    let env = [("COGNITO_USER_POOL_ID", "us-east-1_Abc")];
    let all = policy_actions(&["iam-policy"], &env);
    let read_only = policy_actions(&["iam-policy", "--read-only"], &env);
    assert!(all.contains("cognito-idp:AdminCreateUser"));
    assert!(!read_only.contains("cognito-idp:AdminCreateUser"));
    assert!(read_only.is_subset(&all) && read_only.len() < all.len());
    assert!(read_only.contains("cognito-idp:ListUsers"));

    let dir = tempfile::tempdir().expect("dir");
    let deny = write_config(dir.path(), "[tools]\ndeny = [\"delete_user\"]\n");
    let denied = policy_actions(&["iam-policy", "--config", &deny], &env);
    assert!(!denied.contains("cognito-idp:AdminDeleteUser"));
    assert_eq!(denied.len(), all.len() - 1);

    let allow = write_config(dir.path(), "[tools]\nallow = [\"list_users\"]\n");
    let allowed = policy_actions(&["iam-policy", "--config", &allow], &env);
    // DescribeUserPool is always there: `check` and password validation need it.
    // AdminGetUser reads MFA settings for `include_mfa`.
    let want = BTreeSet::from([
        "cognito-idp:AdminGetUser".to_owned(),
        "cognito-idp:DescribeUserPool".to_owned(),
        "cognito-idp:ListUsers".to_owned(),
    ]);
    assert_eq!(allowed, want);

    let (_, stdout, _) = run_cli(&["iam-policy", "--account-id", "123456789012"], &env);
    let v: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(
        v["Statement"][0]["Resource"],
        "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Abc"
    );
}

#[test]
fn iam_policy_of_the_client_lifecycle_tools_is_exactly_their_actions() {
    let dir = tempfile::tempdir().expect("dir");
    let tools = [
        "list_user_pool_clients",
        "delete_user_pool_client",
        "prune_dynamic_clients",
        "list_cimd_policies",
        "describe_cimd_policy",
        "create_cimd_policy",
        "update_cimd_policy",
        "delete_cimd_policy",
        "invalidate_client_metadata_url",
    ];
    let allow = write_config(
        dir.path(),
        &format!(
            "[tools]\nallow = {}\n",
            serde_json::to_string(&tools).expect("json")
        ),
    );
    let got = policy_actions(
        &["iam-policy", "--config", &allow],
        &[("COGNITO_USER_POOL_ID", "us-east-1_Abc")],
    );
    // The IAM actions are the API operations' names (CIMD included, as Cognito spells them);
    // DescribeUserPool is always granted (check, password validation).
    let want: BTreeSet<String> = [
        "CreateCIMDPolicy",
        "DeleteCIMDPolicy",
        "DeleteUserPoolClient",
        "DescribeCIMDPolicy",
        "DescribeUserPool",
        "DescribeUserPoolClient",
        "ListCIMDPolicies",
        "ListClientMetadataURLs",
        "ListUserPoolClients",
        "UpdateCIMDPolicy",
        "UpdateClientMetadataURLState",
    ]
    .iter()
    .map(|a| format!("cognito-idp:{a}"))
    .collect();
    assert_eq!(got, want);
    let read_only = policy_actions(
        &["iam-policy", "--read-only", "--config", &allow],
        &[("COGNITO_USER_POOL_ID", "us-east-1_Abc")],
    );
    for write in [
        "DeleteUserPoolClient",
        "CreateCIMDPolicy",
        "UpdateClientMetadataURLState",
    ] {
        assert!(
            !read_only.contains(&format!("cognito-idp:{write}")),
            "{write} in {read_only:?}"
        );
    }
}

/// The policy is only least privilege if it also suffices: every AWS call a tool really made
/// (from the audit log) must be an action `iam-policy` grants for that tool alone.
#[tokio::test]
async fn every_aws_call_a_tool_makes_is_in_its_iam_policy() {
    let pool = new_pool().await;
    let s = serve(&pool, &[], &[]).await;
    let pw = "Correct-Horse-42";
    let calls = [
        (
            "create_user",
            json!({"username": "olga", "email": "olga@example.com", "email_verified": true, "temporary_password": pw, "groups": ["ReadOnly"], "suppress_invitation": true}),
        ),
        ("get_user", json!({"username": "olga"})),
        ("list_users", json!({"filter": "username = \"olga\""})),
        (
            "set_user_password",
            json!({"username": "olga", "confirm": "olga", "password": pw, "permanent": true}),
        ),
        (
            "reset_user_password",
            json!({"username": "olga", "confirm": "olga"}),
        ),
        (
            "disable_user",
            json!({"username": "olga", "confirm": "olga"}),
        ),
        ("enable_user", json!({"username": "olga"})),
        (
            "update_user_attributes",
            json!({"username": "olga", "attributes": {"name": "Olga"}}),
        ),
        (
            "delete_user_attributes",
            json!({"username": "olga", "attribute_names": ["name"]}),
        ),
        (
            "sign_out_user",
            json!({"username": "olga", "confirm": "olga"}),
        ),
        ("list_groups", json!({})),
        ("create_group", json!({"group": "g1"})),
        (
            "add_user_to_group",
            json!({"username": "olga", "group": "g1"}),
        ),
        ("list_groups_for_user", json!({"username": "olga"})),
        ("list_users_in_group", json!({"group": "g1"})),
        (
            "remove_user_from_group",
            json!({"username": "olga", "group": "g1"}),
        ),
        ("delete_group", json!({"group": "g1", "confirm": "g1"})),
        ("describe_user_pool", json!({})),
        ("list_user_pool_clients", json!({})),
        (
            "delete_user",
            json!({"username": "olga", "confirm": "olga"}),
        ),
    ];
    for (tool, args) in &calls {
        s.ok(tool, args.clone()).await;
    }
    let audit = s.audit();
    assert_eq!(audit.len(), calls.len());
    let dir = tempfile::tempdir().expect("dir");
    for record in audit {
        let tool = record["tool"].as_str().expect("tool");
        let made: BTreeSet<String> = record["aws_calls"]
            .as_array()
            .expect("calls")
            .iter()
            .map(|c| format!("cognito-idp:{}", c["operation"].as_str().expect("op")))
            .collect();
        assert!(!made.is_empty(), "{tool} made no AWS call");
        assert!(
            record["aws_calls"]
                .as_array()
                .expect("calls")
                .iter()
                .all(|c| c["request_id"].is_string()),
            "{record}"
        );
        let config = write_config(dir.path(), &format!("[tools]\nallow = [\"{tool}\"]\n"));
        let granted = policy_actions(
            &["iam-policy", "--config", &config],
            &[("COGNITO_USER_POOL_ID", &pool.id)],
        );
        assert!(
            made.is_subset(&granted),
            "{tool} called {made:?}, but its policy grants {granted:?}"
        );
    }
}
