//! Confirmation states against moto: the `requestState` of an `input_required` round is keyed,
//! bound to caller, tool, arguments and target, expires and counts once; each way an agent
//! could bend it is refused, audited as refused, and changes nothing. And
//! `safety.confirm.require_person` refuses clients that cannot ask a person.
//!
//! The agent here is the Python SDK on protocol 2026-07-28
//! (`tests/clients/py_confirm_rounds.py`), which retries with whatever state the test picks.

mod common;

use aws_lc_rs::{digest, hmac};
use base64::Engine as _;
use common::{new_pool, serve};
use serde_json::{Value, json};

/// A fixed `COGNITO_MCP_STATE_KEY`, so the test can sign states as the server would.
const STATE_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// The label the server derives its confirmation key with (`confirm_state::KEY_LABEL`).
const KEY_LABEL: &[u8] = b"cognito-mcp confirmation state v1";
/// The stdio actor.
const LOCAL: &str = "local";

async fn user(pool: &common::Pool, name: &str) {
    pool.admin
        .create_user(
            &serde_json::from_value(json!({"username": name, "suppress_invitation": true}))
                .expect("input"),
        )
        .await
        .expect("user");
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A state as the server signs it with [`STATE_KEY`] (the format in `confirm_state.rs`).
fn sign(expiry: u64, actor: &str, tool: &str, args: &Value, target: &str) -> String {
    let master = base64::engine::general_purpose::STANDARD
        .decode(STATE_KEY)
        .expect("base64");
    let subkey = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &master), KEY_LABEL);
    let nonce = hex(&unix_now().to_be_bytes().repeat(2));
    let text = json!([
        "cognito-mcp/confirm/v1",
        expiry,
        nonce,
        actor,
        tool,
        args,
        target
    ])
    .to_string();
    let tag = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, subkey.as_ref()),
        text.as_bytes(),
    );
    format!("v1.{expiry}.{nonce}.{}", hex(tag.as_ref()))
}

/// What one run of the client saw, and the audit records of its server.
struct Run {
    report: Value,
    audit: Vec<Value>,
}

impl Run {
    fn retry(&self, i: usize) -> &Value {
        &self.report["retries"][i]
    }

    /// Retry `i` was refused with `code`, and its audit record says `refused`.
    fn refused(&self, i: usize, code: &str) {
        let r = self.retry(i);
        assert_eq!(r["isError"], true, "{r:#}");
        assert_eq!(r["_meta"]["cognito-mcp/error"]["code"], code, "{r:#}");
        let text = r["content"][0]["text"].as_str().expect("text");
        assert!(
            text.contains("nothing was changed") && text.contains("without requestState"),
            "the refusal says what happened and what to do: {text}"
        );
        let records: Vec<&Value> = self.audit.iter().filter(|a| a["error"] == code).collect();
        assert!(!records.is_empty(), "audited: {:#?}", self.audit);
        for a in records {
            assert_eq!(a["outcome"], "refused", "{a}");
            assert!(
                a["aws_calls"]
                    .as_array()
                    .is_some_and(|c| c.iter().all(|c| !c["operation"]
                        .as_str()
                        .unwrap_or("")
                        .contains("Delete")
                        && !c["operation"].as_str().unwrap_or("").contains("Disable"))),
                "no write reached AWS: {a}"
            );
        }
    }

    fn accepted(&self, i: usize) {
        let r = self.retry(i);
        assert_ne!(r["isError"], true, "{r:#}");
        assert!(r["structuredContent"]["action"].is_string(), "{r:#}");
    }
}

/// Runs the client for `tool` with `args` and the retries of `plan`, the server getting `env`.
async fn rounds(
    pool: &common::Pool,
    env: &[(&str, &str)],
    tool: &str,
    args: &Value,
    plan: Value,
) -> Run {
    let dir = tempfile::tempdir().expect("dir");
    let audit = dir.path().join("audit.jsonl");
    let mut cmd = tokio::process::Command::new(common::peers().join("mcp-venv/bin/python"));
    cmd.arg(common::drivers::script("py_confirm_rounds.py"))
        .arg(tool)
        .arg(args.to_string())
        .arg(plan.to_string())
        .env_clear()
        .envs(common::base_env())
        .env("COGNITO_USER_POOL_ID", &pool.id)
        .env("COGNITO_MCP_AUDIT_FILE", &audit)
        .env(
            "MCP_SERVER_CMD",
            json!([common::bin(), "serve"]).to_string(),
        )
        .envs(env.iter().copied())
        .kill_on_drop(true);
    let out = tokio::time::timeout(std::time::Duration::from_secs(120), cmd.output())
        .await
        .expect("the client finished in time")
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(report["version"], "2026-07-28", "{report:#}");
    assert_eq!(
        report["first"]["resultType"], "input_required",
        "{report:#}"
    );
    let audit = common::settled_audit(&audit)
        .lines()
        .map(|l| serde_json::from_str(l).expect("audit line is JSON"))
        .collect();
    Run { report, audit }
}

async fn exists(pool: &common::Pool, name: &str) -> bool {
    pool.admin.get_user(name).await.is_ok()
}

#[tokio::test]
async fn a_forged_state_fails() {
    // Before keying, the state was a bare SHA-256 of the call: an agent could compute it,
    // answer "yes" itself, and never ask anyone.
    let pool = new_pool().await;
    user(&pool, "gina").await;
    let args = json!({"username": "gina"});
    let unkeyed = hex(digest::digest(
        &digest::SHA256,
        json!(["delete_user", args, "gina"]).to_string().as_bytes(),
    )
    .as_ref());
    let run = rounds(
        &pool,
        &[],
        "delete_user",
        &args,
        json!([{"state": unkeyed}, {"state": format!("v1.9999999999.{}.{}", "0".repeat(32), "0".repeat(64))}]),
    )
    .await;
    run.refused(0, "confirmation_state_malformed");
    // Well formed, but not signed by the server's key.
    run.refused(1, "confirmation_state_mismatch");
    assert!(exists(&pool, "gina").await, "not deleted");
}

#[tokio::test]
async fn an_altered_state_fails() {
    let pool = new_pool().await;
    user(&pool, "hugo").await;
    let args = json!({"username": "hugo"});
    let run = rounds(
        &pool,
        &[],
        "delete_user",
        &args,
        json!([{"state": "issued-altered"}]),
    )
    .await;
    run.refused(0, "confirmation_state_mismatch");
    assert!(exists(&pool, "hugo").await, "not deleted");
}

#[tokio::test]
async fn a_state_for_another_target_fails() {
    // The person agreed to delete "ivan"; the agent retries with "ivan-other" and that state.
    let pool = new_pool().await;
    user(&pool, "ivan").await;
    user(&pool, "ivan-other").await;
    let run = rounds(
        &pool,
        &[],
        "delete_user",
        &json!({"username": "ivan"}),
        json!([{"state": "issued", "args": {"username": "ivan-other"}}]),
    )
    .await;
    run.refused(0, "confirmation_state_mismatch");
    assert!(exists(&pool, "ivan-other").await, "not deleted");
    assert!(exists(&pool, "ivan").await, "not deleted");
}

#[tokio::test]
async fn a_replayed_state_fails() {
    // The person said no; the state is sent again with a yes.
    let pool = new_pool().await;
    user(&pool, "jana").await;
    let run = rounds(
        &pool,
        &[],
        "delete_user",
        &json!({"username": "jana"}),
        json!([{"state": "issued", "answer": "decline"}, {"state": "issued"}]),
    )
    .await;
    assert_eq!(
        run.retry(0)["_meta"]["cognito-mcp/error"]["code"],
        "declined",
        "{:#}",
        run.report
    );
    run.refused(1, "confirmation_state_used");
    assert!(exists(&pool, "jana").await, "not deleted");
}

#[tokio::test]
async fn a_used_state_does_not_confirm_the_call_twice() {
    // A yes counts for one call: after the user is enabled again, the same state does not
    // disable them a second time.
    let pool = new_pool().await;
    user(&pool, "kurt").await;
    let args = json!({"username": "kurt"});
    let run = rounds(
        &pool,
        &[],
        "disable_user",
        &args,
        json!([{"state": "issued"}, {"state": "issued"}]),
    )
    .await;
    run.accepted(0);
    run.refused(1, "confirmation_state_used");
}

#[tokio::test]
async fn an_expired_state_fails() {
    // Signed with the server's own key for exactly this call, but past its expiry; the same
    // state with a future expiry goes through, so only the expiry refuses the first.
    let pool = new_pool().await;
    user(&pool, "lena").await;
    let args = json!({"username": "lena"});
    let now = unix_now();
    let expired = sign(now - 1, LOCAL, "delete_user", &args, "lena");
    let live = sign(now + 300, LOCAL, "delete_user", &args, "lena");
    let run = rounds(
        &pool,
        &[("COGNITO_MCP_STATE_KEY", STATE_KEY)],
        "delete_user",
        &args,
        json!([{"state": expired}, {"state": live}]),
    )
    .await;
    run.refused(0, "confirmation_state_expired");
    run.accepted(1);
    assert!(!exists(&pool, "lena").await, "deleted by the live state");
}

#[tokio::test]
async fn another_callers_state_fails() {
    // A state issued to another caller (signed with the server's key for the same call) is
    // not this caller's confirmation; the same state for this caller goes through.
    let pool = new_pool().await;
    user(&pool, "mona").await;
    let args = json!({"username": "mona"});
    let later = unix_now() + 300;
    let theirs = sign(later, "someone-else", "delete_user", &args, "mona");
    let ours = sign(later, LOCAL, "delete_user", &args, "mona");
    let run = rounds(
        &pool,
        &[("COGNITO_MCP_STATE_KEY", STATE_KEY)],
        "delete_user",
        &args,
        json!([{"state": theirs}, {"state": ours}]),
    )
    .await;
    run.refused(0, "confirmation_state_mismatch");
    run.accepted(1);
}

#[tokio::test]
async fn a_state_from_another_instance_fails_without_a_shared_key() {
    let pool = new_pool().await;
    user(&pool, "nils").await;
    let args = json!({"username": "nils"});
    let first = rounds(&pool, &[], "delete_user", &args, json!([])).await;
    let state = first.report["first"]["requestState"]
        .as_str()
        .expect("state")
        .to_owned();
    let second = rounds(&pool, &[], "delete_user", &args, json!([{"state": state}])).await;
    second.refused(0, "confirmation_state_mismatch");
    assert!(exists(&pool, "nils").await, "not deleted");
}

#[tokio::test]
async fn instances_sharing_the_state_key_accept_each_others_states() {
    let pool = new_pool().await;
    user(&pool, "olaf").await;
    let args = json!({"username": "olaf"});
    let env = [("COGNITO_MCP_STATE_KEY", STATE_KEY)];
    let first = rounds(&pool, &env, "delete_user", &args, json!([])).await;
    let state = first.report["first"]["requestState"]
        .as_str()
        .expect("state")
        .to_owned();
    assert!(state.starts_with("v1."), "{state}");
    let second = rounds(&pool, &env, "delete_user", &args, json!([{"state": state}])).await;
    second.accepted(0);
    assert!(!exists(&pool, "olaf").await, "deleted");
}

fn config(dir: &std::path::Path, toml: &str) -> String {
    let path = dir.join("cognito-mcp.toml");
    std::fs::write(&path, toml).expect("config");
    path.display().to_string()
}

#[tokio::test]
async fn require_person_refuses_a_client_without_elicitation() {
    // rmcp's client here declares no elicitation: its `confirm` is only the agent's word.
    let pool = new_pool().await;
    user(&pool, "pia").await;
    let dir = tempfile::tempdir().expect("dir");
    let path = config(dir.path(), "[safety.confirm]\nrequire_person = true\n");
    let s = serve(&pool, &["--config", &path], &[]).await;
    let (code, text) = s
        .err("delete_user", json!({"username": "pia", "confirm": "pia"}))
        .await;
    assert_eq!(code, "person_required", "{text}");
    assert!(
        text.contains("require_person") && text.contains("elicitation"),
        "says why and what client would work: {text}"
    );
    assert!(exists(&pool, "pia").await, "not deleted");
    let audit = s.audit();
    let last = audit.last().expect("audited");
    assert_eq!(last["outcome"], "refused", "{last}");
    assert_eq!(last["error"], "person_required");
    // Tools that need no confirmation still work.
    s.ok("enable_user", json!({"username": "pia"})).await;
}

#[tokio::test]
async fn without_require_person_the_confirm_argument_is_taken() {
    // The control of the test above: the same client and call go through by default.
    let pool = new_pool().await;
    user(&pool, "quin").await;
    let s = serve(&pool, &[], &[]).await;
    s.ok(
        "delete_user",
        json!({"username": "quin", "confirm": "quin"}),
    )
    .await;
    assert!(!exists(&pool, "quin").await, "deleted");
}

#[tokio::test]
async fn require_person_still_lets_a_person_confirm() {
    let pool = new_pool().await;
    user(&pool, "rosa").await;
    let dir = tempfile::tempdir().expect("dir");
    let path = config(dir.path(), "[safety.confirm]\nrequire_person = true\n");
    let run = rounds(
        &pool,
        &[("COGNITO_MCP_CONFIG", path.as_str())],
        "delete_user",
        &json!({"username": "rosa"}),
        json!([{"state": "issued"}]),
    )
    .await;
    run.accepted(0);
    assert!(!exists(&pool, "rosa").await, "deleted");
}
