//! The audit trail: one JSON line per call with the fields an auditor needs, a failed audit
//! write that is reported without losing the tool's result, and `read_audit` reading it back.

mod common;

use common::{new_pool, serve};
use serde_json::{Value, json};

#[tokio::test]
async fn each_call_writes_one_complete_line() {
    let pool = new_pool().await;
    let s = serve(&pool, &[], &[]).await;
    s.ok("create_user", json!({"username": "rita", "temporary_password": "Correct-Horse-42", "suppress_invitation": true}))
        .await;
    s.err("get_user", json!({"username": "nobody"})).await;

    let audit = s.audit();
    assert_eq!(audit.len(), 2);
    let ok = &audit[0];
    assert_eq!(ok["actor"], "local");
    assert_eq!(ok["tool"], "create_user");
    assert_eq!(ok["outcome"], "ok");
    assert_eq!(ok["arguments"]["username"], "rita");
    assert_eq!(ok["arguments"]["temporary_password"], "[REDACTED]");
    assert!(
        ok["time"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z') && t.contains('T')),
        "{ok}"
    );
    assert!(ok["duration_ms"].is_u64(), "{ok}");
    let ops: Vec<&str> = ok["aws_calls"]
        .as_array()
        .expect("calls")
        .iter()
        .filter_map(|c| c["operation"].as_str())
        .collect();
    assert_eq!(ops, ["DescribeUserPool", "AdminCreateUser"]);
    assert!(
        ok["aws_calls"][1]["request_id"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );

    let failed = &audit[1];
    assert_eq!(failed["outcome"], "error");
    assert_eq!(failed["error"], "user_not_found");
    assert_eq!(failed["aws_calls"][0]["operation"], "AdminGetUser");

    // Each call has an id of its own (its trace span's `cognito_mcp.call_id`).
    let ids: Vec<&str> = audit.iter().filter_map(|r| r["call_id"].as_str()).collect();
    assert_eq!(ids.len(), 2, "{audit:?}");
    assert_ne!(ids[0], ids[1]);
    for id in ids {
        assert!(
            id.len() == 32
                && id
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
            "{id}"
        );
    }
}

#[cfg(unix)]
#[tokio::test]
async fn audit_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let pool = new_pool().await;
    let s = serve(&pool, &[], &[]).await;
    s.ok("list_users", json!({})).await;
    assert_eq!(s.audit().len(), 1);
    let mode = std::fs::metadata(s.dir.path().join("audit.jsonl"))
        .expect("audit file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[tokio::test]
async fn failed_audit_write_is_reported_and_the_result_kept() {
    let pool = new_pool().await;
    // A directory cannot be created under /proc: every audit write fails.
    let s = serve(
        &pool,
        &[],
        &[(
            "COGNITO_MCP_AUDIT_FILE",
            "/proc/cognito-mcp-test/audit.jsonl",
        )],
    )
    .await;
    let user = s
        .ok(
            "create_user",
            json!({"username": "sam", "suppress_invitation": true}),
        )
        .await;
    assert_eq!(user["username"], "sam");
    let dir = s.stop().await;
    let stderr = std::fs::read_to_string(dir.path().join("stderr.log")).expect("stderr");
    assert!(
        stderr.contains("audit record could not be written"),
        "{stderr}"
    );
    assert!(stderr.contains("create_user"), "{stderr}");
}

/// The tools of `records`, in order.
fn tools_of(page: &Value) -> Vec<&str> {
    page["records"]
        .as_array()
        .unwrap_or_else(|| panic!("no records in {page}"))
        .iter()
        .map(|r| r["tool"].as_str().expect("tool"))
        .collect()
}

/// A config file in `dir` holding `toml`; its path.
fn config(dir: &std::path::Path, toml: &str) -> String {
    let path = dir.join("cognito-mcp.toml");
    std::fs::write(&path, toml).expect("write config");
    path.display().to_string()
}

#[tokio::test]
async fn read_audit_returns_the_records_newest_first_filtered() {
    let pool = new_pool().await;
    let dir = tempfile::tempdir().expect("dir");
    let config = config(dir.path(), "[tools]\ndeny = [\"delete_user\"]\n");
    let s = serve(&pool, &["--config", &config], &[]).await;
    s.ok(
        "create_user",
        json!({"username": "rita", "temporary_password": "Correct-Horse-42", "suppress_invitation": true}),
    )
    .await;
    s.err("get_user", json!({"username": "nobody"})).await;
    let (code, _) = s.err("delete_user", json!({"username": "rita"})).await;
    assert_eq!(code, "tool_disabled");
    s.ok(
        "set_user_password",
        json!({"username": "rita", "password": "Sup3r-Secret-Pass!", "permanent": true, "confirm": "rita"}),
    )
    .await;
    s.ok("list_users", json!({})).await;

    // No wait: the call just made is in the answer (the writer is flushed first).
    let all = s.call("read_audit", json!({})).await;
    let raw = format!("{all:?}");
    let all = all.structured_content.expect("structured");
    assert_eq!(
        tools_of(&all),
        [
            "list_users",
            "set_user_password",
            "delete_user",
            "get_user",
            "create_user"
        ],
        "{all}"
    );
    assert_eq!(all["count"], 5);
    assert_eq!(all["more"], false);
    assert_eq!(all["truncated"], false);
    assert_eq!(all["skipped_lines"], 0);
    let records = all["records"].as_array().expect("records");
    assert_eq!(records[2]["outcome"], "refused");
    assert_eq!(records[2]["error"], "tool_disabled");
    assert_eq!(records[3]["outcome"], "error");
    assert_eq!(records[3]["error"], "user_not_found");
    assert_eq!(records[1]["arguments"]["password"], "[REDACTED]");
    assert_eq!(records[4]["arguments"]["temporary_password"], "[REDACTED]");
    assert_eq!(records[4]["aws_calls"][1]["operation"], "AdminCreateUser");
    // Secrets never come back, in the text or the structured content.
    for secret in ["Correct-Horse-42", "Sup3r-Secret-Pass!"] {
        assert!(!raw.contains(secret), "{secret} in {raw}");
    }

    // The read itself is audited, like every call.
    let page = s.ok("read_audit", json!({"limit": 2})).await;
    assert_eq!(tools_of(&page), ["read_audit", "list_users"], "{page}");
    assert_eq!(page["more"], true);
    let before = page["next_before"].as_u64().expect("next_before");
    assert!(page["note"].as_str().is_some_and(|n| n.contains("before")));
    let page = s
        .ok("read_audit", json!({"limit": 2, "before": before}))
        .await;
    assert_eq!(tools_of(&page), ["set_user_password", "delete_user"]);

    let read = |args| s.ok("read_audit", args);
    let page = read(json!({"tool": "create_user"})).await;
    assert_eq!(tools_of(&page), ["create_user"]);
    let page = read(json!({"outcome": "refused"})).await;
    assert_eq!(tools_of(&page), ["delete_user"]);
    let page = read(json!({"outcome": "error"})).await;
    assert_eq!(tools_of(&page), ["get_user"]);
    let page = read(json!({"outcome": "cancelled"})).await;
    assert_eq!(page["count"], 0);
    let page = read(json!({"actor": "local", "outcome": "ok", "tool": "list_users"})).await;
    assert_eq!(tools_of(&page), ["list_users"]);
    let page = read(json!({"actor": "Local"})).await;
    assert_eq!(page["count"], 0, "actors match exactly");

    // Time: relative, absolute, and a range that ends before the last calls.
    let time = |i: usize| records[i]["time"].as_str().expect("time").to_owned();
    let page = read(json!({"since": "1h", "tool": "get_user"})).await;
    assert_eq!(tools_of(&page), ["get_user"]);
    let page = read(json!({"since": "2999-01-01T00:00:00Z"})).await;
    assert_eq!(page["count"], 0);
    let page = read(json!({"until": time(3)})).await;
    assert_eq!(tools_of(&page), ["create_user"]);
    let page = read(json!({"since": time(3), "until": time(0)})).await;
    assert_eq!(
        tools_of(&page),
        ["set_user_password", "delete_user", "get_user"]
    );
}

#[tokio::test]
async fn read_audit_rejects_bad_input_naming_the_field() {
    let pool = new_pool().await;
    let s = serve(&pool, &[], &[]).await;
    for (args, field) in [
        (json!({"since": "yesterday"}), "since"),
        (json!({"until": "2025-06-01T09:00:00"}), "until"),
        (json!({"since": "1h", "until": "2h"}), "until"),
        (json!({"limit": 0}), "limit"),
        (json!({"limit": 501}), "limit"),
        (json!({"outcome": "failed"}), "outcome"),
        (json!({"tool": "delete_users"}), "tool"),
        (json!({"before": 3}), "before"),
    ] {
        let (code, text) = s.err("read_audit", args.clone()).await;
        assert_eq!(code, "invalid_input", "{args}: {text}");
        assert!(text.contains(&format!("`{field}`")), "{args}: {text}");
        assert!(text.contains("Example of a valid value"), "{args}: {text}");
    }
    let (code, text) = s.err("read_audit", json!({"limit": "ten"})).await;
    assert_eq!(code, "invalid_arguments", "{text}");
}

#[tokio::test]
async fn read_audit_says_why_it_cannot_read_and_where_the_records_are() {
    let pool = new_pool().await;
    let dir = tempfile::tempdir().expect("dir");
    let off = config(dir.path(), "[audit]\nenabled = false\n");
    let s = serve(&pool, &["--config", &off], &[]).await;
    let (code, text) = s.err("read_audit", json!({})).await;
    assert_eq!(code, "audit_disabled", "{text}");
    assert!(text.contains("audit.enabled = false"), "{text}");
    assert!(text.contains("enabled = true"), "{text}");

    let s = serve(&pool, &[], &[("COGNITO_MCP_AUDIT_FILE", "/dev/stderr")]).await;
    let (code, text) = s.err("read_audit", json!({})).await;
    assert_eq!(code, "audit_on_stderr", "{text}");
    assert!(text.contains("CloudWatch Logs"), "{text}");
    assert!(text.contains("COGNITO_MCP_AUDIT_FILE"), "{text}");
    // Its records went to standard error, as ever.
    let stderr = s.stop().await;
    let stderr = std::fs::read_to_string(stderr.path().join("stderr.log")).expect("stderr");
    assert!(stderr.contains("\"tool\":\"read_audit\""), "{stderr}");
}

#[tokio::test]
async fn read_audit_before_any_call_is_empty_with_a_note() {
    let pool = new_pool().await;
    let s = serve(&pool, &[], &[]).await;
    let page = s.ok("read_audit", json!({})).await;
    assert_eq!(page["count"], 0);
    assert!(
        page["note"]
            .as_str()
            .is_some_and(|n| n.contains("does not exist yet")),
        "{page}"
    );
    // Its own record is there for the next read.
    let page = s.ok("read_audit", json!({})).await;
    assert_eq!(tools_of(&page), ["read_audit"]);
}

#[tokio::test]
async fn read_audit_needs_the_admin_scope_over_http() {
    let pool = new_pool().await;
    let (reader, _) = common::tokens_for(&pool, "rory", &["ReadOnly"]).await;
    let (admin, _) = common::tokens_for(&pool, "ada", &["Admins"]).await;
    let s = common::serve_http(&pool, &[]).await;
    assert!(
        !common::http_tools(&s.base, &reader)
            .await
            .contains(&"read_audit".to_owned())
    );
    assert!(
        common::http_tools(&s.base, &admin)
            .await
            .contains(&"read_audit".to_owned())
    );
    let r = common::http_call(&s.base, &reader, "list_users", json!({})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = common::http_call(&s.base, &reader, "read_audit", json!({})).await;
    assert_eq!(r.status, 403, "{:?}", r.body);
    assert!(
        r.www_authenticate.contains("error=\"insufficient_scope\"")
            && r.www_authenticate.contains("mcp/admin"),
        "{}",
        r.www_authenticate
    );

    let r = common::http_call(&s.base, &admin, "read_audit", json!({"tool": "list_users"})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let page = &r.body["result"]["structuredContent"];
    assert_eq!(tools_of(page), ["list_users"], "{:?}", r.body);
    let actor = page["records"][0]["actor"].as_str().expect("actor");
    assert!(actor.contains("(rory) via"), "{actor}");
    // The filter takes the actor as recorded.
    let r = common::http_call(&s.base, &admin, "read_audit", json!({"actor": actor})).await;
    assert_eq!(
        tools_of(&r.body["result"]["structuredContent"]),
        ["list_users"]
    );
}
