//! SIGTERM over HTTP, as a load balancer's deregistration or a container stop sends it: the
//! server stops accepting, lets the calls in flight answer within `server.shutdown_grace_secs`,
//! stops what is still running past it, and every call, finished or stopped, is in the audit
//! file before the process exits.
//!
//! The call in flight is a `get_user` whose `AdminGetUser` a recording proxy in front of moto
//! holds until the test releases it, so "in flight" is a fact the test observes, not a guess
//! about timing.

mod common;

use std::time::Duration;

use common::recorder::Recorder;
use common::{HttpServer, http_call, moto, new_pool, serve_http, tokens_for};
use serde_json::Value;

/// Sends SIGTERM to the server.
fn terminate(s: &HttpServer) {
    let pid = s.child.id().expect("pid");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

/// Polls `done` until it holds (readiness only: the deadline is generous and never the
/// property under test).
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..600 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not happen within 30 s");
}

fn log(s: &HttpServer) -> String {
    std::fs::read_to_string(s.dir.path().join("stderr.log")).unwrap_or_default()
}

fn audit(s: &HttpServer) -> Vec<Value> {
    std::fs::read_to_string(s.dir.path().join("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("audit line"))
        .collect()
}

/// A server whose Cognito calls go through `recorder`, with `grace` seconds of shutdown grace.
async fn start(recorder: &Recorder, grace: &str) -> (HttpServer, String) {
    let pool = new_pool().await;
    let (token, _) = tokens_for(&pool, "bob", &["ReadOnly"]).await;
    let s = serve_http(
        &pool,
        &[
            (
                "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
                recorder.base.as_str(),
            ),
            ("COGNITO_MCP_SHUTDOWN_GRACE_SECS", grace),
        ],
    )
    .await;
    (s, token)
}

/// The attack on operations: a deploy's SIGTERM cutting an admin call off mid-way, so the
/// agent sees a failure for a change that may have happened, and the audit has no record.
#[tokio::test]
async fn a_call_in_flight_at_sigterm_is_cut_off_fails() {
    let recorder = Recorder::start(&moto().endpoint).await;
    let (mut s, token) = start(&recorder, "60").await;
    recorder.gate("AdminGetUser");
    let base = s.base.clone();
    let call = tokio::spawn(async move {
        http_call(
            &base,
            &token,
            "get_user",
            serde_json::json!({"username": "bob"}),
        )
        .await
    });
    until("the call reaching Cognito", || {
        !recorder.calls_to(&["AdminGetUser"]).is_empty()
    })
    .await;
    terminate(&s);
    until("the shutdown starting", || {
        log(&s).contains("shutting down")
    })
    .await;
    // No new connection is accepted once the shutdown started.
    let refused = reqwest::Client::new()
        .get(format!("{}/healthz", s.base))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(refused.is_err(), "a new connection was served: {refused:?}");
    recorder.release("AdminGetUser");
    let reply = call.await.expect("call task");
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(
        reply.body["result"]["isError"],
        Value::Bool(false),
        "{:?}",
        reply.body
    );
    assert_eq!(
        reply.body["result"]["structuredContent"]["username"], "bob",
        "{:?}",
        reply.body
    );
    let exit = tokio::time::timeout(Duration::from_secs(30), s.child.wait())
        .await
        .expect("the server stops once the call answered")
        .expect("wait");
    assert!(exit.success(), "{exit:?}");
    // Written before the process exited: no settling wait.
    let records = audit(&s);
    let got = records
        .iter()
        .find(|r| r["tool"] == "get_user")
        .unwrap_or_else(|| panic!("no get_user record: {records:?}"));
    assert_eq!(got["outcome"], "ok", "{got}");
}

/// The attack on availability: one call hanging on Cognito keeping an instance alive forever
/// after SIGTERM (until the orchestrator's SIGKILL, which loses the audit's queue).
#[tokio::test]
async fn a_hung_call_holding_shutdown_past_the_grace_fails() {
    let recorder = Recorder::start(&moto().endpoint).await;
    let (mut s, token) = start(&recorder, "1").await;
    recorder.gate("AdminGetUser");
    let base = s.base.clone();
    let call = tokio::spawn(async move {
        http_call(
            &base,
            &token,
            "get_user",
            serde_json::json!({"username": "bob"}),
        )
        .await
    });
    until("the call reaching Cognito", || {
        !recorder.calls_to(&["AdminGetUser"]).is_empty()
    })
    .await;
    terminate(&s);
    // The SDK's own timeout is a minute; the grace is one second. Generous for a busy machine,
    // and far below what the hung call alone would take.
    let exit = tokio::time::timeout(Duration::from_secs(30), s.child.wait())
        .await
        .expect("the server stops after its grace, with a call still hanging")
        .expect("wait");
    assert!(exit.success(), "{exit:?}");
    assert!(log(&s).contains("shutdown grace"), "{}", log(&s));
    let _ = call.await;
    let records = audit(&s);
    let got = records
        .iter()
        .find(|r| r["tool"] == "get_user")
        .unwrap_or_else(|| panic!("the stopped call left no record: {records:?}"));
    assert_eq!(got["outcome"], "cancelled", "{got}");
    assert_eq!(got["error"], "interrupted", "{got}");
    recorder.release("AdminGetUser");
}

/// The attack on the audit: start a change, then hang up before the answer, hoping the call
/// leaves no record. Whether the server finishes the call or stops it, the record is there.
#[tokio::test]
async fn a_call_whose_client_hangs_up_leaves_no_record_fails() {
    let recorder = Recorder::start(&moto().endpoint).await;
    let (mut s, token) = start(&recorder, "10").await;
    recorder.gate("AdminGetUser");
    let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "get_user", "arguments": {"username": "bob"}}});
    let http = reqwest::Client::new();
    let base = s.base.clone();
    let call = tokio::spawn(async move {
        http.post(format!("{base}/mcp"))
            .bearer_auth(token)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-11-25")
            .json(&body)
            .send()
            .await
    });
    until("the call reaching Cognito", || {
        !recorder.calls_to(&["AdminGetUser"]).is_empty()
    })
    .await;
    // Hang up: the request's connection goes away with the task.
    call.abort();
    let _ = call.await;
    recorder.release("AdminGetUser");
    terminate(&s);
    let exit = tokio::time::timeout(Duration::from_secs(30), s.child.wait())
        .await
        .expect("the server stops")
        .expect("wait");
    assert!(exit.success(), "{exit:?}");
    let records = audit(&s);
    let got = records
        .iter()
        .find(|r| r["tool"] == "get_user")
        .unwrap_or_else(|| panic!("the abandoned call left no record: {records:?}"));
    assert!(
        got["outcome"] == "ok" || (got["outcome"] == "cancelled" && got["error"] == "interrupted"),
        "{got}"
    );
}
