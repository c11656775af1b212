//! Client ID metadata documents on https, hosted as an MCP client's vendor hosts them
//! (`tests/clients/cimd_host.mjs`), under a certificate of a test CA that the stand-in is told
//! to trust (`--cimd-ca`), and the stand-in's CIMD-policy API (cognito-idp JSON 1.1 at its origin).

use std::process::Stdio;

use cognito_mcp_testkit::redis::tls::TestCa;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{ChildStdin, ChildStdout};

use super::drivers::script;
use super::node_bin;

/// The document host; stops when dropped (its stdin closes).
pub struct CimdHost {
    /// `https://localhost:PORT`.
    pub origin: String,
    ca: TestCa,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    _child: tokio::process::Child,
    _dir: tempfile::TempDir,
}

impl CimdHost {
    pub async fn start() -> Self {
        let ca = TestCa::new("cimd test ca");
        let dir = tempfile::tempdir().expect("temp dir");
        let files = ca.issue(dir.path());
        let mut child = tokio::process::Command::new(node_bin().join("node"))
            .arg(script("cimd_host.mjs"))
            .arg("--cert")
            .arg(&files.cert)
            .arg("--key")
            .arg(&files.key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start cimd_host.mjs");
        let stdin = child.stdin.take().expect("stdin");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = next(&mut lines).await;
        let origin = first
            .strip_prefix("origin ")
            .unwrap_or_else(|| panic!("unexpected {first:?}"))
            .to_owned();
        Self {
            origin,
            ca,
            stdin,
            lines,
            _child: child,
            _dir: dir,
        }
    }

    /// The URL pattern of every document under its `/clients/`: what a CIMD policy lists to
    /// admit them.
    pub fn clients_pattern(&self) -> String {
        format!("{}/clients/*", self.origin)
    }

    /// The CA file the stand-in trusts: `--cimd-ca`.
    pub fn ca_file(&self) -> String {
        self.ca.file().display().to_string()
    }

    /// Serves `document` at `path` (its `client_id` is its URL unless it names one); the URL.
    pub async fn put(
        &mut self,
        path: &str,
        document: Value,
        cache_control: Option<&str>,
    ) -> String {
        let mut cmd = json!({"path": path, "document": document});
        if let Some(cc) = cache_control {
            cmd["cache_control"] = json!(cc);
        }
        let reply = self.command(cmd).await;
        reply
            .strip_prefix("ok ")
            .unwrap_or_else(|| panic!("cimd_host: {reply}"))
            .to_owned()
    }

    /// How often each path was fetched.
    pub async fn fetches(&mut self, path: &str) -> u64 {
        let reply = self.command(json!({"fetches": true})).await;
        let counts: Value =
            serde_json::from_str(reply.strip_prefix("fetches ").expect("fetches")).expect("json");
        counts[path].as_u64().unwrap_or(0)
    }

    async fn command(&mut self, cmd: Value) -> String {
        self.stdin
            .write_all(format!("{cmd}\n").as_bytes())
            .await
            .expect("write");
        self.stdin.flush().await.expect("flush");
        next(&mut self.lines).await
    }
}

async fn next(lines: &mut Lines<BufReader<ChildStdout>>) -> String {
    tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
        .await
        .expect("cimd_host answered in time")
        .expect("read")
        .expect("cimd_host printed a line")
}

/// Calls the stand-in's cognito-idp API at `origin` (`X-Amz-Target:
/// AWSCognitoIdentityProviderService.OPERATION`): (HTTP status, body).
pub async fn cognito_api(origin: &str, operation: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{origin}/"))
        .header(
            "x-amz-target",
            format!("AWSCognitoIdentityProviderService.{operation}"),
        )
        .header("content-type", "application/x-amz-json-1.1")
        .body(body.to_string())
        .send()
        .await
        .expect("cognito api");
    let status = r.status().as_u16();
    (status, r.json().await.expect("json"))
}
