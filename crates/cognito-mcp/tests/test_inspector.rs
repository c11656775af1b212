//! The official MCP Inspector CLI (Node 22) lists the tools and calls create_user, list_users
//! and get_user against moto, over stdio.

mod common;

use std::process::Command;

use common::{base_env, bin, new_pool, node_path, peers};
use serde_json::Value;

fn inspector(env: &[(String, String)], args: &[&str]) -> Value {
    let cli = peers().join("npm/node_modules/.bin/mcp-inspector");
    assert!(
        cli.exists(),
        "{} is missing: run scripts/setup-peers first",
        cli.display()
    );
    let mut cmd = Command::new(cli);
    cmd.env("PATH", node_path()).arg("--cli");
    for (k, v) in env {
        cmd.arg("-e").arg(format!("{k}={v}"));
    }
    let out = cmd
        .arg(bin())
        .arg("serve")
        .args(args)
        .output()
        .expect("run the Inspector CLI");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "inspector failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("inspector printed no JSON ({e}): {stdout}"))
}

#[tokio::test]
async fn inspector_lists_tools_and_creates_lists_and_gets_a_user() {
    let pool = new_pool().await;
    let audit = tempfile::tempdir().expect("dir");
    let mut env = base_env();
    env.retain(|(k, _)| k != "PATH");
    env.push(("COGNITO_USER_POOL_ID".into(), pool.id.clone()));
    env.push((
        "COGNITO_MCP_AUDIT_FILE".into(),
        audit.path().join("audit.jsonl").display().to_string(),
    ));

    let tools = inspector(&env, &["--method", "tools/list"]);
    let names: Vec<&str> = tools["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(names.len(), 39, "{names:?}");
    for t in ["create_user", "list_users", "get_user", "delete_user"] {
        assert!(names.contains(&t), "{names:?}");
    }

    let created = inspector(
        &env,
        &[
            "--method",
            "tools/call",
            "--tool-name",
            "create_user",
            "--tool-arg",
            "username=quinn",
            "--tool-arg",
            "email=quinn@example.com",
            "--tool-arg",
            "suppress_invitation=true",
        ],
    );
    assert_eq!(
        created["structuredContent"]["username"], "quinn",
        "{created}"
    );

    let listed = inspector(
        &env,
        &[
            "--method",
            "tools/call",
            "--tool-name",
            "list_users",
            "--tool-arg",
            "filter=email ^= \"quinn\"",
        ],
    );
    assert_eq!(listed["structuredContent"]["count"], 1, "{listed}");

    let got = inspector(
        &env,
        &[
            "--method",
            "tools/call",
            "--tool-name",
            "get_user",
            "--tool-arg",
            "username=quinn",
        ],
    );
    assert_eq!(
        got["structuredContent"]["attributes"]["email"], "quinn@example.com",
        "{got}"
    );
    assert_eq!(
        got["structuredContent"]["status"], "FORCE_CHANGE_PASSWORD",
        "{got}"
    );
}
