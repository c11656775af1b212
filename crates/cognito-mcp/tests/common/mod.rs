//! The test harness: one moto server per test binary, a fresh pool per test, and the real
//! `cognito-mcp` binary driven over stdio by rmcp's client. What needs no `cognito-mcp` binary
//! (moto, pools, tokens, JSON-RPC over HTTP, the hosted-UI stand-in, `redis-server`, the
//! protected-resource checks) lives in `cognito_mcp_testkit`, shared with other servers' tests,
//! and is re-exported here.
#![allow(dead_code, unreachable_pub)]

use std::process::{Command, Stdio};

pub use cognito_mcp_testkit::*;
use rmcp::model::{CallToolRequestParams, CallToolResult, ContentBlock};
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::Value;

pub mod cimd;
pub mod drivers;
pub mod fault;
pub mod lambda;
pub mod login;
pub mod proxy;
pub mod recorder;

/// The real binary, serving MCP over stdio to rmcp's client, with its stdout (tee'd) and
/// stderr recorded in a temporary directory.
pub struct Server {
    pub client: RunningService<RoleClient, ()>,
    pub dir: tempfile::TempDir,
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_cognito-mcp")
}

/// Starts `cognito-mcp serve ARGS` for `pool`, with `env` added to the base environment.
pub async fn serve(pool: &Pool, args: &[&str], env: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = tokio::process::Command::new("sh");
    // tee records exactly what the server wrote on stdout, the MCP channel.
    cmd.arg("-c")
        .arg(r#"bin="$1"; shift; "$bin" serve "$@" 2>>"$T/stderr.log" | tee -a "$T/stdout.log""#)
        .arg("sh")
        .arg(bin())
        .args(args)
        .env_clear()
        .envs(base_env())
        .env("T", dir.path())
        .env("COGNITO_USER_POOL_ID", &pool.id)
        .env("COGNITO_MCP_AUDIT_FILE", dir.path().join("audit.jsonl"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let transport = TokioChildProcess::new(cmd).expect("spawn cognito-mcp");
    let client = ().serve(transport).await.expect("MCP handshake with cognito-mcp");
    Server { client, dir }
}

impl Server {
    /// Calls a tool; a protocol error fails the test.
    pub async fn call(&self, tool: &str, args: Value) -> CallToolResult {
        let mut params = CallToolRequestParams::new(tool.to_owned());
        if let Value::Object(map) = args {
            params = params.with_arguments(map);
        }
        self.client
            .call_tool(params)
            .await
            .unwrap_or_else(|e| panic!("{tool}: protocol error {e}"))
    }

    /// Calls a tool that must succeed, and returns its structured content.
    pub async fn ok(&self, tool: &str, args: Value) -> Value {
        let r = self.call(tool, args).await;
        assert_ne!(r.is_error, Some(true), "{tool} failed: {}", text(&r));
        r.structured_content
            .unwrap_or_else(|| panic!("{tool} returned no structured content"))
    }

    /// Calls a tool that must fail, and returns its error code and text.
    pub async fn err(&self, tool: &str, args: Value) -> (String, String) {
        let r = self.call(tool, args).await;
        assert_eq!(
            r.is_error,
            Some(true),
            "{tool} should have failed: {}",
            text(&r)
        );
        (error_code(&r), text(&r))
    }

    pub fn audit(&self) -> Vec<Value> {
        settled_audit(&self.dir.path().join("audit.jsonl"))
            .lines()
            .map(|l| serde_json::from_str(l).expect("audit line is JSON"))
            .collect()
    }

    pub fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    pub async fn stop(self) -> tempfile::TempDir {
        self.client.cancel().await.ok();
        // Let the server flush and exit once its stdin closes.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        self.dir
    }
}

pub fn text(r: &CallToolResult) -> String {
    r.content
        .iter()
        .filter_map(|c| match c {
            ContentBlock::Text(t) => Some(t.text.clone()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn error_code(r: &CallToolResult) -> String {
    r.meta
        .as_ref()
        .and_then(|m| m.get("cognito-mcp/error"))
        .and_then(|v| v.get("code"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

/// The actions of the first statement of the policy `cognito-mcp ARGS` prints (`iam-policy`).
pub fn policy_actions(args: &[&str], env: &[(&str, &str)]) -> std::collections::BTreeSet<String> {
    let (status, stdout, stderr) = run_cli(args, env);
    assert_eq!(status, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).expect("policy JSON");
    v["Statement"][0]["Action"]
        .as_array()
        .expect("actions")
        .iter()
        .map(|a| a.as_str().expect("string").to_owned())
        .collect()
}

/// Runs the binary with `args` and the base environment plus `env`; returns (status, stdout, stderr).
pub fn run_cli(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let base = base_env();
    let mut all: Vec<(&str, &str)> = base.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    all.extend_from_slice(env);
    run_cli_exact(args, &all)
}

/// Runs the binary with exactly `env` (plus PATH); returns (status, stdout, stderr).
pub fn run_cli_exact(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(bin())
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .envs(env.iter().copied())
        .output()
        .expect("run cognito-mcp");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `cognito-mcp serve --transport http` on a free loopback port; killed when dropped.
pub struct HttpServer {
    pub base: String,
    pub dir: tempfile::TempDir,
    pub child: tokio::process::Child,
}

/// Starts the HTTP transport for `pool`, accepting tokens of its app client.
pub async fn serve_http(pool: &Pool, env: &[(&str, &str)]) -> HttpServer {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = tokio::process::Command::new(bin());
    // A fixed address (restart tests) comes in as COGNITO_MCP_BIND; else a free port.
    let bind = env
        .iter()
        .find(|(k, _)| *k == "COGNITO_MCP_BIND")
        .map_or("127.0.0.1:0", |(_, v)| *v);
    cmd.args(["serve", "--transport", "http", "--bind", bind])
        .env_clear()
        .envs(base_env())
        .env("COGNITO_USER_POOL_ID", &pool.id)
        .env("COGNITO_CLIENT_ID", &pool.client_id)
        .env("COGNITO_MCP_AUDIT_FILE", dir.path().join("audit.jsonl"))
        .stderr(std::fs::File::create(dir.path().join("stderr.log")).expect("stderr file"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let stderr_log = dir.path().join("stderr.log");
    let (base, child) = spawn_listening(cmd, Some(&stderr_log)).await;
    HttpServer { base, dir, child }
}

/// Runs the binary with `input` on standard input; returns (status, stdout, stderr).
pub fn run_cli_stdin(args: &[&str], env: &[(&str, &str)], input: &str) -> (i32, String, String) {
    use std::io::Write;
    let mut child = Command::new(bin())
        .args(args)
        .env_clear()
        .envs(base_env())
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run cognito-mcp");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
