//! No password, temporary password, client secret or token appears in stdout (the MCP
//! channel), stderr (the logs, even at trace level) or the audit file.

mod common;

use common::{new_pool, serve, text};
use serde_json::json;

const TEMP: &str = "Temp-Secret-Pass-91!";
const PERMANENT: &str = "Final-Secret-Pass-73?";
const WEAK: &str = "weakling-secret";
const CLIENT_SECRET: &str = "client-secret-value-5150";

#[tokio::test]
async fn a_full_session_leaks_no_secret() {
    let pool = new_pool().await;
    let s = serve(
        &pool,
        &[],
        &[
            ("RUST_LOG", "trace"),
            ("COGNITO_CLIENT_SECRET", CLIENT_SECRET),
        ],
    )
    .await;

    s.ok(
        "create_user",
        json!({"username": "pat", "email": "pat@example.com", "temporary_password": TEMP, "suppress_invitation": true}),
    )
    .await;
    s.ok(
        "set_user_password",
        json!({"username": "pat", "confirm": "pat", "password": PERMANENT, "permanent": true}),
    )
    .await;
    // Failures too: a weak password, and AWS refusing a password for an unknown user.
    let r = s
        .call(
            "set_user_password",
            json!({"username": "pat", "confirm": "pat", "password": WEAK}),
        )
        .await;
    assert_eq!(r.is_error, Some(true));
    assert!(!text(&r).contains(WEAK));
    s.err(
        "set_user_password",
        json!({"username": "nobody", "confirm": "nobody", "password": PERMANENT}),
    )
    .await;
    s.err(
        "create_user",
        json!({"username": "pat", "temporary_password": TEMP}),
    )
    .await;
    // A misspelt password field is refused, and its value withheld from the audit.
    s.err(
        "set_user_password",
        json!({"username": "pat", "confirm": "pat", "pasword": PERMANENT}),
    )
    .await;
    s.ok("get_user", json!({"username": "pat"})).await;
    s.ok("list_users", json!({"all_pages": true})).await;

    let dir = s.stop().await;
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap_or_default();
    let stdout = read("stdout.log");
    let stderr = read("stderr.log");
    let audit = common::settled_audit(&dir.path().join("audit.jsonl"));
    // The files are real: the session happened and was recorded.
    assert!(
        stdout.contains("\"username\":\"pat\""),
        "stdout was not captured"
    );
    assert!(
        stderr.contains("serving MCP over stdio"),
        "stderr was not captured"
    );
    assert_eq!(audit.lines().count(), 8, "{audit}");
    assert!(audit.contains("[REDACTED]"));

    for secret in [TEMP, PERMANENT, WEAK, CLIENT_SECRET] {
        for (name, content) in [("stdout", &stdout), ("stderr", &stderr), ("audit", &audit)] {
            let leak = content.lines().find(|l| l.contains(secret));
            assert!(
                leak.is_none(),
                "{secret:?} leaked into {name}: {:.400}",
                leak.unwrap_or_default()
            );
        }
    }
}
