//! The audit trail: one JSON line per call with the fields an auditor needs, and a failed
//! audit write that is reported without losing the tool's result.

mod common;

use common::{new_pool, serve};
use serde_json::json;

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
