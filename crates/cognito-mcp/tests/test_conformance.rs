//! The official MCP conformance suite (`@modelcontextprotocol/conformance`, server mode) passes
//! every active scenario against the fixture server, `examples/conformance_fixtures.rs`.
//!
//! Needs the peers of `scripts/setup-peers` (Node 22 and the suite) in `PEERS_DIR`, default
//! `<repo>/.peers`. No AWS and no moto: fixture mode has no Cognito tools.

mod common;
#[path = "../examples/conformance_fixtures.rs"]
mod fixtures;

use std::process::Stdio;
use std::time::Duration;

use common::{node_bin, peers};
use tokio::process::Command;
use tokio_util::sync::CancellationToken;

/// The fixture server on a free loopback port, in this test's runtime (it stops with it).
async fn start_fixtures() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let app = fixtures::router(&base, &CancellationToken::new());
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("{base}/mcp")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_conformance_suite_passes_every_active_server_scenario() {
    let node_bin = node_bin();
    let suite = peers().join("conformance/node_modules/.bin/conformance");
    assert!(
        suite.exists() && node_bin.join("node").exists(),
        "the conformance suite or Node 22 is missing under {}: run scripts/setup-peers",
        peers().display()
    );
    let url = start_fixtures().await;
    let path = std::env::join_paths(std::iter::once(node_bin).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .expect("PATH");
    let run = Command::new(&suite)
        .args(["server", "--url", &url])
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
