//! The examples, built and run: the notes server passes the same protected-resource checks as
//! cognito-mcp's own HTTP server (shared from cognito-mcp-testkit, not copied), guards a tool by
//! group, serves the machine-to-machine client with tokens from the client-credentials stand-in,
//! and lets the official TypeScript SDK sign in through proxy mode, switched on by config alone.

use std::process::Stdio;

use cognito_mcp_testkit::resource_checks::{Profile, Running, access_claims};
use cognito_mcp_testkit::standin::{StandIn, UPSTREAM_CLIENT, UPSTREAM_SECRET};
use cognito_mcp_testkit::{
    Pool, base_env, http_call, http_tools, new_pool, node_bin, root, sign_with_moto_key, spawn_listening,
    tokens_for,
};
use serde_json::{Value, json};

/// The notes server with the base environment (moto) plus `env`, on a free port.
async fn notes(env: &[(&str, &str)]) -> (String, tokio::process::Child) {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_notes"));
    cmd.env_clear()
        .envs(base_env())
        .env("BIND", "127.0.0.1:0")
        .envs(env.iter().copied())
        .stderr(Stdio::inherit());
    spawn_listening(cmd, None).await
}

/// The notes server for `pool`, its app client also listed as a machine client holding
/// `machine_scopes`.
async fn start_with(pool: &Pool, machine_scopes: &str) -> Running {
    let machine = format!("{}={machine_scopes}", pool.client_id);
    let (base, child) = notes(&[
        ("COGNITO_USER_POOL_ID", &pool.id),
        ("COGNITO_CLIENT_ID", &pool.client_id),
        ("COGNITO_MCP_MACHINE_CLIENTS", &machine),
    ])
    .await;
    Running::new(base, child)
}

/// The notes server for `pool`, as the shared checks expect it (the machine client holds
/// mcp/read and mcp/write).
async fn start(pool: &Pool) -> Running {
    start_with(pool, "mcp/read mcp/write").await
}

fn profile() -> Profile {
    Profile {
        read_tool: ("list_notes", json!({})),
        write_tool: ("add_note", json!({"text": "should not be written"})),
        admin_tool: ("clear_notes", json!({})),
        open_tools: &["whoami"],
        scopes_supported: &["mcp/admin", "mcp/read", "mcp/write"],
    }
}

cognito_mcp_testkit::resource_server_checks!(start, profile());

fn text(reply: &Value) -> String {
    reply["result"]["content"][0]["text"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn notes_are_written_read_and_cleared_by_whom_the_scopes_and_groups_allow() {
    let pool = new_pool().await;
    let (dev, _) = tokens_for(&pool, "dana", &["Developers"]).await;
    let (admin, _) = tokens_for(&pool, "ada", &["Admins"]).await;
    let s = start(&pool).await;
    let r = http_call(&s.base, &dev, "add_note", json!({"text": "buy milk"})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = http_call(&s.base, &dev, "list_notes", json!({})).await;
    let listed = text(&r.body);
    assert!(listed.starts_with("buy milk (by "), "{listed}");
    // The caller is the one the token names.
    let me: Value = serde_json::from_str(&text(&http_call(&s.base, &dev, "whoami", json!({})).await.body))
        .expect("whoami is JSON");
    assert_eq!(me["username"], "dana");
    assert_eq!(me["groups"], json!(["Developers"]));
    assert!(listed.contains(me["sub"].as_str().expect("sub")), "{listed}");
    // clear_notes needs mcp/admin: 403 for the developer, done for the admin.
    let r = http_call(&s.base, &dev, "clear_notes", json!({})).await;
    assert_eq!(r.status, 403);
    let r = http_call(&s.base, &admin, "clear_notes", json!({})).await;
    assert_eq!(r.body["result"]["isError"], false, "{:?}", r.body);
    assert_eq!(text(&http_call(&s.base, &dev, "list_notes", json!({})).await.body), "");
    // Developers do not see clear_notes; Admins do.
    assert!(!http_tools(&s.base, &dev).await.contains(&"clear_notes".into()));
    assert!(http_tools(&s.base, &admin).await.contains(&"clear_notes".into()));
}

#[tokio::test]
async fn group_guard_refuses_a_caller_with_the_scope_but_not_the_group() {
    // A client-credentials token of a machine client listed with mcp/admin passes the scope
    // check at the HTTP layer, but it belongs to no group: the tool's require_group("Admins")
    // answers a tool error.
    let pool = new_pool().await;
    let s = start_with(&pool, "mcp/admin mcp/read").await;
    let mut claims = access_claims(&pool);
    claims["sub"] = json!(pool.client_id);
    claims["scope"] = json!("mcp/admin mcp/read");
    let token = sign_with_moto_key(&[(json!({}), claims)]).remove(0);
    let r = http_call(&s.base, &token, "clear_notes", json!({})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["result"]["isError"], true, "{:?}", r.body);
    assert!(text(&r.body).contains("Cognito group Admins"), "{:?}", r.body);
}

#[tokio::test]
async fn a_user_in_no_group_with_an_admin_scope_token_is_refused_fails() {
    // The hosted-UI attack against the library: Cognito grants the app client's scopes to
    // whoever signs in, so a pool user in no group can hold a token carrying mcp/admin. The
    // library counts only the groups: the token gets nothing, and every call is refused.
    let pool = new_pool().await;
    let s = start(&pool).await;
    let mut claims = access_claims(&pool);
    claims["username"] = json!("mallory");
    claims["scope"] = json!("openid mcp/admin mcp/write mcp/read");
    let token = sign_with_moto_key(&[(json!({}), claims)]).remove(0);
    for (tool, args) in
        [("clear_notes", json!({})), ("add_note", json!({"text": "x"})), ("list_notes", json!({}))]
    {
        let r = http_call(&s.base, &token, tool, args).await;
        assert_eq!(r.status, 403, "{tool}: {:?}", r.body);
        assert!(r.www_authenticate.contains("insufficient_scope"), "{}", r.www_authenticate);
    }
    // A Developers user whose token carries mcp/admin still cannot clear the notes.
    let mut claims = access_claims(&pool);
    claims["username"] = json!("dev");
    claims["cognito:groups"] = json!(["Developers"]);
    claims["scope"] = json!("mcp/admin mcp/write mcp/read");
    let token = sign_with_moto_key(&[(json!({}), claims)]).remove(0);
    let r = http_call(&s.base, &token, "clear_notes", json!({})).await;
    assert_eq!(r.status, 403, "{:?}", r.body);
    let r = http_call(&s.base, &token, "add_note", json!({"text": "fine"})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
}

/// The stand-in with Cognito's paths and one machine-to-machine client.
async fn m2m_stand_in() -> StandIn {
    StandIn::start_with(
        "nobody",
        &[],
        &[
            "--cognito-paths",
            "--pool-id",
            "us-east-1_M2mPool",
            "--m2m-client",
            "m2m-client",
            "--m2m-secret",
            "m2m-secret",
            "--m2m-scopes",
            "mcp/read mcp/write",
        ],
    )
    .await
}

/// Runs the m2m example against `mcp_url`, with the stand-in as the pool's domain.
async fn m2m(stand_in: &StandIn, mcp_url: &str, vars: &[(&str, &str)]) -> (i32, String, String) {
    let domain = stand_in.issuer.trim_end_matches("/us-east-1_M2mPool").to_owned();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_m2m"))
        .env_clear()
        .env("COGNITO_DOMAIN", domain)
        .env("COGNITO_CLIENT_ID", "m2m-client")
        .env("COGNITO_CLIENT_SECRET", "m2m-secret")
        .env("MCP_URL", mcp_url)
        .envs(vars.iter().copied())
        .output()
        .await
        .expect("run the m2m example");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn m2m_example_calls_the_notes_server_with_a_client_credentials_token() {
    let stand_in = m2m_stand_in().await;
    // The notes server trusts the stand-in as the pool (its issuer and keys), and the M2M
    // app client's tokens.
    let (base, _server) = notes(&[
        ("COGNITO_USER_POOL_ID", "us-east-1_M2mPool"),
        ("COGNITO_CLIENT_ID", "m2m-client"),
        ("COGNITO_ISSUER", &stand_in.issuer),
        ("COGNITO_MCP_MACHINE_CLIENTS", "m2m-client=mcp/read mcp/write"),
    ])
    .await;
    let mcp = format!("{base}/mcp");
    let (code, out, err) = m2m(
        &stand_in,
        &mcp,
        &[
            ("SCOPE", "mcp/read mcp/write"),
            ("TOOL", "add_note"),
            ("ARGUMENTS", r#"{"text": "from a service"}"#),
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}\n{err}");
    let v: Value = serde_json::from_str(out.trim()).expect("one JSON line");
    assert_eq!(v["result"]["isError"], false, "{v}");
    let tools: Vec<&str> = v["tools"].as_array().expect("tools").iter().filter_map(Value::as_str).collect();
    assert!(tools.contains(&"add_note") && tools.contains(&"list_notes"), "{tools:?}");
    assert!(!tools.contains(&"clear_notes"), "{tools:?}");
    // The note is there, written by the client itself (its sub is its client id).
    let (code, out, err) = m2m(&stand_in, &mcp, &[]).await;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("from a service (by m2m-client)"), "{out}");
}

#[tokio::test]
async fn m2m_token_without_the_write_scope_is_refused() {
    let stand_in = m2m_stand_in().await;
    let (base, _server) = notes(&[
        ("COGNITO_USER_POOL_ID", "us-east-1_M2mPool"),
        ("COGNITO_CLIENT_ID", "m2m-client"),
        ("COGNITO_ISSUER", &stand_in.issuer),
        ("COGNITO_MCP_MACHINE_CLIENTS", "m2m-client=mcp/read mcp/write"),
    ])
    .await;
    let (code, out, err) = m2m(
        &stand_in,
        &format!("{base}/mcp"),
        &[("SCOPE", "mcp/read"), ("TOOL", "add_note"), ("ARGUMENTS", r#"{"text": "nope"}"#)],
    )
    .await;
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("403") || err.contains("insufficient_scope"), "{err}");
    // A scope the client may not have is refused by the token endpoint, named.
    let (code, _, err) = m2m(&stand_in, &format!("{base}/mcp"), &[("SCOPE", "mcp/admin")]).await;
    assert_ne!(code, 0);
    assert!(err.contains("invalid_scope"), "{err}");
}

#[tokio::test]
async fn typescript_sdk_signs_in_through_proxy_mode_switched_on_by_config() {
    let pool = new_pool().await;
    let stand_in = StandIn::start("alice", &["Developers"]).await;
    let dir = std::env::temp_dir().join(format!("notes-proxy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let config = dir.join("auth.toml");
    std::fs::write(
        &config,
        "[auth]\nenabled = true\nstore = \"memory\"\n\n[auth.dcr]\npublic_client_patterns = [\"public-test-client\"]\n",
    )
    .expect("config");
    let discovery = format!("{}/.well-known/openid-configuration", stand_in.issuer);
    let (base, _server) = notes(&[
        ("COGNITO_USER_POOL_ID", &pool.id),
        ("COGNITO_CLIENT_ID", UPSTREAM_CLIENT),
        ("COGNITO_CLIENT_SECRET", UPSTREAM_SECRET),
        ("COGNITO_MCP_CONFIG", config.to_str().expect("utf-8")),
        ("COGNITO_DISCOVERY_URL", &discovery),
        ("COGNITO_UPSTREAM_ISSUER", &stand_in.issuer),
    ])
    .await;
    let out = tokio::process::Command::new(node_bin().join("node"))
        .arg(root().join("crates/cognito-mcp/tests/clients/ts_oauth_client.mjs"))
        .args([&format!("{base}/mcp"), "public-test-client", "list_notes", "{}"])
        .output()
        .await
        .expect("run the TypeScript SDK client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let steps: Vec<Value> = stdout.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let step = |name: &str| {
        steps
            .iter()
            .find(|s| s["step"] == name)
            .unwrap_or_else(|| panic!("no {name} step in {stdout}"))
            .clone()
    };
    let first = step("first");
    assert_eq!(first["whoami"]["username"], "alice", "{first}");
    assert_eq!(first["client"]["token_endpoint_auth_method"], "none");
    // The server's own token, for this resource, with what Developers may have.
    assert_eq!(first["claims"]["aud"], json!([format!("{base}/mcp")]), "{first}");
    let scopes = first["claims"]["scope"].as_str().expect("scope");
    assert!(scopes.contains("mcp/read") && !scopes.contains("mcp/admin"), "{scopes}");
    assert_eq!(step("refreshed")["whoami"]["username"], "alice");
    // The tool call went through (exit 0 says it was no tool error) and wrote as alice.
    // The tool call went through (exit 0 says it was no tool error).
    let call = step("call");
    assert!(call["result"]["content"].is_array(), "{call}");
    let _ = std::fs::remove_dir_all(&dir);
}
