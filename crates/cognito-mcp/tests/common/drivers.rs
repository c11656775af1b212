//! Running the client drivers of `tests/clients/` (Node and Python MCP clients), each printing
//! one JSON line per step.

use serde_json::Value;

use super::{node_path, peers, root};

/// Runs a driver to its end (at most 3 minutes): (exit code, its JSON lines, its stderr).
pub async fn run(program: &std::path::Path, args: &[&str]) -> (i32, Vec<Value>, String) {
    let out = tokio::time::timeout(
        std::time::Duration::from_secs(180),
        tokio::process::Command::new(program)
            .args(args)
            .env("PATH", node_path())
            .env("PEERS_DIR", peers())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the client finished in time")
    .expect("run the client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    (
        out.status.code().unwrap_or(-1),
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn script(name: &str) -> String {
    root()
        .join("crates/cognito-mcp/tests/clients")
        .join(name)
        .display()
        .to_string()
}

/// The Inspector CLI signs in at `url` by itself, reuses its stored token, refreshes a spoiled
/// one, and calls list_users (inspector_oauth.mjs); every run must succeed as `user`. The lines.
pub async fn inspector_signs_in(url: &str, user: &str) -> Vec<Value> {
    let (code, lines, err) = run(
        &super::node_bin().join("node"),
        &[
            &script("inspector_oauth.mjs"),
            url,
            "--tool",
            "list_users",
            "--tool-args",
            "{}",
        ],
    )
    .await;
    assert_eq!(code, 0, "{lines:?}\n{err}");
    for name in ["first", "stored", "refreshed"] {
        let st = step(&lines, name);
        assert_eq!(st["exit"], 0, "{name}: {st}");
        assert!(st["result"].to_string().contains(user), "{name}: {st}");
    }
    let call = step(&lines, "call");
    assert_eq!(call["exit"], 0, "a read tool works too: {call}");
    assert!(call["result"].to_string().contains("users"), "{call}");
    lines
}

pub fn step<'a>(lines: &'a [Value], name: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["step"] == name)
        .unwrap_or_else(|| panic!("no {name} step in {lines:?}"))
}

/// The TypeScript SDK over stdio, running `scenario` with the server configured by `config`.
pub async fn ts_stdio(
    pool: &super::Pool,
    config: &str,
    audit: &std::path::Path,
    scenario: &str,
    env: &[(&str, &str)],
) -> Vec<Value> {
    // ESM resolves packages next to the script, so the copy sits beside node_modules; one copy
    // per run, since tests run in parallel and a copy being rewritten reads as an empty script.
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let script = super::peers().join(format!(
        "npm/cognito_mcp_ts_stdio_client_{}_{n}.mjs",
        std::process::id()
    ));
    std::fs::copy(
        super::root().join("crates/cognito-mcp/tests/clients/ts_stdio_client.mjs"),
        &script,
    )
    .expect("copy script");
    let mut cmd = tokio::process::Command::new(super::node_bin().join("node"));
    cmd.arg(&script)
        .arg(scenario)
        .env_clear()
        .envs(super::base_env())
        .env("PATH", super::node_path())
        .env("COGNITO_USER_POOL_ID", &pool.id)
        .env("COGNITO_MCP_AUDIT_FILE", audit)
        .env(
            "MCP_SERVER_CMD",
            serde_json::json!([super::bin(), "serve", "--config", config]).to_string(),
        )
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(std::time::Duration::from_secs(300), cmd.output())
        .await
        .expect("the client finished in time")
        .expect("run node");
    let _ = std::fs::remove_file(&script);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}
