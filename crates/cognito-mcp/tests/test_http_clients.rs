//! Real MCP clients over HTTP with a Cognito bearer token: the MCP Inspector CLI and the
//! official TypeScript SDK.

mod common;

use std::process::Command;

use common::{new_pool, node_bin, node_path, peers, root, serve_http, tokens_for};
use serde_json::Value;

#[tokio::test]
async fn inspector_cli_lists_allowed_tools_and_calls_whoami() {
    let pool = new_pool().await;
    // The newcomer path: `cognito-mcp token` gets the token, the Inspector uses it.
    let _ = tokens_for(&pool, "ines", &["ReadOnly"]).await;
    let env = [
        ("COGNITO_USER_POOL_ID", pool.id.as_str()),
        ("COGNITO_CLIENT_ID", pool.client_id.as_str()),
    ];
    let (status, stdout, stderr) = common::run_cli_stdin(
        &[
            "token",
            "--username",
            "ines",
            "--password-stdin",
            "--print",
            "access",
        ],
        &env,
        "Correct-Horse-42\n",
    );
    assert_eq!(status, 0, "{stderr}");
    let reader = stdout.trim().to_owned();
    let s = serve_http(&pool, &[]).await;
    let cli = peers().join("npm/node_modules/.bin/mcp-inspector");
    let run = |args: &[&str]| {
        let out = Command::new(&cli)
            .env("PATH", node_path())
            .args(["--cli", &format!("{}/mcp", s.base), "--transport", "http"])
            .args(["--header", &format!("Authorization: Bearer {reader}")])
            .args(args)
            .output()
            .expect("run the Inspector CLI");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str::<Value>(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
    };
    let tools = run(&["--method", "tools/list"]);
    let names: Vec<&str> = tools["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(
        names.contains(&"list_users") && !names.contains(&"create_user"),
        "{names:?}"
    );
    let me = run(&["--method", "tools/call", "--tool-name", "whoami"]);
    assert_eq!(me["structuredContent"]["username"], "ines", "{me}");
}

#[tokio::test]
async fn typescript_sdk_client_connects_with_a_bearer_token() {
    let pool = new_pool().await;
    let (dev, _) = tokens_for(&pool, "tess", &["Developers"]).await;
    let s = serve_http(&pool, &[]).await;
    // ESM resolves packages next to the script: run a copy placed beside node_modules.
    let script = peers().join("npm/cognito_mcp_ts_client.mjs");
    std::fs::copy(
        root().join("crates/cognito-mcp/tests/clients/ts_client.mjs"),
        &script,
    )
    .expect("copy script");
    let out = Command::new(node_bin().join("node"))
        .arg(&script)
        .arg(format!("{}/mcp", s.base))
        .arg(&dev)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let tools: Vec<&str> = v["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        tools.contains(&"create_user") && !tools.contains(&"delete_user"),
        "{tools:?}"
    );
    assert_eq!(v["whoami"]["username"], "tess");
    assert_eq!(v["whoami"]["groups"], serde_json::json!(["Developers"]));
    // A call beyond the caller's scopes is refused (HTTP 403 insufficient_scope).
    let denied = v["denied"].as_str().expect("the admin tool was refused");
    assert!(
        denied.contains("403") || denied.to_lowercase().contains("insufficient"),
        "{denied}"
    );
}
