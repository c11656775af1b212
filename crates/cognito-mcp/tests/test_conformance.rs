//! The official MCP conformance suite (`@modelcontextprotocol/conformance` 0.2.0-alpha.12,
//! server mode) passes every scenario it scores against the fixture server,
//! `examples/conformance_fixtures.rs`, for both requirement sets it knows:
//! - `--requirements 2025-11-25`: sessions opened by `initialize`; tools, resources, prompts,
//!   completion, logging, ping, sampling and elicitation inside a call, subscriptions,
//!   SSE streams, Host/Origin protection;
//! - `--requirements 2026-07-28`: stand-alone requests (SEP-2575: `server/discover`, `_meta`
//!   validation, version and header errors, -32021 for an undeclared capability, removed
//!   methods answering 404, no log without a `logLevel`, `subscriptions/listen`), caching
//!   hints, and the `input_required` rounds of SEP-2322 (elicitation, sampling and roots asked
//!   for in the result, `requestState` round trips, a tampered state refused).
//!
//! The suite exits non-zero when a scored scenario fails; the test also reads its summary, so a
//! scored scenario that fails, or a requirement set that silently runs none of the scenarios
//! named below, fails the test. Scenarios the suite runs but does not score (the tasks
//! extension, pending ones) may fail without failing the test: the suite lists them under
//! "Not scored for", and the fixtures do not implement the tasks extension.
//!
//! The suite's 2025-11-25 set covers every check of the 0.1.16 suite this test ran before, so
//! that older suite is no longer run.
//!
//! Needs the peers of `scripts/setup-peers` (Node 22 and the suite) in `PEERS_DIR`, default
//! `<repo>/.peers`. No AWS and no moto: fixture mode has no Cognito tools.

mod common;
#[path = "../examples/conformance_fixtures.rs"]
mod fixtures;

use std::collections::BTreeSet;
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

/// What the suite's summary says about one run.
#[derive(Debug, Default, PartialEq, Eq)]
struct Summary {
    /// The scenarios it scored.
    scored: BTreeSet<String>,
    /// The scored scenarios with a failed check.
    failed: BTreeSet<String>,
}

/// Reads the suite's summary: one `✓ name: N passed, M failed` line (✗ when M > 0) per
/// scenario between `=== SUMMARY ===` and `Total:`, then, under `Not scored for REVISION:`,
/// one `  ✓ name (reason)` line per scenario the requirement set does not score.
fn summary(stdout: &str) -> Result<Summary, String> {
    let (_, rest) = stdout
        .split_once("=== SUMMARY ===")
        .ok_or("no `=== SUMMARY ===` in the suite's output")?;
    let (scenarios, tail) = rest
        .split_once("\nTotal:")
        .ok_or("no `Total:` line after the summary")?;
    let not_scored: BTreeSet<&str> = tail
        .split_once("Not scored for")
        .map(|(_, list)| {
            list.lines()
                .skip(1)
                .filter_map(|line| line.trim().split_once(' ')?.1.split(" (").next())
                .map(str::trim)
                .collect()
        })
        .unwrap_or_default();
    let mut summary = Summary::default();
    for line in scenarios.lines().map(str::trim).filter(|l| !l.is_empty()) {
        // The mark (✓ or ✗), then `name: N passed, M failed`.
        let parsed = line.split_once(' ').and_then(|(_, l)| {
            let (name, counts) = l.trim().split_once(": ")?;
            let failed = counts.strip_suffix(" failed")?.rsplit_once(", ")?.1;
            Some((name, failed.parse::<u32>().ok()?))
        });
        let (name, failed) = parsed.ok_or_else(|| format!("unreadable summary line {line:?}"))?;
        if not_scored.contains(name) {
            continue;
        }
        summary.scored.insert(name.to_owned());
        if failed > 0 {
            summary.failed.insert(name.to_owned());
        }
    }
    Ok(summary)
}

/// Runs the suite's `requirements` set against a fresh fixture server and checks that every
/// scored scenario passed and that `expected` are among them.
async fn suite_passes(requirements: &str, expected: &[&str]) {
    let node_bin = node_bin();
    let suite = peers().join("conformance-auth/node_modules/.bin/conformance");
    assert!(
        suite.exists() && node_bin.join("node").exists(),
        "the conformance suite 0.2.0-alpha.12 or Node 22 is missing under {}: run \
         scripts/setup-peers",
        peers().display()
    );
    let url = start_fixtures().await;
    let path = std::env::join_paths(std::iter::once(node_bin).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .expect("PATH");
    let run = Command::new(&suite)
        .args(["server", "--url", &url, "--requirements", requirements])
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
    let summary = summary(&stdout).unwrap_or_else(|e| panic!("{e}:\n{stdout}\n{stderr}"));
    assert!(
        summary.failed.is_empty() && out.status.success(),
        "scored scenarios of --requirements {requirements} failed ({}): {:?}\n{stdout}\n{stderr}",
        out.status,
        summary.failed
    );
    let missing: Vec<_> = expected
        .iter()
        .filter(|s| !summary.scored.contains(**s))
        .collect();
    assert!(
        missing.is_empty(),
        "--requirements {requirements} scored none of {missing:?}:\n{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_suite_passes_the_2025_11_25_requirements() {
    suite_passes(
        "2025-11-25",
        &[
            "server-initialize",
            "tools-call-sampling",
            "tools-call-elicitation",
            "logging-set-level",
            "resources-subscribe",
            "dns-rebinding-protection",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_suite_passes_the_2026_07_28_requirements() {
    suite_passes(
        "2026-07-28",
        &[
            "server-stateless",
            "caching",
            "input-required-result-basic-elicitation",
            "input-required-result-multi-round",
            "input-required-result-non-tool-request",
            "input-required-result-tampered-state",
            "input-required-result-capability-check",
        ],
    )
    .await;
}

#[test]
fn the_summary_fails_scored_scenarios_only() {
    let stdout = "\
Running ...

=== SUMMARY ===
✗ server-stateless: 21 passed, 7 failed
✓ caching: 8 passed, 0 failed
✗ tasks-lifecycle: 1 passed, 8 failed
✓ http-header-validation: 14 passed, 0 failed

Total: 44 passed, 15 failed

Not scored for 2026-07-28: 2 scenario(s) run, 1 failing. These do not affect conformance.
  ✗ tasks-lifecycle (extension)
  ✓ http-header-validation (pending)
";
    let names = |n: &[&str]| n.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>();
    assert_eq!(
        summary(stdout).expect("a summary"),
        Summary {
            scored: names(&["caching", "server-stateless"]),
            failed: names(&["server-stateless"]),
        }
    );
    let all_pass = stdout.replace("21 passed, 7 failed", "28 passed, 0 failed");
    assert!(summary(&all_pass).expect("a summary").failed.is_empty());
    assert!(summary("no summary here").is_err());
    assert!(summary("=== SUMMARY ===\n✓ x: garbage\n\nTotal: 0").is_err());
}
