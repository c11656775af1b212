//! The official MCP conformance suite (`@modelcontextprotocol/conformance`, server mode) passes
//! every active scenario against `serve --transport http --conformance-fixtures`.
//!
//! Needs the peers of `scripts/setup-peers` (Node 22 and the suite) in `PEERS_DIR`, default
//! `<repo>/.peers`. No AWS and no moto: fixture mode has no Cognito tools.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::{node_bin, peers, spawn_listening};
use tokio::process::{Child, Command};
/// The binary in fixture mode on a free loopback port, killed when dropped.
struct Fixtures {
    url: String,
    _child: Child,
}

async fn start_fixtures() -> Fixtures {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cognito-mcp"));
    cmd.args([
        "serve",
        "--transport",
        "http",
        "--conformance-fixtures",
        "--bind",
        "127.0.0.1:0",
    ])
    // Fixture mode must need no Cognito settings at all.
    .env_clear()
    .env("PATH", std::env::var_os("PATH").unwrap_or_default())
    .env("RUST_LOG", "warn")
    .stdin(Stdio::null())
    .stderr(Stdio::inherit());
    let (base, child) = spawn_listening(cmd, None).await;
    Fixtures {
        url: format!("{base}/mcp"),
        _child: child,
    }
}

#[tokio::test]
async fn official_conformance_suite_passes_every_active_server_scenario() {
    let node_bin = node_bin();
    let suite = peers().join("conformance/node_modules/.bin/conformance");
    assert!(
        suite.exists() && node_bin.join("node").exists(),
        "the conformance suite or Node 22 is missing under {}: run scripts/setup-peers",
        peers().display()
    );
    let server = start_fixtures().await;
    let path = std::env::join_paths(std::iter::once(node_bin).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .expect("PATH");
    let run = Command::new(&suite)
        .args(["server", "--url", &server.url])
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(600), run)
        .await
        .expect("the suite finishes within 10 minutes")
        .expect("run the conformance suite");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the conformance suite failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("=== SUMMARY ===") && stdout.contains(" 0 failed"),
        "no summary from the suite:\n{stdout}\n{stderr}"
    );
}
