//! The HTTP transport as an OAuth protected resource: real Cognito tokens from moto
//! (AdminInitiateAuth), verified against moto's JWKS; group scopes; 401 and 403; and a named
//! negative test per rejection.
//!
//! The protected-resource checks every server of the workspace shares (metadata and challenge,
//! each bad token, 403 `insufficient_scope`, `tools/list` by group) come from
//! `cognito_mcp_testkit::resource_checks`, one named test each; this file adds what is
//! cognito-mcp's own (its tools, the audit, `whoami`, `verify_token`, Host/Origin, the body cap,
//! shutdown).

mod common;

use common::resource_checks::{Profile, READ_ONLY_USER, Running, access_claims, now};
use common::{
    Pool, http_call, http_tools, new_pool, rpc, serve_http, sign_with_moto_key, tokens_for,
};
use serde_json::{Value, json};

/// `cognito-mcp serve --transport http` for the pool, as the shared checks want it.
async fn start(pool: &Pool) -> Running {
    let machine = format!("{}=mcp/read mcp/write", pool.client_id);
    let s = serve_http(pool, &[("COGNITO_MCP_MACHINE_CLIENTS", &machine)]).await;
    Running::new(s.base.clone(), s)
}

/// cognito-mcp's tools, as the shared checks see them.
fn profile() -> Profile {
    Profile {
        read_tool: ("list_users", json!({})),
        write_tool: ("create_user", json!({"username": "nope"})),
        admin_tool: (
            "delete_user",
            json!({"username": READ_ONLY_USER, "confirm": READ_ONLY_USER}),
        ),
        open_tools: &["whoami"],
        scopes_supported: &["mcp/admin", "mcp/read", "mcp/write"],
    }
}

cognito_mcp_testkit::resource_server_checks!(start, profile());

#[tokio::test]
async fn admins_user_calls_everything() {
    let pool = new_pool().await;
    let (admin, _) = tokens_for(&pool, "ada", &["Admins"]).await;
    let s = serve_http(&pool, &[]).await;
    assert_eq!(http_tools(&s.base, &admin).await.len(), 39);
    let r = http_call(
        &s.base,
        &admin,
        "create_user",
        json!({"username": "temp", "suppress_invitation": true}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["result"]["isError"], false, "{:?}", r.body);
    let r = http_call(
        &s.base,
        &admin,
        "disable_user",
        json!({"username": "temp", "confirm": "temp"}),
    )
    .await;
    assert_eq!(
        r.body["result"]["structuredContent"]["action"], "user_disabled",
        "{:?}",
        r.body
    );
    let r = http_call(
        &s.base,
        &admin,
        "delete_user",
        json!({"username": "temp", "confirm": "temp"}),
    )
    .await;
    assert_eq!(
        r.body["result"]["structuredContent"]["action"], "user_deleted",
        "{:?}",
        r.body
    );
    // The audit names the caller.
    let audit = common::settled_audit(&s.dir.path().join("audit.jsonl"));
    assert!(audit.contains("(ada) via"), "{audit}");
}

#[tokio::test]
async fn whoami_reports_the_caller() {
    let pool = new_pool().await;
    let (dev, _) = tokens_for(&pool, "dana", &["Developers"]).await;
    let s = serve_http(&pool, &[]).await;
    let r = http_call(&s.base, &dev, "whoami", json!({})).await;
    let me = &r.body["result"]["structuredContent"];
    assert_eq!(me["transport"], "http");
    assert_eq!(me["username"], "dana");
    assert_eq!(me["groups"], json!(["Developers"]));
    assert_eq!(me["client_id"], pool.client_id.as_str());
    let scopes: Vec<&str> = me["scopes"]
        .as_array()
        .expect("scopes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        scopes.contains(&"mcp/write")
            && scopes.contains(&"mcp/read")
            && !scopes.contains(&"mcp/admin")
    );
    assert!(me["expires_at"].as_u64().is_some_and(|e| e > now()));
}

#[tokio::test]
async fn verify_token_returns_claims_or_the_reason() {
    let pool = new_pool().await;
    let (reader, id) = tokens_for(&pool, "vic", &["ReadOnly"]).await;
    let s = serve_http(&pool, &[]).await;
    let r = http_call(
        &s.base,
        &reader,
        "verify_token",
        json!({"token": id, "token_use": "id"}),
    )
    .await;
    let v = &r.body["result"]["structuredContent"];
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["claims"]["token_use"], "id");
    assert_eq!(v["claims"]["username"], "vic");
    let r = http_call(&s.base, &reader, "verify_token", json!({"token": id})).await;
    let v = &r.body["result"]["structuredContent"];
    assert_eq!(v["valid"], false);
    assert_eq!(v["reason_code"], "wrong_token_use");
    // The token never reaches the audit trail.
    let audit = common::settled_audit(&s.dir.path().join("audit.jsonl"));
    assert!(!audit.contains(&id[..40]), "{audit}");
}

#[tokio::test]
async fn read_only_user_lists_the_pool() {
    let pool = new_pool().await;
    let (reader, _) = tokens_for(&pool, "rory", &["ReadOnly"]).await;
    let s = serve_http(&pool, &[]).await;
    let r = http_call(&s.base, &reader, "list_users", json!({})).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body["result"]["structuredContent"]["count"], 1,
        "{:?}",
        r.body
    );
    // A refused write leaves the pool as it was.
    let r = http_call(&s.base, &reader, "create_user", json!({"username": "nope"})).await;
    assert_eq!(r.status, 403, "{:?}", r.body);
    let r = http_call(&s.base, &reader, "list_users", json!({})).await;
    assert_eq!(r.body["result"]["structuredContent"]["count"], 1);
}

#[tokio::test]
async fn client_credentials_caller_has_no_username() {
    let pool = new_pool().await;
    let machine = format!("{}=mcp/read", pool.client_id);
    let s = serve_http(&pool, &[("COGNITO_MCP_MACHINE_CLIENTS", &machine)]).await;
    // Client-credentials tokens have no username and no groups; their scope, within what the
    // machine client is listed for, is all they have.
    let mut c = access_claims(&pool);
    c["sub"] = json!(pool.client_id);
    let token = sign_with_moto_key(&[(json!({}), c)]).remove(0);
    let r = http_call(&s.base, &token, "list_groups", json!({})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["result"]["isError"], false, "{:?}", r.body);
    let r = http_call(&s.base, &token, "create_group", json!({"group": "x"})).await;
    assert_eq!(r.status, 403);
    let me = http_call(&s.base, &token, "whoami", json!({})).await;
    assert_eq!(me.status, 200, "{:?}", me.body);
    assert!(
        me.body["result"]["structuredContent"]
            .get("username")
            .is_none(),
        "{:?}",
        me.body
    );
}

#[tokio::test]
async fn healthz_answers_ok() {
    let pool = new_pool().await;
    let s = serve_http(&pool, &[]).await;
    let health: Value = reqwest::get(format!("{}/healthz", s.base))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(health["status"], "ok");
}

#[tokio::test]
async fn evil_host_fails() {
    let pool = new_pool().await;
    let (reader, _) = tokens_for(&pool, "hal", &["ReadOnly"]).await;
    let s = serve_http(&pool, &[]).await;
    let r = rpc(
        &s.base,
        Some(&reader),
        "tools/list",
        json!({}),
        &[("host", "evil.example.com")],
    )
    .await;
    assert!((400..500).contains(&r.status), "{}", r.status);
}

#[tokio::test]
async fn evil_origin_fails() {
    let pool = new_pool().await;
    let (reader, _) = tokens_for(&pool, "otto", &["ReadOnly"]).await;
    let s = serve_http(&pool, &[]).await;
    let r = rpc(
        &s.base,
        Some(&reader),
        "tools/list",
        json!({}),
        &[("origin", "http://evil.example.com")],
    )
    .await;
    assert!((400..500).contains(&r.status), "{}", r.status);
    // A loopback origin is fine.
    let r = rpc(
        &s.base,
        Some(&reader),
        "tools/list",
        json!({}),
        &[("origin", "http://localhost:3000")],
    )
    .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn speaks_protocol_2026_07_28_statelessly() {
    let pool = new_pool().await;
    let (reader, _) = tokens_for(&pool, "stella", &["ReadOnly"]).await;
    let s = serve_http(&pool, &[]).await;
    // No initialize: 2026-07-28 requests carry their version and capabilities themselves.
    let body = json!({
        "jsonrpc": "2.0", "id": 7, "method": "tools/call",
        "params": {
            "name": "whoami", "arguments": {},
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {},
            },
        },
    });
    let resp = reqwest::Client::new()
        .post(format!("{}/mcp", s.base))
        .header("authorization", format!("Bearer {reader}"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", "whoami")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.expect("json");
    assert_eq!(
        v["result"]["structuredContent"]["username"], "stella",
        "{v}"
    );
}

#[tokio::test]
async fn oversized_body_fails() {
    let pool = new_pool().await;
    let (reader, _) = tokens_for(&pool, "bob", &["ReadOnly"]).await;
    let s = serve_http(&pool, &[]).await;
    let big = json!({"username": "x".repeat(2 * 1024 * 1024)});
    let r = http_call(&s.base, &reader, "get_user", big).await;
    assert_eq!(r.status, 413, "{:?}", r.body);
}

#[tokio::test]
async fn sigterm_shuts_down_gracefully() {
    let pool = new_pool().await;
    let mut s = serve_http(&pool, &[]).await;
    let pid = s.child.id().expect("pid");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = tokio::time::timeout(std::time::Duration::from_secs(10), s.child.wait())
        .await
        .expect("the server stops within 10 s")
        .expect("wait");
    assert!(exit.success(), "{exit:?}");
    let log = std::fs::read_to_string(s.dir.path().join("stderr.log")).unwrap_or_default();
    assert!(log.contains("shutting down"), "{log}");
}

#[tokio::test]
async fn json_log_lines_that_are_not_one_object_each_fail() {
    let pool = new_pool().await;
    let (reader, _) = tokens_for(&pool, "bob", &["ReadOnly"]).await;
    let mut s = serve_http(&pool, &[("COGNITO_MCP_LOG_FORMAT", "json")]).await;
    let r = http_call(&s.base, &reader, "whoami", json!({})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let pid = s.child.id().expect("pid");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = tokio::time::timeout(std::time::Duration::from_secs(30), s.child.wait())
        .await
        .expect("the server stops")
        .expect("wait");
    assert!(exit.success(), "{exit:?}");
    let log = std::fs::read_to_string(s.dir.path().join("stderr.log")).unwrap_or_default();
    let lines: Vec<Value> = log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(
        lines.iter().any(|l| l["fields"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("shutting down"))
            && l["level"] == "INFO"),
        "{log}"
    );
    assert!(!log.contains(&reader), "the token is never logged");
}

#[tokio::test]
async fn methods_of_capabilities_the_server_lacks_are_not_found() {
    // The server advertises tools and resources, no prompts and no completions: asking for them
    // is "method not found" (-32601), not an empty answer that says they exist (rmcp 3.11).
    let pool = new_pool().await;
    let (admin, _) = tokens_for(&pool, "ada", &["Admins"]).await;
    let s = serve_http(&pool, &[]).await;
    for method in ["prompts/list", "completion/complete"] {
        let r = rpc(&s.base, Some(&admin), method, json!({}), &[]).await;
        assert_eq!(
            r.body["error"]["code"], -32601,
            "{method}: {} {:?}",
            r.status, r.body
        );
    }
    // A method it has still answers.
    let r = rpc(&s.base, Some(&admin), "tools/list", json!({}), &[]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
}

#[tokio::test]
async fn evil_origin_without_a_token_gets_403_not_a_challenge() {
    // A page of another site probing the server: refused as a foreign origin before the bearer
    // check, so it gets no 401 challenge naming the authorization server either.
    let pool = new_pool().await;
    let s = serve_http(&pool, &[]).await;
    let r = rpc(
        &s.base,
        None,
        "tools/list",
        json!({}),
        &[("origin", "http://evil.example.com")],
    )
    .await;
    assert_eq!(r.status, 403, "{:?} {}", r.body, r.www_authenticate);
    assert!(r.www_authenticate.is_empty(), "{}", r.www_authenticate);
    // Without an Origin (a native client), or from loopback, the challenge is as before.
    for headers in [vec![], vec![("origin", "http://localhost:3000")]] {
        let r = rpc(&s.base, None, "tools/list", json!({}), &headers).await;
        assert_eq!(r.status, 401, "{headers:?}");
    }
}

/// A 2026-07-28 request: `method` with `params` (its `_meta` added unless `meta` is `None`),
/// with `headers` over the standard ones (`None` drops a header); (status, body or text).
async fn post_2026(
    base: &str,
    token: &str,
    method: &str,
    params: Value,
    meta: Option<Value>,
    headers: &[(&str, Option<&str>)],
) -> (u16, Value) {
    let mut params = params;
    if let Some(m) = meta {
        params["_meta"] = m;
    }
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let name = body["params"]["name"]
        .as_str()
        .or(body["params"]["uri"].as_str())
        .map(str::to_owned);
    let mut standard: Vec<(String, Option<String>)> = vec![
        ("mcp-protocol-version".into(), Some("2026-07-28".into())),
        ("mcp-method".into(), Some(method.into())),
    ];
    if let Some(n) = name {
        standard.push(("mcp-name".into(), Some(n)));
    }
    for (k, v) in headers {
        standard.retain(|(sk, _)| sk != k);
        standard.push(((*k).into(), v.map(str::to_owned)));
    }
    let mut req = reqwest::Client::new()
        .post(format!("{base}/mcp"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    for (k, v) in standard {
        if let Some(v) = v {
            req = req.header(k, v);
        }
    }
    let resp = req.body(body.to_string()).send().await.expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A broken request: what is broken, its `_meta`, headers over the standard ones, and the
/// status and JSON-RPC code it must get.
type Case<'a> = (&'a str, Value, &'a [(&'a str, Option<&'a str>)], (u16, i64));

fn meta_2026() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    })
}

#[tokio::test]
async fn protocol_2026_07_28_header_and_meta_rules_fail() {
    // The 2026-07-28 transport rules, met by rmcp 3.11 and pinned here so an upgrade cannot drop
    // one silently. Each case breaks one rule; the last ones show the rule's good side.
    let pool = new_pool().await;
    let (reader, _) = tokens_for(&pool, "stella", &["ReadOnly"]).await;
    let s = serve_http(&pool, &[]).await;
    let whoami = json!({"name": "whoami", "arguments": {}});
    let code = |b: &Value| b["error"]["code"].as_i64();

    let mut future = meta_2026();
    future["io.modelcontextprotocol/protocolVersion"] = json!("2099-01-01");
    let no_capabilities = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28"});
    let cases: [Case; 6] = [
        // Mcp-Method is required, and must say what the body does (HeaderMismatch).
        (
            "no Mcp-Method",
            meta_2026(),
            &[("mcp-method", None)],
            (400, -32020),
        ),
        (
            "Mcp-Method differs",
            meta_2026(),
            &[("mcp-method", Some("tools/list"))],
            (400, -32020),
        ),
        // Mcp-Name must name the tool the body calls: the header cannot smuggle another past
        // a proxy that routes or logs by it.
        (
            "Mcp-Name differs",
            meta_2026(),
            &[("mcp-name", Some("delete_user"))],
            (400, -32020),
        ),
        // The header's version must be the body's.
        (
            "versions differ",
            meta_2026(),
            &[("mcp-protocol-version", Some("2025-11-25"))],
            (400, -32020),
        ),
        // _meta must carry the client's capabilities.
        ("no clientCapabilities", no_capabilities, &[], (400, -32602)),
        // An unknown version is refused with the versions this server speaks.
        (
            "unknown version",
            future,
            &[("mcp-protocol-version", Some("2099-01-01"))],
            (400, -32022),
        ),
    ];
    for (what, meta, headers, (status, want)) in cases {
        let (st, b) = post_2026(
            &s.base,
            &reader,
            "tools/call",
            whoami.clone(),
            Some(meta),
            headers,
        )
        .await;
        assert_eq!((st, code(&b)), (status, Some(want)), "{what}: {b}");
        if want == -32022 {
            assert!(b["error"]["data"].to_string().contains("2026-07-28"), "{b}");
        }
    }
    // A method the server lacks is 404 with -32601.
    let (st, b) = post_2026(
        &s.base,
        &reader,
        "prompts/list",
        json!({}),
        Some(meta_2026()),
        &[],
    )
    .await;
    assert_eq!((st, code(&b)), (404, Some(-32601)), "{b}");
    // The stateless endpoint takes POST only.
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let r = reqwest::Client::new()
            .request(method.clone(), format!("{}/mcp", s.base))
            .bearer_auth(&reader)
            .header("mcp-protocol-version", "2026-07-28")
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 405, "{method}");
    }

    // server/discover answers over HTTP, naming the versions and this server.
    let (st, b) = post_2026(
        &s.base,
        &reader,
        "server/discover",
        json!({}),
        Some(meta_2026()),
        &[],
    )
    .await;
    assert_eq!(st, 200, "{b}");
    assert!(
        b["result"]["supportedVersions"]
            .to_string()
            .contains("2026-07-28"),
        "{b}"
    );
    assert_eq!(
        b["result"]["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "cognito-mcp",
        "{b}"
    );
    // An Mcp-Name in the header's Base64 form is decoded, and matches.
    let (st, b) = post_2026(
        &s.base,
        &reader,
        "tools/call",
        whoami,
        Some(meta_2026()),
        &[("mcp-name", Some("=?base64?d2hvYW1p?="))],
    )
    .await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(
        b["result"]["structuredContent"]["username"], "stella",
        "{b}"
    );
}

#[tokio::test]
async fn a_2026_client_without_elicitation_gets_missing_capability_when_a_person_must_confirm() {
    // With safety.confirm.require_person, a destructive call needs a person's yes, which only a
    // client that can elicit can give. At 2026-07-28 the server MUST answer such a client with
    // MissingRequiredClientCapability (-32021, HTTP 400) naming elicitation, not a tool result;
    // nothing is changed and the audit records the refusal.
    let pool = new_pool().await;
    let (admin, _) = tokens_for(&pool, "ada", &["Admins"]).await;
    tokens_for(&pool, "pia", &[]).await;
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("cognito-mcp.toml");
    std::fs::write(&config, "[safety.confirm]\nrequire_person = true\n").expect("config");
    let s = serve_http(
        &pool,
        &[("COGNITO_MCP_CONFIG", config.to_str().expect("utf-8"))],
    )
    .await;
    let delete = json!({"name": "delete_user", "arguments": {"username": "pia", "confirm": "pia"}});
    let (st, b) = post_2026(
        &s.base,
        &admin,
        "tools/call",
        delete.clone(),
        Some(meta_2026()),
        &[],
    )
    .await;
    assert_eq!(st, 400, "{b}");
    assert_eq!(b["error"]["code"], -32021, "{b}");
    assert!(
        b["error"]["data"]["requiredCapabilities"]
            .get("elicitation")
            .is_some(),
        "{b}"
    );
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("require_person"),
        "{b}"
    );
    assert!(
        pool.admin.get_user("pia").await.is_ok(),
        "nothing was deleted"
    );
    let audit = common::settled_audit(&s.dir.path().join("audit.jsonl"));
    assert!(audit.contains("\"person_required\""), "{audit}");
    // A client that declares elicitation is asked instead (an input_required round).
    let mut meta = meta_2026();
    meta["io.modelcontextprotocol/clientCapabilities"] = json!({"elicitation": {"form": {}}});
    let (st, b) = post_2026(&s.base, &admin, "tools/call", delete, Some(meta), &[]).await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(b["result"]["resultType"], "input_required", "{b}");
}
