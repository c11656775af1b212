//! The app-client lifecycle tools against the pool's cognito-idp API as native mode shows it:
//! the hosted-UI stand-in (`--native --aws-upstream`) answers for the clients that registered
//! dynamically and passes the rest to moto; a recording proxy in front sees every request.

mod common;

use std::time::{Duration, Instant};

use common::proxy::StandIn;
use common::recorder::Recorder;
use common::{Pool, new_pool, serve};
use serde_json::{Value, json};

struct Lifecycle {
    pool: Pool,
    stand_in: StandIn,
    origin: String,
    recorder: Recorder,
    dir: tempfile::TempDir,
}

impl Lifecycle {
    async fn start() -> Self {
        let pool = new_pool().await;
        let stand_in = StandIn::native_in_front_of(&pool.id, &common::moto().endpoint).await;
        let origin = stand_in.origin();
        let recorder = Recorder::start(&origin).await;
        Self {
            pool,
            stand_in,
            origin,
            recorder,
            dir: tempfile::tempdir().expect("dir"),
        }
    }

    /// Registers a client at the pool's `/oauth2/register`, as an MCP client does.
    async fn register(&self, name: &str) -> String {
        let registered: Value = reqwest::Client::new()
            .post(format!("{}/oauth2/register", self.origin))
            .json(&json!({
                "redirect_uris": [common::proxy::REDIRECT],
                "token_endpoint_auth_method": "none",
                "client_name": name,
            }))
            .send()
            .await
            .expect("register")
            .json()
            .await
            .expect("json");
        registered["client_id"]
            .as_str()
            .expect("client_id")
            .to_owned()
    }

    /// Makes a registered client look `days` old.
    async fn age(&self, client_id: &str, days: u32) {
        let r = reqwest::Client::new()
            .post(format!("{}/_control/age-client", self.origin))
            .json(&json!({"client_id": client_id, "days": days}))
            .send()
            .await
            .expect("age");
        assert_eq!(r.status(), 204);
    }

    /// The config file: `toml` plus nothing else.
    fn config(&self, toml: &str) -> String {
        let path = self.dir.path().join("cognito-mcp.toml");
        std::fs::write(&path, toml).expect("config");
        path.display().to_string()
    }

    /// The server, calling Cognito through the recorder, with its own app client the pool's.
    async fn serve(&self, toml: &str) -> common::Server {
        let config = self.config(toml);
        serve(
            &self.pool,
            &["--config", &config],
            &[
                (
                    "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
                    &self.recorder.base,
                ),
                ("COGNITO_CLIENT_ID", &self.pool.client_id),
            ],
        )
        .await
    }

    fn env(&self) -> Vec<(&str, &str)> {
        vec![
            (
                "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
                self.recorder.base.as_str(),
            ),
            ("COGNITO_CLIENT_ID", self.pool.client_id.as_str()),
        ]
    }

    fn deletes(&self) -> Vec<common::recorder::Call> {
        self.recorder.calls_to(&["DeleteUserPoolClient"])
    }
}

fn ids(page: &Value) -> Vec<String> {
    page["clients"]
        .as_array()
        .expect("clients")
        .iter()
        .map(|c| c["client_id"].as_str().expect("id").to_owned())
        .collect()
}

fn client<'a>(page: &'a Value, id: &str) -> &'a Value {
    page["clients"]
        .as_array()
        .expect("clients")
        .iter()
        .find(|c| c["client_id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {page}"))
}

#[tokio::test]
async fn list_user_pool_clients_marks_the_registered_clients_with_their_dates() {
    let l = Lifecycle::start().await;
    let a = l.register("agent-a").await;
    let b = l.register("agent-b").await;
    let s = l.serve("").await;

    let all = s.ok("list_user_pool_clients", json!({})).await;
    let own = client(&all, &l.pool.client_id);
    assert_eq!(own["dynamic"], false, "created by an administrator: {own}");
    for id in [&a, &b] {
        let c = client(&all, id);
        assert_eq!(c["dynamic"], true, "{c}");
        assert!(
            c["created"].as_str().is_some_and(|t| t.ends_with('Z')),
            "{c}"
        );
        assert!(c["last_modified"].is_string(), "{c}");
    }
    assert_eq!(client(&all, &a)["client_name"], "agent-a");

    let dynamic = s
        .ok("list_user_pool_clients", json!({"kind": "dynamic"}))
        .await;
    let mut got = ids(&dynamic);
    got.sort();
    let mut want = vec![a.clone(), b.clone()];
    want.sort();
    assert_eq!(got, want);
    let regular = s
        .ok("list_user_pool_clients", json!({"kind": "regular"}))
        .await;
    assert!(ids(&regular).contains(&l.pool.client_id), "{regular}");
    assert!(!ids(&regular).contains(&a), "{regular}");

    // What went out: the ClientType filter the SDK cannot send, then one describe per client.
    let lists = l.recorder.calls_to(&["ListUserPoolClients"]);
    assert_eq!(lists[1].body["ClientType"], "DCR", "{:?}", lists[1].body);
    assert_eq!(lists[2].body["ClientType"], "REGULAR");
    assert!(lists[0].body.get("ClientType").is_none());
    assert!(
        l.recorder.calls_to(&["DescribeUserPoolClient"]).len() >= 5,
        "each listed client is described"
    );
}

#[tokio::test]
async fn deleting_the_servers_own_app_client_is_refused_before_aws() {
    // The attack: an agent (or a prompt injected into it) deletes the app client the server
    // itself signs users in with, locking every caller out. It is protected without any config.
    let l = Lifecycle::start().await;
    let s = l.serve("").await;
    let own = l.pool.client_id.clone();
    let (code, text) = s
        .err(
            "delete_user_pool_client",
            json!({"client_id": own, "confirm": own}),
        )
        .await;
    assert_eq!(code, "protected", "{text}");
    assert!(text.contains("server itself"), "{text}");
    assert!(l.deletes().is_empty(), "nothing reached Cognito");
    let all = s.ok("list_user_pool_clients", json!({})).await;
    assert!(ids(&all).contains(&own), "still there");
}

#[tokio::test]
async fn a_protected_client_is_refused_and_pruning_leaves_it() {
    let l = Lifecycle::start().await;
    let kept = l.register("break-glass").await;
    l.age(&kept, 400).await;
    let s = l
        .serve(&format!("[safety]\nprotected_clients = [\"{kept}\"]\n"))
        .await;
    let (code, _) = s
        .err(
            "delete_user_pool_client",
            json!({"client_id": kept, "confirm": kept}),
        )
        .await;
    assert_eq!(code, "protected");
    let report = s
        .ok(
            "prune_dynamic_clients",
            json!({"older_than_days": 30, "dry_run": false}),
        )
        .await;
    assert_eq!(report["counts"], json!({"skipped": 1}), "{report:#}");
    assert_eq!(report["items"][0]["client_id"], kept.as_str());
    assert!(
        report["items"][0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("protected")),
        "{report:#}"
    );
    assert!(l.deletes().is_empty());
}

#[tokio::test]
async fn deleting_a_client_needs_confirmation_and_is_audited() {
    let l = Lifecycle::start().await;
    let gone = l.register("old-agent").await;
    let s = l.serve("").await;
    let (code, text) = s
        .err("delete_user_pool_client", json!({"client_id": gone}))
        .await;
    assert_eq!(code, "confirmation_required", "{text}");
    assert!(
        text.contains(&gone),
        "the question names the client: {text}"
    );
    assert!(l.deletes().is_empty(), "not before a yes");

    let done = s
        .ok(
            "delete_user_pool_client",
            json!({"client_id": gone, "confirm": gone}),
        )
        .await;
    assert_eq!(done["deleted"], gone.as_str());
    assert_eq!(l.deletes().len(), 1);
    let all = s.ok("list_user_pool_clients", json!({})).await;
    assert!(!ids(&all).contains(&gone), "{all}");

    let (code, text) = s
        .err(
            "delete_user_pool_client",
            json!({"client_id": "not a client id", "confirm": "x"}),
        )
        .await;
    assert_eq!(code, "invalid_input", "{text}");
    assert!(text.contains("client_id"), "{text}");

    let audit = s.audit();
    let records: Vec<&Value> = audit
        .iter()
        .filter(|r| r["tool"] == "delete_user_pool_client")
        .collect();
    let outcomes: Vec<&str> = records
        .iter()
        .map(|r| r["outcome"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(outcomes, ["refused", "ok", "error"], "{audit:#?}");
    assert_eq!(records[1]["confirmed_by"], "argument", "{}", records[1]);
    assert!(
        records[1]["aws_calls"]
            .to_string()
            .contains("DeleteUserPoolClient"),
        "{}",
        records[1]
    );
}

#[tokio::test]
async fn prune_previews_first_then_deletes_only_old_registered_clients_paced_with_progress() {
    let l = Lifecycle::start().await;
    let mut old = Vec::new();
    for i in 0..6 {
        let id = l.register(&format!("stale-{i}")).await;
        l.age(&id, 45).await;
        old.push(id);
    }
    let recent = l.register("fresh").await;
    l.age(&recent, 29).await;
    // Two deletes a second: the six take about three seconds.
    let toml = "[pacing]\nuser_pool_client_update = 2\n";
    let s = l.serve(toml).await;

    // The first call is a dry run, without asking for one.
    let preview = s
        .ok("prune_dynamic_clients", json!({"older_than_days": 30}))
        .await;
    assert_eq!(preview["dry_run"], true);
    assert_eq!(
        preview["counts"],
        json!({"would_change": 6, "skipped": 1}),
        "{preview:#}"
    );
    assert!(l.deletes().is_empty(), "a dry run changes nothing");
    assert_eq!(
        ids(&s
            .ok("list_user_pool_clients", json!({"kind": "dynamic"}))
            .await)
        .len(),
        7
    );
    let skipped = preview["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["outcome"] == "skipped")
        .expect("the recent one");
    assert_eq!(skipped["client_id"], recent.as_str());
    assert!(
        preview["items"].to_string().contains("stale-")
            && preview["items"][0].get("username").is_none(),
        "items name clients by client_id and say what they are: {preview:#}"
    );
    assert!(
        !preview["items"].to_string().contains(&l.pool.client_id),
        "regular clients are not even candidates"
    );

    // Then the run, by the TypeScript SDK with a progress token.
    let config = l.config(toml);
    let args = json!({"older_than_days": 30, "dry_run": false}).to_string();
    let mut env = l.env();
    env.extend([("MCP_TOOL", "prune_dynamic_clients"), ("MCP_ARGS", &args)]);
    let lines = common::drivers::ts_stdio(
        &l.pool,
        &config,
        &l.dir.path().join("audit-ts.jsonl"),
        "progress",
        &env,
    )
    .await;
    let step = common::drivers::step(&lines, "result");
    let report = &step["result"]["structuredContent"];
    assert_eq!(
        report["counts"],
        json!({"done": 6, "skipped": 1}),
        "{report:#}"
    );
    let progress = step["progress"].as_array().expect("progress");
    assert!(!progress.is_empty(), "progress was reported: {step}");
    assert!(progress.iter().all(|p| p["total"] == 6), "{progress:?}");
    assert_eq!(
        progress.last().map(|p| p["progress"].clone()),
        Some(json!(6))
    );

    // Paced at arrival: never more than two (plus one at a window's edge) in a second.
    let deletes = l.deletes();
    assert_eq!(deletes.len(), 6, "one request per stale client");
    let times: Vec<Instant> = deletes.iter().map(|c| c.at).collect();
    for (i, start) in times.iter().enumerate() {
        let in_window = times[i..]
            .iter()
            .take_while(|t| t.duration_since(*start) < Duration::from_secs(1))
            .count();
        assert!(in_window <= 3, "{in_window} deletes within a second");
    }
    let mut deleted: Vec<String> = deletes
        .iter()
        .map(|c| c.body["ClientId"].as_str().expect("id").to_owned())
        .collect();
    deleted.sort();
    old.sort();
    assert_eq!(deleted, old);
    let left = ids(&s
        .ok("list_user_pool_clients", json!({"kind": "dynamic"}))
        .await);
    assert_eq!(left, [recent]);
    drop(l.stand_in);
}

/// The policy is least privilege only if it suffices: every AWS call each of these tools made
/// (from the audit) is an action `iam-policy` grants for that tool alone.
#[tokio::test]
async fn every_call_the_client_tools_make_is_in_their_iam_policy() {
    let l = Lifecycle::start().await;
    let doomed = l.register("doomed").await;
    let target = l.register("cimd-target").await;
    let s = l.serve("").await;
    let client = target.as_str();
    let created = s
        .ok(
            "create_cimd_policy",
            json!({"policy_name": "agents", "client_id": client, "url_patterns": ["https://clients.example.com/mcp/*"]}),
        )
        .await;
    let policy = created["policy_id"].as_str().expect("policy_id").to_owned();
    assert_eq!(created["client_id"], client);
    assert_eq!(
        created["url_patterns"],
        json!(["https://clients.example.com/mcp/*"])
    );
    let calls = [
        ("list_user_pool_clients", json!({})),
        ("list_cimd_policies", json!({})),
        ("describe_cimd_policy", json!({"policy_id": policy})),
        (
            "update_cimd_policy",
            json!({"policy_id": policy, "url_patterns": ["https://agents.example.com/*"]}),
        ),
        (
            "delete_user_pool_client",
            json!({"client_id": doomed, "confirm": doomed}),
        ),
        ("prune_dynamic_clients", json!({"older_than_days": 0})),
        (
            "delete_cimd_policy",
            json!({"policy_id": policy, "confirm": policy}),
        ),
    ];
    for (tool, args) in &calls {
        s.ok(tool, args.clone()).await;
    }
    // A URL Cognito never cached: Cognito's own error, named, with the call still audited.
    let (code, text) = s
        .err(
            "invalidate_client_metadata_url",
            json!({"policy_id": "abc123", "url": "https://clients.example.com/mcp/a.json"}),
        )
        .await;
    assert_eq!(code, "resource_not_found", "{text}");

    let audit = s.audit();
    assert_eq!(audit.len(), calls.len() + 2, "{audit:#?}");
    for record in &audit {
        let tool = record["tool"].as_str().expect("tool");
        let made: std::collections::BTreeSet<String> = record["aws_calls"]
            .as_array()
            .expect("calls")
            .iter()
            .map(|c| format!("cognito-idp:{}", c["operation"].as_str().expect("op")))
            .collect();
        assert!(!made.is_empty(), "{tool} made no AWS call");
        let config = l.config(&format!("[tools]\nallow = [\"{tool}\"]\n"));
        let granted = common::policy_actions(
            &["iam-policy", "--config", &config],
            &[("COGNITO_USER_POOL_ID", &l.pool.id)],
        );
        assert!(
            made.is_subset(&granted),
            "{tool} called {made:?}, but its policy grants {granted:?}"
        );
    }
}
