//! The built `pre-token-trigger` under cargo-lambda's own Lambda emulator
//! (`cargo lambda watch --only-lambda-apis`), invoked with `cargo lambda invoke --data-file`:
//! a second, independent Runtime API besides `scripts/lambda-invoke.py`.
//!
//! Needs `cargo-lambda` from `scripts/setup-peers` in `PEERS_DIR` (default `<repo>/.peers`).

mod common;

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{at, event_path, strings};
use serde_json::{Value, json};

fn cargo_lambda() -> PathBuf {
    let peers = std::env::var_os("PEERS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.peers"));
    let binary = peers.join("cargo-lambda/bin/cargo-lambda");
    assert!(
        binary.exists(),
        "{} is missing: run scripts/setup-peers",
        binary.display()
    );
    binary
}

/// A child process killed when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

fn wait_for_port(port: u16) {
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "cargo lambda watch did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `cargo lambda watch --only-lambda-apis` on a free port, and the trigger attached to it.
fn emulator_with_trigger(attribute_claims: &str) -> (u16, Killed, Killed) {
    let port = free_port();
    let watch = Command::new(cargo_lambda())
        .args(["lambda", "watch", "--only-lambda-apis", "-A", "127.0.0.1"])
        .args(["-P", &port.to_string()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("cargo lambda watch starts");
    let watch = Killed(watch);
    wait_for_port(port);
    let function = Command::new(env!("CARGO_BIN_EXE_pre-token-trigger"))
        .env(
            "AWS_LAMBDA_RUNTIME_API",
            format!("http://127.0.0.1:{port}/.rt"),
        )
        .env("AWS_LAMBDA_FUNCTION_NAME", "_")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env_remove("GROUP_SCOPES")
        .env("ATTRIBUTE_CLAIMS", attribute_claims)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the trigger starts");
    (port, watch, Killed(function))
}

fn invoke(port: u16, event: &str) -> Output {
    Command::new(cargo_lambda())
        .args([
            "lambda",
            "invoke",
            "-A",
            "127.0.0.1",
            "-P",
            &port.to_string(),
        ])
        .args(["--output-format", "json", "--color", "never", "--data-file"])
        .arg(event_path(event))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo lambda invoke runs")
}

#[test]
fn cargo_lambda_invokes_the_trigger_with_v2_v1_and_malformed_events() {
    let (port, _watch, _function) = emulator_with_trigger("custom:department");

    let output = invoke(port, "v2_groups.json");
    assert!(output.status.success(), "{output:?}");
    let answer: Value = serde_json::from_slice(&output.stdout).expect("a JSON answer");
    let details = at(&answer, "/response/claimsAndScopeOverrideDetails");
    assert_eq!(
        at(details, "/accessTokenGeneration/scopesToAdd"),
        &strings(&["mcp/write", "mcp/admin"])
    );
    assert_eq!(
        at(details, "/idTokenGeneration/claimsToAddOrOverride"),
        &json!({"department": "Platform"})
    );

    let output = invoke(port, "v1_authentication.json");
    assert!(output.status.success(), "{output:?}");
    let answer: Value = serde_json::from_slice(&output.stdout).expect("a JSON answer");
    assert_eq!(
        at(
            &answer,
            "/response/claimsOverrideDetails/claimsToAddOrOverride"
        ),
        &json!({"department": "Engineering"})
    );

    let output = invoke(port, "malformed_groups_string.json");
    assert!(!output.status.success(), "{output:?}");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(said.contains("PreTokenTrigger.InvalidEvent"), "{said}");
    assert!(
        said.contains("request.groupConfiguration.groupsToOverride"),
        "{said}"
    );
}
